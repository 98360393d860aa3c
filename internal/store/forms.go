package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"interlude/internal/care"
)

// This file keeps what a person types safe from the web's two everyday
// accidents (issue #18): a form sent twice (a reload of the answer to a
// post, a double click) and a form sent after the session ended.

// FormMAC signs a form token's payload with the keyring's index key, which
// never rotates: a token shown before a restart or a key rotation still
// checks. kind separates this use from the blind indexes'.
func (s *Store) FormMAC(payload string) string { return s.keyring.Index("form-token", payload) }

// FormClaim is what ClaimFormToken found.
type FormClaim struct {
	First    bool   // this post is the token's first: it should act
	Status   int    // else the first post's answer (0 while it runs)
	Location string // and where that answer led
}

// ClaimFormToken claims the nonce of a form token of userID's, valid
// until expires: the first claim of a nonce gets First; any later one
// gets what the first post's answer was, once FinishFormToken has said.
// Claims that expired are swept on the way.
func (s *Store) ClaimFormToken(ctx context.Context, userID, nonce string, expires time.Time) (FormClaim, error) {
	var c FormClaim
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		c = FormClaim{}
		if _, err := tx.ExecContext(ctx, `DELETE FROM form_tokens WHERE expires_at < $1`, micros(tx.now)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx,
			`INSERT INTO form_tokens (nonce, user_id, used_at, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (nonce) DO NOTHING`,
			nonce, userID, micros(tx.now), micros(expires))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			c.First = true
			return nil
		}
		return s.formClaim(ctx, tx, userID, nonce, &c)
	})
	return c, err
}

// FormToken reads the answer of a claimed nonce of userID's, for a second
// post that waits for the first.
func (s *Store) FormToken(ctx context.Context, userID, nonce string) (FormClaim, error) {
	var c FormClaim
	err := s.read(ctx, func(ctx context.Context, tx tx) error { return s.formClaim(ctx, tx, userID, nonce, &c) })
	return c, err
}

func (s *Store) formClaim(ctx context.Context, tx tx, userID, nonce string, c *FormClaim) error {
	var owner string
	err := tx.QueryRowContext(ctx, `SELECT user_id, status, location FROM form_tokens WHERE nonce = $1`, nonce).
		Scan(&owner, &c.Status, &c.Location)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && owner != userID) {
		return care.ErrNotFound
	}
	return err
}

// FinishFormToken records the first post's answer: its status and, for a
// redirect, where it led.
func (s *Store) FinishFormToken(ctx context.Context, nonce string, status int, location string) error {
	return s.write(ctx, func(ctx context.Context, tx tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE form_tokens SET status = $2, location = $3 WHERE nonce = $1`, nonce, status, location)
		return err
	})
}

// ReleaseFormToken gives a nonce back after its post was refused or
// failed, so that the form can be sent again.
func (s *Store) ReleaseFormToken(ctx context.Context, nonce string) error {
	return s.write(ctx, func(ctx context.Context, tx tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM form_tokens WHERE nonce = $1`, nonce)
		return err
	})
}

// HoldPost keeps a form that userID posted after their session ended,
// sealed under their data key (a client's own, else the clinic's), for
// keep at most. A user who is disabled, deleted or unknown has nothing
// kept (care.ErrNotFound). The audit row names the user, nothing of the
// form.
func (s *Store) HoldPost(ctx context.Context, userID string, post []byte, keep time.Duration) error {
	var u care.User
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		return tx.QueryRowContext(ctx,
			`SELECT id, clinic_id, role FROM users WHERE id = $1 AND disabled_at IS NULL AND deleted_at IS NULL`, userID).
			Scan(&u.ID, &u.ClinicID, &u.Role)
	})
	if err != nil {
		return notFound(err)
	}
	ev := Event(care.Actor{UserID: u.ID, ClinicID: u.ClinicID, Role: u.Role}, "form.held", "user", u.ID)
	if u.Role == care.RoleClient {
		ev.ClientID = u.ID
	}
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM held_posts WHERE expires_at < $1`, micros(tx.now)); err != nil {
			return err
		}
		id := care.NewID()
		f := userField(&u, "held_posts")
		f.table, f.column, f.row = "held_posts", "post", id
		sealed, err := s.sealValue(ctx, tx, f, post)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO held_posts (id, clinic_id, user_id, held_at, expires_at, post_sealed) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, u.ClinicID, u.ID, micros(tx.now), micros(tx.now.Add(keep)), sealed)
		return err
	})
}

// TakeHeldPosts hands the actor their kept forms, oldest first, and
// forgets them in the same transaction: each is sent at most once.
func (s *Store) TakeHeldPosts(ctx context.Context, actor care.Actor) ([][]byte, error) {
	ev := Event(actor, "form.resumed", "user", actor.UserID)
	if actor.Role == care.RoleClient {
		ev.ClientID = actor.UserID
	}
	var out [][]byte
	err := s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		out = nil
		type row struct {
			id     string
			sealed []byte
		}
		var rows []row
		err := tx.each(ctx, func(scan func(...any) error) error {
			var r row
			if err := scan(&r.id, &r.sealed); err != nil {
				return err
			}
			rows = append(rows, r)
			return nil
		}, `SELECT id, post_sealed FROM held_posts WHERE user_id = $1 AND clinic_id = $2 AND expires_at >= $3 ORDER BY held_at, id`,
			actor.UserID, actor.ClinicID, micros(tx.now))
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return errNothingHeld
		}
		u := care.User{ID: actor.UserID, ClinicID: actor.ClinicID, Role: actor.Role}
		for _, r := range rows {
			f := userField(&u, "held_posts")
			f.table, f.column, f.row = "held_posts", "post", r.id
			post, err := s.openValue(ctx, tx, f, r.sealed)
			if err != nil {
				return err
			}
			out = append(out, post)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM held_posts WHERE user_id = $1`, actor.UserID)
		return err
	})
	if errors.Is(err, errNothingHeld) {
		return nil, nil // no audit row for nothing
	}
	return out, err
}

var errNothingHeld = errors.New("nothing held")
