-- A clinic's reliable-change thresholds (issue #16): the smallest change
-- of a PHQ-9 or GAD-7 total, in points, that counts as reliable. NULL is
-- the default the code states (care.Instrument.ReliableChange: NHS
-- Talking Therapies' 6 and 4), so a clinic that never chose follows it.
ALTER TABLE clinics ADD COLUMN reliable_change_phq9 INTEGER CHECK (reliable_change_phq9 BETWEEN 2 AND 13);
ALTER TABLE clinics ADD COLUMN reliable_change_gad7 INTEGER CHECK (reliable_change_gad7 BETWEEN 2 AND 10);
