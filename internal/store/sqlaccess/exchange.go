package sqlaccess

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/store"
)

// The exchange log itself is written by triggers on records (migration
// 00100), so that every path that writes records is logged; here are the
// peers, the reading of the log and the writes the exchange makes besides
// the intake path.

var _ store.ExchangeStore = (*Store)(nil)

const peerColumns = `id, name, title, role, region, url, key_enc, COALESCE(client_id, 0), personal, cursor, remote_head, received, applied,
	sent, conflicts, last_pull, last_sent, last_error, error_at, created_at, cert_sha256`

func (s *Store) scanPeer(row interface{ Scan(...any) error }) (store.Peer, error) {
	var p store.Peer
	var key []byte
	var pull, sent, errAt sql.NullTime
	if err := row.Scan(&p.ID, &p.Name, &p.Title, &p.Role, &p.Region, &p.URL, &key, &p.ClientID, &p.Personal, &p.Cursor, &p.RemoteHead,
		&p.Received, &p.Applied, &p.Sent, &p.Conflicts, &pull, &sent, &p.LastError, &errAt, &p.Created, &p.CertSHA256); err != nil {
		return p, err
	}
	p.LastPull, p.LastSent, p.ErrorAt, p.Created = timeOf(pull), timeOf(sent), timeOf(errAt), p.Created.UTC()
	if len(key) > 0 && s.Keys != nil {
		k, err := s.Keys.Decrypt(key)
		if err != nil {
			return p, fmt.Errorf("peer %s: key: %w", p.Name, err)
		}
		p.Key = k
	}
	return p, nil
}

