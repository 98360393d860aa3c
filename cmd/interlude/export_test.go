package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/demo"
	"interlude/internal/fhir/fhirtest"
	"interlude/internal/store/storetest"
)

// TestExportCommand (issue #8): `interlude export --out DIR` writes the
// demo clinic as FHIR R4 NDJSON, one file per type and the manifest: each
// line validates against the R4 schema, the counts match the database
// (the same counts TestBulkExport checks over HTTP), no private journal
// entry is in it, each client's read is audited as the system's, the
// files are readable by their owner only, and nothing is left behind in
// the database. Bad flags change nothing.
func TestExportCommand(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		d, err := demo.Seed(ctx, db.Store, auth.TestParams())
		if err != nil || d == nil {
			t.Fatalf("seeding the demo: %v", err)
		}
		dbArgs := []string{"--master-key-file", db.KeyringFile}
		if db.DatabaseURL != "" {
			dbArgs = append(dbArgs, "--database-url", db.DatabaseURL, "--data", t.TempDir())
		} else {
			dbArgs = append(dbArgs, "--data", db.DataDir)
		}
		export := func(args ...string) (string, error) {
			var out, errb bytes.Buffer
			err := run(ctx, append(append([]string{"interlude", "export"}, args...), dbArgs...), noEnv, &out, &errb)
			return out.String() + errb.String(), err
		}

		notEmpty := t.TempDir()
		if err := os.WriteFile(filepath.Join(notEmpty, "other"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		fresh := filepath.Join(t.TempDir(), "fresh")
		for _, bad := range [][]string{
			{}, // no --out
			{"--out", notEmpty},
			{"--out", fresh, "--type", "Spaceship"},
			{"--out", fresh, "--clinic", care.NewID()},
		} {
			if out, err := export(bad...); err == nil {
				t.Errorf("export %v succeeded: %s", bad, out)
			}
		}

		dir := filepath.Join(t.TempDir(), "export")
		out, err := export("--out", dir)
		if err != nil {
			t.Fatalf("export: %v\n%s", err, out)
		}
		clients := storetest.BulkCounts(t, db, d.Clinic.ID)["Patient"]
		if !strings.Contains(out, fmt.Sprintf("Exported %d client records of clinic %s", clients, d.Clinic.ID)) {
			t.Errorf("export said: %s", out)
		}
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("the folder's mode: %v, %v", fi.Mode(), err)
		}

		var m exportManifest
		b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &m); err != nil || len(m.Output) == 0 || len(m.Error) != 0 || m.TransactionTime.IsZero() {
			t.Fatalf("manifest: %v\n%s", err, b)
		}
		v := fhirtest.New(t)
		lines := map[string][]string{}
		for _, o := range m.Output {
			path := filepath.Join(dir, o.URL)
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 || o.URL != o.Type+".ndjson" {
				t.Fatalf("%s: %v, %v", o.URL, fi, err)
			}
			data, _ := os.ReadFile(path)
			sc := bufio.NewScanner(bytes.NewReader(data))
			sc.Buffer(nil, 16<<20)
			for sc.Scan() {
				var head struct {
					ResourceType string `json:"resourceType"`
				}
				if err := json.Unmarshal(sc.Bytes(), &head); err != nil || head.ResourceType != o.Type {
					t.Fatalf("a line of %s is a %q (%v)", o.URL, head.ResourceType, err)
				}
				if err := v.Validate(sc.Bytes()); err != nil {
					t.Errorf("a %s does not validate against the FHIR R4 schema: %v", o.Type, err)
				}
				lines[o.Type] = append(lines[o.Type], sc.Text())
			}
			if len(lines[o.Type]) != o.Count {
				t.Errorf("%s: %d lines, the manifest says %d", o.URL, len(lines[o.Type]), o.Count)
			}
		}

		for typ, n := range storetest.BulkCounts(t, db, d.Clinic.ID) {
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
		private := storetest.PrivateEntries(t, db, d.Clinic.ID)
		if len(private) == 0 {
			t.Fatal("the demo has no private entry to test with")
		}
		for _, ls := range lines {
			for _, l := range ls {
				for _, id := range private {
					if strings.Contains(l, id) {
						t.Fatalf("private entry %s was exported", id)
					}
				}
			}
		}

		sqlDB := db.Engine.SQLDB()
		var audited, left int
		if err := sqlDB.QueryRow(`SELECT count(*) FROM audit_events WHERE action = 'bulk.export' AND actor_id = ''
			AND purpose = $1 AND outcome = 'success' AND client_id <> ''`, care.PurposeBulkExport).Scan(&audited); err != nil {
			t.Fatal(err)
		}
		if audited != clients {
			t.Errorf("bulk.export audit rows: %d, want one per client (%d)", audited, clients)
		}
		// Each client's access report shows the operator's export (AD-05).
		var clientID string
		if err := sqlDB.QueryRow(`SELECT client_id FROM audit_events WHERE action = 'bulk.export' AND actor_id = '' AND client_id <> '' LIMIT 1`).Scan(&clientID); err != nil {
			t.Fatal(err)
		}
		log, err := db.Store.AccessLog(ctx, care.Actor{UserID: clientID, ClinicID: d.Clinic.ID, Role: care.RoleClient}, clientID, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		shown := 0
		for _, e := range log.Entries {
			if e.Action == "bulk.export" && e.Role == "" && e.Purpose == care.PurposeBulkExport {
				shown++
			}
		}
		if shown != 1 {
			t.Errorf("the client's access report shows the operator's export %d times, want once: %+v", shown, log.Entries)
		}
		if err := sqlDB.QueryRow(`SELECT (SELECT count(*) FROM bulk_exports) + (SELECT count(*) FROM bulk_export_parts)`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left != 0 {
			t.Errorf("%d export rows left in the database", left)
		}

		// A second export into a new folder, of two types.
		out, err = export("--out", filepath.Join(t.TempDir(), "two"), "--clinic", d.Clinic.ID, "--type", "Patient,Encounter")
		if err != nil || !strings.Contains(out, "in 2 files") {
			t.Errorf("export of two types: %v: %s", err, out)
		}

		// --since, as $export's _since: a FHIR instant, not later than now;
		// only what changed after it, and only its clients audited.
		seeded := db.Clock.Now() // the demo wrote nothing later
		for _, bad := range []string{"2026-11-01", "2026-11-01T00:00:00", "yesterday", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)} {
			out, err := export("--out", filepath.Join(t.TempDir(), "bad"), "--since", bad)
			if err == nil || !strings.Contains(err.Error()+out, "--since") {
				t.Errorf("export --since %q: %v: %s", bad, err, out)
			}
		}
		rowsBefore := operatorExportRows(t, db)
		db.Clock.Advance(time.Second)
		msg := &care.Message{Text: "after since"}
		if _, err := db.Store.SendMessage(ctx, care.Actor{UserID: clientID, ClinicID: d.Clinic.ID, Role: care.RoleClient}, clientID, msg); err != nil {
			t.Fatal(err)
		}
		sinceDir := filepath.Join(t.TempDir(), "since")
		out, err = export("--out", sinceDir, "--since", seeded.Format(time.RFC3339Nano))
		if err != nil {
			t.Fatalf("export --since: %v: %s", err, out)
		}
		b, err = os.ReadFile(filepath.Join(sinceDir, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		m = exportManifest{}
		if err := json.Unmarshal(b, &m); err != nil || !strings.Contains(m.Request, "--since "+seeded.Format(time.RFC3339Nano)) {
			t.Errorf("the --since manifest: %v\n%s", err, b)
		}
		counts := map[string]int{}
		for _, o := range m.Output {
			data, _ := os.ReadFile(filepath.Join(sinceDir, o.URL))
			if n := bytes.Count(data, []byte("\n")); n != o.Count {
				t.Errorf("%s: %d lines, the manifest says %d", o.URL, n, o.Count)
			}
			if o.Type == "Communication" && !bytes.Contains(data, []byte(msg.ID)) {
				t.Errorf("the new message is not in %s", o.URL)
			}
			counts[o.Type] = o.Count
		}
		// The demo provider keeps office hours: a message outside them
		// comes with its automatic reply, new too.
		comms := 1
		if msg.AutoReply != nil {
			comms = 2
		}
		if counts["Patient"] != 1 || counts["Communication"] != comms || counts["Observation"] != 0 || counts["Encounter"] != 0 {
			t.Errorf("export --since: %v, want the one client with a new message", counts)
		}
		if n := operatorExportRows(t, db) - rowsBefore; n != 1 {
			t.Errorf("export --since audited %d client records, want 1", n)
		}
	})
}

// operatorExportRows counts the audit rows of clients' records in an
// operator's export.
func operatorExportRows(t *testing.T, db *storetest.DB) int {
	t.Helper()
	var n int
	if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM audit_events WHERE action = 'bulk.export' AND actor_id = ''
		AND outcome = 'success' AND client_id <> ''`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
