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

// Journaling reminders (issue #18). A client sets their own reminder
// (SetJournalReminder), which enqueues a job for the next due time in the
// same transaction, as a check-in schedule does. The job
// (FireJournalReminder) records the local day it is for, enqueues the
// notification and the next occurrence, all in one transaction with the
// job's end: a day's row exists once (its primary key), so a reminder is
// sent at most once a local day across job runs, restarts, instances and
// changes of the reminder. The notification itself (JobNotifyJournal) is
// delivered by the notifier, and waits out the client's quiet hours.

// The kinds of the reminder's jobs: JobJournalReminder fires a due
// reminder; JobNotifyJournal tells the client (its UserID; ids only).
const (
	JobJournalReminder = "journal.reminder"
	JobNotifyJournal   = "notify.journal"
)

// journalReminderJob is the job that fires the reminder of version
// version due at due.
func journalReminderJob(clinicID, clientID string, version int, due time.Time) Job {
	return Job{
		ClinicID:  clinicID,
		Kind:      JobJournalReminder,
		DedupeKey: fmt.Sprintf("%s:%s:v%d:%d", JobJournalReminder, clientID, version, micros(due)),
		ClientID:  clientID,
		RefID:     strconv.Itoa(version),
		RefAt:     due,
		RunAt:     due,
	}
}

// journalReminder reads client clientID's reminder, the default (off,
// Version 0) when they never set one.
func (tx tx) journalReminder(ctx context.Context, clientID string) (care.JournalReminder, error) {
	rem := care.DefaultJournalReminder()
	rem.ClientID = clientID
	var on, mask int
	var updated int64
	err := tx.QueryRowContext(ctx,
		`SELECT enabled, weekdays, minute, version, updated_at FROM journal_reminders WHERE client_id = $1`, clientID).
		Scan(&on, &mask, &rem.Minute, &rem.Version, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return rem, nil
	} else if err != nil {
		return rem, err
	}
	rem.On, rem.Weekdays, rem.UpdatedAt = on == 1, care.WeekdaysFromMask(mask), fromMicros(updated)
	return rem, nil
}

// JournalReminder returns the actor's own journaling reminder. Anyone
// but a client gets care.Forbidden.
func (s *Store) JournalReminder(ctx context.Context, actor care.Actor) (care.JournalReminder, error) {
	if actor.Role != care.RoleClient {
		return care.JournalReminder{}, care.Errorf(care.Forbidden, "only clients keep a journal")
	}
	var rem care.JournalReminder
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		var err error
		rem, err = tx.journalReminder(ctx, actor.UserID)
		return err
	})
	return rem, err
}

