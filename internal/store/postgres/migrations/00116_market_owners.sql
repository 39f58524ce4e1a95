-- +goose Up
-- Firms as project owners (项目业主库, 第二条、第二十二条): a firm's own
-- account registers as an owner (market_owners, one per credit subject, its
-- registration as JSON in body) and files projects; such a project has
-- owner_org_id 0 and owner_subject_id the firm. Government owners keep
-- owner_org_id and no owner_subject_id.
ALTER TABLE market_projects ADD COLUMN owner_subject_id BIGINT;
CREATE INDEX market_projects_owner_subject ON market_projects (owner_subject_id, id) WHERE owner_subject_id IS NOT NULL;
CREATE TABLE market_owners (
    subject_id BIGINT PRIMARY KEY,
    body       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE market_owners;
DROP INDEX market_projects_owner_subject;
ALTER TABLE market_projects DROP COLUMN owner_subject_id;
