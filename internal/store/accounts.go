package store

import (
	"context"
	"slices"
	"time"

	"interlude/internal/care"
)

// An admin's work on the clinic's accounts over the years (issue #17):
// correcting a name or an email, disabling an account with a reason and
// enabling it again, and moving a client between providers. Every method
// is the admin's alone: anyone else, and any id outside the admin's
// clinic, gets care.ErrNotFound, recorded as a denial (AC-03).

// DisableReasons are why an admin may disable an account. The reason is a
// code, not free text, so that it is stored, shown and audited without
// any risk of carrying health details (AD-01).
var DisableReasons = []string{"left-clinic", "care-ended", "on-leave", "security-concern", "created-in-error"}

// DisableUser disables a user of the admin's clinic for reason, one of
// DisableReasons, which is kept with the account and in the audit row.
// Every session of the user ends at once and their live streams close
// (AC-09). An admin cannot disable themself (care.Conflict).
func (s *Store) DisableUser(ctx context.Context, actor care.Actor, userID, reason string) error {
	if !slices.Contains(DisableReasons, reason) {
		return care.FieldError("reason", "must be one of %v", DisableReasons)
	}
	ev := Event(actor, "user.disable", "user", userID)
	ev.Reason = reason
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleAdmin {
			return care.ErrNotFound
		}
		if userID == actor.UserID {
			return care.Errorf(care.Conflict, "you cannot disable your own account")
		}
		res, err := tx.ExecContext(ctx,
			`UPDATE users SET disabled_at = $1, disabled_reason = $2 WHERE id = $3 AND clinic_id = $4 AND deleted_at IS NULL`,
			micros(tx.now), reason, userID, actor.ClinicID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return care.ErrNotFound
		}
		if err := s.markClientEvent(ctx, tx, &ev, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
			return err
		}
		return s.revoke(ctx, tx, care.Revocation{UserID: userID, Reason: care.RevokeDisabled})
	})
}

// EnableUser enables a disabled user of the admin's clinic again and
// forgets why it was disabled (the audit trail keeps it). An admin's own
// account is never disabled, and is not theirs to enable (care.Conflict).
func (s *Store) EnableUser(ctx context.Context, actor care.Actor, userID string) error {
	ev := Event(actor, "user.enable", "user", userID)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleAdmin {
			return care.ErrNotFound
		}
		if userID == actor.UserID {
			return care.Errorf(care.Conflict, "you cannot enable your own account")
		}
		res, err := tx.ExecContext(ctx,
			`UPDATE users SET disabled_at = NULL, disabled_reason = NULL WHERE id = $1 AND clinic_id = $2 AND deleted_at IS NULL`,
			userID, actor.ClinicID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return care.ErrNotFound
		}
		return s.markClientEvent(ctx, tx, &ev, userID)
	})
}

// markClientEvent names the client in ev when userID is one, so that the
// client's access report shows the change.
func (s *Store) markClientEvent(ctx context.Context, tx tx, ev *care.AuditEvent, userID string) error {
	var role string
	if err := tx.QueryRowContext(ctx, `SELECT role FROM users WHERE id = $1`, userID).Scan(&role); err != nil {
		return notFound(err)
	}
	if care.Role(role) == care.RoleClient {
		ev.ClientID = userID
	}
	return nil
}

// UpdateUser corrects the name and email of a user of the admin's clinic.
// Both are validated as at an invitation; the audit row names the user by
// id only, and a client's name and email stay sealed under their own key
// (EN-01).
//
// With confirm zero (a server that sends no email) the email changes at
// once, and an address another account uses is refused with one answer,
// wherever that account is (setEmail). Otherwise a new email is only
// requested, to be confirmed from the new address within confirm, as a
// person's own change is (RequestEmailChange): the answer is then the
// same whether or not the address is taken, so that nothing tells the
// admin it belongs to someone in another clinic (AU-07), and pending is
// true.
func (s *Store) UpdateUser(ctx context.Context, actor care.Actor, userID, name, email string, confirm time.Duration) (pending bool, err error) {
	ev := Event(actor, "user.update", "user", userID)
	err = s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		pending = false // the engine may run a write twice
		if actor.Role != care.RoleAdmin {
			return care.ErrNotFound
		}
		var u care.User
		var role string
		var per personal
		if err := tx.QueryRowContext(ctx,
			`SELECT u.id, u.clinic_id, u.role, u.time_zone, `+userPersonalColumns+`
			 FROM users u WHERE u.id = $1 AND u.clinic_id = $2 AND u.deleted_at IS NULL`,
			userID, actor.ClinicID).Scan(append([]any{&u.ID, &u.ClinicID, &role, &u.TimeZone}, per.dest()...)...); err != nil {
			return notFound(err)
		}
		u.Role = care.Role(role)
		if u.Role == care.RoleClient {
			ev.ClientID = userID
		}
		if err := s.openUser(ctx, tx, &u, per); err != nil {
			return err
		}
		next := u
		next.DisplayName, next.Email = name, email
		if err := next.Validate(); err != nil {
			return err
		}
		if next.DisplayName == "" {
			return care.FieldError("display_name", "is required")
		}
		if confirm == 0 || next.Email == u.Email {
			// setEmail seals the name with the email.
			return s.setEmail(ctx, tx, &next, next.Email)
		}
		if err := s.setEmail(ctx, tx, &care.User{ID: u.ID, ClinicID: u.ClinicID, Role: u.Role, DisplayName: next.DisplayName}, u.Email); err != nil {
			return err
		}
		pending = true
		return s.requestEmailChange(ctx, tx, &u, next.Email, confirm)
	})
	return pending, err
}

