package store

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"

	"interlude/internal/care"
)

// Self-service on the account page (issue #17): a person's own name, time
// zone and language, password and email. Every change is audited by ids;
// none is logged with what it changed to.

// JobEmailConfirm sends the link that confirms a new email address; its
// RefID is the change's id. The token is made when the email is sent.
const JobEmailConfirm = "notify.email_confirm"

// Profile is what a person sets about themself.
type Profile struct {
	DisplayName string
	TimeZone    string // an IANA name
	Language    string // "en" or "es"
}

// Languages are the languages a person may read Interlude in.
var Languages = []string{"en", "es"}

// Validate checks and tidies p.
func (p *Profile) Validate() error {
	p.DisplayName = strings.TrimSpace(p.DisplayName)
	if p.DisplayName == "" {
		return care.FieldError("display_name", "is needed")
	}
	u := care.User{Role: care.RoleClient, Email: "x@example.org", DisplayName: p.DisplayName, TimeZone: p.TimeZone}
	if err := u.Validate(); err != nil {
		return err
	}
	if p.TimeZone == "" || strings.EqualFold(p.TimeZone, "local") {
		return care.FieldError("time_zone", "must be an IANA time zone name, such as America/Chicago")
	}
	if p.Language != "en" && p.Language != "es" {
		return care.FieldError("language", "must be en (English) or es (Spanish)")
	}
	return nil
}

// Profile returns the actor's own profile.
func (s *Store) Profile(ctx context.Context, actor care.Actor) (Profile, error) {
	var p Profile
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		u, lang, err := s.ownUser(ctx, tx, actor)
		p = Profile{DisplayName: u.DisplayName, TimeZone: u.TimeZone, Language: lang}
		return err
	})
	return p, err
}

// ownUser reads the actor's own user row, opened, and their language.
func (s *Store) ownUser(ctx context.Context, tx tx, actor care.Actor) (care.User, string, error) {
	var u care.User
	var role, lang string
	var per personal
	err := tx.QueryRowContext(ctx,
		`SELECT u.id, u.clinic_id, u.role, u.time_zone, u.language, `+userPersonalColumns+`
		 FROM users u WHERE u.id = $1 AND u.clinic_id = $2 AND u.disabled_at IS NULL AND u.deleted_at IS NULL`,
		actor.UserID, actor.ClinicID).Scan(append([]any{&u.ID, &u.ClinicID, &role, &u.TimeZone, &lang}, per.dest()...)...)
	if err != nil {
		return u, "", notFound(err)
	}
	u.Role = care.Role(role)
	if err := s.openUser(ctx, tx, &u, per); err != nil {
		return u, "", err
	}
	return u, lang, nil
}

// UpdateProfile sets the actor's own name, time zone and language.
func (s *Store) UpdateProfile(ctx context.Context, actor care.Actor, p Profile) error {
	if err := p.Validate(); err != nil {
		return err
	}
	ev := Event(actor, "user.profile", "user", actor.UserID)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		u, _, err := s.ownUser(ctx, tx, actor)
		if err != nil {
			return err
		}
		if u.Role == care.RoleClient {
			ev.ClientID = u.ID
		}
		per, err := s.sealPerson(ctx, tx, userField(&u, ""), u.Role, u.Email, p.DisplayName)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE users SET display_name = $1, name_sealed = $2, time_zone = $3, language = $4 WHERE id = $5`,
			per.name, per.nameSealed, p.TimeZone, p.Language, u.ID); err != nil {
			return err
		}
		if u.Role == care.RoleClient && p.TimeZone != u.TimeZone {
			// A journaling reminder is at a time of the client's day, and
			// so are their trackers' reminders.
			if err := tx.journalReminderMoved(ctx, u.ClinicID, u.ID, p.TimeZone); err != nil {
				return err
			}
			return tx.trackerRemindersMoved(ctx, u.ClinicID, u.ID, p.TimeZone)
		}
		return nil
	})
}

// ChangePassword sets the actor's password hash and ends their other
// sessions (this one stays). The caller checked the current password.
func (s *Store) ChangePassword(ctx context.Context, actor care.Actor, hash string) error {
	ev := Event(actor, "user.password", "user", actor.UserID)
	if actor.Role == care.RoleClient {
		ev.ClientID = actor.UserID
	}
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2 AND clinic_id = $3`,
			hash, actor.UserID, actor.ClinicID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return care.ErrNotFound
		}
		// A password reset link made before the change is void too.
		if _, err := tx.ExecContext(ctx,
			`UPDATE password_resets SET ended_at = $1 WHERE user_id = $2 AND used_at IS NULL AND ended_at IS NULL`,
			micros(tx.now), actor.UserID); err != nil {
			return err
		}
		return tx.endOtherSessions(ctx, s, actor)
	})
}