// PutPeer implements store.ExchangeStore.
func (s *Store) PutPeer(ctx context.Context, p store.Peer) (store.Peer, error) {
	var key []byte
	if p.Key != "" {
		if s.Keys == nil {
			return p, store.ErrNotConfigured
		}
		key = s.Keys.Encrypt(p.Key)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO peers (name, title, role, region, url, key_enc, client_id, personal, created_at, cert_sha256)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (name) DO UPDATE SET title = CASE WHEN excluded.title = '' THEN peers.title ELSE excluded.title END,
				role = excluded.role, region = excluded.region,
				url = CASE WHEN excluded.url = '' THEN peers.url ELSE excluded.url END,
				key_enc = COALESCE(excluded.key_enc, peers.key_enc),
				client_id = COALESCE(excluded.client_id, peers.client_id), personal = excluded.personal,
				cert_sha256 = CASE WHEN excluded.cert_sha256 = '' THEN peers.cert_sha256 ELSE excluded.cert_sha256 END`,
			p.Name, p.Title, p.Role, p.Region, p.URL, key, nullInt(p.ClientID), p.Personal, s.now(), p.CertSHA256)
		return err
	})
	if err != nil {
		return p, s.wrapUnique(err, "对端平台")
	}
	return s.GetPeer(ctx, p.Name)
}

// GetPeer implements store.ExchangeStore.
func (s *Store) GetPeer(ctx context.Context, name string) (store.Peer, error) {
	p, err := s.scanPeer(s.W.QueryRowContext(ctx, `SELECT `+peerColumns+` FROM peers WHERE name = $1`, name))
	return p, notFound(err, "peer "+name)
}

// PeerByClient implements store.ExchangeStore.
func (s *Store) PeerByClient(ctx context.Context, clientID int64) (store.Peer, error) {
	p, err := s.scanPeer(s.R.QueryRowContext(ctx, `SELECT `+peerColumns+` FROM peers WHERE client_id = $1`, clientID))
	return p, notFound(err, fmt.Sprintf("peer of client %d", clientID))
}

// PeerByCert implements store.ExchangeStore.
func (s *Store) PeerByCert(ctx context.Context, sha256 string) (store.Peer, error) {
	if sha256 == "" {
		return store.Peer{}, fmt.Errorf("peer of no certificate: %w", store.ErrNotFound)
	}
	p, err := s.scanPeer(s.R.QueryRowContext(ctx, `SELECT `+peerColumns+` FROM peers WHERE cert_sha256 = $1`, sha256))
	return p, notFound(err, "peer of certificate "+sha256)
}

// ListPeers implements store.ExchangeStore.
func (s *Store) ListPeers(ctx context.Context) ([]store.Peer, error) {
	rows, err := s.W.QueryContext(ctx, `SELECT `+peerColumns+` FROM peers ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Peer
	for rows.Next() {
		p, err := s.scanPeer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// RemovePeer implements store.ExchangeStore.
func (s *Store) RemovePeer(ctx context.Context, name string) error {
	res, err := s.W.ExecContext(ctx, `DELETE FROM peers WHERE name = $1`, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("peer %s: %w", name, store.ErrNotFound)
	}
	return nil
}

// SavePeerProgress implements store.ExchangeStore.
func (s *Store) SavePeerProgress(ctx context.Context, id int64, p store.PeerProgress) error {
	now := s.now()
	var err error
	if p.Error != "" {
		_, err = s.W.ExecContext(ctx, `UPDATE peers SET last_error = $1, error_at = $2 WHERE id = $3`, p.Error, now, id)
	} else {
		_, err = s.W.ExecContext(ctx, `UPDATE peers SET cursor = CASE WHEN cursor > $1 THEN cursor ELSE $1 END, remote_head = $2,
			received = received + $3, applied = applied + $4, conflicts = conflicts + $5, last_pull = $6, last_error = '' WHERE id = $7`,
			p.Cursor, p.RemoteHead, p.Received, p.Applied, p.Conflicts, now, id)
	}
	return err
}

// NoteSent implements store.ExchangeStore.
func (s *Store) NoteSent(ctx context.Context, id int64, n int) error {
	_, err := s.W.ExecContext(ctx, `UPDATE peers SET sent = sent + $1, last_sent = $2 WHERE id = $3`, n, s.now(), id)
	return err
}

// FeedWindow is how many log entries one statement of Feed examines.
const FeedWindow = 20000

// Feed implements store.ExchangeStore. Like ChangesFor it reads the head
// first and examines only entries up to it: the log commits in order, so
// the cursor never passes an entry that could still appear.
func (s *Store) Feed(ctx context.Context, q store.FeedQuery) ([]store.FeedEntry, int64, int64, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	since := max(q.Since, 0)
	var head int64
	if err := s.R.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM exchange_log`).Scan(&head); err != nil {
		return nil, since, 0, err
	}
	var cond []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if q.Region != "" {
		cond = append(cond, fmt.Sprintf("substr(l.region, 1, %d) = %s", len(q.Region), arg(q.Region)))
	}
	if len(q.Kinds) > 0 {
		var in []string
		for _, k := range q.Kinds {
			in = append(in, arg(k))
		}
		cond = append(cond, "l.kind IN ("+strings.Join(in, ", ")+")")
	}
	if q.NotOrigin != "" {
		cond = append(cond, "l.origin NOT IN ("+arg(q.NotOrigin)+", "+arg(store.CopyOrigin(q.NotOrigin))+")")
	}
	from, to, lim := arg(int64(0)), arg(int64(0)), arg(0)
	where := "l.seq > " + from + " AND l.seq <= " + to
	if len(cond) > 0 {
		where += " AND " + strings.Join(cond, " AND ")
	}
	// Subject entries (record_id 0) have no record; a person's carries the
	// encrypted ID number of its subject.
	stmt := `SELECT l.seq, l.record_id, l.version, l.op, l.at, l.origin, l.kind, l.region, l.repaired_on,
		COALESCE(CASE WHEN v.record_id IS NULL THEN r.state ELSE v.state END, ''),
		COALESCE(CASE WHEN v.record_id IS NULL THEN r.state_reason ELSE v.state_reason END, ''),
		CASE WHEN v.record_id IS NULL THEN r.fields ELSE v.fields END,
		CASE WHEN v.record_id IS NULL THEN r.private ELSE v.private END,
		r.received_at, v.received_at, l.subject_id, su.id_enc
		FROM exchange_log l LEFT JOIN records r ON r.id = l.record_id
		LEFT JOIN record_versions v ON v.record_id = l.record_id AND v.version = l.version
		LEFT JOIN subjects su ON su.id = l.subject_id AND l.record_id = 0
		WHERE ` + where + ` ORDER BY l.seq LIMIT ` + lim
	var out []store.FeedEntry
	cur := since
	for cur < head && len(out) < limit {
		end := min(cur+FeedWindow, head)
		args[len(args)-3], args[len(args)-2], args[len(args)-1] = cur, end, limit-len(out)
		page, err := s.feedRows(ctx, stmt, args)
		if err != nil {
			return nil, since, head, err
		}
		out = append(out, page...)
		if len(out) == limit {
			return out, out[len(out)-1].Seq, head, nil
		}
		cur = end
	}
	return out, cur, head, nil
}

func (s *Store) feedRows(ctx context.Context, q string, args []any) ([]store.FeedEntry, error) {
	rows, err := s.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read exchange log: %w", err)
	}
	defer rows.Close()
	var out []store.FeedEntry
	for rows.Next() {
		var e store.FeedEntry
		var fields, priv []byte
		var rAt, vAt sql.NullTime
		var idEnc []byte
		if err := rows.Scan(&e.Seq, &e.RecordID, &e.Version, &e.Op, &e.At, &e.Origin, &e.Kind, &e.Region, &e.RepairedOn,
			&e.State, &e.StateReason, &fields, &priv, &rAt, &vAt, &e.SubjectID, &idEnc); err != nil {
			return nil, err
		}
		e.ReceivedAt = e.At
		if rAt.Valid {
			e.ReceivedAt = rAt.Time
		}
		if vAt.Valid {
			e.ReceivedAt = vAt.Time
		}
		e.At, e.ReceivedAt, e.Fields = e.At.UTC(), e.ReceivedAt.UTC(), fields
		if len(priv) > 0 {
			p, err := s.Keys.Decrypt(priv)
			if err != nil {
				return nil, fmt.Errorf("record %d: %w", e.RecordID, err)
			}
			e.Private = []byte(p)
		}
		if len(idEnc) > 0 {
			// A person's subject entry: its ID number, as a record's
			// personal fields are.
			id, err := s.Keys.Decrypt(idEnc)
			if err != nil {
				return nil, fmt.Errorf("subject %d: %w", e.SubjectID, err)
			}
			if e.Private, err = json.Marshal(map[string]string{"id_number": id}); err != nil {
				return nil, err
			}
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// RecordStamps implements store.ExchangeStore.
func (s *Store) RecordStamps(ctx context.Context, kind string, identities []string) (map[string]store.RecordStamp, error) {
	out := make(map[string]store.RecordStamp, len(identities))
	if len(identities) == 0 {
		return out, nil
	}
	byHash := make(map[string]string, len(identities))
	for _, id := range identities {
		byHash[string(s.Keys.Hash(kind + "\x00" + id)[:16])] = id
	}
	const part = 500
	hashes := make([][]byte, 0, len(byHash))
	for h := range byHash {
		hashes = append(hashes, []byte(h))
	}
	for start := 0; start < len(hashes); start += part {
		chunk := hashes[start:min(start+part, len(hashes))]
		ph := make([]string, len(chunk))
		args := make([]any, len(chunk))
		for i, h := range chunk {
			ph[i], args[i] = fmt.Sprintf("$%d", i+1), h
		}
		rows, err := s.W.QueryContext(ctx, `SELECT r.identity, r.id, l.at, l.op, l.origin FROM records r JOIN exchange_log l ON l.record_id = r.id
			WHERE r.identity IN (`+strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("record stamps: %w", err)
		}
		for rows.Next() {
			var h []byte
			var st store.RecordStamp
			var op, origin string
			if err := rows.Scan(&h, &st.RecordID, &st.At, &op, &origin); err != nil {
				rows.Close()
				return nil, err
			}
			id := byHash[string(h)]
			st.At = st.At.UTC()
			at := st.At
			old, ok := out[id]
			if ok && !st.At.After(old.At) {
				st.At = old.At
			}
			st.Versions = old.Versions
			if op == store.OpVersion {
				st.Versions = append(st.Versions, store.VersionStamp{At: at, Origin: origin})
			}
			out[id] = st
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// HasStamp implements store.ExchangeStore.
func (s *Store) HasStamp(ctx context.Context, recordID int64, at time.Time) (bool, error) {
	rows, err := s.W.QueryContext(ctx, `SELECT at FROM exchange_log WHERE record_id = $1`, recordID)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for rows.Next() {
		var t time.Time
		if err := rows.Scan(&t); err != nil {
			return false, err
		}
		if t.Equal(at) {
			return true, nil
		}
	}
	return false, rows.Err()
}

// ApplyRecordState implements store.ExchangeStore: SetRecordState with
// the peer's stamp, in one transaction with the record's change event.
func (s *Store) ApplyRecordState(ctx context.Context, id int64, state store.RecordState, reason string, at time.Time, origin string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := storedRecordTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO record_versions
			(record_id, version, state, state_reason, content_hash, fields, private, batch_id, received_at, replaced_at)
			SELECT id, version, state, state_reason, content_hash, fields, private, batch_id, received_at, $1 FROM records WHERE id = $2`,
			at.UTC(), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE records SET version = version + 1, state = $1, state_reason = $2, x_at = $3, x_origin = $4
			WHERE id = $5`, string(state), reason, at.UTC(), origin, id); err != nil {
			return err
		}
		if e, ok := old.StateChange(state, s.now()); ok {
			return s.appendEvent(ctx, tx, e)
		}
		return nil
	})
}

// ApplyRepair implements store.ExchangeStore.
func (s *Store) ApplyRepair(ctx context.Context, id int64, repairedOn string, at time.Time, origin string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := storedRecordTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE records SET repaired_on = $1, x_at = $2, x_origin = $3 WHERE id = $4`,
			nullString(repairedOn), at.UTC(), origin, id); err != nil {
			return err
		}
		typ := store.ChangeRepair
		if repairedOn == "" {
			typ = store.ChangeRepairRevoked
		}
		return s.appendEvent(ctx, tx, old.Event(typ, s.now()))
	})
}

func storedRecordTx(ctx context.Context, tx *sql.Tx, id int64) (store.StoredRecord, error) {
	r := store.StoredRecord{ID: id}
	var state string
	var fields []byte
	err := tx.QueryRowContext(ctx, `SELECT r.kind, r.state, r.fields, r.subject_id, COALESCE(s.region, '')
		FROM records r LEFT JOIN subjects s ON s.id = r.subject_id WHERE r.id = $1`, id).Scan(&r.Kind, &state, &fields, &r.SubjectID, &r.Region)
	if err != nil {
		return r, notFound(err, fmt.Sprintf("record %d", id))
	}
	r.State, r.Fields = store.RecordState(state), fields
	return r, nil
}

// appendEvent appends one change event in tx, under the drivers' lock of
// the change feed.
func (s *Store) appendEvent(ctx context.Context, tx *sql.Tx, e store.ChangeEvent) error {
	if s.LockChanges != nil {
		if err := s.LockChanges(ctx, tx); err != nil {
			return fmt.Errorf("lock change feed: %w", err)
		}
	}
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM changes`).Scan(&last); err != nil {
		return fmt.Errorf("read change sequence: %w", err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO changes (seq, at, type, record_id, kind, subject_id, region, list_type)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, last+1, e.At.UTC(), string(e.Type), e.RecordID, e.Kind, e.SubjectID, e.Region, e.ListType)
	if err != nil {
		return fmt.Errorf("append change: %w", err)
	}
	return nil
}

// AddConflict implements store.ExchangeStore.
func (s *Store) AddConflict(ctx context.Context, c store.Conflict) error {
	_, err := s.W.ExecContext(ctx, `INSERT INTO exchange_conflicts (peer, record_id, kind, op, at, held_at, noted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`, c.Peer, c.RecordID, c.Kind, c.Op, c.At.UTC(), c.HeldAt.UTC(), s.now())
	return err
}

// ListConflicts implements store.ExchangeStore.
func (s *Store) ListConflicts(ctx context.Context, limit int) ([]store.Conflict, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT peer, record_id, kind, op, at, held_at, noted_at FROM exchange_conflicts
		ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Conflict
	for rows.Next() {
		var c store.Conflict
		if err := rows.Scan(&c.Peer, &c.RecordID, &c.Kind, &c.Op, &c.At, &c.HeldAt, &c.NotedAt); err != nil {
			return nil, err
		}
		c.At, c.HeldAt, c.NotedAt = c.At.UTC(), c.HeldAt.UTC(), c.NotedAt.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// ExportRecords implements store.RecordExporter.
func (s *Store) ExportRecords(ctx context.Context, kind string, afterID int64, limit int) ([]store.ExportedRecord, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT id, kind, version, state, fields, private, COALESCE(repaired_on, '') FROM records
		WHERE kind = $1 AND id > $2 ORDER BY id LIMIT $3`, kind, afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.ExportedRecord
	for rows.Next() {
		var r store.ExportedRecord
		var priv []byte
		if err := rows.Scan(&r.ID, &r.Kind, &r.Version, &r.State, &r.Fields, &priv, &r.RepairedOn); err != nil {
			return nil, err
		}
		if len(priv) > 0 {
			p, err := s.Keys.Decrypt(priv)
			if err != nil {
				return nil, fmt.Errorf("record %d: %w", r.ID, err)
			}
			r.Private = []byte(p)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// PutSnapshot implements store.SnapshotStore.
func (s *Store) PutSnapshot(ctx context.Context, p store.PublicSnapshot) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM public_snapshots WHERE day = $1`, p.Day); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO public_snapshots (day, records, sha256, body, base_day, added, removed, delta_sha256, delta, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, p.Day, p.Records, p.SHA256, p.Body, p.BaseDay, p.Added, p.Removed,
			p.DeltaSHA256, p.Delta, s.now())
		return err
	})
}

// GetSnapshot implements store.SnapshotStore.
func (s *Store) GetSnapshot(ctx context.Context, day string) (store.PublicSnapshot, error) {
	var p store.PublicSnapshot
	err := s.R.QueryRowContext(ctx, `SELECT day, records, sha256, body, base_day, added, removed, delta_sha256, delta, created_at
		FROM public_snapshots WHERE day = $1`, day).Scan(&p.Day, &p.Records, &p.SHA256, &p.Body, &p.BaseDay, &p.Added, &p.Removed,
		&p.DeltaSHA256, &p.Delta, &p.Created)
	p.Created = p.Created.UTC()
	return p, notFound(err, "snapshot "+day)
}

// ListSnapshots implements store.SnapshotStore.
func (s *Store) ListSnapshots(ctx context.Context) ([]store.PublicSnapshot, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT day, records, sha256, base_day, added, removed, delta_sha256, created_at
		FROM public_snapshots ORDER BY day DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.PublicSnapshot
	for rows.Next() {
		var p store.PublicSnapshot
		if err := rows.Scan(&p.Day, &p.Records, &p.SHA256, &p.BaseDay, &p.Added, &p.Removed, &p.DeltaSHA256, &p.Created); err != nil {
			return nil, err
		}
		p.Created = p.Created.UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}
