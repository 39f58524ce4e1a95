-- +goose Up
-- subject_names keeps only former names: the current name is the
-- subject's own (subjects.name), taken on named_at (NULL: when the subject
-- was created). Filing a new subject thus writes one row, not two with
-- three index entries.
ALTER TABLE subjects ADD COLUMN named_at TIMESTAMPTZ;
UPDATE subjects s SET named_at = n.valid_from FROM subject_names n
    WHERE n.subject_id = s.id AND n.valid_to IS NULL AND n.valid_from IS NOT NULL AND n.valid_from <> s.created_at;
DROP INDEX subject_names_current;
DELETE FROM subject_names WHERE valid_to IS NULL;

-- The name-change log: every subject whose names changed (created or
-- renamed; persons never), numbered after the highest by writers that hold
-- the SHARE ROW EXCLUSIVE lock on subjects until they commit, so numbers
-- commit in order. It replaces subject_search.seq, append-only: the
-- in-memory name index follows it, and so does the full-text index, which
-- writers no longer touch: it is brought up to date from the log
-- (store.SyncSearch) by the server, and search_synced says how far. Both
-- were in step until now.
CREATE TABLE name_changes (
    seq        BIGINT PRIMARY KEY,
    subject_id BIGINT NOT NULL
);
INSERT INTO name_changes (seq, subject_id) SELECT seq, subject_id FROM subject_search WHERE seq > 0;
DROP INDEX subject_search_seq;
ALTER TABLE subject_search DROP COLUMN seq;
INSERT INTO settings (name, value) SELECT 'search_synced', coalesce(max(seq), 0)::text FROM name_changes
    ON CONFLICT (name) DO UPDATE SET value = excluded.value;

-- +goose Down
ALTER TABLE subject_search ADD COLUMN seq bigint NOT NULL DEFAULT 0;
UPDATE subject_search s SET seq = c.seq FROM (SELECT subject_id, max(seq) AS seq FROM name_changes GROUP BY subject_id) c
    WHERE c.subject_id = s.subject_id;
CREATE INDEX subject_search_seq ON subject_search (seq);
DROP TABLE name_changes;
DELETE FROM settings WHERE name = 'search_synced';
INSERT INTO subject_names (subject_id, name, valid_from, valid_to) SELECT id, name, coalesce(named_at, created_at), NULL FROM subjects;
CREATE UNIQUE INDEX subject_names_current ON subject_names (subject_id) WHERE valid_to IS NULL;
ALTER TABLE subjects DROP COLUMN named_at;