// CareTeam lists the providers on a client's care team, oldest first, for
// the admin of the client's clinic: their ids and names, no clinical
// content. The read is audited against the client.
func (s *Store) CareTeam(ctx context.Context, actor care.Actor, clientID string) ([]care.User, error) {
	var out []care.User
	ev := Event(actor, "care-team.read", "client", clientID)
	ev.ClientID = clientID
	err := s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleAdmin {
			return care.ErrNotFound
		}
		var n int
		if err := tx.QueryRowContext(ctx,
			`SELECT count(*) FROM users WHERE id = $1 AND clinic_id = $2 AND role = 'client' AND deleted_at IS NULL`,
			clientID, actor.ClinicID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return care.ErrNotFound
		}
		rows, err := tx.QueryContext(ctx,
			`SELECT u.id, u.role, u.time_zone, `+userPersonalColumns+`
			 FROM care_team t JOIN users u ON u.id = t.provider_id AND u.clinic_id = t.clinic_id
			 WHERE t.client_id = $1 AND t.clinic_id = $2 ORDER BY t.created_at, u.id`, clientID, actor.ClinicID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u := care.User{ClinicID: actor.ClinicID}
			var role string
			var p personal
			if err := rows.Scan(append([]any{&u.ID, &role, &u.TimeZone}, p.dest()...)...); err != nil {
				return err
			}
			u.Role = care.Role(role)
			if err := s.openUser(ctx, tx, &u, p); err != nil {
				return err
			}
			out = append(out, u)
		}
		return rows.Err()
	})
	return out, err
}

// MoveClient replaces a client's care team with one provider, an active
// provider of the admin's clinic, in one transaction: the provider joins
// (care-team.add) and everyone else leaves (care-team.remove, one audit
// row each), losing access at their next request (AC-05).
func (s *Store) MoveClient(ctx context.Context, actor care.Actor, clientID, providerID string) error {
	ev := Event(actor, "care-team.move", "care-team", providerID)
	ev.ClientID = clientID
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleAdmin {
			return care.ErrNotFound
		}
		var n int
		if err := tx.QueryRowContext(ctx,
			`SELECT count(*) FROM users c, users p
			 WHERE c.id = $1 AND c.clinic_id = $3 AND c.role = 'client' AND c.deleted_at IS NULL
			   AND p.id = $2 AND p.clinic_id = $3 AND p.role = 'provider' AND p.disabled_at IS NULL`,
			clientID, providerID, actor.ClinicID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return care.ErrNotFound
		}
		res, err := tx.ExecContext(ctx,
			`INSERT INTO care_team (clinic_id, client_id, provider_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
			actor.ClinicID, clientID, providerID, micros(tx.now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			add := Event(actor, "care-team.add", "care-team", providerID)
			add.ClientID = clientID
			if err := tx.audit(ctx, add); err != nil {
				return err
			}
		}
		others, err := tx.column(ctx,
			`SELECT provider_id FROM care_team WHERE client_id = $1 AND clinic_id = $2 AND provider_id <> $3 ORDER BY provider_id`,
			clientID, actor.ClinicID, providerID)
		if err != nil {
			return err
		}
		for _, id := range others {
			if _, err := tx.ExecContext(ctx,
				`DELETE FROM care_team WHERE client_id = $1 AND provider_id = $2 AND clinic_id = $3`,
				clientID, id, actor.ClinicID); err != nil {
				return err
			}
			rm := Event(actor, "care-team.remove", "care-team", id)
			rm.ClientID = clientID
			if err := tx.audit(ctx, rm); err != nil {
				return err
			}
			if err := s.revoke(ctx, tx, care.Revocation{UserID: id, ClientID: clientID, Reason: care.RevokeCareTeam}); err != nil {
				return err
			}
		}
		return nil
	})
}
