package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"interlude/internal/care"
)

// Notifications (issue #6, TS-02): a user's channels and quiet hours, and
// their browsers' push subscriptions, which are sealed under the user's
// data key (a client's own; the clinic's for staff). Only the user reads
// and changes their own; the notifier reads a recipient's as the system,
// audited.

// The kinds of notification job: a job's UserID is the recipient, its
// RefID what it is about (a message); internal/notify handles them.
const (
	JobNotifyMessage = "notify.message"
	JobNotifyCheckIn = "notify.checkin"
)

// SetEmailNotifications says whether email notifications can be sent
// (an SMTP server is set up). Without it, a message enqueues a
// notification job only for recipients with a browser subscribed, so that
// nobody's messages pay for notifications that cannot be sent.
func (s *Store) SetEmailNotifications(on bool) { s.emailNotifications.Store(on) }

// notifiable reports whether user userID has a channel a notification
// could reach now: email (on for them, and set up) or a subscribed
// browser. Quiet hours do not matter here: what falls in them waits.
func (s *Store) notifiable(ctx context.Context, tx tx, userID string) (bool, error) {
	var email, subs int
	err := tx.QueryRowContext(ctx,
		`SELECT COALESCE((SELECT email FROM notification_settings WHERE user_id = $1), 1),
		        (SELECT count(*) FROM push_subscriptions WHERE user_id = $1)`, userID).Scan(&email, &subs)
	return subs > 0 || (email == 1 && s.emailNotifications.Load()), err
}

// notifiableMembersSQL reads the thread's members by key: the client and
// their care team's rows of care_team, then each user by id, so that a
// message's cost does not grow with the clinic (#20; TestHotQueriesByKey).
// The users are not filtered by clinic again: care_team's rows are the
// clinic's, and the client is the record the caller has checked; a
// condition on users.clinic_id would invite the planner to read the whole
// clinic by its index.
const notifiableMembersSQL = `SELECT u.id, COALESCE(n.email, 1), (SELECT count(*) FROM push_subscriptions p WHERE p.user_id = u.id)
	FROM (SELECT CAST($2 AS TEXT) AS id UNION SELECT provider_id FROM care_team WHERE client_id = $2 AND clinic_id = $1) m
	JOIN users u ON u.id = m.id
	LEFT JOIN notification_settings n ON n.user_id = u.id
	WHERE u.id <> $3
	ORDER BY u.id`

// notifiableMembers returns the members of client clientID's thread (the
// client and their care team) other than except who have a channel
// (email set up and on for them, or a subscribed browser), in one query.
func (s *Store) notifiableMembers(ctx context.Context, tx tx, clinicID, clientID, except string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, notifiableMembersSQL, clinicID, clientID, except)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		var email, subs int
		if err := rows.Scan(&id, &email, &subs); err != nil {
			return nil, err
		}
		if subs > 0 || (email == 1 && s.emailNotifications.Load()) {
			out = append(out, id)
		}
	}
	return out, rows.Err()
}

// DeferJob ends job j, as claimed, and enqueues a copy of it to run at
// at, in one write: a job that may not run yet (a notification in its
// recipient's quiet hours) waits without using up its attempts. The
// copy's dedupe key is j's first key with "@" and at, so that the chain
// of deferrals of one notification stays one job at a time. It returns
// ErrLeaseLost when j's claim is no longer current.
func (s *Store) DeferJob(ctx context.Context, j Job, at time.Time) error {
	return s.write(ctx, func(ctx context.Context, tx tx) error {
		if err := tx.finishJob(ctx, j); err != nil {
			return err
		}
		base, _, _ := strings.Cut(j.DedupeKey, "@")
		next := Job{Kind: j.Kind, ClinicID: j.ClinicID, ClientID: j.ClientID, UserID: j.UserID, RefID: j.RefID, RefAt: j.RefAt,
			RunAt: at, MaxAttempts: j.MaxAttempts, DedupeKey: base + "@" + strconv.FormatInt(at.UnixMicro(), 10)}
		_, err := tx.enqueueJob(ctx, next)
		return err
	})
}

// pushField is the sealed endpoint and keys of a subscription of a user
// with the given role.
func pushField(clinicID, userID string, role care.Role, id string) field {
	f := field{clinic: clinicID, owner: clinicID, table: "push_subscriptions", column: "sealed", row: id}
	if role == care.RoleClient {
		f.client, f.owner = userID, userID
	}
	return f
}

// sealedPush is the sealed part of a subscription.
type sealedPush struct {
	Endpoint string `json:"endpoint"`
	P256dh   []byte `json:"p256dh"`
	Auth     []byte `json:"auth"`
}

