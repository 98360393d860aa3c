package web

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestCaseloadPages: the provider's home is the caseload, ordered by need
// with the reasons shown beside each client, and GET /api/v1/clients
// answers the same order with the same reasons (API.md); a client has no
// caseload (AC-03).
func TestCaseloadPages(t *testing.T) {
	t.Parallel()
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
		if !strings.Contains(list[zi:ci], `<li class="reason-unread_messages">2 unread messages</li>`) {
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

// TestCaseloadMeasureReasons: a flagged PHQ-9, a reliable deterioration
// and an overdue questionnaire place their clients on the page and in
// GET /api/v1/clients as issue #7 orders them, each row saying why, with
// codes and figures in the API (AC-03).
func TestCaseloadMeasureReasons(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		e := newPlanEnv(t, db)
		provider := e.c.Actor(e.c.Provider)
		newClient := func(name string) care.User {
			u := care.User{ClinicID: e.c.Clinic.ID, Role: care.RoleClient, Email: name + "@caseload.test", DisplayName: name}
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
		// Olga's GAD-7 fell due four days ago, unanswered since.
		now := db.Clock.Now()
		olga := newClient("Olga")
		db.Clock.Advance(-4 * 24 * time.Hour)
		schedule(olga, "gad7")
		db.Clock.Advance(4 * 24 * time.Hour)
		// Walt's PHQ-9 rose from 4 to 14; Fran answers item 9 with 2.
		walt, fran := newClient("Walt"), newClient("Fran")
		wm := schedule(walt, "phq9")
		if err := db.Store.ImportMeasureHistory(ctx, e.c.Actor(walt), walt.ID, wm.ID, []store.PastAnswers{
			{At: now.Add(-30 * 24 * time.Hour), Answers: []int{1, 1, 1, 1, 0, 0, 0, 0, 0}},
			{At: now.Add(-time.Hour), Answers: []int{2, 2, 2, 2, 2, 2, 1, 1, 0}},
		}); err != nil {
			t.Fatal(err)
		}
		fm := schedule(fran, "phq9")
		if _, err := db.Store.AnswerMeasure(ctx, e.c.Actor(fran), fran.ID, fm.ID, []int{1, 1, 0, 0, 0, 0, 0, 0, 2}, nil); err != nil {
			t.Fatal(err)
		}

		type reason struct{ Code, Text string }
		type row struct {
			ID             string   `json:"id"`
			OpenFlags      int      `json:"open_safety_flags"`
			Reasons        []string `json:"reasons"`
			ReasonDetails  []reason `json:"reason_details"`
			Deteriorations []struct {
				Instrument       string  `json:"instrument"`
				Baseline, Latest int     `json:"-"`
				RCI              float64 `json:"rci"`
			} `json:"deteriorations"`
			Overdue []struct {
				Instrument string `json:"instrument"`
				DueAt      string `json:"due_at"`
			} `json:"overdue_measures"`
		}
		got := respJSON[struct {
			Clients []row `json:"clients"`
		}](t, e.call(t, "GET", "/api/v1/clients", e.provider, nil))
		var order []string
		for _, c := range got.Clients {
			order = append(order, c.ID)
		}
		if want := []string{fran.ID, walt.ID, olga.ID, e.c.Client.ID}; strings.Join(order, " ") != strings.Join(want, " ") {
			t.Fatalf("API order %q, want %q", order, want)
		}
		fr, wr, or := got.Clients[0], got.Clients[1], got.Clients[2]
		if fr.OpenFlags != 1 || strings.Join(fr.Reasons, "|") != "1 open safety flag" || len(fr.ReasonDetails) != 1 || fr.ReasonDetails[0].Code != "safety_flag" {
			t.Errorf("Fran's row %+v", fr)
		}
		if strings.Join(wr.Reasons, "|") != "PHQ-9 reliably worse: 14 since a baseline of 4" || len(wr.Deteriorations) != 1 ||
			wr.Deteriorations[0].Instrument != "phq9" || wr.Deteriorations[0].RCI < 1.96 || wr.ReasonDetails[0].Code != "deterioration" {
			t.Errorf("Walt's row %+v", wr)
		}
		if strings.Join(or.Reasons, "|") != "GAD-7 overdue by 4 days" || len(or.Overdue) != 1 || or.Overdue[0].Instrument != "gad7" ||
			or.ReasonDetails[0].Code != "overdue_measure" {
			t.Errorf("Olga's row %+v", or)
		}

		rec := e.call(t, "GET", "/clients", e.provider, nil)
		expect(t, rec, http.StatusOK, "", "the caseload")
		body := rec.Body.String()
		list := body[strings.Index(body, `<ol class="rows caseload"`):]
		list = list[:strings.Index(list, "</ol>")]
		fi, wi, oi := strings.Index(list, `href="/clients/`+fran.ID+`"`), strings.Index(list, `href="/clients/`+walt.ID+`"`), strings.Index(list, `href="/clients/`+olga.ID+`"`)
		if fi < 0 || fi > wi || wi > oi {
			t.Fatalf("page order: Fran %d, Walt %d, Olga %d\n%s", fi, wi, oi, list)
		}
		for _, want := range []string{
			`<a class="tag flag" href="/clients/` + fran.ID + `#flags">1 open safety flag</a>`,
			`<a class="tag worse" href="/clients/` + walt.ID + `#measures">PHQ-9 reliably worse: 14 since a baseline of 4</a>`,
			`<li class="reason-overdue_measure">GAD-7 overdue by 4 days</li>`,
		} {
			if !strings.Contains(list, want) {
				t.Errorf("the page lacks %s\n%s", want, list)
			}
		}
	})
}
