package store

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
)

// RecordStore keeps credit records and the intake log.
type RecordStore interface {
	// StartIntake opens an intake batch, or resumes the unfinished batch
	// of the same file (same kind, department and file hash), keeping its
	// receipt time so that a re-run after a crash ends in the state a
	// clean run would have produced.
	StartIntake(ctx context.Context, b IntakeBatch) (IntakeBatch, bool, error)
	// FinishIntake closes a batch with its counts and rejected rows.
	FinishIntake(ctx context.Context, id int64, st IntakeStats, rejected []Rejection) error
	// PrepareRecords does the CPU work of filing records that needs no
	// database (validation of subjects, keyed hashes, encryption), so that
	// a caller can prepare one batch while the previous one is written.
	PrepareRecords(recs []RecordInput) (PreparedRecords, error)
	// PutPreparedRecords files a prepared batch of one intake batch in one
	// transaction, creating their subjects when new. A record is
	// identified by its identity: the same content again is unchanged,
	// other content is a new version and the old one is kept.
	PutPreparedRecords(ctx context.Context, batch int64, p PreparedRecords) ([]RecordOutcome, error)
	// GetRecord returns a record's current version.
	GetRecord(ctx context.Context, id int64) (Record, error)
	// RecordVersions returns every version of a record, oldest first, with
	// the time each was in force (ValidFrom, ValidTo).
	RecordVersions(ctx context.Context, id int64) ([]Record, error)
	// SubjectRecords returns the current versions of a subject's records,
	// latest decision first.
	SubjectRecords(ctx context.Context, subjectID int64) ([]Record, error)
	// LatestRecords lists records (current versions, with their subject)
	// by decision date, latest first.
	LatestRecords(ctx context.Context, f RecordFilter) ([]Record, error)
	// SetRecordState revokes (撤销) or restores a record, with a reason.
	SetRecordState(ctx context.Context, id int64, state RecordState, reason string) error
	// IntakeStats counts received, late and rejected rows per kind,
	// department and month of receipt.
	IntakeStats(ctx context.Context, f IntakeFilter) ([]IntakeRow, error)
}

// IntakeBatch is one file or API call.
type IntakeBatch struct {
	ID       int64
	Kind     string
	Dept     string // USCC of the sending department ("" when not given)
	Channel  string // file | api
	FileName string
	FileHash string // hex SHA-256 of the file; "" for API calls (never resumed)
	// ReceivedAt is set by StartIntake to the current time unless given
	// (loading records received earlier by another system).
	ReceivedAt time.Time
}

// IntakeStats are the counts of a batch.
type IntakeStats struct {
	Rows, Accepted, Updated, Unchanged, Rejected int
	// Warnings are the header's (a column guessed, one left out), and
	// NameWarnings the rows whose subject name disagrees with the
	// registered holder of their code: kept with the batch for its page.
	Warnings, NameWarnings []string
}

// Rejection is one rejected row: where and why.
type Rejection struct {
	Row    int
	Field  string
	Reason string
}

// RecordInput is one validated record to file.
type RecordInput struct {
	Kind         string
	Identity     string // the kind's identity of the record; stored only as a keyed hash
	Subject      credit.Subject
	SourceDept   string // USCC of 数据来源单位
	DecisionNo   string
	DecisionDate string // YYYY-MM-DD
	Fields       []byte // public fields (personal identifiers masked): the Fields encoding, or a JSON object of strings
	Private      []byte // JSON of personal fields in clear; stored encrypted
	Content      []byte // canonical content; equal content = unchanged
	WorkingDays  int    // working days from decision to receipt
	Late         bool
	Reason       string // why a changed record is sent again (更正原因); "" for the default
	// Bad: the record's catalogue nature is bad (不良信息: its kind's, or
	// its own for a kind with row_nature); a new bad record, other than a
	// list entry, raises a bad_record change.
	Bad bool
	// Decider is the USCC of the body that took the decision (the kind's
	// authority_uscc), "" when the kind has none. A record whose decider
	// is not its SourceDept is kept in record_deciders (瞒报).
	Decider string
}

