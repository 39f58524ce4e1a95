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
ALTER TABLE commitments ADD COLUMN breach_record_id BIGINT REFERENCES records (id);
ALTER TABLE commitments ADD COLUMN made_by BIGINT;
ALTER TABLE commitments ADD COLUMN history TEXT NOT NULL DEFAULT '[]';
ALTER TABLE commitments ADD COLUMN rev INTEGER NOT NULL DEFAULT 1;
ALTER TABLE commitments ADD COLUMN updated_at TIMESTAMPTZ;
UPDATE commitments SET updated_at = created_at,
    promisor_name = COALESCE((SELECT name FROM subjects WHERE subjects.id = commitments.subject_id), '');
ALTER TABLE commitments ALTER COLUMN updated_at SET NOT NULL;
CREATE INDEX commitments_acceptor ON commitments (acceptor_code, status, id);
CREATE INDEX commitments_made_by ON commitments (made_by) WHERE made_by IS NOT NULL;

-- The change feed gains repair_revoked: a repair revoked after a failed
-- re-check (抽查复核), the record public and shared again.
ALTER TABLE changes DROP CONSTRAINT changes_type_check;
ALTER TABLE changes ADD CONSTRAINT changes_type_check
    CHECK (type IN ('list_entry', 'list_exit', 'bad_record', 'repair', 'repair_revoked'));

-- +goose Down
ALTER TABLE changes DROP CONSTRAINT changes_type_check;
ALTER TABLE changes ADD CONSTRAINT changes_type_check CHECK (type IN ('list_entry', 'list_exit', 'bad_record', 'repair'));
DROP INDEX commitments_made_by;
DROP INDEX commitments_acceptor;
ALTER TABLE commitments DROP COLUMN updated_at, DROP COLUMN rev, DROP COLUMN history, DROP COLUMN made_by,
    DROP COLUMN breach_record_id, DROP COLUMN assessor_code, DROP COLUMN assessor_name, DROP COLUMN assessed_on,
    DROP COLUMN pursued, DROP COLUMN unfulfilled, DROP COLUMN note, DROP COLUMN acceptor_code, DROP COLUMN acceptor_name,
    DROP COLUMN valid_until, DROP COLUMN promisor_name, DROP COLUMN kind_other;
