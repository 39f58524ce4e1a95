-- +goose Up
-- The order in which name-search entries were written, so that a server's
-- in-memory name index (store.Indexed) can follow what other processes
-- write: every entry written gets the next number (SQLite's single writer
-- makes them commit in that order). Entries written before this migration
-- have no row; an index loads them from subject_names.
CREATE TABLE search_seq (
    subject_id INTEGER PRIMARY KEY,
    seq        INTEGER NOT NULL
);
CREATE INDEX search_seq_seq ON search_seq (seq);

-- +goose Down
DROP TABLE search_seq;
