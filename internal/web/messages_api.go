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
	ID          string           `json:"id"`
	ClientID    string           `json:"client_id"`
	SentAt      time.Time        `json:"sent_at"`
	Sender      senderJSON       `json:"sender"`
	Text        string           `json:"text"`
	ReadAt      *time.Time       `json:"read_at,omitempty"`
	Version     int              `json:"version"`
	EditedAt    *time.Time       `json:"edited_at,omitempty"`
	Attachments []attachmentJSON `json:"attachments,omitempty"`

	// CrisisResources, in the answer to a client's message that holds
	// crisis language: where to get help now, to show at once.
	CrisisResources []crisisResourceJSON `json:"crisis_resources,omitempty"`
	// SafetyPlan, with the crisis resources, is the API address of the
	// client's safety plan when they have one: to show before them.
	SafetyPlan string `json:"safety_plan,omitempty"`
}

// attachmentJSON is a file of a message; url downloads it.
type attachmentJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	URL         string `json:"url"`
}

func toMessageJSON(m *care.Message) messageJSON {
	out := messageJSON{ID: m.ID, ClientID: m.ClientID, SentAt: m.SentAt,
		Sender: senderJSON{ID: m.SenderID, Role: string(m.SenderRole)}, Text: m.Text, Version: m.Version}
	if !m.ReadAt.IsZero() {
		at := m.ReadAt
		out.ReadAt = &at
	}
	if !m.EditedAt.IsZero() {
		at := m.EditedAt
		out.EditedAt = &at
	}
	for _, a := range m.Attachments {
		out.Attachments = append(out.Attachments, attachmentJSON{ID: a.ID, Name: a.Name, ContentType: a.ContentType,
			Size: a.Size, URL: attachmentPath(m.ClientID, m.ID, a.ID)})
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

// sendMessage stores a message. Once committed, the store delivers its
// event to the streams (store.Live, on every instance).
func (s *Server) sendMessage(r *http.Request, actor care.Actor, clientID, text string, files []care.Attachment) (*care.Message, error) {
	m := care.Message{Text: text, Attachments: files}
	if _, err := s.store.SendMessage(r.Context(), actor, clientID, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// markRead records a read receipt; a new one reaches the streams as a
// message does.
func (s *Server) markRead(r *http.Request, actor care.Actor, clientID, messageID string) error {
	_, _, err := s.store.MarkMessageRead(r.Context(), actor, clientID, messageID)
	return err
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
	var files []care.Attachment
	if isMultipart(r) {
		req.Text, files, err = s.readCompose(w, r)
	} else {
		err = decodeJSONLimit(w, r, &req, maxMessageBody)
	}
	if err != nil {
		return err
	}
	m, err := s.sendMessage(r, actor, r.PathValue("id"), req.Text, files)
	if err != nil {
		return err
	}
	out := toMessageJSON(m)
	if out.CrisisResources, err = s.crisisFor(r, actor, m.Crisis); err != nil {
		return err
	}
	if out.SafetyPlan, err = s.safetyPlanFor(r, actor, m.Crisis); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// editMessage stores an edit; an edit that changed the text reaches the
// streams as a message does (store.Live).
func (s *Server) editMessage(r *http.Request, actor care.Actor, clientID, messageID, text string) (*care.Message, error) {
	m, _, _, err := s.store.EditMessage(r.Context(), actor, clientID, messageID, text)
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// PATCH /api/v1/clients/{id}/messages/{mid} {"text"}: the sender edits
// their message; the text it replaces is kept as a version.
func (s *Server) apiEditMessage(w http.ResponseWriter, r *http.Request) error {
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
	m, err := s.editMessage(r, actor, r.PathValue("id"), r.PathValue("mid"), req.Text)
	if err != nil {
		return err
	}
	out := toMessageJSON(m)
	if out.CrisisResources, err = s.crisisFor(r, actor, m.Crisis); err != nil {
		return err
	}
	if out.SafetyPlan, err = s.safetyPlanFor(r, actor, m.Crisis); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

type messageVersionJSON struct {
	Version   int        `json:"version"`
	Text      string     `json:"text"`
	WrittenAt time.Time  `json:"written_at"`
	EditedAt  *time.Time `json:"edited_at,omitempty"`
	EditorID  string     `json:"editor_id,omitempty"`
}

// GET /api/v1/clients/{id}/messages/{mid}/versions: every text the
// message has had, the current one first.
func (s *Server) apiMessageVersions(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	_, vs, err := s.store.MessageVersions(r.Context(), actor, r.PathValue("id"), r.PathValue("mid"))
	if err != nil {
		return err
	}
	out := struct {
		Versions []messageVersionJSON `json:"versions"`
	}{Versions: []messageVersionJSON{}}
	for _, v := range vs {
		j := messageVersionJSON{Version: v.Version, Text: v.Text, WrittenAt: v.WrittenAt, EditorID: v.EditorID}
		if !v.EditedAt.IsZero() {
			at := v.EditedAt
			j.EditedAt = &at
		}
		out.Versions = append(out.Versions, j)
	}
	return writeJSON(w, http.StatusOK, out)
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
