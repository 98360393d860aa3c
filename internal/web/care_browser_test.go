package web

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/demo"
	"interlude/internal/store"
	"interlude/internal/web/browsertest"
)

// The browser tests of issue #5, the time between sessions, on the demo
// clinic: TestBrowserClientDay walks a client's day and the provider's
// look at it afterwards; TestAccessibility runs axe-core over every page of
// the issue at a phone's and a desk's width.

// axeEnv names axe-core's axe.min.js, where it is not in the repository's
// node_modules (scripts/test.sh installs it there).
const axeEnv = "INTERLUDE_AXE"

// The two widths every page is checked at: a small phone and a desk.
const (
	phoneWidth = 375
	deskWidth  = 1280
)

// careSite is the demo clinic served on a real port, with a headless
// Chromium to visit it.
type careSite struct {
	url      string
	store    *store.Store
	browser  *browser
	client   demo.Login   // Sam, a client with a plan, tasks and six weeks of entries
	provider demo.Login   // Dana, Sam's provider
	admin    demo.Login   // the clinic's admin
	logins   []demo.Login // every login of the demo (Alex's too)
	clientID string
	zone     *time.Location // the client's
	skew     *atomic.Int64  // nanoseconds the site's clock is ahead of the real one (advance)
}

// advance moves the site's clock (the server's and the store's) forward,
// as if d had passed: sessions end, without a test waiting for them.
func (c *careSite) advance(d time.Duration) { c.skew.Add(int64(d)) }

// startCareSite seeds the demo clinic on SQLite with a real clock (the TOTP
// codes the test computes must hold when the server checks them), serves
// it, and starts the browser. It skips without Chromium, except in CI.
func startCareSite(t *testing.T) *careSite {
	t.Helper()
	return startCareSiteWith(t, care.SessionPolicy{})
}

// startCareSiteWith is startCareSite with a session policy of the test's
// (zero: the default).
func startCareSiteWith(t *testing.T, sessions care.SessionPolicy) *careSite {
	t.Helper()
	browsertest.ChromiumPath(t) // skips without Chromium (fails in CI) before any seeding
	db, d := demoTemplate.Open(t)
	skew := &atomic.Int64{}
	now := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	st := store.New(db.Engine, db.Keyring, now)
	ctx := context.Background()
	c := &careSite{store: st, skew: skew, logins: d.Logins}
	for _, l := range d.Logins {
		switch {
		case l.Role == care.RoleClient && c.client.Email == "":
			c.client = l
		case l.Role == care.RoleProvider && c.provider.Email == "":
			c.provider = l
		case l.Role == care.RoleAdmin && c.admin.Email == "":
			c.admin = l
		}
	}
	if c.client.Email == "" || c.provider.Email == "" {
		t.Fatalf("the demo has no client or no provider: %+v", d.Logins)
	}
	creds, err := st.CredentialsByEmail(ctx, c.client.Email)
	if err != nil {
		t.Fatal(err)
	}
	c.clientID = creds.User.ID
	if c.zone, err = time.LoadLocation(creds.User.TimeZone); err != nil {
		t.Fatal(err)
	}

	srv := httptest.NewUnstartedServer(nil)
	c.url = "http://" + srv.Listener.Addr().String()
	logs := &syncBuffer{}
	s, err := New(Config{Store: st, Logger: slog.New(slog.NewJSONHandler(logs, nil)), Registry: prometheus.NewRegistry(),
		BaseURL: c.url, Passwords: auth.TestParams(), Sessions: sessions, Now: now})
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
	c.browser = startBrowser(t)
	return c
}

// signInClient opens a phone-sized tab for the client, signed in.
func (c *careSite) signInClient(t *testing.T) *person {
	t.Helper()
	p := c.browser.person(t, "client", true)
	p.open(c.url + "/signin")
	p.signIn(c.client.Email, c.client.Password, "/")
	return p
}

// signInProvider opens a desk-sized tab for the provider, signed in with
// a password and an authenticator code.
func (c *careSite) signInProvider(t *testing.T) *person {
	t.Helper()
	p := c.browser.person(t, "provider", false)
	p.open(c.url + "/signin")
	p.signIn(c.provider.Email, c.provider.Password, "/signin/mfa")
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(c.provider.TOTPSecret)
	if err != nil {
		t.Fatal(err)
	}
	p.enterCode(auth.TOTPCode(secret, auth.TOTPStep(time.Now())))
	p.wantPath("/clients")
	return p
}

