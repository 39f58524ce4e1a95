-- +goose Up
-- Government-integrity monitoring (政务诚信监测, package integrity).
--
-- integrity_scope: the monitoring scope as settings on the organisation
-- tree (cover: governments, departments or all; depth: the organisation's
-- own division or also those below). No row: every government body.
CREATE TABLE integrity_scope (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id     BIGINT NOT NULL,
    cover      TEXT NOT NULL CHECK (cover IN ('all', 'governments', 'departments')),
    depth      TEXT NOT NULL CHECK (depth IN ('level', 'subtree')),
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, cover, depth)
);

-- One monthly run per month: running until every monitored body's score
-- is written, then done. as_of is the moment the records were taken as
-- known (the month's end for a past month: a run again gives the same
-- result); model the version of the scoring model.
CREATE TABLE integrity_runs (
    month       TEXT PRIMARY KEY,
    state       TEXT NOT NULL CHECK (state IN ('running', 'done')),
    is_final    BOOLEAN NOT NULL,
    as_of       TIMESTAMPTZ NOT NULL,
    model       TEXT NOT NULL,
    started_by  TEXT NOT NULL,
    bodies      INTEGER NOT NULL DEFAULT 0,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);

-- A body's score of a month: the total in hundredths of a point, its rank
-- among its peer group (grp) and the explanation (dimensions and every
-- event's contribution, JSON of integrity.Result).
CREATE TABLE integrity_scores (
    month         TEXT NOT NULL,
    subject_id    BIGINT NOT NULL,
    uscc          TEXT NOT NULL,
    name          TEXT NOT NULL,
    region        TEXT NOT NULL,
    grp           TEXT NOT NULL,
    total         BIGINT NOT NULL,
    rank_in_group INTEGER NOT NULL,
    peers         INTEGER NOT NULL,
    detail        TEXT NOT NULL,
    PRIMARY KEY (month, subject_id)
);
CREATE INDEX integrity_scores_subject ON integrity_scores (subject_id, month);

-- The monitored body's feedback on an event (处理结果), appended; the
-- newest is the one in force.
CREATE TABLE integrity_feedback (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id  BIGINT NOT NULL,
    subject_id BIGINT NOT NULL,
    result     TEXT NOT NULL,
    text       TEXT NOT NULL,
    actor      TEXT NOT NULL,
    org_id     BIGINT,
    at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX integrity_feedback_record ON integrity_feedback (record_id, id);

-- Risk alerts: one per serious bad event, raised when the platform first
-- sees it (from the change feed).
CREATE TABLE integrity_alerts (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id  BIGINT NOT NULL UNIQUE,
    subject_id BIGINT NOT NULL,
    item       TEXT NOT NULL,
    event_date TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX integrity_alerts_subject ON integrity_alerts (subject_id, id);

-- +goose Down
DROP TABLE integrity_alerts;
DROP TABLE integrity_feedback;
DROP TABLE integrity_scores;
DROP TABLE integrity_runs;
DROP TABLE integrity_scope;
