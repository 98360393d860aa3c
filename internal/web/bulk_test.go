package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/demo"
	"interlude/internal/fhir/fhirtest"
	"interlude/internal/jobs"
	"interlude/internal/store/storetest"
)

// bulkWorld is the demo clinic behind a server, with its people signed in.
type bulkWorld struct {
	e                       *webEnv
	clinic                  care.Clinic
	admin, provider, client care.User
	adminTok, providerTok   string
	clientTok               string
}

func newBulkWorld(t *testing.T, db *storetest.DB) *bulkWorld {
	t.Helper()
	ctx := context.Background()
	d, err := demo.Seed(ctx, db.Store, auth.TestParams())
	if err != nil || d == nil {
		t.Fatalf("seeding the demo: %v", err)
	}
	w := &bulkWorld{e: newWebEnv(t, db), clinic: d.Clinic}
	for _, l := range d.Logins {
		creds, err := db.Store.CredentialsByEmail(ctx, l.Email)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case l.Role == care.RoleAdmin:
			w.admin = creds.User
		case l.Role == care.RoleProvider && w.provider.ID == "":
			w.provider = creds.User
		case l.Role == care.RoleClient && w.client.ID == "":
			w.client = creds.User
		}
	}
	w.adminTok = w.e.signInWithTOTP(t, w.admin)
	w.providerTok = w.e.signInWithTOTP(t, w.provider)
	w.e.setPassword(t, w.client)
	w.clientTok = w.e.signIn(t, w.client)
	return w
}

// kickOff asks for an export at path with the token.
func (w *bulkWorld) kickOff(t *testing.T, token, path string) *httptest.ResponseRecorder {
	t.Helper()
	return w.e.send(t, envRequest{method: "GET", path: path, token: token,
		header: map[string]string{"Prefer": "respond-async", "Accept": "application/fhir+json"}})
}

// runJobs runs the server's background jobs until the export at status
// is done, and returns the manifest.
func (w *bulkWorld) awaitManifest(t *testing.T, status string) bulkManifest {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := jobs.New(w.e.db.Store, jobs.Options{Poll: 20 * time.Millisecond})
	jobs.RegisterBulkExport(r, w.e.db.Store)
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		rec := w.e.call(t, "GET", status, w.adminTok, nil)
		switch rec.Code {
		case http.StatusAccepted:
			if rec.Header().Get("X-Progress") == "" {
				t.Fatalf("a 202 status without X-Progress")
			}
			continue
		case http.StatusOK:
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("manifest Content-Type %q", ct)
			}
			return respJSON[bulkManifest](t, rec)
		}
		t.Fatalf("polling the status: %d %s", rec.Code, rec.Body)
	}
	t.Fatal("the export did not finish")
	return bulkManifest{}
}

// download fetches every file of the manifest, checks each line against
// the FHIR R4 schema and its type, and returns the lines by type.
func (w *bulkWorld) download(t *testing.T, m bulkManifest) map[string][]string {
	t.Helper()
	v := fhirtest.New(t)
	out := map[string][]string{}
	for _, f := range m.Output {
		u, err := url.Parse(f.URL)
		if err != nil || !strings.HasPrefix(f.URL, "http://interlude.test"+bulkFilePath) {
			t.Fatalf("file URL %q", f.URL)
		}
		if rec := w.e.call(t, "GET", u.Path, w.providerTok, nil); rec.Code != http.StatusNotFound {
			t.Errorf("a provider downloads %s: %d, want 404", f.Type, rec.Code)
		}
		if rec := w.e.call(t, "GET", u.Path, "", nil); rec.Code != http.StatusUnauthorized {
			t.Errorf("an anonymous download of %s: %d, want 401", f.Type, rec.Code)
		}
		rec := w.e.send(t, envRequest{method: "GET", path: u.Path, token: w.adminTok, header: map[string]string{"Accept": "application/fhir+ndjson"}})
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/fhir+ndjson" {
			t.Fatalf("downloading %s: %d %q", f.Type, rec.Code, rec.Header().Get("Content-Type"))
		}
		sc := bufio.NewScanner(bytes.NewReader(rec.Body.Bytes()))
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			line := sc.Text()
			var head struct {
				ResourceType string `json:"resourceType"`
			}
			if err := json.Unmarshal([]byte(line), &head); err != nil || head.ResourceType != f.Type {
				t.Fatalf("a line of %s is a %q (%v)", f.Type, head.ResourceType, err)
			}
			if err := v.Validate([]byte(line)); err != nil {
				t.Errorf("a %s does not validate against the FHIR R4 schema: %v", f.Type, err)
			}
			out[f.Type] = append(out[f.Type], line)
		}
		if len(out[f.Type]) != f.Count {
			t.Errorf("%s: %d lines, the manifest says %d", f.Type, len(out[f.Type]), f.Count)
		}
	}
	return out
}

