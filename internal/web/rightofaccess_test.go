package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/fhir/fhirtest"
	"interlude/internal/store/storetest"
)

// The right of access (45 CFR 164.524, issue #8): rightofaccess.go.

// The words of the entries and the message each test writes: a canary
// that must reach only the copies it belongs in.
const (
	sharedWords  = "Walked to the lake with my sister"
	privateWords = "Private canary: nobody but me reads this"
	messageWords = "See you Thursday, bring the sleep log"
)

// accessEnv is a clinic whose client wrote a shared and a private entry
// and got a message, with everyone signed in.
type accessEnv struct {
	*webEnv
	c                                      *storetest.Clinic
	client, provider, otherProvider, admin string // bearer tokens
}

func newAccessEnv(t *testing.T, db *storetest.DB) *accessEnv {
	t.Helper()
	e := newWebEnv(t, db)
	c := storetest.SeedClinic(t, db.Store, "Access Clinic")
	for _, u := range []care.User{c.Client, c.Provider, c.OtherProvider, c.Admin} {
		e.setPassword(t, u)
	}
	for _, u := range []care.User{c.Provider, c.OtherProvider, c.Admin} {
		e.enrollTOTP(t, u)
	}
	ctx := context.Background()
	mood := 6
	for _, en := range []struct {
		text   string
		shared bool
	}{{sharedWords, true}, {privateWords + " " + xssText, false}} {
		shared := en.shared
		entry := &care.JournalEntry{OccurredAt: db.Clock.Now().Add(-time.Hour), Mood: &mood, Text: en.text, Emotions: []string{"hopeful"}}
		if err := db.Store.CreateEntry(ctx, c.Actor(c.Client), c.Client.ID, entry, &shared); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Store.SendMessage(ctx, c.Actor(c.Provider), c.Client.ID, &care.Message{Text: messageWords}); err != nil {
		t.Fatal(err)
	}
	return &accessEnv{webEnv: e, c: c, client: e.signIn(t, c.Client), provider: e.signIn(t, c.Provider),
		otherProvider: e.signIn(t, c.OtherProvider), admin: e.signIn(t, c.Admin)}
}

// staffCopy posts the staff copy's form.
func (e *accessEnv) staffCopy(t *testing.T, token, clientID, format, code string) *httptest.ResponseRecorder {
	t.Helper()
	v := url.Values{"format": {format}}
	if code != "" {
		v.Set("totp_code", code)
	}
	return e.form(t, "/clients/"+clientID+"/record-copy", token, v)
}

// recordExportRequest is GET /api/v1/clients/{id}/export in the
// authorization matrix (authz_test.go).
var recordExportRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
	return clientPath(w, c, tg, "/export"), nil
}}

