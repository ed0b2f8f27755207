-- The global event log. `position` is dense (1, 2, 3, …) and given in commit order, so a client
-- that has seen position P has seen everything before it. (A BIGSERIAL would not do: concurrent
-- transactions commit sequence values out of order, and a pull could skip the late one.)
CREATE TABLE events (
    position       BIGINT  PRIMARY KEY,
    id             TEXT    NOT NULL UNIQUE,
    stream         TEXT    NOT NULL,
    version        BIGINT  NOT NULL,
    event_type     TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    data           TEXT    NOT NULL,
    hlc_ms         BIGINT  NOT NULL,
    hlc_c          BIGINT  NOT NULL,
    device         TEXT    NOT NULL,
    recorded_ms    BIGINT  NOT NULL,
    UNIQUE (stream, version)
);

-- One row: the last position given out. The UPDATE that bumps it holds the row lock until commit,
-- which serialises appenders: positions become visible strictly in order.
CREATE TABLE log_head (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    position BIGINT  NOT NULL
);
INSERT INTO log_head (id, position) VALUES (1, 0);
