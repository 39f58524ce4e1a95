-- +goose Up
-- The public credit evaluation (公共信用综合评价, package evaluation).
-- evaluation_models keeps every model a result was made under, by key
-- (version and a hash of its file), so that an old result still shows
-- which model made it and how.
CREATE TABLE evaluation_models (
    key        TEXT PRIMARY KEY,
    version    TEXT NOT NULL,
    name       TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- A run evaluates every subject on a day under a model, in chunks of
-- subjects in id order; cursor is the last subject id done, so that a run
-- killed midway resumes after it. owner and heartbeat_at hold it for the
-- process running it (store.EvaluationLease).
CREATE TABLE evaluation_runs (
    id           INTEGER PRIMARY KEY,
    day          TEXT NOT NULL,
    model        TEXT NOT NULL,
    cause        TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('running', 'done', 'abandoned')),
    owner        TEXT NOT NULL,
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    heartbeat_at TIMESTAMP NOT NULL,
    cursor       INTEGER NOT NULL DEFAULT 0,
    subjects     INTEGER NOT NULL DEFAULT 0,
    changed      INTEGER NOT NULL DEFAULT 0,
    regraded     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX evaluation_runs_open ON evaluation_runs (day, model) WHERE state = 'running';

-- Each subject's current result: written when it differs from the one
-- before (which moves to evaluation_history), so a monthly run writes
-- only what changed. day is the day the result was first made; due the
-- first day it may change with time alone (a publicity window ends, a
-- decay step passes), which the follower re-evaluates. class and region
-- are the subject's, for the lists by grade of a department.
CREATE TABLE evaluations (
    subject_id    INTEGER PRIMARY KEY,
    class         TEXT NOT NULL,
    region        TEXT NOT NULL,
    day           TEXT NOT NULL,
    model         TEXT NOT NULL,
    score         INTEGER NOT NULL,
    grade         TEXT NOT NULL,
    contributions TEXT NOT NULL,
    due           TEXT NOT NULL DEFAULT '',
    run_id        INTEGER NOT NULL,
    at            TIMESTAMP NOT NULL
);
CREATE INDEX evaluations_due ON evaluations (due) WHERE due <> '';
CREATE INDEX evaluations_region ON evaluations (region, grade);

-- Results replaced by a later one: in force from day until the day before
-- until.
CREATE TABLE evaluation_history (
    id            INTEGER PRIMARY KEY,
    subject_id    INTEGER NOT NULL,
    day           TEXT NOT NULL,
    until         TEXT NOT NULL,
    model         TEXT NOT NULL,
    score         INTEGER NOT NULL,
    grade         TEXT NOT NULL,
    contributions TEXT NOT NULL,
    run_id        INTEGER NOT NULL,
    at            TIMESTAMP NOT NULL
);
CREATE INDEX evaluation_history_subject ON evaluation_history (subject_id, day);

-- What the follower of changed facts reads after its cursor: new versions
-- of records (corrections, revocations), commitments assessed and
-- objections decided.
CREATE INDEX record_versions_replaced ON record_versions (replaced_at);
CREATE INDEX commitments_updated ON commitments (updated_at);
CREATE INDEX objections_updated ON objections (updated_at);

-- The change feed gains grade (a subject's grade changed) with the grades
-- before and after. SQLite cannot change a CHECK constraint: the table is
-- rebuilt, as in migration 12.
CREATE TABLE changes_new (
    seq        INTEGER PRIMARY KEY,
    at         TIMESTAMP NOT NULL,
    type       TEXT NOT NULL CHECK (type IN ('list_entry', 'list_exit', 'bad_record', 'repair', 'repair_revoked', 'grade')),
    record_id  INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    region     TEXT NOT NULL DEFAULT '',
    list_type  TEXT NOT NULL DEFAULT '',
    grade_from TEXT NOT NULL DEFAULT '',
    grade_to   TEXT NOT NULL DEFAULT ''
);
INSERT INTO changes_new (seq, at, type, record_id, kind, subject_id, region, list_type)
    SELECT seq, at, type, record_id, kind, subject_id, region, list_type FROM changes;
DROP TABLE changes;
ALTER TABLE changes_new RENAME TO changes;

-- +goose Down
DELETE FROM changes WHERE type = 'grade';
CREATE TABLE changes_old (
    seq        INTEGER PRIMARY KEY,
    at         TIMESTAMP NOT NULL,
    type       TEXT NOT NULL CHECK (type IN ('list_entry', 'list_exit', 'bad_record', 'repair', 'repair_revoked')),
    record_id  INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    region     TEXT NOT NULL DEFAULT '',
    list_type  TEXT NOT NULL DEFAULT ''
);
INSERT INTO changes_old SELECT seq, at, type, record_id, kind, subject_id, region, list_type FROM changes;
DROP TABLE changes;
ALTER TABLE changes_old RENAME TO changes;
DROP INDEX objections_updated;
DROP INDEX commitments_updated;
DROP INDEX record_versions_replaced;
DROP TABLE evaluation_history;
DROP TABLE evaluations;
DROP TABLE evaluation_runs;
DROP TABLE evaluation_models;
