package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"interlude/internal/jobs"
	"interlude/internal/store"
	"interlude/internal/store/postgres"
	"interlude/internal/store/sqlite"
	"interlude/internal/store/storetest"
)

// secondStore opens another Store on db's database, as a second instance
// of Interlude would.
func secondStore(t *testing.T, db *storetest.DB) *store.Store {
	t.Helper()
	ctx := context.Background()
	var eng store.Engine
	switch db.Name {
	case "sqlite":
		e, err := sqlite.Open(ctx, filepath.Join(db.DataDir, "interlude.db"))
		if err != nil {
			t.Fatal(err)
		}
		eng = e
	case "postgres":
		e, err := postgres.Open(ctx, db.DatabaseURL)
		if err != nil {
			t.Fatal(err)
		}
		eng = e
	}
	t.Cleanup(func() {
		if err := eng.Close(); err != nil {
			t.Error(err)
		}
	})
	return store.New(eng, db.Keyring, db.Clock.Now)
}

// waitDone waits until n jobs are done.
func waitDone(t *testing.T, st *store.Store, n int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := st.CountJobs(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c.Done >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s: %+v, want %d done", c, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTwoRunnersRunEachJobOnce: two instances (two Stores on one database,
// each with a Runner of several workers) share a queue; every job runs
// exactly once.
func TestTwoRunnersRunEachJobOnce(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		const n = 150
		var mu sync.Mutex
		ran := map[string][]string{} // job id → the workers that ran it
		// The jobs are due before the runners start, so that both compete
		// for them from their first claim.
		for i := range n {
			if _, err := db.Store.EnqueueJob(ctx, store.Job{Kind: "count", DedupeKey: fmt.Sprint("count-", i)}); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		for i, st := range []*store.Store{db.Store, secondStore(t, db)} {
			r := jobs.New(st, jobs.Options{Workers: 4, Poll: 10 * time.Millisecond, Name: fmt.Sprint("instance", i)})
			r.Register("count", func(ctx context.Context, j store.Job) error {
				mu.Lock()
				ran[j.ID] = append(ran[j.ID], r.Worker())
				mu.Unlock()
				time.Sleep(time.Millisecond) // some work, so that both instances get some
				return nil
			})
			wg.Add(1)
			go func() { defer wg.Done(); r.Run(ctx) }()
		}
		waitDone(t, db.Store, n)
		stop()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(ran) != n {
			t.Errorf("%d jobs ran, want %d", len(ran), n)
		}
		workers := map[string]int{}
		for id, ws := range ran {
			if len(ws) != 1 {
				t.Errorf("job %s ran %d times, by %v", id, len(ws), ws)
			}
			workers[ws[0]]++
		}
		t.Logf("jobs per instance: %v", workers)
	})
}

// TestRunnerRetriesAndStops: a failing attempt is retried after its
// backoff; a panicking handler does not take the runner down; Run returns
// once ctx ends and its running jobs are done.
func TestRunnerRetriesAndStops(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		r := jobs.New(db.Store, jobs.Options{Workers: 2, Poll: 10 * time.Millisecond})
		var mu sync.Mutex
		attempts := map[string]int{}
		r.Register("flaky", func(ctx context.Context, j store.Job) error {
			mu.Lock()
			defer mu.Unlock()
			attempts[j.DedupeKey]++
			switch {
			case j.DedupeKey == "panics" && j.Attempts == 1:
				panic("canary-panic-text")
			case j.Attempts == 1:
				return errors.New("canary-error-text")
			}
			return nil
		})
		done := make(chan struct{})
		go func() { defer close(done); r.Run(ctx) }()
		for _, k := range []string{"fails", "panics"} {
			if _, err := db.Store.EnqueueJob(ctx, store.Job{Kind: "flaky", DedupeKey: k}); err != nil {
				t.Fatal(err)
			}
		}
		// Both first attempts fail and wait for their backoff.
		deadline := time.Now().Add(20 * time.Second)
		for {
			j1, _ := db.Store.JobByKey(ctx, "fails")
			j2, _ := db.Store.JobByKey(ctx, "panics")
			if j1.LastError != "" && j2.LastError != "" && j1.LockedBy == "" && j2.LockedBy == "" {
				if j1.LastError != "*errors.errorString" || j2.LastError != "panic" {
					t.Errorf("error classes %q, %q", j1.LastError, j2.LastError)
				}
				if want := db.Clock.Now().Add(store.Backoff(1)); !j1.RunAt.Equal(want) {
					t.Errorf("retry at %v, want %v", j1.RunAt, want)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("first attempts: %+v %+v", j1, j2)
			}
			time.Sleep(10 * time.Millisecond)
		}
		db.Clock.Advance(store.Backoff(1))
		waitDone(t, db.Store, 2)
		stop()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
		mu.Lock()
		defer mu.Unlock()
		if attempts["fails"] != 2 || attempts["panics"] != 2 {
			t.Errorf("attempts %v, want 2 each", attempts)
		}
	})
}

// TestRunnerGracefulStop: stopping waits for a running handler, which
// then finishes its job.
func TestRunnerGracefulStop(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	ctx, stop := context.WithCancel(context.Background())
	r := jobs.New(db.Store, jobs.Options{Poll: 10 * time.Millisecond})
	started, release := make(chan struct{}), make(chan struct{})
	r.Register("slow", func(ctx context.Context, j store.Job) error {
		close(started)
		<-release
		return nil
	})
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	if _, err := db.Store.EnqueueJob(ctx, store.Job{Kind: "slow", DedupeKey: "slow"}); err != nil {
		t.Fatal(err)
	}
	<-started
	stop()
	select {
	case <-done:
		t.Fatal("Run returned while a handler was running")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-done
	if j, _ := db.Store.JobByKey(context.Background(), "slow"); j.DoneAt.IsZero() {
		t.Errorf("the job a stopping runner ran is not done: %+v", j)
	}
}
