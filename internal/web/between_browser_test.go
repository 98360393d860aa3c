package web

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/demo"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// axeSource returns axe-core's script, which scripts/test.sh installs with
// npm into node_modules. Without it the test skips, except in CI.
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv("INTERLUDE_AXE")
	if path == "" {
		path = filepath.Join("..", "..", "node_modules", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no axe-core at %s, and CI is set: scripts/test.sh installs it", path)
		}
		t.Skipf("axe-core is not installed (%v): run scripts/test.sh", err)
	}
	return string(b)
}

// axeViolation is one serious or critical finding of axe-core.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// checkA11y runs axe-core on the page at 375 and at 1280 pixels wide and
// reports every serious or critical WCAG 2.x A/AA violation. The script is
// injected through the DevTools protocol, outside the page's CSP.
func (p *person) checkA11y(axe, page string) {
	p.t.Helper()
	const check = `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}, resultTypes: ["violations"]})
		.then(r => JSON.stringify(r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
			.map(v => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))))`
	for _, width := range []int64{375, 1280} {
		if width == 375 {
			p.do("emulate a phone", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulatePortrait, chromedp.EmulateScale(2)))
		} else {
			p.do("emulate a desktop", chromedp.EmulateViewport(1280, 900))
		}
		if !p.eval(`typeof axe === "object"`) {
			run(p, "inject axe-core", chromedp.Evaluate[any](axe))
		}
		out := run(p, "run axe on "+page, chromedp.Evaluate[string](check, chromedp.EvalAwaitPromise))
		var vs []axeViolation
		if err := json.Unmarshal([]byte(out), &vs); err != nil {
			p.t.Fatalf("axe on %s: %v: %s", page, err, out)
		}
		for _, v := range vs {
			p.t.Errorf("%s at %dpx: axe %s (%s): %s at %v", page, width, v.ID, v.Impact, v.Help, v.Targets)
		}
	}
}

