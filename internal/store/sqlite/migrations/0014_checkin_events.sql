-- Thread events gain 'checkin' (API.md: a check-in's question is sent as
-- `event: checkin`, not as an ordinary message). SQLite cannot change a
-- CHECK in place: the table is rebuilt with its rows and seq values.
CREATE TABLE message_events_new (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    clinic_id  TEXT NOT NULL REFERENCES clinics (id),
    client_id  TEXT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL CHECK (kind IN ('message', 'read', 'edit', 'checkin')),
    message_id TEXT NOT NULL REFERENCES messages (id),
    user_id    TEXT NOT NULL REFERENCES users (id),   -- the sender, the reader or the editor
    at         INTEGER NOT NULL
) STRICT;
INSERT INTO message_events_new (seq, clinic_id, client_id, kind, message_id, user_id, at)
    SELECT seq, clinic_id, client_id, kind, message_id, user_id, at FROM message_events;
-- Keep seq growing past any value used before, deleted rows included.
UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'message_events'), 0))
    WHERE name = 'message_events_new';
DROP TABLE message_events;
ALTER TABLE message_events_new RENAME TO message_events;
CREATE INDEX message_events_client ON message_events (client_id, seq);
