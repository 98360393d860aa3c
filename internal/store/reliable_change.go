package store

import (
	"context"
	"database/sql"
	"fmt"

	"interlude/internal/care"
)

// ReliableChange returns the reliable-change thresholds of the actor's
// clinic (issue #16), each default filled in. Staff may read them; a
// client gets care.ErrNotFound.
func (s *Store) ReliableChange(ctx context.Context, actor care.Actor) (care.ReliableChange, error) {
	var rc care.ReliableChange
	if actor.Role != care.RoleAdmin && actor.Role != care.RoleProvider {
		return rc, care.ErrNotFound
	}
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		var err error
		rc, err = tx.reliableChange(ctx, actor.ClinicID)
		return err
	})
	return rc, err
}

// reliableChange reads clinic clinicID's thresholds, defaults filled in.
func (tx tx) reliableChange(ctx context.Context, clinicID string) (care.ReliableChange, error) {
	var phq9, gad7 sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT reliable_change_phq9, reliable_change_gad7 FROM clinics WHERE id = $1`, clinicID).Scan(&phq9, &gad7)
	if err != nil {
		return care.ReliableChange{}, notFound(err)
	}
	return care.ReliableChange{PHQ9: int(phq9.Int64), GAD7: int(gad7.Int64)}.Resolved(), nil
}

// SetReliableChange sets the reliable-change thresholds of the admin's
// clinic (care.ReliableChange.Validate: both, in points). It is audited,
// the audit row saying the figures. Anyone but an admin gets
// care.Forbidden. The new thresholds judge every response from then on,
// the earlier ones included: change markers are computed when read.
func (s *Store) SetReliableChange(ctx context.Context, actor care.Actor, rc care.ReliableChange) error {
	if err := rc.Validate(); err != nil {
		return err
	}
	ev := Event(actor, "clinic.reliable_change", "clinic", actor.ClinicID)
	ev.Reason = fmt.Sprintf("phq9 %d, gad7 %d", rc.PHQ9, rc.GAD7)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleAdmin {
			return care.Errorf(care.Forbidden, "only an admin sets the clinic's reliable-change thresholds")
		}
		_, err := tx.ExecContext(ctx, `UPDATE clinics SET reliable_change_phq9 = $1, reliable_change_gad7 = $2 WHERE id = $3`,
			rc.PHQ9, rc.GAD7, actor.ClinicID)
		return err
	})
}