// TestBrowserBetweenSessions is issue #5's walk through the time between
// sessions, in headless Chromium, on the demo clinic: the client signs in
// on a phone, writes an entry linked to a goal and shared with the care
// team, completes a task, and sees both on the home page and in the mood
// chart; a private quick entry follows. The provider then finds the shared
// entry on the client's page and not the private one. Every page of the
// issue passes axe-core (no serious or critical WCAG A/AA violation) at
// 375 and at 1280 pixels.
func TestBrowserBetweenSessions(t *testing.T) {
	execPath := chromiumPath(t)
	axe := axeSource(t)
	db := storetest.Open(t, "sqlite")
	st := store.New(db.Engine, db.Keyring, time.Now)
	ctx := context.Background()
	d, err := demo.Seed(ctx, st, auth.TestParams())
	if err != nil {
		t.Fatal(err)
	}
	login := func(role care.Role) demo.Login {
		for _, l := range d.Logins {
			if l.Role == role {
				return l
			}
		}
		t.Fatalf("no demo %s", role)
		return demo.Login{}
	}
	sam, dana := login(care.RoleClient), login(care.RoleProvider)
	creds, err := st.CredentialsByEmail(ctx, sam.Email)
	if err != nil {
		t.Fatal(err)
	}
	samID := creds.User.ID

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
	b := startBrowser(t, execPath)

	// The client, on a phone.
	client := b.person(t, "client", true)
	client.open(baseURL + "/signin")
	client.signIn(sam.Email, sam.Password, "/")
	client.checkA11y(axe, "client home")
	// axe itself works: an image without a text alternative, added to a
	// copy of the page, is found.
	client.eval(`(() => { document.body.insertAdjacentHTML("beforeend", '<img src="/x.png">'); return true })()`)
	found := run(client, "run axe on a broken page", chromedp.Evaluate[bool](
		`axe.run(document, {runOnly: ["image-alt"]}).then(r => r.violations.length > 0)`, chromedp.EvalAwaitPromise))
	if !found {
		t.Fatal("axe-core finds nothing on a page with an image without alt text: the check does not run")
	}

	// A full entry, linked to the first goal, shared.
	const shared = "Walked by the river with my sister and felt steady"
	client.open(baseURL + "/journal/new")
	client.checkA11y(axe, "new entry form")
	client.do("emulate a phone", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulatePortrait, chromedp.EmulateScale(2)))
	client.do("choose mood 8", chromedp.Click(`label[for="mood-8"]`))
	client.do("write the text", chromedp.SendKeys("#text", shared))
	if !client.eval(`(() => { const s = document.querySelector("#goal"); if (!s || s.options.length < 2) return false; s.selectedIndex = 1; return true })()`) {
		t.Fatal("the entry form offers no goal of the plan")
	}
	client.fill("#goal-progress", "6")
	if !client.eval(`document.querySelector("#shared").checked`) {
		client.do("share", chromedp.Click(`#shared`))
	}
	client.submit("save the entry", `form.entry-form`)

	// A task of today, completed.
	client.open(baseURL + "/tasks")
	client.checkA11y(axe, "tasks")
	if client.count(`ul.tasks form[action$="/complete"]`) == 0 {
		t.Fatal("the demo client has no task to complete")
	}
	title := client.text(`ul.tasks li.task:has(form[action$="/complete"]) h3`)
	client.submit("complete a task", `ul.tasks li.task:has(form[action$="/complete"]) form`)

	client.open(baseURL + "/")
	home := client.text("main")
	if !strings.Contains(home, shared) {
		t.Errorf("the home page does not show the new entry")
	}
	if client.count(`li.task.done`) == 0 || !strings.Contains(home, title) {
		t.Errorf("the home page does not show the task %q as done", title)
	}
	// The chart's text alternative has today's mood.
	today := time.Now().In(mustZone(t, creds.User.TimeZone)).Format("2 Jan")
	if chart := client.text(`main`); !strings.Contains(chart, today) {
		t.Errorf("the mood chart's table has no row for today (%s)", today)
	}
	if client.count(`svg[role="img"] circle, svg[role="img"] path`) == 0 {
		t.Errorf("no mood chart on the home page")
	}

	// A private quick entry.
	const private = "A private thought for nobody else"
	client.do("choose mood 3", chromedp.Click(`form[action="/journal/quick"] label[for$="-3"], form[action="/journal/quick"] input[value="3"]`))
	client.do("write a note", chromedp.SendKeys(`form[action="/journal/quick"] textarea`, private))
	if client.eval(`!!document.querySelector('form[action="/journal/quick"] input[type=checkbox]:checked')`) {
		client.do("keep it private", chromedp.Click(`form[action="/journal/quick"] input[type=checkbox]`))
	}
	client.submit("save the quick entry", `form[action="/journal/quick"]`)
	for _, page := range []string{"/journal", "/journal/settings", "/plan", "/access-log"} {
		client.open(baseURL + page)
		client.checkA11y(axe, page)
	}
	client.open(baseURL + "/journal")
	if !strings.Contains(client.text("main"), private) {
		t.Errorf("the client's journal lacks the private entry")
	}
	edit := client.attr(`a[href$="/edit"]`, "href")
	client.open(baseURL + edit)
	client.checkA11y(axe, "edit entry form")
	// Versions are listed for an entry once it has been edited.
	client.open(baseURL + strings.TrimSuffix(edit, "/edit") + "/versions")
	client.checkA11y(axe, "entry versions")

	// The provider, at a desk.
	provider := b.person(t, "provider", false)
	provider.open(baseURL + "/signin")
	provider.signIn(dana.Email, dana.Password, "/signin/mfa")
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(dana.TOTPSecret)
	if err != nil {
		t.Fatal(err)
	}
	provider.enterCode(auth.TOTPCode(secret, auth.TOTPStep(time.Now())))
	provider.wantPath("/clients")
	provider.checkA11y(axe, "clients")
	provider.open(baseURL + "/clients/" + samID)
	page := provider.text("main")
	if !strings.Contains(page, shared) {
		t.Errorf("the provider's client page lacks the shared entry")
	}
	if strings.Contains(page, private) {
		t.Errorf("the provider sees the private entry")
	}
	provider.checkA11y(axe, "provider's client page")
	provider.open(baseURL + "/clients/" + samID + "/journal")
	if strings.Contains(provider.text("main"), private) {
		t.Errorf("the provider's timeline shows the private entry")
	}
	provider.checkA11y(axe, "provider's client journal")
	provider.open(baseURL + "/clients/" + samID + "/plan/goals/new")
	provider.checkA11y(axe, "goal editor")
	provider.open(baseURL + "/clients/" + samID + "/plan/versions/1")
	provider.checkA11y(axe, "plan version")
	b.checkMessages(t)
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
