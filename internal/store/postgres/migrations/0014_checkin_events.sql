-- Thread events gain 'checkin' (API.md: a check-in's question is sent as
-- `event: checkin`, not as an ordinary message).
ALTER TABLE message_events DROP CONSTRAINT message_events_kind_check;
ALTER TABLE message_events ADD CONSTRAINT message_events_kind_check CHECK (kind IN ('message', 'read', 'edit', 'checkin'));
