package web

import (
	"bytes"
	"context"
	"image/jpeg"
	"image/png"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"

	"interlude/internal/attach"
	"interlude/internal/attach/attachtest"
	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// ---- The authorization matrix (authz_test.go) ----

// messageBy stores a message, with files if given, in the thread of the
// client in relation tg to the caller: sent by the caller where they may
// write there (so that they may edit it), else by the thread's client.
// Where the target is not a client, it is a message of A.Client's thread.
func (w *authzWorld) messageBy(t *testing.T, c caller, tg target, files ...care.Attachment) (clientID, messageID, attachmentID string) {
	t.Helper()
	u := w.user(c, tg)
	if tg == tMissing {
		return u.ID, care.NewID(), care.NewID()
	}
	clinic := w.a
	if u.ClinicID == w.b.Clinic.ID {
		clinic = w.b
	}
	thread, sender := u, u
	switch {
	case u.Role != care.RoleClient:
		thread, sender = w.a.Client, w.a.Client
	case c == asProvider && tg == tTeam:
		sender = w.users[c]
	}
	m := care.Message{Text: "matrix", Attachments: files}
	if _, err := w.e.db.Store.SendMessage(context.Background(), clinic.Actor(sender), thread.ID, &m); err != nil {
		t.Fatal(err)
	}
	if clinic == w.b {
		w.foreign = append(w.foreign, m.ID)
	}
	if len(m.Attachments) > 0 {
		attachmentID = m.Attachments[0].ID
	}
	return u.ID, m.ID, attachmentID
}

// checkedPNG is a small PNG as the server stores it.
func checkedPNG(t *testing.T) care.Attachment {
	t.Helper()
	typ, out, err := attach.Check(attachtest.PNGWithText())
	if err != nil {
		t.Fatal(err)
	}
	return care.Attachment{Name: "matrix.png", ContentType: typ, Data: out}
}

var (
	messageEditRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		id, mid, _ := w.messageBy(t, c, tg)
		return "/api/v1/clients/" + id + "/messages/" + mid, map[string]string{"text": "edited in the matrix"}
	}}
	messageVersionsRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		id, mid, _ := w.messageBy(t, c, tg)
		return "/api/v1/clients/" + id + "/messages/" + mid + "/versions", nil
	}}
	attachmentRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		id, mid, aid := w.messageBy(t, c, tg, checkedPNG(t))
		return attachmentPath(id, mid, aid), nil
	}}
)

// ---- Page sample for TestEveryPageTemplate ----

func messagePageSample(l Layout) *messagePage {
	return &messagePage{Layout: l, Back: "/messages", Action: "/messages/m1", Text: planXSS, Error: "Text is required.",
		Message: messageRow{ID: "m1", From: "You", When: "Mon", WhenISO: "2026-11-20T10:00:00Z", Text: planXSS, Edited: true,
			Files: []fileRow{{Name: planXSS + ".png", Kind: "PNG image", Size: "2 KB", URL: "/api/v1/clients/c1/messages/m1/attachments/a1"}}},
		Versions: []messageVersionRow{{Version: 2, Text: planXSS, When: "Mon", WhenISO: "2026-11-20T10:00:00Z", Current: true},
			{Version: 1, Text: "Before", When: "Mon", WhenISO: "2026-11-20T09:00:00Z"}}}
}

// ---- Requests ----

// multipartBody is a compose form: text, and a file when name is not "".
func multipartBody(t *testing.T, text, name string, data []byte) (body []byte, contentType string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if err := mw.WriteField("text", text); err != nil {
		t.Fatal(err)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+name+`"`)
	h.Set("Content-Type", "application/octet-stream")
	fw, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), mw.FormDataContentType()
}

func (m *messagesEnv) upload(t *testing.T, path, token, text, name string, data []byte) *httptest.ResponseRecorder {
	t.Helper()
	body, ct := multipartBody(t, text, name, data)
	return m.webEnv.send(t, envRequest{method: "POST", path: path, token: token, body: body, contentType: ct})
}

