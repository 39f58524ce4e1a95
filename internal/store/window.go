package store

import (
	"context"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
)

// WindowStore serves the public window (issue 21): the commitment
// column's count, complaints (投诉举报) and the articles of the public
// columns. Every change is written with its audit entry in one
// transaction.
type WindowStore interface {
	// CountCommitments counts the commitments f selects (Limit and
	// Offset ignored), for a column's total.
	CountCommitments(ctx context.Context, f CommitmentFilter) (int, error)

	// AddComplaint stores a new complaint with its evidence (ID, Rev 1 and
	// the times set on the returned row).
	AddComplaint(ctx context.Context, c ComplaintRow, files []CaseFile, audit auth.AuditEntry) (ComplaintRow, error)
	// UpdateComplaint stores c if the stored Rev is still c.Rev
	// (ErrConflict otherwise) and returns it with Rev incremented.
	UpdateComplaint(ctx context.Context, c ComplaintRow, audit auth.AuditEntry) (ComplaintRow, error)
	// GetComplaint returns a complaint by id with its files, without
	// their data (ErrNotFound).
	GetComplaint(ctx context.Context, id int64) (ComplaintRow, error)
	// ComplaintFile returns an evidence file with its data (ErrNotFound).
	ComplaintFile(ctx context.Context, id int64) (CaseFile, error)
	// ListComplaints returns the complaints f selects, by due day (none
	// last), then id.
	ListComplaints(ctx context.Context, f ComplaintFilter) ([]ComplaintRow, error)
	// ComplaintCounts counts complaints by state, outcome and timeliness.
	ComplaintCounts(ctx context.Context) ([]ComplaintCount, error)

	// AddArticle stores a new article with its files; UpdateArticle
	// changes its text and adds files to it if Rev matches (ErrConflict
	// otherwise), in one transaction.
	AddArticle(ctx context.Context, a Article, files []CaseFile, audit auth.AuditEntry) (Article, error)
	UpdateArticle(ctx context.Context, a Article, files []CaseFile, audit auth.AuditEntry) (Article, error)
	// GetArticle returns an article with its files (no data) and, for a
	// campaign, its subjects (ErrNotFound).
	GetArticle(ctx context.Context, id int64) (Article, error)
	// ListArticles returns a column's articles f selects, newest first,
	// and how many there are in all.
	ListArticles(ctx context.Context, f ArticleFilter) ([]Article, int, error)
	// ArticleFile returns an attachment with its data (ErrNotFound).
	ArticleFile(ctx context.Context, id int64) (CaseFile, error)
	// SetCampaignSubject lists subject under campaign id with note (an
	// empty note removes it).
	SetCampaignSubject(ctx context.Context, id, subjectID int64, note string, audit auth.AuditEntry) error
}

// ComplaintRow is a complaint as stored; the case itself (what, when,
// timers, history, answer) is package complaint's, kept as Body (JSON).
type ComplaintRow struct {
	ID          int64
	SubjectID   int64  // the subject on the platform (0: not identified)
	SubjectName string // as the informant named it
	SubjectCode string // its code when given
	Dept        string // USCC of the competent department; "" until routed
	State       string
	Outcome     string // "" until answered
	Timeliness  string // "" until answered; on_time or late
	Anonymous   bool
	Informant   []byte // name and contact, encrypted with the data key (nil: anonymous)
	FiledAt     time.Time
	UpdatedAt   time.Time
	DueOn       string // due day of the step the case waits on; "" when none
	Body        []byte
	Rev         int
	Files       []CaseFile // set by GetComplaint
}

// ComplaintFilter selects complaints; zero fields select all.
type ComplaintFilter struct {
	Dept   string
	States []string
	Limit  int // 0: 500
}

// ComplaintCount is the number of complaints in a state, outcome and
// timeliness.
type ComplaintCount struct {
	State, Outcome, Timeliness string
	Count                      int
}

// Article is an article of a public column: 政策法规 (policy), 信用动态
// (news) or a 专项治理 campaign (campaign).
type Article struct {
	ID          int64
	Column      string
	Title       string
	Body        string // plain text
	Source      string // 来源
	PublishedOn string // YYYY-MM-DD
	Author      string // the editor's principal
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Rev         int
	Files       []CaseFile        // set by GetArticle
	Subjects    []CampaignSubject // set by GetArticle for a campaign
}

// CampaignSubject is a subject listed under a campaign.
type CampaignSubject struct {
	SubjectID int64
	Name      string
	Code      string // USCC when it has one
	Note      string
}

// ArticleFilter selects a column's articles.
type ArticleFilter struct {
	Column   string
	Query    string // part of the title
	From, To string // published between, YYYY-MM-DD
	Offset   int
	Limit    int // 0: 20
}
