-- +goose Up
-- Name search: one entry per subject other than persons, the bigrams of its
-- folded names with their positions (a gap between names, so that no phrase
-- spans two), found by phrase queries (<->) through a GIN index. The
-- entries are written by the store in Go (store.NameGrams) as tsvector
-- literals, bypassing text-search parsers and dictionaries; a database
-- migrated from an earlier version is indexed on the next start.
CREATE TABLE subject_search (
    subject_id BIGINT PRIMARY KEY,
    grams      TSVECTOR NOT NULL
);
CREATE INDEX subject_search_grams ON subject_search USING gin (grams);

-- The 双公示 columns: latest decisions per kind and per department.
CREATE INDEX records_kind_date ON records (kind, decision_date, id);
CREATE INDEX records_dept_date ON records (source_dept, kind, decision_date, id);

-- +goose Down
DROP INDEX records_dept_date;
DROP INDEX records_kind_date;
DROP TABLE subject_search;
