package web

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"interlude/internal/attach"
	"interlude/internal/care"
)

// Message edits and attachments (issue #6). A file arrives as
// multipart/form-data with the message's "text" (API.md: messages), from
// the compose form or an API client; it is read into memory (never to a
// temporary file: it is PHI in the clear), checked by content (package
// attach: images decoded within a pixel bound and re-encoded without
// their metadata), and only then stored, sealed, with its message. It is
// downloaded only as an attachment, with the type it was checked to have.

// maxComposeBody bounds a multipart compose request: the largest file
// and text, with room for the parts' headers.
const maxComposeBody = care.MaxAttachmentSize + 256<<10

// maxFileChecks bounds how many uploaded files are checked at once:
// decoding an image may take up to about 130 MB (attach.MaxPixels).
const maxFileChecks = 2

// isMultipart reports whether r carries multipart/form-data.
func isMultipart(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// tooLarge is the answer to a file over care.MaxAttachmentSize.
func tooLarge() error {
	return &statusError{status: http.StatusRequestEntityTooLarge,
		err: care.FieldError("file", "is larger than %d MB", care.MaxAttachmentSize>>20)}
}

// readCompose reads a multipart compose request: a "text" field and at
// most one "file". A file input left empty sends a part with no file
// name and no content; it is no file. Nothing is stored here: the files
// returned are checked, renamed after their type and ready to send. A
// refused file still returns the text read before it, for the form.
func (s *Server) readCompose(w http.ResponseWriter, r *http.Request) (text string, files []care.Attachment, err error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxComposeBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return "", nil, care.Errorf(care.Invalid, "the form could not be read")
	}
	sawText := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return "", nil, tooLarge()
			}
			return "", nil, care.Errorf(care.Invalid, "the form could not be read")
		}
		switch part.FormName() {
		case "text":
			if sawText {
				return "", nil, care.FieldError("text", "is given twice")
			}
			b, err := io.ReadAll(io.LimitReader(part, maxMessageBody+1))
			if err != nil || len(b) > maxMessageBody {
				return "", nil, care.FieldError("text", "must be at most %d characters", care.MaxMessageText)
			}
			text, sawText = string(b), true
		case "file":
			data, err := io.ReadAll(io.LimitReader(part, care.MaxAttachmentSize+1))
			if err != nil {
				if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
					return text, nil, tooLarge()
				}
				return text, nil, care.Errorf(care.Invalid, "the file could not be read")
			}
			if len(data) > care.MaxAttachmentSize {
				return text, nil, tooLarge()
			}
			if len(data) == 0 && part.FileName() == "" {
				continue // an empty file input
			}
			if len(files) == care.MaxAttachmentsPerMessage {
				return text, nil, care.FieldError("file", "at most %d file can go with a message", care.MaxAttachmentsPerMessage)
			}
			a, err := s.checkFile(r, part.FileName(), data)
			if err != nil {
				return text, nil, err
			}
			files = append(files, a)
		case formTokenField: // formOnce's (forms.go)
		default:
			return text, nil, care.Errorf(care.Invalid, "the form has an unknown field")
		}
	}
	return text, files, nil
}

// checkFile checks an uploaded file by content, at most maxFileChecks at
// a time.
func (s *Server) checkFile(r *http.Request, name string, data []byte) (care.Attachment, error) {
	select {
	case s.fileChecks <- struct{}{}:
		defer func() { <-s.fileChecks }()
	case <-r.Context().Done():
		return care.Attachment{}, r.Context().Err()
	}
	typ, out, err := attach.Check(data)
	if err != nil {
		return care.Attachment{}, err
	}
	return care.Attachment{Name: care.AttachmentName(name, typ), ContentType: typ, Data: out}, nil
}

// attachmentPath is where an attachment is downloaded; the web pages link
// to it too (a cookie session authenticates it).
func attachmentPath(clientID, messageID, attachmentID string) string {
	return "/api/v1/clients/" + clientID + "/messages/" + messageID + "/attachments/" + attachmentID
}

// GET /api/v1/clients/{id}/messages/{mid}/attachments/{aid}: the file,
// always as an attachment (never shown inline, so it never runs as a page
// of this origin), with the type it was checked to have, never sniffed.
func (s *Server) apiAttachment(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	a, err := s.store.Attachment(r.Context(), actor, r.PathValue("id"), r.PathValue("mid"), r.PathValue("aid"))
	if err != nil {
		return err
	}
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": a.Name})
	if disposition == "" {
		disposition = "attachment"
	}
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("Content-Disposition", disposition)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(a.Data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = io.Copy(w, bytes.NewReader(a.Data))
	}
	return nil
}

// fileSize says a size for people: "820 KB", "2.4 MB".
func fileSize(n int64) string {
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10) + " bytes"
	case n < 1000*1000:
		return strconv.FormatInt((n+500)/1000, 10) + " KB"
	}
	s := strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + " MB"
}

// fileKind names a content type for people.
func fileKind(contentType string) string {
	switch contentType {
	case care.ContentTypeJPEG:
		return "JPEG image"
	case care.ContentTypePNG:
		return "PNG image"
	case care.ContentTypePDF:
		return "PDF document"
	}
	return "file"
}
