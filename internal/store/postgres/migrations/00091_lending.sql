-- +goose Up
-- 信易贷 (package lending). lenders: the organisations (banks, guarantee
-- firms) the platform authorises to read firms' data with the firms'
-- consent. lending_grants: a firm's grant to a lender of named data groups
-- (JSON list) for a period (valid_from..valid_to, dates in China) and a
-- purpose, until revoked. lending_outcomes: what a lender reports back of
-- an application (loan granted or not, an amount band), per month.
CREATE TABLE lenders (
    org_id     BIGINT PRIMARY KEY,
    kind       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL
);
CREATE TABLE lending_grants (
    id          BIGSERIAL PRIMARY KEY,
    subject_id  BIGINT NOT NULL,
    lender_id   BIGINT NOT NULL REFERENCES lenders (org_id),
    data_groups TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    valid_from  TEXT NOT NULL,
    valid_to    TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ,
    revoked_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX lending_grants_subject ON lending_grants (subject_id, id);
CREATE INDEX lending_grants_lender ON lending_grants (lender_id, id);
CREATE TABLE lending_outcomes (
    id          BIGSERIAL PRIMARY KEY,
    lender_id   BIGINT NOT NULL REFERENCES lenders (org_id),
    subject_id  BIGINT NOT NULL,
    grant_id    BIGINT NOT NULL REFERENCES lending_grants (id),
    month       TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    amount_band TEXT NOT NULL DEFAULT '',
    reported_at TIMESTAMPTZ NOT NULL,
    reported_by TEXT NOT NULL,
    UNIQUE (grant_id, month)
);
CREATE INDEX lending_outcomes_month ON lending_outcomes (month, lender_id);

-- +goose Down
DROP TABLE lending_outcomes;
DROP TABLE lending_grants;
DROP TABLE lenders;
