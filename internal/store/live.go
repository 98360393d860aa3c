package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"interlude/internal/care"
)

// Real-time delivery (issue #6). Writes that others must hear of at once
// — a message or read receipt (message_events), a change that ends some
// real-time streams' authorization (care.Revocation) — hand their events
// to the Store's live handlers once committed, never before:
//
//   - On SQLite one process holds the database, and the write itself calls
//     the handlers after its commit.
//   - On PostgreSQL, several instances may share the database. The write
//     sends a NOTIFY on liveChannel in its own transaction, which
//     PostgreSQL delivers at commit, in commit order, to every instance's
//     listening connection (postgres.DB.Listen); each instance's listener
//     calls its handlers, for events of its own writes as for others'.
//     That is the only path on PostgreSQL, so nothing arrives twice and
//     events arrive in seq order.
//
// A message event's notification carries no ids at all (wakePayload): it
// says "read message_events after the last seq you delivered", and the
// listener does, with the audience as the care team stands then. Identical
// payloads in one transaction fold into one notification, so a batch of
// group-committed messages costs one. After its connection comes back, a
// listener reads what it missed the same way: nothing is lost. A
// revocation's notification carries its ids (revokePayload); one sent while
// an instance's listener was down is lost to it, and the streams' periodic
// session check (web/events.go) closes them instead.

// liveChannel is the PostgreSQL NOTIFY channel of real-time events. NOTIFY
// reaches every listener of the database, whatever its schema, so the
// channel's name is that of the schema's: liveChannelSQL, evaluated by the
// notifying transaction and by Live alike, at most 63 bytes as a channel
// name must be. Two deployments (or tests) in one database's schemas then
// never hear each other.
const liveChannel = "interlude_events"

const liveChannelSQL = `left('` + liveChannel + `:' || current_schema(), 63)`

// wakePayload is the notification of new message events.
const wakePayload = `{"kind":"message"}`

// livePage bounds one read of message_events by a listener.
const livePage = 500

// LiveHandler receives the real-time events of committed writes. Message
// and Revoke must not block; Lost may be nil.
type LiveHandler struct {
	Message func(care.MessageEvent) // a thread event, with its Audience
	Revoke  func(care.Revocation)
	Lost    func(error) // PostgreSQL: listening failed; it goes on with backoff and misses no message event
}

// listenEngine is an engine that hears what every process using the
// database notifies: store/postgres (see postgres.ListenHandler).
type listenEngine interface {
	Listen(channel string, handle func(ctx context.Context, payloads []string, resync bool) error, lost func(error)) <-chan struct{}
}

// liveState is a Store's live handlers and, on PostgreSQL, its listener.
type liveState struct {
	mu       sync.Mutex
	handlers map[int]LiveHandler
	next     int
	started  bool  // the PostgreSQL listener runs
	last     int64 // the listener's last delivered seq (its goroutine only)
}

// liveBuf collects, during one run of a write, the events it delivers
// once committed on SQLite. A write that runs again starts it afresh.
type liveBuf struct {
	messages []care.MessageEvent
	revokes  []care.Revocation
}

