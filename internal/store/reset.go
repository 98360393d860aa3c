package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"interlude/internal/care"
)

// Password resets and second-factor resets (issue #17). A reset link is a
// single-use token whose SHA-256 alone is stored, like an invitation's. A
// provider makes one for a client of their care team, an admin for anyone
// of the clinic, to hand over in person; a user asks for one by email
// when the server sends email. Using it sets a new password and ends
// every session of the user; it never touches the second factor, which
// only an admin resets (ResetSecondFactor).

// JobPasswordResetEmail sends the link of a reset asked for by email; its
// RefID is the reset's id. The token is made when the email is sent, so
// the job holds ids only (TS-02).
const JobPasswordResetEmail = "notify.password_reset"

// PasswordReset is an open reset, as its link's page shows it.
type PasswordReset struct {
	ID        string
	ClinicID  string
	UserID    string
	Role      care.Role
	MFA       bool // the user has a second factor: they will be asked for it at sign-in
	ExpiresAt time.Time
}

// CreatePasswordReset makes a reset link for user userID, to be handed
// over in person: actor is a provider on the care team of client userID,
// or an admin of the user's clinic. Anyone else, and a user who is not
// there or disabled, is care.ErrNotFound. Earlier open resets of the user
// end. tokenHash is the SHA-256 of the link's token.
func (s *Store) CreatePasswordReset(ctx context.Context, actor care.Actor, userID string, tokenHash []byte, lifetime time.Duration) (*PasswordReset, error) {
	if !care.ValidID(userID) {
		return nil, care.ErrNotFound
	}
	r := &PasswordReset{ID: care.NewID(), UserID: userID}
	ev := Event(actor, "password_reset.create", "user", userID)
	err := s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		var role string
		var mfa bool
		err := tx.QueryRowContext(ctx,
			`SELECT u.clinic_id, u.role, u.totp_confirmed = 1 OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id)
			 FROM users u
			 WHERE u.id = $1 AND u.clinic_id = $2 AND u.disabled_at IS NULL AND u.deleted_at IS NULL
			   AND ($3 = 'admin' OR $3 = 'provider' AND u.role = 'client'
			        AND EXISTS (SELECT 1 FROM care_team t WHERE t.client_id = u.id AND t.provider_id = $4 AND t.clinic_id = u.clinic_id))`,
			userID, actor.ClinicID, string(actor.Role), actor.UserID).Scan(&r.ClinicID, &role, &mfa)
		if err != nil {
			return notFound(err)
		}
		r.Role, r.MFA = care.Role(role), mfa
		if r.Role == care.RoleClient {
			ev.ClientID = userID
		}
		r.ExpiresAt = tx.now.Add(lifetime)
		return tx.insertReset(ctx, r, "link", tokenHash, actor.UserID)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// insertReset ends the user's open resets and stores r.
func (tx tx) insertReset(ctx context.Context, r *PasswordReset, kind string, tokenHash []byte, by string) error {
	if _, err := tx.ExecContext(ctx,
		`UPDATE password_resets SET ended_at = $1 WHERE user_id = $2 AND used_at IS NULL AND ended_at IS NULL`,
		micros(tx.now), r.UserID); err != nil {
		return err
	}
	var hash, createdBy any
	if tokenHash != nil {
		hash = tokenHash
	}
	if by != "" {
		createdBy = by
	}
	_, err := tx.ExecContext(ctx,
		`INSERT INTO password_resets (id, clinic_id, user_id, kind, token_hash, created_by, created_at, expires_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.ID, r.ClinicID, r.UserID, kind, hash, createdBy, micros(tx.now), micros(r.ExpiresAt))
	return err
}

// RequestPasswordReset starts a reset asked for by email: when an active
// account has that address, a reset is stored and its email queued
// (JobPasswordResetEmail). Whether or not one does, it answers the same
// and writes one audit row (AU-07: the answer tells nothing of who has an
// account); the row names the account only when there is one.
func (s *Store) RequestPasswordReset(ctx context.Context, email string, lifetime time.Duration) error {
	ev := care.AuditEvent{Action: "password_reset.request", EntityType: "user", Outcome: care.OutcomeSuccess}
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		r := &PasswordReset{ID: care.NewID()}
		var role string
		err := tx.QueryRowContext(ctx,
			`SELECT id, clinic_id, role FROM users
			 WHERE email_index = $1 AND disabled_at IS NULL AND deleted_at IS NULL`,
			s.emailIndex(email)).Scan(&r.UserID, &r.ClinicID, &role)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		ev.EntityID, ev.ClinicID = r.UserID, r.ClinicID
		if care.Role(role) == care.RoleClient {
			ev.ClientID = r.UserID
		}
		r.ExpiresAt = tx.now.Add(lifetime)
		if err := tx.insertReset(ctx, r, "email", nil, ""); err != nil {
			return err
		}
		_, err = tx.enqueueJob(ctx, Job{ClinicID: r.ClinicID, Kind: JobPasswordResetEmail, DedupeKey: "reset:" + r.ID,
			UserID: r.UserID, RefID: r.ID, RunAt: tx.now, MaxAttempts: 5})
		return err
	})
}

// IssueResetToken gives the reset resetID, asked for by email, its token
// (by its hash), replacing one an earlier attempt to send it made (the
// email may not have gone): it reports false when the reset is used,
// ended or expired, and then nothing is to be sent.
func (s *Store) IssueResetToken(ctx context.Context, resetID string, tokenHash []byte) (bool, error) {
	var ok bool
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE password_resets SET token_hash = $1
			 WHERE id = $2 AND kind = 'email' AND used_at IS NULL AND ended_at IS NULL AND expires_at > $3`,
			tokenHash, resetID, micros(tx.now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ok = n == 1
		return err
	})
	return ok, err
}

// OpenPasswordReset returns the open reset of a token: not used, ended or
// expired, of a user who is still there. Any other is care.ErrNotFound.
func (s *Store) OpenPasswordReset(ctx context.Context, tokenHash []byte) (*PasswordReset, error) {
	var r PasswordReset
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		var role string
		var expires int64
		err := tx.QueryRowContext(ctx,
			`SELECT r.id, r.clinic_id, r.user_id, u.role, r.expires_at,
			        u.totp_confirmed = 1 OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id)
			 FROM password_resets r JOIN users u ON u.id = r.user_id
			 WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.ended_at IS NULL AND r.expires_at > $2
			   AND u.disabled_at IS NULL AND u.deleted_at IS NULL`,
			tokenHash, micros(tx.now)).Scan(&r.ID, &r.ClinicID, &r.UserID, &role, &expires, &r.MFA)
		if err != nil {
			return notFound(err)
		}
		r.Role, r.ExpiresAt = care.Role(role), fromMicros(expires)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// ResetPassword uses the reset of tokenHash once: the user's password
// becomes passwordHash, every session of theirs ends, and their sign-in
// failures are forgotten (accountKey, the throttle's key of their email).
// Of two concurrent uses exactly one succeeds; an unknown, used, ended or
// expired token is care.ErrNotFound.
func (s *Store) ResetPassword(ctx context.Context, tokenHash []byte, passwordHash string) (*care.User, error) {
	var u care.User
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		var resetID string
		err := tx.QueryRowContext(ctx,
			`UPDATE password_resets SET used_at = $1
			 WHERE token_hash = $2 AND used_at IS NULL AND ended_at IS NULL AND expires_at > $1
			   AND user_id IN (SELECT id FROM users WHERE disabled_at IS NULL AND deleted_at IS NULL)
			 RETURNING id, user_id`, micros(tx.now), tokenHash).Scan(&resetID, &u.ID)
		if err != nil {
			return notFound(err)
		}
		var role string
		if err := tx.QueryRowContext(ctx, `SELECT clinic_id, role, time_zone FROM users WHERE id = $1`, u.ID).
			Scan(&u.ClinicID, &role, &u.TimeZone); err != nil {
			return err
		}
		u.Role = care.Role(role)
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, passwordHash, u.ID); err != nil {
			return err
		}
		if err := tx.endAllSessions(ctx, s, u.ID); err != nil {
			return err
		}
		ev := Event(care.Actor{UserID: u.ID, ClinicID: u.ClinicID, Role: u.Role}, "password_reset.use", "password_reset", resetID)
		if u.Role == care.RoleClient {
			ev.ClientID = u.ID
		}
		return tx.audit(ctx, ev)
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// endAllSessions ends every session of user userID and tells the live
// streams (RevokeSession).
func (tx tx) endAllSessions(ctx context.Context, s *Store, userID string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
		return err
	}
	return s.revoke(ctx, tx, care.Revocation{UserID: userID, Reason: care.RevokeSession})
}

// ResetSecondFactor is an admin's reset of a user's second factor, when
// they lost it (issue #17): their authenticator, passkeys and recovery
// codes are deleted, every session of theirs ends, and newSecret is their
// next authenticator secret, to enroll at their next sign-in (staff must;
// a client may). Only an admin of the user's clinic may, and not on their
// own account; anyone else is care.ErrNotFound.
func (s *Store) ResetSecondFactor(ctx context.Context, actor care.Actor, userID string, newSecret []byte) error {
	if !care.ValidID(userID) {
		return care.ErrNotFound
	}
	ev := Event(actor, "mfa.reset", "user", userID)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleAdmin {
			return care.ErrNotFound
		}
		if userID == actor.UserID {
			return care.Errorf(care.Conflict, "another admin must reset your own second factor")
		}
		var u care.User
		var role string
		if err := tx.QueryRowContext(ctx,
			`SELECT id, clinic_id, role FROM users WHERE id = $1 AND clinic_id = $2 AND deleted_at IS NULL`,
			userID, actor.ClinicID).Scan(&u.ID, &u.ClinicID, &role); err != nil {
			return notFound(err)
		}
		u.Role = care.Role(role)
		if u.Role == care.RoleClient {
			ev.ClientID = u.ID
		}
		secret, err := s.sealValue(ctx, tx, userField(&u, "totp_secret"), newSecret)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE users SET totp_secret = $1, totp_confirmed = 0, totp_last_step = 0 WHERE id = $2`, secret, u.ID); err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM passkeys WHERE user_id = $1`, `DELETE FROM recovery_codes WHERE user_id = $1`} {
			if _, err := tx.ExecContext(ctx, q, u.ID); err != nil {
				return err
			}
		}
		return tx.endAllSessions(ctx, s, u.ID)
	})
}
