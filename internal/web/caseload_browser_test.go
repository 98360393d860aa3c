package web

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"interlude/internal/web/browsertest"

	"github.com/chromedp/chromedp"
)

// TestBrowserCaseloadAndMeasures walks issue #7's caseload and measures in
// headless Chromium on the demo clinic: Sam answers the due PHQ-9 on a
// phone, tapping one answer per question, with item 9 above 0, and sees at
// once 988, 911, the clinic's crisis line and its safety message; the
// provider's caseload lists the clients in the order of need, each row
// saying why; the flagged client's page shows the PHQ-9 trend with its
// change markers. Every page is axe-clean at 375 and 1280 px. With
// -screenshots it refreshes docs/screenshots/caseload.png (and
// caseload-375.png and caseload-1280.png)
// and measure-*.png.
func TestBrowserCaseloadAndMeasures(t *testing.T) {
	t.Parallel()
	site := startCareSite(t)
	axe := axeSource(t)
	a11y := func(p *person, page string) {
		p.t.Helper()
		for _, w := range []int64{phoneWidth, deskWidth} {
			p.emulate(w)
			p.checkA11y(axe, page, w)
		}
	}

	// 1. Sam, on a phone.
	client := site.signInClient(t)
	if !strings.Contains(client.text("main"), "PHQ-9") {
		t.Fatalf("Sam's home does not show the due PHQ-9: %.300q", client.text("main"))
	}
	client.follow("open the PHQ-9", `main a[href^="/measures/"]`)
	form := client.path()
	if client.count("fieldset.measure-item") != 10 {
		t.Fatalf("the PHQ-9 has %d questions, want 9 and the difficulty question", client.count("fieldset.measure-item"))
	}
	if a := client.text("p.attribution"); !strings.Contains(a, "Pfizer") || !strings.Contains(a, "Spitzer") || strings.Contains(strings.ToLower(a), "public domain") {
		t.Errorf("the questionnaire's attribution: %q", a)
	}
	if help := client.text("aside.help-now"); !strings.Contains(help, "988") || !strings.Contains(help, "911") || !strings.Contains(help, "(555) 010-0199") {
		t.Errorf("the questionnaire's help: %q", help)
	}
	a11y(client, "PHQ-9 form")
	client.emulate(phoneWidth)
	if client.eval(`document.documentElement.scrollWidth > window.innerWidth + 1`) {
		t.Errorf("the questionnaire scrolls sideways on a phone")
	}
	docShotAs(client, "measure-form.png", phoneWidth)
	for i, a := range []int{1, 2, 1, 1, 0, 1, 1, 0, 1} { // total 8, item 9 "Several days"
		client.do(fmt.Sprintf("answer question %d", i+1), chromedp.Click(chromedp.CSS(fmt.Sprintf("#q%d-%d", i+1, a))))
	}
	client.do("answer the difficulty question", chromedp.Click(chromedp.CSS("#difficulty-2")))
	client.submit("send the answers", "form.measure-form")
	if p := client.path(); p == form || !strings.HasPrefix(p, "/measures/responses/") {
		t.Fatalf("after sending: at %s", p)
	}
	crisis := client.text("section.crisis-now")
	for _, want := range []string{"988", "911", "(555) 010-0199", "will call you within one working day"} {
		if !strings.Contains(crisis, want) {
			t.Errorf("the crisis resources lack %q: %q", want, crisis)
		}
	}
	if got := client.text("main"); !strings.Contains(got, "Your score is 8 out of 27") || !strings.Contains(got, "Very difficult") {
		t.Errorf("the result page: %.300q", got)
	}
	if !client.eval(`document.querySelector("section.crisis-now").getBoundingClientRect().top < window.innerHeight`) {
		t.Errorf("the crisis resources are not on the first screen of the phone")
	}
	a11y(client, "PHQ-9 result with crisis resources")
	docShotAs(client, "measure-result.png", phoneWidth)

	// The follow-up screener (issue #16), offered below the resources:
	// answered "no" four times, a negative screen, which leaves the flag
	// as it was (so the caseload below keeps its order).
	client.follow("open the follow-up questions", `section.crisis-now a[href^="/safety-check/"]`)
	if !strings.HasPrefix(client.path(), "/safety-check/") || client.count("fieldset.measure-item") != 4 {
		t.Fatalf("the screener at %s has %d questions, want 4", client.path(), client.count("fieldset.measure-item"))
	}
	a11y(client, "follow-up screener")
	for i := 1; i <= 4; i++ {
		client.do(fmt.Sprintf("answer question %d no", i), chromedp.Click(chromedp.CSS(fmt.Sprintf("#q%d-no", i))))
	}
	client.submit("send the screener", "form.measure-form")
	if p := client.path(); !strings.HasSuffix(p, "/done") {
		t.Fatalf("after the screener: at %s", p)
	}
	if got := client.text("main"); !strings.Contains(got, "988") || strings.Contains(got, "Please call 988 or 911 now") {
		t.Errorf("the page after a negative screen: %.300q", got)
	}
	a11y(client, "after the follow-up screener")

	// 2. The provider, at a desk: the caseload in the order of need.
	provider := site.signInProvider(t)
	names := run(provider, "read the caseload", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("ol.caseload > li .who a")].map(a => a.textContent.trim().split(" ")[0])`))
	// Alex and Sam have open flags (Sam just now); then one reason each.
	if want := "Alex Sam Jordan Riley Jamie Morgan Casey Taylor"; strings.Join(names, " ") != want && strings.Join(names, " ") != "Sam Alex Jordan Riley Jamie Morgan Casey Taylor" {
		t.Errorf("caseload order %q, want %q (the flagged two in either order)", names, want)
	}
	rows := provider.text("ol.caseload")
	for _, want := range []string{"open safety flag", "GAD-7 reliably worse", "mood fell from", "unread message", "3 missed check-ins", "PHQ-9 overdue by 5 days", "Next session"} {
		if !strings.Contains(rows, want) {
			t.Errorf("the caseload does not say %q", want)
		}
	}
	a11y(provider, "caseload")

	// The search finds a client by part of their name, whatever its case.
	provider.fill("#q", "ORGA")
	provider.submit("search the caseload", `form.filters`)
	found := run(provider, "read the found clients", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("ol.caseload > li .who a")].map(a => a.textContent.trim().split(" ")[0])`))
	if strings.Join(found, " ") != "Morgan" {
		t.Errorf("searching the caseload for %q found %q, want Morgan", "ORGA", found)
	}
	provider.open(site.url + "/clients")
	provider.emulate(phoneWidth)
	if provider.eval(`document.documentElement.scrollWidth > window.innerWidth + 1`) {
		t.Errorf("the caseload scrolls sideways on a phone")
	}
	docShotAs(provider, "caseload.png", deskWidth)
	provider.docShot("caseload", phoneWidth, deskWidth)

	// 3. Alex's page: the PHQ-9 trend with its change markers.
	provider.emulate(deskWidth)
	provider.follow("open Alex's measures", `ol.caseload li.reason-safety_flag a[href$="#flags"]`)
	if !strings.HasPrefix(provider.path(), "/clients/") {
		t.Fatalf("at %s", provider.path())
	}
	provider.open(site.url + provider.path() + "?tab=measures")
	scores := provider.text("#measures table.scores")
	for _, want := range []string{"Baseline", "Item 9 above 0: safety flag", "since baseline"} {
		if !strings.Contains(scores, want) {
			t.Errorf("the scores lack %q: %.400q", want, scores)
		}
	}
	a11y(provider, "client page with measures")
	provider.emulate(deskWidth)
	if browsertest.ScreenshotsDir() != "" {
		png := run(provider, "take a screenshot of the measures", chromedp.Screenshot(chromedp.CSS("#measures")))
		if err := os.WriteFile(filepath.Join(browsertest.ScreenshotsDir(), "measure-trend.png"), png, 0o644); err != nil {
			t.Error(err)
		}
	}

	site.browser.checkMessages(t)
}

// docShotAs saves a full-page screenshot at width as file in the
// -screenshots folder, when there is one.
func docShotAs(p *person, file string, width int64) {
	p.t.Helper()
	p.emulate(width)
	p.shot(strings.TrimSuffix(file, ".png"))
	if browsertest.ScreenshotsDir() == "" {
		return
	}
	png := run(p, "take a screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(browsertest.ScreenshotsDir(), file), png, 0o644); err != nil {
		p.t.Error(err)
	}
}
