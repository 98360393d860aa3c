package jobs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/jobs"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestBulkExportSurvivesRestart (issue #8: the export is a durable job): a
// worker claims an export, saves the first client and dies. Once its
// lease has expired another instance (a second Store on the database, as
// after a restart) claims the job again and resumes after the cursor: in
// the end each client is exported, and audited, once; the dead worker can
// no longer finish the job.
func TestBulkExportSurvivesRestart(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		st := db.Store
		c := storetest.SeedClinic(t, st, "Bulk Restart")
		e, err := st.StartBulkExport(ctx, c.Actor(c.Admin), nil, time.Time{}, "x")
		if err != nil {
			t.Fatal(err)
		}
		js, err := st.ClaimJobs(ctx, "doomed", []string{store.JobBulkExport}, 10, time.Minute)
		if err != nil || len(js) != 1 || js[0].RefID != e.ID {
			t.Fatalf("claiming the export: %+v, %v", js, err)
		}
		// The doomed worker exports the first client, then dies.
		e, clients, err := st.NextBulkClients(ctx, e.ID, 10)
		if err != nil || len(clients) != 2 {
			t.Fatalf("clients: %v, %v", clients, err)
		}
		rec, err := st.BulkClientRecord(ctx, e, clients[0])
		if err != nil {
			t.Fatal(err)
		}
		parts, err := jobs.BulkParts(rec, e.Wants, e.Since)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SaveBulkParts(ctx, e, clients[0], parts); err != nil {
			t.Fatal(err)
		}

		db.Clock.Advance(2 * time.Minute) // the lease expires
		restarted := secondStore(t, db)
		r := jobs.New(restarted, jobs.Options{Poll: 20 * time.Millisecond, Lease: time.Minute})
		jobs.RegisterBulkExport(r, restarted)
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); r.Run(runCtx) }()
		waitDone(t, st, 1)
		stop()
		<-done

		got, files, err := st.BulkExportStatus(ctx, c.Actor(c.Admin), e.ID)
		if err != nil || !got.Done() || got.ClientsDone != 2 {
			t.Fatalf("after the restart: %+v, %v", got, err)
		}
		counts := map[string]int{}
		for _, f := range files {
			counts[f.Type] = f.Count
		}
		if counts["Patient"] != 2 || counts["CareTeam"] != 2 || counts["Organization"] != 1 {
			t.Errorf("files %+v: want 2 patients and care teams, 1 organization", files)
		}
		var audited int
		if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM audit_events WHERE action = 'bulk.export' AND entity_id = $1`,
			e.ID).Scan(&audited); err != nil {
			t.Fatal(err)
		}
		if audited != 2 {
			t.Errorf("bulk.export audit rows: %d, want 2 (each client once)", audited)
		}
		if j, _ := st.JobByKey(ctx, "bulk.export:"+e.ID+":0"); j.Attempts != 2 || j.DoneAt.IsZero() {
			t.Errorf("the job: %+v, want done on its second attempt", j)
		}
		if err := st.FinishJob(ctx, js[0]); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("the dead worker finishing: %v, want ErrLeaseLost", err)
		}
	})
}

// TestBulkExportHandsOver: a job out of time hands the export over to a
// new job, with its own end, and the new one carries on after the
// cursor; a disabled admin's export stops (AC-09).
func TestBulkExportHandsOver(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		st := db.Store
		c := storetest.SeedClinic(t, st, "Bulk Handover")
		admin := c.Actor(c.Admin)
		e, err := st.StartBulkExport(ctx, admin, nil, time.Time{}, "x")
		if err != nil {
			t.Fatal(err)
		}
		js, err := st.ClaimJobs(ctx, "w", []string{store.JobBulkExport}, 10, time.Minute)
		if err != nil || len(js) != 1 {
			t.Fatalf("claim: %+v, %v", js, err)
		}
		e, clients, err := st.NextBulkClients(ctx, e.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SaveBulkParts(ctx, e, clients[0], nil); err != nil {
			t.Fatal(err)
		}
		if err := st.ContinueBulkExport(ctx, e, js[0]); err != nil {
			t.Fatal(err)
		}
		if j, _ := st.JobByKey(ctx, "bulk.export:"+e.ID+":0"); j.DoneAt.IsZero() {
			t.Errorf("the first job is not done: %+v", j)
		}
		next, err := st.ClaimJobs(ctx, "w", []string{store.JobBulkExport}, 10, time.Minute)
		if err != nil || len(next) != 1 || next[0].DedupeKey != "bulk.export:"+e.ID+":1" {
			t.Fatalf("the next job: %+v, %v", next, err)
		}
		e, rest, err := st.NextBulkClients(ctx, e.ID, 10)
		if err != nil || len(rest) != 1 || rest[0] != clients[1] {
			t.Fatalf("clients left: %v, %v", rest, err)
		}

		// The admin is disabled: the export reads no more records.
		if err := st.DisableUser(ctx, c.Actor(adminOther(t, st, c)), c.Admin.ID, "left-clinic"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.BulkClientRecord(ctx, e, rest[0]); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("reading for a disabled admin's export: %v, want not found", err)
		}
	})
}

// adminOther adds a second admin to the clinic.
func adminOther(t *testing.T, st *store.Store, c *storetest.Clinic) care.User {
	t.Helper()
	u := care.User{ClinicID: c.Clinic.ID, Role: care.RoleAdmin, Email: "second-admin@bulk-handover.test", DisplayName: "second"}
	if err := st.CreateUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	return u
}