// PutRecords prepares and files records in one call.
func PutRecords(ctx context.Context, s RecordStore, batch int64, recs []RecordInput) ([]RecordOutcome, error) {
	p, err := s.PrepareRecords(recs)
	if err != nil {
		return nil, err
	}
	return s.PutPreparedRecords(ctx, batch, p)
}

// RecordOutcome says what PutRecords did with one input.
type RecordOutcome struct {
	ID      int64
	Version int
	Change  Change
}

// Change is the effect of filing a record.
type Change string

const (
	Created   Change = "created"
	Updated   Change = "updated" // new version, old kept
	Unchanged Change = "unchanged"
)

// RecordState is a record's state.
type RecordState string

const (
	StateActive    RecordState = "active"
	StateCorrected RecordState = "corrected" // 更正: a later version replaced the first
	StateRevoked   RecordState = "revoked"   // 撤销
)

// DefaultCorrectionReason is the reason of a new version sent without one.
const DefaultCorrectionReason = "报送单位重新报送（更正）"

// CorrectionReason is reason, or the default when empty.
func CorrectionReason(reason string) string {
	if reason == "" {
		return DefaultCorrectionReason
	}
	return reason
}

// Record is a stored record version.
type Record struct {
	ID           int64
	Kind         string
	SubjectID    int64
	SourceDept   string
	DecisionNo   string
	DecisionDate string
	Version      int
	State        RecordState
	StateReason  string
	Fields       []byte // public fields, as stored: read them with DecodeFields
	Private      []byte // JSON, personal fields, decrypted
	ReceivedAt   time.Time
	WorkingDays  int
	Late         bool
	// FirstReceived is when the platform first received the record (its
	// first version).
	FirstReceived time.Time
	// Objected: an objection (异议) to the record was filed at some time
	// (ObjectionsOfRecords tells which and when it marked the record).
	Objected bool
	// RepairedOn is the day (YYYY-MM-DD, China) a credit repair of the
	// record was approved; "" when it was never repaired. From that day
	// the record is not public (publicity.Input.Repaired).
	RepairedOn string
	// ValidFrom and ValidTo bound the time this version was in force
	// (ValidTo zero: it still is); set by RecordVersions.
	ValidFrom, ValidTo time.Time
	// Subject is set by LatestRecords.
	Subject RecordSubject
}

// IntakeFilter narrows IntakeStats; empty fields match all.
type IntakeFilter struct {
	Kind  string
	Dept  string
	Month string // YYYY-MM
	// From and To bound the months (YYYY-MM, inclusive; "" unbounded).
	From, To string
}

// IntakeRow is one line of intake statistics.
type IntakeRow struct {
	Kind     string `json:"kind"`
	Dept     string `json:"dept"`
	Month    string `json:"month"`
	Received int    `json:"received"`
	Late     int    `json:"late"`
	Rejected int    `json:"rejected"`
	// Updated counts records changed (new versions) that month.
	Updated int `json:"updated"`
}

// ExistingRecord is what a driver reads back to plan a put.
type ExistingRecord struct {
	ID      int64
	Version int
	Hash    []byte
	Listed  bool // a list entry in force (store.Listed), for change events
}

// RecordRow is a record input with its keyed hashes and encrypted part.
type RecordRow struct {
	RecordInput
	IdentityHash []byte
	ContentHash  []byte
	PrivateEnc   []byte
	SubjectKey   string
}

// MayExist reports whether a row's record can be stored already, given the
// keys of the subjects the same transaction created (under the writer's
// lock): a record's identity holds its subject's code, which for keys U:
// (USCC) and P: (ID number) is the code the key is made of, and no record
// of a subject that did not exist can be stored. A sole trader without a
// code (R:) is keyed by number and name, which its records' identity is
// not, so its rows are always looked up. Drivers skip the lookup of the
// others: a first intake of new subjects reads nothing back.
func (r RecordRow) MayExist(created map[string]bool) bool {
	return !created[r.SubjectKey] || strings.HasPrefix(r.SubjectKey, "R:")
}

