package store

import (
	"context"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
)

// Report kinds (IssuedReport.Kind).
const (
	ReportOrg    = "org"    // 法人和非法人组织公共信用信息报告 (also sole traders and government bodies)
	ReportPerson = "person" // 个人公共信用信息报告
)

// IssuedReport is a credit report the platform issued, as its log keeps
// it. The rules (what the entry says, how the tree is hashed) are package
// report's; the store keeps the rows.
type IssuedReport struct {
	Number    string // 报告编号, unique
	Index     int64  // position in the log, from 0 (set by AppendReports)
	SubjectID int64
	Kind      string // ReportOrg or ReportPerson
	AsOf      string // the day whose public data it shows, YYYY-MM-DD
	IssuedAt  time.Time
	// Entry is the log entry: the text the leaf's record hash covers and
	// the platform signed.
	Entry []byte
	// Records is what the report showed, for telling later whether it
	// changed (package report's JSON).
	Records []byte
	// GrantID is the written authorisation a person's report was issued
	// under (0: none; the person's own or an organisation's report).
	GrantID int64
}

// ReportHashes plans the tree hashes an append stores: given the log's
// size before the append and a reader of stored hashes (by storage index),
// it returns the storage indexes and hashes to add for the new entries.
type ReportHashes func(size int64, read func(indexes []int64) ([][]byte, error)) (indexes []int64, hashes [][]byte, err error)

// ReportGrant is a person's written authorisation (书面授权) for an
// organisation to obtain the person's credit report.
type ReportGrant struct {
	ID         int64
	SubjectID  int64  // the person
	OrgID      int64  // the organisation authorised
	Purpose    string // 查询用途
	ValidUntil string // last day it may be used, YYYY-MM-DD
	DocName    string // the signed document's file name
	DocType    string // its content type (package attach)
	DocSHA256  string // hex SHA-256 of the document
	Document   []byte // sealed with the data key
	CreatedBy  string // the principal who recorded it
	CreatedAt  time.Time
}

// ReportStore keeps issued credit reports, their Merkle log and the
// written authorisations persons' reports are issued under. Reports and
// log hashes are append-only.
type ReportStore interface {
	// AppendReports appends reports to the log in one transaction, in
	// order, under the log's lock: it reads the log's size n, numbers the
	// reports n, n+1, …, asks hashes for the tree hashes to store, and
	// stores the reports, the hashes and the audit entries (a person's
	// report is audited with its issue). It returns the log's new size. A
	// number issued before fails the whole append with ErrExists.
	AppendReports(ctx context.Context, reports []IssuedReport, hashes ReportHashes, audits []auth.AuditEntry) (int64, error)
	// ReportLogSize returns how many reports the log holds.
	ReportLogSize(ctx context.Context) (int64, error)
	// ReportLogHashes returns the stored hashes at the given storage
	// indexes, in that order (ErrNotFound when one is missing).
	ReportLogHashes(ctx context.Context, indexes []int64) ([][]byte, error)
	// GetReport returns an issued report by number (ErrNotFound).
	GetReport(ctx context.Context, number string) (IssuedReport, error)
	// ReportsFrom returns up to limit reports from log index from, in
	// log order.
	ReportsFrom(ctx context.Context, from int64, limit int) ([]IssuedReport, error)
	// AddReportGrant stores a written authorisation with its audit entry
	// and returns it with ID and CreatedAt set.
	AddReportGrant(ctx context.Context, g ReportGrant, audit auth.AuditEntry) (ReportGrant, error)
	// GetReportGrant returns an authorisation by id (ErrNotFound).
	GetReportGrant(ctx context.Context, id int64) (ReportGrant, error)
}
