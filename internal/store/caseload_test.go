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

// TestCaseload: the provider's clients ordered by need — falling mood,
// then unread messages, then missed check-ins, then the soonest session —
// each with the reasons for its place; private entries, the provider's
// own messages, read messages, other teams' clients and cancelled
// sessions do not count; the list is one audited read (AU-01, AC-03).
func TestCaseload(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		st := db.Store
		c := storetest.SeedClinic(t, st, "Caseload")
		provider, admin := c.Actor(c.Provider), c.Actor(c.Admin)
		// Friday 2026-12-04 12:00 UTC.
		db.Clock.Advance(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC).Sub(db.Clock.Now()))
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

		list, err := st.Caseload(ctx, provider)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		reasons := map[string][]string{}
		for _, cs := range list {
			got = append(got, cs.DisplayName)
			reasons[cs.DisplayName] = cs.Need.Reasons()
		}
		if want := []string{"Ann", "Bea", "Cal", "client", "Eve"}; !slices.Equal(got, want) {
			t.Fatalf("order %q, want %q", got, want)
		}
		for name, want := range map[string][]string{
			"Ann":    {"mood fell from 6.5 to 3.5 over 10 days", "1 unread message"},
			"Bea":    {"3 unread messages"},
			"Cal":    {"2 missed check-ins"},
			"client": nil,
			"Eve":    nil,
		} {
			if !slices.Equal(reasons[name], want) {
				t.Errorf("%s: reasons %q, want %q", name, reasons[name], want)
			}
		}
		if n := list[3].Need.NextSession; n == nil || !n.Equal(now.Add(24*time.Hour)) {
			t.Errorf("client's next session %v", n)
		}
		if n := list[4].Need.NextSession; n == nil || !n.Equal(now.Add(72*time.Hour)) {
			t.Errorf("Eve's next session %v (the cancelled one must not count)", n)
		}
		if list[0].Need.NextSession != nil {
			t.Errorf("Ann has no session: %v", list[0].Need.NextSession)
		}

		// One list read in the audit log, naming no client.
		page, err := st.AuditLog(ctx, admin, store.AuditFilter{ActorID: c.Provider.ID, Action: "client.list", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) != 1 || page.Events[0].ClientID != "" {
			t.Errorf("audit of the caseload: %+v", page.Events)
		}

		// Reading Bea's messages moves her below Cal.
		for _, m := range bm[1:] {
			if _, _, err := st.MarkMessageRead(ctx, provider, bea.ID, m.ID); err != nil {
				t.Fatal(err)
			}
		}
		list, err = st.Caseload(ctx, provider)
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, cs := range list {
			got = append(got, cs.DisplayName)
		}
		if want := []string{"Ann", "Cal", "client", "Eve", "Bea"}; !slices.Equal(got, want) {
			t.Errorf("after reading Bea's messages: %q, want %q", got, want)
		}
		if other, err := st.Caseload(ctx, c.Actor(c.Client)); err != nil || len(other) != 0 {
			t.Errorf("a client's caseload: %+v %v", other, err)
		}
	})
}
