package store

import (
	"context"

	"interlude/internal/care"
)

// CreateUser validates u, gives it an id and inserts it into its clinic.
// Emails are unique across the whole installation, since signing in names no
// clinic; an email already in use is an Invalid error on the email field.
func (s *Store) CreateUser(ctx context.Context, u *care.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx tx) error {
		return s.createUser(ctx, tx, u)
	})
}

func (s *Store) createUser(ctx context.Context, tx tx, u *care.User) error {
	var taken int
	err := tx.QueryRowContext(ctx,
		`SELECT count(*) FROM users WHERE email = $1`, u.Email).Scan(&taken)
	if err != nil {
		return err
	}
	if taken > 0 {
		return care.FieldError("email", "is already in use")
	}
	u.ID = care.NewID()
	u.CreatedAt = tx.now
	_, err = tx.ExecContext(ctx,
		`INSERT INTO users (id, clinic_id, role, email, display_name, time_zone, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		u.ID, u.ClinicID, string(u.Role), u.Email, u.DisplayName, u.TimeZone, micros(u.CreatedAt))
	return err
}

// User returns the user with the given id in the given clinic, or
// care.ErrNotFound; a user of another clinic is not found.
func (s *Store) User(ctx context.Context, clinicID, id string) (*care.User, error) {
	var u care.User
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		var role string
		var created int64
		err := tx.QueryRowContext(ctx,
			`SELECT id, clinic_id, role, email, display_name, time_zone, created_at
			 FROM users WHERE clinic_id = $1 AND id = $2`, clinicID, id).
			Scan(&u.ID, &u.ClinicID, &role, &u.Email, &u.DisplayName, &u.TimeZone, &created)
		u.Role = care.Role(role)
		u.CreatedAt = fromMicros(created)
		return notFound(err)
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
