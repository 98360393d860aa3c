package web

import (
	"context"
	"encoding/base32"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"interlude/internal/auth"
)

// liveDeadline is how soon a message must show on the other person's open
// page: a functional deadline (the page updates by itself, without a
// reload), not a speed benchmark (issue #6 measures speed with `interlude
// bench messages`).
const liveDeadline = time.Second

// receiptDeadline is how soon a read receipt must show on the sender's
// page: the reader's page marks the message read (one request), whose
// event then refreshes the sender's (another): two hops where a message
// takes one.
const receiptDeadline = 2 * time.Second

// TestBrowserMessagesLive is issue #6's two-person walk, each person in a
// browser of their own (two Chromium processes, two profiles): the client,
// on a phone, sends a message; the provider's open thread page shows it
// within a second without a reload; the provider's page marks it read and
// the client's page shows the receipt; the provider replies and the
// client's open page shows the reply, and the provider's the receipt. Both
// pages read oldest first with the compose box under the newest (#18).
// Then axe-core checks the thread page of each at 375 and 1280 pixels; a
// message that arrives while the client reads back leaves their page
// where it was, saying it is below; the page opens at the newest
// message; and signing out in another tab closes the page's stream with
// a notice.
func TestBrowserMessagesLive(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	site := startCareSite(t)
	client := site.signInClient(t)
	provider := site.signInProviderIn(t, startBrowser(t))

	thread := "/clients/" + site.clientID + "/messages"
	provider.open(site.url + thread)
	provider.waitLive()
	client.open(site.url + "/messages")
	client.waitLive()
	provider.markPage()
	client.markPage()

	// The client sends; the provider's open page shows it.
	text := fmt.Sprintf("Checking in from the bus, %d", time.Now().UnixNano())
	mine := client.send(text)
	provider.within(liveDeadline, "the message shows on the provider's page", shows(mine, text))
	if n := provider.count(`[id="` + mine + `"].mine`); n != 0 {
		t.Errorf("the provider's page shows the client's message as the provider's own")
	}

	// The provider's page, in view, marks it read; the client's shows it.
	client.within(receiptDeadline, "the receipt shows on the client's page", receipt(mine))
	provider.within(receiptDeadline, "the provider's page no longer offers to mark it read",
		fmt.Sprintf(`(() => { const m = document.getElementById(%q); return !!m && !m.querySelector("form.mark-read") })()`, mine))

	// The provider replies; the client's open page shows the reply and
	// the provider's the receipt.
	reply := "Thanks for checking in. Let's talk about it on Thursday."
	theirs := provider.send(reply)
	client.within(liveDeadline, "the reply shows on the client's page", shows(theirs, reply))
	provider.within(receiptDeadline, "the receipt shows on the provider's page", receipt(theirs))
	client.samePage("after the whole exchange")
	provider.samePage("after the whole exchange")

	// As in a messaging app (#18): oldest to newest, the compose box
	// under the newest message, each person's own on the right.
	for _, p := range []*person{client, provider} {
		if !p.eval(fmt.Sprintf(`(() => { const a = document.getElementById(%q), b = document.getElementById(%q), f = document.querySelector("form.compose-form");
		  return !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING) && !!(b.compareDocumentPosition(f) & Node.DOCUMENT_POSITION_FOLLOWING) })()`, mine, theirs)) {
			t.Errorf("%s: the page does not list the messages oldest first with the compose box under them", p.name)
		}
		if got := p.text(`#thread-list .day-sep`); got != "Today" {
			t.Errorf("%s: the day's separator says %q", p.name, got)
		}
	}

	for _, p := range []*person{client, provider} {
		for _, width := range []int64{phoneWidth, deskWidth} {
			t.Run(fmt.Sprintf("axe/%s/%d", p.name, width), func(t *testing.T) {
				q := p.in(t)
				q.emulate(width)
				q.checkA11y(axe, "thread", width)
			})
		}
	}
	client.docShot("messages-client", phoneWidth, deskWidth)
	provider.docShot("messages-provider", deskWidth, phoneWidth)
	client.shot("thread")
	provider.shot("thread")

	// Reading back: while the client reads earlier messages, a new one
	// goes at the bottom and nothing moves; the status says it is below.
	client.emulate(phoneWidth)
	long := strings.Repeat("A long message, to read back through. ", 60)
	longID := provider.send(long)
	later := provider.send("And one more thing.")
	client.within(liveDeadline, "the later message shows on the client's page", shows(later, "And one more thing."))
	client.eval(fmt.Sprintf(`(() => { document.getElementById(%q).scrollIntoView(); window.readingAt = window.scrollY; return true })()`, mine))
	newest := provider.send("A message that arrives while the client reads back")
	client.within(liveDeadline, "the newest message shows on the client's page", shows(newest, "A message that arrives while the client reads back"))
	if !client.eval(`window.scrollY === window.readingAt`) {
		t.Errorf("a new message moved the page under the client reading back")
	}
	client.within(time.Second, "the status says a new message is below", `document.getElementById("live-status").textContent === "A new message is below."`)
	client.eval(`(() => { document.querySelector("#thread li.message:last-child").scrollIntoView(); return true })()`)
	client.within(time.Second, "the status is cleared at the newest", `document.getElementById("live-status").textContent === ""`)

	// Earlier messages: a page of the newest two links to the earlier
	// ones, which come in above without moving what the client reads.
	client.open(site.url + "/messages?limit=2")
	client.waitLive()
	client.markPage()
	if n := client.count("#thread li.message"); n != 2 {
		t.Errorf("a page of two shows %d messages", n)
	}
	client.eval(fmt.Sprintf(`(() => { window.readingTop = document.getElementById(%q).getBoundingClientRect().top; return true })()`, later))
	client.do("press Earlier messages", chromedp.Click(`a#earlier`))
	client.within(5*time.Second, "the earlier messages come in above",
		fmt.Sprintf(`[...document.querySelectorAll("#thread li.message")].map(m => m.id).join(" ") === %q`, strings.Join([]string{mine, theirs, longID, later, newest}, " ")))
	if !client.eval(fmt.Sprintf(`Math.abs(document.getElementById(%q).getBoundingClientRect().top - window.readingTop) < 2`, later)) {
		t.Errorf("the earlier messages moved the message the client was reading")
	}
	if client.count("a#earlier") != 0 || client.text("#live-status") != "3 earlier messages added above." {
		t.Errorf("with nothing earlier left, the link stays or the status says %q", client.text("#live-status"))
	}
	client.samePage("after loading earlier messages")

	// The page opens at the newest message.
	client.open(site.url + "/messages")
	client.waitLive()
	if !client.eval(`(() => { const all = document.querySelectorAll("#thread li.message"); const r = all[all.length - 1].getBoundingClientRect(); return window.scrollY > 0 && r.top >= 0 && r.bottom <= window.innerHeight })()`) {
		t.Errorf("the client's page does not open at the newest message")
	}

	// Signing out elsewhere (the client's other tab, same browser
	// context) closes this page's stream: it says so.
	run(client, "sign out from another tab", chromedp.Evaluate[bool](
		`fetch("/signout", {method: "POST", credentials: "same-origin", redirect: "manual"}).then(() => true)`, chromedp.EvalAwaitPromise))
	client.within(5*time.Second, "the client's page notices the sign-out",
		`document.getElementById("live-status").getAttribute("data-live") === "closed"`)
	if s := client.text("#live-status"); !strings.Contains(s, "session has ended") {
		t.Errorf("after signing out the status says %q", s)
	}

	site.browser.checkMessages(t)
	provider.b.checkMessages(t)
}

