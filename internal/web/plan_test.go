package web

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// ---- The authorization matrix (authz_test.go) ----

// clientOrTeam: the client and their care team; nobody else sees the
// record (admins only through break-glass, which the matrix does not open
// for these clients).
func clientOrTeam(status int) func(caller, target) int {
	return func(c caller, tg target) int {
		switch {
		case c == asAnonymous:
			return 401
		case c == asClient && tg == tSelf, c == asProvider && tg == tTeam:
			return status
		}
		return 404
	}
}

// teamOnly: the care team; the client sees their record but may not do
// this (403).
func teamOnly(status int) func(caller, target) int {
	return func(c caller, tg target) int {
		switch {
		case c == asAnonymous:
			return 401
		case c == asProvider && tg == tTeam:
			return status
		case c == asClient && tg == tSelf:
			return 403
		}
		return 404
	}
}

// clientAlone: the client; their care team sees the record but may not do
// this (403).
func clientAlone(status int) func(caller, target) int {
	return func(c caller, tg target) int {
		switch {
		case c == asAnonymous:
			return 401
		case c == asClient && tg == tSelf:
			return status
		case c == asProvider && tg == tTeam:
			return 403
		}
		return 404
	}
}

// providerOf is the actor of a seeded client's provider; ok is false for
// anyone who is not a seeded client.
func (w *authzWorld) providerOf(u care.User) (care.Actor, bool) {
	for _, k := range []*storetest.Clinic{w.a, w.b} {
		switch u.ID {
		case k.Client.ID:
			return k.Actor(k.Provider), true
		case k.OtherClient.ID:
			return k.Actor(k.OtherProvider), true
		}
	}
	return care.Actor{}, false
}

// planOf makes sure the user in relation tg to the caller, if a client,
// has a saved plan with a goal, and returns the user's id and a goal id
// (a made-up one for someone who is not a client).
func (w *authzWorld) planOf(t *testing.T, c caller, tg target) (clientID, goalID string) {
	t.Helper()
	u := w.user(c, tg)
	provider, ok := w.providerOf(u)
	if !ok {
		return u.ID, care.NewID()
	}
	ctx := context.Background()
	p, err := w.e.db.Store.Plan(ctx, provider, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Goals) == 0 {
		if p, err = w.e.db.Store.SavePlan(ctx, provider, u.ID, []care.Goal{{Title: "Sleep better"}}, store.AnyVersion); err != nil {
			t.Fatal(err)
		}
	}
	if u.ClinicID == w.b.Clinic.ID {
		w.foreign = append(w.foreign, p.Goals[0].ID)
	}
	return u.ID, p.Goals[0].ID
}

// sessionOfClient is a session, started an hour ago, of the user in
// relation tg to the caller.
func (w *authzWorld) sessionOfClient(t *testing.T, c caller, tg target) (clientID, sessionID string) {
	t.Helper()
	u := w.user(c, tg)
	provider, ok := w.providerOf(u)
	if !ok {
		return u.ID, care.NewID()
	}
	a := &care.Appointment{StartsAt: w.e.db.Clock.Now().Add(-time.Hour)}
	if err := w.e.db.Store.CreateAppointment(context.Background(), provider, u.ID, a); err != nil {
		t.Fatal(err)
	}
	if u.ClinicID == w.b.Clinic.ID {
		w.foreign = append(w.foreign, a.ID)
	}
	return u.ID, a.ID
}

// taskOfClient is a new one-off task due today of the user in relation tg
// to the caller.
func (w *authzWorld) taskOfClient(t *testing.T, c caller, tg target) (clientID, taskID string) {
	t.Helper()
	u := w.user(c, tg)
	provider, ok := w.providerOf(u)
	if !ok {
		return u.ID, care.NewID()
	}
	task := &care.Task{Title: "Breathe", DueDate: care.DayIn(w.e.db.Clock.Now(), "UTC")}
	if err := w.e.db.Store.CreateTask(context.Background(), provider, u.ID, task); err != nil {
		t.Fatal(err)
	}
	if u.ClinicID == w.b.Clinic.ID {
		w.foreign = append(w.foreign, task.ID)
	}
	return u.ID, task.ID
}

func clientPath(w *authzWorld, c caller, tg target, suffix string) string {
	return "/api/v1/clients/" + w.user(c, tg).ID + suffix
}

var (
	planReadRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		return clientPath(w, c, tg, "/plan"), nil
	}}
	planSaveRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		return clientPath(w, c, tg, "/plan"), map[string]any{"goals": []map[string]any{
			{"title": "Sleep better", "objectives": []map[string]any{{"text": "Lights out by eleven"}}},
		}}
	}}
	planVersionsRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		id, _ := w.planOf(t, c, tg)
		return "/api/v1/clients/" + id + "/plan/versions", nil
	}}
	planVersionRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		id, _ := w.planOf(t, c, tg)
		return "/api/v1/clients/" + id + "/plan/versions/1", nil
	}}
	goalCommentRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		id, goal := w.planOf(t, c, tg)
		return "/api/v1/clients/" + id + "/plan/goals/" + goal + "/comments", map[string]string{"text": "It went well"}
	}}
	sessionsReadRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		return clientPath(w, c, tg, "/sessions"), nil
	}}
	sessionCreateRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		return clientPath(w, c, tg, "/sessions"), map[string]any{"starts_at": w.e.db.Clock.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)}
	}}
	sessionUpdateRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		id, sid := w.sessionOfClient(t, c, tg)
		return "/api/v1/clients/" + id + "/sessions/" + sid, map[string]string{"status": "held"}
	}}
	tasksReadRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		return clientPath(w, c, tg, "/tasks"), nil
	}}
	taskCreateRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		return clientPath(w, c, tg, "/tasks"), map[string]string{"title": "Breathe", "due_date": string(care.DayIn(w.e.db.Clock.Now(), "UTC"))}
	}}
	taskCompleteRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		id, tid := w.taskOfClient(t, c, tg)
		return "/api/v1/clients/" + id + "/tasks/" + tid + "/complete", map[string]string{"note": "done"}
	}}
	// taskUndoRequest takes back a completion made today by the task's
	// client (an unknown task for anyone else).
	taskUndoRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		id, tid := w.taskOfClient(t, c, tg)
		day := care.DayIn(w.e.db.Clock.Now(), "UTC")
		if u := w.user(c, tg); u.Role == care.RoleClient {
			if _, ok := w.providerOf(u); ok {
				if _, err := w.e.db.Store.CompleteTask(context.Background(), actorOf(u), id, tid, day, ""); err != nil {
					t.Fatal(err)
				}
			}
		}
		return "/api/v1/clients/" + id + "/tasks/" + tid + "/complete/" + string(day), nil
	}}
)

