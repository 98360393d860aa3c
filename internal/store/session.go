package store

import (
	"context"
	"time"

	"interlude/internal/care"
)

// CreateSession stores a new session for the user under the hash of its
// token. A disabled user gets none.
func (s *Store) CreateSession(ctx context.Context, sess *care.Session, tokenHash []byte) error {
	return s.write(ctx, func(ctx context.Context, tx tx) error {
		return s.createSession(ctx, tx, sess, tokenHash)
	})
}

func (s *Store) createSession(ctx context.Context, tx tx, sess *care.Session, tokenHash []byte) error {
	var disabled bool
	err := tx.QueryRowContext(ctx,
		`SELECT disabled_at IS NOT NULL, clinic_id FROM users WHERE id = $1`, sess.UserID).Scan(&disabled, &sess.ClinicID)
	if err != nil {
		return notFound(err)
	}
	if disabled {
		return care.Errorf(care.Unauthenticated, "this account is disabled")
	}
	sess.ID = care.NewID()
	sess.CreatedAt, sess.LastSeenAt = tx.now, tx.now
	if sess.AuthAt.IsZero() {
		sess.AuthAt = tx.now
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO sessions (token_hash, id, user_id, clinic_id, kind, stage, created_at, last_seen_at, auth_at, mfa, device)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10)`,
		tokenHash, sess.ID, sess.UserID, sess.ClinicID, sess.Kind, sess.Stage, micros(sess.CreatedAt),
		micros(sess.AuthAt), boolInt(sess.MFA), sess.Device)
	return err
}

// Authenticate finds the session of a token and the actor behind it. A
// session that has ended by policy (idle, absolute lifetime, or a second
// factor not given in time) is deleted and, like an unknown token or a
// disabled user, answers care.Unauthenticated. A live session's last-seen
// time moves to now when touch is set, and it was last moved at least
// touchEvery ago.
//
// Most requests therefore only read: a request is not a write of its own
// (issue #6: one message was two commits). Since the stored last-seen time
// lags by less than touchEvery, a session may end that much before its
// idle limit, never after it (AC-07 is enforced server-side as before).
func (s *Store) Authenticate(ctx context.Context, tokenHash []byte, policy care.SessionPolicy, touch bool) (care.Actor, *care.Session, error) {
	var actor care.Actor
	var sess care.Session
	needWrite := false
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		var err error
		actor, needWrite, err = s.authenticate(ctx, tx, &sess, tokenHash, policy, touch, false)
		return err
	})
	if err == nil && needWrite {
		ended := false
		err = s.write(ctx, func(ctx context.Context, tx tx) error {
			var err error
			actor, ended, err = s.authenticate(ctx, tx, &sess, tokenHash, policy, touch, true)
			return err
		})
		if err == nil && ended {
			return care.Actor{}, nil, care.Errorf(care.Unauthenticated, "your session has ended; sign in again")
		}
	}
	if err != nil {
		return care.Actor{}, nil, err
	}
	return actor, &sess, nil
}

// touchFraction: a session's last-seen time is moved when it is older than
// this fraction of the idle limit (15 s of 15 minutes).
const touchFraction = 60

// touchEvery is how stale a session's stored last-seen time may be.
func touchEvery(policy care.SessionPolicy, role care.Role) time.Duration {
	if role.Staff() {
		return policy.StaffIdle / touchFraction
	}
	return policy.ClientIdle / touchFraction
}

// authenticate reads the session of tokenHash into sess. In a read
// transaction (write false) it reports more true when the session must be
// deleted or touched, which only a write may do. In a write it does so,
// and reports more true when the session has ended.
func (s *Store) authenticate(ctx context.Context, tx tx, sess *care.Session, tokenHash []byte, policy care.SessionPolicy, touch, write bool) (actor care.Actor, more bool, err error) {
	var role, zone, lang string
	var created, seen, auth int64
	var mfa int
	var disabled bool
	var p personal
	err = tx.QueryRowContext(ctx,
		`SELECT s.id, s.user_id, s.clinic_id, s.kind, s.stage, s.created_at, s.last_seen_at, s.auth_at, s.mfa, s.device,
		        u.role, u.time_zone, u.language, u.disabled_at IS NOT NULL OR u.deleted_at IS NOT NULL, `+userPersonalColumns+`
		 FROM sessions s JOIN users u ON u.id = s.user_id
		 WHERE s.token_hash = $1`, tokenHash).
		Scan(append([]any{&sess.ID, &sess.UserID, &sess.ClinicID, &sess.Kind, &sess.Stage, &created, &seen, &auth, &mfa, &sess.Device,
			&role, &zone, &lang, &disabled}, p.dest()...)...)
	if err != nil {
		if notFound(err) == care.ErrNotFound {
			return actor, false, care.Errorf(care.Unauthenticated, "sign in first")
		}
		return actor, false, err
	}
	sess.CreatedAt, sess.LastSeenAt, sess.AuthAt = fromMicros(created), fromMicros(seen), fromMicros(auth)
	sess.MFA = mfa == 1
	if disabled || policy.Expired(sess, care.Role(role), tx.now) {
		if !write {
			return actor, true, nil
		}
		// The deletion must commit, so this is not an error here.
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
		return actor, true, err
	}
	if touch && tx.now.Sub(sess.LastSeenAt) >= touchEvery(policy, care.Role(role)) {
		if !write {
			return actor, true, nil
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2`, micros(tx.now), tokenHash); err != nil {
			return actor, false, err
		}
		sess.LastSeenAt = tx.now
	}
	u := care.User{ID: sess.UserID, ClinicID: sess.ClinicID, Role: care.Role(role)}
	if err := s.openUser(ctx, tx, &u, p); err != nil {
		return actor, false, err
	}
	return care.Actor{UserID: sess.UserID, ClinicID: sess.ClinicID, Role: u.Role, SessionID: sess.ID, Name: u.DisplayName, TimeZone: zone, Language: lang}, false, nil
}

