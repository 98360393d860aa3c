package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/demo"
	"interlude/internal/fhir"
	"interlude/internal/fhir/fhirtest"
	"interlude/internal/store/storetest"
)

// fhirIssueCodes is the OperationOutcome issue code each status of the
// authorization matrix comes with on the FHIR routes.
var fhirIssueCodes = map[int]string{
	http.StatusBadRequest:   "invalid",
	http.StatusUnauthorized: "login",
	http.StatusForbidden:    "forbidden",
	http.StatusNotFound:     "not-found",
	http.StatusConflict:     "conflict",
}

// outcome is a FHIR OperationOutcome as the tests read it.
type outcome struct {
	ResourceType string `json:"resourceType"`
	Issue        []struct {
		Severity    string `json:"severity"`
		Code        string `json:"code"`
		Diagnostics string `json:"diagnostics"`
	} `json:"issue"`
}

// outcomeOf decodes an OperationOutcome; a body that is not one gives one
// empty issue.
func outcomeOf(rec *httptest.ResponseRecorder) outcome {
	var o outcome
	json.Unmarshal(rec.Body.Bytes(), &o) //nolint:errcheck // by design, as said above: the caller's checks then fail on the empty issue
	if o.ResourceType != "OperationOutcome" || len(o.Issue) == 0 {
		o.Issue = make([]struct {
			Severity    string `json:"severity"`
			Code        string `json:"code"`
			Diagnostics string `json:"diagnostics"`
		}, 1)
	}
	return o
}

// The authorization matrix's FHIR cells (authz_test.go): the record of
// the client in relation tg to the caller.
var (
	fhirEverythingRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		return "/fhir/R4/Patient/" + w.user(c, tg).ID + "/$everything", nil
	}}
	fhirReadRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		return "/fhir/R4/Patient/" + w.user(c, tg).ID, nil
	}}
	fhirSearchRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		return "/fhir/R4/Observation?patient=" + w.user(c, tg).ID, nil
	}}
)

// fhirBundle is a searchset Bundle as the tests read it.
type fhirBundle struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Total        int    `json:"total"`
	Entry        []struct {
		FullURL  string          `json:"fullUrl"`
		Resource json.RawMessage `json:"resource"`
	} `json:"entry"`
}

// refs returns the bundle's resources by reference ("Patient/abc").
func (b fhirBundle) refs(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	out := map[string]json.RawMessage{}
	for _, e := range b.Entry {
		var head struct{ ResourceType, ID string }
		if err := json.Unmarshal(e.Resource, &head); err != nil {
			t.Fatal(err)
		}
		out[head.ResourceType+"/"+head.ID] = e.Resource
	}
	return out
}

// fhirGet gets a FHIR path, checks the media type and that the answer
// validates against the R4 schema, and returns it.
func fhirGet(t *testing.T, e *webEnv, v *fhirtest.Validator, token, path string, status int) *httptest.ResponseRecorder {
	t.Helper()
	rec := e.call(t, "GET", path, token, nil)
	if rec.Code != status {
		t.Fatalf("GET %s: %d %s, want %d", path, rec.Code, rec.Body, status)
	}
	if ct := rec.Header().Get("Content-Type"); ct != fhirContentType {
		t.Errorf("GET %s: content type %q", path, ct)
	}
	if err := v.Validate(rec.Body.Bytes()); err != nil {
		t.Errorf("GET %s: %v", path, err)
	}
	return rec
}

func bundleOf(t *testing.T, rec *httptest.ResponseRecorder) fhirBundle {
	t.Helper()
	b := respJSON[fhirBundle](t, rec)
	if b.ResourceType != "Bundle" || b.Type != "searchset" || b.Total != len(b.Entry) {
		t.Fatalf("not a searchset bundle of its total: %.300s", rec.Body)
	}
	return b
}

