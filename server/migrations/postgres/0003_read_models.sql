-- Current-state read models (`shared::projection`), written in the append transaction, so they
-- always show exactly the log up to its head. `log_head.read_models` names the projections they
-- were built with: when the app's differ, the server rebuilds them from the log at start.
CREATE TABLE read_streams (
    tbl     TEXT   NOT NULL,
    stream  TEXT   NOT NULL,
    version BIGINT NOT NULL,
    state   TEXT   NOT NULL,
    PRIMARY KEY (tbl, stream)
);

-- Rows derived from single events (`Projected::rows`, at most one per event: a check-in) are the
-- events themselves, indexed by the row's table and sort value: the append writes them in the same
-- INSERT, and a read recomputes each row's value from its event with the shared projection code.
ALTER TABLE events ADD COLUMN read_tbl TEXT;
ALTER TABLE events ADD COLUMN read_sort BIGINT;
CREATE INDEX events_read_rows ON events (read_tbl, read_sort, id) WHERE read_tbl IS NOT NULL;

ALTER TABLE log_head ADD COLUMN read_models TEXT NOT NULL DEFAULT '';
