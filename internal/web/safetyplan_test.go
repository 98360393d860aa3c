package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// ---- The authorization matrix (authz_test.go) ----

// safetyPlanVersion is the latest version of a client's safety plan, read
// in SQL: the matrix's PUT names it, as a client that just read the plan
// would.
func safetyPlanVersion(t *testing.T, w *authzWorld, clientID string) int {
	t.Helper()
	var v int
	if err := w.e.db.Engine.SQLDB().QueryRow(`SELECT COALESCE(MAX(version), 0) FROM safety_plan_versions WHERE client_id = $1`, clientID).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

var (
	safetyPlanReadRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		return clientPath(w, c, tg, "/safety-plan"), nil
	}}
	safetyPlanSaveRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		id := w.user(c, tg).ID
		return "/api/v1/clients/" + id + "/safety-plan", map[string]any{"version": safetyPlanVersion(t, w, id),
			"warning_signs": []string{"Not sleeping"}, "reasons": []string{"My dog"}}
	}}
)

// ---- Every page template (web_test.go) ----

func safetyPlanSample(l Layout, edit bool) *safetyPlanPage {
	plan := &care.SafetyPlan{Version: 2, WarningSigns: []string{"Not sleeping"}, Coping: []string{}, Distraction: []string{}, Help: []string{"Ana, 555-0100"},
		Professionals: []string{"988"}, Environment: []string{}, Reasons: []string{"My dog"}}
	p := &safetyPlanPage{Layout: l, Self: true, ClientID: "c1", Base: "/safety-plan", CanEdit: true, Edit: edit, Version: 2, Updated: "now by Sam",
		History: []string{"Version 2, saved now by Sam", "Version 1, saved then by Dr. Lee"}}
	if edit {
		p.Problem = &formProblem{Section: "safety-plan", Message: "Warning signs, line 1: too long.", Field: "warning_signs[0]"}
	}
	p.Sections = sectionViews(plan, nil, p.Problem)
	return p
}

// ---- The pages and the API ----