// endOtherSessions ends every session of the actor but their current one.
func (tx tx) endOtherSessions(ctx context.Context, s *Store, actor care.Actor) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, actor.UserID, actor.SessionID); err != nil {
		return err
	}
	return s.revoke(ctx, tx, care.Revocation{UserID: actor.UserID, Reason: care.RevokeSession, KeepSessionID: actor.SessionID})
}

// checkEmail tidies a new address, or refuses it.
func checkEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 {
		return "", care.FieldError("email", "must be a plain email address")
	}
	return strings.ToLower(email), nil
}

// SetEmail changes the actor's email at once, for a server that sends no
// email to confirm it with. An address another account uses is refused
// (signing in names no clinic, so addresses are unique).
func (s *Store) SetEmail(ctx context.Context, actor care.Actor, email string) error {
	email, err := checkEmail(email)
	if err != nil {
		return err
	}
	ev := Event(actor, "user.email", "user", actor.UserID)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		u, _, err := s.ownUser(ctx, tx, actor)
		if err != nil {
			return err
		}
		if u.Role == care.RoleClient {
			ev.ClientID = u.ID
		}
		return s.setEmail(ctx, tx, &u, email)
	})
}

// setEmail stores email as user u's address.
func (s *Store) setEmail(ctx context.Context, tx tx, u *care.User, email string) error {
	var taken int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE email_index = $1 AND id <> $2`,
		s.emailIndex(email), u.ID).Scan(&taken); err != nil {
		return err
	}
	if taken > 0 {
		return care.FieldError("email", "is already in use")
	}
	per, err := s.sealPerson(ctx, tx, userField(u, ""), u.Role, email, u.DisplayName)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx,
		`UPDATE users SET email = $1, email_index = $2, email_sealed = $3, display_name = $4, name_sealed = $5 WHERE id = $6`,
		per.email, per.index, per.emailSealed, per.name, per.nameSealed, u.ID)
	return err
}

// emailChangeField names the sealed new address of a change.
func emailChangeField(u *care.User, changeID string) field {
	f := userField(u, "email")
	f.table, f.row = "email_changes", changeID
	return f
}

// RequestEmailChange stores a change of the actor's email to be confirmed
// from the new address (JobEmailConfirm sends the link). It answers the
// same whether or not another account uses the address (AU-07); the
// confirmation refuses it then. Earlier open changes end.
func (s *Store) RequestEmailChange(ctx context.Context, actor care.Actor, email string, lifetime time.Duration) error {
	email, err := checkEmail(email)
	if err != nil {
		return err
	}
	ev := Event(actor, "user.email-change", "user", actor.UserID)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		u, _, err := s.ownUser(ctx, tx, actor)
		if err != nil {
			return err
		}
		if u.Role == care.RoleClient {
			ev.ClientID = u.ID
		}
		return s.requestEmailChange(ctx, tx, &u, email, lifetime)
	})
}

// requestEmailChange stores a change of user u's email to email, to be
// confirmed from that address within lifetime, and ends u's earlier open
// changes.
func (s *Store) requestEmailChange(ctx context.Context, tx tx, u *care.User, email string, lifetime time.Duration) error {
	if _, err := tx.ExecContext(ctx,
		`UPDATE email_changes SET ended_at = $1 WHERE user_id = $2 AND used_at IS NULL AND ended_at IS NULL`,
		micros(tx.now), u.ID); err != nil {
		return err
	}
	id := care.NewID()
	plain, sealed := email, []byte(nil)
	var err error
	if u.Role == care.RoleClient {
		plain = sealedEmailPrefix + id
		if sealed, err = s.sealValue(ctx, tx, emailChangeField(u, id), []byte(email)); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO email_changes (id, clinic_id, user_id, email_index, email, email_sealed, created_at, expires_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		id, u.ClinicID, u.ID, s.emailIndex(email), plain, sealed, micros(tx.now), micros(tx.now.Add(lifetime))); err != nil {
		return err
	}
	_, err = tx.enqueueJob(ctx, Job{ClinicID: u.ClinicID, Kind: JobEmailConfirm, DedupeKey: "email:" + id,
		UserID: u.ID, RefID: id, RunAt: tx.now, MaxAttempts: 5})
	return err
}

// IssueEmailChangeToken gives the open change changeID its token (by its
// hash), replacing an earlier attempt's, and returns the new address to
// send the link to; ok is false when the change is used, ended or
// expired.
func (s *Store) IssueEmailChangeToken(ctx context.Context, changeID string, tokenHash []byte) (email string, ok bool, err error) {
	err = s.write(ctx, func(ctx context.Context, tx tx) error {
		var u care.User
		var role, plain string
		var sealed []byte
		err := tx.QueryRowContext(ctx,
			`UPDATE email_changes SET token_hash = $1
			 WHERE id = $2 AND used_at IS NULL AND ended_at IS NULL AND expires_at > $3
			 RETURNING user_id, clinic_id, email, email_sealed`,
			tokenHash, changeID, micros(tx.now)).Scan(&u.ID, &u.ClinicID, &plain, &sealed)
		if err != nil {
			if notFound(err) == care.ErrNotFound {
				return nil
			}
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT role FROM users WHERE id = $1`, u.ID).Scan(&role); err != nil {
			return err
		}
		u.Role = care.Role(role)
		email, ok = plain, true
		if sealed != nil {
			b, err := s.openValue(ctx, tx, emailChangeField(&u, changeID), sealed)
			email = string(b)
			return err
		}
		return nil
	})
	return email, ok, err
}

