package sqlaccess

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
)

var _ store.ReportStore = (*Store)(nil)

const reportColumns = `number, log_index, subject_id, kind, as_of, issued_at, entry, records, grant_id`

func scanReport(row scanner) (store.IssuedReport, error) {
	var r store.IssuedReport
	err := row.Scan(&r.Number, &r.Index, &r.SubjectID, &r.Kind, &r.AsOf, &r.IssuedAt, &r.Entry, &r.Records, &r.GrantID)
	r.IssuedAt = r.IssuedAt.UTC()
	return r, err
}

// reportRows is how many rows one multi-row INSERT of the report log
// holds at most.
const reportRows = 100

// placeholders returns the VALUES list of rows rows of cols columns,
// numbered from 1 ($n), or ? with Positional.
func (s *Store) placeholders(rows, cols int) string {
	var b strings.Builder
	n := 0
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			n++
			if s.Positional {
				b.WriteByte('?')
			} else {
				b.WriteString("$" + strconv.Itoa(n))
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

// AppendReports implements store.ReportStore.
func (s *Store) AppendReports(ctx context.Context, reports []store.IssuedReport, hashes store.ReportHashes, audits []auth.AuditEntry) (int64, error) {
	if len(reports) == 0 {
		return s.ReportLogSize(ctx)
	}
	var size int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if s.LockReports != nil {
			if err := s.LockReports(ctx, tx); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(log_index) + 1, 0) FROM reports`).Scan(&size); err != nil {
			return fmt.Errorf("report log size: %w", err)
		}
		idx, hs, err := hashes(size, func(indexes []int64) ([][]byte, error) { return readHashes(ctx, tx, indexes) })
		if err != nil {
			return err
		}
		if len(idx) != len(hs) {
			return fmt.Errorf("report log: %d indexes, %d hashes", len(idx), len(hs))
		}
		for i := range reports {
			reports[i].Index = size + int64(i)
			reports[i].IssuedAt = reports[i].IssuedAt.UTC().Truncate(1000)
		}
		for start := 0; start < len(reports); start += reportRows {
			chunk := reports[start:min(start+reportRows, len(reports))]
			args := make([]any, 0, 9*len(chunk))
			for _, r := range chunk {
				args = append(args, r.Number, r.Index, r.SubjectID, r.Kind, r.AsOf, r.IssuedAt, r.Entry, r.Records, r.GrantID)
			}
			if _, err := s.txExec(ctx, tx, `INSERT INTO reports (`+reportColumns+`) VALUES `+s.placeholders(len(chunk), 9), args...); err != nil {
				return s.wrapUnique(err, "报告编号")
			}
		}
		for start := 0; start < len(idx); start += reportRows {
			end := min(start+reportRows, len(idx))
			args := make([]any, 0, 2*(end-start))
			for i := start; i < end; i++ {
				args = append(args, idx[i], hs[i])
			}
			if _, err := s.txExec(ctx, tx, `INSERT INTO report_log (idx, hash) VALUES `+s.placeholders(end-start, 2), args...); err != nil {
				return fmt.Errorf("report log hashes: %w", err)
			}
		}
		return s.appendAudits(ctx, tx, audits)
	})
	if err != nil {
		return 0, err
	}
	return size + int64(len(reports)), nil
}

// readHashes reads stored hashes by index, in the order asked.
func readHashes(ctx context.Context, db interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}, indexes []int64) ([][]byte, error) {
	out := make([][]byte, len(indexes))
	if len(indexes) == 0 {
		return out, nil
	}
	pos := make(map[int64][]int, len(indexes))
	var list strings.Builder
	for i, ix := range indexes {
		if _, ok := pos[ix]; !ok {
			if list.Len() > 0 {
				list.WriteByte(',')
			}
			list.WriteString(strconv.FormatInt(ix, 10))
		}
		pos[ix] = append(pos[ix], i)
	}
	// The indexes are integers computed by tlog, written into the text.
	rows, err := db.QueryContext(ctx, `SELECT idx, hash FROM report_log WHERE idx IN (`+list.String()+`)`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var ix int64
		var h []byte
		if err := rows.Scan(&ix, &h); err != nil {
			return nil, err
		}
		for _, i := range pos[ix] {
			out[i] = h
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, h := range out {
		if h == nil {
			return nil, fmt.Errorf("report log hash %d: %w", indexes[i], store.ErrNotFound)
		}
	}
	return out, nil
}

// ReportLogSize implements store.ReportStore.
func (s *Store) ReportLogSize(ctx context.Context) (int64, error) {
	var n int64
	err := s.R.QueryRowContext(ctx, `SELECT COALESCE(MAX(log_index) + 1, 0) FROM reports`).Scan(&n)
	return n, err
}

// ReportLogHashes implements store.ReportStore.
func (s *Store) ReportLogHashes(ctx context.Context, indexes []int64) ([][]byte, error) {
	return readHashes(ctx, s.R, indexes)
}

// GetReport implements store.ReportStore.
func (s *Store) GetReport(ctx context.Context, number string) (store.IssuedReport, error) {
	r, err := scanReport(s.R.QueryRowContext(ctx, `SELECT `+reportColumns+` FROM reports WHERE number = $1`, number))
	return r, notFound(err, "report "+number)
}

// ReportsFrom implements store.ReportStore.
func (s *Store) ReportsFrom(ctx context.Context, from int64, limit int) ([]store.IssuedReport, error) {
	return queryAll(ctx, s.R, `SELECT `+reportColumns+` FROM reports WHERE log_index >= $1 ORDER BY log_index LIMIT $2`,
		scanReport, from, limit)
}

const grantColumns = `id, subject_id, org_id, purpose, valid_until, doc_name, doc_type, doc_sha256, document, created_by, created_at`

func scanGrant(row scanner) (store.ReportGrant, error) {
	var g store.ReportGrant
	err := row.Scan(&g.ID, &g.SubjectID, &g.OrgID, &g.Purpose, &g.ValidUntil, &g.DocName, &g.DocType, &g.DocSHA256, &g.Document,
		&g.CreatedBy, &g.CreatedAt)
	g.CreatedAt = g.CreatedAt.UTC()
	return g, err
}

// AddReportGrant implements store.ReportStore.
func (s *Store) AddReportGrant(ctx context.Context, g store.ReportGrant, audit auth.AuditEntry) (store.ReportGrant, error) {
	g.CreatedAt = s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, _, err := subjectRow(ctx, tx, g.SubjectID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO report_grants (subject_id, org_id, purpose, valid_until, doc_name, doc_type,
				doc_sha256, document, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			g.SubjectID, g.OrgID, g.Purpose, g.ValidUntil, g.DocName, g.DocType, g.DocSHA256, g.Document, g.CreatedBy, g.CreatedAt).Scan(&g.ID); err != nil {
			return err
		}
		audit.Target = fmt.Sprintf("report-grant:%d", g.ID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	if err != nil {
		return store.ReportGrant{}, err
	}
	return g, nil
}

// GetReportGrant implements store.ReportStore.
func (s *Store) GetReportGrant(ctx context.Context, id int64) (store.ReportGrant, error) {
	g, err := scanGrant(s.R.QueryRowContext(ctx, `SELECT `+grantColumns+` FROM report_grants WHERE id = $1`, id))
	return g, notFound(err, fmt.Sprintf("report grant %d", id))
}