// TestClientDownloadsOwnRecord: the client's own copies hold everything,
// their private entries too, marked as such; each download is audited as
// a read and a copy; nobody else has these addresses.
func TestClientDownloadsOwnRecord(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newAccessEnv(t, db)
		c := e.c

		rec := e.call(t, "GET", "/account/record.html", e.client, nil)
		expect(t, rec, http.StatusOK, "", "the client's document")
		h := rec.Header()
		if ct := h.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("content type %q", ct)
		}
		if cd := h.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="interlude-record-`) || !strings.HasSuffix(cd, `.html"`) {
			t.Errorf("content disposition %q", cd)
		}
		csp := h.Get("Content-Security-Policy")
		if strings.Contains(csp, "script-src") || !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "style-src 'sha256-") {
			t.Errorf("the document's CSP %q", csp)
		}
		body := rec.Body.String()
		for _, want := range []string{
			"Health record of " + c.Client.DisplayName, sharedWords, privateWords, messageWords,
			`<span class="tag private">Private</span>`, `<h2 id="journal-h">Journal</h2>`, `<h2 id="access-h">Who accessed your record</h2>`,
			c.Provider.DisplayName,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the client's document lacks %q", want)
			}
		}
		if !strings.Contains(body, "<dt>Mood</dt><dd>6 out of 10</dd>") {
			t.Errorf("the document does not give the mood as 6 out of 10")
		}
		if strings.Contains(body, "<script") || strings.Contains(body, "<img src=x") {
			t.Errorf("the document holds markup from the record, or a script")
		}
		if got := strings.Count(body, `<li class="private">`); got != 1 {
			t.Errorf("%d entries marked private, want 1", got)
		}
		if got := e.auditOf(t, h.Get("X-Request-Id")); len(got) != 2 ||
			!strings.HasPrefix(got[0], care.ActionRecordReadAll+" success "+c.Client.ID) ||
			got[1] != care.ActionRecordCopy+" success "+c.Client.ID+" "+c.Client.ID+" "+c.Client.ID {
			t.Errorf("audit rows %q", got)
		}

		// The same, to read or print in the browser: no attachment.
		rec = e.call(t, "GET", "/account/record", e.client, nil)
		expect(t, rec, http.StatusOK, "", "the client's document, inline")
		if cd := rec.Header().Get("Content-Disposition"); cd != "" || !strings.Contains(rec.Body.String(), privateWords) {
			t.Errorf("inline: content disposition %q", cd)
		}
		// Like the access report, the copy lists the client's earlier
		// download (AD-05).
		if !strings.Contains(rec.Body.String(), "downloaded a copy of your record") {
			t.Errorf("the second copy does not list the first download")
		}

		// The FHIR Bundle: Patient/$everything of the whole record, the
		// private entry in it, valid against the R4 schema.
		rec = e.call(t, "GET", "/account/record.json", e.client, nil)
		expect(t, rec, http.StatusOK, "", "the client's FHIR Bundle")
		if ct := rec.Header().Get("Content-Type"); ct != "application/fhir+json" {
			t.Errorf("FHIR content type %q", ct)
		}
		if cd := rec.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="interlude-record-`) || !strings.HasSuffix(cd, `.json"`) {
			t.Errorf("FHIR content disposition %q", cd)
		}
		checkBundle(t, rec.Body.Bytes(), c.Client.ID, true)
		if got := e.auditOf(t, rec.Header().Get("X-Request-Id")); len(got) != 2 || !strings.HasPrefix(got[1], care.ActionRecordCopy+" success "+c.Client.ID) {
			t.Errorf("FHIR: audit rows %q", got)
		}

		// The client's access report lists the download.
		rec = e.call(t, "GET", "/access-log", e.client, nil)
		if want := "<strong>You</strong> downloaded a copy of your record"; !strings.Contains(rec.Body.String(), want) {
			t.Errorf("the access report lacks %q", want)
		}

		// Staff have no such page: their own copy is made for a client.
		for _, token := range []string{e.provider, e.admin} {
			for _, p := range []string{"/account/record", "/account/record.html", "/account/record.json"} {
				if rec := e.call(t, "GET", p, token, nil); rec.Code != http.StatusNotFound {
					t.Errorf("staff at %s: %d", p, rec.Code)
				}
			}
		}
		if rec := e.call(t, "GET", "/account/record.html", "", nil); rec.Code != http.StatusUnauthorized && rec.Code != http.StatusSeeOther {
			t.Errorf("signed out: %d", rec.Code)
		}

		// The account page links both downloads, for clients only.
		rec = e.call(t, "GET", "/account", e.client, nil)
		for _, want := range []string{`href="/account/record.html"`, `href="/account/record.json"`, "Download my record"} {
			if !strings.Contains(rec.Body.String(), want) {
				t.Errorf("the client's account page lacks %q", want)
			}
		}
		if rec := e.call(t, "GET", "/account", e.provider, nil); strings.Contains(rec.Body.String(), "/account/record") {
			t.Errorf("a provider's account page offers a record download")
		}
	})
}

