package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// claimKind claims the due jobs of kind for worker.
func claimKind(t *testing.T, st *store.Store, kind, worker string) []store.Job {
	t.Helper()
	js, err := st.ClaimJobs(context.Background(), worker, []string{kind}, 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// TestJournalReminder: a client sets their own reminder (bad input
// changes nothing; staff may not); its job is due at the chosen time in
// the client's zone; firing it enqueues one notification and the next
// occurrence, once, even when the job runs again or the reminder is
// changed and due again the same day; a day the client already wrote
// gets none; turning it off withdraws the pending job.
func TestJournalReminder(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		st := db.Store
		st.SetEmailNotifications(true)
		c := storetest.SeedClinic(t, st, "Reminders")
		client := c.Actor(c.Client)
		if _, err := db.Engine.SQLDB().Exec(`UPDATE users SET time_zone = 'America/New_York' WHERE id = $1`, c.Client.ID); err != nil {
			t.Fatal(err)
		}
		// Friday 2026-12-04, 12:00 UTC: 07:00 in New York (EST, UTC-5).
		db.Clock.Set(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC))

		rem, err := st.JournalReminder(ctx, client)
		if err != nil || rem.On || rem.Version != 0 || rem.Clock() != "20:00" || len(rem.Weekdays) != 7 {
			t.Fatalf("the default reminder: %+v, %v", rem, err)
		}
		if _, err := st.JournalReminder(ctx, c.Actor(c.Provider)); care.ErrorCode(err) != care.Forbidden {
			t.Errorf("a provider reads a reminder: %v, want forbidden", err)
		}
		if err := st.SetJournalReminder(ctx, c.Actor(c.Provider), &care.JournalReminder{On: true, Weekdays: []time.Weekday{time.Monday}}); care.ErrorCode(err) != care.Forbidden {
			t.Errorf("a provider sets a reminder: %v, want forbidden", err)
		}
		for _, bad := range []care.JournalReminder{
			{On: true, Minute: 20 * 60},
			{On: true, Minute: 24 * 60, Weekdays: []time.Weekday{time.Monday}},
			{On: true, Minute: 60, Weekdays: []time.Weekday{9}},
		} {
			if err := st.SetJournalReminder(ctx, client, &bad); care.ErrorCode(err) != care.Invalid {
				t.Errorf("%+v: %v, want invalid", bad, err)
			}
		}
		if rem, err := st.JournalReminder(ctx, client); err != nil || rem.Version != 0 || rem.On {
			t.Errorf("after refused changes: %+v, %v", rem, err)
		}

		// Mondays and Fridays at 20:00 New York time.
		rem = care.JournalReminder{On: true, Weekdays: []time.Weekday{time.Friday, time.Monday, time.Friday}, Minute: 20 * 60}
		if err := st.SetJournalReminder(ctx, client, &rem); err != nil {
			t.Fatal(err)
		}
		if got, err := st.JournalReminder(ctx, client); err != nil || !got.On || got.Version != 1 || len(got.Weekdays) != 2 || got.Clock() != "20:00" {
			t.Errorf("stored %+v, %v", got, err)
		}
		if js := claimKind(t, st, store.JobJournalReminder, "early"); len(js) != 0 {
			t.Fatalf("a reminder job was due at once: %+v", js)
		}
		friday := time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC) // Friday 20:00 EST
		db.Clock.Set(friday)
		js := claimKind(t, st, store.JobJournalReminder, "w1")
		if len(js) != 1 || !js[0].RefAt.Equal(friday) {
			t.Fatalf("due at Friday 20:00 New York: %+v", js)
		}
		if queued, err := st.FireJournalReminder(ctx, js[0]); err != nil || !queued {
			t.Fatalf("fire: %v, %v", queued, err)
		}
		// The same claim runs again (a retry after a lost commit reply):
		// nothing more.
		if queued, err := st.FireJournalReminder(ctx, js[0]); err != nil || queued {
			t.Errorf("the job again: %v, %v, want nothing queued", queued, err)
		}
		ns := claimKind(t, st, store.JobNotifyJournal, "n1")
		if len(ns) != 1 || ns[0].UserID != c.Client.ID {
			t.Fatalf("notifications: %+v, want one for the client", ns)
		}
		if err := st.FinishJob(ctx, ns[0]); err != nil {
			t.Fatal(err)
		}
		// Another worker whose lease ran out cannot fire it again.
		db.Clock.Set(friday.Add(5 * time.Minute))
		if _, err := st.FireJournalReminder(ctx, store.Job{ID: js[0].ID, LockedBy: "w0", Attempts: 1, ClientID: js[0].ClientID, ClinicID: js[0].ClinicID, RefID: js[0].RefID, RefAt: js[0].RefAt}); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("a stale claim: %v, want ErrLeaseLost", err)
		}

		// Changed the same evening to 21:00 every day: due again that
		// day, it sends nothing (once a local day), and goes on to Saturday.
		db.Clock.Set(friday.Add(10 * time.Minute))
		every := care.DefaultJournalReminder()
		every.On, every.Minute = true, 21*60
		if err := st.SetJournalReminder(ctx, client, &every); err != nil {
			t.Fatal(err)
		}
		db.Clock.Set(friday.Add(time.Hour))
		js = claimKind(t, st, store.JobJournalReminder, "w2")
		if len(js) != 1 || js[0].RefID != "2" {
			t.Fatalf("the new version's job: %+v", js)
		}
		if queued, err := st.FireJournalReminder(ctx, js[0]); err != nil || queued {
			t.Errorf("a second reminder on one day: %v, %v", queued, err)
		}

		// Saturday: the client wrote in the morning, so no reminder.
		db.Clock.Set(time.Date(2026, 12, 5, 15, 0, 0, 0, time.UTC))
		if err := st.CreateEntry(ctx, client, c.Client.ID, &care.JournalEntry{OccurredAt: db.Clock.Now(), Text: "a walk"}, nil); err != nil {
			t.Fatal(err)
		}
		db.Clock.Set(time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)) // Saturday 21:00 EST
		js = claimKind(t, st, store.JobJournalReminder, "w3")
		if len(js) != 1 {
			t.Fatalf("Saturday's job: %+v", js)
		}
		if queued, err := st.FireJournalReminder(ctx, js[0]); err != nil || queued {
			t.Errorf("a reminder on a day with an entry: %v, %v", queued, err)
		}

		// Off: Sunday's pending job is withdrawn.
		off := every
		off.On = false
		if err := st.SetJournalReminder(ctx, client, &off); err != nil {
			t.Fatal(err)
		}
		db.Clock.Set(time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC))
		if js := claimKind(t, st, store.JobJournalReminder, "w4"); len(js) != 0 {
			t.Errorf("jobs after turning it off: %+v", js)
		}
		if ns := claimKind(t, st, store.JobNotifyJournal, "n2"); len(ns) != 0 {
			t.Errorf("more notifications: %+v", ns)
		}

		// On again, then the client moves to Berlin: the reminder stays
		// at 21:00 of their day, now Berlin's.
		every.On = true
		if err := st.SetJournalReminder(ctx, client, &every); err != nil {
			t.Fatal(err)
		}
		if err := st.UpdateProfile(ctx, client, store.Profile{DisplayName: c.Client.DisplayName, TimeZone: "Europe/Berlin", Language: "en"}); err != nil {
			t.Fatal(err)
		}
		db.Clock.Set(time.Date(2026, 12, 10, 19, 59, 0, 0, time.UTC))
		if js := claimKind(t, st, store.JobJournalReminder, "w5"); len(js) != 0 {
			t.Fatalf("due before 21:00 Berlin: %+v", js)
		}
		db.Clock.Set(time.Date(2026, 12, 10, 20, 0, 0, 0, time.UTC)) // 21:00 CET
		if js := claimKind(t, st, store.JobJournalReminder, "w6"); len(js) != 1 {
			t.Errorf("at 21:00 Berlin: %+v, want the one job", js)
		}

		// A deleted client's reminder is gone with their account.
		if _, err := db.Engine.SQLDB().Exec(`UPDATE clinics SET retention_days = 0 WHERE id = $1`, c.Clinic.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteClient(ctx, c.Actor(c.Admin), c.Client.ID, "duplicate-account"); err != nil {
			t.Fatal(err)
		}
		var left int
		if err := db.Engine.SQLDB().QueryRow(`SELECT (SELECT count(*) FROM journal_reminders WHERE client_id = $1) + (SELECT count(*) FROM journal_reminder_days WHERE client_id = $1)`, c.Client.ID).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left != 0 {
			t.Errorf("%d reminder rows outlive the client", left)
		}
	})
}
