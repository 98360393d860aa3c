-- Message edits and attachments (issue #6).
--
-- The sender may edit a message's text: messages.body_sealed holds the
-- current text, version counts the versions, edited_at is when it last
-- changed; every earlier version is kept, sealed, in message_versions.
ALTER TABLE messages ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE messages ADD COLUMN edited_at BIGINT;
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
    written_at  BIGINT NOT NULL,
    edited_at   BIGINT NOT NULL,
    editor_id   TEXT NOT NULL REFERENCES users (id),
    body_sealed BYTEA NOT NULL,
    PRIMARY KEY (message_id, version)
);

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
    size         BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    name_sealed  BYTEA NOT NULL,
    body_sealed  BYTEA NOT NULL
);
CREATE INDEX message_attachments_message ON message_attachments (message_id);

-- Thread events gain 'edit'.
ALTER TABLE message_events DROP CONSTRAINT message_events_kind_check;
ALTER TABLE message_events ADD CONSTRAINT message_events_kind_check CHECK (kind IN ('message', 'read', 'edit'));
