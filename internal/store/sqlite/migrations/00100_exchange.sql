-- +goose Up
-- Exchange between platforms (issue 22). peers are the other platforms
-- this one exchanges records with: role is the peer's (upper, lower,
-- national), region its territory (a lower peer receives only records of
-- subjects there), url and key_enc (encrypted) what this platform pulls
-- the peer's feed with, client_id the API client the peer reads this
-- platform's feed with, cursor the last entry of the peer's feed applied.
CREATE TABLE peers (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL DEFAULT '',
    role        TEXT NOT NULL CHECK (role IN ('upper', 'lower', 'national')),
    region      TEXT NOT NULL DEFAULT '',
    url         TEXT NOT NULL DEFAULT '',
    key_enc     BLOB,
    client_id   INTEGER,
    personal    INTEGER NOT NULL DEFAULT 0,
    cursor      INTEGER NOT NULL DEFAULT 0,
    remote_head INTEGER NOT NULL DEFAULT 0,
    received    INTEGER NOT NULL DEFAULT 0,
    applied     INTEGER NOT NULL DEFAULT 0,
    sent        INTEGER NOT NULL DEFAULT 0,
    conflicts   INTEGER NOT NULL DEFAULT 0,
    last_pull   TIMESTAMP,
    last_sent   TIMESTAMP,
    last_error  TEXT NOT NULL DEFAULT '',
    error_at    TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX peers_client ON peers (client_id) WHERE client_id IS NOT NULL;

-- The exchange log: one entry per record version written (op version: a
-- new record or a new content), state change (state: revoked, restored)
-- and repair day set or cleared (repair), in commit order. Triggers write
-- it, so that every path that writes records is logged. at is the entry's
-- stamp: the version's receipt time, or the time of the state change or
-- repair where it was first made (x_at, set by the exchange when it
-- applies one received from a peer); origin names the peer it was received
-- from ('' for this platform's own).
CREATE TABLE exchange_log (
    seq         INTEGER PRIMARY KEY,
    record_id   INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    op          TEXT NOT NULL,
    at          TIMESTAMP NOT NULL,
    origin      TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL,
    region      TEXT NOT NULL DEFAULT '',
    repaired_on TEXT NOT NULL DEFAULT ''
);
CREATE INDEX exchange_log_record ON exchange_log (record_id, at);

ALTER TABLE records ADD COLUMN x_at TIMESTAMP;
ALTER TABLE records ADD COLUMN x_origin TEXT NOT NULL DEFAULT '';

-- Versions received from a peer that lost to a later one held here (the
-- deciding department's latest version wins).
CREATE TABLE exchange_conflicts (
    id         INTEGER PRIMARY KEY,
    peer       TEXT NOT NULL,
    record_id  INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    op         TEXT NOT NULL,
    at         TIMESTAMP NOT NULL,
    held_at    TIMESTAMP NOT NULL,
    noted_at   TIMESTAMP NOT NULL,
    UNIQUE (peer, record_id, op, at)
);

-- Records stored before: their current versions start the log.
INSERT INTO exchange_log (record_id, version, op, at, origin, kind, region, repaired_on)
SELECT r.id, r.version, 'version', r.received_at, '', r.kind, COALESCE(s.region, ''), COALESCE(r.repaired_on, '')
FROM records r LEFT JOIN subjects s ON s.id = r.subject_id ORDER BY r.id;

-- +goose StatementBegin
CREATE TRIGGER exchange_log_insert AFTER INSERT ON records BEGIN
    INSERT INTO exchange_log (record_id, version, op, at, origin, kind, region, repaired_on)
    VALUES (NEW.id, NEW.version, 'version', NEW.received_at,
        COALESCE((SELECT file_name FROM intake_batches WHERE id = NEW.batch_id AND channel = 'exchange'), ''),
        NEW.kind, COALESCE((SELECT region FROM subjects WHERE id = NEW.subject_id), ''), COALESCE(NEW.repaired_on, ''));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER exchange_log_version AFTER UPDATE ON records WHEN NEW.content_hash <> OLD.content_hash BEGIN
    INSERT INTO exchange_log (record_id, version, op, at, origin, kind, region, repaired_on)
    VALUES (NEW.id, NEW.version, 'version', NEW.received_at,
        COALESCE((SELECT file_name FROM intake_batches WHERE id = NEW.batch_id AND channel = 'exchange'), ''),
        NEW.kind, COALESCE((SELECT region FROM subjects WHERE id = NEW.subject_id), ''), COALESCE(NEW.repaired_on, ''));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER exchange_log_state AFTER UPDATE ON records
WHEN NEW.content_hash = OLD.content_hash AND NEW.version <> OLD.version BEGIN
    INSERT INTO exchange_log (record_id, version, op, at, origin, kind, region, repaired_on)
    VALUES (NEW.id, NEW.version, 'state',
        CASE WHEN NEW.x_at IS NOT OLD.x_at THEN NEW.x_at ELSE strftime('%Y-%m-%d %H:%M:%f', 'now') || ' +0000 UTC' END,
        CASE WHEN NEW.x_at IS NOT OLD.x_at THEN NEW.x_origin ELSE '' END,
        NEW.kind, COALESCE((SELECT region FROM subjects WHERE id = NEW.subject_id), ''), COALESCE(NEW.repaired_on, ''));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER exchange_log_repair AFTER UPDATE ON records
WHEN NEW.content_hash = OLD.content_hash AND NEW.version = OLD.version AND NEW.repaired_on IS NOT OLD.repaired_on BEGIN
    INSERT INTO exchange_log (record_id, version, op, at, origin, kind, region, repaired_on)
    VALUES (NEW.id, NEW.version, 'repair',
        CASE WHEN NEW.x_at IS NOT OLD.x_at THEN NEW.x_at ELSE strftime('%Y-%m-%d %H:%M:%f', 'now') || ' +0000 UTC' END,
        CASE WHEN NEW.x_at IS NOT OLD.x_at THEN NEW.x_origin ELSE '' END,
        NEW.kind, COALESCE((SELECT region FROM subjects WHERE id = NEW.subject_id), ''), COALESCE(NEW.repaired_on, ''));
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER exchange_log_repair;
DROP TRIGGER exchange_log_state;
DROP TRIGGER exchange_log_version;
DROP TRIGGER exchange_log_insert;
DROP TABLE exchange_conflicts;
ALTER TABLE records DROP COLUMN x_origin;
ALTER TABLE records DROP COLUMN x_at;
DROP TABLE exchange_log;
DROP TABLE peers;
