-- +goose Up
-- The check archive: every credit check with who asked, for which case and
-- scenario, what was answered (result, JSON) and on which data (data_as_of:
-- the newest record id at the time). The subjects concerned get an audit
-- entry each (action check), written in the same transaction.
CREATE TABLE checks (
    id         INTEGER PRIMARY KEY,
    at         TIMESTAMP NOT NULL,
    actor      TEXT NOT NULL,
    org_id     INTEGER NOT NULL,
    scenario   TEXT NOT NULL,
    case_no    TEXT NOT NULL,
    subjects   INTEGER NOT NULL,
    punished   INTEGER NOT NULL,
    rewarded   INTEGER NOT NULL,
    not_found  INTEGER NOT NULL,
    data_as_of INTEGER NOT NULL,
    request    TEXT NOT NULL,
    result     TEXT NOT NULL
);
CREATE INDEX checks_org ON checks (org_id, id);

-- +goose Down
DROP TABLE checks;
