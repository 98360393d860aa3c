-- Running a clinic for years (issue #17): why an admin disabled an account,
-- one of store.DisableReasons (a code, never free text, so that it may be
-- shown and audited without PHI), cleared when the account is enabled
-- again; and when an admin revoked a pending invitation.
ALTER TABLE users ADD COLUMN disabled_reason TEXT;
ALTER TABLE invitations ADD COLUMN revoked_at BIGINT;
