-- Durable background jobs (issue #6): a row per piece of work, written in
-- the transaction of its cause, claimed by workers under a lease. Payload
-- columns hold ids and times only, never PHI; last_error holds an error
-- class, never an error's text.
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    clinic_id    TEXT NOT NULL,           -- '' for work of no clinic
    kind         TEXT NOT NULL,
    dedupe_key   TEXT NOT NULL UNIQUE,    -- enqueueing the same key again is a no-op, forever
    client_id    TEXT NOT NULL DEFAULT '',
    user_id      TEXT NOT NULL DEFAULT '',
    ref_id       TEXT NOT NULL DEFAULT '',
    ref_at       BIGINT NOT NULL DEFAULT 0, -- a time the job is about (a check-in's due time)
    run_at       BIGINT NOT NULL,        -- not before
    attempts     BIGINT NOT NULL DEFAULT 0,  -- claims so far; also the lease's fencing token
    max_attempts BIGINT NOT NULL,
    last_error   TEXT NOT NULL DEFAULT '',
    locked_by    TEXT,
    locked_until BIGINT,
    done_at      BIGINT,
    dead_at      BIGINT,                 -- gave up after max_attempts
    created_at   BIGINT NOT NULL
);
-- What a claim scans: pending jobs by due time.
CREATE INDEX jobs_pending ON jobs (run_at) WHERE done_at IS NULL AND dead_at IS NULL;
CREATE INDEX jobs_client ON jobs (client_id, kind) WHERE done_at IS NULL AND dead_at IS NULL;
