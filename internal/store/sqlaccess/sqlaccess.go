// Package sqlaccess implements store.AccessStore and store.CheckStore once,
// in SQL that SQLite
// and PostgreSQL both speak ($n placeholders, RETURNING, partial indexes),
// over database/sql. The drivers embed it and supply what differs: the
// connections, how a unique violation looks and how appends to the audit
// chain are serialised.
package sqlaccess

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/store"
)

// Store is the shared implementation.
type Store struct {
	W *sql.DB // writes (SQLite: the one writer connection)
	R Reader  // reads
	// WR, when set, runs the reads that must see the writer's own latest
	// writes (a sign-in's failure count, a new session): the PostgreSQL
	// driver's reader that retries a read once on a connection the server
	// ended. Unset: W.
	WR Reader
	// MAC seals audit entries (pii.Keyring.ChainMAC).
	MAC func(prev, entry []byte) []byte
	// Keys encrypts and hashes what the shared tables keep of personal
	// data (returned rows); nil when none is handled.
	Keys *pii.Keyring
	// IsUnique reports whether err is a unique-constraint violation.
	IsUnique func(error) bool
	// LockAudit, when set, is run first in every transaction that appends
	// to the audit trail, so that appends are serialised (PostgreSQL: an
	// advisory transaction lock; SQLite has one writer already).
	LockAudit func(ctx context.Context, tx *sql.Tx) error
	// LockChanges, when set, is run before a change event is appended, so
	// that the feed's numbers are gap-free and commit in order (the
	// drivers' own appends take the same lock: PostgreSQL's advisory lock
	// of the change feed; SQLite has one writer already).
	LockChanges func(ctx context.Context, tx *sql.Tx) error
	// LockReports, when set, is run first in every transaction that
	// appends to the report log, so that its entries are numbered in
	// commit order (PostgreSQL: an advisory transaction lock; SQLite has
	// one writer already).
	LockReports func(ctx context.Context, tx *sql.Tx) error
	Now         func() time.Time
	// Positional makes long multi-row INSERTs use ? placeholders
	// (SQLite) instead of $n (PostgreSQL).
	Positional bool
	// PrepareWrites keeps the statements of the check archive prepared
	// on the writer (SQLite compiles a statement at every use of its text,
	// which cost a fifth of a check's CPU; pgx caches them already), and
	// makes multi-row INSERTs use a few fixed row counts so that their
	// texts repeat.
	PrepareWrites bool

	writeMu     sync.Mutex
	writeStmts  map[string]*sql.Stmt
	writeWanted map[string]bool

	archiveOnce sync.Once
	archive     *archiver // group commit of check archives
}

// Reader runs reads: a *sql.DB, or the SQLite driver's pool that keeps a
// prepared statement per query text (SQLite compiles a statement at every
// query of text, which costs as much as a short read).
type Reader interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

var _ store.AccessStore = (*Store)(nil)

// wr runs reads through the writer (see WR).
func (s *Store) wr() Reader {
	if s.WR != nil {
		return s.WR
	}
	return s.W
}

func (s *Store) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// txStmt returns q prepared for tx: with PrepareWrites, from the
// statements kept prepared on the writer (database/sql reuses the one
// prepared on the transaction's connection); nil otherwise, and the caller
// runs q as text. A statement cannot be prepared on the writer while a
// transaction holds its one connection, so a text not yet prepared is
// noted and prepared by the next prepareWrites, outside a transaction.
func (s *Store) txStmt(ctx context.Context, tx *sql.Tx, q string) *sql.Stmt {
	if !s.PrepareWrites {
		return nil
	}
	s.writeMu.Lock()
	st, ok := s.writeStmts[q]
	if !ok && len(s.writeStmts)+len(s.writeWanted) < maxWriteStmts {
		if s.writeWanted == nil {
			s.writeWanted = map[string]bool{}
		}
		s.writeWanted[q] = true
	}
	s.writeMu.Unlock()
	if st == nil {
		return nil
	}
	return tx.StmtContext(ctx, st)
}

// maxWriteStmts bounds the statements kept prepared on the writer.
const maxWriteStmts = 64

// prepareWrites prepares on the writer the texts txStmt noted; it must be
// called outside a transaction. A text that fails to prepare is left to
// run as text (where its error shows).
func (s *Store) prepareWrites(ctx context.Context) {
	if !s.PrepareWrites {
		return
	}
	s.writeMu.Lock()
	wanted := s.writeWanted
	s.writeWanted = nil
	s.writeMu.Unlock()
	for q := range wanted {
		st, err := s.W.PrepareContext(ctx, q)
		s.writeMu.Lock()
		if s.writeStmts == nil {
			s.writeStmts = map[string]*sql.Stmt{}
		}
		switch {
		case err != nil:
		case s.writeStmts[q] != nil:
			st.Close()
		default:
			s.writeStmts[q] = st
		}
		s.writeMu.Unlock()
	}
}