// SetJournalReminder sets the actor's own journaling reminder (rem gets
// its version and time), audited. A bad time, or a reminder that is on
// with no weekday, is care.Invalid and changes nothing; anyone but a
// client gets care.Forbidden. The next reminder's job is enqueued in the
// same transaction; the pending jobs of the previous version are
// withdrawn (one already running finds its version stale).
func (s *Store) SetJournalReminder(ctx context.Context, actor care.Actor, rem *care.JournalReminder) error {
	if actor.Role != care.RoleClient {
		return care.Errorf(care.Forbidden, "only clients keep a journal")
	}
	if err := rem.Normalize(); err != nil {
		return err
	}
	ev := Event(actor, "journal.reminder", "user", actor.UserID)
	ev.ClientID = actor.UserID
	ev.Reason = fmt.Sprintf("on=%t weekdays=%07b time=%s", rem.On, rem.WeekdayMask(), rem.Clock())
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		var zone string
		if err := tx.QueryRowContext(ctx,
			`SELECT time_zone FROM users WHERE id = $1 AND clinic_id = $2 AND deleted_at IS NULL AND disabled_at IS NULL`,
			actor.UserID, actor.ClinicID).Scan(&zone); err != nil {
			return notFound(err)
		}
		old, err := tx.journalReminder(ctx, actor.UserID)
		if err != nil {
			return err
		}
		rem.ClientID, rem.Version, rem.UpdatedAt = actor.UserID, old.Version+1, tx.now
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO journal_reminders (client_id, clinic_id, enabled, weekdays, minute, version, updated_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7)
			 ON CONFLICT (client_id) DO UPDATE SET enabled = $3, weekdays = $4, minute = $5, version = $6, updated_at = $7`,
			actor.UserID, actor.ClinicID, boolInt(rem.On), rem.WeekdayMask(), rem.Minute, rem.Version, micros(tx.now)); err != nil {
			return err
		}
		return tx.scheduleJournalReminder(ctx, actor.ClinicID, zone, *rem)
	})
}

// scheduleJournalReminder withdraws the pending jobs of client
// rem.ClientID's reminder that no worker holds (one that is running finds
// its version stale, or its day already recorded) and enqueues the job of
// rem's next due time in zone, if it is on.
func (tx tx) scheduleJournalReminder(ctx context.Context, clinicID, zone string, rem care.JournalReminder) error {
	if _, err := tx.ExecContext(ctx,
		`UPDATE jobs SET done_at = $1, last_error = 'superseded'
		 WHERE kind = $2 AND client_id = $3 AND done_at IS NULL AND dead_at IS NULL
		   AND (locked_until IS NULL OR locked_until <= $1)`,
		micros(tx.now), JobJournalReminder, rem.ClientID); err != nil {
		return err
	}
	if due, ok := rem.Next(zone, tx.now); ok {
		_, err := tx.enqueueJob(ctx, journalReminderJob(clinicID, rem.ClientID, rem.Version, due))
		return err
	}
	return nil
}

// journalReminderMoved reschedules client clientID's reminder after their
// time zone changed to zone: it stays at the same wall-clock time, now in
// the new zone.
func (tx tx) journalReminderMoved(ctx context.Context, clinicID, clientID, zone string) error {
	rem, err := tx.journalReminder(ctx, clientID)
	if err != nil || !rem.On {
		return err
	}
	return tx.scheduleJournalReminder(ctx, clinicID, zone, rem)
}

// FireJournalReminder does reminder job j (JobJournalReminder): in one
// transaction with the job's end, it records the client's local day of
// the due time j.RefAt, enqueues the client's notification unless a
// reminder was already sent that day or the client wrote in their journal
// that day (or has no channel), and enqueues the next occurrence. A job
// whose reminder changed since, or whose client is gone, ends doing
// nothing. It reports whether a notification was enqueued, and returns
// ErrLeaseLost when j's claim is no longer current.
func (s *Store) FireJournalReminder(ctx context.Context, j Job) (bool, error) {
	var queued bool
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		queued = false
		if err := tx.finishJob(ctx, j); err != nil {
			return err
		}
		rem, err := tx.journalReminder(ctx, j.ClientID)
		if err != nil {
			return err
		}
		if !rem.On || strconv.Itoa(rem.Version) != j.RefID {
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
			return nil // no more reminders for a client who has left
		}
		if next, ok := rem.Next(zone, j.RefAt); ok {
			if _, err := tx.enqueueJob(ctx, journalReminderJob(j.ClinicID, j.ClientID, rem.Version, next)); err != nil {
				return err
			}
		}
		day := care.DayIn(j.RefAt, zone)
		loc := care.Location(zone)
		local := j.RefAt.In(loc)
		from := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
		var wrote int
		if err := tx.QueryRowContext(ctx,
			`SELECT count(*) FROM journal_entries
			 WHERE client_id = $1 AND deleted_at IS NULL AND created_at >= $2 AND created_at < $3`,
			j.ClientID, micros(from), micros(from.AddDate(0, 0, 1))).Scan(&wrote); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx,
			`INSERT INTO journal_reminder_days (client_id, day, fired_at, sent) VALUES ($1, $2, $3, $4)
			 ON CONFLICT (client_id, day) DO NOTHING`,
			j.ClientID, string(day), micros(tx.now), boolInt(wrote == 0))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 || wrote > 0 {
			return err // a reminder of that day was already sent, or need not be
		}
		if ok, err := s.notifiable(ctx, tx, j.ClientID); err != nil || !ok {
			return err
		}
		queued, err = tx.enqueueJob(ctx, Job{Kind: JobNotifyJournal, ClinicID: j.ClinicID, ClientID: j.ClientID, UserID: j.ClientID,
			RefAt: j.RefAt, DedupeKey: JobNotifyJournal + ":" + j.ClientID + ":" + string(day)})
		return err
	})
	return queued, err
}
