package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"interlude/internal/care"
)

// Boundaries (issue #6): the clinic's crisis line, shown with 988 and 911
// wherever crisis resources are; providers' office hours and expected
// response time; and each client's messaging mode.

// CrisisLine returns the crisis line of the actor's clinic ("" for none).
// Anyone signed in to the clinic may read it: it is shown to clients.
func (s *Store) CrisisLine(ctx context.Context, actor care.Actor) (string, error) {
	var line string
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		var err error
		line, err = tx.crisisLine(ctx, actor.ClinicID)
		return err
	})
	return line, err
}

func (tx tx) crisisLine(ctx context.Context, clinicID string) (string, error) {
	var line string
	err := tx.QueryRowContext(ctx, `SELECT crisis_line FROM clinics WHERE id = $1`, clinicID).Scan(&line)
	return line, notFound(err)
}

// SetCrisisLine sets the crisis line of the admin's clinic
// (care.ValidateCrisisLine; "" for none). Anyone but an admin gets
// care.Forbidden.
func (s *Store) SetCrisisLine(ctx context.Context, actor care.Actor, line string) error {
	if err := care.ValidateCrisisLine(line); err != nil {
		return err
	}
	ev := Event(actor, "clinic.crisis_line", "clinic", actor.ClinicID)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleAdmin {
			return care.Errorf(care.Forbidden, "only an admin sets the clinic's crisis line")
		}
		_, err := tx.ExecContext(ctx, `UPDATE clinics SET crisis_line = $1 WHERE id = $2`, line, actor.ClinicID)
		return err
	})
}

// officeHoursOf reads the office hours of the given providers, in the
// order given.
func (tx tx) officeHoursOf(ctx context.Context, hs []care.OfficeHours) error {
	for i := range hs {
		if err := tx.officeHours(ctx, &hs[i]); err != nil {
			return err
		}
	}
	return nil
}

// officeHours reads the office hours of one provider, h.ProviderID.
func (tx tx) officeHours(ctx context.Context, h *care.OfficeHours) error {
	h.Days = [7][]care.Interval{}
	rows, err := tx.QueryContext(ctx,
		`SELECT weekday, start_minute, end_minute FROM office_hours WHERE provider_id = $1 ORDER BY weekday, start_minute`, h.ProviderID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d int
		var iv care.Interval
		if err := rows.Scan(&d, &iv.Start, &iv.End); err != nil {
			return err
		}
		h.Days[d] = append(h.Days[d], iv)
	}
	return rows.Err()
}

// teamHours returns the office hours of the active providers on client
// clientID's care team, in a stable order, in one query.
func (tx tx) teamHours(ctx context.Context, clinicID, clientID string) ([]care.OfficeHours, error) {
	rows, err := tx.QueryContext(ctx,
		`SELECT u.id, u.display_name, u.time_zone, u.response_time, h.weekday, h.start_minute, h.end_minute
		 FROM care_team t JOIN users u ON u.id = t.provider_id AND u.clinic_id = t.clinic_id
		 LEFT JOIN office_hours h ON h.provider_id = u.id
		 WHERE t.client_id = $1 AND t.clinic_id = $2 AND u.disabled_at IS NULL
		 ORDER BY u.id, h.weekday, h.start_minute`,
		clientID, clinicID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []care.OfficeHours
	for rows.Next() {
		var h care.OfficeHours
		var d, start, end sql.NullInt64
		if err := rows.Scan(&h.ProviderID, &h.ProviderName, &h.TimeZone, &h.ResponseTime, &d, &start, &end); err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].ProviderID != h.ProviderID {
			out = append(out, h)
		}
		if d.Valid {
			last := &out[len(out)-1]
			last.Days[d.Int64] = append(last.Days[d.Int64], care.Interval{Start: int(start.Int64), End: int(end.Int64)})
		}
	}
	return out, rows.Err()
}

// OfficeHours returns the provider's own office hours and response time.
// Anyone but a provider gets care.Forbidden.
func (s *Store) OfficeHours(ctx context.Context, actor care.Actor) (*care.OfficeHours, error) {
	if actor.Role != care.RoleProvider {
		return nil, care.Errorf(care.Forbidden, "office hours are for providers")
	}
	hs := []care.OfficeHours{{ProviderID: actor.UserID}}
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		h := &hs[0]
		if err := tx.QueryRowContext(ctx, `SELECT display_name, time_zone, response_time FROM users WHERE id = $1 AND clinic_id = $2`,
			actor.UserID, actor.ClinicID).Scan(&h.ProviderName, &h.TimeZone, &h.ResponseTime); err != nil {
			return notFound(err)
		}
		return tx.officeHoursOf(ctx, hs)
	})
	if err != nil {
		return nil, err
	}
	return &hs[0], nil
}

