-- +goose Up
-- Records received per intake batch, kind and supplying department (and
-- how many of them late), counted by the transaction that files them:
-- intake statistics read these few rows instead of every record, so
-- records need no index on first_batch. Filled here from the records held.
CREATE TABLE intake_counts (
    batch_id BIGINT NOT NULL,
    kind     TEXT NOT NULL,
    dept     TEXT NOT NULL,
    received BIGINT NOT NULL,
    late     BIGINT NOT NULL,
    PRIMARY KEY (batch_id, kind, dept)
);
INSERT INTO intake_counts (batch_id, kind, dept, received, late)
    SELECT first_batch, kind, source_dept, count(*), count(*) FILTER (WHERE late) FROM records GROUP BY 1, 2, 3;
DROP INDEX records_first_batch;

-- One index serves the 双公示 columns by kind and by department: the
-- department is read from the index entry (an index-only filter), so a
-- department's column walks the kind's entries newest first without
-- reading the records it skips. Within a day the order is department,
-- then id.
DROP INDEX records_kind_date;
DROP INDEX records_dept_date;
CREATE INDEX records_column ON records (kind, decision_date, source_dept, id);

-- +goose Down
DROP INDEX records_column;
CREATE INDEX records_kind_date ON records (kind, decision_date, id);
CREATE INDEX records_dept_date ON records (source_dept, kind, decision_date, id);
CREATE INDEX records_first_batch ON records (first_batch);
DROP TABLE intake_counts;
