-- Check-ins (issue #6). A client's schedule: weekdays as a bit mask
-- (Sunday = bit 0) and a minute of the client's local day. version counts
-- changes: a check-in job of an older version does nothing.
CREATE TABLE checkin_schedules (
    client_id  TEXT PRIMARY KEY REFERENCES users (id),
    clinic_id  TEXT NOT NULL REFERENCES clinics (id),
    weekdays   BIGINT NOT NULL,
    minute     BIGINT NOT NULL CHECK (minute >= 0 AND minute < 1440),
    version    BIGINT NOT NULL,
    set_by     TEXT NOT NULL REFERENCES users (id),
    updated_at BIGINT NOT NULL
);

-- Each due check-in, once: the job that fires it inserts the row, the
-- message that asks and the next occurrence's job in one transaction, and
-- the unique key keeps a due time from ever having two rows.
CREATE TABLE check_ins (
    id          TEXT PRIMARY KEY,
    clinic_id   TEXT NOT NULL REFERENCES clinics (id),
    client_id   TEXT NOT NULL REFERENCES users (id),
    due_at      BIGINT NOT NULL,
    closes_at   BIGINT NOT NULL,
    sent_at     BIGINT,              -- NULL: it had closed before it could be sent
    message_id  TEXT REFERENCES messages (id),
    answered_at BIGINT,
    entry_id    TEXT REFERENCES journal_entries (id),
    UNIQUE (client_id, due_at)
);
