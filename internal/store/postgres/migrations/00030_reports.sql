-- +goose Up
-- Issued credit reports (公共信用信息报告) and their append-only Merkle log
-- (package report, golang.org/x/mod/sumdb/tlog). reports holds one row per
-- issued report, numbered in log order (log_index); report_log the tree's
-- stored hashes (tlog storage indexes): a leaf's record hash covers the
-- report's entry (number, subject, as-of day, issue time, SHA-256 of the
-- PDF). Both are append-only: a trigger refuses UPDATE, DELETE and
-- TRUNCATE, and a rewrite made around it no longer fits the checkpoints
-- already given out (xinyong report log).
CREATE TABLE reports (
    number     TEXT PRIMARY KEY,
    log_index  BIGINT NOT NULL UNIQUE,
    subject_id BIGINT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('org', 'person')),
    as_of      TEXT NOT NULL,
    issued_at  TIMESTAMPTZ NOT NULL,
    entry      BYTEA NOT NULL,
    records    BYTEA NOT NULL,
    grant_id   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX reports_subject ON reports (subject_id, log_index);
CREATE TABLE report_log (
    idx  BIGINT PRIMARY KEY,
    hash BYTEA NOT NULL
);
-- +goose StatementBegin
CREATE FUNCTION reports_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
-- +goose StatementEnd
CREATE TRIGGER reports_no_change BEFORE UPDATE OR DELETE ON reports
    FOR EACH ROW EXECUTE FUNCTION reports_append_only();
CREATE TRIGGER reports_no_truncate BEFORE TRUNCATE ON reports
    FOR EACH STATEMENT EXECUTE FUNCTION reports_append_only();
CREATE TRIGGER report_log_no_change BEFORE UPDATE OR DELETE ON report_log
    FOR EACH ROW EXECUTE FUNCTION reports_append_only();
CREATE TRIGGER report_log_no_truncate BEFORE TRUNCATE ON report_log
    FOR EACH STATEMENT EXECUTE FUNCTION reports_append_only();

-- A person's written authorisation (书面授权) for an organisation to obtain
-- the person's credit report, with its purpose and period; the signed
-- document is sealed with the data key (store.EncryptedColumns).
CREATE TABLE report_grants (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_id   BIGINT NOT NULL,
    org_id       BIGINT NOT NULL,
    purpose      TEXT NOT NULL,
    valid_until  TEXT NOT NULL,
    doc_name     TEXT NOT NULL,
    doc_type     TEXT NOT NULL,
    doc_sha256   TEXT NOT NULL,
    document     BYTEA NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX report_grants_subject ON report_grants (subject_id, id);

-- +goose Down
DROP TABLE report_grants;
DROP TABLE report_log;
DROP TABLE reports;
DROP FUNCTION reports_append_only();
