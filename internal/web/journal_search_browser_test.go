package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"interlude/internal/care"
	"interlude/internal/web/browsertest"
)

// TestBrowserJournalSearch: a client on a phone opens the search, types a
// word and sees the entry that holds it and not the other; the page stays
// within 375px; Clear brings both back. No page may break the CSP.
func TestBrowserJournalSearch(t *testing.T) {
	t.Parallel()
	browsertest.ChromiumPath(t) // skips without Chromium (fails in CI) before any seeding
	h := startHarborSite(t)
	ctx := context.Background()
	for _, text := range []string{"Saw a heron by the river", "Quiet evening at home"} {
		e := &care.JournalEntry{OccurredAt: time.Now().Add(-time.Hour), Mood: new(6), Text: text, Tags: []string{"outdoors"}}
		if err := h.st.CreateEntry(ctx, actorOf(h.client), h.client.ID, e, nil); err != nil {
			t.Fatal(err)
		}
	}

	b := startBrowser(t)
	b.checkCSPDetector(t)
	cp := b.person(t, "client", true)
	cp.open(h.url + "/signin")
	cp.signIn(h.client.Email, goodPassword, "/")
	cp.open(h.url + "/journal")
	cp.do("open the search", chromedp.Click(chromedp.CSS(`details.journal-search summary`)))
	cp.typeText("#search-q", "HERON")
	cp.submit("search", `form[role="search"]`)
	main := cp.text("main")
	if !strings.Contains(main, "Saw a heron") || strings.Contains(main, "Quiet evening") || !strings.Contains(main, "1 entry matches") {
		t.Errorf("the search page says %q", main)
	}
	if w := run(cp, "measure the page", chromedp.Evaluate[int]("document.documentElement.scrollWidth")); w > 375 {
		t.Errorf("the search page is %dpx wide on a 375px phone", w)
	}
	cp.shot("journal-search-375")
	cp.follow("clear the search", `#search-count a[href="/journal"]`)
	if main := cp.text("main"); !strings.Contains(main, "Saw a heron") || !strings.Contains(main, "Quiet evening") {
		t.Errorf("after Clear the journal says %q", main)
	}
	b.checkMessages(t)
}