// signInAdmin opens a desk-sized tab for the clinic's admin, signed in
// with a password and an authenticator code.
func (c *careSite) signInAdmin(t *testing.T) *person {
	t.Helper()
	p := c.browser.person(t, "admin", false)
	p.open(c.url + "/signin")
	p.signIn(c.admin.Email, c.admin.Password, "/signin/mfa")
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(c.admin.TOTPSecret)
	if err != nil {
		t.Fatal(err)
	}
	p.enterCode(auth.TOTPCode(secret, auth.TOTPStep(time.Now())))
	p.wantPath("/people")
	return p
}

// TestBrowserClientDay is issue #5's walk through a day between sessions,
// in headless Chromium: the client signs in on a phone, writes an entry
// linked to a goal of the plan and shared with the care team, completes a
// task, and sees both on the home page and in the mood chart (its picture
// and its table); a private quick entry follows. The provider then finds
// the shared entry and the completed task on the client's page, and
// nothing of the private entry, there or on the journal timeline. With
// -screenshots it refreshes the screenshots in docs/.
func TestBrowserClientDay(t *testing.T) {
	t.Parallel()
	site := startCareSite(t)
	today := time.Now().In(site.zone).Format("Mon 2 Jan")

	client := site.signInClient(t)
	// Home fits the day on two phone screens (#18), with the evening's
	// check-in open or not; an open one is answered first, so that the
	// quick entry is there.
	client.wantHomeFits()
	if client.count("#checkin-h") > 0 {
		ctx, cancel := context.WithTimeout(client.ctx, stepTimeout)
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(`button.mood-tap[value="6"]`)); err != nil {
			client.fail("answer the check-in", err)
		}
		cancel()
		client.open(site.url + "/")
		client.wantHomeFits()
	}
	client.open(site.url + "/progress")
	before := client.moodsOn(today)

	// A full entry, linked to a goal, shared.
	const shared = "Walked by the river with my sister and felt steady"
	client.open(site.url + "/journal/new")
	client.docShot("journal-form", phoneWidth)
	client.do("choose mood 8", chromedp.Click(`label[for="mood-8"]`))
	client.fill("#text", shared)
	goal := run(client, "choose the first goal", chromedp.Evaluate[string](
		`(() => { const s = document.querySelector("#goal"); if (!s || s.options.length < 2) return ""; s.selectedIndex = 1; return s.options[1].text })()`))
	if goal == "" {
		t.Fatal("the entry form offers no goal of the plan")
	}
	client.fill("#goal-progress", "6")
	if !client.eval(`document.querySelector("#shared").checked`) {
		client.do("share the entry", chromedp.Click(`#shared`))
	}
	if resp := client.submit("save the entry", `form.entry-form`); resp.Status != http.StatusOK {
		t.Fatalf("saving the entry: status %d", resp.Status)
	}

	// A task due today, completed with a note.
	const note = "Did it after lunch, on the bench"
	client.open(site.url + "/tasks")
	const open = `ul.tasks li.task:has(form[action$="/complete"])`
	if client.count(open) == 0 {
		t.Fatal("the demo client has no task to complete")
	}
	task := client.text(open + ` h3`)
	client.fill(open+` textarea[name="note"]`, note)
	client.submit("complete the task", open+` form`)

	// The task done on the home page, the entry in the journal.
	client.open(site.url + "/")
	done := `main section[aria-labelledby="tasks-due-h"] li.task.done`
	if client.count(done) == 0 || !strings.Contains(client.text(done), task) {
		t.Errorf("the home page does not show the task %q as done", task)
	}
	client.open(site.url + "/journal")
	const entry = `main section[aria-labelledby="entries-h"] article.entry:has(.entry-text)`
	if got := client.text(entry + ` .entry-text`); got != shared {
		t.Errorf("the newest entry in the journal says %q, want %q", got, shared)
	}
	facts := client.text(entry + ` dl.entry-facts`)
	if !strings.Contains(facts, goal) || !strings.Contains(facts, "progress 6 out of 10") {
		t.Errorf("the entry in the journal shows %q, want the goal %q with progress 6", facts, goal)
	}
	if got := client.text(entry + ` .badge`); got != "Shared with your care team" {
		t.Errorf("the entry's badge says %q", got)
	}
	// The mood chart on My progress: today's row of its table counts the
	// entry, and its picture has a dot at today's place for mood 8.
	client.open(site.url + "/progress")
	if got := client.moodsOn(today); got != before+1 {
		t.Errorf("the chart's table counts %d ratings today, want %d", got, before+1)
	}
	if !client.eval(chartDot(30, 8)) {
		t.Errorf("the mood chart has no dot for mood 8 today")
	}

	// A private quick entry, on the home page.
	client.open(site.url + "/")
	const private = "A private note about the bus ride home"
	quick := `form[action="/journal/quick"]`
	client.do("choose mood 3", chromedp.Click(quick+` label[for="quick-mood-3"]`))
	client.fill(quick+` textarea`, private)
	if client.eval(`document.querySelector("#quick-shared").checked`) {
		client.do("keep it private", chromedp.Click(`#quick-shared`))
	}
	client.submit("save the quick entry", quick)
	client.wantHomeFits()
	client.open(site.url + "/journal")
	if got := client.text(entry + ` .entry-text`); got != private {
		t.Errorf("the newest entry in the journal says %q, want the quick entry", got)
	}
	if got := client.text(entry + ` .badge`); got != "Private: only you" {
		t.Errorf("the quick entry's badge says %q", got)
	}
	client.open(site.url + "/progress")
	if got := client.moodsOn(today); got != before+2 {
		t.Errorf("after the quick entry the chart's table counts %d ratings today, want %d", got, before+2)
	}
	client.wantReadableCharts()
	client.docShot("my-progress", phoneWidth, deskWidth)
	client.open(site.url + "/journal")
	client.docShot("journal", phoneWidth, deskWidth)
	client.open(site.url + "/")
	client.docShot("client-home", phoneWidth, deskWidth)

	// The provider, at a desk.
	provider := site.signInProvider(t)
	provider.open(site.url + "/clients/" + site.clientID + "?tab=all")
	journal := provider.text("#journal")
	if !strings.Contains(journal, shared) {
		t.Errorf("the provider's client page lacks the shared entry")
	}
	if page := provider.text("main"); strings.Contains(page, private) {
		t.Errorf("the provider's client page shows the private entry")
	}
	if tasks := provider.text("#tasks"); !strings.Contains(tasks, task) || !strings.Contains(tasks, note) {
		t.Errorf("the provider's client page does not show the task %q done with its note", task)
	}
	// The page opens at its overview, short; each tab is one section.
	provider.open(site.url + "/clients/" + site.clientID)
	if h := run(provider, "measure the page", chromedp.Evaluate[int](`document.documentElement.scrollHeight`)); h > 2*900 {
		t.Errorf("the client page opens %d px tall at a desk, want at most two screens", h)
	}
	provider.docShot("provider-client-page", phoneWidth, deskWidth)
	provider.open(site.url + "/clients/" + site.clientID + "?tab=plan")
	provider.docShot("provider-client-plan", deskWidth)
	provider.open(site.url + "/clients/" + site.clientID + "/journal")
	timeline := provider.text("main")
	if !strings.Contains(timeline, shared) {
		t.Errorf("the provider's journal timeline lacks the shared entry")
	}
	if strings.Contains(timeline, private) {
		t.Errorf("the provider's journal timeline shows the private entry")
	}
	provider.docShot("provider-client-journal", deskWidth)
	site.browser.checkMessages(t)
}

