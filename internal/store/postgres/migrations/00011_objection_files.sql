-- +goose Up
-- Evidence attached to objections (PDF, JPEG or PNG, checked by package
-- attach), sealed with the data key like repair proofs.
CREATE TABLE objection_files (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    objection_id BIGINT NOT NULL REFERENCES objections (id),
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    data         BYTEA NOT NULL
);
CREATE INDEX objection_files_objection ON objection_files (objection_id);

-- +goose Down
DROP TABLE objection_files;
