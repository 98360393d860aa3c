package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"interlude/internal/audit"
	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// events returns the clinic's audit events, oldest first, unsealed too.
func events(t *testing.T, db *storetest.DB, clinicID string) []care.AuditEvent {
	t.Helper()
	rows, err := db.Engine.SQLDB().Query(`SELECT action, outcome, actor_id, entity_id, client_id, request_id, addr
		FROM audit_events WHERE clinic_id = $1 ORDER BY id`, clinicID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []care.AuditEvent
	for rows.Next() {
		var ev care.AuditEvent
		var outcome string
		if err := rows.Scan(&ev.Action, &outcome, &ev.ActorID, &ev.EntityID, &ev.ClientID, &ev.RequestID, &ev.Addr); err != nil {
			t.Fatal(err)
		}
		ev.Outcome = care.Outcome(outcome)
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAuditedAccess (AD-01, AC-03): a read of a client's record, allowed or
// not, writes exactly one row with the actor, the client, the outcome and
// the request's source.
func TestAuditedAccess(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		c := storetest.SeedClinic(t, db.Store, "Audited")
		ctx := store.WithSource(context.Background(), store.Source{Addr: "192.0.2.7", RequestID: "req-1"})
		before := len(events(t, db, c.Clinic.ID))

		if _, err := db.Store.Client(ctx, c.Actor(c.Provider), c.Client.ID); err != nil {
			t.Fatal(err)
		}
		_, err := db.Store.Client(ctx, c.Actor(c.OtherProvider), c.Client.ID)
		if !errors.Is(err, care.ErrNotFound) || !store.Audited(err) {
			t.Fatalf("another team's client: %v", err)
		}
		got := events(t, db, c.Clinic.ID)[before:]
		want := []care.AuditEvent{
			{Action: "client.read", Outcome: care.OutcomeSuccess, ActorID: c.Provider.ID, EntityID: c.Client.ID, ClientID: c.Client.ID, RequestID: "req-1", Addr: "192.0.2.7"},
			{Action: "client.read", Outcome: care.OutcomeDenied, ActorID: c.OtherProvider.ID, EntityID: c.Client.ID, ClientID: c.Client.ID, RequestID: "req-1", Addr: "192.0.2.7"},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("audit rows:\n got %v\nwant %v", got, want)
		}
	})
}

// TestAuditFailsClosed (AD-02): when the audit row cannot be written, a
// read returns no data and a change is not made.
func TestAuditFailsClosed(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		c := storetest.SeedClinic(t, db.Store, "Closed")
		ctx := context.Background()
		// Break the audit table as a full disk or a bad migration would.
		if _, err := db.Engine.SQLDB().Exec(`ALTER TABLE audit_events RENAME TO audit_events_gone`); err != nil {
			t.Fatal(err)
		}
		u, err := db.Store.Client(ctx, c.Actor(c.Provider), c.Client.ID)
		if err == nil || u != nil {
			t.Fatalf("a read without its audit row returned %v, %v", u, err)
		}
		err = db.Store.RemoveFromCareTeam(ctx, c.Actor(c.Admin), c.Client.ID, c.Provider.ID)
		if err == nil {
			t.Fatal("a change without its audit row succeeded")
		}
		if _, err := db.Engine.SQLDB().Exec(`ALTER TABLE audit_events_gone RENAME TO audit_events`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.Client(ctx, c.Actor(c.Provider), c.Client.ID); err != nil {
			t.Errorf("the care team changed although its audit row was not written: %v", err)
		}
	})
}

// TestAuditAppendOnly (AD-03): the database refuses to change or delete an
// audit row, and to change a sealed row's place in the chain.
func TestAuditAppendOnly(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		storetest.SeedClinic(t, db.Store, "Append Only")
		if _, _, _, err := db.Store.SealAudit(context.Background(), 1000); err != nil {
			t.Fatal(err)
		}
		stmts := []string{
			`UPDATE audit_events SET outcome = 'denied'`,
			`UPDATE audit_events SET seq = seq + 100`,
			`UPDATE audit_events SET hash = NULL`,
			`DELETE FROM audit_events`,
		}
		if db.Store.Engine() == "postgres" {
			stmts = append(stmts, `TRUNCATE audit_events`)
		}
		for _, q := range stmts {
			if _, err := db.Engine.SQLDB().Exec(q); err == nil {
				t.Errorf("%s: allowed", q)
			}
		}
	})
}

