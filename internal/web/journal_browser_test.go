package web

import (
	"context"
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

// TestBrowserJournal walks the journal in headless Chromium: a client on a
// phone records how they are with one tap and a private note, then writes
// a full entry linked to a goal of their plan and shared with their care
// team; both show on the home page and in the mood chart, which reads
// without JavaScript. The provider then finds the shared entry on the
// client's page, and not the private one. A private entry with words of
// crisis shows the resources, says nobody was told, survives a reload
// without a second entry and is shared in one tap. No page may break the
// CSP.
func TestBrowserJournal(t *testing.T) {
	t.Parallel()
	browsertest.ChromiumPath(t) // skips without Chromium (fails in CI) before any seeding
	db := storetest.Open(t, "sqlite")
	st := store.New(db.Engine, db.Keyring, time.Now)
	ctx := context.Background()

	srv := httptest.NewUnstartedServer(nil)
	baseURL := "http://" + srv.Listener.Addr().String()
	logs := &syncBuffer{}
	s, err := New(Config{Store: st, Logger: slog.New(slog.NewJSONHandler(logs, nil)), Registry: prometheus.NewRegistry(),
		BaseURL: baseURL, Passwords: auth.TestParams()})
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
	newUser := func(role care.Role, email, name string) care.User {
		t.Helper()
		u := care.User{ClinicID: clinic.ID, Role: role, Email: email, DisplayName: name, TimeZone: "America/Chicago"}
		if err := st.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		if err := st.SetPasswordHash(ctx, u.ID, hash); err != nil {
			t.Fatal(err)
		}
		return u
	}
	admin := newUser(care.RoleAdmin, "ana@harbor.test", "Ana Admin")
	provider := newUser(care.RoleProvider, "pat@harbor.test", "Pat Provider")
	client := newUser(care.RoleClient, "casey@example.test", "Casey Client")
	secret := auth.NewTOTPSecret()
	if err := st.SetTOTP(ctx, actorOf(provider), secret); err != nil {
		t.Fatal(err)
	}
	if err := st.ConfirmTOTP(ctx, provider.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.AddToCareTeam(ctx, actorOf(admin), client.ID, provider.ID); err != nil {
		t.Fatal(err)
	}
	plan, err := st.SavePlan(ctx, actorOf(provider), client.ID, []care.Goal{{Title: "Sleep before midnight"}}, store.AnyVersion)
	if err != nil {
		t.Fatal(err)
	}
	goal := plan.Goals[0].ID

	b := startBrowser(t)
	b.checkCSPDetector(t)

	// 1. The client, on a phone: one tap and a private note.
	cp := b.person(t, "client", true)
	cp.open(baseURL + "/signin")
	cp.signIn(client.Email, goodPassword, "/")
	cp.shot("journal-home-empty-375")
	cp.do("tap 3", chromedp.Click(chromedp.CSS(`label[for="quick-mood-3"]`)))
	cp.fill("#quick-text", "A private wobble")
	if cp.eval(`document.querySelector("#quick-shared").checked`) {
		t.Error("the quick entry shares by default for a new client")
	}
	cp.submit("save the quick entry", `form[action="/journal/quick"]`)
	cp.wantPath("/")
	if notice := cp.text("p.notice"); notice != "Your entry is saved." {
		t.Errorf("the notice says %q", notice)
	}

	// 2. A full entry, linked to the goal and shared.
	cp.follow("open the full form", `a[href="/journal/new"]`)
	cp.wantPath("/journal/new")
	cp.do("pick a mood of 7", chromedp.Click(chromedp.CSS(`label[for="mood-7"]`)))
	cp.do("pick hopeful", chromedp.Click(chromedp.CSS(`label[for="emotion-hopeful"]`)))
	cp.fill("#own-words", "steady")
	cp.fill("#sleep-hours", "7.5")
	cp.fill("#text", "Went to bed at 11 three nights running.")
	cp.do("choose the goal", chromedp.SetValue(chromedp.CSS("#goal"), goal))
	cp.fill("#goal-progress", "6")
	cp.do("share it", chromedp.Click(chromedp.CSS(`label[for="shared"]`)))
	cp.shot("journal-form-375")
	cp.submit("save the full entry", `form[action="/journal"]`)
	cp.wantPath("/journal")
	list := cp.text("main")
	for _, want := range []string{"Went to bed at 11", "Sleep before midnight: progress 6 out of 10", "Shared with your care team", "A private wobble", "Private: only you"} {
		if !strings.Contains(list, want) {
			t.Errorf("the journal lacks %q", want)
		}
	}

	// 3. Both in the chart on My progress.
	cp.open(baseURL + "/progress")
	if n := cp.count(`#mood svg.mood-chart[role="img"] title`); n != 1 {
		t.Errorf("My progress has %d titled mood charts", n)
	}
	if n := cp.count(`#mood svg.mood-chart circle.point`); n != 2 {
		t.Errorf("the chart has %d points, want 2", n)
	}
	if caption := cp.text("#mood figcaption"); !strings.Contains(caption, "2 mood ratings in the last 30 days: average 5.0") {
		t.Errorf("the chart's caption says %q", caption)
	}
	if w := run(cp, "measure the page", chromedp.Evaluate[int]("document.documentElement.scrollWidth")); w > 375 {
		t.Errorf("My progress is %dpx wide on a 375px phone", w)
	}
	cp.shot("journal-home-375")
	cp.do("a desktop screen", chromedp.EmulateViewport(1280, 900))
	cp.open(baseURL + "/")
	cp.shot("journal-home-1280")

	// 4. The provider: the shared entry on the client's page, not the
	// private one.
	pp := b.person(t, "provider", false)
	pp.open(baseURL + "/signin")
	pp.signIn(provider.Email, goodPassword, "/signin/mfa")
	pp.enterCode(auth.TOTPCode(secret, auth.TOTPStep(time.Now())))
	pp.open(baseURL + "/clients/" + client.ID + "?tab=journal")
	page := pp.text("#journal")
	if !strings.Contains(page, "Went to bed at 11") || strings.Contains(page, "wobble") {
		t.Errorf("the provider's timeline says %q", page)
	}
	if n := pp.count(`#journal svg.mood-chart circle.point`); n != 1 {
		t.Errorf("the provider's chart has %d points, want the shared one", n)
	}
	pp.shot("provider-client-journal")
	pp.open(baseURL + "/clients/" + client.ID + "/journal")
	if strings.Contains(pp.text("main"), "wobble") {
		t.Error("the provider's timeline page shows the private entry")
	}

	// 5. Issue #16: a private quick entry with words of crisis. The form
	// redirects to the home page, which shows the resources first and
	// says nobody was told; a reload shows it again and saves nothing;
	// one tap shares the entry, and the care team is told.
	cp.open(baseURL + "/")
	cp.do("tap 1", chromedp.Click(chromedp.CSS(`label[for="quick-mood-1"]`)))
	cp.fill("#quick-text", "I want to kill myself")
	cp.submit("save the crisis entry", `form[action="/journal/quick"]`)
	cp.wantPath("/")
	if got := cp.text(`.crisis-now[role="alert"]`); !strings.Contains(got, "988") || !strings.Contains(got, "Nobody has been told") {
		t.Errorf("the banner after a private crisis entry says %q", got)
	}
	cp.do("reload", chromedp.Reload())
	if got := cp.text(`.crisis-now[role="alert"]`); !strings.Contains(got, "Nobody has been told") {
		t.Errorf("after a reload the banner says %q", got)
	}
	cp.submit("share the entry", `.crisis-now form[action$="/share"]`)
	cp.wantPath("/journal")
	if got := cp.text(`.crisis-now[role="alert"]`); !strings.Contains(got, "Your care team has been told and will contact you.") {
		t.Errorf("after sharing the banner says %q", got)
	}
	if n := cp.count(`article.entry`); n != 3 {
		t.Errorf("the journal has %d entries, want 3 (the crisis entry once)", n)
	}

	b.checkMessages(t)
}
