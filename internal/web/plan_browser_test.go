package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
	"interlude/internal/web/browsertest"
)

// TestBrowserPlanAndTasks walks the plan, sessions and tasks in headless
// Chromium: a provider on a wide screen opens a client from the caseload,
// adds a goal with an objective, schedules a session and assigns a daily
// task with plain forms; the client, on a phone, sees the next session,
// the task and the goal on the home page, marks the task done with a
// note, and comments on the goal; the provider then sees both. No page
// may break the CSP, answer 5xx, or throw.
func TestBrowserPlanAndTasks(t *testing.T) {
	t.Parallel()
	browsertest.ChromiumPath(t) // skips without Chromium (fails in CI) before any seeding

	db := storetest.Open(t, "sqlite")
	st := store.New(db.Engine, db.Keyring, time.Now)
	ctx := context.Background()

	srv := httptest.NewUnstartedServer(nil)
	baseURL := "http://" + srv.Listener.Addr().String()
	logs := &syncBuffer{}
	s, err := New(Config{
		Store:     st,
		Logger:    slog.New(slog.NewJSONHandler(logs, nil)),
		Registry:  prometheus.NewRegistry(),
		BaseURL:   baseURL,
		Passwords: auth.TestParams(),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})

	clinic := &care.Clinic{Name: "Harbor Light Counseling"}
	if err := st.CreateClinic(ctx, clinic); err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword(auth.TestParams(), goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	newUser := func(role care.Role, email, name, zone string) (care.User, []byte) {
		t.Helper()
		u := care.User{ClinicID: clinic.ID, Role: role, Email: email, DisplayName: name, TimeZone: zone}
		if err := st.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		if err := st.SetPasswordHash(ctx, u.ID, hash); err != nil {
			t.Fatal(err)
		}
		if !role.Staff() {
			return u, nil
		}
		secret := auth.NewTOTPSecret()
		if err := st.SetTOTP(ctx, actorOf(u), secret); err != nil {
			t.Fatal(err)
		}
		if err := st.ConfirmTOTP(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		return u, secret
	}
	admin, _ := newUser(care.RoleAdmin, "ana.admin@harbor.test", "Ana Alvarez", "America/Chicago")
	rivera, riveraSecret := newUser(care.RoleProvider, "rivera@harbor.test", "Dr. Dana Rivera", "America/Chicago")
	client, _ := newUser(care.RoleClient, "casey@example.test", "Casey Client", "America/New_York")
	if err := st.AddToCareTeam(ctx, actorOf(admin), client.ID, rivera.ID); err != nil {
		t.Fatal(err)
	}
	page := "/clients/" + client.ID

	b := startBrowser(t)

	// 1. The provider, on a wide screen.
	pp := b.person(t, "provider", false)
	pp.open(baseURL + "/signin")
	pp.signIn(rivera.Email, goodPassword, "/signin/mfa")
	pp.enterCode(auth.TOTPCode(riveraSecret, auth.TOTPStep(time.Now())))
	pp.wantPath("/clients")
	pp.follow("open the client", `main a[href="`+page+`"]`)
	pp.wantPath(page)
	pp.follow("open the plan's tab", `nav.record-tabs a[href="`+page+`?tab=plan"]`)

	pp.follow("add a goal", `a[href="`+page+`/plan/goals/new"]`)
	pp.wantPath(page + "/plan/goals/new")
	pp.typeIn("#title", "Sleep through the night most nights")
	pp.typeIn("#clinical_wording", "Improve sleep continuity")
	pp.typeIn("#obj-0-text", "No screens after ten")
	pp.shot("goal-1280")
	pp.submit("save the goal", `form[action="`+page+`/plan/goals"]`)
	pp.wantPath(page)
	if got := pp.text("#plan ol.goals"); !strings.Contains(got, "Sleep through the night most nights") || !strings.Contains(got, "No screens after ten") {
		t.Errorf("the plan after adding a goal: %q", got)
	}

	pp.follow("open the sessions' tab", `nav.record-tabs a[href="`+page+`?tab=sessions"]`)
	next := time.Now().In(care.Location(rivera.TimeZone)).Add(72 * time.Hour)
	pp.do("pick the session's time", chromedp.SetValue(chromedp.CSS("#starts_at"), next.Format("2006-01-02T15:04")))
	pp.submit("schedule", `form[action="`+page+`/sessions"]`)
	pp.wantPath(page)
	if got := pp.text("#sessions ul.sessions"); !strings.Contains(got, "Scheduled") {
		t.Errorf("the sessions after scheduling: %q", got)
	}

	pp.follow("back to the plan's tab", `nav.record-tabs a[href="`+page+`?tab=plan"]`)
	pp.typeIn("#task-title", "Box breathing for five minutes")
	pp.typeIn("#task-instructions", "In for four, hold for four, out for four.")
	pp.do("every day", chromedp.Click(chromedp.CSS("#repeat-daily")))
	pp.do("towards the goal", chromedp.SetValue(chromedp.CSS("#task-goal"), run(pp, "read the goal's id",
		chromedp.Evaluate[string](`document.querySelector("#task-goal option:nth-child(2)").value`))))
	pp.submit("assign", `form[action="`+page+`/tasks"]`)
	pp.wantPath(page)
	if got := pp.text("#tasks ul.tasks"); !strings.Contains(got, "Box breathing") || !strings.Contains(got, "Every day") {
		t.Errorf("the tasks after assigning: %q", got)
	}

	// 2. The client, on a phone.
	cp := b.person(t, "client", true)
	cp.open(baseURL + "/signin")
	cp.signIn(client.Email, goodPassword, "/")
	for _, want := range []string{"Next session", "Box breathing for five minutes"} {
		if !strings.Contains(cp.text("main"), want) {
			t.Errorf("the client's home lacks %q", want)
		}
	}
	cp.shot("home-375")
	// Done in one tap on the home page, taken back, then done with a
	// note on the tasks page.
	cp.submit("mark the task done", `ul.tasks.compact form[action$="/complete"]`)
	cp.wantPath("/")
	if got := cp.text("ul.tasks.compact"); !strings.Contains(got, "Done") {
		t.Errorf("the task after marking it done: %q", got)
	}
	cp.submit("undo", `ul.tasks.compact form[action$="/undo"]`)
	cp.wantPath("/")
	if cp.count(`ul.tasks.compact form[action$="/complete"]`) != 1 {
		t.Errorf("after the undo the task cannot be marked done again: %q", cp.text("ul.tasks.compact"))
	}
	cp.open(baseURL + "/tasks")
	form := `ul.tasks form[action$="/complete"]`
	cp.typeIn(form+" textarea", "Calmer after")
	cp.submit("mark the task done", form)
	cp.wantPath("/tasks")

	cp.follow("open the Plan tab", `nav.tabs a[href="/plan"]`)
	cp.wantPath("/plan")
	cp.typeIn("main form.comment-form textarea", "Two good nights this week")
	cp.submit("comment", "main form.comment-form")
	cp.wantPath("/plan")
	if got := cp.text("main ol.comments"); !strings.Contains(got, "Two good nights this week") {
		t.Errorf("the comment is not shown: %q", got)
	}
	cp.shot("plan-375")
	cp.open(baseURL + "/tasks")
	cp.shot("tasks-375")

	// 3. The provider sees the completion and the comment.
	pp.open(baseURL + page + "?tab=all")
	if got := pp.text("main"); !strings.Contains(got, "Calmer after") || !strings.Contains(got, "Two good nights this week") {
		t.Errorf("the client page lacks the note or the comment")
	}
	pp.shot("client-record-1280")
	pm := b.person(t, "provider-phone", true)
	pm.open(baseURL + "/signin")
	pm.signIn(rivera.Email, goodPassword, "/signin/mfa")
	pm.enterCode(auth.TOTPCode(riveraSecret, auth.TOTPStep(time.Now())+1))
	pm.open(baseURL + page + "?tab=all")
	pm.shot("client-record-375")
	if pm.eval(`document.documentElement.scrollWidth > window.innerWidth + 1`) {
		t.Errorf("the client page scrolls sideways on a phone")
	}

	b.checkMessages(t)
}

// follow clicks a link and waits for the page it leads to.
func (p *person) follow(what, sel string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	r, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		p.fail(what, err)
	}
	if r == nil || r.Status >= 400 {
		p.fail(what, fmt.Errorf("response %v", r))
	}
}

// typeIn sets the text of an empty field, a textarea too.
func (p *person) typeIn(sel, text string) {
	p.t.Helper()
	p.fill(sel, text)
}
