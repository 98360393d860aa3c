-- Encryption at rest (EN-01, EN-05, IN-01). Each client (and each clinic,
-- for its staff's secrets, and each open invitation) has a data key,
-- stored only wrapped by the master key, which never enters the database.
-- Destroying a data key crypto-shreds every value sealed under it.
CREATE TABLE data_keys (
    owner_id     TEXT PRIMARY KEY,       -- a client's user id, a clinic id, or an invitation id
    clinic_id    TEXT NOT NULL REFERENCES clinics (id),
    wrapped      BYTEA,                   -- NULL once destroyed
    version      INTEGER NOT NULL,       -- the master-key version that wraps it
    created_at   BIGINT NOT NULL,
    destroyed_at BIGINT
);
CREATE INDEX data_keys_version ON data_keys (version) WHERE wrapped IS NOT NULL;

-- Look-ups by email go through a keyed hash (HMAC), never the address.
-- For clients, email holds 'sealed:' and the user id, and the address and
-- name live only in the sealed columns.
ALTER TABLE users ADD COLUMN email_index TEXT;
ALTER TABLE users ADD COLUMN email_sealed BYTEA;
ALTER TABLE users ADD COLUMN name_sealed BYTEA;
ALTER TABLE users ADD COLUMN deleted_at BIGINT;
CREATE UNIQUE INDEX users_email_index ON users (email_index);

ALTER TABLE invitations ADD COLUMN email_index TEXT;
ALTER TABLE invitations ADD COLUMN email_sealed BYTEA;
ALTER TABLE invitations ADD COLUMN name_sealed BYTEA;

-- How long a clinic keeps a client's record after the client's account is
-- disabled, before an admin may delete it (crypto-shredding). Records of
-- care are kept for years by law; 0 lets an admin delete at once.
ALTER TABLE clinics ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 2557;
