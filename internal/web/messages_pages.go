package web

import (
	"errors"
	"net/http"
	"time"
	"unicode/utf8"

	"interlude/internal/care"
)

// The thread's web pages: the client's at /messages, the care team's at
// /clients/{id}/messages. A server-rendered conversation, oldest to
// newest by day, with the compose form under it, as in a messaging app;
// it works without JavaScript. messages.js opens the page at the newest
// message, listens to /api/v1/events and adds what arrives at the bottom
// without moving what the reader is reading.

// messageFormLimit bounds a compose form: 5,000 characters,
// percent-encoded, need up to 60 KB.
const messageFormLimit = 256 << 10

// messageRow is a message as the thread page shows it.
type messageRow struct {
	ID       string
	Mine     bool
	From     string // "You", "Your care team", "Client"
	When     string // the day and time, for the message's own page
	Time     string // the time of day, under the thread's day separator
	WhenISO  string
	Text     string
	Read     string // "Read Mon 2 Mar…" or ""
	CanRead  bool   // the viewer is a recipient who has not marked it read
	ReadPath string
	Path     string // the message's own page: its versions, and an edit form for its sender
	Edited   bool
	CanEdit  bool
	Files    []fileRow
	Auto     bool // an automatic reply
	Flagged  bool // it raised a safety flag; shown to the care team
}

// threadDay is one day of a thread page: a separator, and the messages
// sent that day in the viewer's time zone, oldest first.
type threadDay struct {
	Day      string // "2026-03-02"
	Label    string // "Today", "Yesterday", "Monday 2 March 2026"
	Messages []messageRow
}

// threadDayLabel names day d (in loc) for a separator, relative to now.
func threadDayLabel(d, now time.Time, loc *time.Location) string {
	d, now = d.In(loc), now.In(loc)
	switch d.Format(time.DateOnly) {
	case now.Format(time.DateOnly):
		return "Today"
	case now.AddDate(0, 0, -1).Format(time.DateOnly):
		return "Yesterday"
	}
	return d.Format("Monday 2 January 2006")
}

// fileRow is an attachment as a page lists it.
type fileRow struct {
	Name, Kind, Size, URL string
}

func fileRows(m *care.Message) []fileRow {
	var out []fileRow
	for _, a := range m.Attachments {
		out = append(out, fileRow{Name: a.Name, Kind: fileKind(a.ContentType), Size: fileSize(a.Size), URL: attachmentPath(m.ClientID, m.ID, a.ID)})
	}
	return out
}

