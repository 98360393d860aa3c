package web

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// testReason is a break-glass reason with health details, as an admin may
// write one: it must reach no audit row, notice, log line or URL.
const testReason = "Provider unreachable; client called the front desk in crisis and needs the safety plan"

// ---- The authorization matrix's break-glass cells (authz_test.go) ----

// grantTargets name a grant, or a notice, by whose it is: the caller's
// own, another user's of the same clinic, one of clinic B, or none.
var grantTargets = []target{tSelf, tClinic, tOther, tMissing}

// breakGlassPolicy: only an admin opens a grant, for an active client of
// their clinic; for anyone else the route does not exist.
func breakGlassPolicy(c caller, tg target) int {
	switch {
	case c == asAnonymous:
		return 401
	case c == asAdmin && (tg == tTeam || tg == tClinic):
		return 201
	}
	return 404
}

// breakGlassEndPolicy: any admin of the grant's clinic may end it.
func breakGlassEndPolicy(c caller, tg target) int {
	switch {
	case c == asAnonymous:
		return 401
	case c == asAdmin && (tg == tSelf || tg == tClinic):
		return 204
	}
	return 404
}

// noticeReadPolicy: a notice is its reader's alone. Clients get none.
func noticeReadPolicy(c caller, tg target) int {
	switch {
	case c == asAnonymous:
		return 401
	case tg == tSelf && (c == asAdmin || c == asProvider):
		return 204
	}
	return 404
}

var breakGlassRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
	u, _, _ := w.fresh(t, c, tg)
	code := "123456"
	if c == asAdmin {
		code = w.e.nextCode(t, w.a.Admin.Email)
	}
	return "/api/v1/break-glass", map[string]string{"client_id": u.ID, "reason": testReason, "totp_code": code}
}}

var breakGlassEndRequest = authzRequest{targets: grantTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
	return "/api/v1/break-glass/" + w.grantOf(t, c, tg).ID, nil
}}

var noticeReadRequest = authzRequest{targets: grantTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
	return "/api/v1/notices/" + w.noticeOf(t, c, tg) + "/read", nil
}}

// onlyOwnNotices: a caller lists their own notices only.
func onlyOwnNotices(t *testing.T, w *authzWorld, c caller, got map[target]*httptest.ResponseRecorder) {
	if c == asAnonymous {
		return
	}
	for _, n := range respJSON[struct {
		Notices []struct {
			ID string `json:"id"`
		} `json:"notices"`
	}](t, got[noTarget]).Notices {
		var owner string
		if err := w.e.db.Engine.SQLDB().QueryRow(`SELECT user_id FROM notices WHERE id = $1`, n.ID).Scan(&owner); err != nil {
			t.Fatal(err)
		}
		if owner != w.users[c].ID {
			t.Errorf("%s's notices hold %s of user %s", c, n.ID, owner)
		}
	}
}

// startGrant opens a grant in the store for a new client of clinic, on
// provider's care team, by admin.
func (w *authzWorld) startGrant(t *testing.T, clinic *storetest.Clinic, admin, provider care.User) *store.Grant {
	t.Helper()
	client := w.newClient(t, clinic, provider)
	g, err := w.e.db.Store.StartBreakGlass(context.Background(), clinic.Actor(admin), client.ID, testReason)
	if err != nil {
		t.Fatal(err)
	}
	if clinic == w.b {
		w.foreign = append(w.foreign, g.ID)
	}
	return g
}

// grantOf is a grant in relation tg to the caller: their own (an admin's;
// anyone else's "own" is an admin's of their clinic), another admin's of
// the same clinic, or one of clinic B.
func (w *authzWorld) grantOf(t *testing.T, c caller, tg target) *store.Grant {
	t.Helper()
	switch tg {
	case tSelf:
		return w.startGrant(t, w.a, w.a.Admin, w.a.Provider)
	case tClinic:
		return w.startGrant(t, w.a, w.newUser(t, w.a, care.RoleAdmin), w.a.Provider)
	case tOther:
		return w.startGrant(t, w.b, w.b.Admin, w.b.Provider)
	}
	return &store.Grant{ID: care.NewID()}
}

