-- +goose Up
-- The check archive: every credit check with who asked, for which case and
-- scenario, what was answered (result, JSON) and on which data (data_as_of:
-- the newest record id at the time). The subjects concerned get an audit
-- entry each (action check), written in the same transaction.
CREATE TABLE checks (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    actor      TEXT NOT NULL,
    org_id     BIGINT NOT NULL,
    scenario   TEXT NOT NULL,
    case_no    TEXT NOT NULL,
    subjects   INTEGER NOT NULL,
    punished   INTEGER NOT NULL,
    rewarded   INTEGER NOT NULL,
    not_found  INTEGER NOT NULL,
    data_as_of BIGINT NOT NULL,
    request    TEXT NOT NULL,
    result     TEXT NOT NULL
);
CREATE INDEX checks_org ON checks (org_id, id);

-- The measures each check found applicable, one row per item and measure,
-- for the monthly statistics per department and measure.
CREATE TABLE check_measures (
    check_id   BIGINT NOT NULL,
    item       INTEGER NOT NULL,
    subject_id BIGINT NOT NULL,
    org_id     BIGINT NOT NULL,
    month      TEXT NOT NULL,
    measure    TEXT NOT NULL,
    PRIMARY KEY (check_id, item, measure)
);
CREATE INDEX check_measures_month ON check_measures (month, org_id);

-- What the deciding department reports it did: per check item and
-- measure, applied or not and why. Reports are appended, never
-- overwritten; the newest per item and measure counts.
CREATE TABLE check_feedback (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    check_id BIGINT NOT NULL,
    item     INTEGER NOT NULL,
    measure  TEXT NOT NULL,
    applied  BOOLEAN NOT NULL,
    reason   TEXT NOT NULL DEFAULT '',
    at       TIMESTAMPTZ NOT NULL,
    actor    TEXT NOT NULL,
    org_id   BIGINT NOT NULL
);
CREATE INDEX check_feedback_item ON check_feedback (check_id, item, measure, id);

-- +goose Down
DROP TABLE check_feedback;
DROP TABLE check_measures;
DROP TABLE checks;
