-- +goose Up
-- What an upload warned about, kept with its batch for the batch page: the
-- header's warnings and the rows whose subject name disagrees with the
-- registered holder of their code (JSON arrays of strings).
ALTER TABLE intake_batches ADD COLUMN header_warnings TEXT NOT NULL DEFAULT '[]';
ALTER TABLE intake_batches ADD COLUMN name_warnings TEXT NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE intake_batches DROP COLUMN name_warnings;
ALTER TABLE intake_batches DROP COLUMN header_warnings;
