package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestCaseload: the provider's clients ordered by need — open safety
// flags, then worsening (a reliable deterioration on a measure, then
// falling mood), unread messages, missed check-ins, overdue measures, then
// the soonest session, ties by name — each with the reasons for its place
// (issue #7); private entries, the provider's own messages, read messages,
// acknowledged flags, a change within measurement error, a stopped
// schedule, one due within the grace, other teams' clients and cancelled
// sessions do not count; the list is one audited read (AU-01, AC-03).
func TestCaseload(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		st := db.Store
		c := storetest.SeedClinic(t, st, "Caseload")
		provider, admin := c.Actor(c.Provider), c.Actor(c.Admin)
		// Tuesday 2026-12-01 12:00 UTC.
		db.Clock.Advance(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC).Sub(db.Clock.Now()))
		newClient := func(name string) care.User {
			u := care.User{ClinicID: c.Clinic.ID, Role: care.RoleClient, Email: name + "@caseload.test", DisplayName: name}
			if err := st.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			if err := st.AddToCareTeam(ctx, admin, u.ID, c.Provider.ID); err != nil {
				t.Fatal(err)
			}
			return u
		}
		ann, bea, cal, eve := newClient("Ann"), newClient("Bea"), newClient("Cal"), newClient("Eve")
		fay, gus, hal, ivy := newClient("Fay"), newClient("Gus"), newClient("Hal"), newClient("Ivy")
		schedule := func(who care.User, instrument string, every int) care.MeasureSchedule {
			m := care.MeasureSchedule{Instrument: instrument, EveryDays: every}
			if err := st.ScheduleMeasure(ctx, provider, who.ID, &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
		// Hal's GAD-7 falls due now and is never answered: overdue by the
		// end; a PHQ-9 due as long but stopped is not.
		schedule(hal, "gad7", 7)
		if err := st.StopMeasure(ctx, provider, hal.ID, schedule(hal, "phq9", 7).ID); err != nil {
			t.Fatal(err)
		}
		// Friday 2026-12-04 12:00 UTC.
		db.Clock.Advance(72 * time.Hour)

		// Cal misses two daily check-ins: each is sent, and closes
		// unanswered 24 hours later; the third is still open.
		sch := care.CheckInSchedule{Weekdays: []time.Weekday{0, 1, 2, 3, 4, 5, 6}, Minute: 13 * 60}
		if err := st.SetCheckInSchedule(ctx, provider, cal.ID, &sch); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(time.Hour)
		for i := range 3 {
			js := claimCheckIns(t, st, "w")
			if len(js) != 1 {
				t.Fatalf("check-in %d: claimed %+v", i, js)
			}
			if _, err := st.FireCheckIn(ctx, js[0]); err != nil {
				t.Fatal(err)
			}
			if err := st.FinishJob(ctx, js[0]); err != nil {
				t.Fatal(err)
			}
			if i < 2 {
				db.Clock.Advance(24 * time.Hour)
			}
		}
		now := db.Clock.Now() // Sunday 13:00

		entry := func(who care.User, daysAgo float64, mood int, shared bool) {
			e := &care.JournalEntry{OccurredAt: now.Add(-time.Duration(daysAgo * 24 * float64(time.Hour))), Mood: ptr(mood)}
			if err := st.CreateEntry(ctx, c.Actor(who), who.ID, e, &shared); err != nil {
				t.Fatal(err)
			}
		}
		// Ann's shared mood falls from 7 and 6 to 4 and 3 over 10 days;
		// an older rating, outside the window, does not count.
		entry(ann, 20, 0, true)
		entry(ann, 10, 7, true)
		entry(ann, 8, 6, true)
		entry(ann, 2, 4, true)
		entry(ann, 0, 3, true)
		// Eve's mood falls too, but in private entries.
		for i, m := range []int{9, 9, 1, 1} {
			entry(eve, float64(10-i), m, false)
		}
		sendAs := func(from care.User, to care.User, n int) []care.Message {
			var out []care.Message
			for range n {
				m, _ := send(t, db, c.Actor(from), to.ID, "hello")
				out = append(out, m)
			}
			return out
		}
		sendAs(ann, ann, 1)
		// Bea sends 4; the provider reads one and answers (their own
		// message is not unread).
		bm := sendAs(bea, bea, 4)
		if _, _, err := st.MarkMessageRead(ctx, provider, bea.ID, bm[0].ID); err != nil {
			t.Fatal(err)
		}
		sendAs(c.Provider, bea, 1)
		// The seeded client has a session tomorrow, Eve one in three days
		// and a cancelled one sooner; the other team's client is not
		// listed though they write.
		for _, a := range []struct {
			who    care.User
			in     time.Duration
			status care.AppointmentStatus
		}{
			{c.Client, 24 * time.Hour, ""},
			{c.Client, -24 * time.Hour, care.AppointmentHeld},
			{eve, 72 * time.Hour, ""},
			{eve, 2 * time.Hour, care.AppointmentCancelled},
		} {
			if err := st.CreateAppointment(ctx, provider, a.who.ID, &care.Appointment{StartsAt: now.Add(a.in), Status: a.status}); err != nil {
				t.Fatal(err)
			}
		}
		sendAs(c.OtherClient, c.OtherClient, 2)

		// Measures. Fay answers a PHQ-9 with item 9 above 0: an open
		// safety flag. Gus's PHQ-9 went from 5 to 12, reliably worse; Ivy's
		// from 5 to 7, within measurement error, and her GAD-7 fell due a
		// day ago, within the grace.
		fm := schedule(fay, "phq9", 14)
		if _, err := st.AnswerMeasure(ctx, c.Actor(fay), fay.ID, fm.ID, []int{1, 1, 1, 0, 0, 0, 0, 0, 1}, nil); err != nil {
			t.Fatal(err)
		}
		history := func(who care.User, totals ...int) {
			m := schedule(who, "phq9", 14)
			var past []store.PastAnswers
			for i, total := range totals {
				a := make([]int, 9)
				for j := 0; total > 0; j = (j + 1) % 8 { // item 9 stays 0
					a[j]++
					total--
				}
				past = append(past, store.PastAnswers{At: now.Add(time.Duration(i-len(totals)) * 24 * time.Hour), Answers: a})
			}
			if err := st.ImportMeasureHistory(ctx, c.Actor(who), who.ID, m.ID, past); err != nil {
				t.Fatal(err)
			}
		}
		history(gus, 5, 9, 12)
		history(ivy, 5, 7)
		db.Clock.Advance(-24 * time.Hour)
		schedule(ivy, "gad7", 7)
		db.Clock.Advance(24 * time.Hour)

		list, err := st.Caseload(ctx, provider)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		reasons := map[string][]string{}
		for _, cs := range list {
			got = append(got, cs.DisplayName)
			reasons[cs.DisplayName] = cs.Need.ReasonTexts(now)
		}
		if want := []string{"Fay", "Gus", "Ann", "Bea", "Cal", "Hal", "client", "Eve", "Ivy"}; !slices.Equal(got, want) {
			t.Fatalf("order %q, want %q", got, want)
		}
		for name, want := range map[string][]string{
			"Fay":    {"1 open safety flag"},
			"Gus":    {"PHQ-9 reliably worse: 12 since a baseline of 5"},
			"Ann":    {"mood fell from 6.5 to 3.5 over 10 days", "1 unread message"},
			"Bea":    {"3 unread messages"},
			"Cal":    {"2 missed check-ins"},
			"Hal":    {"GAD-7 overdue by 5 days"},
			"client": nil,
			"Eve":    nil,
			"Ivy":    nil,
		} {
			if !slices.Equal(reasons[name], want) {
				t.Errorf("%s: reasons %q, want %q", name, reasons[name], want)
			}
		}
		codes := map[string]string{}
		for _, cs := range list {
			for _, r := range cs.Need.Reasons(now) {
				codes[cs.DisplayName] += r.Code + " "
			}
		}
		if codes["Fay"] != "safety_flag " || codes["Gus"] != "deterioration " || codes["Ann"] != "mood_fall unread_messages " || codes["Hal"] != "overdue_measure " {
			t.Errorf("reason codes %q", codes)
		}
		if d := list[1].Need.Deteriorations; len(d) != 1 || d[0].Instrument != "phq9" || d[0].Baseline != 5 || d[0].Latest != 12 || d[0].RCI <= 1.96 {
			t.Errorf("Gus's deterioration %+v", d)
		}
		if n := list[6].Need.NextSession; n == nil || !n.Equal(now.Add(24*time.Hour)) {
			t.Errorf("client's next session %v", n)
		}
		if n := list[7].Need.NextSession; n == nil || !n.Equal(now.Add(72*time.Hour)) {
			t.Errorf("Eve's next session %v (the cancelled one must not count)", n)
		}
		if list[2].Need.NextSession != nil {
			t.Errorf("Ann has no session: %v", list[2].Need.NextSession)
		}

		// One list read in the audit log, naming no client.
		page, err := st.AuditLog(ctx, admin, store.AuditFilter{ActorID: c.Provider.ID, Action: "client.list", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) != 1 || page.Events[0].ClientID != "" {
			t.Errorf("audit of the caseload: %+v", page.Events)
		}

		// Reading Bea's messages moves her below Cal; acknowledging Fay's
		// flag moves her to the end, by name.
		for _, m := range bm[1:] {
			if _, _, err := st.MarkMessageRead(ctx, provider, bea.ID, m.ID); err != nil {
				t.Fatal(err)
			}
		}
		flags, err := st.ListOpenFlags(ctx, provider, fay.ID)
		if err != nil || len(flags) != 1 {
			t.Fatalf("Fay's flags: %+v %v", flags, err)
		}
		if _, err := st.AcknowledgeFlag(ctx, provider, fay.ID, flags[0].ID, "Called her; safety plan reviewed."); err != nil {
			t.Fatal(err)
		}
		list, err = st.Caseload(ctx, provider)
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, cs := range list {
			got = append(got, cs.DisplayName)
		}
		if want := []string{"Gus", "Ann", "Cal", "Hal", "client", "Eve", "Bea", "Fay", "Ivy"}; !slices.Equal(got, want) {
			t.Errorf("after reading Bea's messages: %q, want %q", got, want)
		}
		if other, err := st.Caseload(ctx, c.Actor(c.Client)); err != nil || len(other) != 0 {
			t.Errorf("a client's caseload: %+v %v", other, err)
		}
	})
}

