package store_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/postgres"
	"interlude/internal/store/storetest"
)

// liveLog collects what a store's live handler receives.
type liveLog struct {
	messages chan care.MessageEvent
	revokes  chan care.Revocation
	mu       sync.Mutex
	lost     int
}

func listen(t *testing.T, s *store.Store) *liveLog {
	t.Helper()
	l := &liveLog{messages: make(chan care.MessageEvent, 1000), revokes: make(chan care.Revocation, 100)}
	cancel, err := s.Live(context.Background(), store.LiveHandler{
		Message: func(ev care.MessageEvent) { l.messages <- ev },
		Revoke:  func(r care.Revocation) { l.revokes <- r },
		Lost: func(error) {
			l.mu.Lock()
			l.lost++
			l.mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return l
}

func (l *liveLog) message(t *testing.T, what string) care.MessageEvent {
	t.Helper()
	select {
	case ev := <-l.messages:
		return ev
	case <-time.After(eventPatience):
		t.Fatalf("%s: no message event within %v", what, eventPatience)
	}
	return care.MessageEvent{}
}

func (l *liveLog) revoke(t *testing.T, what string) care.Revocation {
	t.Helper()
	select {
	case r := <-l.revokes:
		return r
	case <-time.After(eventPatience):
		t.Fatalf("%s: no revocation within %v", what, eventPatience)
	}
	return care.Revocation{}
}

func (l *liveLog) quiet(t *testing.T, what string) {
	t.Helper()
	select {
	case ev := <-l.messages:
		t.Errorf("%s: an extra message event %+v", what, ev)
	case r := <-l.revokes:
		t.Errorf("%s: an extra revocation %+v", what, r)
	case <-time.After(200 * time.Millisecond):
	}
}

// secondInstance opens the test's PostgreSQL schema a second time, as
// another server instance would: its own pool and its own listener.
func secondInstance(t *testing.T, db *storetest.DB) *store.Store {
	t.Helper()
	eng, err := postgres.Open(context.Background(), db.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := eng.Close(); err != nil {
			t.Error(err)
		}
	})
	return store.New(eng, db.Keyring, db.Clock.Now)
}

// TestLive: committed messages, read receipts and every change that ends
// a stream's authorization (care-team removal, disabling, a session
// signed out, all sessions signed out) reach the live handlers once, with
// ids only; on PostgreSQL they reach a second instance too, through
// LISTEN/NOTIFY, and the first instance gets its own events that way only,
// once each.
func TestLive(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Live Clinic")
		logs := []*liveLog{listen(t, db.Store)}
		if db.Name == "postgres" {
			logs = append(logs, listen(t, secondInstance(t, db)))
		}
		client, provider, admin := c.Actor(c.Client), c.Actor(c.Provider), c.Actor(c.Admin)

		m, sent := send(t, db, client, c.Client.ID, "hello")
		if _, _, err := db.Store.MarkMessageRead(ctx, provider, c.Client.ID, m.ID); err != nil {
			t.Fatal(err)
		}
		for i, l := range logs {
			who := "instance " + strconv.Itoa(i+1)
			ev := l.message(t, who+": the message")
			if ev.Seq != sent.Seq || ev.Kind != "message" || ev.MessageID != m.ID || ev.UserID != c.Client.ID {
				t.Errorf("%s: got %+v, want the message of seq %d", who, ev, sent.Seq)
			}
			if len(ev.Audience) != 2 || ev.Audience[0] != c.Client.ID || ev.Audience[1] != c.Provider.ID {
				t.Errorf("%s: audience %v, want the client and the provider", who, ev.Audience)
			}
			if ev := l.message(t, who+": the receipt"); ev.Kind != "read" || ev.Seq <= sent.Seq || ev.UserID != c.Provider.ID {
				t.Errorf("%s: got %+v, want the provider's read receipt", who, ev)
			}
		}

		// Revocations.
		if err := db.Store.EndSession(ctx, provider, "no-such-session"); care.ErrorCode(err) != care.NotFound {
			t.Fatalf("ending a missing session: %v", err)
		}
		sess := &care.Session{UserID: c.Provider.ID, Kind: "web", Stage: care.StageFull}
		if err := db.Store.CreateSession(ctx, sess, []byte("hash-1")); err != nil {
			t.Fatal(err)
		}
		p := provider
		p.SessionID = sess.ID
		if err := db.Store.EndSession(ctx, p, sess.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.EndAllSessions(ctx, p, true); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.RemoveFromCareTeam(ctx, admin, c.Client.ID, c.Provider.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.DisableUser(ctx, admin, c.OtherClient.ID, "left-clinic"); err != nil {
			t.Fatal(err)
		}
		want := []care.Revocation{
			{UserID: c.Provider.ID, SessionID: sess.ID, Reason: care.RevokeSession},
			{UserID: c.Provider.ID, KeepSessionID: sess.ID, Reason: care.RevokeSession},
			{UserID: c.Provider.ID, ClientID: c.Client.ID, Reason: care.RevokeCareTeam},
			{UserID: c.OtherClient.ID, Reason: care.RevokeDisabled},
		}
		for i, l := range logs {
			for _, w := range want {
				if got := l.revoke(t, "instance "+strconv.Itoa(i+1)+": "+w.Reason); got != w {
					t.Errorf("instance %d: got %+v, want %+v", i+1, got, w)
				}
			}
		}

		// After the removal, the provider is no longer in the audience.
		_, sent = send(t, db, client, c.Client.ID, "after")
		for i, l := range logs {
			if ev := l.message(t, "after the removal"); ev.Seq != sent.Seq || len(ev.Audience) != 1 {
				t.Errorf("instance %d: got %+v, want seq %d for the client alone", i+1, ev, sent.Seq)
			}
			l.quiet(t, "at the end")
		}
	})
}

// TestLiveCatchesUp: when an instance's listening connection is cut,
// messages committed meanwhile by another instance reach it once it is
// back, each once and in order: it reads what it missed from
// message_events.
func TestLiveCatchesUp(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "postgres")
	ctx := context.Background()
	c := storetest.SeedClinic(t, db.Store, "Catch-up Clinic")
	other := secondInstance(t, db)
	l := listen(t, other)
	client := c.Actor(c.Client)

	_, first := send(t, db, client, c.Client.ID, "before")
	if ev := l.message(t, "before the cut"); ev.Seq != first.Seq {
		t.Fatalf("got seq %d, want %d", ev.Seq, first.Seq)
	}
	// Cut every Interlude listening connection to this database (other
	// tests' listeners reconnect and catch up the same way).
	var cut int
	if err := db.Engine.SQLDB().QueryRowContext(ctx,
		`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		 WHERE application_name = $1 AND datname = current_database()`, postgres.ListenApplicationName).Scan(&cut); err != nil {
		t.Fatal(err)
	}
	if cut < 1 {
		t.Fatalf("cut %d listening connections, want at least this test's", cut)
	}
	var want []int64
	for i := range 20 {
		_, ev := send(t, db, client, c.Client.ID, "during "+strconv.Itoa(i))
		want = append(want, ev.Seq)
	}
	for i, seq := range want {
		if ev := l.message(t, "after the cut"); ev.Seq != seq {
			t.Fatalf("event %d after the cut: seq %d, want %d", i, ev.Seq, seq)
		}
	}
	l.quiet(t, "after the catch-up")
	l.mu.Lock()
	lost := l.lost
	l.mu.Unlock()
	if lost == 0 {
		t.Error("the cut was not reported to Lost")
	}
}

// eventPatience bounds every wait for an event in these tests. It is a
// bound, not a sleep: an event that comes returns at once. It is generous
// because the suite runs its jobs side by side under the race detector,
// where a notification crossing PostgreSQL can take seconds.
const eventPatience = 20 * time.Second
