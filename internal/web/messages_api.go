package web

import (
	"net/http"
	"strconv"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// The messages JSON API (API.md: messages): one thread per client with
// their care team. Texts are plain; events on the real-time stream
// (events.go) carry ids only.

// maxMessageBody bounds a message request: well above the largest valid
// text (5,000 code points, each up to 12 bytes as a JSON escape), so an
// over-long text is refused by name.
const maxMessageBody = 128 << 10

type senderJSON struct {
	ID   string `json:"id"`
	Role string `json:"role"`
}

type messageJSON struct {
	ID       string     `json:"id"`
	ClientID string     `json:"client_id"`
	SentAt   time.Time  `json:"sent_at"`
	Sender   senderJSON `json:"sender"`
	Text     string     `json:"text"`
	ReadAt   *time.Time `json:"read_at,omitempty"`
}

func toMessageJSON(m *care.Message) messageJSON {
	out := messageJSON{ID: m.ID, ClientID: m.ClientID, SentAt: m.SentAt,
		Sender: senderJSON{ID: m.SenderID, Role: string(m.SenderRole)}, Text: m.Text}
	if !m.ReadAt.IsZero() {
		at := m.ReadAt
		out.ReadAt = &at
	}
	return out
}

// messageQuery reads ?before= (a message id) and ?limit=.
func messageQuery(r *http.Request) (store.MessageQuery, error) {
	v := r.URL.Query()
	q := store.MessageQuery{Before: v.Get("before")}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > care.MaxMessagePageLimit {
			return q, care.FieldError("limit", "must be a whole number from 1 to %d", care.MaxMessagePageLimit)
		}
		q.Limit = n
	}
	return q, nil
}

// GET /api/v1/clients/{id}/messages?before=&limit=
func (s *Server) apiMessages(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	q, err := messageQuery(r)
	if err != nil {
		return err
	}
	page, err := s.store.Messages(r.Context(), actor, r.PathValue("id"), q)
	if err != nil {
		return err
	}
	out := struct {
		Messages []messageJSON `json:"messages"`
		Next     string        `json:"next,omitempty"`
	}{Messages: []messageJSON{}}
	for i := range page.Messages {
		out.Messages = append(out.Messages, toMessageJSON(&page.Messages[i]))
	}
	if page.More {
		out.Next = page.Messages[len(page.Messages)-1].ID
	}
	return writeJSON(w, http.StatusOK, out)
}

// sendMessage stores a message and, once committed, publishes its event.
func (s *Server) sendMessage(r *http.Request, actor care.Actor, clientID, text string) (*care.Message, error) {
	m := care.Message{Text: text}
	ev, err := s.store.SendMessage(r.Context(), actor, clientID, &m)
	if err != nil {
		return nil, err
	}
	s.live.publish(ev)
	return &m, nil
}

// markRead records a read receipt and, if it is new, publishes it.
func (s *Server) markRead(r *http.Request, actor care.Actor, clientID, messageID string) error {
	ev, changed, err := s.store.MarkMessageRead(r.Context(), actor, clientID, messageID)
	if err != nil {
		return err
	}
	if changed {
		s.live.publish(ev)
	}
	return nil
}

// POST /api/v1/clients/{id}/messages {"text"}
func (s *Server) apiSendMessage(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		Text string `json:"text"`
	}
	if err := decodeJSONLimit(w, r, &req, maxMessageBody); err != nil {
		return err
	}
	m, err := s.sendMessage(r, actor, r.PathValue("id"), req.Text)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toMessageJSON(m))
}

// POST /api/v1/clients/{id}/messages/{mid}/read
func (s *Server) apiReadMessage(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := s.markRead(r, actor, r.PathValue("id"), r.PathValue("mid")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
