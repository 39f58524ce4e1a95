package store

import (
	"context"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
)

// The storage of government-integrity monitoring (政务诚信监测). The rules
// (what is scored, how, who sees what) are package integrity's; the store
// keeps the scope, the monthly runs and scores, feedback and alerts.

// IntegrityScopeEntry is a setting of the monitoring scope on an
// organisation (integrity.ScopeEntry says what it covers).
type IntegrityScopeEntry struct {
	ID      int64
	OrgID   int64
	Cover   string // all, governments, departments
	Depth   string // level, subtree
	Created time.Time
}

// IntegrityRun is the monthly run of a month.
type IntegrityRun struct {
	Month string // YYYY-MM
	State string // RunRunning, RunDone
	// Final: the month had ended when the run started, so AsOf is its end
	// and a run again gives the same result; otherwise the scores are
	// provisional (暂定), as of AsOf.
	Final      bool
	AsOf       time.Time
	Model      string // the scoring model's version
	StartedBy  string // who started it: serve, cli, a principal
	Bodies     int    // bodies scored (set when done)
	StartedAt  time.Time
	FinishedAt time.Time // zero while running
}

// IntegrityScore is a body's score of a month.
type IntegrityScore struct {
	Month     string
	SubjectID int64
	USCC      string
	Name      string
	Region    string
	Group     string // peer group code
	Total     int64  // hundredths of a point
	Rank      int    // within the group (1 best; ties share a rank)
	Peers     int    // bodies in the group
	Detail    []byte // JSON of integrity.Result
}

// IntegrityFeedback is a monitored body's 处理结果 on an event.
type IntegrityFeedback struct {
	ID        int64
	RecordID  int64
	SubjectID int64
	Result    string // 已整改, 正在整改, 情况说明
	Text      string
	Actor     string // Principal.String()
	OrgID     int64
	At        time.Time
}

// IntegrityAlert is a risk alert: a serious bad event about a body.
type IntegrityAlert struct {
	ID        int64
	RecordID  int64
	SubjectID int64
	Item      string
	EventDate string
	At        time.Time
}

// IntegrityTrend is a peer group's scores of a month, summed up.
type IntegrityTrend struct {
	Month    string
	Group    string
	Bodies   int
	Sum      int64 // of the totals, hundredths of a point
	Min, Max int64
}

// IntegrityStore keeps government-integrity monitoring.
type IntegrityStore interface {
	// GovernmentBodies returns every subject of class gov (id, USCC, name,
	// region and when it was filed; without former names), in id order.
	GovernmentBodies(ctx context.Context) ([]credit.Subject, error)

	// IntegrityScope returns the scope's entries, oldest first.
	IntegrityScope(ctx context.Context) ([]IntegrityScopeEntry, error)
	// AddIntegrityScope adds an entry (ErrExists when the organisation
	// has the same one) with its audit entry.
	AddIntegrityScope(ctx context.Context, e IntegrityScopeEntry, audit auth.AuditEntry) (IntegrityScopeEntry, error)
	// RemoveIntegrityScope removes an entry (ErrNotFound) with its audit
	// entry.
	RemoveIntegrityScope(ctx context.Context, id int64, audit auth.AuditEntry) error

	// StartIntegrityRun opens the run of r.Month in one transaction. An
	// unfinished run of the month with the same model and finality is
	// resumed: it is returned as stored (its AsOf, its scores kept) with
	// resumed true. Otherwise (no run, a finished one, or an unfinished
	// one of another model) the month's scores are deleted and r is stored
	// as running.
	StartIntegrityRun(ctx context.Context, r IntegrityRun) (run IntegrityRun, resumed bool, err error)
	// GetIntegrityRun returns the run of a month (ErrNotFound).
	GetIntegrityRun(ctx context.Context, month string) (IntegrityRun, error)
	// IntegrityRuns returns every run, latest month first.
	IntegrityRuns(ctx context.Context) ([]IntegrityRun, error)
	// IntegrityScored returns the subjects whose score of the month is
	// stored.
	IntegrityScored(ctx context.Context, month string) ([]int64, error)
	// PutIntegrityScores stores scores (of one month, in one
	// transaction), replacing any stored for the same subjects.
	PutIntegrityScores(ctx context.Context, scores []IntegrityScore) error
	// FinishIntegrityRun deletes the month's scores of subjects not in
	// keep (bodies that left the scope while a run was interrupted) and
	// marks the run done with bodies = len(keep), in one transaction.
	FinishIntegrityRun(ctx context.Context, month string, keep []int64) error
	// IntegrityScores returns the scores of a month, by group, then rank,
	// then USCC.
	IntegrityScores(ctx context.Context, month string) ([]IntegrityScore, error)
	// IntegrityTrends sums the scores of the months from..to (YYYY-MM,
	// inclusive) per month and group, in month then group order.
	IntegrityTrends(ctx context.Context, from, to string) ([]IntegrityTrend, error)
	// IntegrityHistory returns a subject's scores, oldest month first.
	IntegrityHistory(ctx context.Context, subjectID int64) ([]IntegrityScore, error)

	// AddIntegrityFeedback appends a body's feedback on an event with its
	// audit entry.
	AddIntegrityFeedback(ctx context.Context, f IntegrityFeedback, audit auth.AuditEntry) (IntegrityFeedback, error)
	// IntegrityFeedbackOf returns the feedback on the records, oldest
	// first.
	IntegrityFeedbackOf(ctx context.Context, recordIDs []int64) ([]IntegrityFeedback, error)

	// AddIntegrityAlerts stores alerts, skipping records alerted already,
	// and returns how many were new.
	AddIntegrityAlerts(ctx context.Context, alerts []IntegrityAlert) (int, error)
	// IntegrityAlerts returns alerts, newest first: a subject's, or every
	// subject's when subjectID is 0.
	IntegrityAlerts(ctx context.Context, subjectID int64, limit int) ([]IntegrityAlert, error)
	// SwapIntegrityCursor moves the alerts' cursor on the change feed (the
	// setting integrity.alerts_seq, created by InitSetting) from old to
	// next if it is still old, and reports whether it did.
	SwapIntegrityCursor(ctx context.Context, old, next int64) (bool, error)
	// KindChanges returns, in sequence order after since, up to limit
	// events of the change feed about records of the kinds, and the
	// cursor to resume from (the last sequence number examined, at most
	// the feed's head when the call began: see ChangeStore).
	KindChanges(ctx context.Context, since int64, kinds []string, limit int) ([]ChangeEvent, int64, error)
}
