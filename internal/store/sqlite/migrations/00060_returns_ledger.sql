-- +goose Up
-- Returns (退回): every row intake rejected, kept for the department that
-- sent it until a valid version of the same record arrives (state fixed,
-- matched by identity, the keyed hash the records use; a row whose
-- identity fields were themselves invalid has none and is matched by kind,
-- department and decision number) or its clerk withdraws it with a reason
-- (withdrawn). masked is the row as sent with personal identifiers masked
-- (JSON array, beside header); original is the row as sent, encrypted with
-- the data key, for the department's errors file. One return per batch
-- and row: a resumed import files the same rows again without doubling
-- them.
CREATE TABLE returns (
    id           INTEGER PRIMARY KEY,
    batch_id     INTEGER NOT NULL,
    row          INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    dept         TEXT NOT NULL,
    identity     BLOB,
    decision_no  TEXT NOT NULL DEFAULT '',
    header       TEXT NOT NULL,
    masked       TEXT NOT NULL,
    original     BLOB NOT NULL,
    reasons      TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'fixed', 'withdrawn')),
    created_at   TIMESTAMP NOT NULL,
    closed_at    TIMESTAMP,
    fixed_record INTEGER,
    fixed_batch  INTEGER,
    note         TEXT NOT NULL DEFAULT '',
    closed_by    TEXT NOT NULL DEFAULT '',
    UNIQUE (batch_id, row)
);
CREATE INDEX returns_open ON returns (identity) WHERE state = 'open';
CREATE INDEX returns_open_no ON returns (decision_no) WHERE state = 'open' AND identity IS NULL;
CREATE INDEX returns_dept ON returns (dept, created_at);

-- The reporting ledger (报送台账): what a department is expected to report
-- of a kind, from a month on: a declared volume per month, or every
-- decision of its register (ledger_register, uploaded from its own
-- system).
CREATE TABLE ledger_plans (
    dept       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    mode       TEXT NOT NULL CHECK (mode IN ('volume', 'register')),
    volume     INTEGER NOT NULL DEFAULT 0,
    from_month TEXT NOT NULL,
    source     TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (dept, kind)
);
CREATE TABLE ledger_register (
    dept          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    decision_no   TEXT NOT NULL,
    decision_date TEXT NOT NULL,
    uploaded_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (dept, kind, decision_no)
);
CREATE INDEX ledger_register_date ON ledger_register (dept, kind, decision_date);

-- Records whose deciding body (authority_uscc) is not their supplier:
-- reported by another department or platform. The ledger counts one
-- against its deciding body when that body never reported the decision
-- itself (瞒报). Written with the record, only for such records.
CREATE TABLE record_deciders (
    record_id     INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    decider       TEXT NOT NULL,
    source_dept   TEXT NOT NULL,
    decision_no   TEXT NOT NULL,
    decision_date TEXT NOT NULL
);
CREATE INDEX record_deciders_decider ON record_deciders (decision_date, decider);

-- Records of a kind and department that a batch changed (new versions), to
-- tell a monthly kind's departments that sent no update in a month.
ALTER TABLE intake_counts ADD COLUMN updated INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE intake_counts DROP COLUMN updated;
DROP TABLE record_deciders;
DROP TABLE ledger_register;
DROP TABLE ledger_plans;
DROP TABLE returns;
