-- +goose Up
-- Graded supervision (分级分类监管) and 双随机、一公开 inspections (package
-- inspection). A department's measures per grade are the JSON of
-- inspection.Plan; without a row the built-in plan applies.
CREATE TABLE supervision_plans (
    org_id     INTEGER PRIMARY KEY,
    body       TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);

-- A department's list of random inspection matters (随机抽查事项清单).
CREATE TABLE inspection_items (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL,
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    basis      TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (org_id, code)
);

-- A department's inspector pool (执法检查人员名录库), and the subjects each
-- must not inspect (回避).
CREATE TABLE inspectors (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL,
    name       TEXT NOT NULL,
    badge      TEXT NOT NULL,
    user_id    INTEGER,
    active     BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (org_id, badge)
);
CREATE TABLE inspector_conflicts (
    inspector_id INTEGER NOT NULL,
    subject_id   INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    PRIMARY KEY (inspector_id, subject_id)
);

-- 双随机 tasks. seed_hash is published when the task is created (the seed
-- committed before the draw); the draw reveals seed and stores its inputs:
-- the population snapshot (gzip of its listing) and the pool's, with their
-- SHA-256, the ratios and counts by grade (strata, JSON), so that anyone
-- can re-run it.
CREATE TABLE inspection_tasks (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL,
    code            TEXT NOT NULL UNIQUE,
    item_id         INTEGER NOT NULL,
    name            TEXT NOT NULL,
    region          TEXT NOT NULL,
    keywords        TEXT NOT NULL,
    classes         TEXT NOT NULL,
    licensed        BOOLEAN NOT NULL,
    period_from     TEXT NOT NULL,
    period_to       TEXT NOT NULL,
    per_target      INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('open', 'drawn')),
    seed_hash       TEXT NOT NULL,
    seed            TEXT NOT NULL,
    population_hash TEXT NOT NULL DEFAULT '',
    population_size INTEGER NOT NULL DEFAULT 0,
    population      BLOB,
    pool_hash       TEXT NOT NULL DEFAULT '',
    pool            BLOB,
    strata          TEXT NOT NULL DEFAULT '',
    excluded        INTEGER NOT NULL DEFAULT 0,
    model           TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    created_by      TEXT NOT NULL,
    drawn_at        TIMESTAMP,
    drawn_by        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX inspection_tasks_org ON inspection_tasks (org_id, id);

-- The subjects a task drew, with the inspectors drawn for each (JSON ids)
-- and the result entered.
CREATE TABLE inspection_targets (
    task_id      INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    subject_id   INTEGER NOT NULL,
    code         TEXT NOT NULL,
    name         TEXT NOT NULL,
    grade        TEXT NOT NULL,
    inspectors   TEXT NOT NULL,
    result       TEXT NOT NULL DEFAULT '',
    findings     TEXT NOT NULL DEFAULT '',
    inspected_on TEXT NOT NULL DEFAULT '',
    record_id    INTEGER,
    entered_at   TIMESTAMP,
    entered_by   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (task_id, seq)
);
CREATE INDEX inspection_targets_subject ON inspection_targets (subject_id);

-- +goose Down
DROP TABLE inspection_targets;
DROP TABLE inspection_tasks;
DROP TABLE inspector_conflicts;
DROP TABLE inspectors;
DROP TABLE inspection_items;
DROP TABLE supervision_plans;
