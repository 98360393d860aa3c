package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	"interlude/internal/care"
)

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CreateInvitation stores an invitation made by actor. tokenHash is the
// SHA-256 of the token the invitee receives. When one to the same email
// and role is pending, that one gets tokenHash and a new lifetime instead
// (pendingInvitationFor), and inv becomes it. actor.UserID is "" for an
// operator on the command line, who may only invite an admin.
func (s *Store) CreateInvitation(ctx context.Context, actor care.Actor, inv *care.Invitation, tokenHash []byte, lifetime time.Duration) error {
	if err := inv.Validate(); err != nil {
		return err
	}
	operator := actor.UserID == ""
	if operator && inv.Role != care.RoleAdmin || !operator && !care.CanInvite(actor, inv.Role) {
		return care.Errorf(care.Forbidden, "you may not invite someone with this role")
	}
	ev := Event(actor, "invitation.create", "invitation", "")
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if !operator {
			inv.ClinicID = actor.ClinicID
			inv.InvitedBy = actor.UserID
		}
		// Whether the email already has an account is not looked at: the
		// answer and the work are the same either way, so an inviter
		// cannot learn who is someone's client or a member of the clinic
		// (AU-07, issue #17). Such an invitation is stored like any other;
		// the existing account sees nothing of it (no message is sent, its
		// sign-in and data are untouched), and accepting it answers as a
		// used or expired link (AcceptInvitation).
		//
		// A second invitation to someone with one pending renews that one.
		if renewed, err := s.pendingInvitationFor(ctx, tx, actor, inv, tokenHash, lifetime); err != nil || renewed {
			ev.Action, ev.EntityID, ev.ClinicID = "invitation.resend", inv.ID, inv.ClinicID
			return err
		}
		inv.ID = care.NewID()
		ev.EntityID, ev.ClinicID = inv.ID, inv.ClinicID
		inv.CreatedAt = tx.now
		inv.ExpiresAt = tx.now.Add(lifetime)
		var invitedBy any
		if inv.InvitedBy != "" {
			invitedBy = inv.InvitedBy
		}
		p, err := s.sealPerson(ctx, tx, invitationField(inv), inv.Role, inv.Email, inv.DisplayName)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO invitations (id, clinic_id, token_hash, role, email, display_name, email_index, email_sealed, name_sealed,
			                          invited_by, created_at, expires_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			inv.ID, inv.ClinicID, tokenHash, string(inv.Role), p.email, p.name, p.index, p.emailSealed, p.nameSealed,
			invitedBy, micros(inv.CreatedAt), micros(inv.ExpiresAt))
		return err
	})
}

// Invitation returns the open invitation with the given token hash: not
// expired and not used. Any other is care.ErrNotFound.
func (s *Store) Invitation(ctx context.Context, tokenHash []byte) (*care.Invitation, error) {
	var inv care.Invitation
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		return s.scanInvitation(ctx, tx, tx.QueryRowContext(ctx,
			`SELECT `+invitationColumns+`
			 FROM invitations WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > $2`,
			tokenHash, micros(tx.now)), &inv)
	})
	if err != nil {
		return nil, err
	}
	// Whoever holds the link sees the invitee's name: a read of PHI by an
	// anonymous caller, recorded before it is shown (AD-02).
	if err := s.Audit(ctx, care.AuditEvent{Action: "invitation.read", EntityType: "invitation", EntityID: inv.ID,
		ClinicID: inv.ClinicID}); err != nil {
		return nil, err
	}
	return &inv, nil
}

const invitationColumns = `id, clinic_id, role, coalesce(invited_by, ''), created_at, expires_at,
	email, display_name, email_sealed, name_sealed`

// invitationField names a sealed column of an invitation: under the
// invitation's own data key, destroyed once it is accepted.
func invitationField(inv *care.Invitation) field {
	return field{clinic: inv.ClinicID, owner: "invitation:" + inv.ID, table: "invitations", row: inv.ID}
}

func (s *Store) scanInvitation(ctx context.Context, tx tx, row *sql.Row, inv *care.Invitation) error {
	var role string
	var created, expires int64
	var p personal
	err := row.Scan(append([]any{&inv.ID, &inv.ClinicID, &role, &inv.InvitedBy, &created, &expires}, p.dest()...)...)
	if err != nil {
		return notFound(err)
	}
	inv.Role = care.Role(role)
	inv.CreatedAt, inv.ExpiresAt = fromMicros(created), fromMicros(expires)
	inv.Email, inv.DisplayName, err = s.openPerson(ctx, tx, invitationField(inv), p)
	return err
}

