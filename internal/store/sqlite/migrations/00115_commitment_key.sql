-- +goose Up
-- An idempotency key on a commitment signed as one step of another
-- application (the marketplace's agency application, docs/market.md): the
-- application stores itself first, then signs with a key naming it; a
-- retry after a crash signs with the same key and gets the same commitment.
-- NULL (no key) for every other commitment; NULLs never collide.
ALTER TABLE commitments ADD COLUMN idem_key TEXT;
CREATE UNIQUE INDEX commitments_idem_key ON commitments (idem_key);

-- +goose Down
DROP INDEX commitments_idem_key;
ALTER TABLE commitments DROP COLUMN idem_key;
