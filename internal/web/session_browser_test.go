package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"interlude/internal/care"
)

// TestBrowserIdleWarning (issue #18) walks the idle sign-out in headless
// Chromium with a client idle limit of 20 seconds, so the warning shows 10
// seconds before the end instead of two minutes:
//
//  1. A client writing a journal entry is warned before the end, in a
//     dialog that passes axe-core and says their text is still there;
//     "Stay signed in" moves the session's last-seen time on the server,
//     closes the dialog and gives the focus back to the text.
//  2. Left alone, the session ends: the page says so, and that the text
//     is still on the page; the text is; sending it is held back rather
//     than lost to a "sign in first" page.
//  3. Signed in again in another tab, the person sends the held text
//     from the first, and it is saved.
func TestBrowserIdleWarning(t *testing.T) {
	t.Parallel()
	policy := care.DefaultSessionPolicy()
	policy.ClientIdle = 20 * time.Second // the warning at 10 seconds left leaves axe time to run
	c := startCareSiteWith(t, policy)
	axe := axeSource(t)
	defer c.browser.checkMessages(t)

	p := c.signInClient(t)
	p.open(c.url + "/journal/new")
	const entry = "A long entry about today, written slowly."
	p.fill("#text", entry)
	p.do("focus the text", chromedp.Focus("#text"))

	// 1. The warning, and "Stay signed in".
	p.within(20*time.Second, "the idle warning shows", `document.getElementById("session-warning").open`)
	if got := p.text("#session-warning-text"); got != "You will be signed out in less than a minute to protect your privacy. Stay signed in?" {
		t.Errorf("the warning says %q", got)
	}
	if !p.eval(`!document.querySelector("#session-warning [data-session-unsaved]").hidden`) {
		t.Error("the warning does not say that the typed text is still there")
	}
	p.checkA11y(axe, "journal form with the idle warning", phoneWidth)
	before := lastSeen(t, c)
	p.do("stay signed in", chromedp.Click(`#session-warning [data-session-stay]`))
	p.within(5*time.Second, "the warning closes", `!document.getElementById("session-warning").open`)
	if after := lastSeen(t, c); !after.After(before) {
		t.Errorf("Stay signed in left the session's last-seen time at %v (before: %v)", after, before)
	}
	if !p.eval(`document.activeElement && document.activeElement.id === "text"`) {
		t.Error("after Stay signed in, the focus is not back on the text")
	}

	// 2. The end, with the text still on the page.
	p.within(30*time.Second, "the signed-out note shows", `document.getElementById("session-ended").open`)
	if p.eval(`document.getElementById("session-warning").open`) {
		t.Error("the warning is still open over the signed-out note")
	}
	if !p.eval(`!document.querySelector("#session-ended [data-session-unsaved]").hidden`) {
		t.Error("the signed-out note does not say that the text is still on the page")
	}
	p.checkA11y(axe, "journal form after the idle sign-out", phoneWidth)
	p.do("back to the text", chromedp.Click(`#session-ended [data-session-close]`))
	if p.eval(`document.getElementById("session-ended").open`) {
		t.Error("Back to my text leaves the signed-out note open")
	}
	if !p.eval(`document.activeElement && document.activeElement.id === "text"`) {
		t.Error("Back to my text does not put the focus on the text")
	}
	if got := p.value("#text"); got != entry {
		t.Errorf("after the sign-out the text is %q, want %q", got, entry)
	}
	p.do("try to send it", chromedp.Click(`form.entry-form button[type="submit"]`))
	p.within(5*time.Second, "sending is held back", `document.getElementById("session-ended").open`)
	p.wantPath("/journal/new")
	if got := p.value("#text"); got != entry {
		t.Errorf("after trying to send, the text is %q, want %q", got, entry)
	}

	// 3. Signed in again in another tab, the held text is sent.
	other := &person{t: t, b: c.browser, name: "client, second tab"}
	otherCtx, cancel := chromedp.NewContext(p.ctx) // a tab of the same browser context: the cookie is shared
	defer cancel()
	if err := chromedp.Do(otherCtx); err != nil { // opens the tab
		t.Fatalf("opening a second tab: %v", err)
	}
	other.ctx = otherCtx
	other.open(c.url + "/signin")
	other.signIn(c.client.Email, c.client.Password, "/")
	p.do("back to the text again", chromedp.Click(`#session-ended [data-session-close]`))
	p.do("send it now", chromedp.Click(`form.entry-form button[type="submit"]`))
	p.within(5*time.Second, "the entry is sent", `location.pathname === "/journal"`)
	if got := p.text("main"); !strings.Contains(got, entry) {
		t.Errorf("after signing in again, the journal does not show the entry; it says %.300q", got)
	}
	for _, store := range []string{"localStorage", "sessionStorage"} {
		if !p.eval(store + ".length === 0") {
			t.Errorf("%s holds something", store)
		}
	}
}

// lastSeen is the last-seen time of the client's newest session.
func lastSeen(t *testing.T, c *careSite) time.Time {
	t.Helper()
	list, err := c.store.Sessions(context.Background(), care.Actor{UserID: c.clientID})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		t.Fatal("the client has no session")
	}
	return list[0].LastSeenAt
}