// Live registers h to receive the real-time events of committed writes,
// until the returned function is called. On SQLite these are this
// Store's writes, delivered by the writing goroutine right after commit.
// On PostgreSQL they are every instance's, delivered in commit order by
// one listening connection that the first Live call opens and the
// engine's Close ends.
func (s *Store) Live(ctx context.Context, h LiveHandler) (cancel func(), err error) {
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	if pg, ok := s.eng.(listenEngine); ok && s.Engine() == "postgres" && !s.live.started {
		// Start from the newest event: streams replay older ones
		// themselves (Last-Event-ID).
		var channel string
		err := s.read(ctx, func(ctx context.Context, tx tx) error {
			return tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0), `+liveChannelSQL+` FROM message_events`).Scan(&s.live.last, &channel)
		})
		if err != nil {
			return nil, err
		}
		ready := pg.Listen(channel, s.onNotify, s.liveLost)
		s.live.started = true
		// A revocation notified before the first LISTEN would be lost
		// to this instance: wait for it (it goes on trying after ctx).
		select {
		case <-ready:
		case <-ctx.Done():
		}
	}
	if s.live.handlers == nil {
		s.live.handlers = map[int]LiveHandler{}
	}
	id := s.live.next
	s.live.next++
	s.live.handlers[id] = h
	return func() {
		s.live.mu.Lock()
		defer s.live.mu.Unlock()
		delete(s.live.handlers, id)
	}, nil
}

func (s *Store) liveHandlers() []LiveHandler {
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	out := make([]LiveHandler, 0, len(s.live.handlers))
	for _, h := range s.live.handlers {
		out = append(out, h)
	}
	return out
}

func (s *Store) deliver(messages []care.MessageEvent, revokes []care.Revocation) {
	if len(messages) == 0 && len(revokes) == 0 {
		return
	}
	for _, h := range s.liveHandlers() {
		for _, r := range revokes {
			h.Revoke(r)
		}
		for _, m := range messages {
			h.Message(m)
		}
	}
}

func (s *Store) liveLost(err error) {
	for _, h := range s.liveHandlers() {
		if h.Lost != nil {
			h.Lost(err)
		}
	}
}

// revokePayload is a revocation as notified: ids only.
type revokePayload struct {
	Kind    string `json:"kind"` // "revoke"
	User    string `json:"user"`
	Session string `json:"session,omitempty"`
	Keep    string `json:"keep,omitempty"`
	Client  string `json:"client,omitempty"`
	Reason  string `json:"reason"`
}

// decodeNotification reads a payload of liveChannel: wake is set for
// wakePayload, r is set for a revocation.
func decodeNotification(payload string) (wake bool, r *care.Revocation, err error) {
	if payload == wakePayload {
		return true, nil, nil
	}
	var p revokePayload
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		return false, nil, fmt.Errorf("store: a notification on %s is not JSON", liveChannel)
	}
	switch {
	case p.Kind == "message":
		return true, nil, nil
	case p.Kind != "revoke":
		return false, nil, fmt.Errorf("store: a notification on %s is of unknown kind", liveChannel)
	case p.User == "" || p.Reason == "":
		return false, nil, fmt.Errorf("store: a revocation on %s names no user or reason", liveChannel)
	}
	return false, &care.Revocation{UserID: p.User, SessionID: p.Session, KeepSessionID: p.Keep, ClientID: p.Client, Reason: p.Reason}, nil
}

// onNotify is the PostgreSQL listener's handler: revocations at once,
// then, if a message event was notified or notifications may have been
// missed, the events after the last delivered.
func (s *Store) onNotify(ctx context.Context, payloads []string, resync bool) error {
	read := resync
	var revokes []care.Revocation
	for _, p := range payloads {
		wake, r, err := decodeNotification(p)
		if err != nil {
			s.liveLost(err) // not ours: another program on the channel; ignored
			continue
		}
		read = read || wake
		if r != nil {
			revokes = append(revokes, *r)
		}
	}
	s.deliver(nil, revokes)
	for read {
		evs, err := s.liveEventsAfter(ctx, s.live.last, livePage)
		if err != nil {
			return err
		}
		if len(evs) > 0 {
			s.live.last = evs[len(evs)-1].Seq
		}
		s.deliver(evs, nil)
		read = len(evs) == livePage
	}
	return nil
}

// liveEventsAfter reads the thread events after seq, oldest first, at most
// limit, each with its audience as the care team stands now. It reads ids
// only, for delivery to streams that filter by audience; it is not a
// user's read and is not audited.
func (s *Store) liveEventsAfter(ctx context.Context, seq int64, limit int) ([]care.MessageEvent, error) {
	var out []care.MessageEvent
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		rows, err := tx.QueryContext(ctx,
			`SELECT e.seq, e.kind, e.clinic_id, e.client_id, e.message_id, e.user_id, e.at,
			        coalesce((SELECT string_agg(t.provider_id, ',' ORDER BY t.provider_id) FROM care_team t
			                  WHERE t.client_id = e.client_id AND t.clinic_id = e.clinic_id), '')
			 FROM message_events e WHERE e.seq > $1 ORDER BY e.seq LIMIT $2`, seq, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e care.MessageEvent
			var at int64
			var team string
			if err := rows.Scan(&e.Seq, &e.Kind, &e.ClinicID, &e.ClientID, &e.MessageID, &e.UserID, &at, &team); err != nil {
				return err
			}
			e.At = fromMicros(at)
			e.Audience = []string{e.ClientID}
			if team != "" {
				e.Audience = append(e.Audience, strings.Split(team, ",")...)
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

// messageEvent records, in the write's transaction, a thread event to
// deliver once committed. On PostgreSQL the wake-up notification is sent
// by appendMessageEvent, with its lock.
func (tx tx) messageEvent(ev care.MessageEvent) {
	if tx.live != nil {
		tx.live.messages = append(tx.live.messages, ev)
	}
}

// revoke records, in the write's transaction, a revocation to deliver
// once committed: on PostgreSQL as a notification to every instance.
func (s *Store) revoke(ctx context.Context, tx tx, r care.Revocation) error {
	if tx.live == nil {
		return errors.New("store: a revocation outside a write")
	}
	if s.Engine() != "postgres" {
		tx.live.revokes = append(tx.live.revokes, r)
		return nil
	}
	p, err := json.Marshal(revokePayload{Kind: "revoke", User: r.UserID, Session: r.SessionID, Keep: r.KeepSessionID,
		Client: r.ClientID, Reason: r.Reason})
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `SELECT pg_notify(`+liveChannelSQL+`, $1)`, string(p))
	return err
}
