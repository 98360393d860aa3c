package web

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// syncBuffer is a log sink that tests can read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type testServer struct {
	*Server
	db  *storetest.DB
	log *syncBuffer
}

func newTestServer(t *testing.T, db *storetest.DB) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	s, err := New(Config{
		Store:    db.Store,
		Logger:   slog.New(slog.NewJSONHandler(logs, nil)),
		Registry: prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return &testServer{Server: s, db: db, log: logs}
}

func (ts *testServer) do(t *testing.T, method, target string, body io.Reader) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, httptest.NewRequest(method, target, body))
	return rec
}

// samplePath turns a route pattern into a path that matches it.
func samplePath(pattern string) (method, path string) {
	method, path, found := strings.Cut(pattern, " ")
	if !found {
		method, path = "GET", pattern
	}
	path = strings.ReplaceAll(path, "{$}", "")
	path = regexp.MustCompile(`\{[a-z]+\.*\}`).ReplaceAllString(path, "abc")
	return method, path
}

// TestSecurityHeadersOnEveryRoute walks the route table (SC-*: headers on
// every response, whatever the route and whatever the outcome).
func TestSecurityHeadersOnEveryRoute(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	want := map[string]string{
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "no-referrer",
		"X-Frame-Options":            "DENY",
		"Cross-Origin-Opener-Policy": "same-origin",
	}
	routes := ts.routeTable()
	if len(routes) < 5 {
		t.Fatalf("route table has %d routes", len(routes))
	}
	for _, rt := range routes {
		method, path := samplePath(rt.pattern)
		t.Run(rt.pattern, func(t *testing.T) {
			rec := ts.do(t, method, path, nil)
			h := rec.Header()
			for k, v := range want {
				if got := h.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			csp := h.Get("Content-Security-Policy")
			for _, part := range []string{"frame-ancestors 'none'", "script-src 'nonce-", "default-src 'none'", "object-src 'none'", "base-uri 'none'"} {
				if !strings.Contains(csp, part) {
					t.Errorf("CSP %q lacks %q", csp, part)
				}
			}
			if strings.Contains(csp, "unsafe-inline") {
				t.Errorf("CSP allows inline code: %q", csp)
			}
			if !strings.HasPrefix(h.Get("Strict-Transport-Security"), "max-age=") {
				t.Errorf("no HSTS")
			}
			if h.Get("X-Request-Id") == "" {
				t.Errorf("no request id")
			}
			if rec.Code != http.StatusNotFound && !strings.HasPrefix(path, "/static/") && h.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", h.Get("Cache-Control"))
			}
		})
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, storetest.Open(t, "sqlite"))

	rec := ts.do(t, "GET", "/api/v1/nothing-here", nil)
	if rec.Code != http.StatusNotFound {
		t.Fatalf("API 404: got %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("API error content type = %q", ct)
	}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("API error is not the API.md shape: %v", err)
	}
	if body.Error.Code != "not_found" || body.Error.Message == "" {
		t.Errorf("got %+v", body)
	}

	rec = ts.do(t, "GET", "/no/such/page", nil)
	if rec.Code != http.StatusNotFound || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("page 404: got %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if !strings.Contains(rec.Body.String(), "There is no page at this address.") {
		t.Errorf("404 page does not explain itself:\n%s", rec.Body)
	}
}

// TestPanicIsRecovered: a panicking handler answers a generic 500 with the
// request id, the log names the request id and not the panic's value, and
// the server goes on serving.
func TestPanicIsRecovered(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	h := ts.requestID(ts.observe(ts.recoverPanics(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("boom")
	}))))
	for _, target := range []string{"/api/v1/x", "/page"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != http.StatusInternalServerError {
			t.Fatalf("%s: got %d, want 500", target, rec.Code)
		}
		id := rec.Header().Get("X-Request-Id")
		if !strings.Contains(rec.Body.String(), "request id") && !strings.Contains(rec.Body.String(), id) {
			t.Errorf("%s: the 500 does not name the request: %s", target, rec.Body)
		}
		if strings.Contains(rec.Body.String(), "boom") {
			t.Errorf("%s: the panic value reached the user", target)
		}
		if !strings.Contains(ts.log.String(), id) {
			t.Errorf("%s: the log does not name request %s", target, id)
		}
	}
	if rec := ts.do(t, "GET", "/healthz", nil); rec.Code != http.StatusOK {
		t.Errorf("after a panic, /healthz = %d", rec.Code)
	}
}

