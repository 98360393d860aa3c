package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// ---- The authorization matrix's entries (authz_test.go) ----

// accessLogPolicy: a client reads their own access report, and an admin
// that of a client of their clinic (API.md); to anyone else every report
// answers as a missing client does.
func accessLogPolicy(c caller, tg target) int {
	switch {
	case c == asAnonymous:
		return 401
	case c == asClient && tg == tSelf:
		return 200
	case c == asAdmin && (tg == tTeam || tg == tClinic): // a client of the admin's clinic
		return 200
	}
	return 404
}

var accessLogRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
	return "/api/v1/clients/" + w.user(c, tg).ID + "/access-log", nil
}, after: func(t *testing.T, w *authzWorld, c caller, got map[target]*httptest.ResponseRecorder) {
	if c != asClient {
		return
	}
	// The matrix's own requests have read the record: the report is not empty.
	if n := len(respJSON[accessLogJSON](t, got[tSelf]).Entries); n == 0 {
		t.Errorf("the client's access report is empty: %s", got[tSelf].Body)
	}
}}

// auditLogRequest reads the events that succeeded: the refused ones of
// the matrix name, by design, the ids of clinic B that clinic A's callers
// tried (an admin must see what was tried), which checkAnswer would take
// for a leak.
var auditLogRequest = authzRequest{build: fixedRequest("/api/v1/audit?outcome=success&limit=200", nil), after: func(t *testing.T, w *authzWorld, c caller, got map[target]*httptest.ResponseRecorder) {
	if c != asAdmin {
		return
	}
	events := respJSON[auditLogJSON](t, got[noTarget]).Events
	if len(events) == 0 {
		t.Errorf("the admin's audit log is empty")
	}
	b := map[string]bool{}
	for _, id := range w.foreign {
		b[id] = true
	}
	for _, e := range events {
		if b[e.ActorID] || b[e.ClientID] || b[e.EntityID] {
			t.Errorf("the admin's audit log holds an event of clinic B: %+v", e)
		}
	}
}}

// ---- Sample pages for TestEveryPageTemplate (web_test.go) ----

func auditPageSample(l Layout) *auditLogPage {
	return &auditLogPage{
		Layout: l, Form: url.Values{"client": {"c1"}, "outcome": {"denied"}},
		Users: []userChoice{{ID: "u1", Label: "Dana (admin)"}}, Actions: auditActions, Outcomes: auditOutcomes,
		Events: []auditRowView{
			{Day: "Tue 24 Nov 2026,", Time: "14:05:00", DateTime: "2026-11-24T14:05:00Z", Who: "Dana", Role: "admin", Action: "client.read",
				Emergency: true, EntityType: "client", EntityID: shortID("c1"), ClientID: shortID(care.NewID()), Outcome: "success", Addr: "192.0.2.1"},
			{Day: "Tue 24 Nov 2026,", Time: "14:04:00", ActorID: shortID(care.NewID()), Action: "client.read", Outcome: "denied", Failed: true},
			{Day: "Tue 24 Nov 2026,", Time: "14:03:00", Action: "signin.password", Outcome: "denied", Failed: true},
		},
		Older: "/audit?before=7", Newest: "/audit", Zone: "UTC", Error: "Client is not a client id.", Field: "client",
	}
}

func accessLogPageSample(l Layout) *accessLogPage {
	return &accessLogPage{Layout: l, Entries: []accessRow{
		{Who: "Dr. Rivera", Role: "provider", What: "viewed your profile", When: "Tue 24 Nov, 14:05", DateTime: "2026-11-24T14:05:00Z"},
		{Who: "Dana", Role: "clinic admin", What: "opened emergency access to your record", When: "Tue 24 Nov, 14:00", Emergency: true},
		{Who: "Lee", Role: "provider", What: "tried to view your profile, and was not allowed", When: "Mon 23 Nov, 09:00", Refused: true},
	}, Older: "/access-log?before=3", Newest: "/access-log"}
}

// ---- The answers, as tests read them ----

