-- +goose Up
-- The organisation tree: the operator at the root, regions (省/市/县) and
-- departments below. path is the chain of ids from the root ("/1/4/9/"),
-- so an organisation's scope is every row whose path starts with its own.
CREATE TABLE orgs (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id   BIGINT,
    kind        TEXT NOT NULL CHECK (kind IN ('operator', 'region', 'dept')),
    name        TEXT NOT NULL,
    region      TEXT NOT NULL DEFAULT '',
    uscc        TEXT,
    path        TEXT NOT NULL UNIQUE,
    disabled    BOOLEAN NOT NULL DEFAULT false,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX orgs_uscc ON orgs (uscc) WHERE uscc IS NOT NULL;
CREATE UNIQUE INDEX orgs_root ON orgs ((1)) WHERE parent_id IS NULL;

-- Accounts. roles is a comma-separated list of role names (auth/roles.json);
-- password_hash is argon2id; totp_enc is the second factor's secret,
-- encrypted with the data key.
CREATE TABLE users (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL DEFAULT '',
    org_id          BIGINT,
    roles           TEXT NOT NULL,
    subject_id      BIGINT,
    password_hash   TEXT NOT NULL DEFAULT '',
    totp_enc        BYTEA,
    oidc_subject    TEXT,
    failed          INTEGER NOT NULL DEFAULT 0,
    locked_until    TIMESTAMPTZ,
    disabled        BOOLEAN NOT NULL DEFAULT false,
    created_at      TIMESTAMPTZ NOT NULL,
    password_set_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX users_oidc ON users (oidc_subject) WHERE oidc_subject IS NOT NULL;
CREATE INDEX users_org ON users (org_id);

-- Server-side sessions, found by the SHA-256 of the cookie's token.
CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY,
    user_id    BIGINT NOT NULL,
    csrf       TEXT NOT NULL,
    pending    BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen  TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- API clients of department systems: the key's public prefix and the
-- SHA-256 of its secret; the key itself is shown once and never stored.
CREATE TABLE api_clients (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id     BIGINT NOT NULL,
    name       TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    prefix     TEXT NOT NULL UNIQUE,
    secret_sum BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    rotated_at TIMESTAMPTZ,
    revoked    BOOLEAN NOT NULL DEFAULT false,
    last_used  TIMESTAMPTZ
);

-- The audit trail: append-only (a trigger refuses UPDATE, DELETE and
-- TRUNCATE) and hash-chained (hash = HMAC(audit key, prev || entry)), so
-- that an edit made around the trigger is found by xinyong audit verify.
CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    actor      TEXT NOT NULL,
    org_id     BIGINT NOT NULL DEFAULT 0,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL DEFAULT '',
    subject_id BIGINT NOT NULL DEFAULT 0,
    purpose    TEXT NOT NULL DEFAULT '',
    outcome    TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    prev       BYTEA,
    hash       BYTEA NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject_id, seq) WHERE subject_id <> 0;
CREATE INDEX audit_log_org ON audit_log (org_id, seq);
-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Name search: the planner needs to know how rare each bigram is; the
-- default statistics target (100) keeps only the most common few hundred
-- of millions, so it guessed every rare bigram to be common and chose
-- sequential scans (bench portal: two-character search p99 493 ms).
ALTER TABLE subject_search ALTER COLUMN grams SET STATISTICS 10000;

-- +goose Down
ALTER TABLE subject_search ALTER COLUMN grams SET STATISTICS -1;
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE api_clients;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE orgs;
