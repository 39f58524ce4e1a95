package store

import (
	"context"
	"time"
)

// Peer roles: the role of the other platform relative to this one.
const (
	PeerUpper    = "upper"    // the platform this one reports to (province for a city)
	PeerLower    = "lower"    // a platform that reports to this one (a city for the province)
	PeerNational = "national" // the national platform
)

// Exchange log operations.
const (
	OpVersion = "version" // a record's new version (a new record, or a correction)
	OpState   = "state"   // a record revoked or restored
	OpRepair  = "repair"  // a record's repair day set (信用修复) or cleared
	OpSubject = "subject" // a subject created or changed by a put of subjects (not by filing a record)
)

// Peer is another platform this one exchanges records with.
type Peer struct {
	ID       int64
	Name     string // short name, unique: also the origin of what it sent
	Title    string // its name for people (西安市公共信用信息平台)
	Role     string // PeerUpper, PeerLower or PeerNational
	Region   string // its territory: a region code prefix ("" for all)
	URL      string // its base address, to pull its feed ("" when it only reads ours)
	Key      string // the API key to pull its feed with (decrypted); "" when none
	ClientID int64  // the API client it reads this platform's feed with (0: none)
	Personal bool   // may receive personal fields (ID numbers in clear)
	// CertSHA256 is the SHA-256 (lower-case hex of the DER) of the client
	// certificate it reads this platform's feed with over mutual TLS (""
	// none).
	CertSHA256 string
	// The puller's state and counts.
	Cursor     int64 // the last entry of its feed applied here
	RemoteHead int64 // the last entry of its feed it reported
	Received   int64 // entries received from it
	Applied    int64 // entries that changed a record here
	Sent       int64 // entries it read from this platform's feed
	Conflicts  int64
	LastPull   time.Time
	LastSent   time.Time
	LastError  string
	ErrorAt    time.Time
	Created    time.Time
}

// Lag is how many entries of its feed the peer has that are not applied
// here yet, as of its last answer.
func (p Peer) Lag() int64 { return max(p.RemoteHead-p.Cursor, 0) }

// CopyOrigin is the origin of the versions received from peer that are
// not the deciding department's (copies relayed or made elsewhere: see
// exchange/decide.go): filed under this name, they are never taken for
// the deciding department's, here or at the platforms they are relayed
// to, and they are not sent back to peer either.
func CopyOrigin(peer string) string { return peer + "（转发副本）" }

// FeedQuery selects entries of the exchange log.
type FeedQuery struct {
	Since int64
	Limit int
	// Regions: entries of subjects whose region starts with one of these
	// ("" or none: all).
	Region string
	Kinds  []string
	// NotOrigin leaves out entries received from this peer (what it sent
	// is not sent back), CopyOrigin(NotOrigin) included.
	NotOrigin string
}

// FeedEntry is one entry of the exchange log with the record version it
// names.
type FeedEntry struct {
	Seq         int64
	RecordID    int64
	Version     int
	Op          string
	At          time.Time // the entry's stamp (see the exchange_log table)
	Origin      string
	Kind        string
	Region      string
	RepairedOn  string
	State       RecordState
	StateReason string
	Fields      []byte // public fields (DecodeFields)
	Private     []byte // personal fields, decrypted JSON (nil: none)
	ReceivedAt  time.Time
	// SubjectID is the subject of an OpSubject entry (Private then holds a
	// person's ID number in clear as {"id_number": …}).
	SubjectID int64
}

// RecordStamp is what this platform holds of a record, for deciding
// whether an entry received from a peer is newer.
type RecordStamp struct {
	RecordID int64
	At       time.Time // the latest stamp of the record's log entries
	// Versions are the record's version entries (op version) held here:
	// their stamps and where they came from (origin: '' made here).
	Versions []VersionStamp
}

// VersionStamp is one version entry of a record's exchange log.
type VersionStamp struct {
	At     time.Time
	Origin string
}

// PeerProgress is what one pull did, stored with the cursor.
type PeerProgress struct {
	Cursor, RemoteHead           int64
	Received, Applied, Conflicts int64
	Error                        string // "" after a good pull
}

// Conflict is an entry received from a peer that lost to a later version
// held here.
type Conflict struct {
	Peer     string
	RecordID int64
	Kind     string
	Op       string
	At       time.Time // the entry's stamp
	HeldAt   time.Time // the stamp of what is held
	NotedAt  time.Time
}