type auditEventOf struct {
	Seq        *int64    `json:"seq"`
	At         time.Time `json:"at"`
	ActorID    string    `json:"actor_id"`
	ActorName  string    `json:"actor_name"`
	Role       string    `json:"role"`
	Action     string    `json:"action"`
	EntityType string    `json:"entity_type"`
	EntityID   string    `json:"entity_id"`
	ClientID   string    `json:"client_id"`
	Outcome    string    `json:"outcome"`
	Addr       string    `json:"addr"`
	RequestID  string    `json:"request_id"`
	Purpose    string    `json:"purpose"`
	Reason     string    `json:"reason"`
}

type auditLogJSON struct {
	Events []auditEventOf `json:"events"`
	Next   string         `json:"next"`
}

type accessLogJSON struct {
	Entries []struct {
		At        time.Time `json:"at"`
		StaffName string    `json:"staff_name"`
		Role      string    `json:"role"`
		Action    string    `json:"action"`
		Outcome   string    `json:"outcome"`
		Purpose   string    `json:"purpose"`
	} `json:"entries"`
	Next string `json:"next"`
}

// auditWorld is a clinic with events to read, another clinic with events
// of its own, and signed-in callers.
type auditWorld struct {
	e    *webEnv
	a, b *storetest.Clinic
	t0   time.Time // the first reads; the last is an hour later
	// Bearer tokens of clinic A's client, other client, provider and
	// admin, and of clinic B's admin.
	client, otherClient, provider, admin, adminB string
}

