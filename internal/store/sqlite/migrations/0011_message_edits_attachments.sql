-- Message edits and attachments (issue #6).
--
-- The sender may edit a message's text: messages.body_sealed holds the
-- current text, version counts the versions, edited_at is when it last
-- changed; every earlier version is kept, sealed, in message_versions.
ALTER TABLE messages ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE messages ADD COLUMN edited_at INTEGER;
-- How many attachments the message carries, so that a thread page looks
-- them up only when there are some.
ALTER TABLE messages ADD COLUMN attachments INTEGER NOT NULL DEFAULT 0;

-- One row per replaced version: its text as it was (sealed, bound to
-- message and version), when it was written (sent_at for version 1), and
-- the edit that replaced it (when, by whom).
CREATE TABLE message_versions (
    message_id  TEXT NOT NULL REFERENCES messages (id),
    version     INTEGER NOT NULL,
    clinic_id   TEXT NOT NULL REFERENCES clinics (id),
    client_id   TEXT NOT NULL REFERENCES users (id),
    written_at  INTEGER NOT NULL,
    edited_at   INTEGER NOT NULL,
    editor_id   TEXT NOT NULL REFERENCES users (id),
    body_sealed BLOB NOT NULL,
    PRIMARY KEY (message_id, version)
) STRICT;

-- Attachments: JPEG, PNG or PDF, checked by content, images re-encoded;
-- the file and its name are sealed under the client's data key, bound to
-- the row. The content type and size are plain.
CREATE TABLE message_attachments (
    id           TEXT PRIMARY KEY,
    message_id   TEXT NOT NULL REFERENCES messages (id),
    clinic_id    TEXT NOT NULL REFERENCES clinics (id),
    client_id    TEXT NOT NULL REFERENCES users (id),
    uploader_id  TEXT NOT NULL REFERENCES users (id),
    content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'application/pdf')),
    size         INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    name_sealed  BLOB NOT NULL,
    body_sealed  BLOB NOT NULL
) STRICT;
CREATE INDEX message_attachments_message ON message_attachments (message_id);

-- Thread events gain 'edit'. SQLite cannot change a CHECK in place: the
-- table is rebuilt with its rows and seq values.
CREATE TABLE message_events_new (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    clinic_id  TEXT NOT NULL REFERENCES clinics (id),
    client_id  TEXT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL CHECK (kind IN ('message', 'read', 'edit')),
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