// noticeOf is the id of a notice in relation tg to the caller: their own
// (none for clients), another user's of the same clinic, or one of
// clinic B.
func (w *authzWorld) noticeOf(t *testing.T, c caller, tg target) string {
	t.Helper()
	var to care.User
	var g *store.Grant
	switch {
	case tg == tSelf && c == asProvider:
		to, g = w.a.Provider, w.startGrant(t, w.a, w.a.Admin, w.a.Provider)
	case tg == tSelf && c == asAdmin:
		to, g = w.a.Admin, w.startGrant(t, w.a, w.newUser(t, w.a, care.RoleAdmin), w.a.Provider)
	case tg == tClinic:
		to, g = w.a.OtherProvider, w.startGrant(t, w.a, w.a.Admin, w.a.OtherProvider)
	case tg == tOther:
		to, g = w.b.Provider, w.startGrant(t, w.b, w.b.Admin, w.b.Provider)
	default:
		return care.NewID()
	}
	var id string
	if err := w.e.db.Engine.SQLDB().QueryRow(`SELECT id FROM notices WHERE user_id = $1 AND subject_id = $2`, to.ID, g.ID).Scan(&id); err != nil {
		t.Fatalf("the notice of grant %s for %s: %v", g.ID, to.Email, err)
	}
	if tg == tOther {
		w.foreign = append(w.foreign, id)
	}
	return id
}

// breakGlassTestLayout is l with a banner and a notice, for
// TestEveryPageTemplate.
func breakGlassTestLayout(l Layout) Layout {
	l.BreakGlass = []grantBanner{{ID: "g1", ClientID: "c1", Minutes: 42, Until: "15:04"}}
	l.StaffNotices = []noticeItem{{ID: "n1", Text: "Emergency access to a client was opened by an admin at 14:05", GrantURL: "/break-glass/g1"}}
	return l
}

// ---- Step-up, the API and the pages ----

// bgWorld is a clinic whose admin and provider are signed in through the
// API.
type bgWorld struct {
	e                     *webEnv
	c                     *storetest.Clinic
	adminToken, provToken string
	adminSecret           []byte
	clientToken           string
}

func newBGWorld(t *testing.T, db *storetest.DB) *bgWorld {
	t.Helper()
	w := &bgWorld{e: newWebEnv(t, db), c: storetest.SeedClinic(t, db.Store, "Glass House")}
	for _, u := range []care.User{w.c.Admin, w.c.Provider, w.c.Client} {
		w.e.setPassword(t, u)
	}
	w.adminSecret = w.e.enrollTOTP(t, w.c.Admin)
	w.e.enrollTOTP(t, w.c.Provider)
	w.adminToken = w.e.signIn(t, w.c.Admin)
	w.provToken = w.e.signIn(t, w.c.Provider)
	w.clientToken = w.e.signIn(t, w.c.Client)
	return w
}

func (w *bgWorld) start(t *testing.T, clientID, reason, code string) *httptest.ResponseRecorder {
	t.Helper()
	return w.e.call(t, "POST", "/api/v1/break-glass", w.adminToken, map[string]string{
		"client_id": clientID, "reason": reason, "totp_code": code,
	})
}

