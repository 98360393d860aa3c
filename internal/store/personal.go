package store

import (
	"context"
	"strings"

	"interlude/internal/care"
)

// Clients' names and emails are PHI: they are sealed under the client's
// data key, and the plain columns hold nothing personal. Staff names and
// emails are not PHI and stay plain, so that audit and access reports can
// name who looked. Every user has an email index (a keyed hash) for
// signing in; the address itself is never looked up.

// sealedEmailPrefix marks the email column of a row whose address is
// sealed; the column stays unique and says nothing.
const sealedEmailPrefix = "sealed:"

// emailIndex is the keyed hash that email look-ups go through.
func (s *Store) emailIndex(email string) string {
	return s.keyring.Index("email", strings.ToLower(strings.TrimSpace(email)))
}

// personal is how a person's email and name are stored.
type personal struct {
	email, name             string // the plain columns
	index                   string
	emailSealed, nameSealed []byte
}

// sealPerson returns the stored form of an email and a name: sealed for a
// client (or an invitation, which may name a client), plain for staff.
func (s *Store) sealPerson(ctx context.Context, tx tx, f field, role care.Role, email, name string) (personal, error) {
	p := personal{index: s.emailIndex(email)}
	if role.Staff() {
		p.email, p.name = email, name
		return p, nil
	}
	var err error
	p.email = sealedEmailPrefix + f.row
	ef, nf := f, f
	ef.column, nf.column = "email", "display_name"
	if p.emailSealed, err = s.sealValue(ctx, tx, ef, []byte(email)); err != nil {
		return p, err
	}
	p.nameSealed, err = s.sealValue(ctx, tx, nf, []byte(name))
	return p, err
}

// openPerson returns the email and name of a stored person.
func (s *Store) openPerson(ctx context.Context, tx tx, f field, p personal) (email, name string, err error) {
	if p.emailSealed == nil && p.nameSealed == nil {
		return p.email, p.name, nil
	}
	ef, nf := f, f
	ef.column, nf.column = "email", "display_name"
	e, err := s.openValue(ctx, tx, ef, p.emailSealed)
	if err != nil {
		return "", "", err
	}
	n, err := s.openValue(ctx, tx, nf, p.nameSealed)
	return string(e), string(n), err
}

// userField names a sealed column of user u's row; a client's values are
// sealed under their own key, a staff member's under the clinic's.
func userField(u *care.User, column string) field {
	f := field{clinic: u.ClinicID, owner: u.ClinicID, table: "users", column: column, row: u.ID}
	if u.Role == care.RoleClient {
		f.client, f.owner = u.ID, u.ID
	}
	return f
}

// openUser fills u's email and name from their stored form.
func (s *Store) openUser(ctx context.Context, tx tx, u *care.User, p personal) error {
	var err error
	u.Email, u.DisplayName, err = s.openPerson(ctx, tx, userField(u, ""), p)
	return err
}

// userPersonalColumns are the columns a personal is read from, for a users
// row aliased u.
const userPersonalColumns = `u.email, u.display_name, u.email_sealed, u.name_sealed`

func (p *personal) dest() []any { return []any{&p.email, &p.name, &p.emailSealed, &p.nameSealed} }
