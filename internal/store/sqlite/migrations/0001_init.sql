-- Clinics are the tenants; every row of clinical data names exactly one.
CREATE TABLE clinics (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL -- microseconds since the Unix epoch, UTC
) STRICT;

CREATE TABLE users (
    id           TEXT PRIMARY KEY,
    clinic_id    TEXT NOT NULL REFERENCES clinics (id),
    role         TEXT NOT NULL CHECK (role IN ('client', 'provider', 'admin')),
    email        TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    time_zone    TEXT NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX users_clinic ON users (clinic_id, role);
