-- +goose Up
-- Name search statistics: 10,000 (migration 00004) kept 100,000 bigrams,
-- and reading them made planning a search cost 1.2 ms, more than running
-- it; 1,000 (10,000 bigrams) gives the same plans for 0.3 ms (bench
-- portal: two-character searches 770 → 970 per second at 1,000,000
-- subjects).
ALTER TABLE subject_search ALTER COLUMN grams SET STATISTICS 1000;
ANALYZE subject_search;

-- +goose Down
ALTER TABLE subject_search ALTER COLUMN grams SET STATISTICS 10000;
