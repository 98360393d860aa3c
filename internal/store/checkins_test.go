package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// claimCheckIns claims the due check-in jobs for worker.
func claimCheckIns(t *testing.T, st *store.Store, worker string) []store.Job {
	t.Helper()
	js, err := st.ClaimJobs(context.Background(), worker, []string{store.JobCheckIn}, 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// TestCheckIns: a provider of the care team sets a schedule, which
// enqueues the first check-in; firing it records the check-in once, asks
// in the thread once and enqueues the next, even when the job runs again
// or its lease is lost; the client answers with a mood, which becomes a
// shared journal entry; an unanswered check-in is missed once the next is
// due; a schedule change withdraws the old jobs.
func TestCheckIns(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		st := db.Store
		c := storetest.SeedClinic(t, st, "Check-ins")
		client, provider := c.Actor(c.Client), c.Actor(c.Provider)
		// The clock stands on a Friday, 2026-12-04 12:00 UTC (the client's zone).
		db.Clock.Advance(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC).Sub(db.Clock.Now()))

		sch := care.CheckInSchedule{Weekdays: []time.Weekday{time.Friday, time.Monday, time.Friday}, Minute: 18 * 60}
		for _, who := range []care.Actor{client, c.Actor(c.Admin)} {
			if err := st.SetCheckInSchedule(ctx, who, c.Client.ID, &care.CheckInSchedule{Weekdays: sch.Weekdays}); care.ErrorCode(err) != care.Forbidden && care.ErrorCode(err) != care.NotFound {
				t.Errorf("%s sets the schedule: %v, want refused", who.Role, err)
			}
		}
		if err := st.SetCheckInSchedule(ctx, c.Actor(c.OtherProvider), c.Client.ID, &sch); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("a provider off the care team: %v, want not found", err)
		}
		if err := st.SetCheckInSchedule(ctx, provider, c.Client.ID, &care.CheckInSchedule{Weekdays: sch.Weekdays, Minute: 24 * 60}); care.ErrorCode(err) != care.Invalid {
			t.Errorf("minute 1440: %v, want invalid", err)
		}
		if err := st.SetCheckInSchedule(ctx, provider, c.Client.ID, &sch); err != nil {
			t.Fatal(err)
		}
		if sch.Version != 1 || len(sch.Weekdays) != 2 || sch.SetBy != c.Provider.ID {
			t.Errorf("stored schedule %+v", sch)
		}
		o, err := st.CheckIns(ctx, provider, c.Client.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		due1 := time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)
		if !o.Next.Equal(due1) || o.Schedule.Clock() != "18:00" || len(o.CheckIns) != 0 {
			t.Fatalf("overview %+v", o)
		}
		if js := claimCheckIns(t, st, "early"); len(js) != 0 {
			t.Fatalf("claimed before due: %+v", js)
		}

		// 18:00: the check-in is due. The job runs twice (a retry after a
		// crash between commit and FinishJob): one check-in, one message.
		db.Clock.Advance(6 * time.Hour)
		js := claimCheckIns(t, st, "w1")
		if len(js) != 1 || !js[0].RefAt.Equal(due1) {
			t.Fatalf("claimed %+v", js)
		}
		ev, err := st.FireCheckIn(ctx, js[0])
		if err != nil {
			t.Fatal(err)
		}
		// API.md: a check-in's question is its own event kind, live and
		// on replay after Last-Event-ID.
		if ev.Kind != "checkin" || ev.ClientID != c.Client.ID || len(ev.Audience) != 2 {
			t.Errorf("event %+v", ev)
		}
		if replay, err := st.MessageEventsAfter(ctx, client, 0, 100); err != nil || len(replay) != 1 || replay[0].Kind != "checkin" || replay[0].Seq != ev.Seq {
			t.Errorf("replayed events %+v, %v; want the one checkin event", replay, err)
		}
		if ev2, err := st.FireCheckIn(ctx, js[0]); err != nil || ev2.Kind != "" {
			t.Errorf("the same job again: %+v, %v; want nothing new", ev2, err)
		}
		page, err := st.Messages(ctx, client, c.Client.ID, store.MessageQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Messages) != 1 || page.Messages[0].Text != care.CheckInPrompt || page.Messages[0].SenderID != c.Provider.ID || page.Messages[0].ID != ev.MessageID {
			t.Fatalf("thread %+v", page.Messages)
		}
		open, found, err := st.OpenCheckIn(ctx, client)
		if err != nil || !found || !open.DueAt.Equal(due1) || open.MessageID != ev.MessageID {
			t.Fatalf("open check-in %+v %v %v", open, found, err)
		}
		due2 := time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC) // Monday
		if !open.ClosesAt.Equal(due1.Add(care.CheckInWindow)) {
			t.Errorf("closes at %v", open.ClosesAt)
		}
		if next, err := st.JobByKey(ctx, fmt.Sprintf("checkin:%s:v1:%d", c.Client.ID, due2.UnixMicro())); err != nil || !next.RunAt.Equal(due2) {
			t.Errorf("next job %+v %v", next, err)
		}

		// The client answers with one tap, once.
		if _, err := st.AnswerCheckIn(ctx, provider, c.Client.ID, open.ID, 5, ""); care.ErrorCode(err) != care.Forbidden {
			t.Errorf("the provider answers: %v, want forbidden", err)
		}
		if _, err := st.AnswerCheckIn(ctx, client, c.Client.ID, open.ID, 11, ""); care.ErrorCode(err) != care.Invalid {
			t.Errorf("mood 11: %v, want invalid", err)
		}
		e, err := st.AnswerCheckIn(ctx, client, c.Client.ID, open.ID, 7, "canary-checkin-text")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AnswerCheckIn(ctx, client, c.Client.ID, open.ID, 3, ""); care.ErrorCode(err) != care.Conflict {
			t.Errorf("answering twice: %v, want conflict", err)
		}
		seen, err := st.Entry(ctx, provider, c.Client.ID, e.ID)
		if err != nil || *seen.Mood != 7 || seen.Text != "canary-checkin-text" || !seen.Shared {
			t.Fatalf("the care team's view of the answer: %+v %v", seen, err)
		}
		if _, found, _ := st.OpenCheckIn(ctx, client); found {
			t.Error("an answered check-in is still open")
		}

		// Monday's check-in goes unanswered; it is missed once Friday's
		// is due (before its 24 hours are up? Monday to Friday: the
		// window, 24 h, closes it first).
		db.Clock.Advance(due2.Sub(db.Clock.Now()))
		js = claimCheckIns(t, st, "w1")
		if len(js) != 1 {
			t.Fatalf("Monday: claimed %+v", js)
		}
		// w1 hangs past its lease; w2 takes the job; w1's late attempt
		// changes nothing.
		db.Clock.Advance(2 * time.Minute)
		js2 := claimCheckIns(t, st, "w2")
		if len(js2) != 1 {
			t.Fatalf("after the lease: %+v", js2)
		}
		if _, err := st.FireCheckIn(ctx, js[0]); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("the expired claim fires: %v, want ErrLeaseLost", err)
		}
		if _, err := st.FireCheckIn(ctx, js2[0]); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(25 * time.Hour)
		o, err = st.CheckIns(ctx, provider, c.Client.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(o.CheckIns) != 2 {
			t.Fatalf("check-ins %+v", o.CheckIns)
		}
		if got := o.CheckIns[0].Status(o.Now); got != care.CheckInMissed || !o.CheckIns[0].DueAt.Equal(due2) {
			t.Errorf("Monday's check-in: %s, want missed", got)
		}
		if got := o.CheckIns[1].Status(o.Now); got != care.CheckInAnswered || o.CheckIns[1].Mood == nil || *o.CheckIns[1].Mood != 7 {
			t.Errorf("Friday's check-in: %s mood %v, want answered with 7", got, o.CheckIns[1].Mood)
		}
		if _, err := st.AnswerCheckIn(ctx, client, c.Client.ID, o.CheckIns[0].ID, 5, ""); care.ErrorCode(err) != care.Conflict {
			t.Errorf("answering a missed check-in: %v, want conflict", err)
		}

		// The provider moves the check-ins to 09:00 daily: the pending
		// job of version 1 is withdrawn; one of version 2 is enqueued.
		daily := care.CheckInSchedule{Weekdays: []time.Weekday{0, 1, 2, 3, 4, 5, 6}, Minute: 9 * 60}
		if err := st.SetCheckInSchedule(ctx, provider, c.Client.ID, &daily); err != nil {
			t.Fatal(err)
		}
		old, _ := st.JobByKey(ctx, fmt.Sprintf("checkin:%s:v1:%d", c.Client.ID, time.Date(2026, 12, 11, 18, 0, 0, 0, time.UTC).UnixMicro()))
		if old.DoneAt.IsZero() || old.LastError != "superseded" {
			t.Errorf("the old schedule's job: %+v, want withdrawn", old)
		}
		// The server was down for three days: the three past due times
		// are recorded, the two already closed ones unsent.
		db.Clock.Advance(3 * 24 * time.Hour)
		var sent, unsent int
		for range 10 {
			js := claimCheckIns(t, st, "w3")
			if len(js) == 0 {
				break
			}
			for _, j := range js {
				ev, err := st.FireCheckIn(ctx, j)
				if err != nil {
					t.Fatal(err)
				}
				if ev.Kind == "" {
					unsent++
				} else {
					sent++
				}
			}
		}
		if sent != 1 || unsent != 2 {
			t.Errorf("catching up three days: %d sent, %d unsent; want 1 and 2", sent, unsent)
		}
		if n, _ := st.CountJobs(ctx); n.Pending != 1 {
			t.Errorf("jobs %+v, want the next one pending", n)
		}
	})
}