// Acceptance is what an invitee supplies to create their account.
type Acceptance struct {
	DisplayName  string // "" keeps the name the inviter gave
	TimeZone     string
	PasswordHash string
	TOTPSecret   []byte // staff: the authenticator secret to confirm at first sign-in
}

// AcceptInvitation uses the invitation once and creates its account. A
// client invited by a provider joins that provider's care team. An
// expired, used or unknown token is care.ErrNotFound, and so is an
// invitation whose email has an account already (AU-07); of two
// concurrent acceptances exactly one succeeds.
func (s *Store) AcceptInvitation(ctx context.Context, tokenHash []byte, a Acceptance) (*care.User, error) {
	var u care.User
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		var inv care.Invitation
		// Marking it used first makes it single-use on both engines: the
		// UPDATE takes the row's lock, and a second one matches nothing.
		err := s.scanInvitation(ctx, tx, tx.QueryRowContext(ctx,
			`UPDATE invitations SET accepted_at = $1
			 WHERE token_hash = $2 AND accepted_at IS NULL AND expires_at > $1
			 RETURNING `+invitationColumns,
			micros(tx.now), tokenHash), &inv)
		if err != nil {
			return err
		}
		// The invitation's copy of the name and email is shredded: from
		// now on they live, sealed, in the user's row only.
		if err := tx.destroyDataKey(ctx, s, invitationField(&inv).owner); err != nil {
			return err
		}
		u = care.User{ClinicID: inv.ClinicID, Role: inv.Role, Email: inv.Email, DisplayName: inv.DisplayName, TimeZone: a.TimeZone}
		if a.DisplayName != "" {
			u.DisplayName = a.DisplayName
		}
		if err := u.Validate(); err != nil {
			return err
		}
		if err := s.createUser(ctx, tx, &u); err != nil {
			if e, ok := errors.AsType[*care.Error](err); ok && e.Field == "email" {
				// The email has an account already: answered as a used or
				// expired invitation, so that accepting says nothing about
				// who has an account (AU-07). Nothing is changed.
				return care.ErrNotFound
			}
			return err
		}
		secret, err := s.sealValue(ctx, tx, userField(&u, "totp_secret"), a.TOTPSecret)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE users SET password_hash = $1, totp_secret = $2 WHERE id = $3`,
			a.PasswordHash, secret, u.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invitations SET user_id = $1 WHERE id = $2`, u.ID, inv.ID); err != nil {
			return err
		}
		ev := Event(care.Actor{UserID: u.ID, ClinicID: u.ClinicID, Role: u.Role}, "invitation.accept", "invitation", inv.ID)
		if u.Role == care.RoleClient {
			ev.ClientID = u.ID
		}
		if err := tx.audit(ctx, ev); err != nil {
			return err
		}
		if inv.Role == care.RoleClient && inv.InvitedBy != "" {
			_, err := tx.ExecContext(ctx,
				`INSERT INTO care_team (clinic_id, client_id, provider_id, created_at)
				 SELECT $1, $2, id, $3 FROM users WHERE id = $4 AND clinic_id = $1 AND role = 'provider'`,
				u.ClinicID, u.ID, micros(tx.now), inv.InvitedBy)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

const credentialColumns = `u.id, u.clinic_id, u.role, u.time_zone, u.created_at,
	u.password_hash, u.totp_secret, u.totp_confirmed, u.totp_last_step, u.disabled_at IS NOT NULL OR u.deleted_at IS NOT NULL,
	(SELECT count(*) FROM passkeys p WHERE p.user_id = u.id), ` + userPersonalColumns

func (s *Store) scanCredentials(ctx context.Context, tx tx, row interface{ Scan(...any) error }, c *care.Credentials) error {
	var role string
	var created int64
	var confirmed int
	var p personal
	var secret []byte
	err := row.Scan(append([]any{&c.User.ID, &c.User.ClinicID, &role, &c.User.TimeZone, &created,
		&c.PasswordHash, &secret, &confirmed, &c.TOTPLastStep, &c.Disabled, &c.Passkeys}, p.dest()...)...)
	if err != nil {
		return notFound(err)
	}
	c.User.Role = care.Role(role)
	c.User.CreatedAt = fromMicros(created)
	c.TOTPConfirmed = confirmed == 1
	if c.TOTPSecret, err = s.openValue(ctx, tx, userField(&c.User, "totp_secret"), secret); err != nil {
		return err
	}
	return s.openUser(ctx, tx, &c.User, p)
}

// CredentialsByEmail returns what signing in needs to check of the user
// with this email, or care.ErrNotFound.
func (s *Store) CredentialsByEmail(ctx context.Context, email string) (*care.Credentials, error) {
	var c care.Credentials
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		return s.scanCredentials(ctx, tx, tx.QueryRowContext(ctx,
			`SELECT `+credentialColumns+` FROM users u WHERE u.email_index = $1`, s.emailIndex(email)), &c)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// Credentials returns the signed-in actor's own credentials.
func (s *Store) Credentials(ctx context.Context, actor care.Actor) (*care.Credentials, error) {
	var c care.Credentials
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		return s.scanCredentials(ctx, tx, tx.QueryRowContext(ctx,
			`SELECT `+credentialColumns+` FROM users u WHERE u.id = $1 AND u.clinic_id = $2`,
			actor.UserID, actor.ClinicID), &c)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// UseTOTPStep records that the user's authenticator code for step was
// accepted, and reports false if that step or a later one was accepted
// before: each code works once, and never after a newer one (AU-08). Of
// two concurrent uses of the same step exactly one gets true.
func (s *Store) UseTOTPStep(ctx context.Context, userID string, step int64) (bool, error) {
	var ok bool
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1`, step, userID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ok = n == 1
		return err
	})
	return ok, err
}

// SetTOTP stores a new authenticator secret for the actor, unconfirmed
// until ConfirmTOTP. A nil secret removes the authenticator.
func (s *Store) SetTOTP(ctx context.Context, actor care.Actor, secret []byte) error {
	action := "mfa.totp-begin"
	if secret == nil {
		action = "mfa.totp-remove"
	}
	ev := Event(actor, action, "user", actor.UserID)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		u := care.User{ID: actor.UserID, ClinicID: actor.ClinicID, Role: actor.Role}
		sealed, err := s.sealValue(ctx, tx, userField(&u, "totp_secret"), secret)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			`UPDATE users SET totp_secret = $1, totp_confirmed = 0 WHERE id = $2 AND clinic_id = $3`,
			sealed, actor.UserID, actor.ClinicID)
		return err
	})
}

// ConfirmTOTP marks the user's authenticator as working.
func (s *Store) ConfirmTOTP(ctx context.Context, userID string) error {
	return s.write(ctx, func(ctx context.Context, tx tx) error {
		var ev care.AuditEvent
		var role string
		err := tx.QueryRowContext(ctx,
			`UPDATE users SET totp_confirmed = 1 WHERE id = $1 AND totp_secret IS NOT NULL
			 RETURNING id, clinic_id, role`, userID).Scan(&ev.ActorID, &ev.ClinicID, &role)
		if err != nil {
			return notFound(err)
		}
		ev.Role, ev.Action, ev.EntityType, ev.EntityID = care.Role(role), "mfa.totp-confirm", "user", userID
		return tx.audit(ctx, ev)
	})
}

// SetPasswordHash replaces a user's password hash (a rehash at sign-in, or
// a change by the user).
func (s *Store) SetPasswordHash(ctx context.Context, userID, hash string) error {
	return s.write(ctx, func(ctx context.Context, tx tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, userID)
		return err
	})
}

// SetRecoveryCodes replaces the user's recovery codes with the given
// hashes.
func (s *Store) SetRecoveryCodes(ctx context.Context, actor care.Actor, hashes [][]byte) error {
	ev := Event(actor, "mfa.recovery-codes", "user", actor.UserID)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, actor.UserID); err != nil {
			return err
		}
		for _, h := range hashes {
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)`, actor.UserID, h); err != nil {
				return err
			}
		}
		return nil
	})
}

