-- +goose Up
-- Records' public fields in the compact encoding (store.Fields: a format
-- byte, then per field a one-byte key or the key spelled out, and the
-- value's length and bytes), about half the bytes of the JSON object that
-- spelled out every key in every row. The column becomes bytea; rows
-- stored before keep their JSON text as bytes, which store.DecodeFields
-- reads as well, until a new version replaces them.
ALTER TABLE records ALTER COLUMN fields TYPE bytea USING convert_to(fields, 'UTF8');
ALTER TABLE record_versions ALTER COLUMN fields TYPE bytea USING convert_to(fields, 'UTF8');

-- +goose Down
-- Only JSON rows convert back; compact rows must be re-sent first.
ALTER TABLE record_versions ALTER COLUMN fields TYPE text USING convert_from(fields, 'UTF8');
ALTER TABLE records ALTER COLUMN fields TYPE text USING convert_from(fields, 'UTF8');
