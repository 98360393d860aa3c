-- The audit trail (AD-01..AD-04). Writers insert events unchained, in the
-- transaction of what they record; the sealer then gives each its place in
-- the chain (seq) and its hash, once. Nothing else may change or delete a
-- row: the triggers refuse it.
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT, -- insertion order, not the chain's
    seq         INTEGER UNIQUE,                    -- the place in the chain, from 1; NULL until sealed
    hash        BLOB,                              -- SHA-256 chain hash; NULL until sealed
    at          INTEGER NOT NULL,                  -- microseconds since the Unix epoch, UTC
    actor_id    TEXT NOT NULL,
    role        TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    clinic_id   TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('success', 'denied', 'failure', 'integrity')),
    addr        TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    reason      TEXT NOT NULL
) STRICT;

CREATE INDEX audit_events_unsealed ON audit_events (id) WHERE seq IS NULL;
CREATE INDEX audit_events_clinic ON audit_events (clinic_id, at);
CREATE INDEX audit_events_client ON audit_events (client_id, at) WHERE client_id <> '';

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

-- Sealing sets seq and hash once, from NULL; nothing else ever changes.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN OLD.seq IS NOT NULL OR OLD.hash IS NOT NULL
  OR NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at OR NEW.actor_id IS NOT OLD.actor_id
  OR NEW.role IS NOT OLD.role OR NEW.action IS NOT OLD.action OR NEW.entity_type IS NOT OLD.entity_type
  OR NEW.entity_id IS NOT OLD.entity_id OR NEW.client_id IS NOT OLD.client_id OR NEW.clinic_id IS NOT OLD.clinic_id
  OR NEW.outcome IS NOT OLD.outcome OR NEW.addr IS NOT OLD.addr OR NEW.request_id IS NOT OLD.request_id
  OR NEW.purpose IS NOT OLD.purpose OR NEW.reason IS NOT OLD.reason
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

-- The head of the chain: one row, locked by the sealer while it seals.
CREATE TABLE audit_chain (
    one  INTEGER PRIMARY KEY CHECK (one = 1),
    seq  INTEGER NOT NULL,
    hash BLOB NOT NULL
) STRICT;
INSERT INTO audit_chain (one, seq, hash) VALUES (1, 0, zeroblob(32));