// homeHeight is the most a client's home may be tall on a phone: two
// screens (#18).
const homeHeight = 1600

// wantHomeFits checks that the client's home, open at a phone's width,
// is at most homeHeight tall.
func (p *person) wantHomeFits() {
	p.t.Helper()
	p.wantPath("/")
	if h := run(p, "measure the page", chromedp.Evaluate[int](`document.documentElement.scrollHeight`)); h > homeHeight {
		p.t.Errorf("%s: the home page is %d px tall at %d px wide, want at most %d", p.name, h, phoneWidth, homeHeight)
	}
}

// wantReadableCharts checks that every label of every chart on the page
// is drawn at 10 px or more at a phone's width.
func (p *person) wantReadableCharts() {
	p.t.Helper()
	p.emulate(phoneWidth)
	smallest := run(p, "measure the charts' labels", chromedp.Evaluate[float64](`(() => {
		let min = 1000;
		for (const t of document.querySelectorAll("svg text")) {
			const scale = t.ownerSVGElement.getScreenCTM().a;
			min = Math.min(min, parseFloat(getComputedStyle(t).fontSize) * scale);
		}
		return min })()`))
	if smallest < 10 {
		p.t.Errorf("%s: a chart label is drawn at %.1f px on a %d px phone, want 10 or more", p.name, smallest, phoneWidth)
	}
}

