package care

import (
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Attachments of messages (issue #6): JPEG, PNG and PDF files up to
// MaxAttachmentSize, checked by their content (package attach), stored
// sealed under the client's data key and always downloaded as
// attachments.

// MaxAttachmentSize is the largest file a message may carry, in bytes.
const MaxAttachmentSize = 10 << 20

// MaxAttachmentsPerMessage is how many files one message may carry.
const MaxAttachmentsPerMessage = 1

// maxAttachmentName bounds a stored file name, in characters.
const maxAttachmentName = 100

// The content types an attachment may have.
const (
	ContentTypeJPEG = "image/jpeg"
	ContentTypePNG  = "image/png"
	ContentTypePDF  = "application/pdf"
)

// Attachment is a file sent with a message. Data is its content, set only
// when the file itself is sent or opened; a thread lists attachments
// without it.
type Attachment struct {
	ID          string
	MessageID   string
	ClientID    string
	UploaderID  string
	Name        string // a file name for downloading, its extension matching ContentType
	ContentType string // one of the ContentType constants: what the content was checked to be
	Size        int64
	CreatedAt   time.Time
	Data        []byte
}

// AttachmentExt is the file name extension for a content type.
func AttachmentExt(contentType string) string {
	switch contentType {
	case ContentTypeJPEG:
		return ".jpg"
	case ContentTypePNG:
		return ".png"
	case ContentTypePDF:
		return ".pdf"
	}
	return ""
}

// AttachmentName makes a safe download name from the name a file was
// uploaded with: its base name, without control or format characters,
// quotes or path separators, at most 100 characters, and with the
// extension of the content type it was checked to have (a "photo.html"
// that is a PNG is saved as "photo.png").
func AttachmentName(uploaded, contentType string) string {
	if !utf8.ValidString(uploaded) {
		uploaded = strings.ToValidUTF8(uploaded, "")
	}
	uploaded = uploaded[strings.LastIndexAny(uploaded, `/\`)+1:]
	uploaded = strings.TrimSuffix(uploaded, path.Ext(uploaded))
	uploaded = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == '"', r == '\'', r == ';', r == '%':
			return -1
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, uploaded)
	uploaded = strings.Trim(uploaded, " .")
	if n := 0; utf8.RuneCountInString(uploaded) > maxAttachmentName {
		for i := range uploaded {
			if n == maxAttachmentName {
				uploaded = uploaded[:i]
				break
			}
			n++
		}
	}
	if uploaded == "" {
		uploaded = "attachment"
	}
	return uploaded + AttachmentExt(contentType)
}
