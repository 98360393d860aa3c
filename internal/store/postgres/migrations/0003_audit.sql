-- The audit trail (AD-01..AD-04). Writers insert events unchained, in the
-- transaction of what they record; the sealer then gives each its place in
-- the chain (seq) and its hash, once. Nothing else may change or delete a
-- row: the triggers refuse it, TRUNCATE included.
CREATE TABLE audit_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- insertion order, not the chain's
    seq         BIGINT UNIQUE,                                   -- the place in the chain; NULL until sealed
    hash        BYTEA,                                           -- SHA-256 chain hash; NULL until sealed
    at          BIGINT NOT NULL,                                 -- microseconds since the Unix epoch, UTC
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
);

CREATE INDEX audit_events_unsealed ON audit_events (id) WHERE seq IS NULL;
CREATE INDEX audit_events_clinic ON audit_events (clinic_id, at);
CREATE INDEX audit_events_client ON audit_events (client_id, at) WHERE client_id <> '';

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND OLD.hash IS NULL
       AND (NEW.id, NEW.at, NEW.actor_id, NEW.role, NEW.action, NEW.entity_type, NEW.entity_id,
            NEW.client_id, NEW.clinic_id, NEW.outcome, NEW.addr, NEW.request_id, NEW.purpose, NEW.reason)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.actor_id, OLD.role, OLD.action, OLD.entity_type, OLD.entity_id,
            OLD.client_id, OLD.clinic_id, OLD.outcome, OLD.addr, OLD.request_id, OLD.purpose, OLD.reason) THEN
        RETURN NEW; -- sealing: seq and hash set once
    END IF;
    RAISE EXCEPTION 'audit events are append-only';
END;
$$;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- The head of the chain: one row, locked by the sealer while it seals, so
-- that two processes never seal at once.
CREATE TABLE audit_chain (
    one  INTEGER PRIMARY KEY CHECK (one = 1),
    seq  BIGINT NOT NULL,
    hash BYTEA NOT NULL
);
INSERT INTO audit_chain (one, seq, hash) VALUES (1, 0, '\x0000000000000000000000000000000000000000000000000000000000000000');
