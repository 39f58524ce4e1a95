package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
)

// ChangeType is what a change event reports.
type ChangeType string

const (
	// ChangeListEntry: a list entry was filed, or came back in force (an
	// exit date withdrawn, a revoked entry restored).
	ChangeListEntry ChangeType = "list_entry"
	// ChangeListExit: an entry in force was re-sent with an exit date, or
	// revoked.
	ChangeListExit ChangeType = "list_exit"
	// ChangeBadRecord: a new bad record (a penalty, a bad integrity
	// event: catalog.Record.Nature), other than a list entry.
	ChangeBadRecord ChangeType = "bad_record"
	// ChangeRepair: a record was repaired (信用修复); appended by the repair
	// workflow through AppendRepair.
	ChangeRepair ChangeType = "repair"
	// ChangeRepairRevoked: a repair was revoked after a failed re-check
	// (抽查复核不通过): the record is public and shared again.
	ChangeRepairRevoked ChangeType = "repair_revoked"
)

// ListKinds are the catalogue kinds whose records are list entries
// (internal/lists: sx 失信名单 and hm 守信激励名单). The lists catalogue is
// built in and can only name these kinds; a test in internal/web keeps
// the two in step.
var ListKinds = []string{"sx", "hm"}

// IsListKind reports whether records of kind are list entries.
func IsListKind(kind string) bool { return slices.Contains(ListKinds, kind) }

// ListFields are the fields of a list entry that change events need.
type ListFields struct {
	ListType string `json:"list_type"`
	ExitDate string `json:"exit_date"`
}

// ListFieldsOf reads the list fields of a record's public fields (zero
// when they cannot be decoded).
func ListFieldsOf(fields []byte) ListFields {
	m, _ := DecodeFields(fields)
	return ListFields{ListType: m["list_type"], ExitDate: m["exit_date"]}
}

// Listed reports whether a record of kind, in state, with these public
// fields is a list entry in force for the change feed: of a list kind, not
// revoked, with no exit date. (The end of an entry's period, valid_to, is
// a date anyone can read off the entry, not an event.)
func Listed(kind string, state RecordState, fields []byte) bool {
	return IsListKind(kind) && state != StateRevoked && ListFieldsOf(fields).ExitDate == ""
}

// ListChange is the event a change of a list entry's standing raises:
// ok is false when it did not change.
func ListChange(before, after bool) (ChangeType, bool) {
	switch {
	case !before && after:
		return ChangeListEntry, true
	case before && !after:
		return ChangeListExit, true
	}
	return "", false
}

// PlannedChange is a change event a put of records appends, in the order
// of the plan. ID is the record's id, 0 for a record inserted by the same
// put (RecordPlan.InsertAt maps Row to it).
type PlannedChange struct {
	Row      int
	ID       int64
	Type     ChangeType
	ListType string
}

// planChanges appends the change event of row i of a put, if any: id is
// the record's (0 when inserted by the put), created says the put
// inserted it, before and after whether it was and is a list entry in
// force (before is false for a new record: a new entry sent already
// exited was never in force here, and raises nothing).
func planChanges(p *RecordPlan, i int, id int64, created, before, after bool) {
	r := p.Rows[i]
	if IsListKind(r.Kind) {
		if t, ok := ListChange(before, after); ok {
			p.Changes = append(p.Changes, PlannedChange{Row: i, ID: id, Type: t, ListType: ListFieldsOf(r.Fields).ListType})
		}
		return
	}
	if created && r.Bad {
		p.Changes = append(p.Changes, PlannedChange{Row: i, ID: id, Type: ChangeBadRecord})
	}
}

// ListKindsSQL is ListKinds as an SQL list: "('sx', 'hm')".
func ListKindsSQL() string {
	q := make([]string, len(ListKinds))
	for i, k := range ListKinds {
		q[i] = "'" + k + "'"
	}
	return "(" + strings.Join(q, ", ") + ")"
}

// Events turns the plan's changes into events at now, for a driver to
// append: insertedID(j) is the id of the j-th record the put inserted,
// and subject(key) the id and region of the subject with a natural key.
func (p RecordPlan) Events(now time.Time, insertedID func(j int) int64, subject func(key string) (int64, string)) []ChangeEvent {
	if len(p.Changes) == 0 {
		return nil
	}
	out := make([]ChangeEvent, len(p.Changes))
	for i, c := range p.Changes {
		r := p.Rows[c.Row]
		id := c.ID
		if id == 0 {
			id = insertedID(p.InsertAt[c.Row])
		}
		sid, region := subject(r.SubjectKey)
		out[i] = ChangeEvent{At: now, Type: c.Type, RecordID: id, Kind: r.Kind, SubjectID: sid, Region: region, ListType: c.ListType}
	}
	return out
}

