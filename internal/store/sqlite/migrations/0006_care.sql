-- The treatment plan, appointments, between-session tasks and the journal
-- (issue #5). Every column that can hold PHI is sealed under the client's
-- data key (*_sealed); plain columns hold ids, times, states and numbers
-- that say nothing without the sealed text. Every change of a plan or an
-- entry keeps a version.

CREATE TABLE goals (
    id              TEXT PRIMARY KEY,
    clinic_id       TEXT NOT NULL REFERENCES clinics (id),
    client_id       TEXT NOT NULL REFERENCES users (id),
    position        INTEGER NOT NULL,
    title_sealed    BLOB NOT NULL,        -- the goal in the client's words
    clinical_sealed BLOB,                 -- optional clinical wording
    target_date     TEXT NOT NULL,        -- YYYY-MM-DD or ''
    status          TEXT NOT NULL CHECK (status IN ('active', 'achieved', 'paused', 'dropped')),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    removed_at      INTEGER                -- taken out of the plan; kept for the tasks, entries and versions that name it
) STRICT;
CREATE INDEX goals_client ON goals (client_id, position);
-- A goal taken out of the plan keeps its row: tasks, journal entries,
-- comments and old versions name it. Only goals with no removed_at are
-- in the plan, and only they may be linked to anew.

CREATE TABLE objectives (
    id          TEXT PRIMARY KEY,
    clinic_id   TEXT NOT NULL REFERENCES clinics (id),
    client_id   TEXT NOT NULL REFERENCES users (id),
    goal_id     TEXT NOT NULL REFERENCES goals (id),
    position    INTEGER NOT NULL,
    text_sealed BLOB NOT NULL,
    target_date TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'met', 'dropped'))
) STRICT;
CREATE INDEX objectives_goal ON objectives (goal_id, position);

-- Each saved plan: who, when, and the whole plan as it then was (sealed).
CREATE TABLE plan_versions (
    client_id       TEXT NOT NULL REFERENCES users (id),
    version         INTEGER NOT NULL,
    clinic_id       TEXT NOT NULL REFERENCES clinics (id),
    changed_by      TEXT NOT NULL REFERENCES users (id),
    changed_at      INTEGER NOT NULL,
    snapshot_sealed BLOB NOT NULL,
    PRIMARY KEY (client_id, version)
) STRICT;

CREATE TABLE goal_comments (
    id          TEXT PRIMARY KEY,
    clinic_id   TEXT NOT NULL REFERENCES clinics (id),
    client_id   TEXT NOT NULL REFERENCES users (id),
    goal_id     TEXT NOT NULL REFERENCES goals (id),
    author_id   TEXT NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    text_sealed BLOB NOT NULL
) STRICT;
CREATE INDEX goal_comments_goal ON goal_comments (goal_id, created_at);

CREATE TABLE appointments (
    id          TEXT PRIMARY KEY,
    clinic_id   TEXT NOT NULL REFERENCES clinics (id),
    client_id   TEXT NOT NULL REFERENCES users (id),
    provider_id TEXT NOT NULL REFERENCES users (id),
    starts_at   INTEGER NOT NULL,
    minutes     INTEGER NOT NULL CHECK (minutes BETWEEN 5 AND 480),
    status      TEXT NOT NULL CHECK (status IN ('scheduled', 'held', 'cancelled')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX appointments_client ON appointments (client_id, starts_at);

CREATE TABLE tasks (
    id                  TEXT PRIMARY KEY,
    clinic_id           TEXT NOT NULL REFERENCES clinics (id),
    client_id           TEXT NOT NULL REFERENCES users (id),
    goal_id             TEXT REFERENCES goals (id),
    assigned_by         TEXT NOT NULL REFERENCES users (id),
    title_sealed        BLOB NOT NULL,
    instructions_sealed BLOB,
    due_date            TEXT NOT NULL,  -- YYYY-MM-DD; for a recurring task, its first day
    recurrence          TEXT NOT NULL,  -- '' once, 'daily', or 'weekly:1,3' (ISO weekdays)
    ends_on             TEXT NOT NULL,  -- YYYY-MM-DD or '' (recurring: last day)
    created_at          INTEGER NOT NULL,
    archived_at         INTEGER
) STRICT;
CREATE INDEX tasks_client ON tasks (client_id, due_date);

CREATE TABLE task_completions (
    id          TEXT PRIMARY KEY,
    clinic_id   TEXT NOT NULL REFERENCES clinics (id),
    client_id   TEXT NOT NULL REFERENCES users (id),
    task_id     TEXT NOT NULL REFERENCES tasks (id),
    occurrence  TEXT NOT NULL,          -- the day done, YYYY-MM-DD
    completed_at INTEGER NOT NULL,
    note_sealed BLOB,
    UNIQUE (task_id, occurrence)
) STRICT;

-- A journal entry's content (mood, emotions, symptoms, text, goal progress,
-- "discuss next session") is one sealed JSON document; only its id, times,
-- sharing, goal id and state are plain.
CREATE TABLE journal_entries (
    id          TEXT PRIMARY KEY,
    clinic_id   TEXT NOT NULL REFERENCES clinics (id),
    client_id   TEXT NOT NULL REFERENCES users (id),
    occurred_at INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    shared      INTEGER NOT NULL CHECK (shared IN (0, 1)),
    goal_id     TEXT REFERENCES goals (id),
    deleted_at  INTEGER,               -- a tombstone: the content is gone, the client sees that it was
    body_sealed BLOB                   -- NULL once deleted
) STRICT;
CREATE INDEX journal_entries_client ON journal_entries (client_id, occurred_at);

CREATE TABLE journal_versions (
    entry_id    TEXT NOT NULL REFERENCES journal_entries (id),
    version     INTEGER NOT NULL,
    clinic_id   TEXT NOT NULL REFERENCES clinics (id),
    client_id   TEXT NOT NULL REFERENCES users (id),
    saved_at    INTEGER NOT NULL,
    shared      INTEGER NOT NULL,
    body_sealed BLOB,
    PRIMARY KEY (entry_id, version)
) STRICT;

-- Whether a client's new entries are shared with the care team unless
-- they say otherwise; private by default.
ALTER TABLE users ADD COLUMN share_by_default INTEGER NOT NULL DEFAULT 0;
