-- +goose Up
-- The last TOTP step (Unix time / 30 s) a code was accepted for, per
-- account: a code is good once, so a sign-in whose code's step is not
-- after it is refused (UseTOTPStep, a conditional UPDATE: of two sign-ins
-- with the same code, one wins).
ALTER TABLE users ADD COLUMN totp_step BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN totp_step;
