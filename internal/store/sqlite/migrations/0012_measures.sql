-- Standardized measures (issue #7): a provider's schedule of the PHQ-9 or
-- GAD-7 for a client, and the client's responses. A response's answers,
-- total, band and safety flag are one sealed JSON document under the
-- client's data key; only ids, the instrument and times are plain.
CREATE TABLE measure_schedules (
    id         TEXT PRIMARY KEY,
    clinic_id  TEXT NOT NULL REFERENCES clinics (id),
    client_id  TEXT NOT NULL REFERENCES users (id),
    instrument TEXT NOT NULL CHECK (instrument IN ('phq9', 'gad7')),
    every_days INTEGER NOT NULL CHECK (every_days BETWEEN 1 AND 182),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    due_at     INTEGER NOT NULL,     -- when next due: created_at, then every_days after each answer
    stopped_at INTEGER               -- stopped by the care team; kept for its responses
) STRICT;
CREATE INDEX measure_schedules_client ON measure_schedules (client_id, created_at);
CREATE INDEX measure_schedules_due ON measure_schedules (due_at) WHERE stopped_at IS NULL;

CREATE TABLE measure_responses (
    id          TEXT PRIMARY KEY,
    clinic_id   TEXT NOT NULL REFERENCES clinics (id),
    client_id   TEXT NOT NULL REFERENCES users (id),
    schedule_id TEXT NOT NULL REFERENCES measure_schedules (id),
    instrument  TEXT NOT NULL CHECK (instrument IN ('phq9', 'gad7')),
    answered_at INTEGER NOT NULL,
    body_sealed BLOB NOT NULL
) STRICT;
CREATE INDEX measure_responses_client ON measure_responses (client_id, answered_at);
