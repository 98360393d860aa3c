package web

import (
	"context"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
	"interlude/internal/web/browsertest"
)

// stepTimeout bounds every single browser step, so that a page that never
// loads fails the test in seconds rather than at the package timeout.
const stepTimeout = 30 * time.Second

// screenshotsEnv names a folder that receives a screenshot of each step
// of the browser tests, for a person to look at; without it they take
// none, but of a failure. The documentation's screenshots are
// browsertest's -screenshots.
const screenshotsEnv = "INTERLUDE_SCREENSHOTS"

// TestBrowserIdentityFlow walks the identity flow of issue #3 in headless
// Chromium, the way people will: the first admin accepts the invitation that
// "interlude clinic create" made, enrolls an authenticator app and signs in
// again; the admin invites a provider, who invites a client on a phone-sized
// screen. Each person has a browser context of their own, so no cookie
// crosses from one to another. All along, no page may break the CSP (WF-02),
// answer 5xx, or throw.
func TestBrowserIdentityFlow(t *testing.T) {
	t.Parallel()
	browsertest.ChromiumPath(t) // skips without Chromium (fails in CI) before any seeding

	// A real clock for both the store and the server: the TOTP codes the
	// test computes must hold at the time the server checks them.
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

	// 1. The clinic and its first admin's invitation, as "interlude clinic
	// create" makes them.
	clinic := &care.Clinic{Name: "Harbor Light Counseling"}
	if err := st.CreateClinic(ctx, clinic); err != nil {
		t.Fatal(err)
	}
	adminToken, hash := auth.NewInvitationToken()
	adminInv := &care.Invitation{ClinicID: clinic.ID, Role: care.RoleAdmin, Email: "ana.admin@harbor.test", DisplayName: "ana.admin"}
	if err := st.CreateInvitation(ctx, care.Actor{}, adminInv, hash, care.DefaultInvitationLifetime().For(care.RoleAdmin)); err != nil {
		t.Fatal(err)
	}

	b := startBrowser(t)
	b.checkCSPDetector(t)

	// 2. The admin accepts, enrolls TOTP, signs out and in again.
	admin := b.person(t, "admin", false)
	const adminPassword = "quiet lantern orchard"
	adminSecret := admin.acceptStaffInvitation(baseURL+"/invite/"+adminToken, "Ana Alvarez", adminPassword)
	admin.enterCode(auth.TOTPCode(adminSecret, auth.TOTPStep(time.Now())))
	admin.wantPath("/people")
	admin.shot("people")

	admin.signOut()
	admin.shot("signin")
	admin.signIn("ana.admin@harbor.test", adminPassword, "/signin/mfa")
	if n := admin.count("figure.qr img"); n != 0 {
		t.Errorf("the second sign-in shows the enrollment QR code again")
	}
	// The code of this step was spent on enrollment and is refused by
	// design (AU-08); the next step's code is valid now (±1 step).
	admin.enterCode(auth.TOTPCode(adminSecret, auth.TOTPStep(time.Now())+1))
	admin.wantPath("/people")

	// 3. The admin invites a provider.
	providerLink := admin.invite("/people/invite", "Pat Provider", "pat.provider@harbor.test", "provider")
	admin.shot("people-invited")

	// 4. The provider accepts, enrolls, and invites a client.
	provider := b.person(t, "provider", false)
	providerSecret := provider.acceptStaffInvitation(providerLink, "Pat Provider", "copper kettle")
	provider.enterCode(auth.TOTPCode(providerSecret, auth.TOTPStep(time.Now())))
	provider.wantPath("/clients")
	clientLink := provider.invite("/clients/invite", "Casey Client", "casey@example.test", "")
	provider.shot("clients-invited")

	// 5. The client, on a phone, accepts: a short password is refused first.
	client := b.person(t, "client", true)
	client.open(clientLink)
	client.wantPath("/invite")
	client.shot("invite-375")
	client.fill("#display_name", "Casey Client")

	// Typed by a person, a short password never leaves the browser: the
	// field's minlength stops the form.
	client.typeText("#password", "too short")
	client.do("press Create account", chromedp.Click(chromedp.CSS(`form[action="/invite"] button[type=submit]`)))
	if !client.eval(`document.querySelector("#password").validity.tooShort`) {
		t.Errorf("the browser did not hold back a password shorter than minlength")
	}
	client.wantPath("/invite")

	// Set by a script (as a password manager might), the short password
	// reaches the server, which explains and marks the field.
	client.do("set a short password", chromedp.SetValue(chromedp.CSS("#password"), "too short"))
	resp := client.submit("create the account", `form[action="/invite"]`)
	if resp.Status != http.StatusBadRequest {
		t.Errorf("short password: status %d, want 400", resp.Status)
	}
	if msg := client.text(`.error[role="alert"]`); !strings.Contains(msg, "at least 15") {
		t.Errorf("short password: the error says %q", msg)
	}
	if got := client.attr("#password", "aria-invalid"); got != "true" {
		t.Errorf("short password: aria-invalid = %q, want true", got)
	}
	if got := client.value("#display_name"); got != "Casey Client" {
		t.Errorf("after the error the name field holds %q", got)
	}
	client.shot("invite-error-375")

	const clientPassword = "purple otters read maps"
	client.fill("#password", clientPassword)
	client.submit("create the account", `form[action="/invite"]`)
	client.wantPath("/")
	if h := client.text("main h1"); !strings.HasPrefix(h, "Hello") {
		t.Errorf("client home: heading %q, want Hello…", h)
	}
	client.shot("home-375")

	// 7, on the client's phone: a wrong password shows the error, not a
	// 500; then the right one signs in with the password alone.
	client.signOut()
	client.fill("#email", "casey@example.test")
	client.fill("#password", "not my password at all")
	resp = client.submit("sign in with a wrong password", `form[action="/signin"]`)
	if resp.Status >= 500 {
		t.Errorf("wrong password: status %d", resp.Status)
	}
	if msg := client.text(`.error[role="alert"]`); !strings.Contains(msg, "not correct") {
		t.Errorf("wrong password: the error says %q", msg)
	}
	client.shot("signin-error-375")
	client.signIn("casey@example.test", clientPassword, "/")
	if h := client.text("main h1"); !strings.HasPrefix(h, "Hello") {
		t.Errorf("client home after signing in: heading %q", h)
	}

	// 6. The provider sees the new client.
	provider.open(baseURL + "/clients")
	provider.wantPath("/clients")
	if list := provider.text("main ol.caseload"); !strings.Contains(list, "Casey Client") {
		t.Errorf("the provider's clients: %q, want Casey Client", list)
	}

	b.checkMessages(t)
}

