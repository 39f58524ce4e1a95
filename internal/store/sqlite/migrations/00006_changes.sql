-- +goose Up
-- The change feed: one event per list entry filed or back in force
-- (list_entry), entry exited or revoked (list_exit), new record of a bad
-- kind (bad_record) and repair (repair), appended in the transaction that
-- writes the record. seq is the feed's cursor: assigned as max + 1 by the
-- one writer, so it is gap-free and commits in order. region is the
-- subject's when the event was written, so that region watches need no
-- join.
CREATE TABLE changes (
    seq        INTEGER PRIMARY KEY,
    at         TIMESTAMP NOT NULL,
    type       TEXT NOT NULL CHECK (type IN ('list_entry', 'list_exit', 'bad_record', 'repair')),
    record_id  INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    region     TEXT NOT NULL DEFAULT '',
    list_type  TEXT NOT NULL DEFAULT ''
);

-- Watches: an organisation's subscriptions, to a subject or to every
-- subject whose region starts with a prefix of 2 to 6 digits.
CREATE TABLE watches (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL,
    subject_id INTEGER,
    region     TEXT,
    created_at TIMESTAMP NOT NULL,
    CHECK ((subject_id IS NULL) <> (region IS NULL))
);
CREATE UNIQUE INDEX watches_subject ON watches (org_id, subject_id) WHERE subject_id IS NOT NULL;
CREATE UNIQUE INDEX watches_region ON watches (org_id, region) WHERE region IS NOT NULL;

-- +goose Down
DROP TABLE watches;
DROP TABLE changes;
