-- The follow-up screener (issue #16): a client's answers to NIMH's ASQ,
-- offered after the safety flag that prompted them, one screen per flag.
-- The answers are one sealed JSON document under the client's data key;
-- the published triage is also kept on the flag, so the care team sees it
-- with the flag and the caseload orders by it.
CREATE TABLE screener_responses (
    id          TEXT PRIMARY KEY,
    clinic_id   TEXT NOT NULL REFERENCES clinics (id),
    client_id   TEXT NOT NULL REFERENCES users (id),
    flag_id     TEXT NOT NULL UNIQUE REFERENCES safety_flags (id),
    instrument  TEXT NOT NULL CHECK (instrument IN ('asq')),
    result      TEXT NOT NULL CHECK (result IN ('negative', 'non_acute_positive', 'acute_positive')),
    answered_at INTEGER NOT NULL,
    body_sealed BLOB NOT NULL
) STRICT;
CREATE INDEX screener_responses_client ON screener_responses (client_id, answered_at);
ALTER TABLE safety_flags ADD COLUMN screener_result TEXT CHECK (screener_result IN ('negative', 'non_acute_positive', 'acute_positive'));