// txExec runs q in tx, prepared when PrepareWrites.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	if st := s.txStmt(ctx, tx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, q, args...)
}

// txQueryRow runs q in tx, prepared when PrepareWrites.
func (s *Store) txQueryRow(ctx context.Context, tx *sql.Tx, q string, args ...any) *sql.Row {
	if st := s.txStmt(ctx, tx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, q, args...)
}

// WriteStatements is how many statements are kept prepared on the writer.
func (s *Store) WriteStatements() int {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return len(s.writeStmts)
}

// CloseStatements closes the statements kept prepared on the writer;
// the drivers call it before closing the writer.
func (s *Store) CloseStatements() {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	for q, st := range s.writeStmts {
		st.Close()
		delete(s.writeStmts, q)
	}
}

func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *Store) wrapUnique(err error, what string) error {
	if err != nil && s.IsUnique != nil && s.IsUnique(err) {
		return fault.New(fault.Exists, "已存在："+what)
	}
	return err
}

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return err
}

func nullTime(t time.Time) sql.NullTime {
	return sql.NullTime{Time: t.UTC(), Valid: !t.IsZero()}
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
func nullInt(n int64) sql.NullInt64      { return sql.NullInt64{Int64: n, Valid: n != 0} }

func timeOf(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// ---- organisations

const orgColumns = `o.id, COALESCE(o.parent_id, 0), o.kind, o.name, o.region, COALESCE(o.uscc, ''), o.path, o.created_at,
	EXISTS (SELECT 1 FROM orgs a WHERE a.disabled AND substr(o.path, 1, length(a.path)) = a.path)`

func scanOrg(row interface{ Scan(...any) error }) (auth.Org, error) {
	var o auth.Org
	var kind string
	err := row.Scan(&o.ID, &o.ParentID, &kind, &o.Name, &o.Region, &o.USCC, &o.Path, &o.Created, &o.Disabled)
	o.Kind = auth.OrgKind(kind)
	o.Created = o.Created.UTC()
	return o, err
}

// RootOrg implements store.AccessStore.
func (s *Store) RootOrg(ctx context.Context, name string) (auth.Org, error) {
	o, err := scanOrg(s.R.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs o WHERE o.parent_id IS NULL`))
	if !errors.Is(err, sql.ErrNoRows) {
		return o, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO orgs (kind, name, path, created_at) VALUES ('operator', $1, '', $2) RETURNING id`,
			name, s.now()).Scan(&id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE orgs SET path = $1 WHERE id = $2`, (auth.Org{}).ChildPath(id), id)
		return err
	})
	if err != nil && !(s.IsUnique != nil && s.IsUnique(err)) {
		return auth.Org{}, err
	}
	return scanOrg(s.wr().QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs o WHERE o.parent_id IS NULL`))
}

// CreateOrg implements store.AccessStore.
func (s *Store) CreateOrg(ctx context.Context, o auth.Org, audit auth.AuditEntry) (auth.Org, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		parent, err := scanOrg(tx.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs o WHERE o.id = $1`, o.ParentID))
		if err != nil {
			return notFound(err, "parent organisation")
		}
		if err := auth.ValidateChild(parent, o); err != nil {
			return fault.Wrap(fault.Invalid, err, err.Error())
		}
		if o.Kind == auth.Dept && o.Region == "" {
			o.Region = parent.Region
		}
		o.Created = s.now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO orgs (parent_id, kind, name, region, uscc, path, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			o.ParentID, string(o.Kind), o.Name, o.Region, nullString(o.USCC), fmt.Sprintf("new:%d", time.Now().UnixNano()), o.Created).Scan(&o.ID); err != nil {
			return s.wrapUnique(err, "部门统一社会信用代码"+o.USCC)
		}
		o.Path = parent.ChildPath(o.ID)
		o.Disabled = parent.Disabled
		if _, err := tx.ExecContext(ctx, `UPDATE orgs SET path = $1 WHERE id = $2`, o.Path, o.ID); err != nil {
			return err
		}
		audit.Target = fmt.Sprintf("org:%d", o.ID)
		return s.appendAudit(ctx, tx, &audit)
	})
	return o, err
}

// SetOrgDisabled implements store.AccessStore.
func (s *Store) SetOrgDisabled(ctx context.Context, id int64, disabled bool, audit auth.AuditEntry) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE orgs SET disabled = $1 WHERE id = $2 AND parent_id IS NOT NULL`, disabled, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("organisation %d: %w", id, store.ErrNotFound)
		}
		audit.Target = fmt.Sprintf("org:%d", id)
		return s.appendAudit(ctx, tx, &audit)
	})
}