// messagesPage is the thread page.
type messagesPage struct {
	Layout
	ClientID     string
	ClientName   string // "" on the client's own page
	Action       string // where the compose form posts
	CanWrite     bool
	Text         string // the text of a refused message, to fix
	Error        string
	FileError    string // why a file was refused
	MaxFileMB    int
	MaxFileBytes int
	Days         []threadDay // the page of messages, oldest first, by day
	More         string      // link to earlier messages, or ""
	Newest       string      // on a page of earlier messages, the link back to the newest

	// Boundaries (boundaries_pages.go).
	Team        []teamHoursView // the care team's office hours, beside the compose box
	Paused      bool            // the client may not write: PauseReason shows instead of the compose box
	PauseReason string
	WaitReply   bool      // reply-only, and the client has answered: they wait for the care team
	ModeForm    *modeForm // a provider's form to set the messaging mode
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
		CanWrite: care.CanWriteMessage(actor, clientID), Text: text,
		MaxFileMB: care.MaxAttachmentSize >> 20, MaxFileBytes: care.MaxAttachmentSize}
	p.boundaries(actor, &page)
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
	sent := r.URL.Query().Get("sent")
	loc, now := care.Location(actor.TimeZone), s.now()
	// The store pages back from the newest; the page reads the other way.
	for i := len(page.Messages) - 1; i >= 0; i-- {
		m := &page.Messages[i]
		if r.Method == http.MethodGet && m.ID == sent && m.Flagged && actor.Role == care.RoleClient && m.SenderID == actor.UserID {
			offer, err := s.store.ScreenerOffer(r.Context(), actor, "message", m.ID)
			if err != nil {
				return err
			}
			r2, err := s.withCrisis(r, actor, crisisBanner{Told: true, Screener: offer})
			if err != nil {
				return err
			}
			p.Crisis = crisisOf(r2)
		}
		row := messageRow{ID: m.ID, Mine: m.SenderID == actor.UserID && m.SenderRole != care.RoleSystem, When: localTime(m.SentAt, actor.TimeZone),
			Time:    m.SentAt.In(loc).Format("15:04"),
			WhenISO: m.SentAt.Format("2006-01-02T15:04:05Z07:00"), Text: m.Text, ReadPath: base + "/" + m.ID + "/read",
			Path: base + "/" + m.ID, Edited: m.Edited(), CanEdit: care.CanEditMessage(actor, m), Files: fileRows(m)}
		row.From, row.Auto = fromLabel(actor, m), m.SenderRole == care.RoleSystem
		row.Flagged = m.Flagged && actor.Role != care.RoleClient
		if !m.ReadAt.IsZero() {
			// A receipt is the sender's business, and the care team's
			// (who on the team has seen the client's message); a client
			// sees receipts of their own messages only.
			if row.Mine || actor.Role != care.RoleClient {
				row.Read = "Read " + localTime(m.ReadAt, actor.TimeZone)
			}
		} else {
			row.CanRead = care.IsMessageRecipient(actor, m)
		}
		day := m.SentAt.In(loc).Format(time.DateOnly)
		if n := len(p.Days); n == 0 || p.Days[n-1].Day != day {
			p.Days = append(p.Days, threadDay{Day: day, Label: threadDayLabel(m.SentAt, now, loc)})
		}
		d := &p.Days[len(p.Days)-1]
		d.Messages = append(d.Messages, row)
	}
	if page.More {
		p.More = base + "?before=" + page.Messages[len(page.Messages)-1].ID
	}
	if q.Before != "" {
		p.Newest = base
	}
	status := http.StatusOK
	if me := (modeError{}); errors.As(formErr, &me) && p.ModeForm != nil {
		p.ModeForm.Error, p.ModeForm.Reason = errorMessage(me.error), r.PostForm.Get("reason")
		s.renderPage(w, r, http.StatusBadRequest, "messages", p)
		return nil
	}
	if formErr != nil {
		switch care.ErrorCode(formErr) {
		case care.Invalid:
		case care.Forbidden:
			if actor.Role != care.RoleClient {
				return formErr
			}
			// The messaging mode refused it: say so on the page, with the text kept.
			var ce *care.Error
			errors.As(formErr, &ce)
			p.Error = ce.Message
			s.renderPage(w, r, http.StatusForbidden, "messages", p)
			return nil
		default:
			return formErr
		}
		p.Error, status = formErr.Error(), http.StatusBadRequest
		if ce, ok := errors.AsType[*care.Error](formErr); ok && ce.Field == "file" {
			p.Error, p.FileError = "", ce.Message
		}
		if se, ok := errors.AsType[*statusError](formErr); ok && se.status == http.StatusRequestEntityTooLarge {
			status = http.StatusRequestEntityTooLarge
		}
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
	var text string
	var files []care.Attachment
	if isMultipart(r) {
		var err error
		if text, files, err = s.readCompose(w, r); err != nil {
			return s.renderThread(w, r, actor, clientID, base, text, err)
		}
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, messageFormLimit)
		if err := r.ParseForm(); err != nil {
			return care.Errorf(care.Invalid, "the form could not be read (it may be too long)")
		}
		text = r.PostForm.Get("text")
	}
	m, err := s.sendMessage(r, actor, clientID, text, files)
	if err != nil {
		return s.renderThread(w, r, actor, clientID, base, text, err)
	}
	// The id on every send, so that the address tells nothing of what
	// the message says; the thread shows the crisis banner when the store
	// says this message of the client's raised a flag.
	return redirect(w, r, base+"?sent="+m.ID)
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

