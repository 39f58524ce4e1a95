-- +goose Up
-- Exchange between platforms (issue 22): see the SQLite migration of the
-- same number for what each table keeps.
CREATE TABLE peers (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL DEFAULT '',
    role        TEXT NOT NULL CHECK (role IN ('upper', 'lower', 'national')),
    region      TEXT NOT NULL DEFAULT '',
    url         TEXT NOT NULL DEFAULT '',
    key_enc     BYTEA,
    client_id   BIGINT,
    personal    BOOLEAN NOT NULL DEFAULT FALSE,
    cursor      BIGINT NOT NULL DEFAULT 0,
    remote_head BIGINT NOT NULL DEFAULT 0,
    received    BIGINT NOT NULL DEFAULT 0,
    applied     BIGINT NOT NULL DEFAULT 0,
    sent        BIGINT NOT NULL DEFAULT 0,
    conflicts   BIGINT NOT NULL DEFAULT 0,
    last_pull   TIMESTAMPTZ,
    last_sent   TIMESTAMPTZ,
    last_error  TEXT NOT NULL DEFAULT '',
    error_at    TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX peers_client ON peers (client_id) WHERE client_id IS NOT NULL;

CREATE TABLE exchange_log (
    seq         BIGINT PRIMARY KEY,
    record_id   BIGINT NOT NULL,
    version     INTEGER NOT NULL,
    op          TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    origin      TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL,
    region      TEXT NOT NULL DEFAULT '',
    repaired_on TEXT NOT NULL DEFAULT ''
);
CREATE INDEX exchange_log_record ON exchange_log (record_id, at);

ALTER TABLE records ADD COLUMN x_at TIMESTAMPTZ;
ALTER TABLE records ADD COLUMN x_origin TEXT NOT NULL DEFAULT '';

CREATE TABLE exchange_conflicts (
    id         BIGSERIAL PRIMARY KEY,
    peer       TEXT NOT NULL,
    record_id  BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    op         TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    held_at    TIMESTAMPTZ NOT NULL,
    noted_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (peer, record_id, op, at)
);

INSERT INTO exchange_log (seq, record_id, version, op, at, origin, kind, region, repaired_on)
SELECT row_number() OVER (ORDER BY r.id), r.id, r.version, 'version', r.received_at, '', r.kind, COALESCE(s.region, ''), COALESCE(r.repaired_on, '')
FROM records r LEFT JOIN subjects s ON s.id = r.subject_id;

-- The log's numbers must commit in order (a reader that has seen n has
-- seen every entry before it): the trigger runs at commit (a deferred
-- constraint trigger) and numbers its entry max + 1 under an advisory
-- transaction lock held until the commit, as the change feed does.
-- +goose StatementBegin
CREATE FUNCTION exchange_log_append() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    xop TEXT;
    xat TIMESTAMPTZ;
    xorigin TEXT := '';
BEGIN
    IF TG_OP = 'INSERT' OR NEW.content_hash <> OLD.content_hash THEN
        xop := 'version';
        xat := NEW.received_at;
        SELECT file_name INTO xorigin FROM intake_batches WHERE id = NEW.batch_id AND channel = 'exchange';
        xorigin := COALESCE(xorigin, '');
    ELSIF NEW.version <> OLD.version THEN
        xop := 'state';
    ELSIF NEW.repaired_on IS DISTINCT FROM OLD.repaired_on THEN
        xop := 'repair';
    ELSE
        RETURN NULL;
    END IF;
    IF xop <> 'version' THEN
        IF NEW.x_at IS DISTINCT FROM OLD.x_at THEN
            xat := NEW.x_at;
            xorigin := NEW.x_origin;
        ELSE
            xat := clock_timestamp();
        END IF;
    END IF;
    PERFORM pg_advisory_xact_lock(2021221752); -- 0x78796578 "xyex"
    INSERT INTO exchange_log (seq, record_id, version, op, at, origin, kind, region, repaired_on)
    VALUES ((SELECT COALESCE(max(seq), 0) + 1 FROM exchange_log), NEW.id, NEW.version, xop, xat, xorigin, NEW.kind,
        COALESCE((SELECT region FROM subjects WHERE id = NEW.subject_id), ''), COALESCE(NEW.repaired_on, ''));
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER exchange_log AFTER INSERT OR UPDATE ON records
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION exchange_log_append();

-- +goose Down
DROP TRIGGER exchange_log ON records;
DROP FUNCTION exchange_log_append();
DROP TABLE exchange_conflicts;
ALTER TABLE records DROP COLUMN x_origin;
ALTER TABLE records DROP COLUMN x_at;
DROP TABLE exchange_log;
DROP TABLE peers;
