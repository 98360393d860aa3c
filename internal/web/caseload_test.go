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

// TestCaseloadPages: the provider's home is the caseload, ordered by need
// with the reasons shown beside each client, and GET /api/v1/clients
// answers the same order with the same reasons (API.md); a client has no
// caseload (AC-03).
func TestCaseloadPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		e := newPlanEnv(t, db)
		zed := care.User{ClinicID: e.c.Clinic.ID, Role: care.RoleClient, Email: "zed@plan.test", DisplayName: "Zed"}
		if err := db.Store.CreateUser(ctx, &zed); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.AddToCareTeam(ctx, e.c.Actor(e.c.Admin), zed.ID, e.c.Provider.ID); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := db.Store.SendMessage(ctx, e.c.Actor(zed), zed.ID, &care.Message{Text: "hello"}); err != nil {
				t.Fatal(err)
			}
		}
		soon := db.Clock.Now().Add(26 * time.Hour).Truncate(time.Minute)
		if err := db.Store.CreateAppointment(ctx, e.c.Actor(e.c.Provider), e.c.Client.ID, &care.Appointment{StartsAt: soon}); err != nil {
			t.Fatal(err)
		}

		rec := e.call(t, "GET", "/", e.provider, nil)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/clients" {
			t.Errorf("the provider's home: %d %q, want the caseload", rec.Code, rec.Header().Get("Location"))
		}
		rec = e.call(t, "GET", "/clients", e.provider, nil)
		expect(t, rec, http.StatusOK, "", "the caseload")
		body := rec.Body.String()
		list := body[strings.Index(body, `<ol class="rows caseload"`):]
		list = list[:strings.Index(list, "</ol>")]
		zi, ci := strings.Index(list, `href="/clients/`+zed.ID+`"`), strings.Index(list, `href="/clients/`+e.c.Client.ID+`"`)
		if zi < 0 || ci < 0 || zi > ci {
			t.Fatalf("Zed (2 unread) should come before the client with only a session: %d %d\n%s", zi, ci, list)
		}
		if !strings.Contains(list[zi:ci], "<li>2 unread messages</li>") {
			t.Errorf("Zed's row does not say why: %s", list[zi:ci])
		}
		if !regexp.MustCompile(`Next session <time datetime="` + regexp.QuoteMeta(soon.UTC().Format(time.RFC3339)) + `">`).MatchString(list[ci:]) {
			t.Errorf("the client's row lacks the next session: %s", list[ci:])
		}
		if !strings.Contains(list[zi:ci], "No session scheduled") || !strings.Contains(list[ci:], "Nothing waiting on you") {
			t.Errorf("rows without a session or a need do not say so: %s", list)
		}

		type row struct {
			ID            string   `json:"id"`
			Unread        int      `json:"unread_messages"`
			Missed        int      `json:"missed_check_ins"`
			Reasons       []string `json:"reasons"`
			NextSessionAt *string  `json:"next_session_at"`
		}
		got := respJSON[struct {
			Clients []row `json:"clients"`
		}](t, e.call(t, "GET", "/api/v1/clients", e.provider, nil))
		if len(got.Clients) != 2 || got.Clients[0].ID != zed.ID || got.Clients[0].Unread != 2 ||
			strings.Join(got.Clients[0].Reasons, "|") != "2 unread messages" || got.Clients[0].NextSessionAt != nil {
			t.Fatalf("API caseload %+v", got.Clients)
		}
		if c := got.Clients[1]; c.ID != e.c.Client.ID || c.Reasons == nil || len(c.Reasons) != 0 || c.NextSessionAt == nil || *c.NextSessionAt != soon.UTC().Format(time.RFC3339) {
			t.Errorf("API caseload, second row %+v", c)
		}
		rec = e.call(t, "GET", "/api/v1/clients", e.client, nil)
		expect(t, rec, http.StatusForbidden, "forbidden", "a client's caseload")
	})
}