func newAuditWorld(t *testing.T, db *storetest.DB) *auditWorld {
	t.Helper()
	w := &auditWorld{e: newWebEnv(t, db), a: storetest.SeedClinic(t, db.Store, "Audit A"), b: storetest.SeedClinic(t, db.Store, "Audit B")}
	ctx := context.Background()
	a, b := w.a, w.b
	for _, u := range []care.User{a.Admin, a.Provider, a.Client, a.OtherClient, b.Admin} {
		w.e.setPassword(t, u)
	}
	w.e.enrollTOTP(t, a.Admin)
	w.e.enrollTOTP(t, a.Provider)
	w.e.enrollTOTP(t, b.Admin)

	// Two reads of the client now, a refused one, and one an hour later;
	// clinic B's provider reads B's client meanwhile.
	w.t0 = db.Clock.Now().UTC()
	for range 2 {
		if _, err := db.Store.Client(ctx, a.Actor(a.Provider), a.Client.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Store.Client(ctx, a.Actor(a.OtherProvider), a.Client.ID); care.ErrorCode(err) != care.NotFound {
		t.Fatal(err)
	}
	if _, err := db.Store.Client(ctx, b.Actor(b.Provider), b.Client.ID); err != nil {
		t.Fatal(err)
	}
	db.Clock.Advance(time.Hour)
	if _, err := db.Store.Client(ctx, a.Actor(a.Provider), a.Client.ID); err != nil {
		t.Fatal(err)
	}
	// Signed in after the clock moved, so that no session has gone idle.
	w.client, w.otherClient = w.e.signIn(t, a.Client), w.e.signIn(t, a.OtherClient)
	w.provider, w.admin, w.adminB = w.e.signIn(t, a.Provider), w.e.signIn(t, a.Admin), w.e.signIn(t, b.Admin)
	return w
}

func (w *auditWorld) audit(t *testing.T, token string, q url.Values) *httptest.ResponseRecorder {
	t.Helper()
	path := "/api/v1/audit"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return w.e.call(t, "GET", path, token, nil)
}

// TestAuditAPI (AD-05): the admin's audit log filters by time, user,
// client, action and outcome, pages, names the field of a bad parameter,
// holds nothing of another clinic, records its own reading, and answers
// everyone else 404.
func TestAuditAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		w := newAuditWorld(t, db)
		a, b := w.a, w.b
		reads := url.Values{"client": {a.Client.ID}, "action": {"client.read"}}
		with := func(base url.Values, kv ...string) url.Values {
			q := url.Values{}
			for k, v := range base {
				q[k] = v
			}
			for i := 0; i < len(kv); i += 2 {
				q.Set(kv[i], kv[i+1])
			}
			return q
		}
		// The whole log of clinic A holds nothing of clinic B (before the
		// filters below name B's ids, which the log then records).
		all := w.audit(t, w.admin, url.Values{"limit": {"200"}})
		for _, id := range []string{b.Clinic.ID, b.Admin.ID, b.Provider.ID, b.Client.ID, b.OtherClient.ID} {
			if strings.Contains(all.Body.String(), id) {
				t.Errorf("clinic A's audit log names %s of clinic B", id)
			}
		}
		if !strings.Contains(w.audit(t, w.adminB, url.Values{"limit": {"200"}}).Body.String(), b.Client.ID) {
			t.Errorf("clinic B's admin does not see their own clinic's reads")
		}

		half := w.t0.Add(30 * time.Minute).Format(time.RFC3339)
		tests := []struct {
			name string
			q    url.Values
			want []string // "action outcome actor", newest first
		}{
			{"the client's reads", reads, []string{
				"client.read success " + a.Provider.ID, "client.read denied " + a.OtherProvider.ID,
				"client.read success " + a.Provider.ID, "client.read success " + a.Provider.ID}},
			{"refused only", with(reads, "outcome", "denied"), []string{"client.read denied " + a.OtherProvider.ID}},
			{"one user", with(reads, "user", a.OtherProvider.ID), []string{"client.read denied " + a.OtherProvider.ID}},
			{"from half an hour in", with(reads, "from", half), []string{"client.read success " + a.Provider.ID}},
			{"until half an hour in", with(reads, "to", half, "outcome", "success"), []string{
				"client.read success " + a.Provider.ID, "client.read success " + a.Provider.ID}},
			{"a family of actions", url.Values{"client": {a.Client.ID}, "action": {"care-team."}}, []string{"care-team.add success " + a.Admin.ID}},
			{"another clinic's client", url.Values{"client": {b.Client.ID}}, nil},
			{"another clinic's user", url.Values{"user": {b.Provider.ID}}, nil},
		}
		for _, tt := range tests {
			rec := w.audit(t, w.admin, tt.q)
			expect(t, rec, http.StatusOK, "", tt.name)
			var got []string
			for _, e := range respJSON[auditLogJSON](t, rec).Events {
				got = append(got, e.Action+" "+e.Outcome+" "+e.ActorID)
				if e.At.Location() != time.UTC || e.RequestID == "" && e.Action == "audit.read" {
					t.Errorf("%s: event %+v", tt.name, e)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
			}
		}

		// The fields of an event: names, roles, ids; seq is null until the
		// event is chained, and then set.
		e := respJSON[auditLogJSON](t, w.audit(t, w.admin, with(reads, "outcome", "denied"))).Events[0]
		if e.ActorName != "other-provider" || e.Role != "provider" || e.EntityType != "client" || e.EntityID != a.Client.ID ||
			e.ClientID != a.Client.ID || e.Seq != nil {
			t.Errorf("the refused read: %+v", e)
		}
		if _, _, _, err := db.Store.SealAudit(context.Background(), 100000); err != nil {
			t.Fatal(err)
		}
		if e := respJSON[auditLogJSON](t, w.audit(t, w.admin, with(reads, "outcome", "denied"))).Events[0]; e.Seq == nil || *e.Seq <= 0 {
			t.Errorf("a chained event has seq %v", e.Seq)
		}

		// Paging: the next cursors lead through every read once.
		var paged []string
		q := with(reads, "limit", "3")
		for pages := 0; ; pages++ {
			rec := w.audit(t, w.admin, q)
			expect(t, rec, http.StatusOK, "", "a page")
			page := respJSON[auditLogJSON](t, rec)
			for _, e := range page.Events {
				paged = append(paged, e.At.String()+e.ActorID)
			}
			if page.Next == "" {
				if strings.Contains(rec.Body.String(), `"next"`) {
					t.Errorf("the last page names a next cursor: %s", rec.Body)
				}
				break
			}
			if pages > 5 {
				t.Fatal("the cursor does not move")
			}
			q.Set("before", page.Next)
		}
		if len(paged) != 4 {
			t.Errorf("%d reads over the pages, want 4", len(paged))
		}

		// Reading the log writes exactly one audit row, naming the client
		// filtered by.
		rec := w.audit(t, w.admin, reads)
		if got, want := w.e.auditOf(t, rec.Header().Get("X-Request-Id")), []string{"audit.read success " + a.Admin.ID + "  " + a.Client.ID}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("reading the log: audit rows %q, want %q", got, want)
		}

		// Everyone else: 404, whatever the parameters, recorded once.
		missing := w.e.call(t, "GET", "/api/v1/clients/"+care.NewID(), w.provider, nil)
		for _, who := range []struct {
			name, token, id string
		}{{"the provider", w.provider, a.Provider.ID}, {"a client", w.client, a.Client.ID}} {
			for _, q := range []url.Values{nil, {"limit": {"0"}}, {"client": {a.Client.ID}}} {
				rec := w.audit(t, who.token, q)
				expect(t, rec, http.StatusNotFound, "not_found", who.name+" reading the audit log")
				if rec.Body.String() != missing.Body.String() {
					t.Errorf("%s: %s, but a missing client: %s", who.name, rec.Body, missing.Body)
				}
				if got, want := w.e.auditOf(t, rec.Header().Get("X-Request-Id")), []string{"audit.read denied " + who.id}; fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s: audit rows %q, want %q", who.name, got, want)
				}
			}
		}
		expect(t, w.audit(t, "", nil), http.StatusUnauthorized, "unauthenticated", "signed out")
	})
}