// TestFHIRAPI (issue #8; AC-01, AC-02, AC-03, AD-01): every FHIR route's
// answer validates against the R4 schema; the client gets their whole
// record, private entries and access log included; a provider of the care
// team the shared part, by $everything, read and search alike, and never
// a private entry; another team's provider and an admin without
// break-glass get 404 as for nothing; each answer about a client is one
// audited read of the record.
func TestFHIRAPI(t *testing.T) {
	t.Parallel()
	v := fhirtest.New(t)
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "FHIR Clinic")
		seeded := storetest.SeedRecord(t, db, c)
		e.setPassword(t, c.Client)
		client := e.signIn(t, c.Client)
		prov := e.signInWithTOTP(t, c.Provider)
		other := e.signInWithTOTP(t, c.OtherProvider)
		admin := e.signInWithTOTP(t, c.Admin)
		everything := "/fhir/R4/Patient/" + c.Client.ID + "/$everything"
		private := []string{"Observation/" + seeded.Private.ID, "Observation/" + seeded.Private.ID + "-mood"}

		reads := func() int {
			var n int
			if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM audit_events WHERE action = 'record.read_all' AND client_id = $1`,
				c.Client.ID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		// The provider: the shared part.
		before := reads()
		provRec := fhirGet(t, e, v, prov, everything, http.StatusOK)
		if n := reads() - before; n != 1 {
			t.Errorf("one $everything wrote %d record.read_all rows, want 1", n)
		}
		provBundle := bundleOf(t, provRec)
		provRefs := provBundle.refs(t)
		for _, p := range private {
			if _, ok := provRefs[p]; ok {
				t.Errorf("the provider's $everything holds the private %s", p)
			}
		}
		if strings.Contains(provRec.Body.String(), "only mine") {
			t.Error("the provider's $everything holds the private entry's text")
		}
		if _, ok := provRefs["Observation/"+seeded.Shared.ID]; !ok {
			t.Error("the provider's $everything lacks the shared entry")
		}
		for ref := range provRefs {
			if strings.HasPrefix(ref, "AuditEvent/") {
				t.Errorf("the provider's $everything holds the client's access log (%s)", ref)
			}
		}

		// The client: everything, the access log (the provider's read) too.
		ownRec := fhirGet(t, e, v, client, everything, http.StatusOK)
		own := bundleOf(t, ownRec).refs(t)
		for _, p := range private {
			if _, ok := own[p]; !ok {
				t.Errorf("the client's own $everything lacks %s", p)
			}
		}
		types := map[string]int{}
		for ref := range own {
			types[strings.Split(ref, "/")[0]]++
		}
		for _, typ := range fhir.Types {
			if types[typ] == 0 {
				t.Errorf("the client's $everything has no %s", typ)
			}
		}

		// Read: each resource of the answer, by its type and id, as the
		// same caller sees it.
		for who, tc := range map[string]struct {
			token string
			refs  map[string]json.RawMessage
		}{"client": {client, own}, "provider": {prov, provRefs}} {
			for ref, want := range tc.refs {
				if who == "provider" && (strings.HasPrefix(ref, "Questionnaire/")) {
					continue
				}
				rec := fhirGet(t, e, v, tc.token, "/fhir/R4/"+ref, http.StatusOK)
				if !sameJSON(t, rec.Body.Bytes(), want) {
					t.Errorf("%s reads %s: %s, but $everything holds %s", who, ref, rec.Body, want)
				}
			}
		}
		for _, p := range private {
			rec := fhirGet(t, e, v, prov, "/fhir/R4/"+p, http.StatusNotFound)
			if outcomeOf(rec).Issue[0].Code != "not-found" {
				t.Errorf("the provider reads the private %s: %s", p, rec.Body)
			}
		}

		// Search by patient, type by type: what $everything holds of it.
		for _, typ := range fhir.Types {
			for who, tc := range map[string]struct {
				token string
				refs  map[string]json.RawMessage
			}{"client": {client, own}, "provider": {prov, provRefs}} {
				q := "?patient=" + c.Client.ID
				if typ == "Patient" {
					q = "?_id=" + c.Client.ID
				}
				b := bundleOf(t, fhirGet(t, e, v, tc.token, "/fhir/R4/"+typ+q, http.StatusOK))
				want := 0
				for ref := range tc.refs {
					if strings.HasPrefix(ref, typ+"/") {
						want++
					}
				}
				found := b.refs(t)
				if typ == "AuditEvent" {
					// The access log has grown since: the reads above.
					for ref := range tc.refs {
						if _, ok := found[ref]; strings.HasPrefix(ref, typ+"/") && !ok {
							t.Errorf("%s searches %s: %s is missing", who, typ, ref)
						}
					}
					continue
				}
				if b.Total != want {
					t.Errorf("%s searches %s by patient: %d, want %d", who, typ, b.Total, want)
				}
				for ref := range found {
					if _, ok := tc.refs[ref]; !ok {
						t.Errorf("%s searches %s: %s, which $everything does not hold", who, typ, ref)
					}
				}
			}
		}
		b := bundleOf(t, fhirGet(t, e, v, prov, "/fhir/R4/Observation?subject=Patient/"+c.Client.ID+"&_id="+seeded.Shared.ID, http.StatusOK))
		if b.Total != 1 {
			t.Errorf("search by subject and _id: %d results, want 1", b.Total)
		}
		b = bundleOf(t, fhirGet(t, e, v, prov, "/fhir/R4/Observation?patient="+c.Client.ID+"&_id="+seeded.Private.ID, http.StatusOK))
		if b.Total != 0 {
			t.Errorf("the provider finds the private entry by _id")
		}
		b = bundleOf(t, fhirGet(t, e, v, client, "/fhir/R4/Goal", http.StatusOK))
		if b.Total != 1 {
			t.Errorf("the client's search without patient: %d goals, want their 1", b.Total)
		}

		// Nobody else's: 404, the same as for nothing at all.
		missing := fhirGet(t, e, v, prov, "/fhir/R4/Patient/"+care.NewID()+"/$everything", http.StatusNotFound)
		for who, token := range map[string]string{"another team's provider": other, "an admin": admin} {
			for _, path := range []string{everything, "/fhir/R4/Patient/" + c.Client.ID, "/fhir/R4/Observation/" + seeded.Shared.ID,
				"/fhir/R4/Observation?patient=" + c.Client.ID} {
				rec := fhirGet(t, e, v, token, path, http.StatusNotFound)
				if rec.Body.String() != missing.Body.String() {
					t.Errorf("%s gets %s: %s, a missing record: %s", who, path, rec.Body, missing.Body)
				}
			}
		}

		// An admin under break-glass: the shared part, as the care team.
		if _, err := db.Store.StartBreakGlass(context.Background(), c.Actor(c.Admin), c.Client.ID, testReason); err != nil {
			t.Fatal(err)
		}
		glass := bundleOf(t, fhirGet(t, e, v, admin, everything, http.StatusOK)).refs(t)
		if _, ok := glass[private[0]]; ok {
			t.Error("break-glass $everything holds the private entry")
		}

		// Staff read Practitioners and the Organization of their clinic.
		fhirGet(t, e, v, prov, "/fhir/R4/Practitioner/"+c.Provider.ID, http.StatusOK)
		fhirGet(t, e, v, admin, "/fhir/R4/Organization/"+c.Clinic.ID, http.StatusOK)
		fhirGet(t, e, v, prov, "/fhir/R4/Practitioner/"+c.Client.ID, http.StatusNotFound)

		// The capabilities and the code system, to anyone.
		meta := fhirGet(t, e, v, "", "/fhir/R4/metadata", http.StatusOK)
		for _, want := range append([]string{fhir.CodeSystemURL, `"everything"`, `"export"`}, fhir.Types...) {
			if !strings.Contains(meta.Body.String(), want) {
				t.Errorf("the CapabilityStatement lacks %s", want)
			}
		}
		fhirGet(t, e, v, "", "/fhir/R4/CodeSystem/interlude", http.StatusOK)
		fhirGet(t, e, v, "", "/fhir/R4/Questionnaire/phq9", http.StatusUnauthorized)
		fhirGet(t, e, v, prov, "/fhir/R4/Questionnaire/phq9", http.StatusOK)

		// Errors are OperationOutcomes.
		for _, tc := range []struct {
			token, path string
			status      int
			code        string
		}{
			{"", everything, http.StatusUnauthorized, "login"},
			{prov, "/fhir/R4/Observation?code=mood&patient=" + c.Client.ID, http.StatusBadRequest, "invalid"},
			{prov, "/fhir/R4/Observation", http.StatusBadRequest, "invalid"},
			{prov, "/fhir/R4/Observation?patient=a&patient=b", http.StatusBadRequest, "invalid"},
			{prov, "/fhir/R4/Medication?patient=" + c.Client.ID, http.StatusNotFound, "not-found"},
			{prov, "/fhir/R4/Observation/not-an-id", http.StatusNotFound, "not-found"},
			{prov, "/fhir/R4/CodeSystem/loinc", http.StatusNotFound, "not-found"},
			{prov, "/fhir/R4/Patient/x/y/z", http.StatusNotFound, "not-found"},
		} {
			rec := fhirGet(t, e, v, tc.token, tc.path, tc.status)
			if got := outcomeOf(rec).Issue[0].Code; got != tc.code {
				t.Errorf("GET %s: issue %q, want %q: %s", tc.path, got, tc.code, rec.Body)
			}
		}
	})
}

// sameJSON reports whether two JSON documents are equal as values.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

// goldenIDs are the record's ids (26 base32 characters) in an answer.
var goldenIDs = regexp.MustCompile(`\b[a-z2-7]{26}\b`)

// TestFHIREverythingGolden (issue #8): Patient/$everything of the demo
// client Sam, as Sam sees it, is the golden file, on both engines. The
// demo is seeded on the store's clock standing at a fixed time and moving
// a millisecond at each reading, so every run writes the same times in
// the same order; ids, random, are numbered in the order they first
// appear.
func TestFHIREverythingGolden(t *testing.T) {
	t.Parallel()
	v := fhirtest.New(t)
	golden := filepath.Join("testdata", "fhir_everything.golden.json")
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		db.Clock.Set(time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC))
		db.Clock.Tick(time.Millisecond)
		if _, err := demo.Seed(context.Background(), db.Store, auth.TestParams()); err != nil {
			t.Fatal(err)
		}
		db.Clock.Tick(0)
		e := newWebEnv(t, db)
		creds, err := db.Store.CredentialsByEmail(context.Background(), "sam@demo.interlude.test")
		if err != nil {
			t.Fatal(err)
		}
		e.setPassword(t, creds.User)
		token := e.signIn(t, creds.User)
		rec := fhirGet(t, e, v, token, "/fhir/R4/Patient/"+creds.User.ID+"/$everything", http.StatusOK)
		got := normalizeIDs(t, rec.Body.Bytes())
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to write it)", err)
		}
		if string(got) != string(want) {
			gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					t.Fatalf("$everything differs from %s at line %d:\n got %s\nwant %s\n(run with -update if the change is meant)", golden, i+1, gl[i], wl[i])
				}
			}
			t.Fatalf("$everything has %d lines, %s %d", len(gl), golden, len(wl))
		}
	})
}

// normalizeIDs numbers the ids of a Bundle in the order they first
// appear, and writes it with one entry per line: a change shows as the
// lines of the entries it changes.
func normalizeIDs(t *testing.T, body []byte) []byte {
	t.Helper()
	seen := map[string]string{}
	s := goldenIDs.ReplaceAllStringFunc(string(body), func(id string) string {
		if n, ok := seen[id]; ok {
			return n
		}
		seen[id] = fmt.Sprintf("id%03d", len(seen)+1)
		return seen[id]
	})
	var bundle map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &bundle); err != nil {
		t.Fatal(err)
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(bundle["entry"], &entries); err != nil {
		t.Fatal(err)
	}
	delete(bundle, "entry")
	head, err := json.Marshal(bundle)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.Write(head[:len(head)-1])
	b.WriteString(`,"entry":[` + "\n")
	for i, e := range entries {
		var v any
		if err := json.Unmarshal(e, &v); err != nil {
			t.Fatal(err)
		}
		line, _ := json.Marshal(v)
		b.Write(line)
		if i < len(entries)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("]}\n")
	return []byte(b.String())
}
