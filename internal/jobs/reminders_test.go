package jobs_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/jobs"
	"interlude/internal/notify"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// clockDeliverer stands in for email and push as notify.Dispatcher
// would deliver: it reads the recipient's stored quiet hours and zone,
// sends nothing inside them (and says when they end), and records the
// store clock's time of each journaling reminder it sends.
type clockDeliverer struct {
	st  *store.Store
	now func() time.Time
	mu  sync.Mutex
	at  []time.Time
}

func (d *clockDeliverer) Deliver(ctx context.Context, userID string, k notify.Kind) (notify.Delivery, error) {
	r, err := d.st.NotifyRecipient(ctx, userID)
	if err != nil {
		return notify.Delivery{}, err
	}
	now := d.now()
	if at := r.Settings.Quiet.DeliverAt(now, r.Location()); at.After(now) {
		return notify.Delivery{Later: at}, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if k == notify.KindJournal {
		d.at = append(d.at, now)
	}
	return notify.Delivery{Emails: 1}, nil
}

func (d *clockDeliverer) sent() []time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]time.Time(nil), d.at...)
}

// reminderRun runs a Runner with the reminder handlers; at moves the
// store clock to a time and waits until every job due by then has run.
type reminderRun struct {
	t    *testing.T
	db   *storetest.DB
	d    *clockDeliverer
	stop func()
}

func startReminders(t *testing.T, db *storetest.DB, st *store.Store, d *clockDeliverer, name string) *reminderRun {
	t.Helper()
	runner := jobs.New(st, jobs.Options{Poll: 10 * time.Millisecond, Name: name})
	jobs.RegisterJournalReminders(runner, st, d)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); runner.Run(ctx) }()
	rr := &reminderRun{t: t, db: db, d: d, stop: func() { cancel(); <-done }}
	t.Cleanup(rr.stop)
	return rr
}

func (rr *reminderRun) at(tm time.Time) {
	rr.t.Helper()
	rr.db.Clock.Set(tm)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var due int
		if err := rr.db.Engine.SQLDB().QueryRow(
			`SELECT count(*) FROM jobs WHERE done_at IS NULL AND dead_at IS NULL AND run_at <= $1`,
			tm.UnixMicro()).Scan(&due); err != nil {
			rr.t.Fatal(err)
		}
		if due == 0 {
			return
		}
		if time.Now().After(deadline) {
			rr.t.Fatalf("after 30 s, %d jobs due at %s have not run", due, tm)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// newYorkClient seeds a clinic whose client lives in New York and has
// email on.
func newYorkClient(t *testing.T, db *storetest.DB, name string) *storetest.Clinic {
	t.Helper()
	db.Store.SetEmailNotifications(true)
	c := storetest.SeedClinic(t, db.Store, name)
	if _, err := db.Engine.SQLDB().Exec(`UPDATE users SET time_zone = 'America/New_York' WHERE id = $1`, c.Client.ID); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestJournalReminderJob: a reminder on Fridays and Sundays at 20:00 in
// New York is sent at 20:00 New York time, also on the Sunday clocks fall
// back (2026-11-01: 20:00 EST is 01:00 UTC, an hour later than the
// Friday's 00:00 UTC), not on the Saturday between, and once: not again by
// the same runner nor by a restarted one (issue #18).
func TestJournalReminderJob(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := newYorkClient(t, db, "Reminder Job Clinic")
		db.Clock.Set(time.Date(2026, 10, 29, 12, 0, 0, 0, time.UTC)) // Thursday
		rem := care.JournalReminder{On: true, Weekdays: []time.Weekday{time.Friday, time.Sunday}, Minute: 20 * 60}
		if err := db.Store.SetJournalReminder(ctx, c.Actor(c.Client), &rem); err != nil {
			t.Fatal(err)
		}
		d := &clockDeliverer{st: db.Store, now: db.Clock.Now}
		rr := startReminders(t, db, db.Store, d, "reminders")
		friday := time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC) // Friday 20:00 EDT
		sunday := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)  // Sunday 20:00 EST
		steps := []struct {
			at   time.Time
			want []time.Time
		}{
			{friday.Add(-time.Minute), nil},
			{friday, []time.Time{friday}},
			{friday.Add(2 * time.Hour), []time.Time{friday}},
			{friday.Add(24 * time.Hour), []time.Time{friday}}, // Saturday 20:00: not chosen
			{sunday.Add(-time.Hour), []time.Time{friday}},     // 20:00 had the offset stayed EDT
			{sunday, []time.Time{friday, sunday}},             // 20:00 EST
			{sunday.Add(30 * time.Minute), []time.Time{friday, sunday}},
		}
		for _, s := range steps {
			rr.at(s.at)
			if got := d.sent(); !equalTimes(got, s.want) {
				t.Fatalf("at %s: sent at %v, want %v", s.at, got, s.want)
			}
		}
		// A restart (another store and runner on the database) does not
		// send Sunday's again.
		rr.stop()
		again := startReminders(t, db, secondStore(t, db), d, "restarted")
		again.at(sunday.Add(time.Hour))
		if got := d.sent(); len(got) != 2 {
			t.Errorf("after a restart: sent at %v, want 2", got)
		}
		// The next one is Friday 2026-11-06 20:00 EST.
		var next int64
		if err := db.Engine.SQLDB().QueryRow(`SELECT run_at FROM jobs WHERE kind = $1 AND done_at IS NULL`, store.JobJournalReminder).Scan(&next); err != nil {
			t.Fatal(err)
		}
		if got, want := time.UnixMicro(next).UTC(), time.Date(2026, 11, 7, 1, 0, 0, 0, time.UTC); !got.Equal(want) {
			t.Errorf("next reminder at %s, want %s", got, want)
		}
	})
}

// TestJournalReminderQuietHours: a reminder due inside the client's quiet
// hours (22:00–07:00 New York) waits for their end, and is sent once then.
func TestJournalReminderQuietHours(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := newYorkClient(t, db, "Quiet Reminder Clinic")
		client := c.Actor(c.Client)
		db.Clock.Set(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)) // Friday 07:00 EST
		if err := db.Store.SetNotificationSettings(ctx, client, care.NotificationSettings{Email: true, Quiet: care.QuietHours{Start: 22 * 60, End: 7 * 60}}); err != nil {
			t.Fatal(err)
		}
		rem := care.JournalReminder{On: true, Weekdays: []time.Weekday{time.Friday}, Minute: 23 * 60}
		if err := db.Store.SetJournalReminder(ctx, client, &rem); err != nil {
			t.Fatal(err)
		}
		d := &clockDeliverer{st: db.Store, now: db.Clock.Now}
		rr := startReminders(t, db, db.Store, d, "quiet")
		due := time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC)      // Friday 23:00 EST
		morning := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC) // Saturday 07:00 EST
		rr.at(due)
		rr.at(morning.Add(-time.Minute))
		if got := d.sent(); len(got) != 0 {
			t.Fatalf("inside quiet hours: sent at %v", got)
		}
		rr.at(morning)
		rr.at(morning.Add(time.Hour))
		if got := d.sent(); !equalTimes(got, []time.Time{morning}) {
			t.Errorf("after quiet hours: sent at %v, want once at %s", got, morning)
		}
	})
}

func equalTimes(a, b []time.Time) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}
