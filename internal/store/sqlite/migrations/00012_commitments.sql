-- +goose Up
-- The commitment registry (信用承诺, domain facts §8): commitments signed
-- online by subjects and commitments registered by the departments that
-- accepted them, besides the 信用修复型 commitments signed with repair
-- applications (migration 10). The promisor is the subject (its class and
-- code are the subject's); promisor_name is the name it signed under.
-- acceptor_* is the accepting department (承诺受理单位; '' for a repair
-- commitment, which the platform accepts). status (承诺履行状态) is ''
-- until the accepting department assesses it; the assessment's fields
-- follow. breach_record_id is the bad record filed through intake when
-- the commitment was breached. history is the JSON of the commitment's
-- events; rev is incremented by every update, which must match it.
ALTER TABLE commitments ADD COLUMN kind_other TEXT NOT NULL DEFAULT '';
ALTER TABLE commitments ADD COLUMN promisor_name TEXT NOT NULL DEFAULT '';
ALTER TABLE commitments ADD COLUMN valid_until TEXT NOT NULL DEFAULT '';
ALTER TABLE commitments ADD COLUMN acceptor_name TEXT NOT NULL DEFAULT '';
ALTER TABLE commitments ADD COLUMN acceptor_code TEXT NOT NULL DEFAULT '';
ALTER TABLE commitments ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE commitments ADD COLUMN unfulfilled TEXT NOT NULL DEFAULT '';
ALTER TABLE commitments ADD COLUMN pursued TEXT NOT NULL DEFAULT '';
ALTER TABLE commitments ADD COLUMN assessed_on TEXT NOT NULL DEFAULT '';
ALTER TABLE commitments ADD COLUMN assessor_name TEXT NOT NULL DEFAULT '';
ALTER TABLE commitments ADD COLUMN assessor_code TEXT NOT NULL DEFAULT '';
ALTER TABLE commitments ADD COLUMN breach_record_id INTEGER;
ALTER TABLE commitments ADD COLUMN made_by INTEGER;
ALTER TABLE commitments ADD COLUMN history TEXT NOT NULL DEFAULT '[]';
ALTER TABLE commitments ADD COLUMN rev INTEGER NOT NULL DEFAULT 1;
ALTER TABLE commitments ADD COLUMN updated_at TIMESTAMP;
UPDATE commitments SET updated_at = created_at,
    promisor_name = COALESCE((SELECT name FROM subjects WHERE subjects.id = commitments.subject_id), '');
CREATE INDEX commitments_acceptor ON commitments (acceptor_code, status, id);
CREATE INDEX commitments_made_by ON commitments (made_by) WHERE made_by IS NOT NULL;

-- The change feed gains repair_revoked: a repair revoked after a failed
-- re-check (抽查复核), the record public and shared again. SQLite cannot
-- change a CHECK constraint: the table is rebuilt (it has no index but its
-- key).
CREATE TABLE changes_new (
    seq        INTEGER PRIMARY KEY,
    at         TIMESTAMP NOT NULL,
    type       TEXT NOT NULL CHECK (type IN ('list_entry', 'list_exit', 'bad_record', 'repair', 'repair_revoked')),
    record_id  INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    region     TEXT NOT NULL DEFAULT '',
    list_type  TEXT NOT NULL DEFAULT ''
);
INSERT INTO changes_new SELECT seq, at, type, record_id, kind, subject_id, region, list_type FROM changes;
DROP TABLE changes;
ALTER TABLE changes_new RENAME TO changes;

-- +goose Down
DELETE FROM changes WHERE type = 'repair_revoked';
DROP INDEX commitments_made_by;
DROP INDEX commitments_acceptor;
ALTER TABLE commitments DROP COLUMN updated_at;
ALTER TABLE commitments DROP COLUMN rev;
ALTER TABLE commitments DROP COLUMN history;
ALTER TABLE commitments DROP COLUMN made_by;
ALTER TABLE commitments DROP COLUMN breach_record_id;
ALTER TABLE commitments DROP COLUMN assessor_code;
ALTER TABLE commitments DROP COLUMN assessor_name;
ALTER TABLE commitments DROP COLUMN assessed_on;
ALTER TABLE commitments DROP COLUMN pursued;
ALTER TABLE commitments DROP COLUMN unfulfilled;
ALTER TABLE commitments DROP COLUMN note;
ALTER TABLE commitments DROP COLUMN acceptor_code;
ALTER TABLE commitments DROP COLUMN acceptor_name;
ALTER TABLE commitments DROP COLUMN valid_until;
ALTER TABLE commitments DROP COLUMN promisor_name;
ALTER TABLE commitments DROP COLUMN kind_other;
