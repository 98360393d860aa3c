package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"interlude/internal/care"
)

// Check-ins (issue #6). A provider of the care team sets a client's
// schedule (SetCheckInSchedule), which enqueues a job for the next due
// time in the same transaction. The job (FireCheckIn) inserts the
// check_ins row, posts "How are you doing today?" in the client's thread
// and enqueues the next occurrence, all in one transaction with the job's
// end: each due check-in exists, and is sent, exactly once, across
// restarts and instances (UNIQUE (client_id, due_at) and the job's
// fencing). The client answers one (AnswerCheckIn) with a mood and
// optional text, which become a journal entry shared with the care team.

// JobCheckIn is the kind of the job that fires a due check-in.
const JobCheckIn = "checkin"

// checkInJob is the job that fires the check-in of schedule version
// version due at due.
func checkInJob(clinicID, clientID string, version int, due time.Time) Job {
	return Job{
		ClinicID:  clinicID,
		Kind:      JobCheckIn,
		DedupeKey: fmt.Sprintf("checkin:%s:v%d:%d", clientID, version, micros(due)),
		ClientID:  clientID,
		RefID:     strconv.Itoa(version),
		RefAt:     due,
		RunAt:     due,
	}
}

// CheckInOverview is a client's check-in schedule and recent check-ins,
// newest first.
type CheckInOverview struct {
	Schedule care.CheckInSchedule // Version 0: never set
	TimeZone string               // the client's: the schedule's time is in it
	Next     time.Time            // the next due time; zero if none
	CheckIns []care.CheckIn
	Now      time.Time // the time the statuses are as of
}

// checkInSchedule reads client clientID's schedule (Version 0 when none).
func (tx tx) checkInSchedule(ctx context.Context, clientID string) (care.CheckInSchedule, error) {
	sch := care.CheckInSchedule{ClientID: clientID}
	var mask int
	var updated int64
	err := tx.QueryRowContext(ctx,
		`SELECT weekdays, minute, version, set_by, updated_at FROM checkin_schedules WHERE client_id = $1`, clientID).
		Scan(&mask, &sch.Minute, &sch.Version, &sch.SetBy, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return sch, nil
	} else if err != nil {
		return sch, err
	}
	sch.Weekdays, sch.UpdatedAt = care.WeekdaysFromMask(mask), fromMicros(updated)
	return sch, nil
}

