package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"interlude/internal/auth"
	"interlude/internal/store"
	"interlude/internal/store/postgres"
	"interlude/internal/store/storetest"
)

// Real-time delivery across instances, and streams that close when their
// authorization ends (issue #6).

// instance is one server instance on a real port.
type instance struct {
	srv *Server
	url string
}

// liveInstances returns two instances over the test's database: on
// PostgreSQL, a and b are two servers each with its own pool and
// listening connection on the same schema, as two processes would be; on
// SQLite (one process holds the file) both are the messages env's
// server. Streams re-check their sessions hourly, so that a stream that
// closes within the tests' seconds was closed by a revocation.
func liveInstances(t *testing.T, m *messagesEnv) (a, b instance) {
	t.Helper()
	serve := func(s *Server) instance {
		s.liveCheck = time.Hour
		ts := httptest.NewServer(s.Handler())
		t.Cleanup(ts.Close)
		return instance{srv: s, url: ts.URL}
	}
	a = serve(m.srv)
	if m.db.Name != "postgres" {
		return a, a
	}
	eng, err := postgres.Open(context.Background(), m.db.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := eng.Close(); err != nil {
			t.Error(err)
		}
	})
	logs := &syncBuffer{}
	s, err := New(Config{
		Store:     store.New(eng, m.db.Keyring, m.db.Clock.Now),
		Logger:    slog.New(slog.NewJSONHandler(logs, nil)),
		Registry:  prometheus.NewRegistry(),
		BaseURL:   "http://interlude.test",
		Now:       m.db.Clock.Now,
		Passwords: auth.TestParams(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return a, serve(s)
}

// request sends an API request to an instance over HTTP and returns the
// answer's status.
func (in instance) request(t *testing.T, method, path, token, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, in.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (in instance) want(t *testing.T, status int, what, method, path, token, body string) {
	t.Helper()
	if got := in.request(t, method, path, token, body); got != status {
		t.Fatalf("%s: %s %s answered %d, want %d", what, method, path, got, status)
	}
}

// revoked expects the stream's next event to be `revoked` with the reason,
// and then the stream's end.
func (s *stream) revoked(t *testing.T, what, reason string) sseEvent {
	t.Helper()
	ev := s.next(t, what)
	if ev.event != "revoked" || !strings.Contains(ev.data, `"reason":"`+reason+`"`) || ev.id != "" {
		t.Fatalf("%s: got %+v, want a revoked event for %s without an id", what, ev, reason)
	}
	select {
	case ev, ok := <-s.events:
		if ok {
			t.Fatalf("%s: an event after revoked: %+v", what, ev)
		}
	case <-time.After(eventPatience):
		t.Fatalf("%s: the stream is still open %v after revoked", what, eventPatience)
	}
	return ev
}

// streamRefused expects a stream with this token to be refused.
func streamRefused(t *testing.T, in instance, token, what string) {
	t.Helper()
	req, _ := http.NewRequest("GET", in.url+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("%s: reopening the stream answered %d, want 401", what, resp.StatusCode)
	}
}

// TestEventsAcrossInstances: two server instances on one PostgreSQL
// schema; a message posted to one reaches a stream on the other, and the
// reply, posted to the other, reaches a stream on the first; each stream
// gets each event once.
func TestEventsAcrossInstances(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "postgres")
	m := newMessagesEnv(t, db)
	a, b := liveInstances(t, m)

	prov := openStream(t, b.url, m.provider, "")
	cli := openStream(t, a.url, m.client, "")

	a.want(t, http.StatusCreated, "the client posts to instance A", "POST", m.path, m.client, `{"text":"across"}`)
	ev := prov.next(t, "the provider's stream on instance B")
	if ev.event != "message" || !strings.Contains(ev.data, m.c.Client.ID) || strings.Contains(ev.data, "across") {
		t.Errorf("on B: %+v", ev)
	}
	if got := cli.next(t, "the client's own stream on A"); got.id != ev.id {
		t.Errorf("on A: id %s, on B %s: the same event has two ids", got.id, ev.id)
	}

	b.want(t, http.StatusCreated, "the provider replies on instance B", "POST", m.path, m.provider, `{"text":"reply"}`)
	if got := cli.next(t, "the client's stream on A"); got.event != "message" || !strings.Contains(got.data, m.c.Provider.ID) {
		t.Errorf("the reply on A: %+v", got)
	}
	if got := prov.next(t, "the provider's own reply on B"); got.event != "message" {
		t.Errorf("the reply on B: %+v", got)
	}
	prov.none(t, "the provider, after both")
	cli.none(t, "the client, after both")
}

// TestEventsRevoked: a stream closes at once, with `event: revoked`, when
// its session is signed out (the user's other session keeps its stream),
// when the provider is taken off the client's care team (the client's
// stream stays), and when the user is disabled; the change is made on one
// instance and the stream is on the other (on SQLite, the same one).
// Reconnecting after a sign-out or disabling is refused.
func TestEventsRevoked(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		m := newMessagesEnv(t, db)
		m.setPassword(t, m.c.Admin)
		m.enrollTOTP(t, m.c.Admin)
		admin := m.signIn(t, m.c.Admin)
		second := m.signIn(t, m.c.Provider) // the provider's second session
		a, b := liveInstances(t, m)

		// Signing out one session closes its stream only.
		first := openStream(t, b.url, m.provider, "")
		other := openStream(t, b.url, second, "")
		cli := openStream(t, b.url, m.client, "")
		a.want(t, http.StatusNoContent, "signing out", "DELETE", "/api/v1/sessions/current", m.provider, "")
		first.revoked(t, "the signed-out session's stream", "session")
		streamRefused(t, b, m.provider, "after signing out")

		// Leaving the care team closes the provider's stream, naming the
		// client; the client's stays.
		a.want(t, http.StatusNoContent, "taking the provider off the care team", "DELETE",
			"/api/v1/clients/"+m.c.Client.ID+"/care-team/"+m.c.Provider.ID, admin, "")
		if ev := other.revoked(t, "the provider's other stream", "care-team"); !strings.Contains(ev.data, m.c.Client.ID) {
			t.Errorf("the care-team revocation does not name the client: %s", ev.data)
		}
		cli.none(t, "the client, when the provider leaves the care team")

		// Disabling the client closes theirs.
		a.want(t, http.StatusNoContent, "disabling the client", "POST", "/api/v1/users/"+m.c.Client.ID+"/disable", admin, `{"reason":"care-ended"}`)
		cli.revoked(t, "the disabled client's stream", "disabled")
		streamRefused(t, b, m.client, "after disabling")
	})
}

// eventPatience bounds every wait for an event in these tests. It is a
// bound, not a sleep: an event that comes returns at once. It is generous
// because the suite runs its jobs side by side under the race detector,
// where a notification crossing PostgreSQL can take seconds.
const eventPatience = 20 * time.Second
