-- +goose Up
-- The daily public snapshot (organisations' records as the portal shows
-- them that day: JSON lines, gzip) and its delta from the snapshot before
-- (lines removed and added), each with the SHA-256 of its uncompressed
-- text, for bulk download instead of scraping.
CREATE TABLE public_snapshots (
    day          TEXT PRIMARY KEY,
    records      INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    body         BYTEA NOT NULL,
    base_day     TEXT NOT NULL DEFAULT '',
    added        INTEGER NOT NULL DEFAULT 0,
    removed      INTEGER NOT NULL DEFAULT 0,
    delta_sha256 TEXT NOT NULL DEFAULT '',
    delta        BYTEA,
    created_at   TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE public_snapshots;