// TestSafetyPlanPages (issue #16): the client reads their plan from a
// link on every page of theirs, writes it with one form, and a refused
// line comes back with everything typed and the line marked; the care
// team changes it from the client's page; a stale form is a conflict;
// other providers find nothing; the crisis banner links the plan first
// once it has something in it.
func TestSafetyPlanPages(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		e := newPlanEnv(t, db)
		id := e.c.Client.ID

		for _, page := range []string{"/", "/plan", "/tasks", "/journal", "/messages", "/measures"} {
			rec := e.call(t, "GET", page, e.client, nil)
			if !strings.Contains(rec.Body.String(), `<a href="/safety-plan" class="safety-plan-link">My safety plan</a>`) {
				t.Errorf("the client's page %s does not link the safety plan (%d)", page, rec.Code)
			}
		}
		rec := e.call(t, "GET", "/safety-plan", e.client, nil)
		expect(t, rec, http.StatusOK, "", "an empty safety plan")
		if !strings.Contains(rec.Body.String(), "You have no safety plan yet") || !strings.Contains(rec.Body.String(), `href="/safety-plan/edit"`) {
			t.Errorf("the empty plan's page: %s", rec.Body)
		}
		rec = e.call(t, "GET", "/safety-plan/edit", e.client, nil)
		expect(t, rec, http.StatusOK, "", "the form")
		for _, info := range care.SafetyPlanSections {
			if !strings.Contains(rec.Body.String(), `id="sp-`+string(info.Section)+`-1"`) {
				t.Errorf("the form lacks a second line for %s", info.Section)
			}
		}

		// A refused line: everything typed comes back, the line marked.
		long := strings.Repeat("x", care.MaxSafetyPlanItem+1)
		form := url.Values{"version": {"0"}, "warning_signs": {"Not sleeping", ""}, "coping": {"Walk the dog", long}, "reasons": {"My kids"}}
		rec = e.postForm(t, "/safety-plan", e.client, form)
		expect(t, rec, http.StatusBadRequest, "", "a line too long")
		b := rec.Body.String()
		if !strings.Contains(b, "Things I can do on my own, line 2") || !strings.Contains(b, `id="sp-coping-1" name="coping" type="text" maxlength="300" value="`+long+`" aria-describedby="safety-plan-error hint-coping" aria-invalid="true"`) ||
			!strings.Contains(b, `value="Not sleeping"`) || !strings.Contains(b, `value="My kids"`) {
			t.Errorf("the refused form: %s", b)
		}
		if n := e.rows(t, "safety_plan_versions"); n != 0 {
			t.Errorf("%d versions after a refused save", n)
		}

		// Saved: see other, to the plan, which shows it; a reload saves nothing more.
		form.Set("coping", "Walk the dog")
		to, body := e.followSeeOther(t, e.postForm(t, "/safety-plan", e.client, form), e.client, "saving the safety plan")
		if to != "/safety-plan?done=safety-plan" || !strings.Contains(body, "The safety plan is saved.") || !strings.Contains(body, "<li>Walk the dog</li>") ||
			!strings.Contains(body, "Version 1, saved") || !strings.Contains(body, "data-print") {
			t.Errorf("after saving, %s: %s", to, body)
		}
		e.call(t, "GET", to, e.client, nil)
		if n := e.rows(t, "safety_plan_versions"); n != 1 {
			t.Errorf("%d versions after a save and a reload, want 1", n)
		}

		// The care team changes it from the client's page.
		rec = e.call(t, "GET", "/clients/"+id, e.provider, nil)
		if !strings.Contains(rec.Body.String(), `href="/clients/`+id+`/safety-plan"`) {
			t.Error("the client's page does not link the safety plan")
		}
		rec = e.call(t, "GET", "/clients/"+id+"/safety-plan/edit", e.provider, nil)
		expect(t, rec, http.StatusOK, "", "the provider's form")
		if !strings.Contains(rec.Body.String(), `value="Walk the dog"`) || !strings.Contains(rec.Body.String(), `name="version" value="1"`) {
			t.Errorf("the provider's form: %s", rec.Body)
		}
		pform := url.Values{"version": {"1"}, "warning_signs": {"Not sleeping"}, "coping": {"Walk the dog"}, "professionals": {"988, call or text"}, "reasons": {"My kids"}}
		to, body = e.followSeeOther(t, e.postForm(t, "/clients/"+id+"/safety-plan", e.provider, pform), e.provider, "the provider saves")
		if to != "/clients/"+id+"/safety-plan?done=safety-plan" || !strings.Contains(body, "988, call or text") ||
			!strings.Contains(body, "Every version (2)") || !strings.Contains(body, "<li>Version 1, saved") {
			t.Errorf("after the provider's save, %s: %s", to, body)
		}
		// The client's stale form (from version 1) is a conflict, and keeps what they typed.
		form.Set("reasons", "My kids and my dog")
		rec = e.postForm(t, "/safety-plan", e.client, form)
		expect(t, rec, http.StatusConflict, "", "a stale save")
		if b := rec.Body.String(); !strings.Contains(b, "changed by someone else") || !strings.Contains(b, `name="version" value="2"`) || !strings.Contains(b, `value="My kids and my dog"`) {
			t.Errorf("the conflict's form: %s", b)
		}

		// Others find nothing; the client has no care-team address.
		expect(t, e.call(t, "GET", "/clients/"+id+"/safety-plan", e.other, nil), http.StatusNotFound, "", "another team's provider")
		expect(t, e.postForm(t, "/clients/"+id+"/safety-plan", e.other, pform), http.StatusNotFound, "", "another team's provider saves")
		expect(t, e.call(t, "GET", "/clients/"+id+"/safety-plan", e.client, nil), http.StatusNotFound, "", "the client on the care team's address")
		expect(t, e.call(t, "GET", "/safety-plan", e.provider, nil), http.StatusNotFound, "", "a provider on the client's address")

		// The API: the same plan; a PUT must name its base version.
		rec = e.call(t, "GET", e.base+"/safety-plan", e.client, nil)
		expect(t, rec, http.StatusOK, "", "the API")
		var got safetyPlanJSON
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Version != 2 || len(got.Professionals) != 1 || got.Distraction == nil || got.UpdatedBy.ID != e.c.Provider.ID {
			t.Errorf("the API's plan: %v %+v", err, got)
		}
		expect(t, e.call(t, "PUT", e.base+"/safety-plan", e.client, map[string]any{"reasons": []string{"x"}}), http.StatusBadRequest, "", "a PUT without a version")
		expect(t, e.call(t, "PUT", e.base+"/safety-plan", e.client, map[string]any{"version": 2, "reason": []string{"x"}}), http.StatusBadRequest, "", "an unknown field")
		expect(t, e.call(t, "PUT", e.base+"/safety-plan", e.client, map[string]any{"version": 1, "reasons": []string{"x"}}), http.StatusConflict, "", "a stale PUT")
		expect(t, e.call(t, "PUT", e.base+"/safety-plan", e.client, map[string]any{"version": 2, "reasons": []string{"My kids"}, "help": []string{"Ana"}}), http.StatusOK, "", "a PUT")

		// A crisis entry through the API names the plan with the resources.
		rec = e.call(t, "POST", e.base+"/journal", e.client, map[string]any{"occurred_at": db.Clock.Now().UTC().Format(time.RFC3339), "mood": 2, "text": "I want to kill myself", "shared": true})
		if b := rec.Body.String(); rec.Code != http.StatusCreated || !strings.Contains(b, `"safety_plan":"/api/v1/clients/`+id+`/safety-plan"`) {
			t.Errorf("the crisis entry's answer: %d %s", rec.Code, b)
		}
		// A crisis message: the banner links the plan before the resources.
		rec = e.postForm(t, "/messages", e.client, url.Values{"text": {"I want to kill myself"}})
		_, body = e.followSeeOther(t, rec, e.client, "a crisis message")
		plan, resources := strings.Index(body, `<a class="button" href="/safety-plan">Your safety plan</a>`), strings.Index(body, `class="help-list"`)
		if !crisisFirst(body) || plan < 0 || plan > resources {
			t.Errorf("the crisis banner does not link the plan first: %s", body)
		}
		// The brief names the version, changed since the last session
		// (none held: the last 30 days).
		if b := e.call(t, "GET", "/clients/"+id+"/brief", e.provider, nil).Body.String(); !strings.Contains(b, "<strong>Safety plan:</strong>\n    Version 3, saved") ||
			!strings.Contains(b, "Changed in this period") || !strings.Contains(b, `href="/clients/`+id+`/safety-plan"`) {
			t.Errorf("the brief's safety plan: %s", b)
		}
		rec = e.call(t, "GET", "/api/v1/clients/"+id+"/brief", e.provider, nil)
		if b := rec.Body.String(); !strings.Contains(b, `"changed_since_last_session":true`) && !strings.Contains(b, `"changed_since_last_session": true`) {
			t.Errorf("the brief API's safety plan: %s", b)
		}
		// The client's copy of their record holds it, and so does $everything.
		if b := e.call(t, "GET", "/account/record.html", e.client, nil).Body.String(); !strings.Contains(b, `<h2 id="safety-plan-h">Safety plan</h2>`) || !strings.Contains(b, "<li>Ana</li>") {
			t.Errorf("the record copy's safety plan: %s", b)
		}
		if b := e.call(t, "GET", "/fhir/R4/Patient/"+id+"/$everything", e.client, nil).Body.String(); !strings.Contains(b, `"CarePlan/`+id+`-safety-plan"`) && !strings.Contains(b, `CarePlan/`+id+`-safety-plan`) {
			t.Errorf("$everything lacks the safety plan: %.300s", b)
		}
		p, err := db.Store.SafetyPlan(ctx, e.c.Actor(e.c.Client), id)
		if err != nil || p.Version != 3 {
			t.Errorf("the plan at the end: %v %+v", err, p)
		}
	})
}
