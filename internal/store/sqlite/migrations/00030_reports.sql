-- +goose Up
-- Issued credit reports (公共信用信息报告) and their append-only Merkle log
-- (package report, golang.org/x/mod/sumdb/tlog). reports holds one row per
-- issued report, numbered in log order (log_index); report_log the tree's
-- stored hashes (tlog storage indexes): a leaf's record hash covers the
-- report's entry (number, subject, as-of day, issue time, SHA-256 of the
-- PDF). Both are append-only: triggers refuse UPDATE and DELETE, and a
-- rewrite made around them no longer fits the checkpoints already given out
-- (xinyong report log).
CREATE TABLE reports (
    number     TEXT PRIMARY KEY,
    log_index  INTEGER NOT NULL UNIQUE,
    subject_id INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('org', 'person')),
    as_of      TEXT NOT NULL,
    issued_at  TIMESTAMP NOT NULL,
    entry      BLOB NOT NULL,
    records    BLOB NOT NULL,
    grant_id   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX reports_subject ON reports (subject_id, log_index);
CREATE TABLE report_log (
    idx  INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
);
-- +goose StatementBegin
CREATE TRIGGER reports_no_update BEFORE UPDATE ON reports
BEGIN SELECT RAISE(ABORT, 'reports is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER reports_no_delete BEFORE DELETE ON reports
BEGIN SELECT RAISE(ABORT, 'reports is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER report_log_no_update BEFORE UPDATE ON report_log
BEGIN SELECT RAISE(ABORT, 'report_log is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER report_log_no_delete BEFORE DELETE ON report_log
BEGIN SELECT RAISE(ABORT, 'report_log is append-only'); END;
-- +goose StatementEnd

-- A person's written authorisation (书面授权) for an organisation to obtain
-- the person's credit report, with its purpose and period; the signed
-- document is sealed with the data key (store.EncryptedColumns).
CREATE TABLE report_grants (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    subject_id   INTEGER NOT NULL,
    org_id       INTEGER NOT NULL,
    purpose      TEXT NOT NULL,
    valid_until  TEXT NOT NULL,
    doc_name     TEXT NOT NULL,
    doc_type     TEXT NOT NULL,
    doc_sha256   TEXT NOT NULL,
    document     BLOB NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX report_grants_subject ON report_grants (subject_id, id);

-- +goose Down
DROP TABLE report_grants;
DROP TABLE report_log;
DROP TABLE reports;