// RecordPlan is what a put of records does, decided once for all drivers.
// Insert and NewVersion index Rows; Outcomes has one entry per input,
// with ID 0 for rows inserted by this plan (InsertAt maps them). Changes
// are the change events the put appends, in the same transaction.
type RecordPlan struct {
	Rows       []RecordRow
	Insert     []int
	NewVersion []VersionChange
	Outcomes   []RecordOutcome
	InsertAt   map[int]int // input index -> index in Insert (for repeats in the batch too)
	Changes    []PlannedChange
}

// VersionChange replaces the current version of a stored record.
type VersionChange struct {
	Row     int
	ID      int64
	Version int // the new version number
}

// PreparedRecords is a batch of records ready for a driver to write.
type PreparedRecords struct {
	Rows     []RecordRow
	Subjects []SubjectRow
}

// PrepareRecordBatch validates the subjects of a batch and hashes and
// encrypts its records; the drivers' PrepareRecords.
func PrepareRecordBatch(k *pii.Keyring, recs []RecordInput, now time.Time) (PreparedRecords, error) {
	if k == nil {
		return PreparedRecords{}, ErrNotConfigured
	}
	subjects := make([]credit.Subject, len(recs))
	for i, r := range recs {
		subjects[i] = r.Subject
	}
	srows, err := PrepareSubjects(k, subjects, now)
	if err != nil {
		return PreparedRecords{}, err
	}
	return PreparedRecords{Rows: PrepareRecords(k, recs), Subjects: srows}, nil
}

// PrepareRecords hashes and encrypts a batch of record inputs. Identity and
// content hashes are HMAC-SHA-256 truncated to 128 bits: collisions stay
// out of reach for any number of records a platform holds, and the
// identity index is half the size.
func PrepareRecords(k *pii.Keyring, recs []RecordInput) []RecordRow {
	rows := make([]RecordRow, len(recs))
	for i, r := range recs {
		rows[i] = RecordRow{
			RecordInput:  r,
			IdentityHash: k.Hash(r.Kind + "\x00" + r.Identity)[:16],
			ContentHash:  k.HashBytes(r.Content)[:16],
			SubjectKey:   r.Subject.NaturalKey(k.Hash),
		}
		rows[i].Content = nil // hashed: not kept while the batch waits to be written
		if len(r.Private) > 0 {
			rows[i].PrivateEnc = k.Encrypt(string(r.Private))
		}
	}
	return rows
}

// PlanRecords decides, in input order, what each row does given the
// stored records with the same identity hashes (existing, keyed by
// string(hash)). A repeat within the batch is judged against the row
// before it, as if the rows were sent one by one.
func PlanRecords(rows []RecordRow, existing map[string]ExistingRecord) RecordPlan {
	p := RecordPlan{Rows: rows, Outcomes: make([]RecordOutcome, len(rows)), InsertAt: map[int]int{}}
	type state struct {
		ExistingRecord
		insertIdx int // -1 for stored records
	}
	seen := make(map[string]*state, len(rows))
	for i, r := range rows {
		k := string(r.IdentityHash)
		st, ok := seen[k]
		if !ok {
			if e, found := existing[k]; found {
				st = &state{ExistingRecord: e, insertIdx: -1}
			}
		}
		switch {
		case st == nil:
			p.InsertAt[i] = len(p.Insert)
			listed := Listed(r.Kind, StateActive, r.Fields)
			st = &state{ExistingRecord: ExistingRecord{Version: 1, Hash: r.ContentHash, Listed: listed}, insertIdx: len(p.Insert)}
			p.Insert = append(p.Insert, i)
			p.Outcomes[i] = RecordOutcome{Version: 1, Change: Created}
			planChanges(&p, i, 0, true, false, listed)
		case bytes.Equal(st.Hash, r.ContentHash):
			p.Outcomes[i] = RecordOutcome{ID: st.ID, Version: st.Version, Change: Unchanged}
			if st.insertIdx >= 0 {
				p.InsertAt[i] = st.insertIdx
			}
		default:
			st.Version++
			st.Hash = r.ContentHash
			if st.insertIdx >= 0 {
				// A record created and changed within one batch: the
				// insert carries the first content as version 1, and the
				// change is applied after it.
				p.InsertAt[i] = st.insertIdx
			}
			p.NewVersion = append(p.NewVersion, VersionChange{Row: i, ID: st.ID, Version: st.Version})
			p.Outcomes[i] = RecordOutcome{ID: st.ID, Version: st.Version, Change: Updated}
			listed := Listed(r.Kind, StateCorrected, r.Fields)
			planChanges(&p, i, st.ID, false, st.Listed, listed)
			st.Listed = listed
		}
		seen[k] = st
	}
	return p
}