// GetOrg implements store.AccessStore. Disabled is true when the
// organisation or one above it is disabled.
func (s *Store) GetOrg(ctx context.Context, id int64) (auth.Org, error) {
	o, err := scanOrg(s.R.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs o WHERE o.id = $1`, id))
	return o, notFound(err, fmt.Sprintf("organisation %d", id))
}

// FindOrgByUSCC implements store.AccessStore.
func (s *Store) FindOrgByUSCC(ctx context.Context, uscc string) (auth.Org, error) {
	o, err := scanOrg(s.R.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs o WHERE o.uscc = $1`, uscc))
	return o, notFound(err, "department "+uscc)
}

// ListOrgs implements store.AccessStore.
func (s *Store) ListOrgs(ctx context.Context, under string) ([]auth.Org, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT `+orgColumns+` FROM orgs o WHERE o.path LIKE $1 || '%' ORDER BY o.path`, under)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []auth.Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// ---- users

const userColumns = `u.id, u.login, u.name, COALESCE(u.org_id, 0), u.roles, COALESCE(u.subject_id, 0), u.password_hash, u.totp_enc,
	COALESCE(u.oidc_subject, ''), u.failed, u.locked_until, u.disabled, u.created_at, u.password_set_at`

func scanUser(row interface{ Scan(...any) error }) (auth.User, error) {
	var u auth.User
	var roles string
	var locked, pwSet sql.NullTime
	err := row.Scan(&u.ID, &u.Login, &u.Name, &u.OrgID, &roles, &u.SubjectID, &u.PasswordHash, &u.TOTPEnc,
		&u.OIDCSubject, &u.Failed, &locked, &u.Disabled, &u.Created, &pwSet)
	if roles != "" {
		u.Roles = strings.Split(roles, ",")
	}
	u.LockedUntil, u.PasswordSet, u.Created = timeOf(locked), timeOf(pwSet), u.Created.UTC()
	return u, err
}

// CreateUser implements store.AccessStore.
func (s *Store) CreateUser(ctx context.Context, u auth.User, audit auth.AuditEntry) (auth.User, error) {
	u.Created = s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO users (login, name, org_id, roles, subject_id, password_hash, totp_enc,
			oidc_subject, disabled, created_at, password_set_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			u.Login, u.Name, nullInt(u.OrgID), strings.Join(u.Roles, ","), nullInt(u.SubjectID), u.PasswordHash, u.TOTPEnc,
			nullString(u.OIDCSubject), u.Disabled, u.Created, nullTime(u.PasswordSet)).Scan(&u.ID); err != nil {
			return s.wrapUnique(err, "登录名"+u.Login)
		}
		audit.Target = fmt.Sprintf("user:%d", u.ID)
		return s.appendAudit(ctx, tx, &audit)
	})
	return u, err
}

// UpdateUser implements store.AccessStore.
func (s *Store) UpdateUser(ctx context.Context, u auth.User, audit *auth.AuditEntry) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET name = $1, org_id = $2, roles = $3, subject_id = $4, password_hash = $5,
			totp_enc = $6, oidc_subject = $7, failed = $8, locked_until = $9, disabled = $10, password_set_at = $11 WHERE id = $12`,
			u.Name, nullInt(u.OrgID), strings.Join(u.Roles, ","), nullInt(u.SubjectID), u.PasswordHash, u.TOTPEnc,
			nullString(u.OIDCSubject), u.Failed, nullTime(u.LockedUntil), u.Disabled, nullTime(u.PasswordSet), u.ID)
		if err != nil {
			return s.wrapUnique(err, "统一身份认证账号")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("user %d: %w", u.ID, store.ErrNotFound)
		}
		if audit == nil {
			return nil
		}
		audit.Target = fmt.Sprintf("user:%d", u.ID)
		return s.appendAudit(ctx, tx, audit)
	})
}

