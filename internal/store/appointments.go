package store

import (
	"context"
	"database/sql"
	"errors"

	"interlude/internal/care"
)

// Sessions (appointments) with a provider of the client's care team:
// scheduled, then held or cancelled. Times and statuses are not sealed:
// that a session exists is known to the clinic's calendar anyway, and
// nothing of what was said is here.

const appointmentColumns = `a.id, a.client_id, a.provider_id, COALESCE(p.display_name, ''), a.starts_at, a.minutes, a.status, a.created_at, a.updated_at`

const appointmentFrom = `appointments a LEFT JOIN users p ON p.id = a.provider_id AND p.clinic_id = a.clinic_id`

func scanAppointment(scan func(...any) error, a *care.Appointment) error {
	var starts, created, updated int64
	var status string
	if err := scan(&a.ID, &a.ClientID, &a.ProviderID, &a.ProviderName, &starts, &a.Minutes, &status, &created, &updated); err != nil {
		return err
	}
	a.StartsAt, a.CreatedAt, a.UpdatedAt, a.Status = fromMicros(starts), fromMicros(created), fromMicros(updated), care.AppointmentStatus(status)
	return nil
}

// Appointments lists the client's sessions, the latest start first, at
// most limit of them (0: 100). The client and
// their care team read them, and an admin with an open break-glass grant;
// anyone else gets care.ErrNotFound.
func (s *Store) Appointments(ctx context.Context, actor care.Actor, clientID string, limit int) ([]care.Appointment, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	ev, err := s.recordEvent(ctx, actor, "appointment.list", "appointment", "", clientID)
	if err != nil {
		return nil, err
	}
	var out []care.Appointment
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		out, err = tx.appointments(ctx, rec, limit)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// appointments lists the client's sessions, the latest start first, at
// most limit of them (Appointments, ClientRecord).
func (tx tx) appointments(ctx context.Context, rec *clientRecord, limit int) ([]care.Appointment, error) {
	out := []care.Appointment{}
	err := tx.each(ctx, func(scan func(...any) error) error {
		var a care.Appointment
		if err := scanAppointment(scan, &a); err != nil {
			return err
		}
		out = append(out, a)
		return nil
	}, `SELECT `+appointmentColumns+` FROM `+appointmentFrom+`
		WHERE a.client_id = $1 AND a.clinic_id = $2 ORDER BY a.starts_at DESC, a.id LIMIT $3`,
		rec.ID, rec.ClinicID, limit)
	return out, err
}

// CreateAppointment schedules (or records) a session of the client with
// the actor, a provider of their care team. a's StartsAt is required;
// Minutes default to 50 and Status to scheduled (see
// care.Appointment.Validate). It fills in a's id and times. The client,
// and an admin with a grant, get care.Forbidden; anyone else
// care.ErrNotFound.
func (s *Store) CreateAppointment(ctx context.Context, actor care.Actor, clientID string, a *care.Appointment) error {
	ev, err := s.recordEvent(ctx, actor, "appointment.create", "appointment", "", clientID)
	if err != nil {
		return err
	}
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		rec, err := s.editable(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		if err := a.Validate(tx.now); err != nil {
			return err
		}
		a.ID, a.ClientID, a.ProviderID, a.ProviderName = care.NewID(), rec.ID, actor.UserID, actor.Name
		a.CreatedAt, a.UpdatedAt = tx.now, tx.now
		ev.EntityID = a.ID
		_, err = tx.ExecContext(ctx,
			`INSERT INTO appointments (id, clinic_id, client_id, provider_id, starts_at, minutes, status, created_at, updated_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
			a.ID, rec.ClinicID, rec.ID, a.ProviderID, micros(a.StartsAt), a.Minutes, string(a.Status), micros(tx.now))
		return err
	})
}

// UpdateAppointment changes a session of the client: marks it held or
// cancelled (or scheduled again), or moves it. Only the care team may; a
// session that is not the client's is care.ErrNotFound.
func (s *Store) UpdateAppointment(ctx context.Context, actor care.Actor, clientID, appointmentID string, change care.AppointmentChange) (*care.Appointment, error) {
	ev, err := s.recordEvent(ctx, actor, "appointment.update", "appointment", appointmentID, clientID)
	if err != nil {
		return nil, err
	}
	var a care.Appointment
	err = s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		rec, err := s.editable(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		err = scanAppointment(tx.QueryRowContext(ctx,
			`SELECT `+appointmentColumns+` FROM `+appointmentFrom+`
			 WHERE a.id = $1 AND a.client_id = $2 AND a.clinic_id = $3`, appointmentID, rec.ID, rec.ClinicID).Scan, &a)
		if err != nil {
			return notFound(err)
		}
		if err := change.Apply(&a, tx.now); err != nil {
			return err
		}
		a.UpdatedAt = tx.now
		_, err = tx.ExecContext(ctx,
			`UPDATE appointments SET starts_at = $1, minutes = $2, status = $3, updated_at = $4
			 WHERE id = $5 AND client_id = $6 AND clinic_id = $7`,
			micros(a.StartsAt), a.Minutes, string(a.Status), micros(tx.now), a.ID, rec.ID, rec.ClinicID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// SessionSummary returns the client's last held session and their next
// scheduled one (one that has not ended yet); either is nil when there is
// none. It is what the client's home and the provider's client page show,
// to those who may read the sessions.
func (s *Store) SessionSummary(ctx context.Context, actor care.Actor, clientID string) (last, next *care.Appointment, err error) {
	ev, err := s.recordEvent(ctx, actor, "appointment.summary", "appointment", "", clientID)
	if err != nil {
		return nil, nil, err
	}
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		last, next, err = tx.sessionSummary(ctx, rec)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return last, next, nil
}

// sessionSummary finds the client's last held session and their next
// scheduled one (SessionSummary, ClientRecord).
func (tx tx) sessionSummary(ctx context.Context, rec *clientRecord) (last, next *care.Appointment, err error) {
	one := func(query string, args ...any) (*care.Appointment, error) {
		var a care.Appointment
		err := scanAppointment(tx.QueryRowContext(ctx, query, args...).Scan, &a)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return &a, err
	}
	if last, err = one(`SELECT `+appointmentColumns+` FROM `+appointmentFrom+`
		WHERE a.client_id = $1 AND a.clinic_id = $2 AND a.status = 'held'
		ORDER BY a.starts_at DESC, a.id LIMIT 1`, rec.ID, rec.ClinicID); err != nil {
		return nil, nil, err
	}
	// A session that has started but not ended is still the next one.
	next, err = one(`SELECT `+appointmentColumns+` FROM `+appointmentFrom+`
		WHERE a.client_id = $1 AND a.clinic_id = $2 AND a.status = 'scheduled'
		  AND a.starts_at + CAST(a.minutes AS BIGINT) * 60000000 > $3
		ORDER BY a.starts_at, a.id LIMIT 1`, rec.ID, rec.ClinicID, micros(tx.now))
	return last, next, err
}
