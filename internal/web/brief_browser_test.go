package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"interlude/internal/web/browsertest"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// emulateMedia makes the tab apply CSS for media ("print"; "" for the
// screen again).
func emulateMedia(media string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return err
	})
}

// TestBrowserBrief (issue #7): the provider of the demo clinic opens a
// client's pre-session brief from the caseload, in headless Chromium: it
// leads with the items to bring up, shows its charts as images with text
// alternatives, the measures with change markers and the counts; axe-core
// finds nothing serious at a phone's and a desk's width; printed, the
// site's navigation and the page's links and button are gone and the
// charts are drawn in black. With -screenshots it saves
// docs/screenshots/brief.png.
func TestBrowserBrief(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	site := startCareSite(t)
	provider := site.signInProvider(t)
	brief := "/clients/" + site.clientID + "/brief"

	provider.open(site.url + "/clients")
	provider.do("open the brief from the caseload", chromedp.Click(`ol.caseload a[href="`+brief+`"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`main section#discuss`)) // the click navigates: wait for the brief
	provider.wantPath(brief)
	if got := provider.text("h1"); !strings.HasPrefix(got, "Pre-session brief: ") {
		t.Errorf("the brief's heading is %q", got)
	}
	// The sections, in order: what to bring up first.
	ids := run(provider, "list the sections", chromedp.Evaluate[[]string](`[...document.querySelectorAll("main section.brief-section")].map(s => s.id)`))
	want := []string{"discuss", "safety", "trends", "trackers", "goals", "tasks", "measures", "contact", "timeline"}
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Errorf("sections %v, want %v", ids, want)
	}
	if n := provider.count(`#trends svg[role="img"] title`); n == 0 {
		t.Errorf("no chart of mood, sleep or symptoms with a title")
	}
	for _, sel := range []string{"#chart-mood figcaption", "#measures figure.chart figcaption", "#measures table.scores", "#contact dl"} {
		if provider.count(sel) == 0 || strings.TrimSpace(provider.text(sel)) == "" {
			t.Errorf("the brief shows no %s", sel)
		}
	}
	if provider.count(`#timeline article.entry`) == 0 {
		t.Errorf("the demo brief shows no shared entry since the last session")
	}
	if provider.count(`#timeline .badge-private`) != 0 {
		t.Errorf("the brief marks an entry as private")
	}

	for _, width := range []int64{phoneWidth, deskWidth} {
		t.Run(fmt.Sprintf("axe/%d", width), func(t *testing.T) {
			p := provider.in(t)
			p.emulate(width)
			p.open(site.url + brief)
			p.checkA11y(axe, "brief", width)
		})
	}

	// Printed: no navigation, no links back, the charts in black.
	provider.emulate(deskWidth)
	provider.open(site.url + brief)
	provider.do("emulate print", emulateMedia("print"))
	printed := provider.eval(`(() => {
		const hidden = sel => [...document.querySelectorAll(sel)].every(e => getComputedStyle(e).display === "none");
		const line = document.querySelector("svg.brief-chart .trend, svg.brief-chart .point");
		return hidden("header.site") && hidden("footer.site") && hidden(".no-print") &&
			(!line || ["rgb(0, 0, 0)"].includes(getComputedStyle(line).stroke) || getComputedStyle(line).fill === "rgb(0, 0, 0)");
	})()`)
	if !printed {
		t.Errorf("printed, the brief still shows the site's navigation or draws its charts in colour")
	}
	if browsertest.ScreenshotsDir() != "" {
		provider.do("back to the screen", emulateMedia(""))
		png := run(provider, "take a screenshot", chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(browsertest.ScreenshotsDir(), "brief.png"), png, 0o644); err != nil {
			t.Error(err)
		}
	}
}