// expectOutcome fails the test unless rec has the status and is an
// OperationOutcome of the issue code.
func expectOutcome(t *testing.T, rec *httptest.ResponseRecorder, status int, code, what string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("%s: got %d %s, want %d", what, rec.Code, strings.TrimSpace(rec.Body.String()), status)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/fhir+json" {
		t.Fatalf("%s: Content-Type %q, want application/fhir+json", what, ct)
	}
	oo := respJSON[struct {
		ResourceType string `json:"resourceType"`
		Issue        []struct {
			Code string `json:"code"`
		} `json:"issue"`
	}](t, rec)
	if oo.ResourceType != "OperationOutcome" || len(oo.Issue) != 1 || oo.Issue[0].Code != code {
		t.Fatalf("%s: %s, want an OperationOutcome of %s", what, rec.Body, code)
	}
	if err := fhirtest.New(t).Validate(rec.Body.Bytes()); err != nil {
		t.Errorf("%s: the OperationOutcome does not validate: %v", what, err)
	}
}

// checkBulkCounts compares the lines exported with counts from the
// database, and checks that no private entry was exported.
func checkBulkCounts(t *testing.T, db *storetest.DB, clinicID string, lines map[string][]string) {
	t.Helper()
	want := storetest.BulkCounts(t, db, clinicID)
	for typ, n := range want {
		got := len(lines[typ])
		if typ == storetest.JournalEntryObservation {
			got = 0
			for _, l := range lines["Observation"] {
				if strings.Contains(l, `"code":"journal_entry"`) {
					got++
				}
			}
		}
		if got != n {
			t.Errorf("%s: %d exported, the database holds %d", typ, got, n)
		}
	}
	if want["Patient"] == 0 || want[storetest.JournalEntryObservation] == 0 || want["Encounter"] == 0 || want["QuestionnaireResponse"] == 0 {
		t.Fatalf("the demo clinic is too empty to test with: %v", want)
	}
	private := storetest.PrivateEntries(t, db, clinicID)
	if len(private) == 0 {
		t.Fatal("the demo clinic has no private journal entry to test with")
	}
	for typ, ls := range lines {
		for _, l := range ls {
			for _, id := range private {
				if strings.Contains(l, id) {
					t.Fatalf("private entry %s is in the export, in a %s", id, typ)
				}
			}
		}
	}
}