// UseRecoveryCode spends one of the user's recovery codes and reports
// whether it was valid and unused (AU-10).
func (s *Store) UseRecoveryCode(ctx context.Context, userID string, hash []byte) (bool, error) {
	var ok bool
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL`,
			micros(tx.now), userID, hash)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ok = n == 1
		return err
	})
	return ok, err
}

// RecoveryCodesLeft counts the user's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, actor care.Actor) (int, error) {
	var n int
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		return tx.QueryRowContext(ctx,
			`SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, actor.UserID).Scan(&n)
	})
	return n, err
}

// throttleKey names a sign-in throttling counter without storing the email.
func throttleKey(kind, value string) string {
	sum := sha256.Sum256([]byte(value))
	return kind + ":" + hex.EncodeToString(sum[:16])
}

// AccountKey and AddressKey name the two throttling counters of a sign-in.
func AccountKey(email string) string { return throttleKey("account", email) }

// AddressKey names the throttling counter of a source address.
func AddressKey(addr string) string { return throttleKey("addr", addr) }

// SecondFactorKey names the throttling counter of a user's second-factor
// attempts (authenticator and recovery codes, passkeys). Only someone who
// got the password right can move it, so guessing passwords never holds
// back the owner's second factor (AU-05, issue #17).
func SecondFactorKey(userID string) string { return throttleKey("mfa", userID) }

