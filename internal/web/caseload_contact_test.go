package web

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// TestCaseloadNoContact (#18): the caseload's last contact is the latest
// message either way, shared journal entry, answered check-in or held
// session (never a private entry), and no_contact=N keeps the clients
// with none in the last N days, on GET /clients and GET /api/v1/clients.
func TestCaseloadNoContact(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		e := newPlanEnv(t, db)
		provider := e.c.Actor(e.c.Provider)
		newClient := func(name, email string) care.User {
			u := care.User{ClinicID: e.c.Clinic.ID, Role: care.RoleClient, Email: email + "@contact.test", DisplayName: name}
			if err := db.Store.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			if err := db.Store.AddToCareTeam(ctx, e.c.Actor(e.c.Admin), u.ID, e.c.Provider.ID); err != nil {
				t.Fatal(err)
			}
			return u
		}
		at := func(ago time.Duration, do func()) {
			db.Clock.Advance(-ago)
			do()
			db.Clock.Advance(ago)
		}
		day := 24 * time.Hour
		held, shared, msg := newClient("Ada Held", "held"), newClient("Bo Shared", "shared"), newClient("Cy Message", "msg")
		at(20*day, func() {
			a := care.Appointment{StartsAt: db.Clock.Now().Add(-time.Hour).Truncate(time.Minute), Status: care.AppointmentHeld}
			if err := db.Store.CreateAppointment(ctx, provider, held.ID, &a); err != nil {
				t.Fatal(err)
			}
		})
		yes, no := true, false
		mood := 5
		at(10*day, func() {
			if err := db.Store.CreateEntry(ctx, e.c.Actor(shared), shared.ID, &care.JournalEntry{OccurredAt: db.Clock.Now(), Mood: &mood}, &yes); err != nil {
				t.Fatal(err)
			}
		})
		if err := db.Store.CreateEntry(ctx, e.c.Actor(shared), shared.ID, &care.JournalEntry{OccurredAt: db.Clock.Now(), Mood: &mood}, &no); err != nil {
			t.Fatal(err) // private: no contact with the care team
		}
		at(2*day, func() {
			if _, err := db.Store.SendMessage(ctx, provider, msg.ID, &care.Message{Text: "How was the week?"}); err != nil {
				t.Fatal(err)
			}
		})

		name := map[string]string{held.ID: "held", shared.ID: "shared", msg.ID: "msg", e.c.Client.ID: "client"}
		rowRe := regexp.MustCompile(`<span class="who"><a href="/clients/([^"]+)">`)
		for _, tc := range []struct{ query, want string }{
			{"sort=name", "held shared client msg"},
			{"sort=name&no_contact=5", "held shared client"},
			{"sort=name&no_contact=15", "held client"},
			{"sort=name&no_contact=30", "client"},
		} {
			rec := e.call(t, "GET", "/clients?"+tc.query, e.provider, nil)
			expect(t, rec, http.StatusOK, "", "the caseload "+tc.query)
			var got []string
			for _, m := range rowRe.FindAllStringSubmatch(rec.Body.String(), -1) {
				got = append(got, name[m[1]])
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("page %s: %q, want %q", tc.query, got, tc.want)
			}
			rec = e.call(t, "GET", "/api/v1/clients?"+tc.query, e.provider, nil)
			expect(t, rec, http.StatusOK, "", "the API caseload "+tc.query)
			got = nil
			for _, c := range respJSON[struct {
				Clients []struct {
					ID          string  `json:"id"`
					LastContact *string `json:"last_contact_at"`
				} `json:"clients"`
			}](t, rec).Clients {
				got = append(got, name[c.ID])
				want := map[string]time.Duration{"held": 20*day + time.Hour, "shared": 10 * day, "msg": 2 * day}[name[c.ID]]
				switch {
				case want == 0 && c.LastContact != nil:
					t.Errorf("%s: last contact %s, want none", name[c.ID], *c.LastContact)
				case want != 0 && c.LastContact == nil:
					t.Errorf("%s: no last contact", name[c.ID])
				case want != 0:
					if ts, err := time.Parse(time.RFC3339, *c.LastContact); err != nil || db.Clock.Now().Sub(ts) < want-2*time.Minute || db.Clock.Now().Sub(ts) > want+2*time.Minute {
						t.Errorf("%s: last contact %s, want %v ago", name[c.ID], *c.LastContact, want)
					}
				}
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("API %s: %q, want %q", tc.query, got, tc.want)
			}
		}
		body := e.call(t, "GET", "/clients?no_contact=5", e.provider, nil).Body.String()
		for _, want := range []string{`value="5"`, "Showing 3 of 4 clients.", "No contact yet", "Last contact <time datetime="} {
			if !strings.Contains(body, want) {
				t.Errorf("the filtered page lacks %s", want)
			}
		}
		for _, q := range []string{"no_contact=0", "no_contact=many", "no_contact=3651"} {
			expect(t, e.call(t, "GET", "/api/v1/clients?"+q, e.provider, nil), http.StatusBadRequest, "invalid", "API "+q)
			expect(t, e.call(t, "GET", "/clients?"+q, e.provider, nil), http.StatusBadRequest, "", "page "+q)
		}
	})
}
