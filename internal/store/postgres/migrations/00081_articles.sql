-- +goose Up
-- Articles of the public columns (issue 21): 政策法规 (policy), 信用动态
-- (news) and the 专项治理 campaigns (campaign), written by editors.
-- body is plain text (rendered escaped, paragraphs by blank lines).
CREATE TABLE articles (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    col          TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    source       TEXT NOT NULL,
    published_on TEXT NOT NULL,
    author       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    rev          INTEGER NOT NULL
);
CREATE INDEX articles_col ON articles (col, published_on);

CREATE TABLE article_files (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    article_id   BIGINT NOT NULL REFERENCES articles (id),
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    data         BYTEA NOT NULL
);
CREATE INDEX article_files_article ON article_files (article_id);

-- The subjects listed under a 专项治理 campaign, with what is said of each.
CREATE TABLE campaign_subjects (
    article_id BIGINT NOT NULL REFERENCES articles (id),
    subject_id BIGINT NOT NULL,
    note       TEXT NOT NULL,
    PRIMARY KEY (article_id, subject_id)
);

-- +goose Down
DROP TABLE campaign_subjects;
DROP TABLE article_files;
DROP TABLE articles;