// notificationSettings reads user userID's settings in tx, the defaults
// if they never chose.
func (tx tx) notificationSettings(ctx context.Context, userID string) (care.NotificationSettings, error) {
	set := care.DefaultNotificationSettings()
	var email int
	err := tx.QueryRowContext(ctx,
		`SELECT email, quiet_start, quiet_end FROM notification_settings WHERE user_id = $1`, userID).
		Scan(&email, &set.Quiet.Start, &set.Quiet.End)
	if errors.Is(err, sql.ErrNoRows) {
		return set, nil
	}
	set.Email = email == 1
	return set, err
}

// NotificationSettings returns the actor's own notification settings.
func (s *Store) NotificationSettings(ctx context.Context, actor care.Actor) (care.NotificationSettings, error) {
	var set care.NotificationSettings
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		var err error
		set, err = tx.notificationSettings(ctx, actor.UserID)
		return err
	})
	return set, err
}

// SetNotificationSettings sets the actor's own notification settings; bad
// quiet hours are care.Invalid.
func (s *Store) SetNotificationSettings(ctx context.Context, actor care.Actor, set care.NotificationSettings) error {
	if err := set.Quiet.Validate(); err != nil {
		return err
	}
	ev := Event(actor, "notify.settings", "user", actor.UserID)
	if actor.Role == care.RoleClient {
		ev.ClientID = actor.UserID
	}
	ev.Reason = fmt.Sprintf("email=%t quiet=%s-%s", set.Email, care.FormatClock(set.Quiet.Start), care.FormatClock(set.Quiet.End))
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO notification_settings (user_id, clinic_id, email, quiet_start, quiet_end, updated_at)
			 VALUES ($1, $2, $3, $4, $5, $6)
			 ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, quiet_start = excluded.quiet_start,
			   quiet_end = excluded.quiet_end, updated_at = excluded.updated_at`,
			actor.UserID, actor.ClinicID, boolInt(set.Email), set.Quiet.Start, set.Quiet.End, micros(tx.now))
		return err
	})
}

// AddPushSubscription stores a browser's push subscription for the actor
// (validated; sub gets its id). A browser holds one subscription per
// site: subscribing again as the same user updates it under its id, as
// someone else moves it to them. Past care.MaxPushSubscriptions the
// actor's oldest are dropped.
func (s *Store) AddPushSubscription(ctx context.Context, actor care.Actor, sub *care.PushSubscription) error {
	if err := sub.Validate(); err != nil {
		return err
	}
	ev := Event(actor, "push.subscribe", "push_subscription", "")
	if actor.Role == care.RoleClient {
		ev.ClientID = actor.UserID
	}
	index := s.keyring.Index("push-endpoint", sub.Endpoint)
	plain, err := json.Marshal(sealedPush{Endpoint: sub.Endpoint, P256dh: sub.P256dh, Auth: sub.Auth})
	if err != nil {
		return err
	}
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		sub.ID, sub.UserID, sub.CreatedAt = care.NewID(), actor.UserID, tx.now
		// The same browser subscribing again as the same user keeps its
		// id (push.js confirms the subscription on every visit); as
		// someone else, it moves to them.
		var oldID, oldUser string
		var oldCreated int64
		err := tx.QueryRowContext(ctx, `SELECT id, user_id, created_at FROM push_subscriptions WHERE endpoint_index = $1`, index).
			Scan(&oldID, &oldUser, &oldCreated)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case oldUser == actor.UserID:
			sub.ID, sub.CreatedAt = oldID, fromMicros(oldCreated)
		}
		ev.EntityID = sub.ID
		sealed, err := s.sealValue(ctx, tx, pushField(actor.ClinicID, actor.UserID, actor.Role, sub.ID), plain)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE endpoint_index = $1`, index); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO push_subscriptions (id, clinic_id, user_id, endpoint_index, sealed, device, created_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			sub.ID, actor.ClinicID, actor.UserID, index, sealed, sub.Device, micros(sub.CreatedAt)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			`DELETE FROM push_subscriptions WHERE user_id = $1 AND id NOT IN (
			   SELECT id FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2)`,
			actor.UserID, care.MaxPushSubscriptions)
		return err
	})
}