// IntakeCount is how many records of one kind and supplying department a
// put filed for the first time, and how many of those were late: what
// intake statistics count, kept per batch (intake_counts) by the
// transaction that files the records.
type IntakeCount struct {
	Kind, Dept     string
	Received, Late int
	Updated        int // records changed (new versions)
}

// Counts sums the plan's new records per kind and department, and its new
// versions, in the order first met.
func (p RecordPlan) Counts() []IntakeCount {
	var out []IntakeCount
	at := map[[2]string]int{}
	count := func(r RecordRow) *IntakeCount {
		k := [2]string{r.Kind, r.SourceDept}
		j, ok := at[k]
		if !ok {
			j = len(out)
			at[k] = j
			out = append(out, IntakeCount{Kind: r.Kind, Dept: r.SourceDept})
		}
		return &out[j]
	}
	for _, i := range p.Insert {
		r := p.Rows[i]
		c := count(r)
		c.Received++
		if r.Late {
			c.Late++
		}
	}
	for _, v := range p.NewVersion {
		count(p.Rows[v.Row]).Updated++
	}
	return out
}

// DeciderWrite is a record_deciders row for a record of the plan.
type DeciderWrite struct {
	RecordID int64
	DeciderRow
}

// Deciders returns the record_deciders rows the plan writes (records whose
// decider is not their supplier) and the ids of the stored records it
// versions, whose rows are replaced. id maps an index of Insert to the new
// record's id.
func (p RecordPlan) Deciders(id func(j int) int64) (rows []DeciderWrite, versioned []int64) {
	final := map[int64]RecordRow{} // the last content of each record the plan writes
	var order []int64
	set := func(recID int64, r RecordRow) {
		if _, ok := final[recID]; !ok {
			order = append(order, recID)
		}
		final[recID] = r
	}
	for j, i := range p.Insert {
		set(id(j), p.Rows[i])
	}
	for _, v := range p.NewVersion {
		recID := v.ID
		if recID == 0 {
			recID = id(p.InsertAt[v.Row])
		} else if _, ok := final[recID]; !ok {
			versioned = append(versioned, recID)
		}
		set(recID, p.Rows[v.Row])
	}
	for _, recID := range order {
		r := final[recID]
		if r.Decider != "" && r.Decider != r.SourceDept {
			rows = append(rows, DeciderWrite{RecordID: recID, DeciderRow: DeciderRow{Kind: r.Kind, Decider: r.Decider,
				SourceDept: r.SourceDept, DecisionNo: r.DecisionNo, DecisionDate: r.DecisionDate}})
		}
	}
	return rows, versioned
}

// WarningsJSON is how a batch's warnings are stored: a JSON array.
func WarningsJSON(ws []string) string {
	if len(ws) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ws)
	return string(b)
}

// ParseWarnings reads warnings stored by WarningsJSON (none when they
// cannot be read).
func ParseWarnings(s string) []string {
	var ws []string
	if json.Unmarshal([]byte(s), &ws) != nil {
		return nil
	}
	return ws
}
