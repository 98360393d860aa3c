-- Secure messaging (issue #6): one thread per client with their care team.
-- A message's text is sealed under the client's data key; only ids, times
-- and the sender are plain.
CREATE TABLE messages (
    id          TEXT PRIMARY KEY,
    clinic_id   TEXT NOT NULL REFERENCES clinics (id),
    client_id   TEXT NOT NULL REFERENCES users (id),
    sender_id   TEXT NOT NULL REFERENCES users (id),
    sender_role TEXT NOT NULL,
    sent_at     BIGINT NOT NULL,
    body_sealed BYTEA NOT NULL
);
CREATE INDEX messages_client ON messages (client_id, sent_at);

-- Read receipts: who among a message's recipients has read it, and when.
CREATE TABLE message_reads (
    message_id TEXT NOT NULL REFERENCES messages (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    clinic_id  TEXT NOT NULL REFERENCES clinics (id),
    client_id  TEXT NOT NULL REFERENCES users (id),
    read_at    BIGINT NOT NULL,
    PRIMARY KEY (message_id, user_id)
);

-- Thread events, in commit order: what the real-time stream delivers and,
-- after a reconnect with Last-Event-ID, replays. seq is the event id.
CREATE TABLE message_events (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    clinic_id  TEXT NOT NULL REFERENCES clinics (id),
    client_id  TEXT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL CHECK (kind IN ('message', 'read')),
    message_id TEXT NOT NULL REFERENCES messages (id),
    user_id    TEXT NOT NULL REFERENCES users (id),   -- the sender or the reader
    at         BIGINT NOT NULL
);
CREATE INDEX message_events_client ON message_events (client_id, seq);
