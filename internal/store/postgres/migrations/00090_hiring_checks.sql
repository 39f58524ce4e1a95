-- +goose Up
-- Credit-record checks of civil-service and public-institution hires
-- (陕发改财金〔2021〕789号, package hiring). A request is filed by the
-- requesting unit (org_id, org_path) and answered by the credit office of
-- the level the routing rules give (responder_id, responder_path). The
-- request document's fields are columns; the workflow (timers, reviews,
-- extensions, the reply's number, objections) is the JSON of package
-- hiring in "flow", rev incremented by every update. Candidates' names
-- and ID numbers are encrypted with the data key (name_enc, id_enc); both
-- and the link to the subject are erased (set NULL, erased_at set) when
-- the retention period has passed.
CREATE TABLE hiring_checks (
    id             BIGSERIAL PRIMARY KEY,
    org_id         BIGINT NOT NULL,
    org_path       TEXT NOT NULL,
    responder_id   BIGINT NOT NULL,
    responder_path TEXT NOT NULL,
    kind           TEXT NOT NULL,
    level          TEXT NOT NULL,
    state          TEXT NOT NULL,
    doc_no         TEXT NOT NULL,
    title          TEXT NOT NULL,
    matter         TEXT NOT NULL DEFAULT '',
    contact        TEXT NOT NULL DEFAULT '',
    phone          TEXT NOT NULL DEFAULT '',
    flow           TEXT NOT NULL DEFAULT '{}',
    rev            INTEGER NOT NULL DEFAULT 1,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    closed_at      TIMESTAMPTZ,
    erased_at      TIMESTAMPTZ,
    UNIQUE (org_id, doc_no)
);
CREATE INDEX hiring_checks_org ON hiring_checks (org_path, id);
CREATE INDEX hiring_checks_responder ON hiring_checks (responder_path, id);
CREATE INDEX hiring_checks_closed ON hiring_checks (closed_at) WHERE erased_at IS NULL;
CREATE TABLE hiring_candidates (
    check_id   BIGINT NOT NULL REFERENCES hiring_checks (id),
    idx        INTEGER NOT NULL,
    name_enc   BYTEA,
    id_enc     BYTEA,
    post       TEXT NOT NULL DEFAULT '',
    subject_id BIGINT,
    target     BOOLEAN NOT NULL DEFAULT FALSE,
    lists      TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (check_id, idx)
);
CREATE INDEX hiring_candidates_subject ON hiring_candidates (subject_id) WHERE subject_id IS NOT NULL;

-- +goose Down
DROP TABLE hiring_candidates;
DROP TABLE hiring_checks;
