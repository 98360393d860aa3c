package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestJobsEnqueueInWrite: a job enqueued in a write exists exactly when the
// write commits (the transactional outbox of MS-02), and a dedupe key
// enqueues once.
func TestJobsEnqueueInWrite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Jobs Enqueue")
		actor := c.Actor(c.Provider)
		boom := care.Errorf(care.Invalid, "the cause failed")
		j := store.Job{ClinicID: c.Clinic.ID, Kind: "test", DedupeKey: "rolled-back", ClientID: c.Client.ID}
		if err := db.Store.EnqueueInWrite(ctx, actor, j, boom); !errors.Is(err, boom) {
			t.Fatalf("the failing write: %v, want its error", err)
		}
		if _, err := db.Store.JobByKey(ctx, "rolled-back"); !errors.Is(err, care.ErrNotFound) {
			t.Fatalf("a job enqueued in a rolled-back write: %v, want none", err)
		}
		if n, _ := db.Store.CountJobs(ctx); n.Pending != 0 {
			t.Fatalf("jobs after a rolled-back write: %+v", n)
		}

		j.DedupeKey = "committed"
		if err := db.Store.EnqueueInWrite(ctx, actor, j, nil); err != nil {
			t.Fatal(err)
		}
		got, err := db.Store.JobByKey(ctx, "committed")
		if err != nil {
			t.Fatalf("a job enqueued in a committed write: %v", err)
		}
		if got.Kind != "test" || got.ClientID != c.Client.ID || !got.RunAt.Equal(db.Clock.Now()) || got.MaxAttempts != store.DefaultMaxAttempts {
			t.Errorf("stored job %+v", got)
		}
		select {
		case <-db.Store.JobsWake():
		default:
			t.Error("a committed enqueue did not wake the runner")
		}
		added, err := db.Store.EnqueueJob(ctx, store.Job{Kind: "test", DedupeKey: "committed"})
		if err != nil || added {
			t.Errorf("enqueueing a known dedupe key: added %v, %v; want a no-op", added, err)
		}
		if n, _ := db.Store.CountJobs(ctx); n.Pending != 1 {
			t.Errorf("jobs: %+v, want 1 pending", n)
		}
	})
}

// TestJobsClaimLeaseAndBackoff: a claimed job is not claimed again while
// leased; an expired lease is (a crashed worker's job runs again) and the
// old claim can then neither finish nor retry; a failing job waits longer
// after each attempt and is dead after its last.
func TestJobsClaimLeaseAndBackoff(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		st := db.Store
		kinds := []string{"test"}
		if _, err := st.EnqueueJob(ctx, store.Job{Kind: "test", DedupeKey: "a", MaxAttempts: 4}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.EnqueueJob(ctx, store.Job{Kind: "later", DedupeKey: "other kind"}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.EnqueueJob(ctx, store.Job{Kind: "test", DedupeKey: "future", RunAt: db.Clock.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		claim := func(worker string, want int) []store.Job {
			t.Helper()
			js, err := st.ClaimJobs(ctx, worker, kinds, 10, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if len(js) != want {
				t.Fatalf("%s claimed %d jobs, want %d: %+v", worker, len(js), want, js)
			}
			return js
		}
		first := claim("w1", 1)[0]
		if first.DedupeKey != "a" || first.Attempts != 1 || first.LockedBy != "w1" || !first.LockedUntil.Equal(db.Clock.Now().Add(time.Minute)) {
			t.Fatalf("claimed %+v", first)
		}
		claim("w2", 0) // leased

		// w1 dies; its lease expires; w2 takes the job over.
		db.Clock.Advance(time.Minute)
		second := claim("w2", 1)[0]
		if second.ID != first.ID || second.Attempts != 2 {
			t.Fatalf("after the lease expired: %+v", second)
		}
		if err := st.FinishJob(ctx, first); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("finishing with the expired claim: %v, want ErrLeaseLost", err)
		}
		if _, err := st.RetryJob(ctx, first, "x"); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("retrying with the expired claim: %v, want ErrLeaseLost", err)
		}

		// w2 fails; each retry waits longer than the one before.
		prev := time.Duration(0)
		job := second
		for attempt := 2; attempt <= 4; attempt++ {
			dead, err := st.RetryJob(ctx, job, "*net.OpError")
			if err != nil {
				t.Fatal(err)
			}
			got, _ := st.JobByKey(ctx, "a")
			if attempt == 4 {
				if !dead || got.DeadAt.IsZero() || got.LastError != "*net.OpError" {
					t.Fatalf("after the last attempt: dead %v, %+v", dead, got)
				}
				break
			}
			wait := got.RunAt.Sub(db.Clock.Now())
			if dead || wait != store.Backoff(attempt) || wait <= prev || got.LockedBy != "" {
				t.Fatalf("attempt %d: dead %v, waits %v (previous %v), %+v", attempt, dead, wait, prev, got)
			}
			prev = wait
			db.Clock.Advance(wait - time.Second)
			claim("w3", 0) // not yet
			db.Clock.Advance(time.Second)
			job = claim("w3", 1)[0]
			if job.Attempts != attempt+1 {
				t.Fatalf("attempt %d claimed as %d", attempt+1, job.Attempts)
			}
		}
		db.Clock.Advance(24 * time.Hour)
		claim("w4", 1) // only "future": "a" is dead, "other kind" not asked for
		if n, _ := st.CountJobs(ctx); n.Dead != 1 || n.Pending != 2 {
			t.Errorf("counts %+v, want 1 dead, 2 pending", n)
		}
	})
}

// TestJobsLeaseExpiresOnLastAttempt: a job whose worker died on its last
// allowed attempt is given up, not left pending for ever.
func TestJobsLeaseExpiresOnLastAttempt(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		if _, err := db.Store.EnqueueJob(ctx, store.Job{Kind: "test", DedupeKey: "once", MaxAttempts: 1}); err != nil {
			t.Fatal(err)
		}
		if js, err := db.Store.ClaimJobs(ctx, "w1", []string{"test"}, 1, time.Minute); err != nil || len(js) != 1 {
			t.Fatalf("claim: %v %v", js, err)
		}
		db.Clock.Advance(2 * time.Minute)
		if js, err := db.Store.ClaimJobs(ctx, "w2", []string{"test"}, 1, time.Minute); err != nil || len(js) != 0 {
			t.Fatalf("claim after the last lease expired: %v %v", js, err)
		}
		got, _ := db.Store.JobByKey(ctx, "once")
		if got.DeadAt.IsZero() || got.LastError != "lease expired" {
			t.Errorf("job %+v, want dead with lease expired", got)
		}
	})
}

func TestBackoffGrows(t *testing.T) {
	t.Parallel()
	prev := time.Duration(0)
	for n := 1; n <= 30; n++ {
		b := store.Backoff(n)
		if b < prev || b > time.Hour || (b == prev && b != time.Hour) {
			t.Fatalf("Backoff(%d) = %v after %v", n, b, prev)
		}
		prev = b
	}
	if store.Backoff(1) != 5*time.Second || store.Backoff(2) != 10*time.Second {
		t.Errorf("Backoff(1), (2) = %v, %v", store.Backoff(1), store.Backoff(2))
	}
}
