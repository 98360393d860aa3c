-- Escalation of safety flags (issue #7). A flag nobody acknowledged within
-- the clinic's escalation_minutes goes to the clinic's on-call provider
-- (on_call_provider_id; with none set, to the clinic's admins).
-- escalated_to names the on-call provider it went to: that provider may
-- see and acknowledge that one flag while it is open, without joining the
-- care team (docs/threat-model.md, "Escalation").
ALTER TABLE clinics ADD COLUMN escalation_minutes INTEGER NOT NULL DEFAULT 60 CHECK (escalation_minutes BETWEEN 5 AND 1440);
ALTER TABLE clinics ADD COLUMN on_call_provider_id TEXT REFERENCES users (id);
ALTER TABLE safety_flags ADD COLUMN escalated_to TEXT REFERENCES users (id);
CREATE INDEX safety_flags_escalated_to ON safety_flags (escalated_to) WHERE escalated_to IS NOT NULL AND acknowledged_at IS NULL;
