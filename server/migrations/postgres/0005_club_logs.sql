-- One log per club. Positions are dense per club (1, 2, 3, … in each), so a device bound to a club
-- sees its club's order and no gap left by another club's events. A stream, and an event id,
-- belong to one club only (the push refuses another club's; see store/push.rs).
--
-- Events stored before clubs existed get the club '' (no club): `EventStore::adopt_unowned_log`
-- gives them to the first club made. (The default only fills the existing rows: an append always
-- names its club.)
ALTER TABLE events ADD COLUMN club TEXT NOT NULL DEFAULT '';
ALTER TABLE events ALTER COLUMN club DROP DEFAULT;
-- The staff member who made the event (NULL in logs written before accounts existed).
ALTER TABLE events ADD COLUMN staff TEXT;
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ADD PRIMARY KEY (club, position);
DROP INDEX events_read_rows;
CREATE INDEX events_read_rows ON events (club, read_tbl, read_sort, id) WHERE read_tbl IS NOT NULL;

-- Each club's head (the last position given out) and identity. An append locks its club's row
-- (`FOR UPDATE`) and bumps it in its transaction: positions become visible in order within a club,
-- and clubs never wait for each other. A club's row is made the first time its log is used.
CREATE TABLE club_logs (
    club     TEXT   PRIMARY KEY,
    position BIGINT NOT NULL,
    epoch    TEXT   NOT NULL
);
-- The log kept before clubs existed, if anything was ever stored (its epoch is kept: devices that
-- synced with it go on without syncing again once a club adopts it). An epoch still '' is given
-- when the store opens.
INSERT INTO club_logs (club, position, epoch) SELECT '', position, epoch FROM log_head WHERE id = 1 AND position > 0;

-- Stream rows are read per club, in stream order.
ALTER TABLE read_streams ADD COLUMN club TEXT NOT NULL DEFAULT '';
ALTER TABLE read_streams ALTER COLUMN club DROP DEFAULT;
ALTER TABLE read_streams DROP CONSTRAINT read_streams_pkey;
ALTER TABLE read_streams ADD PRIMARY KEY (club, tbl, stream);
