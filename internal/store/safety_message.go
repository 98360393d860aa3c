package store

import (
	"context"
	"strings"

	"interlude/internal/care"
)

// SafetyMessage returns the safety message of the actor's clinic ("" for
// none). Anyone signed in to the clinic may read it: it is shown to
// clients.
func (s *Store) SafetyMessage(ctx context.Context, actor care.Actor) (string, error) {
	var msg string
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		return notFound(tx.QueryRowContext(ctx, `SELECT safety_message FROM clinics WHERE id = $1`, actor.ClinicID).Scan(&msg))
	})
	return msg, err
}

// SetSafetyMessage sets the safety message of the admin's clinic
// (care.ValidateSafetyMessage; "" for none), with its surrounding space
// trimmed. Anyone but an admin gets care.Forbidden.
func (s *Store) SetSafetyMessage(ctx context.Context, actor care.Actor, msg string) error {
	msg = strings.TrimSpace(msg)
	if err := care.ValidateSafetyMessage(msg); err != nil {
		return err
	}
	ev := Event(actor, "clinic.safety_message", "clinic", actor.ClinicID)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleAdmin {
			return care.Errorf(care.Forbidden, "only an admin sets the clinic's safety message")
		}
		_, err := tx.ExecContext(ctx, `UPDATE clinics SET safety_message = $1 WHERE id = $2`, msg, actor.ClinicID)
		return err
	})
}