// browser is one test's view of the test binary's shared headless
// Chromium (browsertest): the people it opened tabs for, whose consoles
// checkMessages reads.
type browser struct {
	ctx context.Context // the shared browser's first tab; people get contexts of their own

	mu     sync.Mutex
	people []*person
}

// startBrowser takes a place in the shared browser for the test.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	return &browser{ctx: browsertest.Start(t)}
}

// person is one user at one browser tab, in a browser context of their own
// (cookies, storage, cache).
type person struct {
	t    *testing.T
	b    *browser
	name string
	ctx  context.Context

	mu       sync.Mutex
	console  []string // console calls, log entries, exceptions
	failures []string // 5xx documents, exceptions
}

// person opens a tab in a new browser context. A mobile person gets a
// 375×812 phone viewport.
func (b *browser) person(t *testing.T, name string, mobile bool) *person {
	t.Helper()
	p := &person{t: t, b: b, name: name}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(p.listen))
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // opens the tab, with no deadline
		t.Fatalf("%s: opening a tab: %v", name, err)
	}
	p.ctx = ctx
	if mobile {
		p.do("emulate a phone", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulatePortrait, chromedp.EmulateScale(2)))
	}
	b.mu.Lock()
	b.people = append(b.people, p)
	b.mu.Unlock()
	return p
}

