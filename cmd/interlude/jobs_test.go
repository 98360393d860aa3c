package main

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/jobs"
	"interlude/internal/notify"
	"interlude/internal/store/storetest"
)

// recordingChannel stands in for email and web push (notify.Dispatcher):
// it records who was told what.
type recordingChannel struct {
	mu   sync.Mutex
	sent []string
}

func (c *recordingChannel) Deliver(ctx context.Context, userID string, k notify.Kind) (notify.Delivery, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, userID+" "+string(k))
	return notify.Delivery{Emails: 1}, nil
}

func (c *recordingChannel) has(s string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range c.sent {
		if v == s {
			return true
		}
	}
	return false
}

// TestServeJobsUseTheChannels: the jobs serve registers send the
// questionnaire reminder and the safety notification through the
// configured email and push channels, not only in the app (issue #7).
func TestServeJobsUseTheChannels(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Channel Clinic")
		m := &care.MeasureSchedule{Instrument: "phq9", EveryDays: 7}
		if err := db.Store.ScheduleMeasure(ctx, c.Actor(c.Provider), c.Client.ID, m); err != nil {
			t.Fatal(err)
		}
		ch := &recordingChannel{}
		runner := jobs.New(db.Store, jobs.Options{Poll: 20 * time.Millisecond, Name: "serve-test"})
		registerJobs(runner, jobDeps{store: db.Store, log: slog.New(slog.DiscardHandler), notify: ch})
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); runner.Run(runCtx) }()
		defer func() { stop(); <-done }()

		wait := func(want string) {
			t.Helper()
			for deadline := time.Now().Add(30 * time.Second); !ch.has(want); time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("after 30 s, sent %v; want %q", ch.sent, want)
				}
			}
		}
		wait(c.Client.ID + " " + string(notify.KindMeasure))
		if _, err := db.Store.AnswerMeasure(ctx, c.Actor(c.Client), c.Client.ID, m.ID, []int{0, 0, 0, 0, 0, 0, 0, 0, 1}, nil); err != nil {
			t.Fatal(err)
		}
		wait(c.Provider.ID + " " + string(notify.KindSafety))
	})
}