// TestBulkExport (issue #8): the Bulk Data flow of the demo clinic for its
// admin, freshly signed in (AU-11): kick-off (202, Content-Location),
// polling (202 with X-Progress, then the manifest), NDJSON files whose
// lines validate against the FHIR R4 schema and whose counts match the
// database, without any private entry; one audit row per client, in each
// client's access report; nobody else starts, polls, downloads or deletes
// it (AC-02, AC-03); DELETE removes it.
func TestBulkExport(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		w := newBulkWorld(t, db)
		const kick = "/fhir/R4/$export?_outputFormat=application%2Ffhir%2Bndjson"

		// Who may start one.
		expectOutcome(t, w.kickOff(t, "", kick), http.StatusUnauthorized, "login", "an anonymous kick-off")
		expectOutcome(t, w.kickOff(t, w.providerTok, kick), http.StatusNotFound, "not-found", "a provider's kick-off")
		expectOutcome(t, w.kickOff(t, w.clientTok, kick), http.StatusNotFound, "not-found", "a client's kick-off")
		expectOutcome(t, w.kickOff(t, w.adminTok, "/fhir/R4/Group/"+care.NewID()+"/$export"), http.StatusNotFound, "not-found", "another clinic as a group")

		// What a kick-off must say.
		bad := []struct{ what, path string }{
			{"an output format but NDJSON", "/fhir/R4/$export?_outputFormat=text%2Fcsv"},
			{"an unknown type", "/fhir/R4/$export?_type=Patient,Spaceship"},
			{"an unsupported parameter", "/fhir/R4/$export?_typeFilter=Patient%3Factive%3Dtrue"},
		}
		for _, b := range bad {
			expectOutcome(t, w.kickOff(t, w.adminTok, b.path), http.StatusBadRequest, "invalid", b.what)
		}
		rec := w.e.call(t, "GET", kick, w.adminTok, nil)
		expectOutcome(t, rec, http.StatusBadRequest, "invalid", "a kick-off without Prefer: respond-async")
		if n := w.e.count(t, "bulk_exports"); n != 0 {
			t.Fatalf("refused kick-offs left %d exports", n)
		}

		// A stale sign-in is not enough (AU-11).
		db.Clock.Advance(care.BulkExportFreshAuth + time.Minute)
		rec = w.kickOff(t, w.adminTok, kick)
		expectOutcome(t, rec, http.StatusUnauthorized, "login", "a kick-off 6 minutes after sign-in")
		if !strings.Contains(rec.Body.String(), "second factor") {
			t.Errorf("a stale sign-in's kick-off does not say why: %s", rec.Body)
		}
		w.adminTok = w.e.signIn(t, w.admin)

		rec = w.kickOff(t, w.adminTok, kick)
		expect(t, rec, http.StatusAccepted, "", "the admin's kick-off")
		status := rec.Header().Get("Content-Location")
		if !strings.HasPrefix(status, "http://interlude.test"+bulkStatusPath) {
			t.Fatalf("Content-Location %q", status)
		}
		statusPath := strings.TrimPrefix(status, "http://interlude.test")
		exportID := strings.TrimPrefix(statusPath, bulkStatusPath)

		// Before any job ran: in progress, for the admin alone.
		rec = w.e.call(t, "GET", statusPath, w.adminTok, nil)
		expect(t, rec, http.StatusAccepted, "", "the first poll")
		if p, n := rec.Header().Get("X-Progress"), storetest.BulkCounts(t, db, w.clinic.ID)["Patient"]; !strings.HasPrefix(p, fmt.Sprintf("0 of %d ", n)) {
			t.Errorf("X-Progress %q", p)
		}
		for _, tok := range []string{w.providerTok, w.clientTok} {
			expectOutcome(t, w.e.call(t, "GET", statusPath, tok, nil), http.StatusNotFound, "not-found", "another's poll")
			expectOutcome(t, w.e.call(t, "DELETE", statusPath, tok, nil), http.StatusNotFound, "not-found", "another's delete")
		}

		m := w.awaitManifest(t, statusPath)
		if !m.RequiresAccessToken || m.Request != "http://interlude.test"+kick || len(m.Error) != 0 || m.TransactionTime.IsZero() {
			t.Errorf("manifest %+v", m)
		}
		lines := w.download(t, m)
		checkBulkCounts(t, db, w.clinic.ID, lines)

		// One audit row per client, each in that client's access report.
		var rows int
		if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM audit_events WHERE action = 'bulk.export' AND entity_id = $1
			AND actor_id = $2 AND outcome = 'success' AND purpose = $3`, exportID, w.admin.ID, care.PurposeBulkExport).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if want := storetest.BulkCounts(t, db, w.clinic.ID)["Patient"]; rows != want {
			t.Errorf("bulk.export audit rows: %d, want one per client (%d)", rows, want)
		}
		page, err := db.Store.AccessLog(ctx, actorOf(w.client), w.client.ID, 0, 200)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range page.Entries {
			found = found || e.Action == "bulk.export" && e.Role == care.RoleAdmin
		}
		if !found {
			t.Errorf("the client's access report does not show the export: %+v", page.Entries)
		}

		// DELETE: gone for good.
		expect(t, w.e.call(t, "DELETE", statusPath, w.adminTok, nil), http.StatusAccepted, "", "the admin's delete")
		expectOutcome(t, w.e.call(t, "GET", statusPath, w.adminTok, nil), http.StatusNotFound, "not-found", "a poll after delete")
		u, _ := url.Parse(m.Output[0].URL)
		expectOutcome(t, w.e.call(t, "GET", u.Path, w.adminTok, nil), http.StatusNotFound, "not-found", "a download after delete")
		if n := w.e.count(t, "bulk_export_parts") + w.e.count(t, "bulk_exports"); n != 0 {
			t.Errorf("%d rows left after delete", n)
		}

		// The clinic as a Group, two types only.
		rec = w.kickOff(t, w.adminTok, "/fhir/R4/Group/"+w.clinic.ID+"/$export?_type=Encounter,Patient")
		expect(t, rec, http.StatusAccepted, "", "the group kick-off")
		m = w.awaitManifest(t, strings.TrimPrefix(rec.Header().Get("Content-Location"), "http://interlude.test"))
		if len(m.Output) != 2 || m.Output[0].Type != "Encounter" || m.Output[1].Type != "Patient" {
			t.Errorf("the group export's files: %+v", m.Output)
		}
	})
}

// TestBulkExportSince (issue #8, Bulk Data _since): a kick-off with a bad
// _since (no zone, a date, garbage, given twice, later than now) is a 400
// OperationOutcome naming the parameter, even with lenient handling, and
// starts nothing; an export with _since holds what changed after it (a
// new journal entry and message of one client, with that client's Patient
// and the resources they name) and nothing of before, the manifest
// counting its files' lines, and audits the export of that client's
// record only; an export without _since still holds everything.
func TestBulkExportSince(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		w := newBulkWorld(t, db)

		db.Clock.Advance(2 * time.Second)
		sinceAt := db.Clock.Now().Truncate(time.Second) // after everything the demo wrote
		since := sinceAt.In(time.FixedZone("", 2*3600)).Format(time.RFC3339)
		db.Clock.Advance(2 * time.Second)

		bad := []struct{ what, query string }{
			{"no zone", "_since=2026-11-01T00:00:00"},
			{"a date", "_since=2026-11-01"},
			{"no seconds", "_since=2026-11-01T00:00Z"},
			{"garbage", "_since=last%20week"},
			{"an empty value", "_since="},
			{"a + not encoded (a space)", "_since=2026-11-01T00:00:00+02:00"},
			{"given twice", "_since=2026-11-01T00:00:00Z&_since=2026-11-02T00:00:00Z"},
			{"later than now", "_since=" + url.QueryEscape(db.Clock.Now().Add(time.Hour).Format(time.RFC3339))},
		}
		for _, b := range bad {
			for _, lenient := range []bool{false, true} {
				prefer := "respond-async"
				if lenient {
					prefer += ", handling=lenient"
				}
				rec := w.e.send(t, envRequest{method: "GET", path: "/fhir/R4/$export?" + b.query, token: w.adminTok,
					header: map[string]string{"Prefer": prefer, "Accept": "application/fhir+json"}})
				expectOutcome(t, rec, http.StatusBadRequest, "invalid", "_since "+b.what)
				if !strings.Contains(rec.Body.String(), "_since") {
					t.Errorf("_since %s: the OperationOutcome does not name the parameter: %s", b.what, rec.Body)
				}
			}
		}
		var started int
		if err := db.Engine.SQLDB().QueryRow(`SELECT (SELECT count(*) FROM bulk_exports) + (SELECT count(*) FROM jobs WHERE kind LIKE 'bulk.%')
			+ (SELECT count(*) FROM audit_events WHERE action LIKE 'bulk.%')`).Scan(&started); err != nil {
			t.Fatal(err)
		}
		if started != 0 {
			t.Fatalf("refused _since kick-offs left %d exports, jobs or audit rows", started)
		}

		// After since: the client writes an entry and a message.
		mood := 5
		entry := &care.JournalEntry{OccurredAt: db.Clock.Now(), Mood: &mood, Text: "after since"}
		shared := true
		if err := db.Store.CreateEntry(ctx, actorOf(w.client), w.client.ID, entry, &shared); err != nil {
			t.Fatal(err)
		}
		msg := &care.Message{Text: "a message after since"}
		if _, err := db.Store.SendMessage(ctx, actorOf(w.client), w.client.ID, msg); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(time.Second)

		kick := "/fhir/R4/Group/" + w.clinic.ID + "/$export?_since=" + url.QueryEscape(since)
		rec := w.kickOff(t, w.adminTok, kick)
		expect(t, rec, http.StatusAccepted, "", "the _since kick-off")
		statusPath := strings.TrimPrefix(rec.Header().Get("Content-Location"), "http://interlude.test")
		m := w.awaitManifest(t, statusPath)
		if m.Request != "http://interlude.test"+kick {
			t.Errorf("the manifest's request %q, want the kick-off's", m.Request)
		}
		lines := w.download(t, m) // checks each file's lines against the manifest's count

		full := storetest.BulkCounts(t, db, w.clinic.ID)
		if len(lines["Patient"]) != 1 || !strings.Contains(lines["Patient"][0], w.client.ID) {
			t.Errorf("Patients exported: %d, want the one client with changes", len(lines["Patient"]))
		}
		// The demo provider keeps office hours: a message outside them
		// comes with its automatic reply, new too.
		wantComms := 1
		if msg.AutoReply != nil {
			wantComms = 2
		}
		if got := strings.Join(lines["Communication"], "\n"); len(lines["Communication"]) != wantComms ||
			!strings.Contains(got, msg.ID) || (msg.AutoReply != nil && !strings.Contains(got, msg.AutoReply.ID)) {
			t.Errorf("Communications exported: %d, want the new message alone, with its automatic reply if any", len(lines["Communication"]))
		}
		if len(lines["Observation"]) == 0 {
			t.Error("the new entry's Observations are not exported")
		}
		for _, l := range lines["Observation"] {
			if !strings.Contains(l, `"id":"`+entry.ID) {
				t.Errorf("an Observation of before since is exported: %.120s", l)
			}
		}
		for _, typ := range []string{"Encounter", "QuestionnaireResponse", "Goal", "Flag"} {
			if len(lines[typ]) != 0 {
				t.Errorf("%d %s of before since are exported", len(lines[typ]), typ)
			}
		}
		if full["Patient"] < 2 || full["Encounter"] == 0 {
			t.Fatalf("the demo clinic is too small to test with: %v", full)
		}
		exportID := strings.TrimPrefix(statusPath, bulkStatusPath)
		var audited []string
		rows, err := db.Engine.SQLDB().Query(`SELECT client_id FROM audit_events WHERE action = 'bulk.export' AND entity_id = $1`, exportID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			audited = append(audited, c)
		}
		rows.Close()
		if len(audited) != 1 || audited[0] != w.client.ID {
			t.Errorf("bulk.export audit rows for clients %v, want the one client with changes", audited)
		}

		// Without _since: everything, the new entry too.
		rec = w.kickOff(t, w.adminTok, "/fhir/R4/$export")
		expect(t, rec, http.StatusAccepted, "", "the kick-off without _since")
		m = w.awaitManifest(t, strings.TrimPrefix(rec.Header().Get("Content-Location"), "http://interlude.test"))
		all := w.download(t, m)
		checkBulkCounts(t, db, w.clinic.ID, all)
		if len(all["Communication"]) <= 1 || len(all["Observation"]) <= len(lines["Observation"]) {
			t.Errorf("the export without _since: %d Communications, %d Observations", len(all["Communication"]), len(all["Observation"]))
		}
	})
}