// listen runs on the tab's event loop: it must return at once.
func (p *person) listen(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case *cdpruntime.EventConsoleAPICalled:
		var parts []string
		for _, a := range ev.Args {
			if a.Value != nil {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		p.console = append(p.console, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(parts, " ")))
	case *cdplog.EventEntryAdded:
		p.console = append(p.console, fmt.Sprintf("%s %s: %s (%s)", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL))
	case *cdpruntime.EventExceptionThrown:
		msg := "exception: " + ev.ExceptionDetails.Text
		if ex := ev.ExceptionDetails.Exception; ex != nil {
			msg += " " + ex.Description
		}
		p.console = append(p.console, msg)
		p.failures = append(p.failures, msg)
	case *network.EventResponseReceived:
		if ev.Response.Status >= 500 {
			p.failures = append(p.failures, fmt.Sprintf("%d from %s", ev.Response.Status, redactToken(ev.Response.URL)))
		}
	}
}

// redactToken drops an invitation token from a URL before it is logged.
func redactToken(u string) string {
	if i := strings.Index(u, "/invite/"); i >= 0 {
		return u[:i] + "/invite/…"
	}
	return u
}

// messages returns what the tab's console showed.
func (p *person) messages() (console, failures []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.console...), append([]string(nil), p.failures...)
}

// checkMessages fails the test on any CSP violation, exception or server
// error seen in any tab.
func (b *browser) checkMessages(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	people := append([]*person(nil), b.people...)
	b.mu.Unlock()
	for _, p := range people {
		console, failures := p.messages()
		for _, m := range console {
			t.Logf("%s: %s", p.name, m)
			if strings.Contains(m, "Content Security Policy") {
				t.Errorf("%s: CSP violation: %s", p.name, m)
			}
		}
		for _, f := range failures {
			t.Errorf("%s: %s", p.name, f)
		}
	}
}

// checkCSPDetector proves that the listener sees a CSP violation at all:
// a page under the server's own headers with an inline script must show
// one, or the clean bill of checkMessages would mean nothing.
func (b *browser) checkCSPDetector(t *testing.T) {
	t.Helper()
	bad := httptest.NewServer(securityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		//nolint:errcheck // a page not written shows no violation, and the check below fails on that
		io.WriteString(w, `<!doctype html><html lang="en"><title>x</title><script>document.title = "ran"</script></html>`)
	})))
	defer bad.Close()
	p := &person{t: t, b: b, name: "csp-probe"}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(p.listen))
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("csp probe: opening a tab: %v", err)
	}
	p.ctx = ctx
	p.open(bad.URL)
	if title := p.title(); title == "ran" {
		t.Fatalf("csp probe: an inline script ran under the server's CSP")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		console, _ := p.messages()
		for _, m := range console {
			if strings.Contains(m, "Content Security Policy") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("csp probe: an inline script was blocked but the console showed no violation; got %q", console)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// do runs browser steps within stepTimeout; a failure takes a screenshot
// and ends the test.
func (p *person) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.fail(what, err)
	}
}

// run is do for a step with a result.
func run[T any](p *person, what string, a chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.fail(what, err)
	}
	return v
}

func (p *person) fail(what string, err error) {
	p.t.Helper()
	// The picture of a failure is kept, and its file named in the log.
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "interlude-failed-steps")
	}
	p.saveShot(dir, "FAILED-"+strings.ReplaceAll(what, " ", "-"))
	loc := "?"
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	if l, lerr := chromedp.Run(ctx, chromedp.Location()); lerr == nil {
		loc = redactToken(l)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("no result within %v: %w", stepTimeout, err)
	}
	p.t.Fatalf("%s: %s (at %s): %v", p.name, what, loc, err)
}

