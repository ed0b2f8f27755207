-- One log per club. Positions are dense per club (1, 2, 3, … in each), so a device bound to a club
-- sees its club's order and no gap left by another club's events. A stream, and an event id,
-- belong to one club only (the push refuses another club's; see store/push.rs).
--
-- SQLite cannot change a primary key in place: the table is built anew, filled, and renamed.
-- Events stored before clubs existed get the club '' (no club): `EventStore::adopt_unowned_log`
-- gives them to the first club made.
CREATE TABLE events_by_club (
    club           TEXT    NOT NULL,
    position       INTEGER NOT NULL,
    id             TEXT    NOT NULL UNIQUE,
    stream         TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    event_type     TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    data           TEXT    NOT NULL,
    hlc_ms         INTEGER NOT NULL,
    hlc_c          INTEGER NOT NULL,
    device         TEXT    NOT NULL,
    -- The staff member who made the event (NULL in logs written before accounts existed).
    staff          TEXT,
    recorded_ms    INTEGER NOT NULL,
    read_tbl       TEXT,
    read_sort      BIGINT,
    PRIMARY KEY (club, position),
    UNIQUE (stream, version)
);
INSERT INTO events_by_club (club, position, id, stream, version, event_type, schema_version, data, hlc_ms,
                            hlc_c, device, staff, recorded_ms, read_tbl, read_sort)
SELECT '', position, id, stream, version, event_type, schema_version, data, hlc_ms,
       hlc_c, device, NULL, recorded_ms, read_tbl, read_sort
FROM events;
DROP TABLE events;
ALTER TABLE events_by_club RENAME TO events;
CREATE INDEX events_read_rows ON events (club, read_tbl, read_sort, id) WHERE read_tbl IS NOT NULL;

-- Each club's head (the last position given out) and identity. An append bumps its club's row in
-- its transaction, so positions become visible in order within a club. A club's row is made the
-- first time its log is used, with a fresh epoch.
CREATE TABLE club_logs (
    club     TEXT    PRIMARY KEY,
    position INTEGER NOT NULL,
    epoch    TEXT    NOT NULL
) WITHOUT ROWID;
-- The log kept before clubs existed, if anything was ever stored (its epoch is kept: devices that
-- synced with it go on without syncing again once a club adopts it). An epoch still '' is given
-- when the store opens.
INSERT INTO club_logs (club, position, epoch) SELECT '', position, epoch FROM log_head WHERE id = 1 AND position > 0;

-- Stream rows are read per club, in stream order.
CREATE TABLE read_streams_by_club (
    club    TEXT   NOT NULL,
    tbl     TEXT   NOT NULL,
    stream  TEXT   NOT NULL,
    version BIGINT NOT NULL,
    state   TEXT   NOT NULL,
    PRIMARY KEY (club, tbl, stream)
) WITHOUT ROWID;
INSERT INTO read_streams_by_club (club, tbl, stream, version, state)
SELECT '', tbl, stream, version, state FROM read_streams;
DROP TABLE read_streams;
ALTER TABLE read_streams_by_club RENAME TO read_streams;
