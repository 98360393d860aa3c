-- Identity and access: credentials, care teams, invitations, sessions,
-- second factors and sign-in throttling.

ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';  -- argon2id PHC; '' = no password yet
ALTER TABLE users ADD COLUMN totp_secret BYTEA;                        -- NULL = no authenticator app
ALTER TABLE users ADD COLUMN totp_confirmed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0; -- AU-08: each code once
ALTER TABLE users ADD COLUMN disabled_at BIGINT;

-- A client's care team: the providers who may see the client's record.
CREATE TABLE care_team (
    clinic_id   TEXT NOT NULL REFERENCES clinics (id),
    client_id   TEXT NOT NULL REFERENCES users (id),
    provider_id TEXT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (client_id, provider_id)
);
CREATE INDEX care_team_provider ON care_team (provider_id, client_id);

CREATE TABLE invitations (
    id           TEXT PRIMARY KEY,
    clinic_id    TEXT NOT NULL REFERENCES clinics (id),
    token_hash   BYTEA NOT NULL UNIQUE,     -- SHA-256 of the token; the token itself is never stored
    role         TEXT NOT NULL CHECK (role IN ('client', 'provider', 'admin')),
    email        TEXT NOT NULL,
    display_name TEXT NOT NULL,
    invited_by   TEXT REFERENCES users (id), -- NULL: created by an operator on the command line
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    accepted_at  BIGINT,
    user_id      TEXT REFERENCES users (id)  -- the account it created
);
CREATE INDEX invitations_clinic ON invitations (clinic_id, created_at);

CREATE TABLE sessions (
    token_hash   BYTEA PRIMARY KEY,          -- SHA-256 of the token (SE-01)
    id           TEXT NOT NULL UNIQUE,      -- public id, to list and end sessions
    user_id      TEXT NOT NULL REFERENCES users (id),
    clinic_id    TEXT NOT NULL REFERENCES clinics (id),
    kind         TEXT NOT NULL CHECK (kind IN ('web', 'api')),
    stage        TEXT NOT NULL CHECK (stage IN ('mfa', 'full')), -- 'mfa': password checked, second factor outstanding
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    auth_at      BIGINT NOT NULL,          -- when the user last proved who they are (step-up)
    mfa          BIGINT NOT NULL,          -- a second factor was verified
    device       TEXT NOT NULL              -- a short label from the user agent, for the session list
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id),
    code_hash BYTEA NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE passkeys (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    credential_id BYTEA NOT NULL UNIQUE,
    credential    TEXT NOT NULL,           -- the WebAuthn credential as JSON
    name          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- WebAuthn ceremonies in progress: single use, expire in 5 minutes.
CREATE TABLE webauthn_challenges (
    id         TEXT PRIMARY KEY,
    user_id    TEXT,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Consecutive sign-in failures per account and per source address (AU-05).
CREATE TABLE login_failures (
    key             TEXT PRIMARY KEY,      -- 'account:' || sha256(email) or 'addr:' || address
    failures        BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL
);
