-- +goose Up
-- Subjects as entries of the exchange log (issue 22): a subject put here
-- (created or changed by a put of subjects: a commitment's promisor, a
-- rename) or received from a peer carries an exchange stamp, x_at (when
-- its identity was set, where it was first set) and x_origin (the peer it
-- came from, '' this platform's own); setting them logs an entry (op
-- subject, record_id 0, subject_id the subject) that the feed carries to
-- the peers. Subjects created only by filing records leave x_at NULL: the
-- records carry them.
ALTER TABLE subjects ADD COLUMN x_at TIMESTAMP;
ALTER TABLE subjects ADD COLUMN x_origin TEXT NOT NULL DEFAULT '';
ALTER TABLE exchange_log ADD COLUMN subject_id INTEGER NOT NULL DEFAULT 0;

-- Subjects stored before with no record (nothing carries them yet) start
-- the log.
UPDATE subjects SET x_at = COALESCE(named_at, created_at)
WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.subject_id = subjects.id);
INSERT INTO exchange_log (record_id, version, op, at, origin, kind, region, repaired_on, subject_id)
SELECT 0, 0, 'subject', x_at, '', '', region, '', id FROM subjects WHERE x_at IS NOT NULL ORDER BY id;

-- +goose StatementBegin
CREATE TRIGGER exchange_log_subject_insert AFTER INSERT ON subjects WHEN NEW.x_at IS NOT NULL BEGIN
    INSERT INTO exchange_log (record_id, version, op, at, origin, kind, region, repaired_on, subject_id)
    VALUES (0, 0, 'subject', NEW.x_at, NEW.x_origin, '', NEW.region, '', NEW.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER exchange_log_subject_update AFTER UPDATE ON subjects
WHEN NEW.x_at IS NOT NULL AND NEW.x_at IS NOT OLD.x_at BEGIN
    INSERT INTO exchange_log (record_id, version, op, at, origin, kind, region, repaired_on, subject_id)
    VALUES (0, 0, 'subject', NEW.x_at, NEW.x_origin, '', NEW.region, '', NEW.id);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER exchange_log_subject_update;
DROP TRIGGER exchange_log_subject_insert;
DELETE FROM exchange_log WHERE op = 'subject';
ALTER TABLE exchange_log DROP COLUMN subject_id;
ALTER TABLE subjects DROP COLUMN x_origin;
ALTER TABLE subjects DROP COLUMN x_at;
