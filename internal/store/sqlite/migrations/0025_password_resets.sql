-- Password resets (issue #17): a single-use link to set a new password,
-- made by a provider for a client of their care team or by an admin for
-- anyone of the clinic and handed over in person (kind 'link'), or asked
-- for by email when the server sends email (kind 'email': the token is
-- made when the email is sent, so that it is never in the job queue). A
-- user has at most one live reset: a new one ends the others. Only the
-- token's SHA-256 is stored. A reset changes the password only: the
-- second factor stays as it is.
CREATE TABLE password_resets (
    id          TEXT PRIMARY KEY,
    clinic_id   TEXT NOT NULL REFERENCES clinics (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    kind        TEXT NOT NULL CHECK (kind IN ('link', 'email')),
    token_hash  BLOB UNIQUE,              -- NULL until an email's token is made
    created_by  TEXT REFERENCES users (id), -- NULL: asked for by email
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    ended_at    INTEGER                      -- ended unused: a newer reset, or the user's own sign-in
) STRICT;
CREATE INDEX password_resets_user ON password_resets (user_id, created_at);
