-- Self-service on the account page (issue #17): the language a person
-- reads Interlude in (English or Spanish; crisis resources in it come
-- first), and a change of email waiting for the new address to confirm
-- it (when the server sends email). The new address is sealed as the
-- user's own email is; only its index is plain, so that an address
-- cannot be claimed twice.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'es'));
CREATE TABLE email_changes (
    id           TEXT PRIMARY KEY,
    clinic_id    TEXT NOT NULL REFERENCES clinics (id),
    user_id      TEXT NOT NULL REFERENCES users (id),
    token_hash   BYTEA UNIQUE,              -- NULL until the confirmation email is made
    email_index  TEXT NOT NULL,
    email        TEXT NOT NULL,          -- plain for staff; 'sealed:' and the id for a client
    email_sealed BYTEA,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT,
    ended_at     BIGINT
);
CREATE INDEX email_changes_user ON email_changes (user_id, created_at);