// TestAuditAPIBadParameters: a parameter the route cannot use is a 400
// that names it, in the JSON error shape of API.md.
func TestAuditAPIBadParameters(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		w := newAuditWorld(t, db)
		id := w.a.Client.ID
		tests := []struct{ query, field string }{
			{"from=yesterday", "from"},
			{"from=2026-11-24", "from"},
			{"to=2026-13-01T00:00:00Z", "to"},
			{"from=2026-11-24T10:00:00Z&to=2026-11-24T10:00:00Z", "to"},
			{"from=2026-11-24T10:00:00Z&to=2026-11-23T10:00:00Z", "to"},
			{"user=someone", "user"},
			{"client=" + strings.ToUpper(id), "client"},
			{"action=Client.Read", "action"},
			{"action=client%25", "action"},
			{"outcome=maybe", "outcome"},
			{"before=0", "before"},
			{"before=-3", "before"},
			{"before=abc", "before"},
			{"limit=0", "limit"},
			{"limit=201", "limit"},
			{"limit=ten", "limit"},
			{"actor=" + id, "actor"},
			{"client=" + id + "&client=" + id, "client"},
		}
		for _, tt := range tests {
			rec := w.e.call(t, "GET", "/api/v1/audit?"+tt.query, w.admin, nil)
			expect(t, rec, http.StatusBadRequest, "invalid", tt.query)
			if got := respError(rec).Error.Field; got != tt.field {
				t.Errorf("%s: field %q, want %q: %s", tt.query, got, tt.field, rec.Body)
			}
			if strings.Contains(rec.Body.String(), "strconv") || strings.Contains(rec.Body.String(), "parsing time") {
				t.Errorf("%s: the error shows Go's own message: %s", tt.query, rec.Body)
			}
		}
		// A parameter name that is not plain is refused without being
		// repeated.
		rec := w.e.call(t, "GET", "/api/v1/audit?%3Cscript%3E=1", w.admin, nil)
		expect(t, rec, http.StatusBadRequest, "invalid", "an odd parameter name")
		if strings.Contains(rec.Body.String(), "script") {
			t.Errorf("the error repeats the parameter name: %s", rec.Body)
		}
	})
}