// TestStaffCopyNeedsFreshCode (AU-05, AU-08): a staff copy is made only
// after a fresh authenticator code; a missing, wrong or used code gives
// the form again, produces nothing and reads nothing, and repeated wrong
// codes are throttled as sign-in is.
func TestStaffCopyNeedsFreshCode(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newAccessEnv(t, db)
		c := e.c
		refused := func(rec *httptest.ResponseRecorder, status int, what string) {
			t.Helper()
			if rec.Code != status {
				t.Fatalf("%s: %d, want %d: %s", what, rec.Code, status, rec.Body)
			}
			if cd := rec.Header().Get("Content-Disposition"); cd != "" {
				t.Errorf("%s: a file was sent (%q)", what, cd)
			}
			body := rec.Body.String()
			if strings.Contains(body, sharedWords) || strings.Contains(body, messageWords) {
				t.Errorf("%s: the answer holds the record", what)
			}
			for _, row := range e.auditOf(t, rec.Header().Get("X-Request-Id")) {
				if strings.HasPrefix(row, care.ActionRecordReadAll) || strings.HasPrefix(row, care.ActionRecordCopy+" success") {
					t.Errorf("%s: audit row %q", what, row)
				}
			}
		}

		rec := e.call(t, "GET", "/clients/"+c.Client.ID+"/record-copy", e.provider, nil)
		expect(t, rec, http.StatusOK, "", "the form")
		if !strings.Contains(rec.Body.String(), `name="totp_code"`) {
			t.Errorf("the form asks for no code")
		}

		refused(e.staffCopy(t, e.provider, c.Client.ID, "html", ""), http.StatusUnauthorized, "no code")
		rec = e.staffCopy(t, e.provider, c.Client.ID, "html", "000000")
		refused(rec, http.StatusUnauthorized, "a wrong code")
		if got := e.auditOf(t, rec.Header().Get("X-Request-Id")); len(got) < 1 || !strings.HasPrefix(got[0], actionRecordCopyStepUp+" denied "+c.Provider.ID) {
			t.Errorf("a wrong code: audit rows %q", got)
		}
		refused(e.staffCopy(t, e.provider, c.Client.ID, "pdf", e.nextCode(t, c.Provider.Email)), http.StatusBadRequest, "an unknown format")

		code := e.nextCode(t, c.Provider.Email)
		rec = e.staffCopy(t, e.provider, c.Client.ID, "html", code)
		expect(t, rec, http.StatusOK, "", "a fresh code")
		if cd := rec.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
			t.Errorf("content disposition %q", cd)
		}
		refused(e.staffCopy(t, e.provider, c.Client.ID, "html", code), http.StatusUnauthorized, "the same code again")

		// Throttled as sign-in: from the 5th consecutive failure, even a
		// good code waits. (The clock moves on first, so that the good
		// code below needs no move of its own, which would end the wait.)
		db.Clock.Advance(2 * time.Minute)
		for i := range 5 {
			rec = e.staffCopy(t, e.provider, c.Client.ID, "html", "000000")
			if rec.Code == http.StatusTooManyRequests {
				break
			}
			if i == 4 {
				t.Fatalf("5 wrong codes: %d, want 429", rec.Code)
			}
		}
		refused(e.staffCopy(t, e.provider, c.Client.ID, "html", e.nextCode(t, c.Provider.Email)), http.StatusTooManyRequests, "a good code while throttled")
	})
}

// TestStaffCopy: the care team's copy leaves out private entries and says
// so, is audited, and shows in the client's access report; anyone off
// the care team gets 404, a valid code or not.
func TestStaffCopy(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newAccessEnv(t, db)
		c := e.c

		rec := e.staffCopy(t, e.provider, c.Client.ID, "html", e.nextCode(t, c.Provider.Email))
		expect(t, rec, http.StatusOK, "", "the provider's copy")
		body := rec.Body.String()
		for _, want := range []string{sharedWords, messageWords, "Private journal entries are not in this copy", "Made by " + c.Provider.DisplayName} {
			if !strings.Contains(body, want) {
				t.Errorf("the staff copy lacks %q", want)
			}
		}
		if strings.Contains(body, "Private canary") || strings.Contains(body, `class="private"`) {
			t.Errorf("the staff copy holds a private entry")
		}
		if got := e.auditOf(t, rec.Header().Get("X-Request-Id")); len(got) != 2 ||
			!strings.HasPrefix(got[0], care.ActionRecordReadAll+" success "+c.Provider.ID) ||
			got[1] != care.ActionRecordCopy+" success "+c.Provider.ID+" "+c.Client.ID+" "+c.Client.ID {
			t.Errorf("audit rows %q", got)
		}

		// The FHIR copy: valid, and without the private entry either.
		rec = e.staffCopy(t, e.provider, c.Client.ID, "fhir", e.nextCode(t, c.Provider.Email))
		expect(t, rec, http.StatusOK, "", "the provider's FHIR copy")
		if ct := rec.Header().Get("Content-Type"); ct != "application/fhir+json" {
			t.Errorf("FHIR content type %q", ct)
		}
		checkBundle(t, rec.Body.Bytes(), c.Client.ID, false)

		// The client sees it in their access report.
		rec = e.call(t, "GET", "/access-log", e.client, nil)
		if want := "<strong>" + c.Provider.DisplayName + "</strong> (provider) made a copy of your record for you"; !strings.Contains(rec.Body.String(), want) {
			t.Errorf("the access report lacks %q", want)
		}

		// Off the care team: 404, before or after a valid code.
		if rec := e.call(t, "GET", "/clients/"+c.Client.ID+"/record-copy", e.otherProvider, nil); rec.Code != http.StatusNotFound {
			t.Errorf("another team's provider, the form: %d", rec.Code)
		}
		rec = e.staffCopy(t, e.otherProvider, c.Client.ID, "html", e.nextCode(t, c.OtherProvider.Email))
		if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), sharedWords) {
			t.Errorf("another team's provider with a valid code: %d", rec.Code)
		}
		// An admin without an open break-glass grant reads no clinical
		// content (AC-02).
		rec = e.staffCopy(t, e.admin, c.Client.ID, "html", e.nextCode(t, c.Admin.Email))
		if rec.Code != http.StatusNotFound {
			t.Errorf("an admin without a grant: %d", rec.Code)
		}
		// With an open break-glass grant (its stated reason is why the
		// admin, not the care team, does it), an admin may: audited as
		// emergency access, and no private entry either.
		if _, err := db.Store.StartBreakGlass(context.Background(), c.Actor(c.Admin), c.Client.ID, testReason); err != nil {
			t.Fatal(err)
		}
		rec = e.staffCopy(t, e.admin, c.Client.ID, "html", e.nextCode(t, c.Admin.Email))
		expect(t, rec, http.StatusOK, "", "an admin with a grant")
		if body := rec.Body.String(); strings.Contains(body, "Private canary") || !strings.Contains(body, sharedWords) {
			t.Errorf("the admin's copy: private entry or shared entry wrong")
		}
		var purposes []string
		rows, err := db.Engine.SQLDB().Query(`SELECT purpose FROM audit_events WHERE request_id = $1 ORDER BY id`, rec.Header().Get("X-Request-Id"))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var p string
			if err := rows.Scan(&p); err != nil {
				t.Fatal(err)
			}
			purposes = append(purposes, p)
		}
		rows.Close()
		if len(purposes) != 2 || purposes[0] != care.PurposeBreakGlass || purposes[1] != care.PurposeBreakGlass {
			t.Errorf("the admin's copy: audit purposes %q, want break-glass twice", purposes)
		}
		if rec := e.staffCopy(t, e.client, c.Client.ID, "html", "123456"); rec.Code != http.StatusNotFound {
			t.Errorf("the client at the staff form: %d", rec.Code)
		}
	})
}

