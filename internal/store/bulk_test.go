package store_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestBulkExportLifecycle: only an admin of the clinic starts an export
// (AC-02's documented exception) and only they see it; the cursor fences
// saves (a stale save is ErrLeaseLost and changes nothing); a shared
// resource is kept once; the parts are sealed at rest (EN-01); the files
// count what was saved; cancelling deletes everything (issue #8).
func TestBulkExportLifecycle(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		st := db.Store
		c := storetest.SeedClinic(t, st, "Bulk Life")
		other := storetest.SeedClinic(t, st, "Bulk Other")
		admin := c.Actor(c.Admin)

		for _, a := range []care.Actor{c.Actor(c.Provider), c.Actor(c.Client)} {
			if _, err := st.StartBulkExport(ctx, a, nil, time.Time{}, "x"); !errors.Is(err, care.ErrNotFound) {
				t.Fatalf("%s starts an export: %v, want not found", a.Role, err)
			}
		}
		if n := bulkCount(t, db, `SELECT count(*) FROM audit_events WHERE action = 'bulk.start' AND outcome = 'denied'`); n != 2 {
			t.Errorf("denied kick-offs audited: %d, want 2", n)
		}

		e, err := st.StartBulkExport(ctx, admin, []string{"Organization", "Patient"}, time.Time{}, "https://x/fhir/R4/$export?_type=Patient,Organization")
		if err != nil {
			t.Fatal(err)
		}
		if e.ClientsTotal != 2 || !e.ExpiresAt.Equal(e.CreatedAt.Add(care.BulkExportLifetime)) {
			t.Errorf("export %+v", e)
		}
		if _, err := st.JobByKey(ctx, "bulk.export:"+e.ID+":0"); err != nil {
			t.Errorf("the export's job: %v", err)
		}
		if j, err := st.JobByKey(ctx, "bulk.expire:"+e.ID); err != nil || !j.RunAt.Equal(e.ExpiresAt) {
			t.Errorf("the expiry job: %+v, %v", j, err)
		}

		// Only the admin who started it sees it.
		admin2 := care.User{ClinicID: c.Clinic.ID, Role: care.RoleAdmin, Email: "admin2@bulk-life.test", DisplayName: "admin2"}
		if err := st.CreateUser(ctx, &admin2); err != nil {
			t.Fatal(err)
		}
		for _, a := range []care.Actor{c.Actor(admin2), other.Actor(other.Admin), c.Actor(c.Provider)} {
			if _, _, err := st.BulkExportStatus(ctx, a, e.ID); !errors.Is(err, care.ErrNotFound) || !store.Audited(err) {
				t.Errorf("%s %s polls another's export: %v, want an audited not found", a.Role, a.UserID, err)
			}
			if err := st.CancelBulkExport(ctx, a, e.ID); !errors.Is(err, care.ErrNotFound) {
				t.Errorf("%s %s cancels another's export: %v, want not found", a.Role, a.UserID, err)
			}
		}
		got, files, err := st.BulkExportStatus(ctx, admin, e.ID)
		if err != nil || got.Done() || got.ClientsDone != 0 || len(files) != 0 {
			t.Fatalf("status of a new export: %+v %v %v", got, files, err)
		}

		e, clients, err := st.NextBulkClients(ctx, e.ID, 10)
		if err != nil || len(clients) != 2 || clients[0] > clients[1] {
			t.Fatalf("clients to export: %v, %v", clients, err)
		}
		const canary = "BULK-CANARY-7d1e"
		patient := func(id string) []byte {
			return []byte(`{"resourceType":"Patient","id":"` + id + `","note":"` + canary + `"}` + "\n")
		}
		org := []byte(`{"resourceType":"Organization","id":"org"}` + "\n")
		stale := *e
		if err := st.SaveBulkParts(ctx, e, clients[0], []store.BulkPart{
			{Type: "Patient", Count: 1, Data: patient(clients[0])}, {Type: "Organization", Key: "org", Count: 1, Data: org},
		}); err != nil {
			t.Fatal(err)
		}
		if err := st.SaveBulkParts(ctx, &stale, clients[0], []store.BulkPart{{Type: "Patient", Count: 1, Data: patient("dup")}}); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("a save with a stale cursor: %v, want ErrLeaseLost", err)
		}
		if _, err := st.BulkExportFile(ctx, admin, e.ID, "Patient", func([]byte) error { return nil }); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("a file of an unfinished export: %v, want not found", err)
		}
		if err := st.SaveBulkParts(ctx, e, clients[1], []store.BulkPart{
			{Type: "Patient", Count: 1, Data: patient(clients[1])}, {Type: "Organization", Key: "org", Count: 1, Data: org},
		}); err != nil {
			t.Fatal(err)
		}
		if _, rest, err := st.NextBulkClients(ctx, e.ID, 10); err != nil || len(rest) != 0 {
			t.Fatalf("clients left: %v, %v", rest, err)
		}
		if err := st.FinishBulkExport(ctx, e, nil); err != nil {
			t.Fatal(err)
		}
		if n := bulkCount(t, db, `SELECT count(*) FROM bulk_export_parts WHERE export_id = '`+e.ID+`'`); n != 3 {
			t.Errorf("parts: %d, want 3 (a patient each, the organization once)", n)
		}
		assertBulkSealed(t, db, e.ID, canary)

		got, files, err = st.BulkExportStatus(ctx, admin, e.ID)
		if err != nil || !got.Done() || got.ClientsDone != 2 {
			t.Fatalf("status when done: %+v, %v", got, err)
		}
		want := []store.BulkFile{{Type: "Organization", Count: 1}, {Type: "Patient", Count: 2}}
		if len(files) != len(want) || files[0] != want[0] || files[1] != want[1] {
			t.Errorf("files %+v, want %+v", files, want)
		}
		var buf bytes.Buffer
		n, err := st.BulkExportFile(ctx, admin, e.ID, "Patient", func(b []byte) error { buf.Write(b); return nil })
		if err != nil || n != 2 || strings.Count(buf.String(), "\n") != 2 || strings.Count(buf.String(), canary) != 2 {
			t.Errorf("Patient file: %d lines, %v:\n%s", n, err, buf.String())
		}
		if _, err := st.BulkExportFile(ctx, c.Actor(admin2), e.ID, "Patient", func([]byte) error { return nil }); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("another admin downloads: %v, want not found", err)
		}
		if n := bulkCount(t, db, `SELECT count(*) FROM audit_events WHERE action = 'bulk.download' AND entity_id = '`+e.ID+`' AND outcome = 'success'`); n != 1 {
			t.Errorf("downloads audited: %d, want 1", n)
		}

		if err := st.CancelBulkExport(ctx, admin, e.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.BulkExportStatus(ctx, admin, e.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("status after cancel: %v", err)
		}
		if n := bulkCount(t, db, `SELECT count(*) FROM bulk_export_parts`) + bulkCount(t, db, `SELECT count(*) FROM bulk_exports`); n != 0 {
			t.Errorf("rows left after cancel: %d", n)
		}
	})
}