// SetCheckInSchedule sets client clientID's check-in schedule. Providers
// of the care team may; the client or an admin who sees the client gets
// care.Forbidden, anyone else care.ErrNotFound. The next check-in's job is
// enqueued in the same transaction; jobs of the previous schedule are
// withdrawn (and would do nothing if already running: they check the
// version). A schedule with no weekday stops check-ins.
func (s *Store) SetCheckInSchedule(ctx context.Context, actor care.Actor, clientID string, sch *care.CheckInSchedule) error {
	ev := Event(actor, "checkin.schedule", "checkin_schedule", clientID)
	ev.ClientID = clientID
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if err := tx.journalClient(ctx, actor, clientID); err != nil {
			return err
		}
		if !care.CanSetCheckIns(actor) {
			return care.Errorf(care.Forbidden, "only the care team's providers set check-ins")
		}
		if err := care.NormalizeCheckInSchedule(sch); err != nil {
			return err
		}
		old, err := tx.checkInSchedule(ctx, clientID)
		if err != nil {
			return err
		}
		sch.ClientID, sch.Version, sch.SetBy, sch.UpdatedAt = clientID, old.Version+1, actor.UserID, tx.now
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO checkin_schedules (client_id, clinic_id, weekdays, minute, version, set_by, updated_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7)
			 ON CONFLICT (client_id) DO UPDATE SET weekdays = $3, minute = $4, version = $5, set_by = $6, updated_at = $7`,
			clientID, actor.ClinicID, sch.WeekdayMask(), sch.Minute, sch.Version, sch.SetBy, micros(tx.now)); err != nil {
			return err
		}
		// Withdraw the pending jobs of earlier versions that no worker
		// holds; one that is running finds its version stale.
		if _, err := tx.ExecContext(ctx,
			`UPDATE jobs SET done_at = $1, last_error = 'superseded'
			 WHERE kind = $2 AND client_id = $3 AND done_at IS NULL AND dead_at IS NULL
			   AND (locked_until IS NULL OR locked_until <= $1)`,
			micros(tx.now), JobCheckIn, clientID); err != nil {
			return err
		}
		var zone string
		if err := tx.QueryRowContext(ctx, `SELECT time_zone FROM users WHERE id = $1`, clientID).Scan(&zone); err != nil {
			return err
		}
		if due, ok := care.NextCheckIn(*sch, zone, tx.now); ok {
			if _, err := tx.enqueueJob(ctx, checkInJob(actor.ClinicID, clientID, sch.Version, due)); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkInColumns are what scanCheckIn reads, of check_ins k with the
// answer's journal entry j left-joined (for its mood).
const checkInColumns = `k.id, k.clinic_id, k.client_id, k.due_at, k.closes_at, k.sent_at, k.message_id, k.answered_at, k.entry_id`

func scanCheckIn(row interface{ Scan(...any) error }, c *care.CheckIn) error {
	var due, closes int64
	var sent, answered sql.NullInt64
	var msg, entry sql.NullString
	if err := row.Scan(&c.ID, &c.ClinicID, &c.ClientID, &due, &closes, &sent, &msg, &answered, &entry); err != nil {
		return err
	}
	c.DueAt, c.ClosesAt, c.SentAt, c.AnsweredAt = fromMicros(due), fromMicros(closes), optMicros(sent), optMicros(answered)
	c.MessageID, c.EntryID = msg.String, entry.String
	return nil
}

// CheckIns returns client clientID's check-in schedule and the check-ins
// of the last limit due times, newest first, with the mood of each answer
// the actor may see. The care team and the client may read it (an admin
// through break-glass); anyone else gets care.ErrNotFound.
func (s *Store) CheckIns(ctx context.Context, actor care.Actor, clientID string, limit int) (CheckInOverview, error) {
	if limit <= 0 || limit > 200 {
		limit = 30
	}
	var o CheckInOverview
	ev := Event(actor, "checkin.list", "checkin", "")
	ev.ClientID = clientID
	if err := s.markBreakGlass(ctx, actor, &ev); err != nil {
		return o, err
	}
	err := s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		var err error
		o, err = s.checkInOverview(ctx, tx, actor, clientID, limit)
		return err
	})
	return o, err
}

// checkInOverview reads client clientID's check-in schedule and last limit
// check-ins as CheckIns does, in tx (CheckIns, ClientRecord).
func (s *Store) checkInOverview(ctx context.Context, tx tx, actor care.Actor, clientID string, limit int) (CheckInOverview, error) {
	o := CheckInOverview{CheckIns: []care.CheckIn{}, Now: tx.now}
	if err := tx.journalClient(ctx, actor, clientID); err != nil {
		return o, err
	}
	var err error
	if o.Schedule, err = tx.checkInSchedule(ctx, clientID); err != nil {
		return o, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT time_zone FROM users WHERE id = $1`, clientID).Scan(&o.TimeZone); err != nil {
		return o, err
	}
	if next, ok := care.NextCheckIn(o.Schedule, o.TimeZone, tx.now); ok {
		o.Next = next
	}
	rows, err := tx.QueryContext(ctx,
		`SELECT `+checkInColumns+` FROM check_ins k WHERE k.client_id = $1 AND k.clinic_id = $2
		 ORDER BY k.due_at DESC LIMIT $3`, clientID, actor.ClinicID, limit)
	if err != nil {
		return o, err
	}
	defer rows.Close()
	for rows.Next() {
		var c care.CheckIn
		if err := scanCheckIn(rows, &c); err != nil {
			return o, err
		}
		o.CheckIns = append(o.CheckIns, c)
	}
	if err := rows.Err(); err != nil {
		return o, err
	}
	rows.Close()
	// The mood of each answer, from its journal entry as the actor may
	// see it (the answer is shared, but the client may have made it
	// private or deleted it since).
	for i := range o.CheckIns {
		c := &o.CheckIns[i]
		if c.EntryID == "" {
			continue
		}
		var e care.JournalEntry
		row := tx.QueryRowContext(ctx,
			`SELECT `+entryColumns+` FROM users c JOIN journal_entries j ON j.client_id = c.id
			 WHERE `+visibleClient+` AND c.id = $4 AND j.id = $5 AND `+journalVisible,
			visibleArgs(tx, actor, clientID, c.EntryID)...)
		if err := s.scanEntry(ctx, tx, row, &e); errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return o, err
		}
		c.Mood = e.Mood
	}
	return o, nil
}

