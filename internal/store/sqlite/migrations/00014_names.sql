-- +goose Up
-- subject_names keeps only former names: the current name is the
-- subject's own (subjects.name), taken on named_at (NULL: when the subject
-- was created). Filing a new subject thus writes one row, not two with
-- three index entries.
ALTER TABLE subjects ADD COLUMN named_at TIMESTAMP;
UPDATE subjects SET named_at = n.valid_from FROM subject_names n
    WHERE n.subject_id = subjects.id AND n.valid_to IS NULL AND n.valid_from IS NOT NULL AND n.valid_from <> subjects.created_at;
DROP INDEX subject_names_current;
DELETE FROM subject_names WHERE valid_to IS NULL;

-- The name-change log: every subject whose names changed (created or
-- renamed; persons never), numbered in commit order by the single writer.
-- It replaces search_seq, append-only: the in-memory name index follows it,
-- and so does the full-text index, which writers no longer touch: it is
-- brought up to date from the log (store.SyncSearch) by the server, and
-- search_synced says how far. Both were in step until now.
CREATE TABLE name_changes (
    seq        INTEGER PRIMARY KEY,
    subject_id INTEGER NOT NULL
);
INSERT INTO name_changes (seq, subject_id) SELECT seq, subject_id FROM search_seq ORDER BY seq;
DROP TABLE search_seq;
INSERT INTO settings (name, value) SELECT 'search_synced', CAST(coalesce(max(seq), 0) AS TEXT) FROM name_changes WHERE true
    ON CONFLICT (name) DO UPDATE SET value = excluded.value;

-- +goose Down
CREATE TABLE search_seq (
    subject_id INTEGER PRIMARY KEY,
    seq        INTEGER NOT NULL
);
INSERT INTO search_seq (subject_id, seq) SELECT subject_id, max(seq) FROM name_changes GROUP BY subject_id;
CREATE INDEX search_seq_seq ON search_seq (seq);
DROP TABLE name_changes;
DELETE FROM settings WHERE name = 'search_synced';
INSERT INTO subject_names (subject_id, name, valid_from, valid_to) SELECT id, name, coalesce(named_at, created_at), NULL FROM subjects;
CREATE UNIQUE INDEX subject_names_current ON subject_names (subject_id) WHERE valid_to IS NULL;
ALTER TABLE subjects DROP COLUMN named_at;
