-- The global event log. `position` is dense (1, 2, 3, …) and given in commit order, so a client
-- that has seen position P has seen everything before it.
CREATE TABLE events (
    position       INTEGER PRIMARY KEY,
    id             TEXT    NOT NULL UNIQUE,
    stream         TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    event_type     TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    data           TEXT    NOT NULL,
    hlc_ms         INTEGER NOT NULL,
    hlc_c          INTEGER NOT NULL,
    device         TEXT    NOT NULL,
    recorded_ms    INTEGER NOT NULL,
    UNIQUE (stream, version)
);

-- One row: the last position given out. Appends bump it in their transaction, which serialises
-- writers at commit, so positions never become visible out of order.
CREATE TABLE log_head (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    position INTEGER NOT NULL
);
INSERT INTO log_head (id, position) VALUES (1, 0);
