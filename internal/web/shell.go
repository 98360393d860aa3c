package web

import (
	"net/http"
	"strconv"
	"strings"

	"interlude/internal/care"
)

// The client's app shell (issue #18): a compact header with the safety
// plan one tap away, and five tabs (Home, Journal, Messages, Plan, More),
// a bar at the bottom of a phone's screen and a top bar on a wide one
// (app.css). The tab of the current page is marked, and Messages carries
// the number of the care team's messages the client has not read. Staff
// navigation is the header's links, as before.

// navTab is one tab of the client's bar.
type navTab struct {
	Href, Label string
	// Current is the tab's aria-current: "page" on the tab's own page,
	// "true" on a page of its section (Journal on /journal/new, More on
	// /tasks), "" elsewhere.
	Current string
	Unread  int // the badge on Messages
}

// tabSections are the paths, beyond a tab's own, whose tab is marked.
var tabSections = map[string][]string{
	"/journal":  {"/journal/"},
	"/messages": {"/messages/"},
	"/plan":     {"/plan/"},
	"/more":     {"/tasks", "/measures", "/safety-plan", "/safety-check/", "/access-log", "/account", "/trackers"},
}

// clientTabs lays out the tab bar for a page at path, with unread on
// Messages.
func clientTabs(path string, unread int) []navTab {
	tabs := []navTab{{Href: "/", Label: "Home"}, {Href: "/journal", Label: "Journal"},
		{Href: "/messages", Label: "Messages", Unread: unread}, {Href: "/plan", Label: "Plan"}, {Href: "/more", Label: "More"}}
	for i := range tabs {
		t := &tabs[i]
		if path == t.Href {
			t.Current = "page"
			continue
		}
		for _, p := range tabSections[t.Href] {
			if path == p || strings.HasPrefix(path, strings.TrimSuffix(p, "/")+"/") {
				t.Current = "true"
			}
		}
	}
	return tabs
}

// clientShellLayout fills a client's tabs. The unread count is one small
// query that reads no text, so it writes no audit row, as the staff's
// counts (safetyLayout); a failure shows the tabs without a badge.
func (s *Server) clientShellLayout(r *http.Request, l *Layout) {
	if l.User.Role != care.RoleClient {
		return
	}
	unread, err := s.store.UnreadMessages(r.Context(), *l.User)
	if err != nil {
		s.log.Error("counting unread messages", "request_id", RequestID(r.Context()), "error", err.Error())
	}
	l.Tabs = clientTabs(r.URL.Path, unread)
}

// morePage is the More tab: the client's pages that have no tab.
type morePage struct {
	Layout
}

// GET /more: the client's More tab.
func (s *Server) more(w http.ResponseWriter, r *http.Request) error {
	if _, err := clientOnly(r); err != nil {
		return err
	}
	s.renderPage(w, r, http.StatusOK, "more", &morePage{Layout: s.layout(r, "More")})
	return nil
}

// waitingItem is one line of "Waiting for you" on the client's home: what
// waits, and a link to it.
type waitingItem struct {
	Text, Link, Href string
}

// waitingFor gathers "Waiting for you" from what the home page has
// already read: the open check-in, questionnaires and tasks due (between)
// and the unread count of the Messages tab. It adds no query.
func waitingFor(checkIn *checkInPrompt, between *betweenSessions, tabs []navTab) []waitingItem {
	var out []waitingItem
	if checkIn != nil {
		out = append(out, waitingItem{Text: "Your care team asks how you are today.", Link: "Answer the check-in", Href: "#checkin-h"})
	}
	for _, t := range tabs {
		if t.Unread == 1 {
			out = append(out, waitingItem{Text: "A new message from your care team.", Link: "Read it", Href: "/messages"})
		} else if t.Unread > 1 {
			out = append(out, waitingItem{Text: strconv.Itoa(t.Unread) + " new messages from your care team.", Link: "Read them", Href: "/messages"})
		}
	}
	if between != nil {
		for _, m := range between.Measures {
			out = append(out, waitingItem{Text: "A questionnaire: " + m.Title + ".", Link: "Answer the " + m.Name, Href: "/measures/" + m.ID})
		}
		for _, d := range between.Due {
			if d.Done || (!d.Today && !d.Overdue) {
				continue
			}
			when := "due today"
			if d.Overdue {
				when = "overdue"
			}
			out = append(out, waitingItem{Text: "A task " + when + ": " + d.Title + ".", Link: "Mark it done", Href: "#task-" + d.TaskID + "-" + d.Day})
		}
	}
	return out
}
