package store

import "context"

type replicaKey struct{}

// ReplicaOK marks ctx as a read that a streaming replica may answer: a
// page or API read of the public or of a session that wrote nothing
// lately (the web layer decides). Reads without the mark go to the
// primary, so that whatever writes and then reads (intake, workflows,
// background jobs) sees its own writes.
func ReplicaOK(ctx context.Context) context.Context {
	return context.WithValue(ctx, replicaKey{}, true)
}

// IsReplicaOK reports whether ctx was marked by ReplicaOK.
func IsReplicaOK(ctx context.Context) bool {
	ok, _ := ctx.Value(replicaKey{}).(bool)
	return ok
}

// ReplicaStats counts reads by where they went (a driver with read
// replicas implements it).
type ReplicaStats interface {
	ReadCounts() (primary, replica int64)
}
