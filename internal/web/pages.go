package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"interlude/internal/care"
)

//go:embed templates
var templateFiles embed.FS

// pages holds one parsed template per page, each with the shared layout.
type pages struct {
	byName map[string]*template.Template

	// record is the standalone copy of a client's record, with no layout
	// (rightofaccess.go), and recordCSS its inlined style sheet.
	record    *template.Template
	recordCSS recordCSS
}

func loadPages(as *assets) (*pages, error) {
	funcs := template.FuncMap{"asset": as.path, "groups": groupsOfFour, "smsHref": smsHref}
	// Partials (templates/partials) are parsed with the layout, so that
	// every page can use them.
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	ps := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		if n == "templates/layout.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFiles, n)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		ps.byName[name] = t
	}
	if ps.record, err = template.New("record").Funcs(funcs).ParseFS(templateFiles, "templates/record/document.html"); err != nil {
		return nil, err
	}
	if ps.recordCSS, err = loadRecordCSS(); err != nil {
		return nil, err
	}
	return ps, nil
}

// Layout is the data every page shares: the layout template reads it.
type Layout struct {
	Title   string
	Nonce   string      // this response's CSP nonce, for script tags
	User    *care.Actor // the signed-in user; nil when signed out
	Scripts []string    // static script files this page needs
	Notice  string      // a one-line confirmation shown at the top

	BreakGlass   []grantBanner // an admin's open break-glass grants: a banner on every page (AC-06)
	StaffNotices []noticeItem  // unread notices, on a staff member's home page
	SafetyAlerts *safetyAlerts // open safety flags and safety notices, on a staff member's home page

	// Tabs is a client's tab bar, the current page marked and unread
	// messages counted (shell.go); nil for staff.
	Tabs []navTab

	// Crisis is where to get help now and who was told, shown first on
	// the page a write whose words held crisis language redirects to
	// (withCrisis).
	Crisis *crisisBanner

	// Session is how long the signed-in user's session has left, for
	// session.js to warn before it ends (issue #18); nil when signed out.
	Session *sessionClock
}

func (s *Server) layout(r *http.Request, title string) Layout {
	l := Layout{Title: title, Nonce: nonceOf(r), Crisis: crisisOf(r)}
	if a := authOf(r); a != nil && a.session.Stage == care.StageFull {
		actor := a.actor
		l.User = &actor
		l.Session = s.sessionClockOf(a)
		s.breakGlassLayout(r, &l)
		s.safetyLayout(r, &l)
		s.clientShellLayout(r, &l)
	}
	return l
}

// renderPage executes a page into a buffer first, so that a template error
// becomes a clean error page instead of half a page.
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	t, ok := s.pages.byName[name]
	var buf bytes.Buffer
	var err error
	if !ok {
		err = fmt.Errorf("no page template %q", name)
	} else {
		err = t.ExecuteTemplate(&buf, "layout.html", data)
	}
	if err != nil {
		s.log.Error("rendering page", "request_id", RequestID(r.Context()), "page", name, "error", err.Error())
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("Something went wrong on our side. Request id: " + RequestID(r.Context()) + "\n")) //nolint:errcheck // a failed write to a response means the client has gone: the status is sent, and no one is left to tell
		return
	}
	page := buf.Bytes()
	if a := authOf(r); a != nil && a.session.Stage == care.StageFull {
		page = s.withFormTokens(page, a.actor.UserID) // forms.go
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(page) //nolint:errcheck // a failed write to a response means the client has gone: the status is sent, and no one is left to tell
}

// errorPage is the page for any failed UI request.
type errorPage struct {
	Layout
	Status    int
	Message   string
	RequestID string
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.Ping(r.Context()); err != nil {
		s.log.Error("health check: database does not answer", "request_id", RequestID(r.Context()), "error", err.Error())
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("database unavailable\n")) //nolint:errcheck // a failed write to a response means the client has gone: the status is sent, and no one is left to tell
		return nil
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok")) //nolint:errcheck // a failed write to a response means the client has gone: the status is sent, and no one is left to tell
	return nil
}

// groupsOfFour spaces a key out for reading aloud or typing: "ABCD EFGH".
func groupsOfFour(s string) string {
	var b strings.Builder
	for i, r := range []rune(s) {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// smsHref is the sms: link of a crisis resource. html/template treats an
// sms: URL as unsafe and would blank it, so the link is built here from
// what care.CrisisResources holds (digits, and a keyword of letters), and
// checked again, before it is marked as safe.
func smsHref(r care.CrisisResource) template.URL {
	ok := func(s string, allowed func(rune) bool) bool {
		return strings.IndexFunc(s, func(c rune) bool { return !allowed(c) }) < 0
	}
	digit := func(c rune) bool { return c >= '0' && c <= '9' || c == '+' }
	letter := func(c rune) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }
	if r.SMS == "" || !ok(r.SMS, digit) || !ok(r.SMSBody, letter) {
		return ""
	}
	return template.URL(r.SMSURI()) //nolint:gosec // only digits and letters, checked above
}