// TestImportMissedCheckIns: a provider of the care team records a
// client's last missed check-ins of their schedule, each sent with its
// question in the thread and never answered, and the caseload counts
// them; importing again adds nothing; the client may not, a client
// without a schedule is a conflict, and every import is audited.
func TestImportMissedCheckIns(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		st := db.Store
		c := storetest.SeedClinic(t, st, "Import")
		provider, client := c.Actor(c.Provider), c.Actor(c.Client)
		if err := st.ImportMissedCheckIns(ctx, provider, c.Client.ID, 2); care.ErrorCode(err) != care.Conflict {
			t.Errorf("without a schedule: %v, want conflict", err)
		}
		sch := care.CheckInSchedule{Weekdays: []time.Weekday{0, 1, 2, 3, 4, 5, 6}, Minute: 9 * 60}
		if err := st.SetCheckInSchedule(ctx, provider, c.Client.ID, &sch); err != nil {
			t.Fatal(err)
		}
		if err := st.ImportMissedCheckIns(ctx, client, c.Client.ID, 2); care.ErrorCode(err) != care.Forbidden {
			t.Errorf("the client imports: %v, want forbidden", err)
		}
		for range 2 {
			if err := st.ImportMissedCheckIns(ctx, provider, c.Client.ID, 3); err != nil {
				t.Fatal(err)
			}
		}
		ov, err := st.CheckIns(ctx, provider, c.Client.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ov.CheckIns) != 3 {
			t.Fatalf("%d check-ins, want 3", len(ov.CheckIns))
		}
		for _, k := range ov.CheckIns {
			if k.SentAt.IsZero() || !k.AnsweredAt.IsZero() || k.ClosesAt.After(db.Clock.Now()) || k.MessageID == "" {
				t.Errorf("check-in %+v", k)
			}
		}
		list, err := st.Caseload(ctx, provider)
		if err != nil || len(list) != 1 || list[0].Need.MissedCheckIns != 3 {
			t.Fatalf("caseload %+v %v", list, err)
		}
		page, err := st.AuditLog(ctx, c.Actor(c.Admin), store.AuditFilter{Action: "checkin.import", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(page.Events); n != 3 { // two imports and the client's denied one
			t.Errorf("%d audit rows of imports, want 3: %+v", n, page.Events)
		}
	})
}
