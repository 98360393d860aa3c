-- Trackers (issue #19). The clinic's library of tracker templates is
-- clinic content, not PHI: each version is one row of plain JSON, and a
-- change inserts the next version, never rewrites one, so an entry can
-- always be read against the version it was written with.
CREATE TABLE tracker_templates (
    id         TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1),
    clinic_id  TEXT NOT NULL REFERENCES clinics (id),
    template_key TEXT,                 -- a seeded template's stable key, or NULL
    name       TEXT NOT NULL,
    definition TEXT NOT NULL,         -- explainer, fields and default schedule, as JSON
    created_by TEXT REFERENCES users (id), -- NULL for a seeded template
    created_at INTEGER NOT NULL,
    retired_at INTEGER,               -- no longer offered for new assignments
    PRIMARY KEY (id, version)
) STRICT;
CREATE INDEX tracker_templates_clinic ON tracker_templates (clinic_id, id, version);
CREATE UNIQUE INDEX tracker_templates_key ON tracker_templates (clinic_id, template_key, version) WHERE template_key IS NOT NULL;

-- A template assigned to a client by the care team, pinned to the
-- version it was assigned with. Removing it keeps it (and its entries).
CREATE TABLE client_trackers (
    id               TEXT PRIMARY KEY,
    clinic_id        TEXT NOT NULL REFERENCES clinics (id),
    client_id        TEXT NOT NULL REFERENCES users (id),
    template_id      TEXT NOT NULL,
    template_version INTEGER NOT NULL,
    goal_id          TEXT REFERENCES goals (id),
    schedule_kind    TEXT NOT NULL CHECK (schedule_kind IN ('daily', 'weekdays', 'event')),
    weekdays         INTEGER NOT NULL CHECK (weekdays >= 0 AND weekdays < 128),
    minute           INTEGER NOT NULL CHECK (minute >= 0 AND minute < 1440),
    reminder         INTEGER NOT NULL CHECK (reminder IN (0, 1)),
    assigned_by      TEXT NOT NULL REFERENCES users (id),
    assigned_at      INTEGER NOT NULL,
    removed_at       INTEGER,
    removed_by       TEXT REFERENCES users (id),
    FOREIGN KEY (template_id, template_version) REFERENCES tracker_templates (id, version)
) STRICT;
CREATE INDEX client_trackers_client ON client_trackers (client_id, assigned_at);

-- The client's entries. Their values and "bring this up" are sealed under
-- the client's data key as one JSON document; the rest is plain. Shared or
-- private per entry, by the rules of journal entries.
CREATE TABLE tracker_entries (
    id               TEXT PRIMARY KEY,
    clinic_id        TEXT NOT NULL REFERENCES clinics (id),
    client_id        TEXT NOT NULL REFERENCES users (id),
    tracker_id       TEXT NOT NULL REFERENCES client_trackers (id),
    template_id      TEXT NOT NULL,
    template_version INTEGER NOT NULL,
    occurred_at      INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    shared           INTEGER NOT NULL CHECK (shared IN (0, 1)),
    body_sealed      BLOB NOT NULL,
    FOREIGN KEY (template_id, template_version) REFERENCES tracker_templates (id, version)
) STRICT;
CREATE INDEX tracker_entries_client ON tracker_entries (client_id, occurred_at);
CREATE INDEX tracker_entries_tracker ON tracker_entries (tracker_id, occurred_at);

-- Each local day (YYYY-MM-DD in the client's zone) a tracker's reminder
-- fell due for, once, as journal_reminder_days: a reminder is sent at most
-- once a day, and not on a day the tracker was filled in already.
CREATE TABLE tracker_reminder_days (
    tracker_id TEXT NOT NULL REFERENCES client_trackers (id),
    day        TEXT NOT NULL,
    fired_at   INTEGER NOT NULL,
    sent       INTEGER NOT NULL CHECK (sent IN (0, 1)), -- 0: skipped (filled in that day already)
    PRIMARY KEY (tracker_id, day)
) STRICT;
