package web

import (
	"strings"
	"testing"
)

// TestBrowserSafetyFlags (issue #7), in headless Chromium on the demo
// clinic (whose flagged PHQ-9 waits for the care team), with axe-core at a
// phone's and a desk's width: the provider's home page says how many
// safety flags wait and leads to the page of open flags; the provider
// acknowledges one there with a note, and it leaves the list.
func TestBrowserSafetyFlags(t *testing.T) {
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

	provider := site.signInProvider(t)
	if got := provider.text(".safety-alerts"); !strings.Contains(got, "open safety flag") {
		t.Fatalf("the provider's home shows no open flags: %q", got)
	}
	check(provider, "provider home with safety alerts")
	provider.docShot("safety-alerts", deskWidth)
	provider.emulate(deskWidth)
	if n := provider.count(`.safety-alerts a[href="/safety-flags"]`); n != 1 {
		t.Fatalf("the alert has %d links to the open flags, want 1", n)
	}
	provider.open(site.url + "/safety-flags")
	before := provider.count(`ul.flag-list > li`)
	if before == 0 {
		t.Fatal("no open flags on the page")
	}
	if got := provider.text(`ul.flag-list > li`); !strings.Contains(got, "PHQ-9 item 9") && !strings.Contains(got, "Crisis language") {
		t.Errorf("the first flag says %q", got)
	}
	check(provider, "open safety flags")
	provider.docShot("safety-flags", phoneWidth, deskWidth)

	provider.emulate(phoneWidth)
	provider.fill(`ul.flag-list > li textarea[name="note"]`, "Called Sam: safe tonight; safety plan reviewed; seeing them Tuesday.")
	provider.submit("acknowledge the flag", `ul.flag-list > li form`)
	provider.wantPath("/safety-flags")
	if got := provider.text(".notice"); got != "The safety flag is acknowledged, with your note." {
		t.Errorf("after acknowledging: %q", got)
	}
	if n := provider.count(`ul.flag-list > li`); n != before-1 {
		t.Errorf("%d open flags after acknowledging one of %d", n, before)
	}
	check(provider, "open safety flags after acknowledging")
	site.browser.checkMessages(t)
}
