-- A client's own journaling reminder (issue #18): the weekdays (a bit
-- mask, Sunday bit 0) and the minute of their local day at which they are
-- told "a moment for your journal", and whether it is on. A change counts
-- up the version, so that a job of an older version does nothing.
CREATE TABLE journal_reminders (
    client_id  TEXT PRIMARY KEY REFERENCES users (id),
    clinic_id  TEXT NOT NULL REFERENCES clinics (id),
    enabled    INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    weekdays   BIGINT NOT NULL CHECK (weekdays >= 0 AND weekdays < 128),
    minute     BIGINT NOT NULL CHECK (minute >= 0 AND minute < 1440),
    version    BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Each local day (YYYY-MM-DD in the client's zone) a reminder fell due
-- for, once: the job that fires it inserts the row, so a reminder is sent
-- at most once a day however often the job or the schedule changes.
CREATE TABLE journal_reminder_days (
    client_id TEXT NOT NULL REFERENCES users (id),
    day       TEXT NOT NULL,
    fired_at  BIGINT NOT NULL,
    sent      INTEGER NOT NULL CHECK (sent IN (0, 1)), -- 0: skipped (the client had written that day)
    PRIMARY KEY (client_id, day)
);