// TestAuditChainUnderConcurrency (AD-04): events written by many writers at
// once, sealed while they are written, form one chain that verifies, with
// each event exactly once.
func TestAuditChainUnderConcurrency(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		c := storetest.SeedClinic(t, db.Store, "Chained")
		ctx := context.Background()
		const writers, each = 16, 25
		var wg sync.WaitGroup
		done := make(chan struct{})
		sealErr := make(chan error, 1)
		go func() { // a sealer racing the writers
			defer close(sealErr)
			for {
				if _, _, _, err := db.Store.SealAudit(ctx, 7); err != nil {
					sealErr <- err
					return
				}
				select {
				case <-done:
					return
				default:
				}
			}
		}()
		for range writers {
			wg.Go(func() {
				for range each {
					ev := store.Event(c.Actor(c.Provider), "test.write", "test", care.NewID()) // ids only (#17)
					if err := db.Store.Audit(ctx, ev); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		close(done)
		if err := <-sealErr; err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := db.Store.SealAudit(ctx, 100000); err != nil {
			t.Fatal(err)
		}
		v := audit.NewVerifier()
		seen := map[string]int{}
		unsealed, err := db.Store.WalkAudit(ctx, func(ev *care.AuditEvent) bool {
			if ev.Action == "test.write" {
				seen[ev.EntityID]++
			}
			return v.Add(ev)
		})
		if err != nil || unsealed != 0 {
			t.Fatalf("walk: %v, %d unsealed", err, unsealed)
		}
		if err := v.Done(); err != nil {
			t.Fatal(err)
		}
		if len(seen) != writers*each {
			t.Errorf("%d distinct events chained, want %d", len(seen), writers*each)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("event %s chained %d times", id, n)
			}
		}
	})
}

// TestAuditLog (AD-05): the viewer filters and pages the admin's clinic
// only, records its own reading, and is refused to everyone else.
func TestAuditLog(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		c := storetest.SeedClinic(t, db.Store, "Viewer")
		other := storetest.SeedClinic(t, db.Store, "Elsewhere")
		ctx := context.Background()
		for range 5 {
			if _, err := db.Store.Client(ctx, c.Actor(c.Provider), c.Client.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Store.Client(ctx, other.Actor(other.Provider), other.Client.ID); err != nil {
			t.Fatal(err)
		}
		admin := c.Actor(c.Admin)
		page, err := db.Store.AuditLog(ctx, admin, store.AuditFilter{ClientID: c.Client.ID, Action: "client.", Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		var all []store.AuditRow
		for {
			all = append(all, page.Events...)
			if page.Next == 0 {
				break
			}
			if page, err = db.Store.AuditLog(ctx, admin, store.AuditFilter{ClientID: c.Client.ID, Action: "client.", Limit: 2, Before: page.Next}); err != nil {
				t.Fatal(err)
			}
		}
		if len(all) != 5 {
			t.Fatalf("%d client reads over the pages, want 5", len(all))
		}
		for _, r := range all {
			if r.ClinicID != c.Clinic.ID || r.ActorName != "provider" || r.Action != "client.read" {
				t.Errorf("row %+v", r)
			}
		}
		reads, err := db.Store.AuditLog(ctx, admin, store.AuditFilter{Action: "audit.read"})
		if err != nil || len(reads.Events) < 3 {
			t.Errorf("the viewer's own reads: %d, %v", len(reads.Events), err)
		}
		if _, err := db.Store.AuditLog(ctx, c.Actor(c.Provider), store.AuditFilter{}); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("a provider reads the audit log: %v", err)
		}
		if _, err := db.Store.AuditLog(ctx, admin, store.AuditFilter{Action: "x%"}); care.ErrorCode(err) != care.Invalid {
			t.Errorf("a pattern as action: %v", err)
		}
	})
}
