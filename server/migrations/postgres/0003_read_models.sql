-- Current-state read models (`shared::projection`), written in the append transaction, so they
-- always show exactly the log up to its head. `log_head.read_models` names the projections they
-- were built with: when the app's differ, the server rebuilds them from the log at start.
CREATE TABLE read_streams (
    stream  TEXT   PRIMARY KEY,
    tbl     TEXT   NOT NULL,
    version BIGINT NOT NULL,
    state   TEXT   NOT NULL
);
CREATE INDEX read_streams_by_table ON read_streams (tbl, stream);

CREATE TABLE read_rows (
    tbl    TEXT   NOT NULL,
    id     TEXT   NOT NULL,
    stream TEXT   NOT NULL,
    sort   BIGINT NOT NULL,
    value  TEXT   NOT NULL,
    PRIMARY KEY (tbl, id)
);
CREATE INDEX read_rows_by_sort ON read_rows (tbl, sort, id);

ALTER TABLE log_head ADD COLUMN read_models TEXT NOT NULL DEFAULT '';