// StoredRecord is what a driver reads of a stored record to write its
// change events: its kind, state, public fields and subject.
type StoredRecord struct {
	ID        int64
	Kind      string
	State     RecordState
	Fields    []byte
	SubjectID int64
	Region    string // the subject's
}

// StateChange is the event of setting r's state to state at now; ok is
// false when the change raises none (only list entries' standing does).
func (r StoredRecord) StateChange(state RecordState, now time.Time) (ChangeEvent, bool) {
	t, ok := ListChange(Listed(r.Kind, r.State, r.Fields), Listed(r.Kind, state, r.Fields))
	if !ok {
		return ChangeEvent{}, false
	}
	return r.Event(t, now), true
}

// Event is an event of type t about r at now.
func (r StoredRecord) Event(t ChangeType, now time.Time) ChangeEvent {
	e := ChangeEvent{At: now, Type: t, RecordID: r.ID, Kind: r.Kind, SubjectID: r.SubjectID, Region: r.Region}
	if IsListKind(r.Kind) {
		e.ListType = ListFieldsOf(r.Fields).ListType
	}
	return e
}

// ChangeEvent is one event of the change feed.
type ChangeEvent struct {
	Seq       int64 // the feed's cursor: gap-free, in commit order
	At        time.Time
	Type      ChangeType
	RecordID  int64
	Kind      string
	SubjectID int64
	Region    string // the subject's region when the event was written
	ListType  string // the list type's name, for list events
	// GradeFrom and GradeTo are a grade event's grades (ChangeGrade).
	GradeFrom, GradeTo string

	// Set by ChangesFor: the subject as it is now (without former names)
	// and the record's decision number.
	Subject    credit.Subject
	DecisionNo string
}

// Watch is an organisation's subscription to a subject or to every
// subject of a region (its code starts with Region).
type Watch struct {
	ID        int64
	OrgID     int64
	SubjectID int64  // 0 for a region
	Region    string // "" for a subject; else 2 to 6 digits
	Created   time.Time
	// Subject is set by ListWatches for a subject watch (without former
	// names).
	Subject credit.Subject
}

// Validate checks that w names one target: a subject, or a region prefix
// of 2 to 6 digits.
func (w Watch) Validate() error {
	if w.OrgID <= 0 {
		return fmt.Errorf("%w: watch without an organisation", ErrInvalid)
	}
	if (w.SubjectID != 0) == (w.Region != "") {
		return fault.New(fault.Invalid, "订阅对象应为一个主体或一个行政区划")
	}
	if w.SubjectID < 0 {
		return fault.New(fault.Invalid, "主体编号不合法")
	}
	if w.SubjectID == 0 && !validRegionPrefix(w.Region) {
		return fault.New(fault.Invalid, "行政区划代码应为2至6位数字")
	}
	return nil
}

func validRegionPrefix(s string) bool {
	if len(s) < 2 || len(s) > 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Feed limits.
const (
	DefaultChangesLimit = 100
	MaxChangesLimit     = 1000
	// ChangesWindow is how many events one statement of ChangesFor
	// examines (a range of the sequence), and ChangesScanMax how many one
	// call examines at most: a call over millions of events that match
	// nothing returns early, with a cursor that has advanced.
	ChangesWindow  = 5000
	ChangesScanMax = 100000
)

// ChangesLimit is limit within 1..MaxChangesLimit, DefaultChangesLimit
// when not positive.
func ChangesLimit(limit int) int {
	if limit <= 0 {
		return DefaultChangesLimit
	}
	return min(limit, MaxChangesLimit)
}

// ChangeStore keeps the change feed and the organisations' watches.
//
// Events are appended in the transaction that writes the record (intake,
// SetRecordState), so a record and its event are stored together or not
// at all. Their sequence is gap-free and commits in order: a reader that
// has seen event n has seen every event before it, so a cursor never
// skips an event that commits later.
type ChangeStore interface {
	// AddWatches adds watches (each valid by Watch.Validate) and returns
	// how many were new: a watch the organisation has already is skipped.
	AddWatches(ctx context.Context, ws []Watch) (int, error)
	// RemoveWatch removes an organisation's watch (ErrNotFound when it has
	// none with this id).
	RemoveWatch(ctx context.Context, orgID, id int64) error
	// ListWatches returns an organisation's watches, oldest first.
	ListWatches(ctx context.Context, orgID int64) ([]Watch, error)
	// ChangesFor returns, in sequence order after since, up to limit
	// (ChangesLimit) events about the organisation's watched subjects and
	// regions, and the cursor to resume from: the last sequence number
	// examined, which advances even when nothing matched.
	ChangesFor(ctx context.Context, orgID, since int64, limit int) ([]ChangeEvent, int64, error)
	// AppendRepair appends a repair event for a record (for the repair
	// workflow) and returns it.
	AppendRepair(ctx context.Context, recordID int64) (ChangeEvent, error)
}
