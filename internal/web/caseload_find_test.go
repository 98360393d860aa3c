package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// TestCaseloadFind (issue #18): the caseload's search (part of a name,
// whatever its case and accents), its filters (an open safety flag,
// measures to review) and its orders (need, name, next session) answer
// the same on GET /clients and GET /api/v1/clients, from the same query
// parameters, and cost no more audit rows than the caseload itself.
func TestCaseloadFind(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		e := newPlanEnv(t, db)
		provider := e.c.Actor(e.c.Provider)
		newClient := func(name, email string) care.User {
			u := care.User{ClinicID: e.c.Clinic.ID, Role: care.RoleClient, Email: email + "@find.test", DisplayName: name}
			if err := db.Store.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			if err := db.Store.AddToCareTeam(ctx, e.c.Actor(e.c.Admin), u.ID, e.c.Provider.ID); err != nil {
				t.Fatal(err)
			}
			return u
		}
		schedule := func(u care.User, instrument string) care.MeasureSchedule {
			m := care.MeasureSchedule{Instrument: instrument, EveryDays: 14}
			if err := db.Store.ScheduleMeasure(ctx, provider, u.ID, &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
		session := func(u care.User, in time.Duration) {
			at := db.Clock.Now().Add(in).Truncate(time.Minute)
			if err := db.Store.CreateAppointment(ctx, provider, u.ID, &care.Appointment{StartsAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		// José's GAD-7 fell due four days ago (to review); Zoë answers
		// PHQ-9 item 9 with 2 (an open flag); "client" has nothing waiting.
		jose := newClient("José Núñez", "jose")
		db.Clock.Advance(-4 * 24 * time.Hour)
		schedule(jose, "gad7")
		db.Clock.Advance(4 * 24 * time.Hour)
		zoe := newClient("Zoë Ångström", "zoe")
		zm := schedule(zoe, "phq9")
		if _, err := db.Store.AnswerMeasure(ctx, e.c.Actor(zoe), zoe.ID, zm.ID, []int{1, 1, 0, 0, 0, 0, 0, 0, 2}, nil); err != nil {
			t.Fatal(err)
		}
		client := e.c.Client
		session(client, 26*time.Hour)
		session(zoe, 50*time.Hour)

		name := map[string]string{zoe.ID: "zoe", jose.ID: "jose", client.ID: "client"}
		rowRe := regexp.MustCompile(`<span class="who"><a href="/clients/([^"]+)">`)
		page := func(query string) (string, string) {
			t.Helper()
			rec := e.call(t, "GET", "/clients?"+query, e.provider, nil)
			expect(t, rec, http.StatusOK, "", "the caseload "+query)
			var got []string
			for _, m := range rowRe.FindAllStringSubmatch(rec.Body.String(), -1) {
				got = append(got, name[m[1]])
			}
			return strings.Join(got, " "), rec.Body.String()
		}
		api := func(query string) string {
			t.Helper()
			rec := e.call(t, "GET", "/api/v1/clients?"+query, e.provider, nil)
			expect(t, rec, http.StatusOK, "", "the API caseload "+query)
			var got []string
			for _, c := range respJSON[struct {
				Clients []struct {
					ID string `json:"id"`
				} `json:"clients"`
			}](t, rec).Clients {
				got = append(got, name[c.ID])
			}
			return strings.Join(got, " ")
		}
		for _, tc := range []struct {
			name  string
			query url.Values
			want  string
		}{
			{"by need, the default", nil, "zoe jose client"},
			{"an empty form", url.Values{"q": {""}, "sort": {"need"}}, "zoe jose client"},
			{"part of a name, accents in the name", url.Values{"q": {"angst"}}, "zoe"},
			{"part of a name, accents and capitals in the query", url.Values{"q": {"NÚÑ"}}, "jose"},
			{"a name without its accents", url.Values{"q": {"zoe"}}, "zoe"},
			{"no one", url.Values{"q": {"xavier"}}, ""},
			{"an open safety flag", url.Values{"flag": {"true"}}, "zoe"},
			{"to review", url.Values{"review": {"true"}}, "jose"},
			{"filters off", url.Values{"flag": {"false"}, "review": {"false"}}, "zoe jose client"},
			{"by name", url.Values{"sort": {"name"}}, "client jose zoe"},
			{"by next session", url.Values{"sort": {"session"}}, "client zoe jose"},
			{"a search and a sort", url.Values{"q": {"o"}, "sort": {"name"}}, "jose zoe"},
		} {
			q := tc.query.Encode()
			if got, _ := page(q); got != tc.want {
				t.Errorf("%s: page %q, want %q", tc.name, got, tc.want)
			}
			if got := api(q); got != tc.want {
				t.Errorf("%s: API %q, want %q", tc.name, got, tc.want)
			}
		}

		// The form says what it shows and keeps its values.
		_, body := page("q=%C3%A1ngst&flag=true&sort=name")
		for _, want := range []string{
			`<form method="post" action="/clients/search"`, `value="ángst"`,
			`<input id="flag" name="flag" type="checkbox" value="true" checked>`,
			`<option value="name" selected>`, `Showing 1 of 3 clients.`, `Ordered by name.`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the filtered page lacks %s", want)
			}
		}
		if _, body := page("q=xavier"); !strings.Contains(body, "No client matches.") {
			t.Errorf("an empty result does not say so")
		}

		// A bad parameter: the API answers 400; the page says why and
		// shows the whole caseload.
		for _, q := range []string{"sort=age", "flag=maybe", "days=30"} {
			expect(t, e.call(t, "GET", "/api/v1/clients?"+q, e.provider, nil), http.StatusBadRequest, "invalid", "API "+q)
		}
		rec := e.call(t, "GET", "/clients?sort=age", e.provider, nil)
		expect(t, rec, http.StatusBadRequest, "", "the page with a bad sort")
		if body := rec.Body.String(); !strings.Contains(body, `<p class="error" role="alert" id="find-error">Sort must be need, name or session.</p>`) ||
			len(rowRe.FindAllString(body, -1)) != 3 {
			t.Errorf("the page with a bad sort:\n%s", body)
		}

		// A search costs the audit rows the caseload costs, no more.
		before := e.count(t, "audit_events")
		page("")
		plain := e.count(t, "audit_events") - before
		before = e.count(t, "audit_events")
		page("q=zo&flag=true&review=true&sort=session")
		if found := e.count(t, "audit_events") - before; found != plain {
			t.Errorf("a search wrote %d audit rows, the caseload %d", found, plain)
		}
	})
}
