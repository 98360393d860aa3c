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

// trackerDeliverer records the store clock's time of each tracker
// reminder it sends, after the recipient's quiet hours, as
// clockDeliverer does for journaling reminders.
type trackerDeliverer struct {
	st  *store.Store
	now func() time.Time
	mu  sync.Mutex
	at  []time.Time
}

func (d *trackerDeliverer) Deliver(ctx context.Context, userID string, k notify.Kind) (notify.Delivery, error) {
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
	if k == notify.KindTracker {
		d.at = append(d.at, now)
	}
	return notify.Delivery{Emails: 1}, nil
}

func (d *trackerDeliverer) sent() []time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]time.Time(nil), d.at...)
}

// TestTrackerReminderJob: a tracker due daily at 21:00 New York time with
// the client's quiet hours from 21:30 is reminded at 21:00, once a day,
// and two trackers due at the same time make one notice; a reminder due
// inside quiet hours waits for their end (issue #19).
func TestTrackerReminderJob(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := newYorkClient(t, db, "Tracker Reminder Job Clinic")
		db.Clock.Set(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)) // Thursday, 07:00 in New York
		if err := db.Store.SetNotificationSettings(ctx, c.Actor(c.Client), care.NotificationSettings{Email: true,
			Quiet: care.QuietHours{Start: 21*60 + 30, End: 7 * 60}}); err != nil {
			t.Fatal(err)
		}
		provider := c.Actor(c.Provider)
		tmpl := &care.TrackerTemplate{Name: "Sleep", Explainer: "To see how you sleep.",
			Schedule: care.TrackerSchedule{Kind: care.ScheduleDaily, Minute: 21 * 60},
			Fields:   []care.TrackerField{{ID: "hours", Kind: care.FieldDuration, Label: "How long you slept"}}}
		if err := db.Store.CreateTrackerTemplate(ctx, provider, tmpl); err != nil {
			t.Fatal(err)
		}
		for range 2 { // both at 21:00
			if err := db.Store.AssignTracker(ctx, provider, c.Client.ID, &care.Tracker{TemplateID: tmpl.ID, Reminder: true}); err != nil {
				t.Fatal(err)
			}
		}
		late := &care.Tracker{TemplateID: tmpl.ID, Reminder: true, Schedule: care.TrackerSchedule{Kind: care.ScheduleWeekdays,
			Weekdays: []time.Weekday{time.Friday}, Minute: 23 * 60}} // inside quiet hours
		if err := db.Store.AssignTracker(ctx, provider, c.Client.ID, late); err != nil {
			t.Fatal(err)
		}

		d := &trackerDeliverer{st: db.Store, now: db.Clock.Now}
		runner := jobs.New(db.Store, jobs.Options{Poll: 10 * time.Millisecond, Name: "trackers"})
		jobs.RegisterTrackerReminders(runner, db.Store, d)
		runCtx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); runner.Run(runCtx) }()
		t.Cleanup(func() { cancel(); <-done })
		rr := &reminderRun{t: t, db: db}

		thursday := time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC) // Thursday 21:00 EST
		friday := thursday.Add(24 * time.Hour)
		saturdayMorning := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC) // Saturday 07:00 EST, quiet hours end
		steps := []struct {
			at   time.Time
			want []time.Time
		}{
			{thursday.Add(-time.Minute), nil},
			{thursday, []time.Time{thursday}},
			{thursday.Add(time.Hour), []time.Time{thursday}},
			{friday, []time.Time{thursday, friday}},
			{friday.Add(2 * time.Hour), []time.Time{thursday, friday}}, // Friday 23:00: quiet
			{saturdayMorning, []time.Time{thursday, friday, saturdayMorning}},
		}
		for _, s := range steps {
			rr.at(s.at)
			if got := d.sent(); !equalTimes(got, s.want) {
				t.Fatalf("at %s: sent at %v, want %v", s.at, got, s.want)
			}
		}
	})
}
