-- Safety flags have a level (issue #16): 'crisis' (active ideation,
-- intent, plan, method, preparation, self-harm; a PHQ-9 item 9 answer)
-- or 'concern' (passive ideation, hopelessness), which orders them; and a
-- PHQ-9 flag keeps the item 9 answer (1 to 3) that raised it. Flags raised
-- before this migration were all priority flags: 'crisis'.
ALTER TABLE safety_flags ADD COLUMN level TEXT NOT NULL DEFAULT 'crisis' CHECK (level IN ('crisis', 'concern'));
ALTER TABLE safety_flags ADD COLUMN item9 INTEGER CHECK (item9 BETWEEN 1 AND 3);
