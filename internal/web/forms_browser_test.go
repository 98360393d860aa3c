package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserNothingTypedIsLost is issue #18's promise in Chromium, on a
// phone: a client writes a journal entry, their session ends (30 minutes
// idle) before they press Save; they are asked to sign in again, told the
// entry is kept, and after signing in they land on their journal with it
// saved, once. A reload there sends nothing; a double click on Save, and
// a reload of the page it leads to, save one entry.
func TestBrowserNothingTypedIsLost(t *testing.T) {
	t.Parallel()
	site := startCareSite(t)
	client := site.signInClient(t)
	count := func(text string) int {
		t.Helper()
		client.open(site.url + "/journal")
		return run(client, "count the entries", chromedp.Evaluate[int](fmt.Sprintf(
			`Array.from(document.querySelectorAll("article.entry .entry-text")).filter(e => e.textContent.trim() === %q).length`, text)))
	}

	const slow = "Typed slowly on the bus while the session ran out"
	client.open(site.url + "/journal/new")
	client.do("choose mood 5", chromedp.Click(`label[for="mood-5"]`))
	client.fill("#text", slow)
	site.advance(31 * time.Minute) // the client's idle limit is 30 minutes
	client.submit("save after the session ended", `form.entry-form`)
	client.wantPath("/signin")
	if note := client.text("#held-note"); !strings.Contains(note, "kept safe") {
		t.Errorf("the sign-in page says %q, want that the entry is kept", note)
	}
	if strings.Contains(run(client, "read the address", chromedp.Location()), "bus") {
		t.Error("the kept entry is in the address bar")
	}
	client.signIn(site.client.Email, site.client.Password, "/journal")
	if notice := client.text("p.notice"); notice != "Your entry is saved." {
		t.Errorf("after signing in again the page says %q", notice)
	}
	run(client, "reload", chromedp.Reload())
	if n := count(slow); n != 1 {
		t.Errorf("the entry written as the session ended is saved %d times, want once", n)
	}

	// A double click on Save: Chromium itself sends one post of a form
	// at a time, so the page sends the form's post twice at once, as a
	// second click, or a reload of a post's answer, would.
	const twice = "Pressed Save twice in a hurry"
	client.open(site.url + "/journal/new")
	client.do("choose mood 6", chromedp.Click(`label[for="mood-6"]`))
	client.fill("#text", twice)
	landed := run(client, "send the form twice at once", chromedp.Evaluate[string](`(() => {
		const f = document.querySelector("form.entry-form");
		const body = new URLSearchParams(new FormData(f));
		const send = () => fetch(f.action, {method: "POST", body, credentials: "same-origin"});
		return Promise.all([send(), send()]).then(([a, b]) => a.status + " " + new URL(a.url).pathname + ", " + b.status + " " + new URL(b.url).pathname);
	})()`, chromedp.EvalAwaitPromise))
	if landed != "200 /journal, 200 /journal" {
		t.Errorf("the two posts of one form led to %q, want both to the journal", landed)
	}
	run(client, "reload", chromedp.Reload())
	if n := count(twice); n != 1 {
		t.Errorf("the entry of a double click is saved %d times, want once", n)
	}
}
