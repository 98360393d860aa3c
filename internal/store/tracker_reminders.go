package store

import (
	"context"
	"fmt"
	"time"

	"interlude/internal/care"
)

// Tracker reminders (issue #19): a tracker assigned with a reminder tells
// its client, PHI-free, when it falls due, as a journaling reminder does
// (reminders.go). Assigning, changing or removing a tracker, and the
// client's move to another time zone, withdraw its pending job and
// enqueue the next one in the same transaction. The job
// (FireTrackerReminder) records the local day in tracker_reminder_days
// (once a day, whatever reruns), enqueues the notification unless the
// tracker was filled in that day, and enqueues the next occurrence, all
// with the job's end. The notification (JobNotifyTracker) waits out the
// client's quiet hours; trackers due at the same instant share one.

// The kinds of a tracker reminder's jobs: JobTrackerReminder fires a due
// reminder (RefID: the tracker); JobNotifyTracker tells the client (its
// UserID; ids only).
const (
	JobTrackerReminder = "tracker.reminder"
	JobNotifyTracker   = "notify.tracker"
)

// scheduleTrackerReminder withdraws the pending reminder jobs of tr that
// no worker holds (one running finds its due time stale) and enqueues
// the job of tr's next due time in zone, when tr has a reminder and is
// not removed.
func (tx tx) scheduleTrackerReminder(ctx context.Context, tr *care.Tracker, zone string) error {
	if _, err := tx.ExecContext(ctx,
		`UPDATE jobs SET done_at = $1, last_error = 'superseded'
		 WHERE kind = $2 AND client_id = $3 AND ref_id = $4 AND done_at IS NULL AND dead_at IS NULL
		   AND (locked_until IS NULL OR locked_until <= $1)`,
		micros(tx.now), JobTrackerReminder, tr.ClientID, tr.ID); err != nil {
		return err
	}
	if !tr.Reminder || tr.Removed() {
		return nil
	}
	due, ok := tr.Schedule.Next(zone, tx.now)
	if !ok {
		return nil // an event log is never due
	}
	_, err := tx.enqueueJob(ctx, Job{ClinicID: tr.ClinicID, Kind: JobTrackerReminder, ClientID: tr.ClientID, RefID: tr.ID,
		RefAt: due, RunAt: due,
		// The scheduling time in the key: a schedule changed and changed
		// back is due again, though its first job was withdrawn.
		DedupeKey: fmt.Sprintf("%s:%s:%d:s%d", JobTrackerReminder, tr.ID, micros(due), micros(tx.now))})
	return err
}

// trackerRemindersMoved reschedules the reminders of client clientID's
// trackers after their time zone changed to zone: each stays at its wall
// clock time, now in the new zone.
func (tx tx) trackerRemindersMoved(ctx context.Context, clinicID, clientID, zone string) error {
	var trackers []care.Tracker
	err := tx.each(ctx, func(scan func(...any) error) error {
		var tr care.Tracker
		if err := scanTracker(scanFunc(scan), &tr); err != nil {
			return err
		}
		trackers = append(trackers, tr)
		return nil
	}, `SELECT `+trackerColumns+` FROM client_trackers tr
		WHERE tr.client_id = $1 AND tr.clinic_id = $2 AND tr.removed_at IS NULL AND tr.reminder = 1`, clientID, clinicID)
	if err != nil {
		return err
	}
	for i := range trackers {
		if err := tx.scheduleTrackerReminder(ctx, &trackers[i], zone); err != nil {
			return err
		}
	}
	return nil
}

// FireTrackerReminder does reminder job j (JobTrackerReminder): in one
// transaction with the job's end, it records the client's local day of
// the due time j.RefAt for the tracker, enqueues the client's
// notification unless a reminder of that day was sent already or the
// tracker was filled in that day (or the client has no channel), and
// enqueues the next occurrence. A job whose tracker was removed, lost its
// reminder or changed its schedule since, or whose client is gone, ends
// doing nothing. It reports whether a notification was enqueued, and
// returns ErrLeaseLost when j's claim is no longer current.
func (s *Store) FireTrackerReminder(ctx context.Context, j Job) (bool, error) {
	var queued bool
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		queued = false
		if err := tx.finishJob(ctx, j); err != nil {
			return err
		}
		var tr care.Tracker
		if err := scanTracker(tx.QueryRowContext(ctx,
			`SELECT `+trackerColumns+` FROM client_trackers tr WHERE tr.id = $1 AND tr.client_id = $2 AND tr.clinic_id = $3`,
			j.RefID, j.ClientID, j.ClinicID), &tr); err != nil {
			return notFound(err)
		}
		if tr.Removed() || !tr.Reminder {
			return nil
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
		if due, ok := tr.Schedule.Next(zone, j.RefAt.Add(-time.Second)); !ok || !due.Equal(j.RefAt) {
			return nil // superseded: the change enqueued the job of its own time
		}
		if next, ok := tr.Schedule.Next(zone, j.RefAt); ok {
			if _, err := tx.enqueueJob(ctx, Job{ClinicID: tr.ClinicID, Kind: JobTrackerReminder, ClientID: tr.ClientID, RefID: tr.ID,
				RefAt: next, RunAt: next, DedupeKey: fmt.Sprintf("%s:%s:%d", JobTrackerReminder, tr.ID, micros(next))}); err != nil {
				return err
			}
		}
		day := care.DayIn(j.RefAt, zone)
		loc := care.Location(zone)
		local := j.RefAt.In(loc)
		from := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
		var filled int
		if err := tx.QueryRowContext(ctx,
			`SELECT count(*) FROM tracker_entries WHERE tracker_id = $1 AND client_id = $2
			   AND ((created_at >= $3 AND created_at < $4) OR (occurred_at >= $3 AND occurred_at < $4))`,
			tr.ID, tr.ClientID, micros(from), micros(from.AddDate(0, 0, 1))).Scan(&filled); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx,
			`INSERT INTO tracker_reminder_days (tracker_id, day, fired_at, sent) VALUES ($1, $2, $3, $4)
			 ON CONFLICT (tracker_id, day) DO NOTHING`,
			tr.ID, string(day), micros(tx.now), boolInt(filled == 0))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 || filled > 0 {
			return err // a reminder of that day was already sent, or need not be
		}
		if ok, err := s.notifiable(ctx, tx, tr.ClientID); err != nil || !ok {
			return err
		}
		queued, err = tx.enqueueJob(ctx, Job{Kind: JobNotifyTracker, ClinicID: tr.ClinicID, ClientID: tr.ClientID, UserID: tr.ClientID,
			RefAt: j.RefAt, DedupeKey: fmt.Sprintf("%s:%s:%d", JobNotifyTracker, tr.ClientID, micros(j.RefAt))})
		return err
	})
	return queued, err
}
