-- +goose Up
-- Intake batches: one per imported file or API call. A file's batch is
-- found again by its hash when an interrupted import is re-run.
CREATE TABLE intake_batches (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    dept        TEXT NOT NULL DEFAULT '',
    channel     TEXT NOT NULL,
    file_name   TEXT NOT NULL DEFAULT '',
    file_hash   TEXT NOT NULL DEFAULT '',
    received_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    rows        INTEGER NOT NULL DEFAULT 0,
    accepted    INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX intake_batches_file ON intake_batches (kind, dept, file_hash) WHERE finished_at IS NULL;

-- Rows rejected by intake, kept for statistics and for the sender.
CREATE TABLE intake_rejections (
    batch_id INTEGER NOT NULL,
    row      INTEGER NOT NULL,
    field    TEXT NOT NULL,
    reason   TEXT NOT NULL
);
CREATE INDEX intake_rejections_batch ON intake_rejections (batch_id);

-- Credit records, current version. No foreign-key constraints: the store's
-- one write path inserts a record's subject and batch in the same
-- transaction, and per-row key checks (with their row locks on subjects)
-- tripled the cost of a bulk intake. The identity (kind, source department,
-- decision number, subject) is kept only as a keyed hash, since it can
-- contain an ID number. Personal fields are in private, encrypted.
CREATE TABLE records (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    identity      BLOB NOT NULL UNIQUE,
    subject_id    INTEGER NOT NULL,
    source_dept   TEXT NOT NULL,
    decision_no   TEXT NOT NULL,
    decision_date TEXT NOT NULL DEFAULT '',
    version       INTEGER NOT NULL,
    state         TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'corrected', 'revoked')),
    state_reason  TEXT NOT NULL DEFAULT '',
    content_hash  BLOB NOT NULL,
    fields        TEXT NOT NULL,
    private       BLOB,
    batch_id      INTEGER NOT NULL,
    received_at   TIMESTAMP NOT NULL,
    first_batch   INTEGER NOT NULL,
    working_days  INTEGER NOT NULL DEFAULT 0,
    late          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX records_subject ON records (subject_id);
CREATE INDEX records_first_batch ON records (first_batch);

-- Earlier versions of records: a changed row never overwrites the past.
CREATE TABLE record_versions (
    record_id    INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    state        TEXT NOT NULL,
    state_reason TEXT NOT NULL,
    content_hash BLOB NOT NULL,
    fields       TEXT NOT NULL,
    private      BLOB,
    batch_id     INTEGER NOT NULL,
    received_at  TIMESTAMP NOT NULL,
    replaced_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (record_id, version)
);

-- +goose Down
DROP TABLE record_versions;
DROP TABLE records;
DROP TABLE intake_rejections;
DROP TABLE intake_batches;
