package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// Issue #7, must show: "The server killed between the commit of an item-9
// answer and its notification: after restart the notification is
// delivered exactly once." Clients answer a PHQ-9 with item 9 above 0
// through the real server's API, all at once; the server is killed
// (SIGKILL) as soon as the first answer is acknowledged, while the others
// are committed or in flight and their notifications not yet delivered.
// On PostgreSQL a second instance runs throughout. After a restart, each
// committed answer has one flag, and its provider exactly one in-app
// notice of it.
func TestSafetyNoticeExactlyOnceAcrossRestarts(t *testing.T) {
	t.Parallel()
	for _, name := range storetest.Engines() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			safetyNoticeAcrossRestarts(t, newRestartEngine(t, name))
		})
	}
}

// answerer is a client with a bearer token and a PHQ-9 due.
type answerer struct {
	client, provider string
	token, schedule  string
}

func safetyNoticeAcrossRestarts(t *testing.T, e restartEngine) {
	ctx := context.Background()
	const clinics = 12 // two clients each
	eng, st, _ := e.open(t)
	var all []answerer
	for i := range clinics {
		c := storetest.SeedClinic(t, st, fmt.Sprintf("Safety restart %d", i))
		for _, pair := range [][2]care.User{{c.Client, c.Provider}, {c.OtherClient, c.OtherProvider}} {
			m := &care.MeasureSchedule{Instrument: "phq9", EveryDays: 7}
			if err := st.ScheduleMeasure(ctx, c.Actor(pair[1]), pair[0].ID, m); err != nil {
				t.Fatal(err)
			}
			token, hash := auth.NewToken()
			if err := st.CreateSession(ctx, &care.Session{UserID: pair[0].ID, Kind: "api", Stage: care.StageFull}, hash); err != nil {
				t.Fatal(err)
			}
			all = append(all, answerer{client: pair[0].ID, provider: pair[1].ID, token: token, schedule: m.ID})
		}
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}

	peek, _, _ := e.open(t)
	defer peek.Close() //nolint:errcheck // a connection the test only reads through
	query := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := peek.Read(ctx, func(tx *sql.Tx) error { return tx.QueryRowContext(ctx, q, args...).Scan(&n) }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	flags := func() int { return query(`SELECT count(*) FROM safety_flags WHERE kind = 'phq9_item9'`) }
	notices := func() int { return query(`SELECT count(*) FROM notices WHERE kind = $1`, store.NoticeSafetyFlag) }

	first := launchProc(t, e.args...)
	var other *proc
	if e.name == "postgres" {
		other = launchProc(t, "--data", t.TempDir(), "--database-url", e.url, "--master-key-file", e.dataDir+"/master.key")
	}
	m, err := first.stdout.waitFor(runningAt, first.exited, 60*time.Second)
	if err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, first.stderr)
	}
	base := "http://" + m[1]

	// Every client answers at once; the first answer acknowledged kills
	// the server.
	body := []byte(`{"answers": [1, 1, 0, 0, 0, 0, 0, 0, 1]}`)
	answered := make(chan struct{}, len(all))
	var wg sync.WaitGroup
	hc := &http.Client{Timeout: 30 * time.Second}
	for _, a := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", base+"/api/v1/clients/"+a.client+"/measures/"+a.schedule+"/responses", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+a.token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				return // killed meanwhile: committed or not, the database says
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusCreated {
				answered <- struct{}{}
			} else {
				t.Errorf("answer: %d", resp.StatusCode)
			}
		}()
	}
	select {
	case <-answered:
	case <-time.After(60 * time.Second):
		t.Fatalf("no answer acknowledged\nstderr:\n%s", first.stderr)
	}
	first.kill()
	wg.Wait()
	atKill, delivered := flags(), notices()
	t.Logf("%s: killed with %d of %d answers committed and %d notices delivered", e.name, atKill, len(all), delivered)
	if atKill == 0 {
		t.Fatal("no answer was committed")
	}
	if e.name == "sqlite" && delivered >= atKill {
		// With no other instance, the kill must have come between the
		// commit of some answer and its notification, or this test
		// proved nothing.
		t.Fatalf("every notification was delivered before the kill (%d of %d)", delivered, atKill)
	}

	if other != nil {
		other.ready(t)
	}
	second := startProc(t, e.args...)
	deadline := time.Now().Add(60 * time.Second)
	for query(`SELECT count(*) FROM jobs WHERE kind = $1 AND done_at IS NULL`, store.JobSafetyNotify) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("notifications still pending after 60 s (%d notices)\nstderr:\n%s", notices(), second.stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
	second.stop(t)
	if other != nil {
		other.stop(t)
	}

	// Each committed answer: one flag, and its provider one notice of it.
	committed := query(`SELECT count(*) FROM measure_responses`)
	if got := flags(); got != committed || got < atKill {
		t.Errorf("%d flags for %d committed answers (%d at the kill)", got, committed, atKill)
	}
	for _, a := range all {
		var flagID string
		err := peek.Read(ctx, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT id FROM safety_flags WHERE client_id = $1`, a.client).Scan(&flagID)
		})
		if err == sql.ErrNoRows {
			continue // its request died with the server before it committed
		} else if err != nil {
			t.Fatal(err)
		}
		if n := query(`SELECT count(*) FROM notices WHERE user_id = $1 AND subject_id = $2 AND kind = $3`, a.provider, flagID, store.NoticeSafetyFlag); n != 1 {
			t.Errorf("client %s: their provider has %d notices of the flag, want exactly 1", a.client, n)
		}
	}
	if n, c := notices(), flags(); n != c {
		t.Errorf("%d safety notices in all for %d flags", n, c)
	}
	if dead := query(`SELECT count(*) FROM jobs WHERE dead_at IS NOT NULL`); dead != 0 {
		t.Errorf("%d jobs gave up", dead)
	}
}
