-- +goose Up
-- Subjects as entries of the exchange log (issue 22): see the SQLite
-- migration of the same number. As for records (00100), the entry is
-- numbered at commit, under the log's advisory lock.
ALTER TABLE subjects ADD COLUMN x_at TIMESTAMPTZ;
ALTER TABLE subjects ADD COLUMN x_origin TEXT NOT NULL DEFAULT '';
ALTER TABLE exchange_log ADD COLUMN subject_id BIGINT NOT NULL DEFAULT 0;

UPDATE subjects SET x_at = COALESCE(named_at, created_at)
WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.subject_id = subjects.id);
INSERT INTO exchange_log (seq, record_id, version, op, at, origin, kind, region, repaired_on, subject_id)
SELECT (SELECT COALESCE(max(seq), 0) FROM exchange_log) + row_number() OVER (ORDER BY id), 0, 0, 'subject', x_at, '', '', region, '', id
FROM subjects WHERE x_at IS NOT NULL;

-- +goose StatementBegin
CREATE FUNCTION exchange_log_subject() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(2021221752); -- 0x78796578 "xyex", as exchange_log_append
    INSERT INTO exchange_log (seq, record_id, version, op, at, origin, kind, region, repaired_on, subject_id)
    VALUES ((SELECT COALESCE(max(seq), 0) + 1 FROM exchange_log), 0, 0, 'subject', NEW.x_at, NEW.x_origin, '', NEW.region, '', NEW.id);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER exchange_log_subject_insert AFTER INSERT ON subjects
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.x_at IS NOT NULL) EXECUTE FUNCTION exchange_log_subject();
CREATE CONSTRAINT TRIGGER exchange_log_subject_update AFTER UPDATE ON subjects
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.x_at IS NOT NULL AND NEW.x_at IS DISTINCT FROM OLD.x_at)
    EXECUTE FUNCTION exchange_log_subject();

-- +goose Down
DROP TRIGGER exchange_log_subject_update ON subjects;
DROP TRIGGER exchange_log_subject_insert ON subjects;
DROP FUNCTION exchange_log_subject();
DELETE FROM exchange_log WHERE op = 'subject';
ALTER TABLE exchange_log DROP COLUMN subject_id;
ALTER TABLE subjects DROP COLUMN x_origin;
ALTER TABLE subjects DROP COLUMN x_at;
