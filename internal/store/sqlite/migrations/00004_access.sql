-- +goose Up
-- The organisation tree: the operator at the root, regions (省/市/县) and
-- departments below. path is the chain of ids from the root ("/1/4/9/"),
-- so an organisation's scope is every row whose path starts with its own.
CREATE TABLE orgs (
    id          INTEGER PRIMARY KEY,
    parent_id   INTEGER,
    kind        TEXT NOT NULL CHECK (kind IN ('operator', 'region', 'dept')),
    name        TEXT NOT NULL,
    region      TEXT NOT NULL DEFAULT '',
    uscc        TEXT,
    path        TEXT NOT NULL UNIQUE,
    disabled    INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX orgs_uscc ON orgs (uscc) WHERE uscc IS NOT NULL;
CREATE UNIQUE INDEX orgs_root ON orgs ((1)) WHERE parent_id IS NULL;

-- Accounts. roles is a comma-separated list of role names (auth/roles.json);
-- password_hash is argon2id; totp_enc is the second factor's secret,
-- encrypted with the data key.
CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    login           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL DEFAULT '',
    org_id          INTEGER,
    roles           TEXT NOT NULL,
    subject_id      INTEGER,
    password_hash   TEXT NOT NULL DEFAULT '',
    totp_enc        BLOB,
    oidc_subject    TEXT,
    failed          INTEGER NOT NULL DEFAULT 0,
    locked_until    TIMESTAMP,
    disabled        INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMP NOT NULL,
    password_set_at TIMESTAMP
);
CREATE UNIQUE INDEX users_oidc ON users (oidc_subject) WHERE oidc_subject IS NOT NULL;
CREATE INDEX users_org ON users (org_id);

-- Server-side sessions, found by the SHA-256 of the cookie's token.
CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    csrf       TEXT NOT NULL,
    pending    INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    last_seen  TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- API clients of department systems: the key's public prefix and the
-- SHA-256 of its secret; the key itself is shown once and never stored.
CREATE TABLE api_clients (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL,
    name       TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    prefix     TEXT NOT NULL UNIQUE,
    secret_sum BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL,
    rotated_at TIMESTAMP,
    revoked    INTEGER NOT NULL DEFAULT 0,
    last_used  TIMESTAMP
);

-- The audit trail: append-only (triggers refuse UPDATE and DELETE) and
-- hash-chained (hash = HMAC(audit key, prev || entry)), so that an edit
-- made around the triggers is found by xinyong audit verify.
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         TIMESTAMP NOT NULL,
    actor      TEXT NOT NULL,
    org_id     INTEGER NOT NULL DEFAULT 0,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL DEFAULT '',
    subject_id INTEGER NOT NULL DEFAULT 0,
    purpose    TEXT NOT NULL DEFAULT '',
    outcome    TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    prev       BLOB,
    hash       BLOB NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject_id, seq) WHERE subject_id <> 0;
CREATE INDEX audit_log_org ON audit_log (org_id, seq);
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_log;
DROP TABLE api_clients;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE orgs;
