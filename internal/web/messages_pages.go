package web

import (
	"net/http"
	"unicode/utf8"

	"interlude/internal/care"
)

// The thread's web pages: the client's at /messages, the care team's at
// /clients/{id}/messages. A server-rendered list and compose form that work
// without JavaScript; messages.js listens to /api/v1/events and reloads the
// list in place when something new arrives.

// messageFormLimit bounds a compose form: 5,000 characters,
// percent-encoded, need up to 60 KB.
const messageFormLimit = 256 << 10

// messageRow is a message as the thread page shows it.
type messageRow struct {
	ID       string
	Mine     bool
	From     string // "You", "Your care team", "Client"
	When     string
	WhenISO  string
	Text     string
	Read     string // "Read Mon 2 Mar…" or ""
	CanRead  bool   // the viewer is a recipient who has not marked it read
	ReadPath string
}

// messagesPage is the thread page.
type messagesPage struct {
	Layout
	ClientID   string
	ClientName string // "" on the client's own page
	Action     string // where the compose form posts
	CanWrite   bool
	Text       string // the text of a refused message, to fix
	Error      string
	Messages   []messageRow
	More       string // link to older messages, or ""
}

func (s *Server) renderThread(w http.ResponseWriter, r *http.Request, actor care.Actor, clientID, base string, text string, formErr error) error {
	q, err := messageQuery(r)
	if err != nil {
		return err
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	page, err := s.store.Messages(r.Context(), actor, clientID, q)
	if err != nil {
		return err
	}
	p := &messagesPage{Layout: s.layout(r, "Messages"), ClientID: clientID, Action: base,
		CanWrite: care.CanWriteMessage(actor, clientID), Text: text}
	p.Scripts = []string{"messages.js"}
	if actor.Role != care.RoleClient {
		client, err := s.store.Client(r.Context(), actor, clientID)
		if err != nil {
			return err
		}
		p.ClientName = client.DisplayName
		if p.ClientName == "" || !utf8.ValidString(p.ClientName) {
			p.ClientName = "This client"
		}
	}
	for i := range page.Messages {
		m := &page.Messages[i]
		row := messageRow{ID: m.ID, Mine: m.SenderID == actor.UserID, When: localTime(m.SentAt, actor.TimeZone),
			WhenISO: m.SentAt.Format("2006-01-02T15:04:05Z07:00"), Text: m.Text, ReadPath: base + "/" + m.ID + "/read"}
		switch {
		case row.Mine:
			row.From = "You"
		case m.SenderRole == care.RoleClient:
			row.From = "Client"
		default:
			row.From = "Care team"
		}
		if !m.ReadAt.IsZero() {
			row.Read = "Read " + localTime(m.ReadAt, actor.TimeZone)
		} else {
			row.CanRead = care.IsMessageRecipient(actor, m)
		}
		p.Messages = append(p.Messages, row)
	}
	if page.More {
		p.More = base + "?before=" + page.Messages[len(page.Messages)-1].ID
	}
	status := http.StatusOK
	if formErr != nil {
		if care.ErrorCode(formErr) != care.Invalid {
			return formErr
		}
		p.Error, status = formErr.Error(), http.StatusBadRequest
	}
	s.renderPage(w, r, status, "messages", p)
	return nil
}

// GET /messages: the client's thread.
func (s *Server) clientMessages(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	return s.renderThread(w, r, actor, actor.UserID, "/messages", "", nil)
}

// POST /messages {text}
func (s *Server) clientMessageSend(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	return s.threadSend(w, r, actor, actor.UserID, "/messages")
}

func (s *Server) threadSend(w http.ResponseWriter, r *http.Request, actor care.Actor, clientID, base string) error {
	r.Body = http.MaxBytesReader(w, r.Body, messageFormLimit)
	if err := r.ParseForm(); err != nil {
		return care.Errorf(care.Invalid, "the form could not be read (it may be too long)")
	}
	text := r.PostForm.Get("text")
	if _, err := s.sendMessage(r, actor, clientID, text); err != nil {
		return s.renderThread(w, r, actor, clientID, base, text, err)
	}
	return redirect(w, r, base)
}

// GET /clients/{id}/messages: the care team's view of a client's thread.
func (s *Server) providerMessages(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if actor.Role == care.RoleClient {
		return redirect(w, r, "/messages")
	}
	id := r.PathValue("id")
	return s.renderThread(w, r, actor, id, "/clients/"+id+"/messages", "", nil)
}

// POST /clients/{id}/messages {text}
func (s *Server) providerMessageSend(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	return s.threadSend(w, r, actor, id, "/clients/"+id+"/messages")
}

// POST /clients/{id}/messages/{mid}/read and /messages/{mid}/read: a read
// receipt from a form.
func (s *Server) messageReadForm(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	base := "/clients/" + id + "/messages"
	if id == "" {
		id, base = actor.UserID, "/messages"
	}
	if err := s.markRead(r, actor, id, r.PathValue("mid")); err != nil {
		return err
	}
	return redirect(w, r, base)
}
