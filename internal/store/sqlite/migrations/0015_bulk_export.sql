-- FHIR Bulk Data exports (issue #8): an admin's export of every record of
-- the clinic as NDJSON, run as a durable job, or the operator's
-- (interlude export). The row holds ids, times and counts, never PHI.
CREATE TABLE bulk_exports (
    id            TEXT PRIMARY KEY,
    clinic_id     TEXT NOT NULL REFERENCES clinics (id),
    requested_by  TEXT NOT NULL,              -- the admin's user id; '' for the operator
    types         TEXT NOT NULL,              -- the resource types asked for, comma-separated; '' for all
    request       TEXT NOT NULL,              -- the kick-off URL, for the manifest (type names only)
    created_at    INTEGER NOT NULL,           -- the manifest's transactionTime
    expires_at    INTEGER NOT NULL,           -- the files are deleted then
    clients_total INTEGER NOT NULL,
    clients_done  INTEGER NOT NULL DEFAULT 0,
    last_client   TEXT NOT NULL DEFAULT '',   -- the last client exported, in id order
    done_at       INTEGER
) STRICT;
CREATE INDEX bulk_exports_clinic ON bulk_exports (clinic_id);

-- The files, in parts: one per client and resource type, sealed under the
-- client's data key (so shredding a client shreds their part of every
-- export too), and one per resource that belongs to no client (the
-- clinic, its practitioners, the questionnaires), sealed under the
-- clinic's key and kept once however many records name it. A file is its
-- parts in part_key order.
CREATE TABLE bulk_export_parts (
    export_id     TEXT NOT NULL REFERENCES bulk_exports (id),
    resource_type TEXT NOT NULL,
    part_key      TEXT NOT NULL,              -- the client's id, or the shared resource's id
    client_id     TEXT NOT NULL,              -- '' for a shared resource
    count         INTEGER NOT NULL,           -- NDJSON lines
    body_sealed   BLOB NOT NULL,
    PRIMARY KEY (export_id, resource_type, part_key)
) STRICT;