func (m *messagesEnv) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := m.db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// download fetches an attachment and checks the headers every download
// carries: always an attachment, the checked type, never sniffed.
func (m *messagesEnv) download(t *testing.T, a attachmentJSON, token string) []byte {
	t.Helper()
	rec := m.call(t, "GET", a.URL, token, nil)
	expect(t, rec, http.StatusOK, "", "downloading "+a.Name)
	h := rec.Header()
	if h.Get("Content-Type") != a.ContentType || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("download headers: %v", h)
	}
	d, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
	if err != nil || d != "attachment" || params["filename"] != a.Name {
		t.Errorf("Content-Disposition %q", h.Get("Content-Disposition"))
	}
	return rec.Body.Bytes()
}

// TestMessageAttachmentsAPI (issue #6, IV-05, EN-01, AC-03): files sent
// through the API and the compose form are checked by content, cleaned of
// metadata, downloaded as attachments by the thread's participants only;
// anything else is refused with a clear error and nothing is stored.
func TestMessageAttachmentsAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		m := newMessagesEnv(t, db)

		// A JPEG with EXIF GPS, through the API: stored without it.
		rec := m.upload(t, m.path, m.client, "A photo of my worksheet", "IMG_0001.JPG", attachtest.JPEGWithGPS())
		expect(t, rec, http.StatusCreated, "", "sending a JPEG")
		sent := respJSON[messageJSON](t, rec)
		if len(sent.Attachments) != 1 || sent.Attachments[0].ContentType != "image/jpeg" || sent.Attachments[0].Name != "IMG_0001.jpg" {
			t.Fatalf("sent: %s", rec.Body)
		}
		jpg := m.download(t, sent.Attachments[0], m.provider)
		if bytes.Contains(jpg, []byte("Exif")) || bytes.Contains(jpg, []byte(attachtest.Canary)) {
			t.Error("the downloaded JPEG carries its EXIF GPS")
		}
		if _, err := jpeg.Decode(bytes.NewReader(jpg)); err != nil {
			t.Errorf("the downloaded JPEG: %v", err)
		}
		if got := m.download(t, sent.Attachments[0], m.client); !bytes.Equal(got, jpg) {
			t.Error("the client downloads other bytes")
		}

		// A PNG with text chunks, through the provider's compose form.
		db.Clock.Advance(time.Second)
		page := "/clients/" + m.c.Client.ID + "/messages"
		rec = m.upload(t, page, m.provider, "Here is the diagram", "diagram.png", attachtest.PNGWithText())
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("the compose form with a PNG: %d %s", rec.Code, rec.Body)
		}
		list := respJSON[messageListJSON](t, m.call(t, "GET", m.path, m.client, nil))
		if len(list.Messages) != 2 || len(list.Messages[0].Attachments) != 1 || list.Messages[0].Attachments[0].Name != "diagram.png" {
			t.Fatalf("the thread: %+v", list.Messages)
		}
		pngFile := list.Messages[0].Attachments[0]
		got := m.download(t, pngFile, m.client)
		for _, s := range []string{"tEXt", "iTXt", "eXIf", attachtest.Canary} {
			if bytes.Contains(got, []byte(s)) {
				t.Errorf("the downloaded PNG holds %q", s)
			}
		}
		if _, err := png.Decode(bytes.NewReader(got)); err != nil {
			t.Errorf("the downloaded PNG: %v", err)
		}
		body := m.call(t, "GET", page, m.provider, nil).Body.String()
		if !strings.Contains(body, pngFile.URL) || !strings.Contains(body, "diagram.png") || !strings.Contains(body, `enctype="multipart/form-data"`) {
			t.Errorf("the thread page lacks the file or the file input: %s", body)
		}

		// Refused, with nothing stored: an HTML page named .png, a file
		// over 10 MB; through the API and the form.
		messages, files := m.count(t, "messages"), m.count(t, "message_attachments")
		rec = m.upload(t, m.path, m.client, "look", "photo.png", attachtest.HTML())
		expect(t, rec, http.StatusBadRequest, "invalid", "an HTML file named .png")
		if e := respError(rec).Error; e.Field != "file" || !strings.Contains(e.Message, "must be a JPEG or PNG image or a PDF document") {
			t.Errorf("the refusal: %s", rec.Body)
		}
		rec = m.upload(t, "/messages", m.client, "look", "photo.png", attachtest.HTML())
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "The file must be a JPEG or PNG image or a PDF document") ||
			!strings.Contains(rec.Body.String(), `aria-invalid="true"`) || !strings.Contains(rec.Body.String(), ">look</textarea>") {
			t.Errorf("the form with an HTML file: %d %s", rec.Code, rec.Body)
		}
		big := append(attachtest.PDF(), make([]byte, care.MaxAttachmentSize)...)
		rec = m.upload(t, m.path, m.client, "big", "big.pdf", big)
		expect(t, rec, http.StatusRequestEntityTooLarge, "invalid", "a file over 10 MB")
		if e := respError(rec).Error; e.Field != "file" || !strings.Contains(e.Message, "larger than 10 MB") {
			t.Errorf("the refusal: %s", rec.Body)
		}
		rec = m.upload(t, "/messages", m.client, "big", "big.pdf", big)
		if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "The file is larger than 10 MB") {
			t.Errorf("the form with a file over 10 MB: %d", rec.Code)
		}
		if m.count(t, "messages") != messages || m.count(t, "message_attachments") != files {
			t.Error("a refused file left rows behind")
		}

		// A PDF through the API, kept as it is.
		rec = m.upload(t, m.path, m.client, "the form", "form.pdf", attachtest.PDF())
		expect(t, rec, http.StatusCreated, "", "sending a PDF")
		if got := m.download(t, respJSON[messageJSON](t, rec).Attachments[0], m.provider); !bytes.Equal(got, attachtest.PDF()) {
			t.Error("the PDF changed")
		}

		// Another client's provider: exactly as a missing file.
		missing := m.call(t, "GET", attachmentPath(m.c.Client.ID, sent.ID, care.NewID()), m.other, nil)
		expect(t, missing, http.StatusNotFound, "not_found", "a missing file")
		rec = m.call(t, "GET", sent.Attachments[0].URL, m.other, nil)
		expect(t, rec, http.StatusNotFound, "not_found", "another client's provider downloading")
		if rec.Body.String() != missing.Body.String() {
			t.Errorf("another provider: %s; a missing file: %s", rec.Body, missing.Body)
		}
		expect(t, m.call(t, "GET", sent.Attachments[0].URL, "", nil), http.StatusUnauthorized, "unauthenticated", "signed out")

		// Downloads are audited.
		var reads, denied int
		rows, err := db.Engine.SQLDB().Query(`SELECT outcome FROM audit_events WHERE action = 'attachment.read' AND entity_id = $1`, sent.Attachments[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var o string
			if err := rows.Scan(&o); err != nil {
				t.Fatal(err)
			}
			if o == "success" {
				reads++
			} else {
				denied++
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if reads != 2 || denied != 1 {
			t.Errorf("audited downloads: %d, denied %d", reads, denied)
		}
	})
}

