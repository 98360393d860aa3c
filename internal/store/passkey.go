package store

import (
	"context"
	"database/sql"
	"time"

	"interlude/internal/care"
)

// SaveChallenge stores the state of a WebAuthn ceremony that has begun for
// a user, under id, until expiresAt (AU-09: five minutes at most). It also
// clears the ceremonies that have expired. data is opaque to the store.
func (s *Store) SaveChallenge(ctx context.Context, id, userID, data string, expiresAt time.Time) error {
	return s.write(ctx, func(ctx context.Context, tx tx) error {
		if _, err := tx.ExecContext(ctx,
			`DELETE FROM webauthn_challenges WHERE expires_at <= $1`, micros(tx.now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO webauthn_challenges (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4)`,
			id, userID, data, micros(expiresAt))
		return err
	})
}

// TakeChallenge returns the data of the user's ceremony id and deletes it:
// a challenge is answered once (AU-09). A ceremony that is unknown, expired
// or another user's is care.ErrNotFound; another user's is left alone. Of
// two concurrent takes exactly one gets the data.
func (s *Store) TakeChallenge(ctx context.Context, id, userID string) (string, error) {
	var data string
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		return notFound(tx.QueryRowContext(ctx,
			`DELETE FROM webauthn_challenges WHERE id = $1 AND user_id = $2 AND expires_at > $3 RETURNING data`,
			id, userID, micros(tx.now)).Scan(&data))
	})
	if err != nil {
		return "", err
	}
	return data, nil
}

// AddPasskey registers a passkey for the actor. The name is checked with
// care.ValidatePasskeyName; a credential id registered already, by anyone,
// is a care.Conflict. It sets p's ID, UserID and CreatedAt.
func (s *Store) AddPasskey(ctx context.Context, actor care.Actor, p *care.Passkey) error {
	name, err := care.ValidatePasskeyName(p.Name)
	if err != nil {
		return err
	}
	if len(p.CredentialID) == 0 || p.Credential == "" {
		return care.FieldError("credential", "is required")
	}
	ev := Event(actor, "mfa.passkey-add", "passkey", "")
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		var taken int
		if err := tx.QueryRowContext(ctx,
			`SELECT count(*) FROM passkeys WHERE credential_id = $1`, p.CredentialID).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return care.Errorf(care.Conflict, "this passkey is registered already")
		}
		p.ID, p.UserID, p.Name, p.CreatedAt, p.LastUsedAt = care.NewID(), actor.UserID, name, tx.now, time.Time{}
		ev.EntityID = p.ID
		res, err := tx.ExecContext(ctx,
			`INSERT INTO passkeys (id, user_id, credential_id, credential, name, created_at)
			 SELECT $1, id, $2, $3, $4, $5 FROM users WHERE id = $6 AND clinic_id = $7`,
			p.ID, p.CredentialID, p.Credential, p.Name, micros(p.CreatedAt), actor.UserID, actor.ClinicID)
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

const passkeyColumns = `id, user_id, credential_id, credential, name, created_at, last_used_at` //nolint:gosec // G101: column names, no secret

func scanPasskeys(rows *sql.Rows) ([]care.Passkey, error) {
	defer rows.Close()
	var out []care.Passkey
	for rows.Next() {
		var p care.Passkey
		var created int64
		var used sql.NullInt64
		if err := rows.Scan(&p.ID, &p.UserID, &p.CredentialID, &p.Credential, &p.Name, &created, &used); err != nil {
			return nil, err
		}
		p.CreatedAt = fromMicros(created)
		if used.Valid {
			p.LastUsedAt = fromMicros(used.Int64)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Passkeys lists the actor's own passkeys, newest first.
func (s *Store) Passkeys(ctx context.Context, actor care.Actor) ([]care.Passkey, error) {
	var out []care.Passkey
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		rows, err := tx.QueryContext(ctx,
			`SELECT `+passkeyColumns+` FROM passkeys p
			 WHERE user_id = $1 AND EXISTS (SELECT 1 FROM users u WHERE u.id = p.user_id AND u.clinic_id = $2)
			 ORDER BY created_at DESC, id`, actor.UserID, actor.ClinicID)
		if err != nil {
			return err
		}
		out, err = scanPasskeys(rows)
		return err
	})
	return out, err
}

// PasskeysOfUser lists a user's passkeys, newest first, for the sign-in
// ceremony of a user whose password was checked but who has no full
// session yet.
func (s *Store) PasskeysOfUser(ctx context.Context, userID string) ([]care.Passkey, error) {
	var out []care.Passkey
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		rows, err := tx.QueryContext(ctx,
			`SELECT `+passkeyColumns+` FROM passkeys WHERE user_id = $1 ORDER BY created_at DESC, id`, userID)
		if err != nil {
			return err
		}
		out, err = scanPasskeys(rows)
		return err
	})
	return out, err
}

// DeletePasskey removes one of the actor's own passkeys; another user's is
// care.ErrNotFound. Staff must keep a second factor (AU-01): removing the
// last passkey of a staff member without a working authenticator app is a
// care.Conflict.
func (s *Store) DeletePasskey(ctx context.Context, actor care.Actor, id string) error {
	ev := Event(actor, "mfa.passkey-remove", "passkey", id)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		// The no-op UPDATE takes the user's row lock on PostgreSQL, so that
		// two concurrent deletions cannot both see a second passkey left;
		// SQLite has one writer anyway.
		var totp int
		err := tx.QueryRowContext(ctx,
			`UPDATE users SET totp_confirmed = totp_confirmed WHERE id = $1 AND clinic_id = $2
			 RETURNING totp_confirmed`, actor.UserID, actor.ClinicID).Scan(&totp)
		if err != nil {
			return notFound(err)
		}
		var mine, total int
		if err := tx.QueryRowContext(ctx,
			`SELECT count(*) FILTER (WHERE id = $2), count(*) FROM passkeys WHERE user_id = $1`,
			actor.UserID, id).Scan(&mine, &total); err != nil {
			return err
		}
		if mine == 0 {
			return care.ErrNotFound
		}
		if actor.Role.Staff() && totp != 1 && total <= 1 {
			return care.Errorf(care.Conflict, "staff accounts need a second factor: add another passkey or an authenticator app before removing this one")
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM passkeys WHERE id = $1 AND user_id = $2`, id, actor.UserID)
		return err
	})
}

// UsePasskey records a successful use of the user's passkey: the new
// credential record (its sign count, flags, or a clone warning) replaces
// the stored one, and its last use is now. A passkey that is no longer
// there (revoked meanwhile) is care.ErrNotFound.
func (s *Store) UsePasskey(ctx context.Context, userID string, credentialID []byte, credential string) error {
	return s.write(ctx, func(ctx context.Context, tx tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE passkeys SET credential = $1, last_used_at = $2 WHERE user_id = $3 AND credential_id = $4`,
			credential, micros(tx.now), userID, credentialID)
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
