-- +goose Up
-- Credit commitments (信用承诺) made on the platform; for now the
-- 信用修复型 commitment a subject signs with a repair application. code is
-- the 承诺编码: the subject's region (6 digits, 000000 when unknown), the
-- day it was made (YYYYMMDD, China) and a 6-digit sequence per region and
-- day, computed when it is stored. status (承诺履行状态) is '' until
-- assessed.
CREATE TABLE commitments (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    matter     TEXT NOT NULL,
    content    TEXT NOT NULL,
    liability  TEXT NOT NULL,
    made_on    TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT '',
    disclosure TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX commitments_subject ON commitments (subject_id);

-- Credit repair applications (信用修复). The application itself (deadline
-- timers and history) is the JSON of repair.Application in body; the
-- columns are what is searched: the record, the supplying department
-- (queues), the state, the due day of the step it waits on (queues
-- ordered by it), the approval day and rev, which every update must match.
CREATE TABLE repairs (
    id             INTEGER PRIMARY KEY,
    record_id      INTEGER NOT NULL REFERENCES records (id),
    record_version INTEGER NOT NULL,
    subject_id     INTEGER NOT NULL,
    dept           TEXT NOT NULL,
    state          TEXT NOT NULL,
    applicant_user INTEGER,
    applicant_name TEXT NOT NULL,
    commitment_id  INTEGER NOT NULL REFERENCES commitments (id),
    filed_at       TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    due_on         TEXT,
    approved_on    TEXT,
    body           TEXT NOT NULL,
    rev            INTEGER NOT NULL
);
CREATE INDEX repairs_record ON repairs (record_id);
CREATE INDEX repairs_dept ON repairs (dept, state, due_on);
CREATE INDEX repairs_applicant ON repairs (applicant_user) WHERE applicant_user IS NOT NULL;

-- The proofs of an application (PDF, JPEG or PNG, at most 5 MiB each).
CREATE TABLE repair_files (
    id           INTEGER PRIMARY KEY,
    repair_id    INTEGER NOT NULL REFERENCES repairs (id),
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    data         BLOB NOT NULL
);
CREATE INDEX repair_files_repair ON repair_files (repair_id);

-- The day (YYYY-MM-DD, China) a repair of the record was approved: from
-- that day it is not public.
ALTER TABLE records ADD COLUMN repaired_on TEXT;

-- +goose Down
ALTER TABLE records DROP COLUMN repaired_on;
DROP TABLE repair_files;
DROP TABLE repairs;
DROP TABLE commitments;