// ---- Page samples for TestEveryPageTemplate ----

// planXSS is stored text that must render inert on every page.
const planXSS = `<script>alert("plan")</script><img src=x onerror=alert(2)>`

func sampleGoalViews() []goalView {
	goals := goalViews([]care.Goal{{ID: "g1", Title: planXSS, ClinicalWording: "Clinical", TargetDate: "2027-01-31", Status: care.GoalActive,
		Objectives: []care.Objective{{ID: "o1", Text: "Walk", Status: care.ObjectiveMet, TargetDate: "2027-01-15"}},
		Comments:   []care.GoalComment{{ID: "m1", AuthorName: "Sam", AuthorRole: care.RoleClient, Text: "It helps", CreatedAt: time.Now()}}}}, "UTC")
	withCommentForms(goals, "c1", &formProblem{Section: "goal-g1", Message: "Text is required.", Field: "text"}, url.Values{"text": {"x"}})
	return goals
}

func sampleDue() []dueView {
	due := dueViews([]care.DueTask{
		{Task: care.Task{ID: "t1", Title: "Breathe", Instructions: "Slowly", GoalTitle: "Sleep"}, Day: "2026-11-20", Overdue: true},
		{Task: care.Task{ID: "t2", Title: "Walk"}, Day: "2026-11-21", Done: true, DoneAt: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)},
	}, "2026-11-21", "UTC", "c1", "tasks")
	withProblem(due, &formProblem{Section: "task-t1", Message: "Note must be at most 2000 characters.", Field: "note"}, url.Values{"occurrence": {"2026-11-20"}})
	return due
}

func sampleTaskList() *store.TaskList {
	return &store.TaskList{Today: "2026-11-21", From: "2026-11-14", To: "2026-12-05", TimeZone: "UTC", Tasks: []care.Task{
		{ID: "t1", Title: "Breathe", Recurrence: "weekly:1,3", DueDate: "2026-11-01", EndsOn: "2026-12-31", GoalTitle: "Sleep",
			Occurrences: []care.Occurrence{{Day: "2026-11-16", Done: true, Note: "ok", CompletedAt: time.Now()}, {Day: "2026-11-18"}, {Day: "2026-11-23"}}},
		{ID: "t2", Title: "Write", DueDate: "2026-11-25", Occurrences: []care.Occurrence{{Day: "2026-11-25"}}},
	}}
}

func clientRecordSample(l Layout) *clientRecordPage {
	row := appointmentRow{ID: "s1", When: "Mon", WhenISO: "2026-11-20T10:00:00Z", Minutes: 50, Status: "scheduled", StatusLabel: "Scheduled",
		Provider: "Dana", CanHold: true, CanCancel: true}
	p := &clientRecordPage{Layout: l, Flags: []flagView{{ID: "f1", Kind: "Crisis language", When: "Mon", WhenISO: "2026-11-20T09:00:00Z", Source: "a message", SourceURL: "/clients/c1/messages#m-m1", Action: "/clients/c1/safety-flags/f1/acknowledge"}}, ClientID: "c1", ClientName: "Sam", ClientZone: "UTC", CanEdit: true, Version: 2,
		Goals: sampleGoalViews(), Last: &row, Next: &row, Sessions: []appointmentRow{row, {ID: "s2", Status: "cancelled", CanRestore: true}},
		Tasks: taskViews(sampleTaskList(), "UTC"), Today: "2026-11-21", Versions: []versionRow{{Version: 2, When: "now", By: "Dana"}},
		GoalOptions: []option{{"", "No particular goal", false}, {"g1", "Sleep", true}}, Weekdays: []option{{"1", "Monday", true}},
		Recurrences: []option{{"once", "Once", true}}, StartDefault: "2026-11-28T10:00", Form: url.Values{"title": {"x"}},
		Problem: &formProblem{Section: "tasks", Message: "Title is required.", Field: "title"},
		Measures: &recordMeasures{Schedules: []scheduleRow{{ID: "m1", Name: "PHQ-9", Every: "Every week", IsDue: true}, {ID: "m2", Name: "GAD-7", Stopped: true}},
			Scores: scoreRows(sampleResponses(), "UTC"), Instruments: []option{{"phq9", "Depression (PHQ-9)", false}}, Reliable: []string{"PHQ-9: 4 points or more"}},
		CheckIns: &recordCheckIns{Weekdays: []option{{"mon", "Monday", true}}, Time: "18:00", Zone: "UTC", Next: "Mon", Active: true, Missed: 1,
			Rows: []checkInRow{{When: "Mon", WhenISO: "2026-11-20T18:00:00Z", Status: "missed", StatusLabel: "Missed"}}},
		SharedEntries: sampleTimeline()}
	p.withTabs("")
	return p
}

func planEditSample(l Layout) *planEditPage {
	p := newEditPage(l, &care.User{ID: "c1", DisplayName: "Sam"}, 3, care.Goal{ID: "g1", Title: "Sleep",
		Objectives: []care.Objective{{ID: "o1", Text: "Walk", Status: care.ObjectiveOpen}}}, false)
	p.Problem = &formProblem{Section: "goal", Message: "Objective 1 is required.", Field: "obj-0-text"}
	return p
}

func planVersionSample(l Layout) *planVersionPage {
	return &planVersionPage{Layout: l, ClientID: "c1", ClientName: "Sam", Version: 1, When: "now", By: "Dana", Goals: sampleGoalViews()}
}

func clientPlanSample(l Layout) *clientPlanPage {
	return &clientPlanPage{Layout: l, ClientID: "c1", Goals: sampleGoalViews(), Updated: "now"}
}

func clientTasksSample(l Layout) *clientTasksPage {
	missed := dueViews([]care.DueTask{{Task: care.Task{ID: "t1", Title: "Breathe"}, Day: "2026-11-18"}}, "2026-11-21", "UTC", "c1", "tasks")
	return &clientTasksPage{Layout: l, ClientID: "c1", Today: "Sat 21 Nov 2026", Due: sampleDue(), Missed: missed,
		Tasks: taskViews(sampleTaskList(), "UTC")}
}

// ---- Helpers ----

// planEnv is a clinic with a signed-in client, their provider and another
// team's provider.
type planEnv struct {
	*webEnv
	c                       *storetest.Clinic
	client, provider, other string // bearer tokens
	base                    string // /api/v1/clients/{client}
}