// UseTOTPStep implements store.AccessStore.
func (s *Store) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	res, err := s.W.ExecContext(ctx, `UPDATE users SET totp_step = $1 WHERE id = $2 AND totp_step < $1`, step, userID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *Store) getUser(ctx context.Context, where string, arg any, what string) (auth.User, error) {
	u, err := scanUser(s.wr().QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE `+where, arg))
	return u, notFound(err, what)
}

// GetUser implements store.AccessStore. Users are read through the
// writer so that a sign-in sees its own failure count at once.
func (s *Store) GetUser(ctx context.Context, id int64) (auth.User, error) {
	return s.getUser(ctx, "u.id = $1", id, fmt.Sprintf("user %d", id))
}

// GetUserByLogin implements store.AccessStore.
func (s *Store) GetUserByLogin(ctx context.Context, login string) (auth.User, error) {
	return s.getUser(ctx, "u.login = $1", login, "user "+login)
}

// GetUserByOIDC implements store.AccessStore.
func (s *Store) GetUserByOIDC(ctx context.Context, subject string) (auth.User, error) {
	return s.getUser(ctx, "u.oidc_subject = $1", subject, "统一身份认证账号")
}

// ListUsers implements store.AccessStore.
func (s *Store) ListUsers(ctx context.Context, under string) ([]auth.User, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT `+userColumns+` FROM users u LEFT JOIN orgs o ON o.id = u.org_id
		WHERE (o.id IS NOT NULL AND o.path LIKE $1 || '%')
		   OR (u.org_id IS NULL AND ($1 = '' OR $1 = (SELECT path FROM orgs WHERE parent_id IS NULL)))
		ORDER BY u.login`, under)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []auth.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// ---- sessions

// CreateSession implements store.AccessStore.
func (s *Store) CreateSession(ctx context.Context, ss auth.Session) error {
	_, err := s.W.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf, pending, created_at, last_seen, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, ss.TokenHash, ss.UserID, ss.CSRF, ss.Pending, ss.Created.UTC(), ss.LastSeen.UTC(), ss.Expires.UTC())
	return err
}

// GetSession implements store.AccessStore.
func (s *Store) GetSession(ctx context.Context, tokenHash []byte) (auth.Session, error) {
	var ss auth.Session
	err := s.R.QueryRowContext(ctx, `SELECT token_hash, user_id, csrf, pending, created_at, last_seen, expires_at FROM sessions WHERE token_hash = $1`,
		tokenHash).Scan(&ss.TokenHash, &ss.UserID, &ss.CSRF, &ss.Pending, &ss.Created, &ss.LastSeen, &ss.Expires)
	ss.Created, ss.LastSeen, ss.Expires = ss.Created.UTC(), ss.LastSeen.UTC(), ss.Expires.UTC()
	return ss, notFound(err, "session")
}

// UpdateSession implements store.AccessStore.
func (s *Store) UpdateSession(ctx context.Context, ss auth.Session) error {
	_, err := s.W.ExecContext(ctx, `UPDATE sessions SET last_seen = $1, pending = $2, csrf = $3 WHERE token_hash = $4`,
		ss.LastSeen.UTC(), ss.Pending, ss.CSRF, ss.TokenHash)
	return err
}

// DeleteSession implements store.AccessStore; it also drops every expired
// session, so that the table does not grow.
func (s *Store) DeleteSession(ctx context.Context, tokenHash []byte) error {
	_, err := s.W.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1 OR expires_at < $2`, tokenHash, s.now())
	return err
}

// DeleteUserSessions implements store.AccessStore.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) error {
	_, err := s.W.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	return err
}

// ---- API clients

const clientColumns = `id, org_id, name, scopes, prefix, secret_sum, created_at, rotated_at, revoked, last_used`

func scanClient(row interface{ Scan(...any) error }) (auth.APIClient, error) {
	var c auth.APIClient
	var scopes string
	var rotated, used sql.NullTime
	err := row.Scan(&c.ID, &c.OrgID, &c.Name, &scopes, &c.Prefix, &c.SecretSum, &c.Created, &rotated, &c.Revoked, &used)
	if scopes != "" {
		c.Scopes = strings.Split(scopes, " ")
	}
	c.Created, c.Rotated, c.LastUsed = c.Created.UTC(), timeOf(rotated), timeOf(used)
	return c, err
}

// CreateClient implements store.AccessStore.
func (s *Store) CreateClient(ctx context.Context, c auth.APIClient, audit auth.AuditEntry) (auth.APIClient, error) {
	c.Created = s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO api_clients (org_id, name, scopes, prefix, secret_sum, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, c.OrgID, c.Name, strings.Join(c.Scopes, " "), c.Prefix, c.SecretSum, c.Created).Scan(&c.ID); err != nil {
			return s.wrapUnique(err, "接口密钥前缀")
		}
		audit.Target = fmt.Sprintf("client:%d", c.ID)
		return s.appendAudit(ctx, tx, &audit)
	})
	return c, err
}

// UpdateClient implements store.AccessStore.
func (s *Store) UpdateClient(ctx context.Context, c auth.APIClient, audit auth.AuditEntry) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_clients SET name = $1, scopes = $2, prefix = $3, secret_sum = $4, rotated_at = $5, revoked = $6
			WHERE id = $7`, c.Name, strings.Join(c.Scopes, " "), c.Prefix, c.SecretSum, nullTime(c.Rotated), c.Revoked, c.ID)
		if err != nil {
			return s.wrapUnique(err, "接口密钥前缀")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("API client %d: %w", c.ID, store.ErrNotFound)
		}
		audit.Target = fmt.Sprintf("client:%d", c.ID)
		return s.appendAudit(ctx, tx, &audit)
	})
}