// TestMessageEditsAPI (issue #6): the sender edits through the API and
// the message's page; the thread shows "edited"; participants see the
// versions; the edit reaches the stream as an event with ids only.
func TestMessageEditsAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		m := newMessagesEnv(t, db)
		ts := httptest.NewServer(m.srv.Handler())
		t.Cleanup(ts.Close)
		sent := m.send(t, m.client, "Can we move Thursday?")
		prov := openStream(t, ts.URL, m.provider, "")
		db.Clock.Advance(time.Minute)

		path := m.path + "/" + sent.ID
		rec := m.call(t, "PATCH", path, m.client, map[string]string{"text": "Can we move Thursday to 3pm, words-edited?"})
		expect(t, rec, http.StatusOK, "", "the sender edits")
		edited := respJSON[messageJSON](t, rec)
		if edited.Version != 2 || edited.EditedAt == nil || edited.Text != "Can we move Thursday to 3pm, words-edited?" {
			t.Errorf("edited: %s", rec.Body)
		}
		ev := prov.next(t, "the edit event")
		if ev.event == "message" && strings.Contains(ev.data, sent.ID) {
			// On PostgreSQL the message's own NOTIFY can reach the
			// instance after the stream opened: it comes first, once.
			ev = prov.next(t, "the edit event")
		}
		if ev.event != "edit" || !strings.Contains(ev.data, sent.ID) || !strings.Contains(ev.data, `"editor_id":"`+m.c.Client.ID) || strings.Contains(ev.data, "words-edited") {
			t.Errorf("edit event: %+v", ev)
		}
		expect(t, m.call(t, "PATCH", path, m.provider, map[string]string{"text": "x"}), http.StatusForbidden, "forbidden", "the provider editing the client's message")
		expect(t, m.call(t, "PATCH", path, m.client, map[string]string{"text": strings.Repeat("x", care.MaxMessageText+1)}), http.StatusBadRequest, "invalid", "too long")
		expect(t, m.call(t, "PATCH", path, m.other, map[string]string{"text": "x"}), http.StatusNotFound, "not_found", "another provider")

		rec = m.call(t, "GET", path+"/versions", m.provider, nil)
		expect(t, rec, http.StatusOK, "", "the versions")
		vs := respJSON[struct {
			Versions []messageVersionJSON `json:"versions"`
		}](t, rec)
		if len(vs.Versions) != 2 || vs.Versions[1].Text != "Can we move Thursday?" || vs.Versions[1].EditorID != m.c.Client.ID || vs.Versions[0].EditedAt != nil {
			t.Errorf("versions: %s", rec.Body)
		}
		expect(t, m.call(t, "GET", path+"/versions", m.other, nil), http.StatusNotFound, "not_found", "another provider's versions")

		// Pages: the thread says edited and links to the versions; the
		// sender edits from the message's page.
		body := m.call(t, "GET", "/clients/"+m.c.Client.ID+"/messages", m.provider, nil).Body.String()
		if !strings.Contains(body, `class="edited"`) || !strings.Contains(body, "/clients/"+m.c.Client.ID+"/messages/"+sent.ID) {
			t.Errorf("the thread page does not say edited: %s", body)
		}
		rec = m.call(t, "GET", "/messages/"+sent.ID, m.client, nil)
		expect(t, rec, http.StatusOK, "", "the client's message page")
		if b := rec.Body.String(); !strings.Contains(b, "Can we move Thursday?") || !strings.Contains(b, `action="/messages/`+sent.ID+`"`) {
			t.Errorf("the message page: %s", b)
		}
		rec = m.call(t, "GET", "/clients/"+m.c.Client.ID+"/messages/"+sent.ID, m.provider, nil)
		if b := rec.Body.String(); rec.Code != 200 || strings.Contains(b, "Edit your message") || !strings.Contains(b, "Can we move Thursday?") {
			t.Errorf("the provider's message page: %d %s", rec.Code, b)
		}
		rec = m.send2(t, "/messages/"+sent.ID, m.client, url.Values{"text": {"Third version"}}.Encode())
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("editing through the form: %d %s", rec.Code, rec.Body)
		}
		rec = m.send2(t, "/messages/"+sent.ID, m.client, url.Values{"text": {" "}}.Encode())
		expect(t, rec, http.StatusBadRequest, "", "an empty edit through the form")
		expect(t, m.call(t, "GET", "/messages/"+sent.ID, m.provider, nil), http.StatusNotFound, "", "a provider at /messages/{mid}")
		if ev := prov.next(t, "the form's edit"); ev.event != "edit" {
			t.Errorf("the form's edit: %+v", ev)
		}
	})
}