// open loads a URL and waits for the page.
func (p *person) open(url string) {
	p.t.Helper()
	resp := run(p, "open "+redactToken(url), chromedp.NavigateResponse(url))
	if resp != nil && resp.Status >= 400 {
		p.t.Fatalf("%s: open %s: status %d", p.name, redactToken(url), resp.Status)
	}
}

// fill sets a field's text at once, as a paste or a password manager
// would, and fires the input and change events that a page's script
// listens for. Where typing is what a test is about (a browser's own
// checks of what a person types), typeText types key by key.
func (p *person) fill(sel, text string) {
	p.t.Helper()
	p.do("fill "+sel, chromedp.SetValue(chromedp.CSS(sel), text))
	run(p, "fire input on "+sel, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const e = document.querySelector(%q);
		for (const type of ["input", "change"]) e.dispatchEvent(new Event(type, {bubbles: true}));
		return true })()`, sel)))
}

// typeText replaces a field's text by typing it key by key, as a person
// would.
func (p *person) typeText(sel, text string) {
	p.t.Helper()
	p.do("type into "+sel, chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// submit presses the submit button of the form and waits for the page
// that answers.
func (p *person) submit(what, form string) *network.Response {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	r, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(form+` button[type="submit"]`)))
	if err != nil {
		p.fail(what, err)
	}
	if r == nil {
		p.fail(what, errors.New("no response"))
	}
	return r
}

func (p *person) path() string {
	p.t.Helper()
	return run(p, "read the location", chromedp.Evaluate[string]("location.pathname"))
}

func (p *person) wantPath(want string) {
	p.t.Helper()
	if got := p.path(); got != want {
		p.shot("wrong-page")
		p.t.Fatalf("%s: at %s, want %s; the page says: %.300q", p.name, got, want, p.text("main"))
	}
}

func (p *person) title() string {
	p.t.Helper()
	return run(p, "read the title", chromedp.Title())
}

func (p *person) text(sel string) string {
	p.t.Helper()
	return strings.TrimSpace(run(p, "read "+sel, chromedp.Text(chromedp.CSS(sel))))
}

func (p *person) value(sel string) string {
	p.t.Helper()
	return run(p, "read "+sel, chromedp.Value(chromedp.CSS(sel)))
}

func (p *person) attr(sel, name string) string {
	p.t.Helper()
	attrs := run(p, "read "+sel, chromedp.Attributes(chromedp.CSS(sel)))
	return attrs[name]
}

func (p *person) count(sel string) int {
	p.t.Helper()
	return run(p, "count "+sel, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
}

func (p *person) eval(js string) bool {
	p.t.Helper()
	return run(p, js, chromedp.Evaluate[bool](js))
}

// imageShown reports whether the image has loaded and has a size: a data:
// URL blocked by the CSP, or a broken PNG, has none.
func (p *person) imageShown(sel string) bool {
	p.t.Helper()
	return p.eval(fmt.Sprintf(`(() => { const i = document.querySelector(%q); return !!i && i.complete && i.naturalWidth > 0 })()`, sel))
}

// shot saves a full-page PNG of the tab as NAME-name.png in the folder
// INTERLUDE_SCREENSHOTS names, for a person to look at; without it, it
// takes none (a screenshot costs a render of the whole page).
func (p *person) shot(name string) {
	p.t.Helper()
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		return
	}
	p.saveShot(dir, name)
}

func (p *person) saveShot(dir, name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Logf("%s: screenshot %s: %v", p.name, name, err)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Errorf("screenshots: %v", err)
		return
	}
	file := filepath.Join(dir, fmt.Sprintf("%s-%s.png", p.name, name))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		p.t.Errorf("screenshots: %v", err)
		return
	}
	p.t.Logf("%s: screenshot %s", p.name, file)
}

// acceptStaffInvitation opens an invitation link, creates the account and
// returns the TOTP secret that the enrollment page shows.
func (p *person) acceptStaffInvitation(link, name, password string) []byte {
	p.t.Helper()
	p.open(link)
	p.wantPath("/invite")
	if loc := run(p, "read the location", chromedp.Location()); strings.Contains(loc, "/invite/") {
		p.t.Errorf("%s: the invitation token is still in the address bar", p.name)
	}
	p.shot("invite")
	p.fill("#display_name", name)
	p.fill("#password", password)
	p.submit("create the account", `form[action="/invite"]`)
	p.wantPath("/signin/mfa")
	if !p.imageShown("figure.qr img") {
		p.t.Errorf("%s: the enrollment QR code is not shown", p.name)
	}
	p.shot("mfa-enroll")
	text := p.text("code.secret")
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.ReplaceAll(text, " ", "")))
	if err != nil || len(secret) < 16 {
		p.t.Fatalf("%s: the enrollment key %q is not a base32 secret: %v", p.name, text, err)
	}
	return secret
}

// enterCode types a TOTP code on /signin/mfa and submits it.
func (p *person) enterCode(code string) {
	p.t.Helper()
	p.fill("#code", code)
	p.submit("enter the code", `form[action="/signin/mfa"]`)
	if p.path() == "/account/new-codes" {
		// A new authenticator app comes with recovery codes, shown once
		// (issue #17): ten of them, then on.
		if n := p.count("ol.codes li code"); n != 10 {
			p.t.Errorf("%s: %d recovery codes after enrolling, want 10", p.name, n)
		}
		p.follow("continue after the recovery codes", `main a.button`)
	}
}

// signOut presses the header's Sign out button; a client's is on the
// More tab (issue #18).
func (p *person) signOut() {
	p.t.Helper()
	form := `header form[action="/signout"]`
	if p.count(`nav.tabs a[href="/more"]`) > 0 {
		p.follow("open the More tab", `nav.tabs a[href="/more"]`)
		form = `main form[action="/signout"]`
	}
	p.submit("sign out", form)
	p.wantPath("/signin")
	if n := p.text(`.notice[role="status"]`); n != "You are signed out." {
		p.t.Errorf("%s: after signing out the notice says %q", p.name, n)
	}
}

// signIn signs in with a password at /signin and checks where it leads.
func (p *person) signIn(email, password, want string) {
	p.t.Helper()
	if p.path() != "/signin" {
		p.open(p.origin() + "/signin")
	}
	p.fill("#email", email)
	p.fill("#password", password)
	p.submit("sign in", `form[action="/signin"]`)
	p.wantPath(want)
}

func (p *person) origin() string {
	p.t.Helper()
	return run(p, "read the origin", chromedp.Evaluate[string]("location.origin"))
}

// invite fills a staff page's invitation form and returns the link the
// page shows. role is chosen when the form has a role field.
func (p *person) invite(action, name, email, role string) string {
	p.t.Helper()
	form := fmt.Sprintf(`form[action=%q]`, action)
	p.fill(form+" #display_name", name)
	p.fill(form+" #email", email)
	if role != "" {
		p.do("choose the role", chromedp.SetValue(chromedp.CSS(form+" #role"), role))
	}
	resp := p.submit("create the invitation", form)
	if resp.Status != http.StatusOK || !strings.Contains(resp.URL, "/invitation-link/") {
		p.t.Errorf("%s: inviting %s: status %d at %s, want 200 at the invitation's link page (post/redirect/get)", p.name, name, resp.Status, resp.URL)
	}
	link := p.value("input.link-box")
	if !strings.HasPrefix(link, p.origin()+"/invite/") {
		p.t.Fatalf("%s: the invitation link %q does not point at this server", p.name, redactToken(link))
	}
	if !p.imageShown("section.invited img") {
		p.t.Errorf("%s: the invitation QR code is not shown", p.name)
	}
	return link
}
