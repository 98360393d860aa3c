package web

import (
	"net/http"
	"strings"
	"testing"

	"interlude/internal/store/storetest"
)

// tabBar is the client's tab bar in a page, or "" when it has none.
func tabBar(body string) string {
	start := strings.Index(body, `<nav class="tabs"`)
	if start < 0 {
		return ""
	}
	end := strings.Index(body[start:], "</nav>")
	return body[start : start+end]
}

// TestClientShell: each of the client's tabs marks its own page with
// aria-current="page" (and its section's pages with "true"); Messages
// counts the care team's unread messages, with words for a screen reader,
// on Home's "Waiting for you" too, and the count clears once the client
// has read them; counting writes no audit row; staff keep their header.
func TestClientShell(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		page := func(path, token string) string {
			t.Helper()
			rec := e.call(t, "GET", path, token, nil)
			expect(t, rec, http.StatusOK, "", path)
			return rec.Body.String()
		}

		tabs := map[string]string{"/": "Home", "/journal": "Journal", "/messages": "Messages", "/plan": "Plan", "/more": "More"}
		for path, label := range tabs {
			bar := tabBar(page(path, e.client))
			if want := `<a href="` + path + `" class="tab tab-` + label + `" aria-current="page">`; !strings.Contains(bar, want) {
				t.Errorf("%s: the tab bar lacks %s:\n%s", path, want, bar)
			}
			if n := strings.Count(bar, "aria-current="); n != 1 {
				t.Errorf("%s: %d tabs marked, want 1", path, n)
			}
		}
		for path, label := range map[string]string{"/tasks": "More", "/journal/new": "Journal", "/access-log": "More"} {
			if want := `class="tab tab-` + label + `" aria-current="true">`; !strings.Contains(tabBar(page(path, e.client)), want) {
				t.Errorf("%s: the %s tab is not marked as the section", path, label)
			}
		}
		body := page("/more", e.client)
		for _, link := range []string{`href="/tasks"`, `href="/measures"`, `href="/safety-plan"`, `href="/account#my-record"`, `href="/access-log"`, `href="/account"`, `action="/signout"`} {
			if !strings.Contains(body, link) {
				t.Errorf("the More page lacks %s", link)
			}
		}

		// No badge yet; two messages from the provider make one of 2.
		if bar := tabBar(page("/", e.client)); strings.Contains(bar, `class="unread"`) {
			t.Errorf("a badge with nothing unread: %s", bar)
		}
		e.call(t, "POST", e.base+"/messages", e.client, map[string]string{"text": "Hello"})
		var ids []string
		for _, text := range []string{"First reply", "Second reply"} {
			rec := e.call(t, "POST", e.base+"/messages", e.provider, map[string]string{"text": text})
			expect(t, rec, http.StatusCreated, "", "the provider's message")
			ids = append(ids, respJSON[messageJSON](t, rec).ID)
		}
		audits := e.count(t, "audit_events")
		body = page("/more", e.client)
		if got := e.count(t, "audit_events"); got != audits {
			t.Errorf("a page with the unread count wrote %d audit rows", got-audits)
		}
		badge := `<span class="tab-label">Messages</span> <span class="unread" aria-hidden="true">2</span><span class="visually-hidden">, 2 unread</span>`
		if !strings.Contains(tabBar(body), badge) {
			t.Errorf("the Messages tab after two replies:\n%s", tabBar(body))
		}
		body = page("/", e.client)
		if !strings.Contains(body, `<h2 id="waiting-h">Waiting for you</h2>`) || !strings.Contains(body, `2 new messages from your care team. <a href="/messages">Read them</a>`) {
			t.Errorf("Home's waiting strip lacks the replies:\n%s", body)
		}

		// The client reads the thread: the badge and the line go.
		for _, id := range ids {
			rec := e.postForm(t, "/messages/"+id+"/read", e.client, nil)
			expect(t, rec, http.StatusSeeOther, "", "marking read")
		}
		body = page("/", e.client)
		if strings.Contains(tabBar(body), `class="unread"`) || strings.Contains(body, "new message") {
			t.Errorf("after reading, a badge or a waiting line remains:\n%s", tabBar(body))
		}

		// Staff keep their header; More is a client's page only.
		if body := page("/clients", e.provider); tabBar(body) != "" || !strings.Contains(body, `<nav class="account"`) {
			t.Errorf("the provider's page has the client's tabs")
		}
		expect(t, e.call(t, "GET", "/more", e.provider, nil), http.StatusNotFound, "", "a provider at /more")
	})
}