// LoginFailures returns the largest consecutive-failure count among keys
// and the time of that key's last failure.
func (s *Store) LoginFailures(ctx context.Context, keys ...string) (failures int, last time.Time, err error) {
	err = s.read(ctx, func(ctx context.Context, tx tx) error {
		for _, k := range keys {
			var n int
			var at int64
			err := tx.QueryRowContext(ctx,
				`SELECT failures, last_failure_at FROM login_failures WHERE key = $1`, k).Scan(&n, &at)
			if err == sql.ErrNoRows {
				continue
			}
			if err != nil {
				return err
			}
			if n > failures {
				failures, last = n, fromMicros(at)
			}
		}
		return nil
	})
	return failures, last, err
}

// errThrottled rolls back a TakeLoginAttempt that a backoff refuses.
var errThrottled = errors.New("throttled")

// LoginAttempt is a sign-in attempt that TakeLoginAttempt counted: what
// ReleaseLoginAttempt needs to give the count back.
type LoginAttempt struct {
	keys []string
	prev []int64 // each key's last failure before the attempt, in micros
	at   int64   // the last failure the attempt wrote, in micros
}

// TakeLoginAttempt counts one more failure for each key before the attempt
// is checked, unless a backoff runs: wait is asked, for each key in turn,
// how long its counter (failures since forget ago, and the time of the
// last) makes the caller wait. If any key must wait, nothing is counted and
// the longest wait is returned. Reading and counting happen under the
// counters' row locks, so parallel attempts are throttled as if they came
// one after another (AU-05). A checked attempt that succeeds gives its
// count back with ReleaseLoginAttempt.
func (s *Store) TakeLoginAttempt(ctx context.Context, keys []string, forget time.Duration,
	wait func(i, failures int, last time.Time) time.Duration) (LoginAttempt, time.Duration, error) {
	var longest time.Duration
	var attempt LoginAttempt
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		longest = 0 // the engine may run a write twice
		attempt = LoginAttempt{keys: keys, prev: make([]int64, len(keys)), at: micros(tx.now)}
		cutoff := micros(tx.now.Add(-forget))
		for i, k := range keys {
			// The row must exist for its lock to serialize attempts:
			// without it, parallel first attempts would all count from
			// zero. A no-op UPDATE then takes the row lock on PostgreSQL
			// and returns the latest committed counter; SQLite's single
			// writer serializes anyway.
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO login_failures (key, failures, last_failure_at) VALUES ($1, 0, 0)
				 ON CONFLICT (key) DO NOTHING`, k); err != nil {
				return err
			}
			var n int
			var at int64
			err := tx.QueryRowContext(ctx,
				`UPDATE login_failures SET failures = failures WHERE key = $1
				 RETURNING failures, last_failure_at`, k).Scan(&n, &at)
			if err != nil && err != sql.ErrNoRows {
				return err
			}
			attempt.prev[i] = at
			if at < cutoff {
				n = 0
			}
			if n > 0 {
				longest = max(longest, wait(i, n, fromMicros(at)))
			}
		}
		if longest > 0 {
			return errThrottled
		}
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO login_failures (key, failures, last_failure_at) VALUES ($1, 1, $2)
				 ON CONFLICT (key) DO UPDATE SET last_failure_at = $2, failures =
				   CASE WHEN login_failures.last_failure_at < $3 THEN 1 ELSE login_failures.failures + 1 END`,
				k, attempt.at, cutoff); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errThrottled) {
		return LoginAttempt{}, longest, nil
	}
	if err != nil {
		return LoginAttempt{}, 0, err
	}
	return attempt, 0, nil
}

// ReleaseLoginAttempt gives back what TakeLoginAttempt counted for an
// attempt that turned out right: the failure, and the time of the last
// failure as it was before, unless a later failure has written its own
// meanwhile. A right attempt must not look like a fresh failure: that
// would restart the backoff of the failures before it, each time the
// owner signs in (AU-05, issue #17).
func (s *Store) ReleaseLoginAttempt(ctx context.Context, a LoginAttempt) error {
	return s.write(ctx, func(ctx context.Context, tx tx) error {
		for i, k := range a.keys {
			if _, err := tx.ExecContext(ctx,
				`UPDATE login_failures SET failures = failures - 1,
				   last_failure_at = CASE WHEN last_failure_at = $2 THEN $3 ELSE last_failure_at END
				 WHERE key = $1 AND failures > 0`, k, a.at, a.prev[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// ResetLoginFailures clears the counters of keys after a success.
func (s *Store) ResetLoginFailures(ctx context.Context, keys ...string) error {
	return s.write(ctx, func(ctx context.Context, tx tx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key = $1`, k); err != nil {
				return err
			}
		}
		return nil
	})
}
