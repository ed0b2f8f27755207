-- Current-state read models (`shared::projection`), written in the append transaction, so they
-- always show exactly the log up to its head. `log_head.read_models` names the projections they
-- were built with: when the app's differ, the server rebuilds them from the log at start.
CREATE TABLE read_streams (
    tbl     TEXT   NOT NULL,
    stream  TEXT   NOT NULL,
    version BIGINT NOT NULL,
    state   TEXT   NOT NULL,
    PRIMARY KEY (tbl, stream)
) WITHOUT ROWID;

-- Keyed by what it is read by (a table's rows in (sort, id) order): one b-tree, no other index.
-- Nothing looks a row up by its event id (rows are only ever appended, or all rebuilt).
CREATE TABLE read_rows (
    tbl    TEXT   NOT NULL,
    sort   BIGINT NOT NULL,
    id     TEXT   NOT NULL,
    stream TEXT   NOT NULL,
    value  TEXT   NOT NULL,
    PRIMARY KEY (tbl, sort, id)
) WITHOUT ROWID;

ALTER TABLE log_head ADD COLUMN read_models TEXT NOT NULL DEFAULT '';