// TestAccessLogAPI (AD-05, AC-03): a client reads who at the clinic
// accessed their record, paged; nobody else reads it, and to them it
// answers as a missing client; reading and refusals are recorded once.
func TestAccessLogAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		w := newAuditWorld(t, db)
		a, b := w.a, w.b
		ctx := context.Background()
		if _, err := db.Store.StartBreakGlass(ctx, a.Actor(a.Admin), a.Client.ID, "The provider is away and the client called in crisis"); err != nil {
			t.Fatal(err)
		}
		path := "/api/v1/clients/" + a.Client.ID + "/access-log"
		rec := w.e.call(t, "GET", path, w.client, nil)
		expect(t, rec, http.StatusOK, "", "the client's report")
		log := respJSON[accessLogJSON](t, rec)
		var got []string
		for _, e := range log.Entries {
			got = append(got, strings.TrimSpace(fmt.Sprintf("%s %s %s %s %s", e.Action, e.StaffName, e.Role, e.Outcome, e.Purpose)))
		}
		want := []string{
			"break-glass.start admin admin success break-glass",
			"client.read provider provider success",
			"client.read other-provider provider denied",
			"client.read provider provider success",
			"client.read provider provider success",
			"care-team.add admin admin success",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("the report:\n got %q\nwant %q", got, want)
		}
		if log.Next != "" || !log.Entries[1].At.Equal(w.t0.Add(time.Hour)) {
			t.Errorf("next %q, the latest read at %s", log.Next, log.Entries[1].At)
		}
		if got, want := w.e.auditOf(t, rec.Header().Get("X-Request-Id")), []string{
			"access-log.read success " + a.Client.ID + " " + a.Client.ID + " " + a.Client.ID}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("reading the report: audit rows %q, want %q", got, want)
		}

		// Paging.
		n, q := 0, "?limit=4"
		for pages := 0; ; pages++ {
			rec := w.e.call(t, "GET", path+q, w.client, nil)
			expect(t, rec, http.StatusOK, "", "a page")
			page := respJSON[accessLogJSON](t, rec)
			n += len(page.Entries)
			if page.Next == "" {
				break
			}
			if pages > 5 {
				t.Fatal("the cursor does not move")
			}
			q = "?limit=4&before=" + page.Next
		}
		if n != len(want) { // the report's own readings are the client's, not in it
			t.Errorf("%d entries over the pages, want %d", n, len(want))
		}

		// Bad parameters, from the client.
		for _, tt := range []struct{ query, field string }{
			{"limit=0", "limit"}, {"limit=500", "limit"}, {"before=x", "before"}, {"before=-1", "before"}, {"from=2026-01-01T00:00:00Z", "from"},
		} {
			rec := w.e.call(t, "GET", path+"?"+tt.query, w.client, nil)
			expect(t, rec, http.StatusBadRequest, "invalid", tt.query)
			if got := respError(rec).Error.Field; got != tt.field {
				t.Errorf("%s: field %q, want %q", tt.query, got, tt.field)
			}
		}

		// Anyone else: 404 exactly as a missing client, whatever the
		// parameters, recorded once as a refusal.
		missing := w.e.call(t, "GET", "/api/v1/clients/"+care.NewID()+"/access-log", w.client, nil)
		expect(t, missing, http.StatusNotFound, "not_found", "a missing client")
		for _, who := range []struct {
			name, token, actorID string
		}{
			{"the provider", w.provider, a.Provider.ID},
			{"another client", w.otherClient, a.OtherClient.ID},
			{"another clinic's admin", w.adminB, b.Admin.ID},
		} {
			for _, q := range []string{"", "?limit=0"} {
				rec := w.e.call(t, "GET", path+q, who.token, nil)
				expect(t, rec, http.StatusNotFound, "not_found", who.name)
				if rec.Body.String() != missing.Body.String() {
					t.Errorf("%s: %s, but a missing client: %s", who.name, rec.Body, missing.Body)
				}
				got := w.e.auditOf(t, rec.Header().Get("X-Request-Id"))
				if want := []string{"access-log.read denied " + who.actorID + " " + a.Client.ID + " " + a.Client.ID}; fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s: audit rows %q, want %q", who.name, got, want)
				}
			}
		}
		// Those refusals are accesses to the record too; another clinic's
		// are not in it.
		log = respJSON[accessLogJSON](t, w.e.call(t, "GET", path+"?limit=20", w.client, nil))
		refused := 0
		for _, e := range log.Entries {
			if e.Action == "access-log.read" {
				refused++
			}
		}
		// The provider's, twice; not the other client's, nor clinic B's
		// admin's.
		if refused != 2 {
			t.Errorf("%d refused readings of the report in it, want 2", refused)
		}
	})
}

