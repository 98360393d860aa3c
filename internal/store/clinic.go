package store

import (
	"context"

	"interlude/internal/care"
)

// CreateClinic validates c, gives it an id and inserts it.
func (s *Store) CreateClinic(ctx context.Context, c *care.Clinic) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx tx) error {
		c.ID = care.NewID()
		c.CreatedAt = tx.now
		_, err := tx.ExecContext(ctx,
			`INSERT INTO clinics (id, name, created_at) VALUES ($1, $2, $3)`,
			c.ID, c.Name, micros(c.CreatedAt))
		return err
	})
}

// Clinic returns the clinic with the given id, or care.ErrNotFound.
func (s *Store) Clinic(ctx context.Context, id string) (*care.Clinic, error) {
	var c care.Clinic
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		var created int64
		err := tx.QueryRowContext(ctx,
			`SELECT id, name, created_at FROM clinics WHERE id = $1`, id).
			Scan(&c.ID, &c.Name, &created)
		c.CreatedAt = fromMicros(created)
		return notFound(err)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// Clinics returns every clinic, oldest first.
func (s *Store) Clinics(ctx context.Context) ([]care.Clinic, error) {
	var out []care.Clinic
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, name, created_at FROM clinics ORDER BY created_at, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c care.Clinic
			var created int64
			if err := rows.Scan(&c.ID, &c.Name, &created); err != nil {
				return err
			}
			c.CreatedAt = fromMicros(created)
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}
