-- The Bulk Data _since of an export (issue #8): only resources changed
-- after it are exported. NULL for an export of everything.
ALTER TABLE bulk_exports ADD COLUMN since INTEGER;
