-- The log's identity (a UUID), given at first start (see `store::ensure_epoch`) and changed by
-- `faraday new-epoch`: positions of one epoch mean nothing in another, so devices that see a new one
-- sync again from 0 and offer back the events the server no longer has.
ALTER TABLE log_head ADD COLUMN epoch TEXT NOT NULL DEFAULT '';
