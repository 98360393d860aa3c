package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// TestAuditKeepsOnlyWellFormedIDs (AD-01, AD-03, issue #17): a signed-in
// user cannot write text of their choosing into the undeletable audit
// trail through a URL. An id in a path that is not in care.ValidID's form
// is recorded as "malformed", never as the text, however long; the
// request is still recorded.
func TestAuditKeepsOnlyWellFormedIDs(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "Malformed")
		token := e.signInWithTOTP(t, c.Provider)
		const canary = "CANARY-typed-into-a-url-7f3e"
		junk := canary + strings.Repeat("x", 60<<10) // a 60 KB path segment
		paths := []string{
			"/api/v1/clients/" + junk,
			"/api/v1/clients/" + junk + "/journal",
			"/api/v1/clients/" + junk + "/journal/" + junk,
			"/api/v1/clients/" + c.Client.ID + "/journal/" + junk,
			"/api/v1/clients/" + junk + "/messages",
			"/api/v1/clients/" + junk + "/access-log",
			"/api/v1/clients/" + junk + "/brief",
			"/clients/" + junk,
			"/fhir/R4/Patient/" + junk,
		}
		for _, p := range paths {
			rec := e.call(t, "GET", p, token, nil)
			if rec.Code != http.StatusNotFound && rec.Code != http.StatusForbidden && rec.Code != http.StatusBadRequest {
				t.Errorf("GET %.40s…: %d, want a refusal", p, rec.Code)
			}
			rows := e.auditOf(t, rec.Header().Get("X-Request-Id"))
			if len(rows) == 0 {
				t.Errorf("GET %.40s…: no audit row", p)
			}
			for _, row := range rows {
				if len(row) > 400 {
					t.Errorf("GET %.40s…: an audit row of %d bytes", p, len(row))
				}
				if strings.Contains(row, "xxxx") {
					t.Errorf("GET %.40s…: the path's text is in the audit row %.80s…", p, row)
				}
			}
		}
		var n int
		if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM audit_events WHERE entity_id LIKE $1 OR client_id LIKE $1
			OR action LIKE $1 OR entity_type LIKE $1 OR reason LIKE $1 OR purpose LIKE $1`, "%"+canary+"%").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d audit rows hold the canary", n)
		}
		if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM audit_events WHERE entity_id = $1 OR client_id = $1`,
			care.MalformedID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("no audit row says %q", care.MalformedID)
		}
	})
}

// TestDeniedRequestsAreLimited (AD-01, issue #17): a signed-in user whose
// requests keep being refused cannot grow the audit trail without bound:
// past the limit in a minute every request answers 429, and only the first
// of those writes a row, which says so. A minute later the user is served
// again.
func TestDeniedRequestsAreLimited(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "Denials")
		token := e.signInWithTOTP(t, c.Provider)
		before := e.count(t, "audit_events")
		missing := "/api/v1/clients/" + care.NewID()
		for i := range defaultDeniedLimit {
			expect(t, e.call(t, "GET", missing, token, nil), http.StatusNotFound, "not_found", fmt.Sprintf("refusal %d", i+1))
		}
		if got := e.count(t, "audit_events") - before; got != defaultDeniedLimit {
			t.Errorf("%d refusals wrote %d audit rows", defaultDeniedLimit, got)
		}
		var throttled []string
		for i := range 20 {
			rec := e.call(t, "GET", missing, token, nil)
			expect(t, rec, http.StatusTooManyRequests, "rate_limited", fmt.Sprintf("request %d past the limit", i+1))
			retryAfter(t, rec)
			throttled = append(throttled, e.auditOf(t, rec.Header().Get("X-Request-Id"))...)
		}
		// A request that would have been served is refused too, for the
		// rest of the minute.
		expect(t, e.call(t, "GET", "/api/v1/clients/"+c.Client.ID, token, nil), http.StatusTooManyRequests, "rate_limited", "a good request past the limit")
		if got := e.count(t, "audit_events") - before; got != defaultDeniedLimit+1 {
			t.Errorf("after the limit: %d audit rows, want %d", got, defaultDeniedLimit+1)
		}
		if len(throttled) != 1 || !strings.HasPrefix(throttled[0], "request.throttled denied "+c.Provider.ID) {
			t.Errorf("rows past the limit: %q, want one request.throttled", throttled)
		}
		// Another user is not held back, and a minute later neither is
		// this one.
		other := e.signInWithTOTP(t, c.OtherProvider)
		expect(t, e.call(t, "GET", missing, other, nil), http.StatusNotFound, "not_found", "another user")
		db.Clock.Advance(deniedWindow)
		expect(t, e.call(t, "GET", "/api/v1/clients/"+c.Client.ID, token, nil), http.StatusOK, "", "a minute later")
	})
}