// moodsOn reads the number of ratings in the row of day ("Mon 2 Jan") of
// the mood chart's table: 0 when the day has no row.
func (p *person) moodsOn(day string) int {
	p.t.Helper()
	return run(p, "read the chart's table", chromedp.Evaluate[int](fmt.Sprintf(`(() => {
		for (const tr of document.querySelectorAll("#mood table tbody tr"))
			if (tr.querySelector("th").textContent.trim() === %q) return Number(tr.lastElementChild.textContent);
		return 0 })()`, day)))
}

// chartDot is a script that tells whether the mood chart of days days has
// a dot for mood today, where chart.go draws it.
func chartDot(days, mood int) string {
	plotW := float64(chartW - chartLeft - chartRight)
	plotH := float64(chartH - chartTop - chartBottom)
	x := chartLeft + (float64(days-1)+0.5)/float64(days)*plotW
	y := chartTop + (10-float64(mood))/10*plotH
	return fmt.Sprintf(`!!document.querySelector('#mood svg[role="img"] circle.point[cx="%.1f"][cy="%.1f"]')`, x, y)
}

// TestAccessibility runs axe-core on every page of issue #5, at 375 and at
// 1280 pixels wide, and fails on any serious or critical violation of WCAG
// 2.0, 2.1 and 2.2 A and AA: the client's home, journal (list, new entry
// form, with and without an error, edit form, versions, settings), plan,
// tasks, access log, More and My progress; the provider's clients, client page (with and
// without an error), goal editor (new and existing goal), plan version
// and journal timeline. The client's pages and the provider's are checked
// by two tests that run side by side, each on its own copy of the demo.
func TestAccessibility(t *testing.T) {
	t.Parallel()
	t.Run("client", func(t *testing.T) {
		t.Parallel()
		accessibility(t, "client")
	})
	t.Run("provider", func(t *testing.T) {
		t.Parallel()
		accessibility(t, "provider")
	})
}

