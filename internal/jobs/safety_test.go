package jobs_test

import (
	"context"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/jobs"
	"interlude/internal/notify"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// noticesOf counts a user's in-app notices of a kind about flag flagID.
func noticesOf(t *testing.T, db *storetest.DB, userID, kind, flagID string) int {
	t.Helper()
	var n int
	if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM notices WHERE user_id = $1 AND kind = $2 AND subject_id = $3`,
		userID, kind, flagID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// auditCount counts the audit rows of an action about an entity.
func auditCount(t *testing.T, db *storetest.DB, action, entityID string) int {
	t.Helper()
	var n int
	if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM audit_events WHERE action = $1 AND entity_id = $2`,
		action, entityID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// runSafety runs a runner of the safety jobs until at least n jobs are
// done in all.
func runSafety(t *testing.T, st *store.Store, d jobs.Deliverer, n int64) {
	t.Helper()
	runner := jobs.New(st, jobs.Options{Poll: 20 * time.Millisecond, Lease: time.Minute, Name: "safety"})
	jobs.RegisterSafety(runner, st, d)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); runner.Run(ctx) }()
	waitDone(t, st, n)
	stop()
	<-done
}

// TestSafetyEscalation (issue #7): every kind of flag notifies the care
// team and escalates once after the clinic's escalation time: to the
// on-call provider, who may then see and acknowledge that flag (and only
// while it is open), or, with no on-call provider, to the admins. A flag
// acknowledged in time sends nothing more. A worker that died holding the
// escalation cannot escalate it a second time.
func TestSafetyEscalation(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Escalation")
		admin, provider, onCall, client := c.Actor(c.Admin), c.Actor(c.Provider), c.Actor(c.OtherProvider), c.Actor(c.Client)
		d := &countingDeliverer{}

		set, err := db.Store.SafetySettings(ctx, admin)
		if err != nil || set.EscalationMinutes != care.DefaultEscalationMinutes || set.OnCallProviderID != "" {
			t.Fatalf("default settings %+v, %v", set, err)
		}
		// Only an admin sets them; the on-call provider must be an active
		// provider of the clinic.
		want := care.SafetySettings{EscalationMinutes: 30, OnCallProviderID: c.OtherProvider.ID}
		if err := db.Store.SetSafetySettings(ctx, provider, want); care.ErrorCode(err) != care.Forbidden {
			t.Errorf("a provider sets the safety settings: %v", err)
		}
		for _, bad := range []care.SafetySettings{{EscalationMinutes: 4}, {EscalationMinutes: 1441},
			{EscalationMinutes: 30, OnCallProviderID: c.Client.ID}, {EscalationMinutes: 30, OnCallProviderID: c.Admin.ID}} {
			if err := db.Store.SetSafetySettings(ctx, admin, bad); care.ErrorCode(err) != care.Invalid {
				t.Errorf("settings %+v: %v, want invalid", bad, err)
			}
		}
		if err := db.Store.SetSafetySettings(ctx, admin, want); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Store.SafetySettings(ctx, provider); got != want {
			t.Fatalf("settings %+v, want %+v", got, want)
		}

		// 1. Crisis language in a message: the care team is told at once.
		raised := db.Clock.Now()
		if _, err := db.Store.SendMessage(ctx, client, c.Client.ID, &care.Message{Text: "some days I want to die"}); err != nil {
			t.Fatal(err)
		}
		flags, err := db.Store.ListOpenFlags(ctx, provider, "")
		if err != nil || len(flags) != 1 {
			t.Fatalf("open flags %+v, %v", flags, err)
		}
		f := flags[0]
		runSafety(t, db.Store, d, 1)
		if n := noticesOf(t, db, c.Provider.ID, store.NoticeSafetyFlag, f.ID); n != 1 || d.count(c.Provider.ID, notify.KindSafety) != 1 {
			t.Errorf("the care team's provider: %d notices, %d emails, want 1 and 1", n, d.count(c.Provider.ID, notify.KindSafety))
		}
		esc, err := db.Store.JobByKey(ctx, store.JobSafetyEscalate+":"+f.ID)
		if err != nil || !esc.RunAt.Equal(raised.Add(30*time.Minute).Truncate(time.Microsecond)) || !esc.DoneAt.IsZero() {
			t.Fatalf("escalation job %+v, %v: want due 30 minutes after the flag", esc, err)
		}
		// The on-call provider sees nothing of it before it escalates.
		if open, _ := db.Store.ListOpenFlags(ctx, onCall, ""); len(open) != 0 {
			t.Errorf("the on-call provider sees %+v before escalation", open)
		}

		// A worker claims the escalation when it falls due and dies
		// before finishing; the next one escalates it, once.
		db.Clock.Advance(30*time.Minute + time.Second)
		claimed, err := db.Store.ClaimJobs(ctx, "dying", []string{store.JobSafetyEscalate}, 10, time.Minute)
		if err != nil || len(claimed) != 1 || claimed[0].RefID != f.ID {
			t.Fatalf("claimed %+v, %v", claimed, err)
		}
		db.Clock.Advance(2 * time.Minute)
		runSafety(t, db.Store, d, 3) // the notice, the escalation, its notice
		if _, err := db.Store.EscalateSafetyFlag(ctx, claimed[0]); err != store.ErrLeaseLost {
			t.Errorf("the dead worker escalates: %v, want ErrLeaseLost", err)
		}
		open, err := db.Store.ListOpenFlags(ctx, onCall, "")
		if err != nil || len(open) != 1 || open[0].ID != f.ID || !open[0].OnCall || open[0].EscalatedTo != c.OtherProvider.ID ||
			open[0].EscalatedAt.IsZero() || open[0].ClientName != "client" {
			t.Fatalf("the on-call provider's open flags %+v, %v", open, err)
		}
		if n := noticesOf(t, db, c.OtherProvider.ID, store.NoticeSafetyEscalated, f.ID); n != 1 || d.count(c.OtherProvider.ID, notify.KindSafetyEscalated) != 1 {
			t.Errorf("the on-call provider: %d notices, %d emails, want 1 and 1", n, d.count(c.OtherProvider.ID, notify.KindSafetyEscalated))
		}
		if n := noticesOf(t, db, c.Admin.ID, store.NoticeSafetyEscalated, f.ID); n != 0 {
			t.Errorf("the admin got %d escalation notices with an on-call provider set", n)
		}
		if n := auditCount(t, db, "safety_flag.escalate", f.ID); n != 1 {
			t.Errorf("%d safety_flag.escalate audit rows, want 1", n)
		}
		// The flag, not the record: the on-call provider reads no more of
		// the client than their open flags.
		if _, err := db.Store.SafetyFlags(ctx, onCall, c.Client.ID); care.ErrorCode(err) != care.NotFound {
			t.Errorf("the on-call provider reads the client's flag history: %v", err)
		}
		if _, err := db.Store.Messages(ctx, onCall, c.Client.ID, store.MessageQuery{}); care.ErrorCode(err) != care.NotFound {
			t.Errorf("the on-call provider reads the client's messages: %v", err)
		}
		if _, err := db.Store.AcknowledgeFlag(ctx, onCall, c.Client.ID, f.ID, "Called the client; safe, seeing them tomorrow."); err != nil {
			t.Fatalf("the on-call provider acknowledges: %v", err)
		}
		var purpose string
		if err := db.Engine.SQLDB().QueryRow(`SELECT purpose FROM audit_events WHERE action = 'safety_flag.acknowledge' AND entity_id = $1`,
			f.ID).Scan(&purpose); err != nil || purpose != care.PurposeOnCall {
			t.Errorf("the acknowledgement's audit purpose %q, %v; want %q", purpose, err, care.PurposeOnCall)
		}
		if open, _ := db.Store.ListOpenFlags(ctx, onCall, ""); len(open) != 0 {
			t.Errorf("the on-call provider still sees %+v after acknowledging", open)
		}
		hist, err := db.Store.SafetyFlags(ctx, provider, c.Client.ID)
		if err != nil || len(hist) != 1 || hist[0].AcknowledgedBy != c.OtherProvider.ID || hist[0].Note == "" {
			t.Errorf("the care team sees %+v, %v", hist, err)
		}

		// 2. A PHQ-9 item-9 answer acknowledged in time: nothing more is
		// sent when its escalation falls due.
		m := &care.MeasureSchedule{Instrument: "phq9", EveryDays: 7}
		if err := db.Store.ScheduleMeasure(ctx, provider, c.Client.ID, m); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.AnswerMeasure(ctx, client, c.Client.ID, m.ID, []int{0, 0, 0, 0, 0, 0, 0, 0, 1}, nil); err != nil {
			t.Fatal(err)
		}
		flags, _ = db.Store.ListOpenFlags(ctx, provider, c.Client.ID)
		if len(flags) != 1 || flags[0].Kind != care.FlagPHQ9Item9 {
			t.Fatalf("open flags %+v", flags)
		}
		g := flags[0]
		db.Clock.Advance(10 * time.Minute)
		if _, err := db.Store.AcknowledgeFlag(ctx, provider, c.Client.ID, g.ID, "Spoke with them in session."); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(time.Hour)
		runSafety(t, db.Store, d, 5) // + its notice and its escalation
		if esc, err := db.Store.JobByKey(ctx, store.JobSafetyEscalate+":"+g.ID); err != nil || esc.DoneAt.IsZero() {
			t.Fatalf("escalation job %+v, %v", esc, err)
		}
		hist, _ = db.Store.SafetyFlags(ctx, provider, c.Client.ID)
		if len(hist) != 2 || !hist[0].EscalatedAt.IsZero() || hist[0].ID != g.ID {
			t.Errorf("an acknowledged flag escalated: %+v", hist)
		}
		for _, u := range []string{c.OtherProvider.ID, c.Admin.ID} {
			if n := noticesOf(t, db, u, store.NoticeSafetyEscalated, g.ID); n != 0 {
				t.Errorf("user %s got %d escalation notices for a flag acknowledged in time", u, n)
			}
		}
		if n := auditCount(t, db, "safety_flag.escalate", g.ID); n != 0 {
			t.Errorf("%d escalation audit rows for a flag acknowledged in time", n)
		}

		// 3. No on-call provider: the escalation goes to the admins; no
		// provider outside the care team may acknowledge it.
		if err := db.Store.SetSafetySettings(ctx, admin, care.SafetySettings{EscalationMinutes: 15}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.SendMessage(ctx, client, c.Client.ID, &care.Message{Text: "I want to kill myself"}); err != nil {
			t.Fatal(err)
		}
		flags, _ = db.Store.ListOpenFlags(ctx, provider, c.Client.ID)
		if len(flags) != 1 {
			t.Fatalf("open flags %+v", flags)
		}
		h := flags[0]
		db.Clock.Advance(15*time.Minute + time.Second)
		runSafety(t, db.Store, d, 8) // + its notice, its escalation, the admin's notice
		if n := noticesOf(t, db, c.Admin.ID, store.NoticeSafetyEscalated, h.ID); n != 1 || d.count(c.Admin.ID, notify.KindSafetyEscalated) != 1 {
			t.Errorf("the admin: %d notices, %d emails, want 1 and 1", n, d.count(c.Admin.ID, notify.KindSafetyEscalated))
		}
		if n := noticesOf(t, db, c.OtherProvider.ID, store.NoticeSafetyEscalated, h.ID); n != 0 {
			t.Errorf("the former on-call provider got %d notices", n)
		}
		if _, err := db.Store.AcknowledgeFlag(ctx, onCall, c.Client.ID, h.ID, "not mine"); care.ErrorCode(err) != care.NotFound {
			t.Errorf("a provider outside the care team acknowledges a flag escalated to the admins: %v", err)
		}
		notices, err := db.Store.SafetyNotices(ctx, admin)
		if err != nil || len(notices) != 1 || notices[0].FlagID != h.ID || notices[0].Kind != store.NoticeSafetyEscalated || !notices[0].Open {
			t.Errorf("the admin's safety notices %+v, %v", notices, err)
		}
	})
}
