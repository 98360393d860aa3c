-- Notifications (issue #6, TS-02): each user's channels and quiet hours,
-- and their browsers' Web Push subscriptions. A subscription's endpoint
-- and keys are sealed under the user's data key (a client's own, the
-- clinic's for staff); endpoint_index is a keyed hash of the endpoint, so
-- that a browser subscribing again replaces its row.
CREATE TABLE notification_settings (
    user_id     TEXT PRIMARY KEY REFERENCES users (id),
    clinic_id   TEXT NOT NULL REFERENCES clinics (id),
    email       INTEGER NOT NULL,            -- 1: send email notifications
    quiet_start INTEGER NOT NULL,            -- minutes after local midnight
    quiet_end   INTEGER NOT NULL,            -- equal to quiet_start: no quiet hours
    updated_at  BIGINT NOT NULL
);

CREATE TABLE push_subscriptions (
    id             TEXT PRIMARY KEY,
    clinic_id      TEXT NOT NULL REFERENCES clinics (id),
    user_id        TEXT NOT NULL REFERENCES users (id),
    endpoint_index TEXT NOT NULL UNIQUE,
    sealed         BYTEA NOT NULL,             -- endpoint and keys
    device         TEXT NOT NULL,             -- "Firefox on Android", as for sessions
    created_at     BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id, created_at);
