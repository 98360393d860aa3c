package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"interlude/internal/web/browsertest"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestBrowserRecordDownload (issue #8, 45 CFR 164.524), in headless
// Chromium on the demo clinic: the client finds "Download my record" on
// their account page, both links answer files of the right kind, and the
// readable copy opens within its own CSP (no script, its one style
// sheet), reads at a phone's and a desk's width, passes axe-core at both,
// and hides its contents list on paper. The provider's form for a copy
// passes axe-core too. With -screenshots it refreshes
// docs/screenshots/record-download-*.png.
func TestBrowserRecordDownload(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	site := startCareSite(t)
	check := func(p *person, page string) {
		p.t.Helper()
		for _, w := range []int64{phoneWidth, deskWidth} {
			p.emulate(w)
			p.checkA11y(axe, page, w)
		}
	}

	client := site.signInClient(t)
	// The demo's Sam has an empty thread (TestBrowserBoundaries counts
	// it): one message, for the copy's messages section.
	client.open(site.url + "/messages")
	client.send("A message for my copy")
	client.open(site.url + "/account")
	if got := client.text("#my-record h2"); got != "Download my record" {
		t.Errorf("the account page's section is %q", got)
	}
	check(client, "account page")
	client.emulate(phoneWidth)
	// The links answer files (a browser saves them; fetch reads the
	// headers the browser would save them by).
	for _, c := range []struct{ href, ctype, ext string }{
		{"/account/record.html", "text/html; charset=utf-8", ".html"},
		{"/account/record.json", "application/fhir+json", ".json"},
	} {
		if n := client.count(`#my-record a[href="` + c.href + `"][download]`); n != 1 {
			t.Errorf("the account page links %s %d times", c.href, n)
		}
		got := run(client, "fetch "+c.href, chromedp.Evaluate[string](`fetch("`+c.href+`").then(r =>
			r.status + " " + r.headers.get("content-type") + " " + r.headers.get("content-disposition"))`, chromedp.EvalAwaitPromise))
		if !strings.HasPrefix(got, "200 "+c.ctype+" attachment; filename=\"interlude-record-") || !strings.HasSuffix(got, c.ext+`"`) {
			t.Errorf("%s answers %q", c.href, got)
		}
	}

	// The readable copy, opened in the browser.
	client.follow("open the copy", `#my-record a[href="/account/record"]`)
	client.wantPath("/account/record")
	if h := client.text("h1"); !strings.HasPrefix(h, "Health record of ") {
		t.Errorf("the copy's heading is %q", h)
	}
	for _, id := range []string{"about", "care-team", "plan", "tasks", "sessions", "journal", "check-ins", "measures", "messages", "safety", "access"} {
		if n := client.count("section#" + id + " h2"); n != 1 {
			t.Errorf("the copy has %d headings for section %s", n, id)
		}
	}
	// The demo's six weeks are in it: entries (some private, marked),
	// questionnaires with their answers, tasks, messages.
	for _, sel := range []string{"#journal li.private", "#journal li:not(.private)", "#measures li table", "#tasks li", "#messages li", "#plan li"} {
		if n := client.count(sel); n == 0 {
			t.Errorf("the copy has no %s", sel)
		}
	}
	if n := client.count("script"); n != 0 {
		t.Errorf("the copy holds %d scripts", n)
	}
	// Its style sheet applies (a blocked one would leave the contents
	// list in one column and the headings unstyled).
	if !client.eval(`getComputedStyle(document.querySelector("h2")).borderBottomStyle === "solid"`) {
		t.Errorf("the copy's style sheet does not apply: blocked by its CSP?")
	}
	check(client, "the record's readable copy")
	client.emulate(phoneWidth)
	if !client.eval(`document.documentElement.scrollWidth <= window.innerWidth`) {
		t.Errorf("the copy scrolls sideways at 375 px")
	}
	client.screenShot("record-download", phoneWidth)
	client.screenShot("record-download-1280", deskWidth)
	client.emulate(phoneWidth)
	media := func(m string) {
		t.Helper()
		if _, err := chromedp.Call(client.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m}); err != nil {
			t.Fatalf("emulate media %q: %v", m, err)
		}
	}
	media("print")
	if !client.eval(`getComputedStyle(document.querySelector("nav.toc")).display === "none"`) {
		t.Errorf("the contents list is printed")
	}
	media("")

	provider := site.signInProvider(t)
	provider.open(site.url + "/clients/" + site.clientID)
	provider.follow("follow the copy link", `a[href="/clients/`+site.clientID+`/record-copy"]`)
	provider.wantPath("/clients/" + site.clientID + "/record-copy")
	check(provider, "the staff copy's form")
	provider.emulate(phoneWidth)
	provider.shot("record-copy-375")

	site.browser.checkMessages(t)
}

// screenShot saves what the screen shows of the tab at width (not the
// whole page: the record of six weeks is many screens long) as
// name.png in the -screenshots folder, when there is one.
func (p *person) screenShot(name string, width int64) {
	p.t.Helper()
	if browsertest.ScreenshotsDir() == "" {
		return
	}
	p.emulate(width)
	png := run(p, "take a screenshot", chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(browsertest.ScreenshotsDir(), name+".png"), png, 0o644); err != nil {
		p.t.Error(err)
	}
}