// TestLogsCarryNoPathOrQuery: a path or query may hold tokens or PHI; the
// log line names the route pattern only (AU-*, "no PHI in logs").
func TestLogsCarryNoPathOrQuery(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	const canary = "CANARY-7f3a9"
	ts.do(t, "GET", "/static/"+canary+".css?q="+canary, nil)
	ts.do(t, "GET", "/api/v1/clients/"+canary+"?note="+canary, nil)
	ts.do(t, "GET", "/?search="+canary, nil)
	logs := ts.log.String()
	if strings.Count(logs, `"msg":"request"`) != 3 {
		t.Fatalf("want 3 request lines, got:\n%s", logs)
	}
	if strings.Contains(logs, canary) {
		t.Errorf("the log holds a path or query:\n%s", logs)
	}
	if !strings.Contains(logs, `"route":"GET /static/{file}"`) {
		t.Errorf("the log does not name the route pattern:\n%s", logs)
	}
}

func TestStaticAssets(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	p, err := ts.assets.path("app.css")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^/static/app\.[0-9a-f]{8}\.css$`).MatchString(p) {
		t.Fatalf("asset path %q is not fingerprinted", p)
	}
	rec := ts.do(t, "GET", p, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s = %d", p, rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("content type %q", ct)
	}
	if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("cache control %q", cc)
	}
	// The unfingerprinted name, or a stale fingerprint, is not served.
	for _, stale := range []string{"/static/app.css", "/static/app.00000000.css"} {
		if rec := ts.do(t, "GET", stale, nil); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", stale, rec.Code)
		}
	}
	// The page links the fingerprinted file.
	if rec := ts.do(t, "GET", "/", nil); !strings.Contains(rec.Body.String(), p) {
		t.Errorf("the home page does not link %s", p)
	}
}

// TestEveryPageTemplate executes each page template with its typed data,
// so that a template error shows here and not in front of a user.
func TestEveryPageTemplate(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	user := &care.Actor{UserID: "u1", Name: "Dana Rivera", Role: care.RoleAdmin}
	signedIn := Layout{Title: "T", Nonce: "n0nce", User: user, Notice: "Done."}
	clientLayout := Layout{Title: "T", Nonce: "n0nce", User: &care.Actor{UserID: "c1", Name: "Sam Lee", Role: care.RoleClient}, Tabs: clientTabs("/", 2)}
	inv := &invited{DisplayName: "Sam", Role: care.RoleClient, URL: "http://x/invite/tok", QR: "data:image/png;base64,AA==", Expires: "Mon"}
	data := map[string]any{
		"home":  &homePage{Layout: Layout{Title: "Interlude"}, ClinicCount: 2},
		"error": &errorPage{Layout: Layout{Title: "Not Found"}, Status: 404, Message: "gone", RequestID: "r1"},
		"client_home": &clientHomePage{Layout: clientLayout, FirstName: "Sam", Journal: sampleJournalHome(), CheckIn: sampleCheckIn(), Trackers: sampleTrackersHome(),
			Waiting: []waitingItem{{Text: "2 new messages from your care team.", Link: "Read them", Href: "/messages"}}},
		"more":     &morePage{Layout: clientLayout}, // shell_test.go
		"progress": sampleProgressPage(clientLayout),
		"signin":   &signinPage{Layout: Layout{Title: "Sign in"}, Email: "a@b.c", Error: "wrong"},
		"mfa":      &mfaPage{Layout: Layout{Title: "Step", Scripts: []string{"passkey.js"}}, Enroll: true, QR: "data:image/png;base64,AA==", Secret: "ABC", HasTOTP: true, HasPasskeys: true, Error: "bad"},
		"invite":   &invitePage{Layout: Layout{Title: "Join"}, ClinicName: "C", Role: care.RoleProvider, DisplayName: "D", TimeZone: "UTC", TimeZones: timeZones, MinLength: 8, Error: "e", Field: "password"},
		"account": &accountPage{Layout: signedIn, Email: "a@b.c", Enroll: true, QR: "data:image/png;base64,AA==", Secret: "S",
			Sessions: []sessionRow{{ID: "s1", Device: "Firefox", Current: true}}, NewCodes: []string{"aaaaa-bbbb-cccc"},
			Passkeys: []passkeyRow{{ID: "p1", Name: "Phone", Added: "today"}}, HasMFA: true, Error: "e"},
		"people": &peoplePage{Layout: signedIn, Users: []store.UserSummary{{User: care.User{ID: "u2", DisplayName: "X", Role: care.RoleClient}, Disabled: true}}, Error: "e", Field: "email",
			Reasons: deletionReasons(), Pending: []pendingRow{{ID: "i1", DisplayName: "Sam", Email: "s@x", Role: care.RoleProvider, Expires: "Mon"}}},
		"settings": &settingsPage{Layout: signedIn, Field: "escalation_minutes", SafetyErr: "e", ReliableErr: "e",
			Providers: []care.User{{ID: "p1", DisplayName: "P"}},
			National:  care.NationalResources(), MaxResources: care.MaxClinicResources,
			Resources: []resourceForm{{Key: "res-0", Action: "/a", Delete: "/d", R: care.ClinicResource{Name: "N", Phone: "+15550100199", Hours: "h", Language: "es"}},
				{Key: "res-1", Action: "/a", Delete: "/d", R: care.ClinicResource{Name: "N", AlwaysOpen: true, Language: "en"}, Error: "e", Field: "phone"}},
			AddResource: resourceForm{Key: "res-new", Action: "/a", Error: "e", Field: "resources"}},
		"person": &personPage{Layout: signedIn, Person: store.UserSummary{User: care.User{ID: "c1", DisplayName: "Sam", Role: care.RoleClient}, Disabled: true, DisabledReason: "on-leave"},
			DisabledWhy: "On leave", Reasons: disableReasons(), Team: []care.User{{ID: "p1", DisplayName: "P"}}, Providers: []care.User{{ID: "p2", DisplayName: "Q"}},
			Which: "edit", Error: "e", Field: "email", Form: url.Values{"email": {"x"}}},
		"invitation_link": &invitationLinkPage{Layout: signedIn, Invited: *inv, Localhost: true, Back: "/people"},
		"clients":         &clientsPage{Layout: Layout{Title: "C", User: &care.Actor{Role: care.RoleProvider}}, Clients: []caseloadRow{{ID: "c1", DisplayName: "Sam", Reasons: []care.Reason{{Code: "safety_flag", Text: "1 open safety flag"}, {Code: "deterioration", Text: "PHQ-9 reliably worse: 15 since a baseline of 8"}, {Code: "unread_messages", Text: "2 unread messages"}}, NextSession: "Mon 7 Dec, 15:00", NextSessionAt: "2026-12-07T15:00:00Z"}, {ID: "c2", DisplayName: "Ty"}}},
		"break_glass": &breakGlassPage{Layout: breakGlassTestLayout(signedIn), Clients: []clientChoice{{ID: "c1", Joined: "1 Jan 2026"}},
			Error: "e", Field: "reason", Min: 10, Max: 500},
		"break_glass_grant": &grantPage{Layout: signedIn, Review: &store.Review{Grant: store.Grant{ID: "g1", ClientID: "c1"}, AdminName: "A", Reason: "why"},
			Client: &care.User{ID: "c1", DisplayName: "Sam"}, Holder: true, Open: true, Minutes: 3, CanEnd: true, NoticeID: "n1",
			Events: []eventRow{{At: "now", Action: "client.read", Outcome: "success"}}},
		"audit":      auditPageSample(signedIn),
		"access_log": accessLogPageSample(signedIn),
		// The plan, sessions and tasks: plan_test.go.
		"client_record": clientRecordSample(signedIn),
		"plan_edit":     planEditSample(signedIn),
		"plan_version":  planVersionSample(signedIn),
		"client_plan":   clientPlanSample(signedIn),
		"client_tasks":  clientTasksSample(signedIn),
		// The journal: journal_test.go.
		"journal":          journalPageSample(signedIn),
		"journal_form":     journalFormSample(signedIn),
		"journal_versions": &journalVersionsPage{Layout: signedIn, EntryID: "e1", Versions: []entryRow{sampleEntryRow()}},
		"journal_settings": &journalSettingsPage{Layout: signedIn, ShareByDefault: true, Reminder: reminderFormSample()}, // reminders_test.go
		"client_journal":   &clientJournalPage{Layout: signedIn, ClientName: "Sam", Timeline: sampleTimeline()},
		"messages":         messagesPageSample(signedIn),      // messages_test.go
		"message":          messagePageSample(signedIn),       // message_files_test.go
		"notifications":    notificationsPageSample(signedIn), // notify_test.go
		// Measures: measures_test.go.
		"client_measures": &clientMeasuresPage{Layout: signedIn, Due: []measureDueView{{ID: "m1", Name: "PHQ-9", Title: "Depression (PHQ-9)", Since: "today"}},
			Scores: scoreRows(sampleResponses(), "UTC")},
		"measure_form":   &measureFormPage{Layout: signedIn, ScheduleID: "m1", Name: "PHQ-9", Stem: "Over", Items: []measureItem{{N: 1, Name: "q1", Text: "T", Invalid: true, Options: []measureOption{{ID: "q1-0", Label: "Not at all"}}}}, Problem: "p", Field: "q1", Help: care.CrisisResources("Call (555) 010-0199", nil)},
		"measure_result": &measureResultPage{Layout: signedIn, Name: "PHQ-9", Total: 9, Max: 27, Severity: "Mild", Safety: &measureSafety{Resources: care.CrisisResources("Call (555) 010-0199", nil), Message: "We will call you today.", Screener: "f1"}},
		"office_hours":   officeHoursSample(signedIn),                                                                                          // boundaries_test.go
		"record_copy":    &recordCopyPage{Layout: signedIn, ClientID: "c1", ClientName: "Sam", Format: "fhir", Error: "e", Field: "totp_code"}, // rightofaccess_test.go
		"safety_flags":   safetyFlagsSample(signedIn),                                                                                          // escalation_test.go
		"brief":          briefPageSample(signedIn),                                                                                            // brief_test.go
		// The follow-up screener: screener_test.go.
		"safety_check": &safetyCheckPage{Layout: signedIn, FlagID: "f1", Questions: []screenerQuestion{{N: 1, Name: "q1", Text: "T", Value: "yes"}, {N: 2, Name: "q2", Text: "T", Invalid: true}},
			Acuity: &screenerQuestion{N: 5, Name: "acuity", Text: "Now?"}, Problem: "p", Field: "q2", Help: care.CrisisResources("Call (555) 010-0199", nil), Attribution: care.ASQAttribution},
		"safety_check_done": &safetyCheckDonePage{Layout: signedIn, Acute: true, Positive: true, Safety: &measureSafety{Resources: care.CrisisResources("", nil), Message: "We call."}},
		"safety_plan":       safetyPlanSample(signedIn, true), // safetyplan_test.go
		// Accounts (#17): reset_test.go, stepup_test.go.
		"reset":         &resetPage{Layout: Layout{Title: "Set a new password"}, MinLength: 15, MFA: true, Error: "e"},
		"forgot":        &forgotPage{Layout: Layout{Title: "Forgot"}, Email: true, Address: "a@b.c", Error: "e"},
		"reset_link":    &resetLinkPage{Layout: signedIn, Name: "Sam", URL: "http://x/reset/t", QR: "data:image/png;base64,AA", Expires: "today", MFA: true, Localhost: true, Back: "/clients/c1"},
		"confirm":       &confirmPage{Layout: signedIn, Next: "/account", TOTP: true, Error: "e", Field: "code"},
		"email_confirm": &emailConfirmPage{Layout: Layout{Title: "Confirm"}, Token: "t"},
		"new_codes":     &newCodesPage{Layout: signedIn, Codes: []string{"a1b2-c3d4"}, Next: "/"},
		// tracker_samples_test.go (issue #19)
		"trackers":        sampleTrackersPage(clientLayout),
		"tracker_form":    sampleTrackerForm(clientLayout),
		"client_trackers": sampleProviderTrackers(signedIn),
		"tracker_library": sampleTrackerLibrary(signedIn),
	}
	if len(data) != len(ts.pages.byName) {
		t.Fatalf("pages %v, but the test covers %d: add the new page here", keys(ts.pages.byName), len(data))
	}
	for name, d := range data {
		rec := httptest.NewRecorder()
		ts.renderPage(rec, httptest.NewRequest("GET", "/", nil), http.StatusOK, name, d)
		if rec.Code != http.StatusOK {
			t.Errorf("page %s: %d %s", name, rec.Code, rec.Body)
		}
		body := rec.Body.String()
		if !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, `<main id="main"`) {
			t.Errorf("page %s lacks the layout", name)
		}
		if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`).MatchString(body) || strings.Contains(body, " style=") || strings.Contains(body, "<style") {
			t.Errorf("page %s has inline script or style", name)
		}
		// Every id once (issue #18: the brief repeated some), so that
		// labels, aria-describedby and links point at one element.
		seen := map[string]bool{}
		for _, m := range regexp.MustCompile(`\sid="([^"]+)"`).FindAllStringSubmatch(body, -1) {
			if seen[m[1]] {
				t.Errorf("page %s has the id %q twice", name, m[1])
			}
			seen[m[1]] = true
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestHealthz answers ok while the database answers, and 503 once it does
// not, on both engines.
func TestHealthz(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ts := newTestServer(t, db)
		rec := ts.do(t, "GET", "/healthz", nil)
		if rec.Code != http.StatusOK || rec.Body.String() != "ok" {
			t.Fatalf("healthy: got %d %q", rec.Code, rec.Body)
		}
		if err := db.Engine.Close(); err != nil {
			t.Fatal(err)
		}
		rec = ts.do(t, "GET", "/healthz", nil)
		if rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("database closed: got %d %q, want 503", rec.Code, rec.Body)
		}
	})
}

func TestMetricsHaveNoPathLabels(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	ts.metricsToken = "a-metrics-token-0123456789"
	ts.do(t, "GET", "/api/v1/clients/SECRETID?x=1", nil)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+ts.metricsToken)
	ts.Handler().ServeHTTP(rec, req)
	body := rec.Body.String()
	if !strings.Contains(body, `interlude_http_requests_total{method="GET",route="GET /api/v1/clients/{id}",status="401"} 1`) {
		t.Errorf("request not counted by route pattern:\n%s", body)
	}
	if strings.Contains(body, "SECRETID") {
		t.Errorf("a path reached a metric label")
	}
}
