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

// TestBrowserAuditPages opens the audit trail's two pages in headless
// Chromium on a phone-sized screen (AD-05): the admin filters the audit log
// by client and outcome, and the client reads, in plain words, who looked
// at their record. Neither page may break the CSP, answer 5xx, or throw.
func TestBrowserAuditPages(t *testing.T) {
	t.Parallel()
	browsertest.ChromiumPath(t) // skips without Chromium (fails in CI) before any seeding

	// A real clock: the codes the test computes must hold when the server
	// checks them.
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

	// A clinic: an admin, two providers, and a client of Dr. Rivera's.
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
	admin, adminSecret := newUser(care.RoleAdmin, "ana.admin@harbor.test", "Ana Alvarez", "America/Chicago")
	rivera, _ := newUser(care.RoleProvider, "rivera@harbor.test", "Dr. Rivera", "America/Chicago")
	lee, _ := newUser(care.RoleProvider, "lee@harbor.test", "Jordan Lee", "America/Chicago")
	client, _ := newUser(care.RoleClient, "casey@example.test", "Casey Client", "America/New_York")
	if err := st.AddToCareTeam(ctx, actorOf(admin), client.ID, rivera.ID); err != nil {
		t.Fatal(err)
	}
	// Dr. Rivera reads the record; another provider tries and is refused;
	// the admin opens emergency access and reads it.
	for range 2 {
		if _, err := st.Client(ctx, actorOf(rivera), client.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Client(ctx, actorOf(lee), client.ID); care.ErrorCode(err) != care.NotFound {
		t.Fatalf("another team's provider: %v", err)
	}
	if _, err := st.StartBreakGlass(ctx, actorOf(admin), client.ID, "Dr. Rivera is on leave and Casey called the front desk in distress"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Client(ctx, actorOf(admin), client.ID); err != nil {
		t.Fatal(err)
	}

	b := startBrowser(t)

	// 1. The admin, on a phone, follows the header's Audit link and
	// filters by the client and by refusals.
	ap := b.person(t, "admin", true)
	ap.open(baseURL + "/signin")
	ap.signIn(admin.Email, goodPassword, "/signin/mfa")
	ap.enterCode(auth.TOTPCode(adminSecret, auth.TOTPStep(time.Now())))
	ap.wantPath("/people")
	ap.follow("follow the header link", `header a[href="/audit"]`)
	ap.wantPath("/audit")
	if n := ap.count("main table.audit tbody tr"); n == 0 {
		t.Errorf("the audit log shows no events")
	}
	ap.shot("audit-375")
	ap.fill("#client", client.ID)
	ap.do("choose refusals", chromedp.SetValue(chromedp.CSS("#outcome"), "denied"))
	ap.submit("filter", `form[action="/audit"]`)
	ap.wantPath("/audit")
	if n := ap.count("main table.audit tbody tr"); n != 1 {
		t.Errorf("refusals about the client: %d rows, want 1", n)
	}
	if row := ap.text("main table.audit tbody tr"); !strings.Contains(row, "Jordan Lee") || !strings.Contains(row, "client.read") {
		t.Errorf("the refused read's row says %q", row)
	}
	if got := ap.value("#client"); got != client.ID {
		t.Errorf("after filtering the client field holds %q", got)
	}
	ap.shot("audit-filtered-375")
	// A bad date comes back marked.
	if resp := run(ap, "open a bad date", chromedp.NavigateResponse(baseURL+"/audit?from=2026-02-30")); resp == nil || resp.Status != 400 {
		t.Errorf("a bad date: %v, want status 400", resp)
	}
	if got := ap.attr("#from", "aria-invalid"); got != "true" {
		t.Errorf("a bad date: aria-invalid = %q", got)
	}
	ap.do("back to a desktop", chromedp.EmulateViewport(1280, 900))
	ap.open(baseURL + "/audit")
	ap.shot("audit-desktop")

	// 2. The client, on a phone, follows the More tab's link to their
	// access report.
	cp := b.person(t, "client", true)
	cp.open(baseURL + "/signin")
	cp.signIn(client.Email, goodPassword, "/")
	cp.follow("open the More tab", `nav.tabs a[href="/more"]`)
	cp.follow("follow the link", `main a[href="/access-log"]`)
	cp.wantPath("/access-log")
	if h := cp.text("main h1"); h != "Who has looked at my record" {
		t.Errorf("the heading is %q", h)
	}
	list := cp.text("ol.access-log")
	for _, want := range []string{
		"Dr. Rivera (provider) viewed your profile",
		"Jordan Lee (provider) tried to view your profile, and was not allowed",
		"Ana Alvarez (clinic admin) opened emergency access to your record",
		"Emergency access",
	} {
		if !strings.Contains(list, want) {
			t.Errorf("the report lacks %q: %q", want, list)
		}
	}
	if got := cp.eval(`document.documentElement.scrollWidth <= window.innerWidth`); !got {
		t.Errorf("the report scrolls sideways at 375 px")
	}
	cp.shot("access-log-375")
	cp.open(baseURL + "/")
	cp.shot("home-375")
	cp.open(baseURL + "/more")
	if n := cp.count(`main a[href="/access-log"]`); n != 1 {
		t.Errorf("the client's More page links the report %d times", n)
	}

	b.checkMessages(t)
}
