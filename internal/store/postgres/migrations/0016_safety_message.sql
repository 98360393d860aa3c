-- The clinic's safety message (issue #7): what a client is told at once,
-- beside the crisis resources, after an answer that raised a safety flag.
-- Clinic-wide text set by an admin, no PHI; '' for none.
ALTER TABLE clinics ADD COLUMN safety_message TEXT NOT NULL DEFAULT '';
