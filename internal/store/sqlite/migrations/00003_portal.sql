-- +goose Up
-- Name search: one entry per subject other than persons (rowid = subject
-- id), the bigrams of its folded names separated by a token no query has,
-- found by phrase queries. Contentless: the names are in subject_names.
-- The entries are written by the store in Go (store.NameGrams); a database
-- migrated from an earlier version is indexed on the next start.
CREATE VIRTUAL TABLE subject_search USING fts5(grams, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0');

-- The 双公示 columns: latest decisions per kind and per department.
CREATE INDEX records_kind_date ON records (kind, decision_date, id);
CREATE INDEX records_dept_date ON records (source_dept, kind, decision_date, id);

-- +goose Down
DROP INDEX records_dept_date;
DROP INDEX records_kind_date;
DROP TABLE subject_search;