// TouchClient implements store.AccessStore.
func (s *Store) TouchClient(ctx context.Context, id int64) error {
	_, err := s.W.ExecContext(ctx, `UPDATE api_clients SET last_used = $1 WHERE id = $2`, s.now(), id)
	return err
}

// GetClient implements store.AccessStore.
func (s *Store) GetClient(ctx context.Context, id int64) (auth.APIClient, error) {
	c, err := scanClient(s.wr().QueryRowContext(ctx, `SELECT `+clientColumns+` FROM api_clients WHERE id = $1`, id))
	return c, notFound(err, fmt.Sprintf("API client %d", id))
}

// GetClientByPrefix implements store.AccessStore.
func (s *Store) GetClientByPrefix(ctx context.Context, prefix string) (auth.APIClient, error) {
	// Every API request reads its key: from the reader pool, not behind
	// the writer's transactions (a revoked or rotated key has committed
	// before the call that changed it returned, so readers see it).
	c, err := scanClient(s.R.QueryRowContext(ctx, `SELECT `+clientColumns+` FROM api_clients WHERE prefix = $1`, prefix))
	return c, notFound(err, "API key")
}

// ListClients implements store.AccessStore.
func (s *Store) ListClients(ctx context.Context, under string) ([]auth.APIClient, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT `+clientColumns+` FROM api_clients WHERE org_id IN
		(SELECT id FROM orgs WHERE path LIKE $1 || '%') ORDER BY id`, under)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []auth.APIClient
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ---- audit trail

// Audit implements store.AccessStore.
func (s *Store) Audit(ctx context.Context, e auth.AuditEntry) (auth.AuditEntry, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error { return s.appendAudit(ctx, tx, &e) })
	return e, err
}

// appendAudit seals e after the last entry and inserts it, inside tx.
func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, e *auth.AuditEntry) error {
	entries := []auth.AuditEntry{*e}
	if err := s.appendAudits(ctx, tx, entries); err != nil {
		return err
	}
	*e = entries[0]
	return nil
}

const auditColumns = `seq, at, actor, org_id, action, target, subject_id, purpose, outcome, detail, prev, hash`

func scanAudit(row interface{ Scan(...any) error }) (auth.AuditEntry, error) {
	var e auth.AuditEntry
	err := row.Scan(&e.Seq, &e.At, &e.Actor, &e.OrgID, &e.Action, &e.Target, &e.SubjectID, &e.Purpose, &e.Outcome, &e.Detail, &e.Prev, &e.Hash)
	e.At = e.At.UTC()
	return e, err
}

// ListAudit implements store.AccessStore.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]auth.AuditEntry, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.SubjectID != 0 {
		where = append(where, "subject_id = "+arg(f.SubjectID))
	}
	if f.OrgPath != "" {
		where = append(where, "org_id IN (SELECT id FROM orgs WHERE path LIKE "+arg(f.OrgPath)+" || '%')")
	}
	if len(f.Actions) > 0 {
		var in []string
		for _, a := range f.Actions {
			in = append(in, arg(a))
		}
		where = append(where, "action IN ("+strings.Join(in, ", ")+")")
	}
	if f.Before > 0 {
		where = append(where, "seq < "+arg(f.Before))
	}
	q := `SELECT ` + auditColumns + ` FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	q += " ORDER BY seq DESC LIMIT " + arg(limit)
	rows, err := s.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []auth.AuditEntry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ScanAudit implements store.AccessStore, in pages so that a long trail is
// not held in memory.
func (s *Store) ScanAudit(ctx context.Context, fn func(auth.AuditEntry) error) error {
	var after int64
	for {
		rows, err := s.R.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 5000`, after)
		if err != nil {
			return err
		}
		n := 0
		for rows.Next() {
			e, err := scanAudit(rows)
			if err != nil {
				rows.Close()
				return err
			}
			if err := fn(e); err != nil {
				rows.Close()
				return err
			}
			after = e.Seq
			n++
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
}
