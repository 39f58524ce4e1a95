-- +goose Up
-- The order in which name-search entries were written, so that a server's
-- in-memory name index (store.Indexed) can follow what other processes
-- write. Every writer of subject_search holds a lock on subjects that
-- excludes the others until it commits (SHARE ROW EXCLUSIVE, or SHARE for
-- a rebuild), and numbers its entries after the highest number: the
-- numbers therefore commit in order and a follower that has read up to n
-- never later finds a number below n. Entries written before this
-- migration keep 0; an index loads them from subject_names.
ALTER TABLE subject_search ADD COLUMN seq bigint NOT NULL DEFAULT 0;
CREATE INDEX subject_search_seq ON subject_search (seq);

-- +goose Down
DROP INDEX subject_search_seq;
ALTER TABLE subject_search DROP COLUMN seq;