// SetOfficeHours replaces the provider's office hours and response time
// with h's (validated; in the provider's own time zone). Anyone but a
// provider gets care.Forbidden.
func (s *Store) SetOfficeHours(ctx context.Context, actor care.Actor, h *care.OfficeHours) error {
	ev := Event(actor, "office_hours.update", "user", actor.UserID)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleProvider {
			return care.Errorf(care.Forbidden, "office hours are for providers")
		}
		if err := h.Validate(); err != nil {
			return err
		}
		h.ProviderID = actor.UserID
		if _, err := tx.ExecContext(ctx, `DELETE FROM office_hours WHERE provider_id = $1`, actor.UserID); err != nil {
			return err
		}
		for d, ivs := range h.Days {
			for _, iv := range ivs {
				if _, err := tx.ExecContext(ctx,
					`INSERT INTO office_hours (provider_id, clinic_id, weekday, start_minute, end_minute) VALUES ($1, $2, $3, $4, $5)`,
					actor.UserID, actor.ClinicID, d, iv.Start, iv.End); err != nil {
					return err
				}
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE users SET response_time = $1 WHERE id = $2 AND clinic_id = $3`,
			h.ResponseTime, actor.UserID, actor.ClinicID)
		return err
	})
}

// pauseReasonField is the sealed reason of a paused thread.
func pauseReasonField(clinicID, clientID string) field {
	return field{clinic: clinicID, client: clientID, owner: clientID, table: "messaging_modes", column: "reason", row: clientID}
}

// messaging reads client clientID's messaging mode (open if never set).
func (s *Store) messaging(ctx context.Context, tx tx, clinicID, clientID string) (care.Messaging, error) {
	m := care.Messaging{Mode: care.ModeOpen}
	var mode string
	var at int64
	var sealed []byte
	err := tx.QueryRowContext(ctx, `SELECT mode, reason_sealed, set_by, set_at FROM messaging_modes WHERE client_id = $1 AND clinic_id = $2`,
		clientID, clinicID).Scan(&mode, &sealed, &m.SetBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return m, nil
	} else if err != nil {
		return m, err
	}
	m.Mode, m.SetAt = care.MessagingMode(mode), fromMicros(at)
	if sealed != nil {
		plain, err := s.openValue(ctx, tx, pauseReasonField(clinicID, clientID), sealed)
		if err != nil {
			return m, err
		}
		m.Reason = string(plain)
	}
	return m, nil
}

// lastPersonRole is the role of who wrote the latest message of client
// clientID's thread that a person wrote (automatic replies do not count),
// "" for none.
func (tx tx) lastPersonRole(ctx context.Context, clinicID, clientID string) (care.Role, error) {
	var role string
	err := tx.QueryRowContext(ctx,
		`SELECT sender_role FROM messages WHERE client_id = $1 AND clinic_id = $2 AND sender_role <> $3
		 ORDER BY sent_at DESC, id DESC LIMIT 1`, clientID, clinicID, string(care.RoleSystem)).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return care.Role(role), err
}

// threadState fills in what the thread page shows beside the messages:
// the messaging mode, who wrote last, and the care team's office hours.
func (s *Store) threadState(ctx context.Context, tx tx, clinicID, clientID string, page *MessagePage) error {
	var err error
	if page.Messaging, err = s.messaging(ctx, tx, clinicID, clientID); err != nil {
		return err
	}
	if page.LastPersonRole, err = tx.lastPersonRole(ctx, clinicID, clientID); err != nil {
		return err
	}
	page.Team, err = tx.teamHours(ctx, clinicID, clientID)
	return err
}

// checkClientMayWrite refuses a client's message that their messaging
// mode does not allow now (care.Messaging.CheckClientMessage).
func (s *Store) checkClientMayWrite(ctx context.Context, tx tx, actor care.Actor, clientID string) error {
	if actor.Role != care.RoleClient {
		return nil
	}
	m, err := s.messaging(ctx, tx, actor.ClinicID, clientID)
	if err != nil || m.Mode == care.ModeOpen {
		return err
	}
	var last care.Role
	if m.Mode == care.ModeReplyOnly {
		if last, err = tx.lastPersonRole(ctx, actor.ClinicID, clientID); err != nil {
			return err
		}
	}
	return m.CheckClientMessage(last)
}

// Messaging returns client clientID's messaging mode, with the reason of
// a pause, for the client and their care team; audited as a read.
func (s *Store) Messaging(ctx context.Context, actor care.Actor, clientID string) (care.Messaging, error) {
	var m care.Messaging
	ev := Event(actor, "messaging.read", "client", clientID)
	ev.ClientID = clientID
	if err := s.markBreakGlass(ctx, actor, &ev); err != nil {
		return m, err
	}
	err := s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		if err := tx.journalClient(ctx, actor, clientID); err != nil {
			return err
		}
		var err error
		m, err = s.messaging(ctx, tx, actor.ClinicID, clientID)
		return err
	})
	return m, err
}

// SetMessaging sets how client clientID may write in their thread
// (care.Messaging.Validate: a pause needs a reason, sealed). Only a
// provider of the care team may: the client and an admin under
// break-glass get care.Forbidden, anyone else care.ErrNotFound.
func (s *Store) SetMessaging(ctx context.Context, actor care.Actor, clientID string, m *care.Messaging) error {
	ev := Event(actor, "messaging.update", "client", clientID)
	ev.ClientID, ev.Reason = clientID, string(m.Mode)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if err := tx.journalClient(ctx, actor, clientID); err != nil {
			return err
		}
		if actor.Role != care.RoleProvider {
			return care.Errorf(care.Forbidden, "only a provider of the care team sets how messaging works")
		}
		if err := m.Validate(); err != nil {
			return err
		}
		var sealed []byte
		if m.Reason != "" {
			var err error
			if sealed, err = s.sealValue(ctx, tx, pauseReasonField(actor.ClinicID, clientID), []byte(m.Reason)); err != nil {
				return err
			}
		}
		m.SetBy, m.SetAt = actor.UserID, tx.now
		_, err := tx.ExecContext(ctx,
			`INSERT INTO messaging_modes (client_id, clinic_id, mode, reason_sealed, set_by, set_at) VALUES ($1, $2, $3, $4, $5, $6)
			 ON CONFLICT (client_id) DO UPDATE SET mode = $3, reason_sealed = $4, set_by = $5, set_at = $6`,
			clientID, actor.ClinicID, string(m.Mode), sealed, actor.UserID, micros(tx.now))
		return err
	})
}

// autoReply writes the automatic reply to client message m, in its
// transaction, when the care team keeps office hours and none is open
// now, unless the client had one already in this out-of-hours period:
// since their last automatic reply, no office hours have begun. The reply
// says when to expect an answer (the team's next office hours, in the
// client's zone) and where to get help now; it is sent in the name of the
// provider who opens next, with sender role system, and audited.
func (s *Store) autoReply(ctx context.Context, tx tx, actor care.Actor, m *care.Message, me *care.MessageEvent) error {
	m.AutoReply, me.Then = nil, nil
	if actor.Role != care.RoleClient {
		return nil
	}
	team, err := tx.teamHours(ctx, m.ClinicID, m.ClientID)
	if err != nil {
		return err
	}
	next, who, ok := care.TeamNextOpen(team, tx.now)
	if !ok || !next.After(tx.now) {
		return nil // no office hours kept, or open now
	}
	var last sql.NullInt64
	if err := tx.QueryRowContext(ctx,
		`SELECT max(sent_at) FROM messages WHERE client_id = $1 AND clinic_id = $2 AND sender_role = $3`,
		m.ClientID, m.ClinicID, string(care.RoleSystem)).Scan(&last); err != nil {
		return err
	}
	if last.Valid {
		if n, _, _ := care.TeamNextOpen(team, fromMicros(last.Int64)); n.After(tx.now) {
			return nil // this period has its reply already
		}
	}
	var zone string
	if err := tx.QueryRowContext(ctx, `SELECT time_zone FROM users WHERE id = $1`, m.ClientID).Scan(&zone); err != nil {
		return err
	}
	line, err := tx.crisisLine(ctx, m.ClinicID)
	if err != nil {
		return err
	}
	resources, err := tx.clinicResources(ctx, m.ClinicID)
	if err != nil {
		return err
	}
	// A microsecond after the message, so that the thread orders it after.
	reply := &care.Message{ID: care.NewID(), ClinicID: m.ClinicID, ClientID: m.ClientID, SenderID: who.ProviderID,
		SenderRole: care.RoleSystem, SentAt: tx.now.Add(time.Microsecond), Text: care.AutoReplyText(next, zone, who.ResponseTime, line, resources)}
	sealed, err := s.sealValue(ctx, tx, messageField(reply.ClinicID, reply.ClientID, reply.ID), []byte(reply.Text))
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO messages (id, clinic_id, client_id, sender_id, sender_role, sent_at, body_sealed)
		 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		reply.ID, reply.ClinicID, reply.ClientID, reply.SenderID, string(reply.SenderRole), micros(reply.SentAt), sealed); err != nil {
		return err
	}
	then := care.MessageEvent{Kind: "message", ClinicID: reply.ClinicID, ClientID: reply.ClientID, MessageID: reply.ID,
		UserID: reply.SenderID, At: reply.SentAt}
	if err := s.appendMessageEvent(ctx, tx, &then); err != nil {
		return err
	}
	ev := Event(actor, "message.auto_reply", "message", reply.ID)
	ev.ClientID = m.ClientID
	if err := tx.audit(ctx, ev); err != nil {
		return err
	}
	m.AutoReply, me.Then = reply, &then
	return nil
}