// TestAuditPage: /audit shows the admin's clinic's events in the admin's
// time zone, filters them with a form, pages, marks a bad filter, and is
// no page at all for anyone else.
func TestAuditPage(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		w := newAuditWorld(t, db)
		a := w.a
		ctx := context.Background()
		// An admin in New York.
		ny := care.User{ClinicID: a.Clinic.ID, Role: care.RoleAdmin, Email: "ny.admin@audit-a.test", DisplayName: "Nia York", TimeZone: "America/New_York"}
		if err := db.Store.CreateUser(ctx, &ny); err != nil {
			t.Fatal(err)
		}
		w.e.setPassword(t, ny)
		w.e.enrollTOTP(t, ny)
		token := w.e.signIn(t, ny)

		rec := w.e.call(t, "GET", "/audit?client="+a.Client.ID+"&action=client.read", token, nil)
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("the audit page: %d %s", rec.Code, rec.Body)
		}
		body := rec.Body.String()
		rows := tbody(body)
		if n := strings.Count(rows, "<tr"); n != 4 {
			t.Errorf("%d rows for the client's 4 reads:\n%s", n, rows)
		}
		loc, _ := time.LoadLocation("America/New_York")
		if at := w.t0.Add(time.Hour).In(loc).Format("<span>Mon 2 Jan 2006,</span> <span>15:04:05</span>"); !strings.Contains(rows, at) || !strings.Contains(body, "Times are in America/New_York") {
			t.Errorf("the page does not show %s, New York time:\n%s", at, rows)
		}
		if !strings.Contains(rows, "other-provider") || strings.Contains(rows, a.OtherClient.ID) {
			t.Errorf("the rows:\n%s", rows)
		}
		if !regexp.MustCompile(`<option value="` + a.Client.ID + `"[^>]*>`).MatchString(body) {
			t.Errorf("the user filter does not offer the clinic's client")
		}
		if !strings.Contains(body, `value="`+a.Client.ID+`"`) || !strings.Contains(body, `scope="col"`) {
			t.Errorf("the form does not keep the filter, or the table has no column headers")
		}

		// A date filter: the day of the reads, in New York, holds them all.
		day := w.t0.In(loc).Format(time.DateOnly)
		rec = w.e.call(t, "GET", "/audit?client="+a.Client.ID+"&action=client.read&from="+day+"&to="+w.t0.Add(time.Hour).In(loc).Format(time.DateOnly), token, nil)
		if n := strings.Count(tbody(rec.Body.String()), "<tr"); rec.Code != http.StatusOK || n != 4 {
			t.Errorf("filtered by the day: %d, %d rows", rec.Code, n)
		}
		rec = w.e.call(t, "GET", "/audit?client="+a.Client.ID+"&from="+w.t0.In(loc).AddDate(0, 0, 2).Format(time.DateOnly), token, nil)
		if !strings.Contains(rec.Body.String(), "No events match") {
			t.Errorf("from the day after tomorrow, the page shows events")
		}

		// A bad filter is marked on the form.
		rec = w.e.call(t, "GET", "/audit?from=2026-02-30", token, nil)
		if rec.Code != http.StatusBadRequest || !regexp.MustCompile(`id="from"[^>]*aria-invalid="true"`).MatchString(rec.Body.String()) ||
			!strings.Contains(rec.Body.String(), `role="alert"`) {
			t.Errorf("a bad date: %d\n%s", rec.Code, rec.Body)
		}

		// Paging: more than a page of events has an Older link that works.
		for range auditPageSize {
			if _, err := db.Store.Client(ctx, a.Actor(a.Provider), a.Client.ID); err != nil {
				t.Fatal(err)
			}
		}
		rec = w.e.call(t, "GET", "/audit?client="+a.Client.ID+"&action=client.read", token, nil)
		older := regexp.MustCompile(`href="(/audit\?[^"]*before=[0-9]+[^"]*)" rel="next"`).FindStringSubmatch(rec.Body.String())
		if older == nil {
			t.Fatalf("no Older link on a full page:\n%s", rec.Body)
		}
		rec = w.e.call(t, "GET", strings.ReplaceAll(older[1], "&amp;", "&"), token, nil)
		if n := strings.Count(tbody(rec.Body.String()), "<tr"); rec.Code != http.StatusOK || n != 4 || !strings.Contains(rec.Body.String(), ">Newest events<") {
			t.Errorf("the older page: %d with %d rows", rec.Code, n)
		}

		// Nobody else has the page; the refusal is recorded once.
		for _, who := range []struct{ name, token, id string }{{"the provider", w.provider, a.Provider.ID}, {"a client", w.client, a.Client.ID}} {
			rec := w.e.call(t, "GET", "/audit", who.token, nil)
			if rec.Code != http.StatusNotFound {
				t.Errorf("%s: /audit answers %d", who.name, rec.Code)
			}
			if got, want := w.e.auditOf(t, rec.Header().Get("X-Request-Id")), []string{"request.denied denied " + who.id + " GET /audit"}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: audit rows %q, want %q", who.name, got, want)
			}
		}
	})
}

