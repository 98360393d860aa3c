-- Break-glass emergency access (AC-06). An admin's grant opens one
-- client's record for a fixed time; it is over at expires_at, or at
-- ended_at when ended earlier. The reason is the admin's own words and may
-- name health details: it lives here only, never in the audit trail, whose
-- rows name the grant by id.
CREATE TABLE break_glass_grants (
    id         TEXT PRIMARY KEY,
    clinic_id  TEXT NOT NULL REFERENCES clinics (id),
    admin_id   TEXT NOT NULL REFERENCES users (id),
    client_id  TEXT NOT NULL REFERENCES users (id),
    reason_sealed BYTEA,             -- the reason, sealed under the client's data key
    started_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at   BIGINT,
    ended_by   TEXT REFERENCES users (id)
);
CREATE INDEX break_glass_grants_admin ON break_glass_grants (admin_id, expires_at);
CREATE INDEX break_glass_grants_clinic ON break_glass_grants (clinic_id, started_at);

-- Notices tell a user that something needs their attention, such as a
-- break-glass grant on a client of their care team. They hold ids only:
-- what a notice is about is read, under the reader's access, when shown.
CREATE TABLE notices (
    id         TEXT PRIMARY KEY,
    clinic_id  TEXT NOT NULL REFERENCES clinics (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL,
    subject_id TEXT NOT NULL,   -- for kind 'break-glass': the grant's id
    created_at BIGINT NOT NULL,
    read_at    BIGINT
);
CREATE INDEX notices_user ON notices (user_id, created_at);
CREATE INDEX notices_subject ON notices (subject_id);