// OpenCheckIn returns the client's check-in that awaits an answer now
// (the newest one sent and not closed), and false when there is none. It
// is the client's own read; for anyone else it finds nothing.
func (s *Store) OpenCheckIn(ctx context.Context, actor care.Actor) (c care.CheckIn, found bool, err error) {
	if actor.Role != care.RoleClient {
		return c, false, nil
	}
	ev := Event(actor, "checkin.open", "checkin", "")
	ev.ClientID = actor.UserID
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		c, found = care.CheckIn{}, false
		err := scanCheckIn(tx.QueryRowContext(ctx,
			`SELECT `+checkInColumns+` FROM check_ins k
			 WHERE k.client_id = $1 AND k.clinic_id = $2 AND k.sent_at IS NOT NULL AND k.answered_at IS NULL AND k.closes_at > $3
			 ORDER BY k.due_at DESC LIMIT 1`, actor.UserID, actor.ClinicID, micros(tx.now)), &c)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		found = err == nil
		return err
	})
	return c, found, err
}

// AnswerCheckIn records the client's answer to check-in checkInID: a
// journal entry, shared with the care team, with the mood (0..10) and the
// optional text, occurring now. Only the client answers (anyone else who
// sees the client gets care.Forbidden, others care.ErrNotFound); a check-in
// answered already or closed is care.Conflict.
func (s *Store) AnswerCheckIn(ctx context.Context, actor care.Actor, clientID, checkInID string, mood int, text string) (*care.JournalEntry, error) {
	ev := Event(actor, "checkin.answer", "checkin", checkInID)
	ev.ClientID = clientID
	var e *care.JournalEntry
	err := s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		e = nil
		if err := tx.journalClient(ctx, actor, clientID); err != nil {
			return err
		}
		var c care.CheckIn
		if err := notFound(scanCheckIn(tx.QueryRowContext(ctx,
			`SELECT `+checkInColumns+` FROM check_ins k WHERE k.id = $1 AND k.client_id = $2 AND k.clinic_id = $3`,
			checkInID, clientID, actor.ClinicID), &c)); err != nil {
			return err
		}
		if !care.CanWriteEntry(actor, clientID) {
			return care.Errorf(care.Forbidden, "only the client answers their check-in")
		}
		switch c.Status(tx.now) {
		case care.CheckInAnswered:
			return care.Errorf(care.Conflict, "this check-in is answered already")
		case care.CheckInMissed:
			return care.Errorf(care.Conflict, "this check-in has closed; write in your journal instead")
		}
		entry := &care.JournalEntry{OccurredAt: tx.now, Mood: &mood, Text: text, Shared: true}
		if err := entry.Validate(tx.now, time.Time{}); err != nil {
			return err
		}
		entry.ID, entry.ClinicID, entry.ClientID = care.NewID(), actor.ClinicID, clientID
		entry.CreatedAt, entry.UpdatedAt, entry.Version = tx.now, tx.now, 1
		sealed, err := s.sealEntry(ctx, tx, entry)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO journal_entries (id, clinic_id, client_id, occurred_at, created_at, updated_at, version, shared, goal_id, body_sealed)
			 VALUES ($1, $2, $3, $4, $5, $5, 1, 1, NULL, $6)`,
			entry.ID, entry.ClinicID, entry.ClientID, micros(entry.OccurredAt), micros(tx.now), sealed); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx,
			`UPDATE check_ins SET answered_at = $1, entry_id = $2 WHERE id = $3 AND answered_at IS NULL`,
			micros(tx.now), entry.ID, c.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return care.Errorf(care.Conflict, "this check-in is answered already")
		}
		e = entry
		// A check-in's answer is a shared entry: its words of crisis raise
		// a flag as any shared entry's do.
		return tx.crisisCheckEntry(ctx, actor, entry)
	})
	return e, err
}

// FireCheckIn does check-in job j (JobCheckIn): in one transaction with
// the job's end, it records the check-in due at j.RefAt, posts the
// question in the client's thread from the provider who set the schedule
// (unless the check-in closed before it could be sent: the server was
// down past it) and enqueues the next occurrence. A job whose schedule
// changed since, or whose client is gone, ends doing nothing. It returns
// the thread event to publish once committed (Kind "" when none), and
// ErrLeaseLost when j's claim is no longer current.
func (s *Store) FireCheckIn(ctx context.Context, j Job) (care.MessageEvent, error) {
	var me care.MessageEvent
	ev := care.AuditEvent{Action: "checkin.send", EntityType: "checkin", ClinicID: j.ClinicID, ClientID: j.ClientID, Purpose: "checkin"}
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		me = care.MessageEvent{}
		if err := tx.finishJob(ctx, j); err != nil {
			return err
		}
		sch, err := tx.checkInSchedule(ctx, j.ClientID)
		if err != nil {
			return err
		}
		if !sch.Active() || strconv.Itoa(sch.Version) != j.RefID {
			return nil // superseded
		}
		var zone string
		var deleted, disabled bool
		if err := tx.QueryRowContext(ctx,
			`SELECT time_zone, deleted_at IS NOT NULL, disabled_at IS NOT NULL FROM users WHERE id = $1 AND clinic_id = $2`,
			j.ClientID, j.ClinicID).Scan(&zone, &deleted, &disabled); err != nil {
			return notFound(err)
		}
		if deleted || disabled {
			return nil // no more check-ins for a client who has left
		}
		due := j.RefAt
		next, hasNext := care.NextCheckIn(sch, zone, due)
		if !hasNext {
			next = time.Time{}
		}
		c := care.CheckIn{ID: care.NewID(), ClinicID: j.ClinicID, ClientID: j.ClientID, DueAt: due, ClosesAt: care.CheckInClosesAt(due, next)}
		res, err := tx.ExecContext(ctx,
			`INSERT INTO check_ins (id, clinic_id, client_id, due_at, closes_at) VALUES ($1, $2, $3, $4, $5)
			 ON CONFLICT (client_id, due_at) DO NOTHING`,
			c.ID, c.ClinicID, c.ClientID, micros(c.DueAt), micros(c.ClosesAt))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 && tx.now.Before(c.ClosesAt) {
			if err := s.postCheckIn(ctx, tx, sch, &c, &me); err != nil {
				return err
			}
		}
		if hasNext {
			if _, err := tx.enqueueJob(ctx, checkInJob(j.ClinicID, j.ClientID, sch.Version, next)); err != nil {
				return err
			}
		}
		ev.EntityID = c.ID
		return tx.audit(ctx, ev)
	})
	return me, err
}

// postCheckIn posts the check-in's question in the thread, from the
// provider who set the schedule, marks the check-in sent, and enqueues
// the client's notification.
func (s *Store) postCheckIn(ctx context.Context, tx tx, sch care.CheckInSchedule, c *care.CheckIn, me *care.MessageEvent) error {
	m := care.Message{ID: care.NewID(), ClinicID: c.ClinicID, ClientID: c.ClientID, SenderID: sch.SetBy,
		SenderRole: care.RoleProvider, SentAt: tx.now, Text: care.CheckInPrompt}
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
		micros(tx.now), m.ID, c.ID); err != nil {
		return err
	}
	c.SentAt, c.MessageID = tx.now, m.ID
	*me = care.MessageEvent{Kind: "checkin", ClinicID: m.ClinicID, ClientID: m.ClientID, MessageID: m.ID, UserID: m.SenderID, At: tx.now}
	if err := s.appendMessageEvent(ctx, tx, me); err != nil {
		return err
	}
	// The client is told a check-in waits (TS-02: ids only), if they have
	// a channel; the job commits with the check-in.
	if ok, err := s.notifiable(ctx, tx, c.ClientID); err != nil || !ok {
		return err
	}
	_, err = tx.enqueueJob(ctx, Job{Kind: JobNotifyCheckIn, ClinicID: c.ClinicID, ClientID: c.ClientID, UserID: c.ClientID,
		RefID: c.ID, DedupeKey: JobNotifyCheckIn + ":" + c.ID + ":" + c.ClientID})
	return err
}

// CheckInMessages maps the ids of the thread messages that ask a check-in
// to the check-in, for client clientID; the thread shows an answer link
// beside them. The caller has read the thread already.
func (s *Store) CheckInMessages(ctx context.Context, actor care.Actor, clientID string) (map[string]care.CheckIn, error) {
	out := map[string]care.CheckIn{}
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		rows, err := tx.QueryContext(ctx,
			`SELECT `+checkInColumns+` FROM users c JOIN check_ins k ON k.client_id = c.id
			 WHERE `+visibleClient+` AND c.id = $4 AND k.message_id IS NOT NULL ORDER BY k.due_at DESC LIMIT 200`,
			visibleArgs(tx, actor, clientID)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c care.CheckIn
			if err := scanCheckIn(rows, &c); err != nil {
				return err
			}
			out[c.MessageID] = c
		}
		return rows.Err()
	})
	return out, err
}
