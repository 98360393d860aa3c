-- One-time form tokens (issue #18): each form a signed-in person is shown
-- carries a token; the first post of it claims its nonce here, and a
-- reload or a second click of the same form finds it claimed and is led
-- where the first post led (status, location) instead of acting twice.
-- Rows go when the token could no longer be sent (expires_at).
CREATE TABLE form_tokens (
    nonce      TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    used_at    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    status     BIGINT NOT NULL DEFAULT 0,  -- the first post's answer; 0 while it runs
    location   TEXT NOT NULL DEFAULT ''     -- where that answer led (ids only, as every URL)
);
CREATE INDEX form_tokens_expiry ON form_tokens (expires_at);

-- A form posted after its session ended, kept sealed under its owner's
-- data key until they sign in again (then it is sent once, as them) or
-- until expires_at, the absolute session limit after it was posted.
CREATE TABLE held_posts (
    id          TEXT PRIMARY KEY,
    clinic_id   TEXT NOT NULL REFERENCES clinics (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    held_at     BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    post_sealed BYTEA NOT NULL               -- the path, content type and body
);
CREATE INDEX held_posts_user ON held_posts (user_id, held_at);
CREATE INDEX held_posts_expiry ON held_posts (expires_at);