// signInProviderIn is signInProvider in another browser.
func (c *careSite) signInProviderIn(t *testing.T, b *browser) *person {
	t.Helper()
	p := b.person(t, "provider", false)
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

// send writes a message in the thread's compose box and sends it, which
// messages.js does without leaving the page; it waits until the page
// shows it as the person's own and returns its element's id.
func (p *person) send(text string) string {
	p.t.Helper()
	p.fill("#message-text", text)
	p.do("press Send", chromedp.Click(`form.compose-form button[type="submit"]`))
	find := fmt.Sprintf(`(() => { const m = [...document.querySelectorAll("ol.thread li.message.mine")].find(m => m.querySelector(".text").textContent === %q); return m ? m.id : "" })()`, text)
	p.within(10*time.Second, "the message shows as sent", fmt.Sprintf(`%s !== ""`, find))
	// The stream may show the message before the post's own answer
	// clears the box: that follows at once.
	p.within(5*time.Second, "the compose box is cleared", `document.getElementById("message-text").value === ""`)
	return run(p, "find the sent message", chromedp.Evaluate[string](find))
}

// shows is the condition that the page shows the message of that id
// with that text.
func shows(id, text string) string {
	return fmt.Sprintf(`(() => { const m = document.getElementById(%q); return !!m && m.querySelector(".text").textContent === %q })()`, id, text)
}

// receipt is the condition that the page shows the message of that id
// as read.
func receipt(id string) string {
	return fmt.Sprintf(`(() => { const m = document.getElementById(%q); const r = m && m.querySelector(".read"); return !!r && r.textContent.startsWith("Read ") })()`, id)
}

// waitLive waits until the thread page's event stream is open.
func (p *person) waitLive() {
	p.t.Helper()
	p.within(10*time.Second, "the thread's stream opens",
		`(() => { const s = document.getElementById("live-status"); return !!s && s.getAttribute("data-live") === "open" })()`)
}

// markPage leaves a mark on the page's window that a reload would wipe.
func (p *person) markPage() {
	p.t.Helper()
	p.eval(`(() => { window.interludeTestMark = true; return true })()`)
}

// samePage checks that the page was not reloaded since markPage.
func (p *person) samePage(when string) {
	p.t.Helper()
	if !p.eval(`window.interludeTestMark === true`) {
		p.t.Errorf("%s: %s: the page was reloaded", p.name, when)
	}
}

// within polls a JavaScript condition on the page until it holds, and
// fails the test if it does not within d.
func (p *person) within(d time.Duration, what, cond string) {
	p.t.Helper()
	start := time.Now()
	for {
		// A page may be navigating (a form's answer replacing it): an
		// evaluation it cuts short is tried again, until the deadline.
		ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			p.t.Logf("%s: %s after %v", p.name, what, time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > d {
			p.shot("FAILED-" + strings.ReplaceAll(what, " ", "-"))
			p.t.Fatalf("%s: %s: not within %v (last evaluation: %v)", p.name, what, d, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBrowserUnreadBadge (#18): a provider's reply shows as unread on the
// Messages tab of the client's tab bar, on every page, and says so on
// Home; once the client has opened the thread (the provider sees the
// receipt), the badge is gone.
func TestBrowserUnreadBadge(t *testing.T) {
	t.Parallel()
	site := startCareSite(t)
	client := site.signInClient(t)
	provider := site.signInProviderIn(t, site.browser)
	const badge = `nav.tabs a[href="/messages"] .unread`

	// Whatever the demo left unread is read first.
	client.open(site.url + "/messages")
	client.open(site.url + "/journal")
	if n := client.count(badge); n != 0 {
		t.Fatalf("a badge after reading the thread: %q", client.text(badge))
	}

	provider.open(site.url + "/clients/" + site.clientID + "/messages")
	provider.waitLive()
	reply := provider.send("A note before Thursday: bring your sleep diary.")

	client.open(site.url + "/journal")
	if got := client.text(badge); got != "1" {
		t.Errorf("the Messages tab's badge says %q after one reply, want 1", got)
	}
	client.open(site.url + "/")
	if waiting := client.text("#waiting-h + ul"); !strings.Contains(waiting, "A new message from your care team.") {
		t.Errorf("Home's waiting strip says %q", waiting)
	}
	client.follow("open the Messages tab", `nav.tabs a[href="/messages"]`)
	provider.within(receiptDeadline, "the receipt shows on the provider's page", receipt(reply))
	client.open(site.url + "/")
	if n := client.count(badge); n != 0 {
		t.Errorf("the badge stays after the reply was read: %q", client.text(badge))
	}
}
