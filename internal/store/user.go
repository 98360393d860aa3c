package store

import (
	"context"

	"interlude/internal/care"
)

// CreateUser validates u, gives it an id and inserts it into its clinic,
// sealing a client's name and email under a new data key of their own, and
// records it in the audit trail. It is for the operator and the demo;
// people join through invitations.
// Emails are unique across the whole installation, since signing in names no
// clinic; an email already in use is an Invalid error on the email field.
func (s *Store) CreateUser(ctx context.Context, u *care.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx tx) error {
		if err := s.createUser(ctx, tx, u); err != nil {
			return err
		}
		ev := care.AuditEvent{Action: "user.create", EntityType: "user", EntityID: u.ID, ClinicID: u.ClinicID}
		if u.Role == care.RoleClient {
			ev.ClientID = u.ID
		}
		return tx.audit(ctx, ev)
	})
}

func (s *Store) createUser(ctx context.Context, tx tx, u *care.User) error {
	u.ID = care.NewID()
	u.CreatedAt = tx.now
	if u.Role == care.RoleClient {
		if _, err := s.dataKey(ctx, tx, u.ClinicID, u.ID, true); err != nil {
			return err
		}
	}
	p, err := s.sealPerson(ctx, tx, userField(u, ""), u.Role, u.Email, u.DisplayName)
	if err != nil {
		return err
	}
	// The unique email index refuses a second account with the email; the
	// insert then does nothing, and the transaction is rolled back.
	res, err := tx.ExecContext(ctx,
		`INSERT INTO users (id, clinic_id, role, email, display_name, email_index, email_sealed, name_sealed, time_zone, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
		u.ID, u.ClinicID, string(u.Role), p.email, p.name, p.index, p.emailSealed, p.nameSealed, u.TimeZone, micros(u.CreatedAt))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return care.FieldError("email", "is already in use")
	}
	return nil
}

// User returns the user with the given id in the given clinic, or
// care.ErrNotFound; a user of another clinic is not found.
func (s *Store) User(ctx context.Context, clinicID, id string) (*care.User, error) {
	var u care.User
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		var role string
		var created int64
		var p personal
		err := tx.QueryRowContext(ctx,
			`SELECT u.id, u.clinic_id, u.role, u.time_zone, u.created_at, `+userPersonalColumns+`
			 FROM users u WHERE u.clinic_id = $1 AND u.id = $2`, clinicID, id).
			Scan(append([]any{&u.ID, &u.ClinicID, &role, &u.TimeZone, &created}, p.dest()...)...)
		if err != nil {
			return notFound(err)
		}
		u.Role = care.Role(role)
		u.CreatedAt = fromMicros(created)
		return s.openUser(ctx, tx, &u, p)
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// CountUsers returns how many users the clinic has in each role.
func (s *Store) CountUsers(ctx context.Context, clinicID string) (map[care.Role]int, error) {
	out := map[care.Role]int{}
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		rows, err := tx.QueryContext(ctx,
			`SELECT role, count(*) FROM users WHERE clinic_id = $1 GROUP BY role`, clinicID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var role string
			var n int
			if err := rows.Scan(&role, &n); err != nil {
				return err
			}
			out[care.Role(role)] = n
		}
		return rows.Err()
	})
	return out, err
}