// PushSubscriptions lists the actor's own subscriptions, newest first,
// without their endpoints and keys: for the settings page.
func (s *Store) PushSubscriptions(ctx context.Context, actor care.Actor) ([]care.PushSubscription, error) {
	out := []care.PushSubscription{}
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		rows, err := tx.QueryContext(ctx,
			`SELECT id, device, created_at FROM push_subscriptions WHERE user_id = $1 AND clinic_id = $2
			 ORDER BY created_at DESC, id DESC`, actor.UserID, actor.ClinicID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			p := care.PushSubscription{UserID: actor.UserID}
			var created int64
			if err := rows.Scan(&p.ID, &p.Device, &created); err != nil {
				return err
			}
			p.CreatedAt = fromMicros(created)
			out = append(out, p)
		}
		return rows.Err()
	})
	return out, err
}

// DeletePushSubscription deletes one of the actor's own subscriptions;
// anyone else's, or none, is care.ErrNotFound.
func (s *Store) DeletePushSubscription(ctx context.Context, actor care.Actor, id string) error {
	ev := Event(actor, "push.unsubscribe", "push_subscription", id)
	if actor.Role == care.RoleClient {
		ev.ClientID = actor.UserID
	}
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE id = $1 AND user_id = $2 AND clinic_id = $3`,
			id, actor.UserID, actor.ClinicID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return care.ErrNotFound
		}
		return nil
	})
}

// NotifyRecipient returns what the notifier needs to reach user userID:
// their address, zone, settings and push subscriptions. It is the
// system's read, audited as notify.recipient (the address of a client is
// PHI); a user who does not exist, or was deleted, is care.ErrNotFound.
func (s *Store) NotifyRecipient(ctx context.Context, userID string) (care.NotifyRecipient, error) {
	var r care.NotifyRecipient
	ev := care.AuditEvent{Action: "notify.recipient", EntityType: "user", EntityID: userID, Purpose: "notification"}
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		r = care.NotifyRecipient{UserID: userID}
		var role string
		var deleted bool
		u := care.User{ID: userID}
		var p personal
		err := tx.QueryRowContext(ctx,
			`SELECT u.clinic_id, u.role, u.time_zone, u.disabled_at IS NOT NULL, u.deleted_at IS NOT NULL, `+userPersonalColumns+`
			 FROM users u WHERE u.id = $1`, userID).
			Scan(append([]any{&r.ClinicID, &role, &r.TimeZone, &r.Disabled, &deleted}, p.dest()...)...)
		if err != nil {
			return notFound(err)
		}
		if deleted {
			return care.ErrNotFound
		}
		r.Role = care.Role(role)
		u.ClinicID, u.Role = r.ClinicID, r.Role
		if err := s.openUser(ctx, tx, &u, p); err != nil {
			return err
		}
		r.Email = u.Email
		if r.Settings, err = tx.notificationSettings(ctx, userID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx,
			`SELECT id, device, created_at, sealed FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at, id`, userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			sub := care.PushSubscription{UserID: userID}
			var created int64
			var sealed []byte
			if err := rows.Scan(&sub.ID, &sub.Device, &created, &sealed); err != nil {
				return err
			}
			sub.CreatedAt = fromMicros(created)
			plain, err := s.openValue(ctx, tx, pushField(r.ClinicID, userID, r.Role, sub.ID), sealed)
			if err != nil {
				return err
			}
			var sp sealedPush
			if err := json.Unmarshal(plain, &sp); err != nil {
				return fmt.Errorf("push subscription %s: %w", sub.ID, err)
			}
			sub.Endpoint, sub.P256dh, sub.Auth = sp.Endpoint, sp.P256dh, sp.Auth
			r.Push = append(r.Push, sub)
		}
		return rows.Err()
	})
	if err != nil {
		return r, err
	}
	ev.ClinicID = r.ClinicID
	if r.Role == care.RoleClient {
		ev.ClientID = userID
	}
	// Reads fail closed (AD-02): the address is used only once its read
	// is on the record.
	if err := s.Audit(ctx, ev); err != nil {
		return care.NotifyRecipient{}, err
	}
	return r, nil
}

// DropPushSubscription deletes user userID's subscription id, which its
// push service says is gone; the system's write, audited as push.expired.
func (s *Store) DropPushSubscription(ctx context.Context, userID, id string) error {
	return s.write(ctx, func(ctx context.Context, tx tx) error {
		var clinicID, role string
		err := tx.QueryRowContext(ctx,
			`SELECT p.clinic_id, u.role FROM push_subscriptions p JOIN users u ON u.id = p.user_id
			 WHERE p.id = $1 AND p.user_id = $2`, id, userID).Scan(&clinicID, &role)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE id = $1`, id); err != nil {
			return err
		}
		ev := care.AuditEvent{Action: "push.expired", EntityType: "push_subscription", EntityID: id, ClinicID: clinicID}
		if care.Role(role) == care.RoleClient {
			ev.ClientID = userID
		}
		return tx.audit(ctx, ev)
	})
}
