package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"interlude/internal/care"
)

// Pending invitations (issue #17): an invitation not yet accepted, not
// expired and not revoked. Whoever may see one (the clinic's admin, or the
// provider who made it) may send it again, which gives it a new token and
// a new lifetime, so that the old link stops working, or revoke it.

// pendingInvitation is the SQL condition, on an invitations row, that it
// is pending at $1 (the transaction's time).
const pendingInvitation = `accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1`

// invitationOwner is the SQL condition that the actor ($2 = clinic id, $3
// = user id, $4 = role) may manage an invitation: an admin any of the
// clinic's, a provider their own.
const invitationOwner = `clinic_id = $2 AND ($4 = 'admin' OR invited_by = $3)`

// PendingInvitations lists the invitations the actor may manage, oldest
// first: the clinic's for an admin, their own for a provider. The read is
// audited (an invitee's name may be a client's).
func (s *Store) PendingInvitations(ctx context.Context, actor care.Actor) ([]care.Invitation, error) {
	var out []care.Invitation
	err := s.auditedRead(ctx, Event(actor, "invitation.list", "invitation", ""), func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleAdmin && actor.Role != care.RoleProvider {
			return care.ErrNotFound
		}
		ids, err := tx.column(ctx,
			`SELECT id FROM invitations WHERE `+pendingInvitation+` AND `+invitationOwner+` ORDER BY created_at, id`,
			micros(tx.now), actor.ClinicID, actor.UserID, string(actor.Role))
		if err != nil {
			return err
		}
		for _, id := range ids {
			var inv care.Invitation
			if err := s.scanInvitation(ctx, tx, tx.QueryRowContext(ctx,
				`SELECT `+invitationColumns+` FROM invitations WHERE id = $1`, id), &inv); err != nil {
				return err
			}
			out = append(out, inv)
		}
		return nil
	})
	return out, err
}

// column runs a query of one text column and returns its values.
func (tx tx) column(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// ResendInvitation gives a pending invitation the actor may manage a new
// token (tokenHash) and a new lifetime, lifetime(role) from now; the old
// token stops working. Any other id is care.ErrNotFound.
func (s *Store) ResendInvitation(ctx context.Context, actor care.Actor, id string, tokenHash []byte, lifetime func(care.Role) time.Duration) (*care.Invitation, error) {
	var inv care.Invitation
	ev := Event(actor, "invitation.resend", "invitation", id)
	err := s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleAdmin && actor.Role != care.RoleProvider {
			return care.ErrNotFound
		}
		if err := s.scanInvitation(ctx, tx, tx.QueryRowContext(ctx,
			`SELECT `+invitationColumns+` FROM invitations WHERE id = $5 AND `+pendingInvitation+` AND `+invitationOwner,
			micros(tx.now), actor.ClinicID, actor.UserID, string(actor.Role), id), &inv); err != nil {
			return err
		}
		return s.renewInvitation(ctx, tx, &inv, tokenHash, lifetime(inv.Role))
	})
	if err != nil {
		return nil, err
	}
	return &inv, nil
}

// renewInvitation gives the pending invitation inv a new token and
// expiry.
func (s *Store) renewInvitation(ctx context.Context, tx tx, inv *care.Invitation, tokenHash []byte, lifetime time.Duration) error {
	inv.ExpiresAt = tx.now.Add(lifetime)
	_, err := tx.ExecContext(ctx, `UPDATE invitations SET token_hash = $1, expires_at = $2 WHERE id = $3`,
		tokenHash, micros(inv.ExpiresAt), inv.ID)
	return err
}

// pendingInvitationFor finds the pending invitation of inv's clinic to
// the same email and role, made by the same inviter when that is a
// provider, and if there is one renews it instead of making a second live
// one: inv becomes that invitation, with tokenHash its new token.
func (s *Store) pendingInvitationFor(ctx context.Context, tx tx, actor care.Actor, inv *care.Invitation, tokenHash []byte, lifetime time.Duration) (bool, error) {
	var id string
	err := tx.QueryRowContext(ctx,
		`SELECT id FROM invitations WHERE `+pendingInvitation+` AND clinic_id = $2 AND email_index = $3 AND role = $4
		   AND ($5 <> 'provider' OR invited_by = $6)
		 ORDER BY created_at DESC, id LIMIT 1`,
		micros(tx.now), inv.ClinicID, s.emailIndex(inv.Email), string(inv.Role), string(actor.Role), actor.UserID).Scan(&id)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return false, err
	}
	if err := s.scanInvitation(ctx, tx, tx.QueryRowContext(ctx,
		`SELECT `+invitationColumns+` FROM invitations WHERE id = $1`, id), inv); err != nil {
		return false, err
	}
	return true, s.renewInvitation(ctx, tx, inv, tokenHash, lifetime)
}

// RevokeInvitation ends a pending invitation the actor may manage: its
// link stops working and its copy of the invitee's name and email is
// destroyed with its data key. Any other id is care.ErrNotFound.
func (s *Store) RevokeInvitation(ctx context.Context, actor care.Actor, id string) error {
	ev := Event(actor, "invitation.revoke", "invitation", id)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleAdmin && actor.Role != care.RoleProvider {
			return care.ErrNotFound
		}
		res, err := tx.ExecContext(ctx,
			`UPDATE invitations SET revoked_at = $1, expires_at = $1
			 WHERE id = $5 AND `+pendingInvitation+` AND `+invitationOwner,
			micros(tx.now), actor.ClinicID, actor.UserID, string(actor.Role), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return care.ErrNotFound
		}
		return tx.destroyDataKey(ctx, s, invitationField(&care.Invitation{ID: id}).owner)
	})
}
