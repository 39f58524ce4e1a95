-- +goose Up
-- The online intermediary-service marketplace (网上中介服务超市, package
-- market; docs/market.md). market_items is the catalogue of
-- intermediary-service items kept by industry departments (第十一条).
-- market_agencies is the agency library (中介机构库): one file per credit
-- subject, its application, review, changes, exit and dishonesty as JSON in
-- body. market_projects is a purchase with its notice, enrolments,
-- selection, confirmation, contract and rating as JSON in body;
-- winner_subject_id is the selected agency. Both are versioned by rev.
-- market_files holds uploaded scans, contracts and results.
CREATE TABLE market_items (
    id            BIGSERIAL PRIMARY KEY,
    industry      TEXT NOT NULL,
    name          TEXT NOT NULL,
    type          TEXT NOT NULL DEFAULT '',
    basis         TEXT NOT NULL DEFAULT '',
    qualification TEXT NOT NULL DEFAULT '',
    approvals     TEXT NOT NULL DEFAULT '',
    time_limit    TEXT NOT NULL DEFAULT '',
    fee           TEXT NOT NULL DEFAULT '',
    dept_org_id   BIGINT,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX market_items_name ON market_items (industry, name);
CREATE TABLE market_agencies (
    id         BIGSERIAL PRIMARY KEY,
    subject_id BIGINT NOT NULL UNIQUE REFERENCES subjects (id),
    state      TEXT NOT NULL,
    body       TEXT NOT NULL,
    rev        INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX market_agencies_state ON market_agencies (state, id);
CREATE TABLE market_projects (
    id                BIGSERIAL PRIMARY KEY,
    owner_org_id      BIGINT NOT NULL,
    state             TEXT NOT NULL,
    winner_subject_id BIGINT,
    body              TEXT NOT NULL,
    rev               INTEGER NOT NULL DEFAULT 1,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX market_projects_state ON market_projects (state, id);
CREATE INDEX market_projects_owner ON market_projects (owner_org_id, id);
CREATE INDEX market_projects_winner ON market_projects (winner_subject_id) WHERE winner_subject_id IS NOT NULL;
CREATE TABLE market_files (
    id         BIGSERIAL PRIMARY KEY,
    owner      TEXT NOT NULL,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    data       BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE market_files;
DROP TABLE market_projects;
DROP TABLE market_agencies;
DROP TABLE market_items;