// messagePage is one message on its own: every text it has had and, for
// its sender, a form to edit it.
type messagePage struct {
	Layout
	Back     string // the thread
	Message  messageRow
	Versions []messageVersionRow
	Action   string // where the edit form posts; "" when the viewer may not edit
	Text     string
	Error    string
}

// messageVersionRow is one text a message has had.
type messageVersionRow struct {
	Version int
	Text    string
	When    string
	WhenISO string
	Current bool
}

// messageBase is the thread's path for the actor: the client's own at
// /messages, the care team's at /clients/{id}/messages.
func messageBase(r *http.Request, actor care.Actor) (clientID, base string, err error) {
	id := r.PathValue("id")
	switch {
	case id == "" && actor.Role != care.RoleClient:
		return "", "", care.ErrNotFound
	case id == "":
		return actor.UserID, "/messages", nil
	}
	return id, "/clients/" + id + "/messages", nil
}

func (s *Server) renderMessage(w http.ResponseWriter, r *http.Request, actor care.Actor, text string, formErr error) error {
	clientID, base, err := messageBase(r, actor)
	if err != nil {
		return err
	}
	m, vs, err := s.store.MessageVersions(r.Context(), actor, clientID, r.PathValue("mid"))
	if err != nil {
		return err
	}
	p := &messagePage{Layout: s.layout(r, "Message"), Back: base, Text: text,
		Message: messageRow{ID: m.ID, Mine: m.SenderID == actor.UserID, When: localTime(m.SentAt, actor.TimeZone),
			WhenISO: m.SentAt.Format("2006-01-02T15:04:05Z07:00"), Text: m.Text, Edited: m.Edited(), Files: fileRows(&m)}}
	p.Message.From = fromLabel(actor, &m)
	if care.CanEditMessage(actor, &m) {
		p.Action = base + "/" + m.ID
		if text == "" {
			p.Text = m.Text
		}
	}
	for _, v := range vs {
		p.Versions = append(p.Versions, messageVersionRow{Version: v.Version, Text: v.Text, When: localTime(v.WrittenAt, actor.TimeZone),
			WhenISO: v.WrittenAt.Format("2006-01-02T15:04:05Z07:00"), Current: v.EditedAt.IsZero()})
	}
	status := http.StatusOK
	if formErr != nil {
		if care.ErrorCode(formErr) != care.Invalid {
			return formErr
		}
		p.Error, status = formErr.Error(), http.StatusBadRequest
	}
	s.renderPage(w, r, status, "message", p)
	return nil
}

// fromLabel says who sent m, to the viewer.
func fromLabel(actor care.Actor, m *care.Message) string {
	switch {
	case m.SenderRole == care.RoleSystem:
		return "Automatic reply"
	case m.SenderID == actor.UserID:
		return "You"
	case m.SenderRole == care.RoleClient:
		return "Client"
	}
	return "Care team"
}

// GET /messages/{mid} and /clients/{id}/messages/{mid}: a message, its
// earlier texts, and for its sender a form to edit it.
func (s *Server) messageView(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	return s.renderMessage(w, r, actor, "", nil)
}

// POST /messages/{mid} and /clients/{id}/messages/{mid} {text}: the
// sender edits their message.
func (s *Server) messageEditForm(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	clientID, base, err := messageBase(r, actor)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, messageFormLimit)
	if err := r.ParseForm(); err != nil {
		return care.Errorf(care.Invalid, "the form could not be read (it may be too long)")
	}
	text := r.PostForm.Get("text")
	m, err := s.editMessage(r, actor, clientID, r.PathValue("mid"), text)
	if err != nil {
		if care.ErrorCode(err) == care.Invalid {
			return s.renderMessage(w, r, actor, text, err)
		}
		return err
	}
	if m.Crisis {
		// An edit that added crisis words: the thread shows the banner,
		// as after a send.
		return redirect(w, r, base+"?sent="+m.ID+"#m-"+m.ID)
	}
	return redirect(w, r, base+"#m-"+r.PathValue("mid"))
}