// TestBulkExportExpires: the expiry job deletes an export and its files
// (issue #8: PHI is not kept longer than the download needs); an expired
// export is gone for its admin even before the job runs.
func TestBulkExportExpires(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		st := db.Store
		c := storetest.SeedClinic(t, st, "Bulk Expiry")
		admin := c.Actor(c.Admin)
		e, err := st.StartBulkExport(ctx, admin, nil, time.Time{}, "x")
		if err != nil {
			t.Fatal(err)
		}
		e, clients, err := st.NextBulkClients(ctx, e.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range clients {
			if err := st.SaveBulkParts(ctx, e, id, []store.BulkPart{{Type: "Patient", Count: 1, Data: []byte("{}\n")}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.FinishBulkExport(ctx, e, nil); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(care.BulkExportLifetime + time.Second)
		if _, _, err := st.BulkExportStatus(ctx, admin, e.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("status of an expired export: %v, want not found", err)
		}
		js, err := st.ClaimJobs(ctx, "w", []string{store.JobBulkExpire}, 10, time.Minute)
		if err != nil || len(js) != 1 || js[0].RefID != e.ID {
			t.Fatalf("expiry jobs due: %+v, %v", js, err)
		}
		if err := st.ExpireBulkExport(ctx, js[0]); err != nil {
			t.Fatal(err)
		}
		if n := bulkCount(t, db, `SELECT count(*) FROM bulk_export_parts`) + bulkCount(t, db, `SELECT count(*) FROM bulk_exports`); n != 0 {
			t.Errorf("rows left after expiry: %d", n)
		}
		if j, _ := st.JobByKey(ctx, "bulk.expire:"+e.ID); j.DoneAt.IsZero() {
			t.Errorf("the expiry job is not done: %+v", j)
		}
	})
}

func bulkCount(t *testing.T, db *storetest.DB, q string) int {
	t.Helper()
	var n int
	if err := db.Engine.SQLDB().QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// assertBulkSealed: no part of export id holds canary in the clear.
func assertBulkSealed(t *testing.T, db *storetest.DB, id, canary string) {
	t.Helper()
	rows, err := db.Engine.SQLDB().Query(`SELECT body_sealed FROM bulk_export_parts WHERE export_id = $1`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(canary)) || bytes.Contains(b, []byte("resourceType")) {
			t.Errorf("a part is stored in the clear")
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