// accessibility checks the pages of the demo that whose ("client" or
// "provider") sees; the client's check also proves that axe-core finds a
// fault.
func accessibility(t *testing.T, whose string) {
	axe := axeSource(t)
	site := startCareSite(t)
	client := site.signInClient(t)

	// An edited entry, so that its versions page has versions to list.
	client.open(site.url + "/journal")
	edit := client.attr(`article.entry:has(.entry-text) a[href$="/edit"]`, "href")
	client.open(site.url + edit)
	client.do("add to the text", chromedp.SendKeys("#text", " (and a second thought)"))
	client.submit("save the edit", `form.entry-form`)
	versions := strings.TrimSuffix(edit, "/edit") + "/versions"

	provider := site.signInProvider(t)
	record := "/clients/" + site.clientID
	provider.open(site.url + record + "?tab=all")
	goal := provider.attr(`#plan a[href*="/plan/goals/"]:not([href$="/new"])`, "href")
	version := provider.attr(`#history ol.versions a`, "href")

	// An entry in the future is refused: the form answers with its errors.
	futureEntry := func(p *person) {
		p.open(site.url + "/journal/new")
		p.do("set a time in the future", chromedp.SetValue(`#occurred-at`, time.Now().In(site.zone).AddDate(0, 0, 2).Format("2006-01-02T15:04")))
		p.do("choose mood 5", chromedp.Click(`label[for="mood-5"]`))
		if resp := p.submit("save the entry", `form.entry-form`); resp.Status != http.StatusBadRequest {
			p.t.Fatalf("an entry in the future: status %d, want 400", resp.Status)
		}
	}
	// A journaling reminder that is on with no weekday is refused: the
	// settings page answers with the error beside the form (issue #18).
	reminderNoDay := func(p *person) {
		p.open(site.url + "/journal/settings")
		p.do("turn the reminder on", chromedp.Click(`#reminder-on`))
		for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
			p.do("clear "+d, chromedp.Click(`#reminder-`+d)) // every day is chosen until the client chooses
		}
		if resp := p.submit("save the reminder", `form[action="/journal/settings/reminder"]`); resp.Status != http.StatusBadRequest {
			p.t.Fatalf("a reminder with no day: status %d, want 400", resp.Status)
		}
	}
	// A weekly task without a weekday is refused: the client page answers
	// with the error beside the form.
	weeklyTask := func(p *person) {
		p.open(site.url + record + "?tab=plan")
		p.fill("#task-title", "Call a friend")
		p.do("choose weekly", chromedp.Click(`#repeat-weekly`))
		if resp := p.submit("assign the task", `form[action$="/tasks"]`); resp.Status != http.StatusBadRequest {
			p.t.Fatalf("a weekly task without a weekday: status %d, want 400", resp.Status)
		}
		if p.count(`#tasks .error[role="alert"]`) != 1 {
			p.t.Fatalf("the refused task shows no error")
		}
	}
	// Trackers (issue #19): the demo's Sam has the sleep diary; a form
	// sent empty is refused, and so is an assignment of nothing.
	sleepForm := "/trackers/" + site.trackerOf(t, "sleep_diary") + "/new"
	trackerEmpty := func(p *person) {
		p.open(site.url + sleepForm)
		if resp := p.submit("save an empty entry", `form.tracker-form`); resp.Status != http.StatusBadRequest {
			p.t.Fatalf("an empty tracker entry: status %d, want 400", resp.Status)
		}
	}
	assignNothing := func(p *person) {
		p.open(site.url + record + "/trackers")
		if resp := p.submit("assign nothing", `form[action$="/trackers"]`); resp.Status != http.StatusBadRequest {
			p.t.Fatalf("assigning no tracker: status %d, want 400", resp.Status)
		}
	}
	pages := []struct {
		name string
		who  *person
		path string
		load func(*person) // instead of opening path
	}{
		{name: "client home", who: client, path: "/"},
		{name: "journal", who: client, path: "/journal"},
		{name: "journal search", who: client, path: "/journal?q=walk&mood_min=3&shared=true"},
		{name: "new entry", who: client, path: "/journal/new"},
		{name: "new entry with an error", who: client, load: futureEntry},
		{name: "edit entry", who: client, path: edit},
		{name: "entry versions", who: client, path: versions},
		{name: "journal settings", who: client, path: "/journal/settings"},
		{name: "journal settings with an error", who: client, load: reminderNoDay},
		{name: "plan", who: client, path: "/plan"},
		{name: "tasks", who: client, path: "/tasks"},
		{name: "access log", who: client, path: "/access-log"},
		{name: "more", who: client, path: "/more"},
		{name: "progress", who: client, path: "/progress"},
		{name: "trackers", who: client, path: "/trackers"},
		{name: "tracker form", who: client, path: sleepForm},
		{name: "tracker form with an error", who: client, load: trackerEmpty},
		{name: "clients", who: provider, path: "/clients"},
		{name: "clients, searched and filtered", who: provider, path: "/clients?q=sa&no_contact=7"},
		{name: "client page", who: provider, path: record},
		{name: "client page, every section", who: provider, path: record + "?tab=all"},
		{name: "client page with an error", who: provider, load: weeklyTask},
		{name: "new goal", who: provider, path: record + "/plan/goals/new"},
		{name: "goal editor", who: provider, path: goal},
		{name: "plan version", who: provider, path: version},
		{name: "client journal", who: provider, path: record + "/journal"},
		{name: "client trackers", who: provider, path: record + "/trackers"},
		{name: "client trackers with an error", who: provider, load: assignNothing},
		{name: "tracker library", who: provider, path: "/trackers/library"},
		{name: "brief", who: provider, path: record + "/brief"},
	}
	for _, pg := range pages {
		if (pg.who == client) != (whose == "client") {
			continue
		}
		for _, width := range []int64{phoneWidth, deskWidth} {
			t.Run(fmt.Sprintf("%s/%d", pg.name, width), func(t *testing.T) {
				p := pg.who.in(t)
				p.emulate(width)
				if pg.load != nil {
					pg.load(p)
				} else {
					p.open(site.url + pg.path)
				}
				p.checkA11y(axe, pg.name, width)
			})
		}
	}

	// The check works: axe finds an image without a text alternative.
	if whose != "client" {
		site.browser.checkMessages(t)
		return
	}
	t.Run("axe finds a fault", func(t *testing.T) {
		p := client.in(t)
		p.open(site.url + "/")
		p.eval(`(() => { document.querySelector("main").insertAdjacentHTML("beforeend", '<img src="/static/icon.svg">'); return true })()`)
		vs := p.axe(axe)
		for _, v := range vs {
			if v.ID == "image-alt" && v.Impact == "critical" {
				return
			}
		}
		t.Fatalf("axe-core on a page with an image without alt text found %+v, want image-alt", vs)
	})
	site.browser.checkMessages(t)
}