// TestAccessLogPage: /access-log tells the client in plain words who
// looked at their record and when, in the client's time zone.
func TestAccessLogPage(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		w := newAuditWorld(t, db)
		a := w.a
		ctx := context.Background()
		if _, err := db.Store.StartBreakGlass(ctx, a.Actor(a.Admin), a.Client.ID, "The provider is away and the client called in crisis"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.Client(ctx, a.Actor(a.Admin), a.Client.ID); err != nil {
			t.Fatal(err)
		}
		rec := w.e.call(t, "GET", "/access-log", w.client, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("the client's page: %d %s", rec.Code, rec.Body)
		}
		body := rec.Body.String()
		for _, want := range []string{
			"<strong>provider</strong> (provider) viewed your profile",
			"<strong>other-provider</strong> (provider) tried to view your profile, and was not allowed",
			"<strong>admin</strong> (clinic admin) opened emergency access to your record",
			"<strong>admin</strong> (clinic admin) added a provider to your care team",
			`<span class="tag emergency">Emergency access</span>`,
			dayTime(w.t0.Add(time.Hour), db.Clock.Now(), time.UTC),
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		if strings.Contains(body, a.Provider.ID) || strings.Contains(body, "client.read") {
			t.Errorf("the page shows ids or action codes")
		}
		if got := w.e.auditOf(t, rec.Header().Get("X-Request-Id")); len(got) != 1 || !strings.HasPrefix(got[0], "access-log.read success "+a.Client.ID) {
			t.Errorf("reading the page: audit rows %q", got)
		}

		for _, token := range []string{w.provider, w.admin} {
			if rec := w.e.call(t, "GET", "/access-log", token, nil); rec.Code != http.StatusNotFound {
				t.Errorf("staff at /access-log: %d", rec.Code)
			}
		}
		if rec := w.e.call(t, "GET", "/access-log?before=nope", w.client, nil); rec.Code != http.StatusBadRequest {
			t.Errorf("a bad cursor: %d", rec.Code)
		}
	})
}

// TestAccessPhrases: every phrase reads as the end of a sentence, and an
// action without one still says something true.
func TestAccessPhrases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		action  string
		outcome care.Outcome
		want    string
	}{
		{"client.read", care.OutcomeSuccess, "viewed your profile"},
		{"client.read", care.OutcomeDenied, "tried to view your profile, and was not allowed"},
		{"client.read", care.OutcomeIntegrity, "tried to view your profile, but it did not work"},
		{"measure.chart.read", care.OutcomeSuccess, "looked at your record"},
		{"appointment.history", care.OutcomeSuccess, "looked at your record"},
		{"fhir.export", care.OutcomeSuccess, "exported a copy of your record"},
		{"note.create", care.OutcomeSuccess, "made a change to your record"},
		{"note.create", care.OutcomeDenied, "tried to change your record, and was not allowed"},
	}
	for _, tt := range tests {
		if got := accessPhrase(tt.action, tt.outcome); got != tt.want {
			t.Errorf("%s %s: %q, want %q", tt.action, tt.outcome, got, tt.want)
		}
	}
	for action, p := range accessPhrases {
		if p.did == "" || p.try == "" || strings.ToLower(p.did[:1]) != p.did[:1] || strings.HasSuffix(p.did, ".") {
			t.Errorf("%s: phrase %+v", action, p)
		}
	}
}

// tbody is the body of a page's table.
func tbody(page string) string {
	_, after, _ := strings.Cut(page, "<tbody>")
	body, _, _ := strings.Cut(after, "</tbody>")
	return body
}
