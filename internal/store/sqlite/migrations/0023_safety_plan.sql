-- The safety plan (issue #16): each save is a row holding the whole plan
-- (seven Stanley–Brown sections, lists of short items) as one sealed JSON
-- body under the client's data key, with who saved it and when. The plan
-- is the client's latest row; older rows are its history.
CREATE TABLE safety_plan_versions (
    client_id   TEXT NOT NULL REFERENCES users (id),
    version     INTEGER NOT NULL CHECK (version > 0),
    clinic_id   TEXT NOT NULL REFERENCES clinics (id),
    changed_by  TEXT NOT NULL REFERENCES users (id),
    changed_at  INTEGER NOT NULL,
    body_sealed BLOB NOT NULL,
    PRIMARY KEY (client_id, version)
) STRICT;