// auditCount counts the clinic's audit rows of an action and outcome.
func (w *bgWorld) auditCount(t *testing.T, action, outcome string) int {
	t.Helper()
	var n int
	if err := w.e.db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM audit_events WHERE clinic_id = $1 AND action = $2 AND outcome = $3`,
		w.c.Clinic.ID, action, outcome).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBreakGlassStepUp (AC-06 (2), (3), (5)): emergency access needs a
// reason and a fresh authenticator code; a stale, missing or replayed code
// is 401 mfa_required, an empty reason 400, anyone but an admin 404.
func TestBreakGlassStepUp(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		w := newBGWorld(t, db)
		e, c := w.e, w.c

		// Without a grant the admin does not see the client.
		expect(t, e.call(t, "GET", "/api/v1/clients/"+c.Client.ID, w.adminToken, nil), 404, "not_found", "the admin without a grant")

		// A stale code (five minutes old) and no code: step-up refused.
		stale := auth.TOTPCode(w.adminSecret, auth.TOTPStep(db.Clock.Now().Add(-5*time.Minute)))
		expect(t, w.start(t, c.Client.ID, testReason, stale), 401, "mfa_required", "a stale code")
		expect(t, w.start(t, c.Client.ID, testReason, ""), 401, "mfa_required", "no code")
		if n := w.auditCount(t, "break-glass.step-up", "denied"); n != 1 {
			t.Errorf("%d denied step-ups in the audit trail, want 1", n)
		}

		// An empty or short reason: 400, and the code is not spent on it.
		code := e.nextCode(t, c.Admin.Email)
		for _, reason := range []string{"", "help"} {
			rec := w.start(t, c.Client.ID, reason, code)
			expect(t, rec, 400, "invalid", "reason "+reason)
			if f := respError(rec).Error.Field; f != "reason" {
				t.Errorf("reason %q: refused on %q", reason, f)
			}
		}
		expect(t, w.start(t, "", testReason, code), 400, "invalid", "no client")

		// Others: 404, whatever they send.
		for who, token := range map[string]string{"provider": w.provToken, "client": w.clientToken} {
			rec := e.call(t, "POST", "/api/v1/break-glass", token, map[string]string{"client_id": c.Client.ID, "reason": testReason, "totp_code": code})
			expect(t, rec, 404, "not_found", who+" opening break-glass")
		}

		// A fresh code: 201, an hour.
		rec := w.start(t, c.Client.ID, testReason, code)
		expect(t, rec, 201, "", "a fresh code")
		g := respJSON[struct {
			ID        string    `json:"id"`
			ClientID  string    `json:"client_id"`
			ExpiresAt time.Time `json:"expires_at"`
		}](t, rec)
		if g.ClientID != c.Client.ID || !g.ExpiresAt.Equal(db.Clock.Now().Add(time.Hour)) || !care.ValidID(g.ID) {
			t.Errorf("grant %+v", g)
		}
		// The request wrote one audit row: the start, force-logged as
		// break-glass under the grant's id, without the reason.
		var rows []string
		q, err := db.Engine.SQLDB().Query(`SELECT action || ' ' || outcome || ' ' || client_id || ' ' || purpose || ' ' || reason
			FROM audit_events WHERE request_id = $1 ORDER BY id`, rec.Header().Get("X-Request-Id"))
		if err != nil {
			t.Fatal(err)
		}
		for q.Next() {
			var r string
			if err := q.Scan(&r); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, r)
		}
		q.Close()
		if want := "break-glass.start success " + c.Client.ID + " break-glass grant:" + g.ID; len(rows) != 1 || rows[0] != want {
			t.Errorf("the start's audit rows %q, want just %q", rows, want)
		}

		// The same code again, for another client: replayed, 401.
		expect(t, w.start(t, c.OtherClient.ID, testReason, code), 401, "mfa_required", "a replayed code")

		// The admin reads the client, and only that client.
		expect(t, e.call(t, "GET", "/api/v1/clients/"+c.Client.ID, w.adminToken, nil), 200, "", "the admin under the grant")
		expect(t, e.call(t, "GET", "/api/v1/clients/"+c.OtherClient.ID, w.adminToken, nil), 404, "not_found", "another client")
		var purpose, reason string
		if err := db.Engine.SQLDB().QueryRow(`SELECT purpose, reason FROM audit_events WHERE action = 'client.read' AND actor_id = $1 AND client_id = $2 AND outcome = 'success'`,
			c.Admin.ID, c.Client.ID).Scan(&purpose, &reason); err != nil {
			t.Fatal(err)
		}
		if purpose != "break-glass" || reason != "grant:"+g.ID {
			t.Errorf("the read under the grant is audited with %q, %q", purpose, reason)
		}

		// The care team's provider has a notice.
		rec = e.call(t, "GET", "/api/v1/notices", w.provToken, nil)
		expect(t, rec, 200, "", "the provider's notices")
		if !strings.Contains(rec.Body.String(), g.ID) || strings.Contains(rec.Body.String(), "crisis") {
			t.Errorf("the provider's notices: %s", rec.Body)
		}

		// Ending it closes the record again.
		expect(t, e.call(t, "DELETE", "/api/v1/break-glass/"+g.ID, w.provToken, nil), 404, "not_found", "a provider ending it")
		expect(t, e.call(t, "DELETE", "/api/v1/break-glass/"+g.ID, w.adminToken, nil), 204, "", "the admin ending it")
		expect(t, e.call(t, "GET", "/api/v1/clients/"+c.Client.ID, w.adminToken, nil), 404, "not_found", "after the end")

		// The reason reached no log line.
		if strings.Contains(e.log.String(), "crisis") {
			t.Errorf("the log holds the reason")
		}
	})
}

// TestBreakGlassPages: the form, the banner on every page while a grant
// is open, the grant's page, and the notice on the provider's home page.
func TestBreakGlassPages(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		w := newBGWorld(t, db)
		e, c := w.e, w.c
		page := func(method, path, token string, form url.Values) *httptest.ResponseRecorder {
			t.Helper()
			req := envRequest{method: method, path: path, token: token}
			if form != nil {
				req.body, req.contentType = form.Encode(), "application/x-www-form-urlencoded"
			}
			return e.send(t, req)
		}

		rec := page("GET", "/break-glass", w.adminToken, nil)
		expect(t, rec, 200, "", "the form")
		body := rec.Body.String()
		if !strings.Contains(body, c.Client.ID) || strings.Contains(body, c.Client.DisplayName+"<") {
			t.Errorf("the form should list client ids without names")
		}
		expect(t, page("GET", "/break-glass", w.provToken, nil), 404, "", "the form for a provider")

		// A wrong code: the form again, 401, the code field marked.
		rec = page("POST", "/break-glass", w.adminToken, url.Values{"client_id": {c.Client.ID}, "reason": {testReason}, "totp_code": {"000000"}})
		expect(t, rec, 401, "", "a wrong code")
		if !strings.Contains(rec.Body.String(), `id="totp_code"`) || !strings.Contains(rec.Body.String(), "crisis") {
			t.Errorf("the form does not come back with the reason kept")
		}
		// An id that is no client of the clinic.
		rec = page("POST", "/break-glass", w.adminToken, url.Values{"client_id": {c.Provider.ID}, "reason": {testReason}, "totp_code": {e.nextCode(t, c.Admin.Email)}})
		expect(t, rec, 404, "", "a provider's id")

		rec = page("POST", "/break-glass", w.adminToken, url.Values{"client_id": {c.Client.ID}, "reason": {testReason}, "totp_code": {e.nextCode(t, c.Admin.Email)}})
		expect(t, rec, 303, "", "a fresh code")
		loc := rec.Header().Get("Location")
		grantID := strings.TrimPrefix(loc, "/break-glass/")
		if !care.ValidID(grantID) || strings.Contains(loc, "crisis") {
			t.Fatalf("redirect to %q", loc)
		}

		// The banner, on every page the admin opens.
		for _, path := range []string{"/people", "/account", "/break-glass", "/no-such-page"} {
			body := page("GET", path, w.adminToken, nil).Body.String()
			if !strings.Contains(body, "Emergency access is open") || !strings.Contains(body, "60 more minutes") ||
				!strings.Contains(body, `action="/break-glass/`+grantID+`/end"`) {
				t.Errorf("%s lacks the banner", path)
			}
		}
		// The grant's page shows the record.
		rec = page("GET", loc, w.adminToken, nil)
		expect(t, rec, 200, "", "the grant's page")
		if !strings.Contains(rec.Body.String(), "<h2 id=\"record-h\">client</h2>") {
			t.Errorf("the grant's page does not show the client's record")
		}
		// From it, the holder can make the client a copy of their record
		// (rightofaccess.go, issue #8); the provider reviewing it cannot.
		if !strings.Contains(rec.Body.String(), `href="/clients/`+c.Client.ID+`/record-copy"`) {
			t.Errorf("the open grant's page has no link to the record copy")
		}
		// Not for another team's provider.
		otherProv := e.signInWithTOTP(t, c.OtherProvider)
		expect(t, page("GET", loc, otherProv, nil), 404, "", "another team's provider")

		// The provider's home page has the notice; reviewing marks it read.
		body = page("GET", "/clients", w.provToken, nil).Body.String()
		if !strings.Contains(body, "Emergency access to a client on your care team was opened by an admin, admin,") ||
			!strings.Contains(body, `href="/break-glass/`+grantID+`"`) {
			t.Errorf("the provider's home page lacks the notice: %s", body)
		}
		rec = page("GET", loc, w.provToken, nil)
		expect(t, rec, 200, "", "the provider's review")
		if !strings.Contains(rec.Body.String(), "crisis") || !strings.Contains(rec.Body.String(), "Viewed the client&#39;s profile") {
			t.Errorf("the review lacks the reason or what was done")
		}
		if strings.Contains(rec.Body.String(), "/record-copy") {
			t.Errorf("the provider's review links to the admin's record copy")
		}
		ns, err := db.Store.Notices(context.Background(), c.Actor(c.Provider))
		if err != nil || len(ns) != 1 {
			t.Fatalf("notices %v, %v", ns, err)
		}
		expect(t, page("POST", "/notices/"+ns[0].ID+"/read", w.provToken, url.Values{}), 303, "", "marking it reviewed")
		if body := page("GET", "/clients", w.provToken, nil).Body.String(); strings.Contains(body, "Needs your review") {
			t.Errorf("the notice is still shown after review")
		}

		// Ending from the banner; at t+61 minutes a grant is over anyway.
		expect(t, page("POST", "/break-glass/"+grantID+"/end", w.adminToken, url.Values{}), 303, "", "ending it")
		if body := page("GET", "/people", w.adminToken, nil).Body.String(); strings.Contains(body, "Emergency access is open") {
			t.Errorf("the banner is still shown after the end")
		}
		rec = page("POST", "/break-glass", w.adminToken, url.Values{"client_id": {c.OtherClient.ID}, "reason": {testReason}, "totp_code": {e.nextCode(t, c.Admin.Email)}})
		expect(t, rec, 303, "", "a second grant")
		db.Clock.Advance(61 * time.Minute)
		w.adminToken = e.signIn(t, c.Admin) // the session has timed out by now
		rec = page("GET", "/people", w.adminToken, nil)
		expect(t, rec, 200, "", "the admin's home at t+61m")
		if strings.Contains(rec.Body.String(), "Emergency access is open") {
			t.Errorf("the banner is still shown at t+61m")
		}
	})
}

// signInWithTOTP gives u a password and an authenticator app, and signs
// them in.
func (e *webEnv) signInWithTOTP(t *testing.T, u care.User) string {
	t.Helper()
	e.setPassword(t, u)
	e.enrollTOTP(t, u)
	return e.signIn(t, u)
}

// TestBreakGlassDatesInViewerZone (issue #18): the day a client joined,
// on the break-glass list and on the grant's page, is the day in the
// viewer's time zone, not in UTC.
func TestBreakGlassDatesInViewerZone(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		w := newBGWorld(t, db)
		e, c := w.e, w.c
		joined := c.Client.CreatedAt
		if joined.IsZero() {
			t.Fatal("the seeded client has no creation time")
		}
		// A zone where the client joined on another day than in UTC.
		zone := "Pacific/Kiritimati" // UTC+14
		if joined.UTC().Hour() < 12 {
			zone = "Etc/GMT+12" // UTC-12
		}
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		want, utc := joined.In(loc).Format("2 Jan 2006"), joined.UTC().Format("2 Jan 2006")
		if want == utc {
			t.Fatalf("the test's zone %s gives the UTC day %s", zone, utc)
		}
		if err := db.Store.UpdateProfile(context.Background(), c.Actor(c.Admin), store.Profile{DisplayName: "admin", TimeZone: zone, Language: "en"}); err != nil {
			t.Fatal(err)
		}

		body := e.call(t, "GET", "/break-glass", w.adminToken, nil).Body.String()
		row := `<tr><th scope="row"><code>` + c.Client.ID + `</code></th><td>`
		if !strings.Contains(body, row+want+`</td>`) || !strings.Contains(body, `<option value="`+c.Client.ID+`">Joined `+want+`</option>`) {
			t.Errorf("the list does not say the client joined on %s in %s (UTC: %s):\n%s", want, zone, utc, body)
		}

		rec := w.start(t, c.Client.ID, testReason, e.nextCode(t, c.Admin.Email))
		expect(t, rec, 201, "", "opening emergency access")
		g := respJSON[struct {
			ID string `json:"id"`
		}](t, rec)
		body = e.call(t, "GET", "/break-glass/"+g.ID, w.adminToken, nil).Body.String()
		if !strings.Contains(body, `<dt>Joined</dt><dd>`+want+`</dd>`) {
			t.Errorf("the grant's page does not say the client joined on %s:\n%s", want, body)
		}
	})
}
