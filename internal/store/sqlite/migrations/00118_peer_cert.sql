-- +goose Up
-- Mutual TLS between peer platforms (docs/exchange.md): the SHA-256 of the
-- client certificate a peer reads this platform's feed with (lower-case
-- hex of its DER), '' when it reads with its API key only. One peer per
-- certificate.
ALTER TABLE peers ADD COLUMN cert_sha256 TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX peers_cert ON peers (cert_sha256) WHERE cert_sha256 <> '';

-- +goose Down
DROP INDEX peers_cert;
ALTER TABLE peers DROP COLUMN cert_sha256;
