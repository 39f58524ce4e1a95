-- +goose Up
-- Records' public fields in the compact encoding (store.Fields: a format
-- byte, then per field a one-byte key or the key spelled out, and the
-- value's length and bytes), about half the bytes of the JSON object that
-- spelled out every key in every row. SQLite keeps what it is given in any
-- column: new rows store a BLOB in the fields column, rows stored before
-- keep their JSON text, which store.DecodeFields reads as well, until a
-- new version replaces them. Nothing to change here; the version keeps the
-- two dialects' migrations numbered alike.
SELECT 1;

-- +goose Down
SELECT 1;