// RotateSession replaces the session of oldHash by a new one under newHash
// (SE-02: a new token at sign-in and after a second factor), with the given
// stage and factor state, and returns it.
func (s *Store) RotateSession(ctx context.Context, oldHash, newHash []byte, stage string, mfa bool) (*care.Session, error) {
	var sess care.Session
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		var kind, device string
		err := tx.QueryRowContext(ctx,
			`DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id, kind, device`, oldHash).
			Scan(&sess.UserID, &kind, &device)
		if err != nil {
			if notFound(err) == care.ErrNotFound {
				return care.Errorf(care.Unauthenticated, "sign in first")
			}
			return err
		}
		sess.Kind, sess.Device, sess.Stage, sess.MFA = kind, device, stage, mfa
		return s.createSession(ctx, tx, &sess, newHash)
	})
	if err != nil {
		return nil, err
	}
	return &sess, nil
}

// Sessions lists the actor's own sessions, newest first, marking the
// current one.
func (s *Store) Sessions(ctx context.Context, actor care.Actor) ([]care.Session, error) {
	var out []care.Session
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		rows, err := tx.QueryContext(ctx,
			`SELECT id, kind, stage, created_at, last_seen_at, mfa, device FROM sessions
			 WHERE user_id = $1 AND stage = 'full' ORDER BY created_at DESC, id`, actor.UserID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ss care.Session
			var created, seen int64
			var mfa int
			if err := rows.Scan(&ss.ID, &ss.Kind, &ss.Stage, &created, &seen, &mfa, &ss.Device); err != nil {
				return err
			}
			ss.UserID, ss.ClinicID = actor.UserID, actor.ClinicID
			ss.CreatedAt, ss.LastSeenAt, ss.MFA = fromMicros(created), fromMicros(seen), mfa == 1
			ss.Current = ss.ID == actor.SessionID
			out = append(out, ss)
		}
		return rows.Err()
	})
	return out, err
}

// EndSession signs one of the actor's own sessions out. Another user's
// session is care.ErrNotFound.
func (s *Store) EndSession(ctx context.Context, actor care.Actor, sessionID string) error {
	ev := Event(actor, "signout", "session", sessionID)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1 AND user_id = $2`, sessionID, actor.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return care.ErrNotFound
		}
		return s.revoke(ctx, tx, care.Revocation{UserID: actor.UserID, SessionID: sessionID, Reason: care.RevokeSession})
	})
}

// EndAllSessions signs the actor out everywhere, or everywhere but the
// current session when keepCurrent is set; it returns how many ended.
func (s *Store) EndAllSessions(ctx context.Context, actor care.Actor, keepCurrent bool) (int, error) {
	var n int64
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		keep := ""
		if keepCurrent {
			keep = actor.SessionID
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, actor.UserID, keep)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		if err := s.revoke(ctx, tx, care.Revocation{UserID: actor.UserID, KeepSessionID: keep, Reason: care.RevokeSession}); err != nil {
			return err
		}
		return tx.audit(ctx, Event(actor, "signout.everywhere", "session", ""))
	})
	return int(n), err
}

// ConfirmSession records that the actor's session sessionID proved its
// password (and second factor) again now, for a sensitive change
// (care.StepUpWindow). It is audited as session.step-up.
func (s *Store) ConfirmSession(ctx context.Context, actor care.Actor, sessionID string) error {
	ev := Event(actor, "session.step-up", "session", sessionID)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET auth_at = $1 WHERE id = $2 AND user_id = $3`,
			micros(tx.now), sessionID, actor.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return care.Errorf(care.Unauthenticated, "your session has ended; sign in again")
		}
		return nil
	})
}