// ExchangeStore keeps the peers and the exchange log.
type ExchangeStore interface {
	// PutPeer adds a peer or updates the one with the same name (a Key,
	// URL or CertSHA256 left empty keeps the stored one) and returns it.
	PutPeer(ctx context.Context, p Peer) (Peer, error)
	// GetPeer returns a peer by name (ErrNotFound).
	GetPeer(ctx context.Context, name string) (Peer, error)
	// PeerByClient returns the peer that reads the feed with an API
	// client (ErrNotFound).
	PeerByClient(ctx context.Context, clientID int64) (Peer, error)
	// PeerByCert returns the peer that reads the feed with the client
	// certificate of this fingerprint (Peer.CertSHA256; ErrNotFound).
	PeerByCert(ctx context.Context, sha256 string) (Peer, error)
	ListPeers(ctx context.Context) ([]Peer, error)
	RemovePeer(ctx context.Context, name string) error
	// SavePeerProgress stores a pull's cursor and adds its counts.
	SavePeerProgress(ctx context.Context, id int64, p PeerProgress) error
	// NoteSent adds n entries read by a peer from this platform's feed.
	NoteSent(ctx context.Context, id int64, n int) error
	// Feed returns up to q.Limit entries after q.Since in commit order and
	// the cursor to resume from (it advances past entries examined that
	// did not match) and the head of the log.
	Feed(ctx context.Context, q FeedQuery) (entries []FeedEntry, next, head int64, err error)
	// RecordStamps finds the records of a kind with these identities (as
	// RecordInput.Identity) and their latest stamps, by identity.
	RecordStamps(ctx context.Context, kind string, identities []string) (map[string]RecordStamp, error)
	// HasStamp reports whether the record has a log entry with stamp at.
	HasStamp(ctx context.Context, recordID int64, at time.Time) (bool, error)
	// ApplyRecordState sets a record's state as a peer made it at at
	// (its log entry carries that stamp and the origin).
	ApplyRecordState(ctx context.Context, id int64, state RecordState, reason string, at time.Time, origin string) error
	// ApplyRepair sets (or clears, with "") a record's repair day as a
	// peer made it at at.
	ApplyRepair(ctx context.Context, id int64, repairedOn string, at time.Time, origin string) error
	// AddConflict logs a conflict once (a repeat is ignored).
	AddConflict(ctx context.Context, c Conflict) error
	// ListConflicts returns the latest conflicts, newest first.
	ListConflicts(ctx context.Context, limit int) ([]Conflict, error)
	RecordExporter
	SnapshotStore
}

// ExportedRecord is a record's current version as exported.
type ExportedRecord struct {
	ID         int64
	Kind       string
	Version    int
	State      RecordState
	Fields     []byte // public fields (DecodeFields)
	Private    []byte // personal fields, decrypted JSON (nil: none)
	RepairedOn string
}

// RecordExporter reads every current record of a kind, in id order.
type RecordExporter interface {
	// ExportRecords returns up to limit current records of kind with ids
	// after afterID.
	ExportRecords(ctx context.Context, kind string, afterID int64, limit int) ([]ExportedRecord, error)
}

// PublicSnapshot is the public snapshot of a day and its delta from the
// snapshot before (BaseDay "" for the first).
type PublicSnapshot struct {
	Day         string // YYYY-MM-DD (China)
	Records     int
	SHA256      string // of the uncompressed body
	Body        []byte // gzip of JSON lines, sorted
	BaseDay     string
	Added       int
	Removed     int
	DeltaSHA256 string
	Delta       []byte // gzip of "-line" and "+line" lines
	Created     time.Time
}

// SnapshotStore keeps the public snapshots.
type SnapshotStore interface {
	// PutSnapshot stores a day's snapshot (replacing one of the same day).
	PutSnapshot(ctx context.Context, s PublicSnapshot) error
	// GetSnapshot returns a day's snapshot with its body and delta
	// (ErrNotFound).
	GetSnapshot(ctx context.Context, day string) (PublicSnapshot, error)
	// ListSnapshots returns the snapshots without bodies, latest first.
	ListSnapshots(ctx context.Context) ([]PublicSnapshot, error)
}
