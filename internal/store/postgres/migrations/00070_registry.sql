-- +goose Up
-- The registration database (主体登记库) and the correction of bad unified
-- social credit codes (重错码纠错, package registry).
--
-- registrations: what one registration authority registered under one code,
-- applied from intake batches of kind dj (registry_batches marks each batch
-- applied, in the same transaction). body is positions 9-16 of the code
-- (the org-code body) for the 重复赋码 check.
CREATE TABLE registrations (
    uscc           TEXT NOT NULL,
    authority_code TEXT NOT NULL,
    authority_name TEXT NOT NULL,
    dept_code      TEXT NOT NULL DEFAULT '',
    name           TEXT NOT NULL,
    body           TEXT NOT NULL,
    org_code       TEXT NOT NULL DEFAULT '',
    legal_rep      TEXT NOT NULL DEFAULT '',
    address        TEXT NOT NULL DEFAULT '',
    region         TEXT NOT NULL DEFAULT '',
    founded        TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,
    approval       TEXT NOT NULL DEFAULT '',
    business       TEXT NOT NULL,
    day            TEXT NOT NULL,
    record_id      BIGINT NOT NULL,
    first_seen     TIMESTAMPTZ NOT NULL,
    first_month    TEXT NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (uscc, authority_code)
);
CREATE INDEX registrations_name ON registrations (name);
CREATE INDEX registrations_body ON registrations (body);

-- Former names of a registration (its name-change chain).
CREATE TABLE registration_names (
    uscc           TEXT NOT NULL,
    authority_code TEXT NOT NULL,
    name           TEXT NOT NULL,
    until_day      TEXT NOT NULL,
    PRIMARY KEY (uscc, authority_code, name)
);

CREATE TABLE registry_batches (
    batch_id   BIGINT PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL,
    regs       INTEGER NOT NULL
);

-- The dj records of a batch, for the follower.
CREATE INDEX records_dj_batch ON records (batch_id) WHERE kind = 'dj';

-- A problem found and its correction. case_key identifies the problem (type
-- and codes); at most one case of a key is open (or waiting for a whitelist
-- decision) at a time.
CREATE TABLE registry_cases (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_key    TEXT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('错码', '一码多赋', '重复赋码')),
    codes       TEXT NOT NULL,
    authority   TEXT NOT NULL,
    region      TEXT NOT NULL DEFAULT '',
    evidence    TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('open', 'whitelist', 'closed', 'whitelisted')),
    opened_at   TIMESTAMPTZ NOT NULL,
    due         TEXT NOT NULL DEFAULT '',
    closed_at   TIMESTAMPTZ,
    resolution  TEXT NOT NULL DEFAULT '',
    request     TEXT NOT NULL DEFAULT '',
    actor       TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX registry_cases_open ON registry_cases (case_key) WHERE state IN ('open', 'whitelist');
CREATE INDEX registry_cases_authority ON registry_cases (authority, state);

-- Whitelisted problems (白名单): decided by the code centre, never reported again.
CREATE TABLE registry_whitelist (
    case_key   TEXT PRIMARY KEY,
    case_id    BIGINT NOT NULL,
    decided_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE registry_whitelist;
DROP TABLE registry_cases;
DROP INDEX records_dj_batch;
DROP TABLE registry_batches;
DROP TABLE registration_names;
DROP TABLE registrations;