// checkBundle checks a FHIR copy: a Bundle of the client's Patient that
// validates against the R4 schema, holding the private entry or not.
func checkBundle(t *testing.T, body []byte, clientID string, private bool) {
	t.Helper()
	if err := fhirtest.New(t).Validate(body); err != nil {
		t.Errorf("the Bundle does not validate against the FHIR R4 schema: %v", err)
	}
	var b struct {
		ResourceType string `json:"resourceType"`
		Entry        []struct {
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatalf("the Bundle is not JSON: %v", err)
	}
	if b.ResourceType != "Bundle" || len(b.Entry) == 0 || b.Entry[0].Resource["resourceType"] != "Patient" {
		t.Errorf("a %s of %d entries, the first %v", b.ResourceType, len(b.Entry), b.Entry)
	}
	text := string(body)
	for _, want := range []string{sharedWords, messageWords} {
		if !strings.Contains(text, want) {
			t.Errorf("the Bundle lacks %q", want)
		}
	}
	if got := strings.Contains(text, privateWords); got != private {
		t.Errorf("the Bundle holds the private entry: %v, want %v", got, private)
	}
}

// TestRecordExportAPI: GET /api/v1/clients/{id}/export gives the client
// their whole record, private entries too, audited as a copy; the care
// team gets the record as they may see it, without private entries and
// without a copy's row; anyone else 404 (AC-03).
func TestRecordExportAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newAccessEnv(t, db)
		c := e.c
		path := "/api/v1/clients/" + c.Client.ID + "/export"

		rec := e.call(t, "GET", path, e.client, nil)
		expect(t, rec, http.StatusOK, "", "the client's export")
		checkBundle(t, rec.Body.Bytes(), c.Client.ID, true)
		if got := e.auditOf(t, rec.Header().Get("X-Request-Id")); len(got) != 2 || !strings.HasPrefix(got[1], care.ActionRecordCopy+" success "+c.Client.ID) {
			t.Errorf("the client's export: audit rows %q", got)
		}

		rec = e.call(t, "GET", path, e.provider, nil)
		expect(t, rec, http.StatusOK, "", "the care team's export")
		if ct := rec.Header().Get("Content-Type"); ct != "application/fhir+json" {
			t.Errorf("content type %q", ct)
		}
		checkBundle(t, rec.Body.Bytes(), c.Client.ID, false)
		if got := e.auditOf(t, rec.Header().Get("X-Request-Id")); len(got) != 1 || !strings.HasPrefix(got[0], care.ActionRecordReadAll+" success "+c.Provider.ID) {
			t.Errorf("the care team's export: audit rows %q", got)
		}

		for who, token := range map[string]string{"another team's provider": e.otherProvider, "an admin": e.admin} {
			rec = e.call(t, "GET", path, token, nil)
			expect(t, rec, http.StatusNotFound, "not_found", who)
		}
		other, err := db.Store.CredentialsByEmail(context.Background(), c.OtherClient.Email)
		if err != nil {
			t.Fatal(err)
		}
		expect(t, e.call(t, "GET", "/api/v1/clients/"+other.User.ID+"/export", e.client, nil), http.StatusNotFound, "not_found", "another client's export")
	})
}
