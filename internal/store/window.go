package store

import "context"

// WindowStore serves the public window's columns (issue 21).
type WindowStore interface {
	// CountCommitments counts the commitments f selects (Limit and
	// Offset ignored), for a column's total.
	CountCommitments(ctx context.Context, f CommitmentFilter) (int, error)
}