func newPlanEnv(t *testing.T, db *storetest.DB) *planEnv {
	t.Helper()
	e := newWebEnv(t, db)
	c := storetest.SeedClinic(t, db.Store, "Plan Clinic")
	for _, u := range []care.User{c.Client, c.Provider, c.OtherProvider, c.Admin} {
		e.setPassword(t, u)
	}
	for _, u := range c.Staff() {
		e.enrollTOTP(t, u)
	}
	return &planEnv{webEnv: e, c: c, client: e.signIn(t, c.Client), provider: e.signIn(t, c.Provider), other: e.signIn(t, c.OtherProvider),
		base: "/api/v1/clients/" + c.Client.ID}
}

// postForm posts a urlencoded form with a bearer token, as a same-origin
// browser would.
func (e *webEnv) postForm(t *testing.T, path, token string, v url.Values) *httptest.ResponseRecorder {
	t.Helper()
	return e.send(t, envRequest{method: "POST", path: path, token: token, body: v.Encode(), contentType: "application/x-www-form-urlencoded"})
}

func (e *webEnv) rows(t *testing.T, table string) int { return e.count(t, table) }

type planOf struct {
	Version int `json:"version"`
	Goals   []struct {
		ID              string  `json:"id"`
		Title           string  `json:"title"`
		ClinicalWording *string `json:"clinical_wording"`
		TargetDate      *string `json:"target_date"`
		Status          string  `json:"status"`
		Objectives      []struct {
			ID     string `json:"id"`
			Text   string `json:"text"`
			Status string `json:"status"`
		} `json:"objectives"`
		Comments []struct {
			Text   string `json:"text"`
			Author struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"author"`
			Role string `json:"author_role"`
		} `json:"comments"`
	} `json:"goals"`
}

// ---- The JSON API ----

// TestPlanAPI: the care team writes the plan, every save is a version,
// the client reads it and comments; malformed plans answer 400 naming the
// field and store nothing; reads and writes are audited.
func TestPlanAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		body := map[string]any{"goals": []map[string]any{
			{"title": "Sleep through the night", "clinical_wording": "Insomnia: improve sleep continuity", "target_date": "2027-02-01",
				"objectives": []map[string]any{{"text": "No screens after ten"}, {"text": "Same wake time", "status": "met", "target_date": nil}}},
			{"title": "See friends", "status": "paused"},
		}}
		rec := e.call(t, "PUT", e.base+"/plan", e.provider, body)
		expect(t, rec, http.StatusOK, "", "saving the plan")
		p := respJSON[planOf](t, rec)
		if p.Version != 1 || len(p.Goals) != 2 || p.Goals[0].ID == "" || len(p.Goals[0].Objectives) != 2 || p.Goals[0].Objectives[1].Status != "met" ||
			p.Goals[1].Status != "paused" || p.Goals[1].ClinicalWording != nil || *p.Goals[0].TargetDate != "2027-02-01" {
			t.Fatalf("saved plan: %s", rec.Body)
		}
		if got := e.auditOf(t, rec.Header().Get("X-Request-Id")); len(got) != 1 || got[0] != "plan.write success "+e.c.Provider.ID+" "+e.c.Client.ID+" "+e.c.Client.ID {
			t.Errorf("audit of the save: %q", got)
		}

		// The client reads it, and comments on a goal.
		rec = e.call(t, "GET", e.base+"/plan", e.client, nil)
		expect(t, rec, http.StatusOK, "", "the client reads the plan")
		if got := respJSON[planOf](t, rec); len(got.Goals) != 2 || got.Goals[0].Title != "Sleep through the night" {
			t.Errorf("the client's plan: %s", rec.Body)
		}
		if got := e.auditOf(t, rec.Header().Get("X-Request-Id")); len(got) != 1 || got[0] != "plan.read success "+e.c.Client.ID+" "+e.c.Client.ID+" "+e.c.Client.ID {
			t.Errorf("audit of the read: %q", got)
		}
		goal := p.Goals[0].ID
		rec = e.call(t, "POST", e.base+"/plan/goals/"+goal+"/comments", e.client, map[string]string{"text": "Two good nights"})
		expect(t, rec, http.StatusCreated, "", "the client comments")
		db.Clock.Advance(time.Second)
		rec = e.call(t, "POST", e.base+"/plan/goals/"+goal+"/comments", e.provider, map[string]string{"text": "Keep it up"})
		expect(t, rec, http.StatusCreated, "", "the provider comments")
		got := respJSON[planOf](t, e.call(t, "GET", e.base+"/plan", e.provider, nil))
		if cs := got.Goals[0].Comments; len(cs) != 2 || cs[0].Text != "Two good nights" || cs[0].Role != "client" || cs[0].Author.ID != e.c.Client.ID ||
			cs[1].Author.Name != "provider" {
			t.Errorf("comments: %+v", cs)
		}

		// Another save, from version 1, then a stale one.
		edit := map[string]any{"version": 1, "goals": []map[string]any{{"id": goal, "title": "Sleep seven hours"}}}
		expect(t, e.call(t, "PUT", e.base+"/plan", e.provider, edit), http.StatusOK, "", "saving version 2")
		expect(t, e.call(t, "PUT", e.base+"/plan", e.provider, edit), http.StatusConflict, "conflict", "saving over version 2 from version 1")
		rec = e.call(t, "GET", e.base+"/plan/versions", e.provider, nil)
		expect(t, rec, http.StatusOK, "", "the versions")
		vs := respJSON[struct {
			Versions []struct {
				Version   int        `json:"version"`
				ChangedBy personJSON `json:"changed_by"`
				ChangedAt time.Time  `json:"changed_at"`
			} `json:"versions"`
		}](t, rec).Versions
		if len(vs) != 2 || vs[0].Version != 2 || vs[1].Version != 1 || vs[0].ChangedBy.ID != e.c.Provider.ID || vs[0].ChangedAt.IsZero() {
			t.Errorf("versions: %s", rec.Body)
		}
		rec = e.call(t, "GET", e.base+"/plan/versions/1", e.provider, nil)
		expect(t, rec, http.StatusOK, "", "version 1")
		if v1 := respJSON[planOf](t, rec); len(v1.Goals) != 2 || v1.Goals[0].Title != "Sleep through the night" || v1.Version != 1 {
			t.Errorf("version 1: %s", rec.Body)
		}
		expect(t, e.call(t, "GET", e.base+"/plan/versions/7", e.provider, nil), http.StatusNotFound, "not_found", "a version that does not exist")
		expect(t, e.call(t, "GET", e.base+"/plan/versions/x", e.provider, nil), http.StatusNotFound, "not_found", "a malformed version")
		expect(t, e.call(t, "GET", e.base+"/plan/versions", e.client, nil), http.StatusForbidden, "forbidden", "the client at the history")
		expect(t, e.call(t, "GET", e.base+"/plan/versions?limit=x", e.provider, nil), http.StatusBadRequest, "invalid", "a malformed limit")

		// Refusals.
		expect(t, e.call(t, "PUT", e.base+"/plan", e.client, body), http.StatusForbidden, "forbidden", "the client saves")
		for _, token := range []string{e.other, e.signIn(t, e.c.Admin)} {
			expect(t, e.call(t, "GET", e.base+"/plan", token, nil), http.StatusNotFound, "not_found", "reading another team's plan")
			expect(t, e.call(t, "PUT", e.base+"/plan", token, body), http.StatusNotFound, "not_found", "saving another team's plan")
			expect(t, e.call(t, "POST", e.base+"/plan/goals/"+goal+"/comments", token, map[string]string{"text": "hi"}), http.StatusNotFound, "not_found", "commenting")
		}
		if n := e.rows(t, "plan_versions"); n != 2 {
			t.Errorf("%d plan versions, want 2", n)
		}
	})
}

// TestPlanAPIValidation: each malformed plan answers 400 naming the field,
// and stores nothing.
func TestPlanAPIValidation(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		theirs, err := db.Store.SavePlan(context.Background(), e.c.Actor(e.c.OtherProvider), e.c.OtherClient.ID, []care.Goal{{Title: "Theirs"}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		goal := func(fields map[string]any) map[string]any {
			g := map[string]any{"title": "ok"}
			for k, v := range fields {
				g[k] = v
			}
			return g
		}
		many := make([]map[string]any, 21)
		for i := range many {
			many[i] = goal(nil)
		}
		for _, tt := range []struct {
			field string
			body  any
		}{
			{"goals", map[string]any{}},
			{"goals", map[string]any{"goals": many}},
			{"goals[1].title", map[string]any{"goals": []any{goal(nil), map[string]any{"title": ""}}}},
			{"goals[0].title", map[string]any{"goals": []any{goal(map[string]any{"title": strings.Repeat("a", 301)})}}},
			{"goals[0].target_date", map[string]any{"goals": []any{goal(map[string]any{"target_date": "2027-1-5"})}}},
			{"goals[0].status", map[string]any{"goals": []any{goal(map[string]any{"status": "finished"})}}},
			{"goals[0].id", map[string]any{"goals": []any{goal(map[string]any{"id": theirs.Goals[0].ID})}}},
			{"goals[0].objectives[0].text", map[string]any{"goals": []any{goal(map[string]any{"objectives": []any{map[string]any{"text": " "}}})}}},
			{"goals[0].unknown", map[string]any{"goals": []any{goal(map[string]any{"unknown": 1})}}},
			{"goals[0].title", map[string]any{"goals": []any{map[string]any{"title": 5}}}},
		} {
			rec := e.call(t, "PUT", e.base+"/plan", e.provider, tt.body)
			expect(t, rec, http.StatusBadRequest, "invalid", tt.field)
			if f := respError(rec).Error.Field; f != tt.field {
				t.Errorf("%s: refused on %q: %s", tt.field, f, rec.Body)
			}
		}
		if n := e.rows(t, "plan_versions"); n != 1 {
			t.Errorf("%d plan versions after refused saves, want 1", n)
		}
		if n := e.rows(t, "goals"); n != 1 {
			t.Errorf("%d goals after refused saves, want 1", n)
		}
		// Comments.
		for _, tt := range []struct {
			text  string
			field string
		}{{"", "text"}, {strings.Repeat("c", 2001), "text"}} {
			rec := e.call(t, "POST", "/api/v1/clients/"+e.c.OtherClient.ID+"/plan/goals/"+theirs.Goals[0].ID+"/comments",
				e.signIn(t, e.c.OtherProvider), map[string]string{"text": tt.text})
			expect(t, rec, http.StatusBadRequest, "invalid", "a comment")
			if f := respError(rec).Error.Field; f != tt.field {
				t.Errorf("comment refused on %q", f)
			}
		}
		// Another client's goal, named through this client's record.
		expect(t, e.call(t, "POST", e.base+"/plan/goals/"+theirs.Goals[0].ID+"/comments", e.client, map[string]string{"text": "hi"}),
			http.StatusNotFound, "not_found", "commenting on another client's goal")
		if n := e.rows(t, "goal_comments"); n != 0 {
			t.Errorf("%d comments stored", n)
		}
	})
}

// TestSessionsAPI: the care team schedules and marks sessions; the client
// reads them; the client's home shows the next one.
func TestSessionsAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		now := db.Clock.Now().UTC()
		rec := e.call(t, "POST", e.base+"/sessions", e.provider, map[string]any{"starts_at": now.Add(48 * time.Hour).Format(time.RFC3339), "minutes": 45})
		expect(t, rec, http.StatusCreated, "", "scheduling")
		next := respJSON[appointmentJSON](t, rec)
		if next.Minutes != 45 || next.Status != "scheduled" || next.Provider.ID != e.c.Provider.ID || !next.EndsAt.Equal(next.StartsAt.Add(45*time.Minute)) {
			t.Errorf("scheduled: %s", rec.Body)
		}
		rec = e.call(t, "POST", e.base+"/sessions", e.provider, map[string]any{"starts_at": now.Add(-72 * time.Hour).Format(time.RFC3339), "status": "held"})
		expect(t, rec, http.StatusCreated, "", "recording a held session")
		held := respJSON[appointmentJSON](t, rec)

		rec = e.call(t, "GET", e.base+"/sessions", e.client, nil)
		expect(t, rec, http.StatusOK, "", "the client lists sessions")
		list := respJSON[struct {
			Sessions []appointmentJSON `json:"sessions"`
		}](t, rec).Sessions
		if len(list) != 2 || list[0].ID != next.ID || list[1].ID != held.ID {
			t.Errorf("sessions: %s", rec.Body)
		}
		// The client's profile (API.md) carries the next and the last
		// held session.
		rec = e.call(t, "GET", e.base, e.provider, nil)
		expect(t, rec, http.StatusOK, "", "the client's profile")
		profile := respJSON[struct {
			Next *appointmentJSON `json:"next_session"`
			Last *appointmentJSON `json:"last_session"`
		}](t, rec)
		if profile.Next == nil || profile.Next.ID != next.ID || profile.Last == nil || profile.Last.ID != held.ID {
			t.Errorf("profile: %s", rec.Body)
		}
		home := e.call(t, "GET", "/", e.client, nil)
		expect(t, home, http.StatusOK, "", "the client's home")
		if !strings.Contains(home.Body.String(), next.StartsAt.Format(time.RFC3339)) {
			t.Errorf("the home page lacks the next session")
		}

		for _, tt := range []struct {
			body  any
			field string
		}{
			{map[string]any{"starts_at": "tomorrow"}, "starts_at"},
			{map[string]any{}, "starts_at"},
			{map[string]any{"starts_at": now.Format(time.RFC3339), "minutes": 0}, "minutes"},
			{map[string]any{"starts_at": now.Format(time.RFC3339), "minutes": 500}, "minutes"},
			{map[string]any{"starts_at": now.Format(time.RFC3339), "status": "missed"}, "status"},
			{map[string]any{"starts_at": now.Add(time.Hour).Format(time.RFC3339), "status": "held"}, "status"},
		} {
			rec := e.call(t, "POST", e.base+"/sessions", e.provider, tt.body)
			expect(t, rec, http.StatusBadRequest, "invalid", fmt.Sprint(tt.body))
			if f := respError(rec).Error.Field; f != tt.field {
				t.Errorf("%v: refused on %q", tt.body, f)
			}
		}
		path := e.base + "/sessions/" + next.ID
		expect(t, e.call(t, "PATCH", path, e.provider, map[string]string{"status": "held"}), http.StatusBadRequest, "invalid", "holding a future session")
		expect(t, e.call(t, "PATCH", path, e.client, map[string]string{"status": "cancelled"}), http.StatusForbidden, "forbidden", "the client cancels")
		expect(t, e.call(t, "PATCH", path, e.other, map[string]string{"status": "cancelled"}), http.StatusNotFound, "not_found", "another team cancels")
		expect(t, e.call(t, "POST", e.base+"/sessions", e.client, map[string]string{"starts_at": now.Format(time.RFC3339)}), http.StatusForbidden, "forbidden", "the client schedules")
		rec = e.call(t, "PATCH", path, e.provider, map[string]any{"status": "cancelled"})
		expect(t, rec, http.StatusOK, "", "cancelling")
		if got := e.auditOf(t, rec.Header().Get("X-Request-Id")); len(got) != 1 || got[0] != "appointment.update success "+e.c.Provider.ID+" "+next.ID+" "+e.c.Client.ID {
			t.Errorf("audit of the change: %q", got)
		}
		if n := e.rows(t, "appointments"); n != 2 {
			t.Errorf("%d sessions stored, want 2", n)
		}
	})
}

// TestTasksAPI: assigning, the occurrences of a recurring task, completing
// each once by the client only, and goals of the client's own plan only.
func TestTasksAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		ctx := context.Background()
		mine, err := db.Store.SavePlan(ctx, e.c.Actor(e.c.Provider), e.c.Client.ID, []care.Goal{{Title: "Sleep"}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := db.Store.SavePlan(ctx, e.c.Actor(e.c.OtherProvider), e.c.OtherClient.ID, []care.Goal{{Title: "Theirs"}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		today := care.DayIn(db.Clock.Now(), "UTC")
		rec := e.call(t, "POST", e.base+"/tasks", e.provider, map[string]any{"title": "Breathe", "instructions": "Four counts in",
			"due_date": string(today.AddDays(-2)), "recurrence": "daily", "ends_on": string(today.AddDays(2)), "goal_id": mine.Goals[0].ID})
		expect(t, rec, http.StatusCreated, "", "assigning a daily task")
		task := respJSON[taskJSON](t, rec)

		for _, tt := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"title": "x", "due_date": string(today), "goal_id": theirs.Goals[0].ID}, "goal_id"},
			{map[string]any{"title": "x", "due_date": "soon"}, "due_date"},
			{map[string]any{"title": "", "due_date": string(today)}, "title"},
			{map[string]any{"title": "x", "due_date": string(today), "recurrence": "weekly:9"}, "recurrence"},
			{map[string]any{"title": "x", "due_date": string(today), "ends_on": string(today)}, "ends_on"},
		} {
			rec := e.call(t, "POST", e.base+"/tasks", e.provider, tt.body)
			expect(t, rec, http.StatusBadRequest, "invalid", fmt.Sprint(tt.body))
			if f := respError(rec).Error.Field; f != tt.field {
				t.Errorf("%v: refused on %q", tt.body, f)
			}
		}
		if n := e.rows(t, "tasks"); n != 1 {
			t.Errorf("%d tasks stored, want 1", n)
		}

		rec = e.call(t, "GET", e.base+"/tasks", e.client, nil)
		expect(t, rec, http.StatusOK, "", "the client's tasks")
		list := respJSON[struct {
			Tasks []taskJSON `json:"tasks"`
			Today string     `json:"today"`
		}](t, rec)
		if len(list.Tasks) != 1 || list.Today != string(today) || len(list.Tasks[0].Occurrences) != 5 || list.Tasks[0].Occurrences[0].Date != string(today.AddDays(-2)) {
			t.Fatalf("tasks: %s", rec.Body)
		}
		path := e.base + "/tasks/" + task.ID + "/complete"
		expect(t, e.call(t, "POST", path, e.provider, map[string]any{}), http.StatusForbidden, "forbidden", "the provider completes")
		expect(t, e.call(t, "POST", path, e.other, map[string]any{}), http.StatusNotFound, "not_found", "another team completes")
		rec = e.call(t, "POST", path, e.client, map[string]any{"note": "calmer"})
		expect(t, rec, http.StatusCreated, "", "completing today's")
		if got := respJSON[map[string]any](t, rec); got["occurrence"] != string(today) || got["note"] != "calmer" {
			t.Errorf("completion: %s", rec.Body)
		}
		expect(t, e.call(t, "POST", path, e.client, map[string]any{}), http.StatusConflict, "conflict", "completing today's again")
		expect(t, e.call(t, "POST", path, e.client, map[string]any{"occurrence": string(today.AddDays(-1))}), http.StatusCreated, "", "yesterday's")
		for _, occ := range []string{string(today.AddDays(1)), string(today.AddDays(-3)), "yesterday"} {
			rec := e.call(t, "POST", path, e.client, map[string]any{"occurrence": occ})
			expect(t, rec, http.StatusBadRequest, "invalid", "occurrence "+occ)
			if f := respError(rec).Error.Field; f != "occurrence" {
				t.Errorf("occurrence %s refused on %q", occ, f)
			}
		}
		expect(t, e.call(t, "POST", path, e.client, map[string]any{"note": strings.Repeat("n", 2001), "occurrence": string(today.AddDays(-2))}),
			http.StatusBadRequest, "invalid", "a long note")
		if n := e.rows(t, "task_completions"); n != 2 {
			t.Errorf("%d completions, want 2", n)
		}
		rec = e.call(t, "GET", e.base+"/tasks", e.provider, nil)
		occ := respJSON[struct {
			Tasks []taskJSON `json:"tasks"`
		}](t, rec).Tasks[0].Occurrences
		var done []string
		for _, o := range occ {
			if o.Done {
				done = append(done, o.Date)
				if o.Date == string(today) && (o.Note == nil || *o.Note != "calmer") {
					t.Errorf("the provider sees today's completion without its note: %+v", o)
				}
			}
		}
		if fmt.Sprint(done) != fmt.Sprint([]string{string(today.AddDays(-1)), string(today)}) {
			t.Errorf("done occurrences: %v", done)
		}
	})
}

// ---- The pages ----

// TestPlanPages: the provider's client page edits the plan, schedules and
// marks sessions and assigns tasks with plain forms; the client reads
// their plan, comments, and marks tasks done from /tasks and the home.
func TestPlanPages(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		id := e.c.Client.ID
		page := "/clients/" + id

		rec := e.call(t, "GET", "/clients", e.provider, nil)
		if !strings.Contains(rec.Body.String(), `href="/clients/`+id+`"`) {
			t.Errorf("the client list does not link the client's page")
		}
		rec = e.call(t, "GET", page+"?tab=all", e.provider, nil)
		expect(t, rec, http.StatusOK, "", "the client page")
		if src, err := templateFiles.ReadFile("templates/client_record.html"); err != nil || !strings.Contains(string(src), "<!-- journal timeline -->") {
			t.Errorf("client_record.html lacks the marked journal timeline section (%v)", err)
		}
		for _, want := range []string{`id="journal"`, `id="plan"`, `id="sessions"`, `id="tasks"`, `id="history"`, "/clients/" + id + "/plan/goals/new"} {
			if !strings.Contains(rec.Body.String(), want) {
				t.Errorf("the client page lacks %q", want)
			}
		}

		// Add a goal with two objectives (and a blank row).
		rec = e.call(t, "GET", page+"/plan/goals/new", e.provider, nil)
		expect(t, rec, http.StatusOK, "", "the new goal form")
		form := url.Values{"version": {"0"}, "title": {"Feel rested"}, "clinical_wording": {"Sleep hygiene"}, "target_date": {"2027-03-01"},
			"status": {"active"}, "objectives": {"3"}, "obj-0-id": {""}, "obj-0-text": {"Lights out by 11"}, "obj-0-status": {"open"},
			"obj-1-id": {""}, "obj-1-text": {""}, "obj-1-status": {"open"}, "obj-2-id": {""}, "obj-2-text": {"Morning walk"}, "obj-2-status": {"met"}}
		rec = e.postForm(t, page+"/plan/goals", e.provider, form)
		expect(t, rec, http.StatusSeeOther, "", "adding a goal")
		p, err := db.Store.Plan(context.Background(), e.c.Actor(e.c.Provider), id)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Goals) != 1 || len(p.Goals[0].Objectives) != 2 || p.Goals[0].Objectives[1].Status != care.ObjectiveMet || p.Version != 1 {
			t.Fatalf("the plan after the form: %+v", p)
		}
		gid := p.Goals[0].ID
		if loc := rec.Header().Get("Location"); loc != page+"?tab=plan&done=goal#goal-"+gid {
			t.Errorf("redirect to %q", loc)
		}

		// A refused edit names the objective and keeps what was typed.
		rec = e.call(t, "GET", page+"/plan/goals/"+gid, e.provider, nil)
		expect(t, rec, http.StatusOK, "", "the edit form")
		edit := url.Values{"version": {"1"}, "title": {"Feel rested most days"}, "status": {"active"}, "objectives": {"2"},
			"obj-0-id": {p.Goals[0].Objectives[0].ID}, "obj-0-text": {"Lights out by 11"}, "obj-0-status": {"open"},
			"obj-1-id": {p.Goals[0].Objectives[1].ID}, "obj-1-text": {"Morning walk"}, "obj-1-status": {"done"}}
		rec = e.postForm(t, page+"/plan/goals/"+gid, e.provider, edit)
		expect(t, rec, http.StatusBadRequest, "", "a bad objective status")
		if b := rec.Body.String(); !strings.Contains(b, "Objective 2") || !strings.Contains(b, `id="obj-1-status" name="obj-1-status" aria-invalid="true"`) ||
			!strings.Contains(b, "Feel rested most days") {
			t.Errorf("the refused form: %s", b)
		}
		edit.Set("obj-1-status", "met")
		edit.Set("obj-0-remove", "1")
		expect(t, e.postForm(t, page+"/plan/goals/"+gid, e.provider, edit), http.StatusSeeOther, "", "saving the goal")
		// The same form again, from version 1, is a conflict.
		rec = e.postForm(t, page+"/plan/goals/"+gid, e.provider, edit)
		expect(t, rec, http.StatusConflict, "", "saving from an old version")
		if !strings.Contains(rec.Body.String(), "changed by someone else") || !strings.Contains(rec.Body.String(), `name="version" value="2"`) {
			t.Errorf("the conflict page: %s", rec.Body)
		}
		p, _ = db.Store.Plan(context.Background(), e.c.Actor(e.c.Provider), id)
		if p.Version != 2 || p.Goals[0].Title != "Feel rested most days" || len(p.Goals[0].Objectives) != 1 {
			t.Fatalf("after editing: %+v", p)
		}

		// Schedule a session, hold one, assign tasks.
		local := db.Clock.Now().Add(72 * time.Hour).UTC().Format("2006-01-02T15:04")
		expect(t, e.postForm(t, page+"/sessions", e.provider, url.Values{"starts_at": {local}, "minutes": {"50"}}), http.StatusSeeOther, "", "scheduling")
		rec = e.postForm(t, page+"/sessions", e.provider, url.Values{"starts_at": {"soon"}})
		expect(t, rec, http.StatusBadRequest, "", "a bad time")
		if !strings.Contains(rec.Body.String(), `id="starts_at" name="starts_at" type="datetime-local" required value="soon" aria-invalid="true"`) {
			t.Errorf("the refused session form is not marked")
		}
		past := &care.Appointment{StartsAt: db.Clock.Now().Add(-time.Hour)}
		if err := db.Store.CreateAppointment(context.Background(), e.c.Actor(e.c.Provider), id, past); err != nil {
			t.Fatal(err)
		}
		expect(t, e.postForm(t, page+"/sessions/"+past.ID, e.provider, url.Values{"status": {"held"}}), http.StatusSeeOther, "", "holding")
		last, next, err := db.Store.SessionSummary(context.Background(), e.c.Actor(e.c.Provider), id)
		if err != nil || last == nil || last.ID != past.ID || next == nil {
			t.Fatalf("summary: %+v %+v %v", last, next, err)
		}
		today := care.DayIn(db.Clock.Now(), "UTC")
		rec = e.postForm(t, page+"/tasks", e.provider, url.Values{"title": {"Breathe"}, "due_date": {string(today)}, "repeat": {"weekly"}, "goal_id": {gid}})
		expect(t, rec, http.StatusBadRequest, "", "weekly without weekdays")
		if !strings.Contains(rec.Body.String(), "weekday") {
			t.Errorf("the refusal does not name the weekdays")
		}
		expect(t, e.postForm(t, page+"/tasks", e.provider, url.Values{"title": {"Breathe"}, "due_date": {string(today)}, "repeat": {"daily"}, "goal_id": {gid}}),
			http.StatusSeeOther, "", "a daily task")
		expect(t, e.postForm(t, page+"/tasks", e.provider, url.Values{"title": {"Call a friend"}, "due_date": {string(today.AddDays(3))}, "repeat": {"once"}}),
			http.StatusSeeOther, "", "a one-off task")

		// The client: home, plan, tasks.
		rec = e.call(t, "GET", "/", e.client, nil)
		expect(t, rec, http.StatusOK, "", "the client's home")
		for _, want := range []string{"Next session", "Today", "Breathe"} {
			if !strings.Contains(rec.Body.String(), want) {
				t.Errorf("the client's home lacks %q", want)
			}
		}
		if strings.Contains(rec.Body.String(), "Call a friend") {
			t.Errorf("the client's home lists a task due in three days; home is about today")
		}
		rec = e.call(t, "GET", "/plan", e.client, nil)
		expect(t, rec, http.StatusOK, "", "the client's plan")
		if !strings.Contains(rec.Body.String(), "Feel rested most days") {
			t.Errorf("the client's plan lacks the goal")
		}
		rec = e.postForm(t, page+"/plan/goals/"+gid+"/comments", e.client, url.Values{"text": {""}})
		expect(t, rec, http.StatusBadRequest, "", "an empty comment")
		if !strings.Contains(rec.Body.String(), `aria-invalid="true" aria-describedby="comment-`+gid+`-error"`) {
			t.Errorf("the refused comment is not marked on /plan: %s", rec.Body)
		}
		rec = e.postForm(t, page+"/plan/goals/"+gid+"/comments", e.client, url.Values{"text": {"Slept well twice"}})
		expect(t, rec, http.StatusSeeOther, "", "a comment")
		if loc := rec.Header().Get("Location"); loc != "/plan?done=comment#goal-"+gid {
			t.Errorf("the comment leads to %q", loc)
		}
		list, err := db.Store.Tasks(context.Background(), e.c.Actor(e.c.Client), id)
		if err != nil {
			t.Fatal(err)
		}
		var daily string
		for _, task := range list.Tasks {
			if task.Recurring() {
				daily = task.ID
			}
		}
		rec = e.call(t, "GET", "/tasks", e.client, nil)
		expect(t, rec, http.StatusOK, "", "the client's tasks")
		if !strings.Contains(rec.Body.String(), "/clients/"+id+"/tasks/"+daily+"/complete") {
			t.Errorf("the tasks page has no form to complete the daily task")
		}
		rec = e.postForm(t, page+"/tasks/"+daily+"/complete", e.client, url.Values{"occurrence": {string(today)}, "note": {"Calmer"}, "return_to": {"home"}})
		expect(t, rec, http.StatusSeeOther, "", "completing")
		if loc := rec.Header().Get("Location"); loc != "/?done=completed" {
			t.Errorf("completing leads to %q", loc)
		}
		rec = e.postForm(t, page+"/tasks/"+daily+"/complete", e.client, url.Values{"occurrence": {string(today)}, "return_to": {"https://evil.example"}})
		expect(t, rec, http.StatusConflict, "", "completing twice")

		// The provider sees the completion, the comment and the history.
		rec = e.call(t, "GET", page+"?tab=all", e.provider, nil)
		for _, want := range []string{"Calmer", "Slept well twice", "Version 2", "/clients/" + id + "/plan/versions/1"} {
			if !strings.Contains(rec.Body.String(), want) {
				t.Errorf("the client page lacks %q", want)
			}
		}
		rec = e.call(t, "GET", page+"/plan/versions/1", e.provider, nil)
		expect(t, rec, http.StatusOK, "", "version 1")
		if !strings.Contains(rec.Body.String(), "Lights out by 11") {
			t.Errorf("version 1 lacks its objective")
		}

		// Nobody else gets the pages or the forms.
		for _, tt := range []struct{ method, path string }{
			{"GET", page}, {"GET", page + "/plan/goals/new"}, {"GET", page + "/plan/goals/" + gid}, {"GET", page + "/plan/versions/1"},
			{"POST", page + "/plan/goals"}, {"POST", page + "/plan/goals/" + gid}, {"POST", page + "/plan/goals/" + gid + "/comments"},
			{"POST", page + "/sessions"}, {"POST", page + "/sessions/" + past.ID}, {"POST", page + "/tasks"}, {"POST", page + "/tasks/" + daily + "/complete"},
		} {
			var rec *httptest.ResponseRecorder
			if tt.method == "GET" {
				rec = e.call(t, "GET", tt.path, e.other, nil)
			} else {
				rec = e.postForm(t, tt.path, e.other, url.Values{"text": {"x"}, "title": {"x"}, "status": {"held"}})
			}
			if rec.Code != http.StatusNotFound {
				t.Errorf("another team's provider: %s %s = %d", tt.method, tt.path, rec.Code)
			}
		}
		for _, path := range []string{page + "/plan/goals/new", page + "/plan/versions/1"} {
			if rec := e.call(t, "GET", path, e.client, nil); rec.Code != http.StatusForbidden && rec.Code != http.StatusNotFound {
				t.Errorf("the client at %s: %d", path, rec.Code)
			}
		}
		if rec := e.call(t, "GET", page, e.client, nil); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/plan" {
			t.Errorf("the client at their provider's page: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		for _, path := range []string{"/plan", "/tasks"} {
			if rec := e.call(t, "GET", path, e.provider, nil); rec.Code != http.StatusNotFound {
				t.Errorf("a provider at %s: %d", path, rec.Code)
			}
		}
	})
}

// TestTaskUndo: a client takes back a task marked done by mistake, on the
// page and through the API, until the end of that day in their zone; the
// care team cannot, a second undo changes nothing, and the next day the
// "done" stands.
func TestTaskUndo(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		id := e.c.Client.ID
		page := "/clients/" + id
		today := care.DayIn(db.Clock.Now(), e.c.Client.TimeZone)
		expect(t, e.postForm(t, page+"/tasks", e.provider, url.Values{"title": {"Breathe"}, "due_date": {string(today)}, "repeat": {"daily"}}),
			http.StatusSeeOther, "", "a daily task")
		list, err := db.Store.Tasks(context.Background(), e.c.Actor(e.c.Client), id)
		if err != nil || len(list.Tasks) != 1 {
			t.Fatalf("tasks: %v %v", list, err)
		}
		tid := list.Tasks[0].ID
		done := func() bool {
			t.Helper()
			due, err := db.Store.TasksDue(context.Background(), e.c.Actor(e.c.Client), id, care.DayIn(db.Clock.Now(), e.c.Client.TimeZone))
			if err != nil || len(due) != 1 {
				t.Fatalf("due: %v %v", due, err)
			}
			return due[0].Done
		}
		undo := url.Values{"occurrence": {string(today)}, "return_to": {"home"}}

		expect(t, e.postForm(t, page+"/tasks/"+tid+"/complete", e.client, undo), http.StatusSeeOther, "", "done")
		home := e.call(t, "GET", "/", e.client, nil).Body.String()
		if !strings.Contains(home, `action="`+page+`/tasks/`+tid+`/undo"`) {
			t.Errorf("the home page offers no undo for the task done today")
		}
		expect(t, e.postForm(t, page+"/tasks/"+tid+"/undo", e.provider, undo), http.StatusForbidden, "", "the provider's undo")
		if !done() {
			t.Fatal("the provider's refused undo changed the task")
		}
		rec := e.postForm(t, page+"/tasks/"+tid+"/undo", e.client, undo)
		expect(t, rec, http.StatusSeeOther, "", "the client's undo")
		if loc := rec.Header().Get("Location"); loc != "/?done=undone" {
			t.Errorf("the undo leads to %q", loc)
		}
		if done() {
			t.Fatal("the task is still done after the undo")
		}
		// A reload of the undo changes nothing and says the same.
		expect(t, e.postForm(t, page+"/tasks/"+tid+"/undo", e.client, undo), http.StatusSeeOther, "", "the undo again")
		expect(t, e.postForm(t, page+"/tasks/"+tid+"/undo", e.client, url.Values{"occurrence": {"yesterday"}}), http.StatusBadRequest, "", "a bad day")

		// The API, the same day; then done again, and the next day it stands.
		expect(t, e.postForm(t, page+"/tasks/"+tid+"/complete", e.client, undo), http.StatusSeeOther, "", "done again")
		api := e.base + "/tasks/" + tid + "/complete/" + string(today)
		expect(t, e.call(t, "DELETE", api, e.client, nil), http.StatusNoContent, "", "the API's undo")
		expect(t, e.call(t, "DELETE", api, e.client, nil), http.StatusNotFound, "not_found", "the API's undo of nothing")
		expect(t, e.postForm(t, page+"/tasks/"+tid+"/complete", e.client, undo), http.StatusSeeOther, "", "done a third time")
		db.Clock.Advance(24 * time.Hour)
		e.client = e.signIn(t, e.c.Client) // the day's session has ended
		expect(t, e.call(t, "DELETE", api, e.client, nil), http.StatusConflict, "conflict", "an undo the next day")
		if rows := e.count(t, "task_completions"); rows != 1 {
			t.Errorf("%d completions, want 1", rows)
		}
	})
}

// TestPlanStoredXSSIsInert: text stored in goals, objectives, comments,
// tasks and notes renders escaped on every page that shows it.
func TestPlanStoredXSSIsInert(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		id := e.c.Client.ID
		rec := e.call(t, "PUT", e.base+"/plan", e.provider, map[string]any{"goals": []map[string]any{
			{"title": planXSS, "clinical_wording": planXSS, "objectives": []map[string]any{{"text": planXSS}}},
		}})
		expect(t, rec, http.StatusOK, "", "saving a plan of payloads")
		gid := respJSON[planOf](t, rec).Goals[0].ID
		expect(t, e.call(t, "POST", e.base+"/plan/goals/"+gid+"/comments", e.client, map[string]string{"text": planXSS}), http.StatusCreated, "", "a comment")
		today := string(care.DayIn(db.Clock.Now(), "UTC"))
		rec = e.call(t, "POST", e.base+"/tasks", e.provider, map[string]any{"title": planXSS, "instructions": planXSS, "due_date": today, "recurrence": "daily", "goal_id": gid})
		expect(t, rec, http.StatusCreated, "", "a task")
		tid := respJSON[taskJSON](t, rec).ID
		expect(t, e.call(t, "POST", e.base+"/tasks/"+tid+"/complete", e.client, map[string]any{"note": planXSS}), http.StatusCreated, "", "a note")
		expect(t, e.call(t, "POST", e.base+"/tasks", e.provider, map[string]any{"title": planXSS, "due_date": today}), http.StatusCreated, "", "a one-off task")

		escaped := html.EscapeString(planXSS)
		for _, tt := range []struct{ path, token string }{
			{"/clients/" + id + "?tab=all", e.provider}, {"/clients/" + id + "/plan/goals/" + gid, e.provider}, {"/clients/" + id + "/plan/versions/1", e.provider},
			{"/plan", e.client}, {"/tasks", e.client}, {"/", e.client},
		} {
			rec := e.call(t, "GET", tt.path, tt.token, nil)
			expect(t, rec, http.StatusOK, "", tt.path)
			b := rec.Body.String()
			if strings.Contains(b, "<script>alert") || strings.Contains(b, "<img src=x") {
				t.Errorf("%s renders the payload live", tt.path)
			}
			if !strings.Contains(b, escaped) && !strings.Contains(b, strings.ReplaceAll(escaped, "&#34;", "&quot;")) && !strings.Contains(b, "&lt;script&gt;alert(&#34;plan&#34;)") {
				t.Errorf("%s does not show the payload as text", tt.path)
			}
		}
	})
}
