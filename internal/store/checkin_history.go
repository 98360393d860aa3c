package store

import (
	"context"

	"interlude/internal/care"
)

// ImportMissedCheckIns records, as history, that client clientID left the
// last missed check-ins of their current schedule unanswered: each one due
// in the last care.CaseloadWindow and closed by now, sent at its due time
// with the question in the thread, and never answered. It is for moving a
// record from another system and for the demo, where nothing can wait for
// real check-ins to pass; a check-in already recorded at a due time is
// kept. Providers of the care team may, as for SetCheckInSchedule; a
// client without an active schedule is care.Conflict.
func (s *Store) ImportMissedCheckIns(ctx context.Context, actor care.Actor, clientID string, missed int) error {
	ev := Event(actor, "checkin.import", "checkin_schedule", clientID)
	ev.ClientID = clientID
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if err := tx.journalClient(ctx, actor, clientID); err != nil {
			return err
		}
		if !care.CanSetCheckIns(actor) {
			return care.Errorf(care.Forbidden, "only the care team's providers record check-ins")
		}
		if missed < 0 {
			return care.FieldError("missed", "must be 0 or more")
		}
		sch, err := tx.checkInSchedule(ctx, clientID)
		if err != nil {
			return err
		}
		if !sch.Active() {
			return care.Errorf(care.Conflict, "the client has no check-in schedule")
		}
		var zone string
		if err := tx.QueryRowContext(ctx, `SELECT time_zone FROM users WHERE id = $1`, clientID).Scan(&zone); err != nil {
			return err
		}
		var closed []care.CheckIn
		for due, ok := care.NextCheckIn(sch, zone, tx.now.Add(-care.CaseloadWindow)); ok && due.Before(tx.now); due, ok = care.NextCheckIn(sch, zone, due) {
			next, _ := care.NextCheckIn(sch, zone, due)
			if closes := care.CheckInClosesAt(due, next); !closes.After(tx.now) {
				closed = append(closed, care.CheckIn{DueAt: due, ClosesAt: closes})
			}
		}
		closed = closed[max(len(closed)-missed, 0):]
		for _, c := range closed {
			c.ID, c.ClinicID, c.ClientID = care.NewID(), actor.ClinicID, clientID
			m := care.Message{ID: care.NewID(), ClinicID: c.ClinicID, ClientID: clientID, SenderID: sch.SetBy,
				SenderRole: care.RoleProvider, SentAt: c.DueAt, Text: care.CheckInPrompt}
			res, err := tx.ExecContext(ctx,
				`INSERT INTO check_ins (id, clinic_id, client_id, due_at, closes_at) VALUES ($1, $2, $3, $4, $5)
				 ON CONFLICT (client_id, due_at) DO NOTHING`,
				c.ID, c.ClinicID, clientID, micros(c.DueAt), micros(c.ClosesAt))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				continue
			}
			sealed, err := s.sealValue(ctx, tx, messageField(m.ClinicID, m.ClientID, m.ID), []byte(m.Text))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO messages (id, clinic_id, client_id, sender_id, sender_role, sent_at, body_sealed)
				 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				m.ID, m.ClinicID, m.ClientID, m.SenderID, string(m.SenderRole), micros(m.SentAt), sealed); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE check_ins SET sent_at = $1, message_id = $2 WHERE id = $3`,
				micros(c.DueAt), m.ID, c.ID); err != nil {
				return err
			}
		}
		return nil
	})
}
