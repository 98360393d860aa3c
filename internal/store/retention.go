package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"interlude/internal/care"
)

// DeletionReasons are why an admin may delete a client. The reason is
// recorded in the audit trail, so it is one of these words, never prose.
var DeletionReasons = []string{"retention-expired", "entered-in-error", "duplicate-account"}

// maxRetentionDays bounds the retention setting (100 years).
const maxRetentionDays = 36500

// DeleteClient crypto-shreds a client (EN-05): their data key is
// destroyed, so everything sealed under it, here and in every backup, can
// never be opened again; the account ends with its sessions and factors.
// Ids stay, so the audit chain still verifies. Only an admin of the
// client's clinic may, with a reason from DeletionReasons, and only once
// the clinic's retention period has passed since the account was disabled
// (retention 0: at once).
func (s *Store) DeleteClient(ctx context.Context, actor care.Actor, clientID, reason string) error {
	if !slices.Contains(DeletionReasons, reason) {
		return care.FieldError("reason", "must be one of %v", DeletionReasons)
	}
	ev := Event(actor, "client.delete", "client", clientID)
	ev.ClientID, ev.Reason = clientID, reason
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleAdmin {
			return care.ErrNotFound
		}
		var disabled sql.NullInt64
		var retention int
		err := tx.QueryRowContext(ctx,
			`SELECT u.disabled_at, k.retention_days FROM users u JOIN clinics k ON k.id = u.clinic_id
			 WHERE u.id = $1 AND u.clinic_id = $2 AND u.role = 'client' AND u.deleted_at IS NULL`,
			clientID, actor.ClinicID).Scan(&disabled, &retention)
		if err != nil {
			return notFound(err)
		}
		if retention > 0 {
			if !disabled.Valid {
				return care.Errorf(care.Conflict,
					"the clinic keeps records for %d days after an account is disabled; disable this account first", retention)
			}
			until := fromMicros(disabled.Int64).Add(time.Duration(retention) * 24 * time.Hour)
			if tx.now.Before(until) {
				return care.Errorf(care.Conflict, "the clinic keeps this record until %s", until.Format("2 January 2006"))
			}
		}
		if err := tx.destroyDataKey(ctx, s, clientID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE users SET deleted_at = $2, disabled_at = coalesce(disabled_at, $2), totp_secret = NULL,
			        password_hash = '' WHERE id = $1`, clientID, micros(tx.now)); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM sessions WHERE user_id = $1`,
			`DELETE FROM recovery_codes WHERE user_id = $1`,
			`DELETE FROM passkeys WHERE user_id = $1`,
			`DELETE FROM push_subscriptions WHERE user_id = $1`,
			`DELETE FROM notification_settings WHERE user_id = $1`,
			`DELETE FROM journal_reminders WHERE client_id = $1`,
			`DELETE FROM journal_reminder_days WHERE client_id = $1`,
			`DELETE FROM tracker_reminder_days WHERE tracker_id IN (SELECT id FROM client_trackers WHERE client_id = $1)`,
			`UPDATE client_trackers SET reminder = 0 WHERE client_id = $1`,
			`DELETE FROM held_posts WHERE user_id = $1`,
			`DELETE FROM form_tokens WHERE user_id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, clientID); err != nil {
				return err
			}
		}
		return s.revoke(ctx, tx, care.Revocation{UserID: clientID, Reason: care.RevokeDisabled})
	})
}

// SetRetentionDays sets how long the admin's clinic keeps a client's record
// after the account is disabled, before it may be deleted.
func (s *Store) SetRetentionDays(ctx context.Context, actor care.Actor, days int) error {
	if days < 0 || days > maxRetentionDays {
		return care.FieldError("retention_days", "must be between 0 and %d", maxRetentionDays)
	}
	ev := Event(actor, "clinic.retention", "clinic", actor.ClinicID)
	ev.Reason = fmt.Sprintf("days=%d", days)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleAdmin {
			return care.ErrNotFound
		}
		_, err := tx.ExecContext(ctx, `UPDATE clinics SET retention_days = $1 WHERE id = $2`, days, actor.ClinicID)
		return err
	})
}

// RetentionDays returns the admin's clinic's retention setting.
func (s *Store) RetentionDays(ctx context.Context, actor care.Actor) (int, error) {
	if actor.Role != care.RoleAdmin {
		return 0, care.ErrNotFound
	}
	var days int
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		return tx.QueryRowContext(ctx, `SELECT retention_days FROM clinics WHERE id = $1`, actor.ClinicID).Scan(&days)
	})
	return days, err
}
