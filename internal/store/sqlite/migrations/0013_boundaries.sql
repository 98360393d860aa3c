-- Boundaries and safety (issues #6 and #7).

-- Safety flags: a priority signal to a client's care team that stays open
-- until a provider acknowledges it with a note (sealed under the client's
-- data key). kind says what raised it; source_type and source_id name the
-- record that did (a message, a shared journal entry, a measure response),
-- and a source raises a flag of a kind at most once. escalated_at is set
-- when an unacknowledged flag went to the clinic's on-call provider.
CREATE TABLE safety_flags (
    id              TEXT PRIMARY KEY,
    clinic_id       TEXT NOT NULL REFERENCES clinics (id),
    client_id       TEXT NOT NULL REFERENCES users (id),
    kind            TEXT NOT NULL CHECK (kind IN ('crisis_language', 'phq9_item9')),
    source_type     TEXT NOT NULL,
    source_id       TEXT NOT NULL,
    raised_at       INTEGER NOT NULL,
    acknowledged_by TEXT REFERENCES users (id),
    acknowledged_at INTEGER,
    ack_note_sealed BLOB,
    escalated_at    INTEGER,
    UNIQUE (kind, source_type, source_id)
) STRICT;
CREATE INDEX safety_flags_open ON safety_flags (clinic_id, client_id, raised_at) WHERE acknowledged_at IS NULL;

-- A provider's office hours: intervals per weekday (0 Sunday … 6 Saturday,
-- as Go's time.Weekday) in minutes of the day in the provider's own time
-- zone (users.time_zone), and what they tell clients about answering.
CREATE TABLE office_hours (
    provider_id  TEXT NOT NULL REFERENCES users (id),
    clinic_id    TEXT NOT NULL REFERENCES clinics (id),
    weekday      INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute   INTEGER NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
    CHECK (start_minute < end_minute),
    PRIMARY KEY (provider_id, weekday, start_minute)
) STRICT;
ALTER TABLE users ADD COLUMN response_time TEXT NOT NULL DEFAULT '';

-- The clinic's own crisis line, shown beside 988 and 911.
ALTER TABLE clinics ADD COLUMN crisis_line TEXT NOT NULL DEFAULT '';

-- How a client may write in their thread, set by a provider of the care
-- team; no row is open. The reason a paused thread shows the client is
-- sealed under the client's data key.
CREATE TABLE messaging_modes (
    client_id     TEXT PRIMARY KEY REFERENCES users (id),
    clinic_id     TEXT NOT NULL REFERENCES clinics (id),
    mode          TEXT NOT NULL CHECK (mode IN ('open', 'reply_only', 'paused')),
    reason_sealed BLOB,
    set_by        TEXT NOT NULL REFERENCES users (id),
    set_at        INTEGER NOT NULL
) STRICT;
