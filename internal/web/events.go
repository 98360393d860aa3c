package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
)

// GET /api/v1/events: the signed-in user's Server-Sent Events. Each event
// of a thread the user belongs to is sent as `id: <seq>`, `event: message`,
// `event: checkin` (a check-in's question), `event: read` or `event: edit`, and `data:` JSON with ids and times only (the text is
// fetched, under the reader's access, from the messages API).
//
// Nothing lost, nothing twice: the stream subscribes to the broker first,
// then, given Last-Event-ID, replays from the database what the user may
// see after it, and skips live events it has already sent. A dropped
// (slow) stream ends; the browser reconnects with Last-Event-ID.
//
// A change that ends the stream's authorization — its session signed out,
// the user disabled, the provider taken off a care team — closes it at
// once, on whichever instance the change was made (store.Live delivers a
// care.Revocation to the broker): the stream sends `event: revoked` with
// the reason (and, for a care-team change, the client's id) and ends. The
// browser then reconnects, and is refused if it is signed out. As a
// backstop (a session's lifetime ends by itself; a revocation was sent
// while this instance's listener was down), the stream also re-checks its
// session every s.liveCheck and ends when it no longer authenticates.

// maxReplay bounds one replay: a stream that missed more is sent the
// oldest maxReplay and ends; the browser reconnects from the last one.
const maxReplay = 500

type eventJSON struct {
	ID        string    `json:"id"`
	ClientID  string    `json:"client_id"`
	SentAt    time.Time `json:"sent_at,omitzero"`
	ReadAt    time.Time `json:"read_at,omitzero"`
	ReaderID  string    `json:"reader_id,omitempty"`
	EditedAt  time.Time `json:"edited_at,omitzero"`
	EditorID  string    `json:"editor_id,omitempty"`
	SenderID  string    `json:"sender_id,omitempty"`
	MessageID string    `json:"message_id"`
}

func writeEvent(w http.ResponseWriter, ev care.MessageEvent) error {
	d := eventJSON{ID: ev.MessageID, MessageID: ev.MessageID, ClientID: ev.ClientID}
	switch ev.Kind {
	case "read":
		d.ReadAt, d.ReaderID = ev.At, ev.UserID
	case "edit":
		d.EditedAt, d.EditorID = ev.At, ev.UserID
	default:
		d.SentAt, d.SenderID = ev.At, ev.UserID
	}
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.Seq, ev.Kind, data)
	return err
}

// writeRevoked tells a stream why it ends. It has no id: the browser's
// Last-Event-ID stays that of the last thread event.
func writeRevoked(w http.ResponseWriter, r care.Revocation) {
	data, _ := json.Marshal(struct {
		Reason   string `json:"reason"`
		ClientID string `json:"client_id,omitempty"`
	}{r.Reason, r.ClientID})
	fmt.Fprintf(w, "event: revoked\ndata: %s\n\n", data) //nolint:errcheck // the stream ends after this whether or not it was written
}

func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	// Last-Event-ID comes from a reconnecting EventSource; a page that
	// opens a stream may name where it is with ?last_event_id= instead.
	var last int64 = -1
	h := r.Header.Get("Last-Event-ID")
	if h == "" {
		h = r.URL.Query().Get("last_event_id")
	}
	if h != "" {
		n, err := strconv.ParseInt(h, 10, 64)
		if err != nil || n < 0 {
			return care.FieldError("last_event_id", "must be an event id")
		}
		last = n
	}
	sub := s.live.subscribe(actor.UserID, actor.SessionID)
	defer s.live.unsubscribe(sub)

	rc := http.NewResponseController(w)
	extend := func() { _ = rc.SetWriteDeadline(time.Now().Add(2 * s.liveCheck)) }
	extend()
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return nil
	}
	if last >= 0 {
		evs, err := s.store.MessageEventsAfter(r.Context(), actor, last, maxReplay)
		if err != nil {
			s.log.Error("events: replay", "request_id", RequestID(r.Context()), "err", err)
			return nil
		}
		for _, ev := range evs {
			if err := writeEvent(w, ev); err != nil {
				return nil
			}
			last = ev.Seq
		}
		if len(evs) == maxReplay {
			_ = rc.Flush()
			return nil // more to replay: the browser reconnects from last
		}
	}
	if err := rc.Flush(); err != nil {
		return nil
	}

	// Every event up to replayed committed before the replay read it (seq
	// order is commit order: store.appendMessageEvent), so the live events
	// to skip are exactly those. Later ones are sent as they come: two
	// publishes may race, so they are not compared with each other.
	replayed := last
	token := authOf(r).token
	tick := time.NewTicker(s.liveCheck)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case ev, ok := <-sub.C:
			if !ok {
				if sub.revoked != nil {
					extend() // the last tick may be late on a busy machine
					writeRevoked(w, *sub.revoked)
					_ = rc.Flush()
				}
				return nil // dropped (too slow) or revoked; the browser reconnects
			}
			if ev.Seq <= replayed {
				continue // in the replay already
			}
			extend()
			if err := writeEvent(w, ev); err != nil {
				return nil
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
		case <-tick.C:
			if _, _, err := s.store.Authenticate(r.Context(), auth.HashToken(token), s.sessions, false); err != nil {
				// The session ended before its revocation reached this
				// instance (it crosses instances through the database):
				// the stream still says why it ends.
				if care.ErrorCode(err) == care.Unauthenticated {
					extend() // this tick may come late on a busy machine
					writeRevoked(w, care.Revocation{Reason: care.RevokeSession})
					_ = rc.Flush()
				}
				return nil
			}
			extend()
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return nil
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
		}
	}
}