// ConfirmEmailChange uses the change of tokenHash once: the user's email
// becomes the new address, unless another account took it meanwhile
// (care.Conflict). An unknown, used, ended or expired token is
// care.ErrNotFound.
func (s *Store) ConfirmEmailChange(ctx context.Context, tokenHash []byte) error {
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		var changeID, plain string
		var sealed []byte
		var u care.User
		err := tx.QueryRowContext(ctx,
			`UPDATE email_changes SET used_at = $1
			 WHERE token_hash = $2 AND used_at IS NULL AND ended_at IS NULL AND expires_at > $1
			 RETURNING id, user_id, email, email_sealed`, micros(tx.now), tokenHash).Scan(&changeID, &u.ID, &plain, &sealed)
		if err != nil {
			return notFound(err)
		}
		var role string
		var per personal
		if err := tx.QueryRowContext(ctx,
			`SELECT u.clinic_id, u.role, `+userPersonalColumns+` FROM users u
			 WHERE u.id = $1 AND u.disabled_at IS NULL AND u.deleted_at IS NULL`, u.ID).
			Scan(append([]any{&u.ClinicID, &role}, per.dest()...)...); err != nil {
			return notFound(err)
		}
		u.Role = care.Role(role)
		if err := s.openUser(ctx, tx, &u, per); err != nil {
			return err
		}
		email := plain
		if sealed != nil {
			b, err := s.openValue(ctx, tx, emailChangeField(&u, changeID), sealed)
			if err != nil {
				return err
			}
			email = string(b)
		}
		if err := s.setEmail(ctx, tx, &u, email); err != nil {
			var ce *care.Error
			if errors.As(err, &ce) && ce.Field == "email" {
				return care.Errorf(care.Conflict, "another account uses that address now; the email was not changed")
			}
			return err
		}
		ev := Event(care.Actor{UserID: u.ID, ClinicID: u.ClinicID, Role: u.Role}, "user.email", "user", u.ID)
		if u.Role == care.RoleClient {
			ev.ClientID = u.ID
		}
		return tx.audit(ctx, ev)
	})
	return err
}
