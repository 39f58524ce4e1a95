-- +goose Up
-- Objections (异议) to records. The case itself (deadline timers and
-- history) is the JSON of objection.Case in body; the columns are what is
-- searched: the record, the supplying department (queues), the state,
-- whether the record is marked 异议处理中 now, the due day of the step the
-- case waits on (queues ordered by it) and rev, which every update must
-- match (two reviewers cannot both decide). contact is encrypted with the
-- data key.
CREATE TABLE objections (
    id             INTEGER PRIMARY KEY,
    record_id      INTEGER NOT NULL REFERENCES records (id),
    record_version INTEGER NOT NULL,
    subject_id     INTEGER NOT NULL,
    dept           TEXT NOT NULL,
    state          TEXT NOT NULL,
    marks          INTEGER NOT NULL,
    applicant_user INTEGER,
    applicant_name TEXT NOT NULL,
    contact        BLOB,
    filed_at       TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    due_on         TEXT,
    body           TEXT NOT NULL,
    rev            INTEGER NOT NULL
);
CREATE INDEX objections_record ON objections (record_id);
CREATE INDEX objections_dept ON objections (dept, state, due_on);
CREATE INDEX objections_applicant ON objections (applicant_user) WHERE applicant_user IS NOT NULL;

-- A record that was ever objected to: the portal reads its objections to
-- tell whether it was marked on a day; other records need no look-up.
ALTER TABLE records ADD COLUMN objected INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE records DROP COLUMN objected;
DROP TABLE objections;
