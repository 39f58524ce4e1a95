-- +goose Up
-- Complaints and reports of dishonesty (投诉举报, issue 21). The case
-- (what, when, timers, history, answer) is the JSON of complaint.Case in
-- body; the columns are what is searched and counted: the subject
-- complained about, the competent department (empty until routed), state,
-- outcome and whether the answer came on time (public statistics), the due
-- day of the step it waits on, and rev, which every update must match.
-- informant holds the informant's name and contact, encrypted with the data
-- key (NULL: anonymous).
CREATE TABLE complaints (
    id           INTEGER PRIMARY KEY,
    subject_id   INTEGER,
    subject_name TEXT NOT NULL,
    subject_code TEXT NOT NULL,
    dept         TEXT NOT NULL,
    state        TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    timeliness   TEXT NOT NULL,
    anonymous    INTEGER NOT NULL,
    informant    BLOB,
    filed_at     TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    due_on       TEXT,
    body         TEXT NOT NULL,
    rev          INTEGER NOT NULL
);
CREATE INDEX complaints_queue ON complaints (dept, state, due_on);

CREATE TABLE complaint_files (
    id           INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints (id),
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    data         BLOB NOT NULL
);
CREATE INDEX complaint_files_case ON complaint_files (complaint_id);

-- +goose Down
DROP TABLE complaint_files;
DROP TABLE complaints;
