-- +goose Up
-- The subject registry: one row per credit subject, keyed by its natural
-- key ("U:"+USCC, "R:"+registration number+"|"+name, or "P:"+the keyed
-- hash of an ID number), which is also how subjects are looked up: no
-- second index on the same value. Personal identifiers are stored only
-- encrypted (id_enc) and, inside the key, hashed.
CREATE TABLE subjects (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    class      TEXT NOT NULL CHECK (class IN ('org', 'sole', 'person', 'gov')),
    uscc       TEXT,
    reg_no     TEXT,
    id_enc     BLOB,
    masked_id  TEXT,
    name       TEXT NOT NULL,
    region     TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX subjects_reg_no ON subjects (reg_no) WHERE reg_no IS NOT NULL;
CREATE INDEX subjects_class ON subjects (class);

-- Every name a subject has carried; valid_to is NULL for the current one.
CREATE TABLE subject_names (
    id         INTEGER PRIMARY KEY,
    subject_id INTEGER NOT NULL,
    name       TEXT NOT NULL,
    valid_from TIMESTAMP,
    valid_to   TIMESTAMP
);
CREATE INDEX subject_names_subject ON subject_names (subject_id);
CREATE UNIQUE INDEX subject_names_current ON subject_names (subject_id) WHERE valid_to IS NULL;

-- Platform settings that must survive restarts, such as the fingerprint of
-- the data key the personal identifiers were written with.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE subject_names;
DROP TABLE subjects;