// in returns the person at the same tab for the subtest t, so that a
// failed step ends the subtest and not its parent. The browser's console
// is still collected by the person in.
func (p *person) in(t *testing.T) *person {
	return &person{t: t, b: p.b, name: p.name, ctx: p.ctx}
}

// emulate sets the tab's viewport: a phone (touch, 2× pixels) at
// phoneWidth, a desktop window otherwise.
func (p *person) emulate(width int64) {
	p.t.Helper()
	if width <= phoneWidth {
		p.do("emulate a phone", chromedp.EmulateViewport(width, 812, chromedp.EmulateMobile, chromedp.EmulatePortrait, chromedp.EmulateScale(2)))
		return
	}
	p.do("emulate a desktop", chromedp.EmulateViewport(width, 900))
}

// docShot saves a full-page screenshot of the tab as name-width.png in
// the -screenshots folder (docs/screenshots, which the README and the
// docs show) at each of the widths, and leaves the tab at the first
// width. Without -screenshots it takes none, so that a test run leaves
// the tree as it was and pays for no picture.
func (p *person) docShot(name string, widths ...int64) {
	p.t.Helper()
	if browsertest.ScreenshotsDir() == "" {
		return
	}
	dir := browsertest.ScreenshotsDir()
	for _, w := range widths {
		p.emulate(w)
		png := run(p, "take a screenshot", chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, w)), png, 0o644); err != nil {
			p.t.Error(err)
		}
	}
	p.emulate(widths[0])
}

// axeSource returns axe-core's script: INTERLUDE_AXE names it, or
// scripts/test.sh has installed it with npm into the repository's
// node_modules. Without it the test skips, except in CI.
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv(axeEnv)
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

// axeViolation is one violation axe-core found, with up to five of the
// elements at fault.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// axe injects axe-core into the page, unless it is there already, and
// returns its violations of WCAG 2.0, 2.1 and 2.2 A and AA. The script is
// evaluated through the DevTools protocol, outside the page's CSP, which
// forbids inline and foreign scripts.
func (p *person) axe(source string) []axeViolation {
	p.t.Helper()
	const check = `axe.run(document, {
		runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
		resultTypes: ["violations"],
	}).then(r => JSON.stringify(r.violations.map(v => ({
		id: v.id, impact: v.impact, help: v.help,
		targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
	}))))`
	if !p.eval(`typeof axe === "object"`) {
		run(p, "inject axe-core", chromedp.Evaluate[any](source))
	}
	out := run(p, "run axe-core", chromedp.Evaluate[string](check, chromedp.EvalAwaitPromise))
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		p.t.Fatalf("axe-core: %v: %.300s", err, out)
	}
	return vs
}

// checkA11y fails the test on every serious or critical violation that
// axe-core finds on the page, and logs the minor and moderate ones. It
// opens every closed <details> first, so that what they hide (the chart's
// table, a deletion's confirmation) is checked too.
func (p *person) checkA11y(source, page string, width int64) {
	p.t.Helper()
	p.eval(`(() => { document.querySelectorAll("details:not([open])").forEach(d => d.open = true); return true })()`)
	for _, v := range p.axe(source) {
		msg := fmt.Sprintf("%s at %d px: axe %s (%s): %s, at %s", page, width, v.ID, v.Impact, v.Help, strings.Join(v.Targets, " | "))
		if v.Impact == "serious" || v.Impact == "critical" {
			p.t.Error(msg)
		} else {
			p.t.Log(msg)
		}
	}
}

// trackerOf returns the id of the demo client's tracker made from the
// seeded template with key (issue #19).
func (c *careSite) trackerOf(t *testing.T, key string) string {
	t.Helper()
	ctx := context.Background()
	creds, err := c.store.CredentialsByEmail(ctx, c.provider.Email)
	if err != nil {
		t.Fatal(err)
	}
	actor := care.Actor{UserID: creds.User.ID, ClinicID: creds.User.ClinicID, Role: creds.User.Role}
	trackers, err := c.store.TrackersOfClient(ctx, actor, c.clientID, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range trackers {
		if tr.Template.Key == key {
			return tr.ID
		}
	}
	t.Fatalf("the demo client has no tracker %s", key)
	return ""
}
