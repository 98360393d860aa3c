-- A clinic's own crisis resources (issue #16), edited by its admins and
-- shown to its clients after the national lines: separate, validated
-- fields (care.ClinicResource), so a tel: link dials exactly the number
-- given. Clinic data, not PHI: stored plain. position orders the list
-- (0 first); the whole list is replaced at once.
CREATE TABLE clinic_resources (
    clinic_id   TEXT NOT NULL REFERENCES clinics (id),
    position    INTEGER NOT NULL CHECK (position BETWEEN 0 AND 9),
    name        TEXT NOT NULL,
    phone       TEXT NOT NULL DEFAULT '',
    sms         TEXT NOT NULL DEFAULT '',
    sms_keyword TEXT NOT NULL DEFAULT '',
    chat_url    TEXT NOT NULL DEFAULT '',
    hours       TEXT NOT NULL DEFAULT '',
    always_open INTEGER NOT NULL DEFAULT 0 CHECK (always_open IN (0, 1)),
    language    TEXT NOT NULL CHECK (language IN ('en', 'es')),
    PRIMARY KEY (clinic_id, position)
);
