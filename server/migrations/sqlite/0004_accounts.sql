-- Clubs, staff accounts, their roles per club, and the sessions of signed-in devices.
-- Ids are UUIDs as text; times are ms since the epoch.
CREATE TABLE clubs (
    id         TEXT   PRIMARY KEY,
    name       TEXT   NOT NULL UNIQUE,
    created_ms BIGINT NOT NULL
);

-- `email` is stored trimmed and lower-cased: it is the login. `password_hash` is argon2id in the
-- PHC string format (salt and parameters inside). A disabled account cannot sign in and its
-- sessions stop working.
CREATE TABLE staff (
    id            TEXT   PRIMARY KEY,
    email         TEXT   NOT NULL UNIQUE,
    name          TEXT   NOT NULL,
    password_hash TEXT   NOT NULL,
    created_ms    BIGINT NOT NULL,
    disabled_ms   BIGINT
);

CREATE TABLE staff_roles (
    staff TEXT NOT NULL REFERENCES staff (id),
    club  TEXT NOT NULL REFERENCES clubs (id),
    role  TEXT NOT NULL,
    PRIMARY KEY (staff, club)
);

-- Only a hash of the token is kept: a copy of the database does not sign anyone in.
CREATE TABLE sessions (
    token_hash TEXT   PRIMARY KEY,
    staff      TEXT   NOT NULL REFERENCES staff (id),
    club       TEXT   NOT NULL REFERENCES clubs (id),
    device     TEXT   NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    revoked_ms BIGINT
);
CREATE INDEX sessions_by_staff ON sessions (staff);
