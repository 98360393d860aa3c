-- A provider may close a safety flag as "not a concern" (issue #16): a
-- false alarm, with the reason in the sealed acknowledgement note. Such
-- flags are counted for the clinic's admins; nothing learns from them.
ALTER TABLE safety_flags ADD COLUMN not_a_concern INTEGER NOT NULL DEFAULT 0 CHECK (not_a_concern IN (0, 1));
