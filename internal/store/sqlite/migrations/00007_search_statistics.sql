-- +goose Up
-- Nothing to change here: PostgreSQL's migration 7 lowers the statistics
-- target of its name-search index, which SQLite's FTS5 index does not
-- have. Both drivers keep the same schema version numbers.
SELECT 1;

-- +goose Down
SELECT 1;
