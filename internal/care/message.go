package care

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Secure messaging (issue #6): each client has one thread with their care
// team. The client and the providers on the care team read and write it;
// an admin reads it only through break-glass and never writes.

// MaxMessageText is the longest message text, in characters.
const MaxMessageText = 5000

// MessagePageSize and MaxMessagePageLimit bound a page of a thread.
const (
	MessagePageSize     = 50
	MaxMessagePageLimit = 200
)

// Message is one message in a client's thread.
type Message struct {
	ID         string
	ClinicID   string
	ClientID   string
	SenderID   string
	SenderRole Role
	SentAt     time.Time
	Text       string
	ReadAt     time.Time // when a recipient first read it; zero if unread

	// Version counts the message's versions, from 1; EditedAt is when its
	// text last changed, zero if it never did.
	Version  int
	EditedAt time.Time

	// Attachments are the files sent with it, without their content.
	Attachments []Attachment

	// Crisis is set on sending when a client's text holds crisis language
	// (CrisisLanguage): the sender is shown crisis resources at once. It
	// is not stored; the safety flag it raised is.
	Crisis bool
	// Flagged reports, on reading, whether the message raised a safety
	// flag (crisis language), for the care team's view of the thread.
	Flagged bool
	// AutoReply is the automatic reply written with a client's message
	// sent outside the care team's office hours, if any.
	AutoReply *Message
}

// Edited reports whether the message's text was edited.
func (m *Message) Edited() bool { return m.Version > 1 }

// MessageVersion is one text a message has had. The current one has a
// zero EditedAt; an earlier one says when it was replaced and by whom.
type MessageVersion struct {
	Version   int
	Text      string
	WrittenAt time.Time // when this text was written
	EditedAt  time.Time // when an edit replaced it; zero for the current text
	EditorID  string    // who replaced it; "" for the current text
}

// CanEditMessage reports whether actor, who may write in m's thread, may
// edit m: only its sender may, and nobody edits an automatic reply.
func CanEditMessage(actor Actor, m *Message) bool {
	return actor.UserID == m.SenderID && m.SenderRole != RoleSystem && CanWriteMessage(actor, m.ClientID)
}

// IsThreadParticipant reports whether actor, who may see client
// clientID's thread, takes part in it: the client and their care team do;
// an admin who sees it through break-glass does not, and so opens no
// attachment and no earlier version.
func IsThreadParticipant(actor Actor, clientID string) bool {
	return CanWriteMessage(actor, clientID)
}

// RoleSystem is the sender role of an automatic reply. Its SenderID is
// the provider on whose behalf it was written (the one who opens next).
const RoleSystem Role = "system"

// ValidateMessageText checks a message's text: plain text, not blank, at
// most MaxMessageText characters.
func ValidateMessageText(text string) error {
	switch {
	case !utf8.ValidString(text):
		return FieldError("text", "must be UTF-8")
	case strings.TrimSpace(text) == "":
		return FieldError("text", "is required")
	case utf8.RuneCountInString(text) > MaxMessageText:
		return FieldError("text", "must be at most %d characters", MaxMessageText)
	case strings.ContainsRune(text, 0):
		return FieldError("text", "must be plain text")
	}
	return nil
}

// CanWriteMessage reports whether actor may write in client clientID's
// thread, given that they may see the client: the client and their care
// team may; an admin (who sees a client only through break-glass) may not.
func CanWriteMessage(actor Actor, clientID string) bool {
	switch actor.Role {
	case RoleClient:
		return actor.UserID == clientID
	case RoleProvider:
		return true
	}
	return false
}

// IsMessageRecipient reports whether actor, who may see the thread, is a
// recipient of m and so may mark it read: the client for the care team's
// messages, a provider of the care team for the client's.
func IsMessageRecipient(actor Actor, m *Message) bool {
	if actor.UserID == m.SenderID {
		return false
	}
	switch actor.Role {
	case RoleClient:
		return actor.UserID == m.ClientID && m.SenderRole != RoleClient
	case RoleProvider:
		return m.SenderRole == RoleClient
	}
	return false
}

// MessageEvent is one event of a thread, as the real-time stream carries
// it: a new message, a read receipt or an edit. Seq orders the events; it carries
// no text.
type MessageEvent struct {
	Seq       int64
	Kind      string // "message", "checkin" (a check-in's question), "read" or "edit"
	ClinicID  string
	ClientID  string
	MessageID string
	UserID    string // the sender or the reader
	At        time.Time
	Audience  []string // the users it is for: the client and their care team

	// Then is an event committed with this one (an automatic reply's),
	// to publish after it.
	Then *MessageEvent
}

// Why a real-time stream lost its authorization (Revocation.Reason).
const (
	RevokeSession  = "session"   // the session ended: signed out, here or everywhere
	RevokeDisabled = "disabled"  // the user was disabled or their record deleted
	RevokeCareTeam = "care-team" // the provider left the client's care team
)

// Revocation says that a change has ended the authorization of some
// real-time streams, which must close at once rather than at their next
// periodic check (issue #6): all the streams of UserID, or only those of
// SessionID, or all but those of KeepSessionID. It carries ids only.
type Revocation struct {
	UserID        string
	SessionID     string // only this session's streams ("": every session of the user)
	KeepSessionID string // every session of the user but this one
	ClientID      string // RevokeCareTeam: the client whose thread the user may no longer see
	Reason        string // RevokeSession, RevokeDisabled or RevokeCareTeam
}

// Matches reports whether r ends the stream of userID's session sessionID.
func (r Revocation) Matches(userID, sessionID string) bool {
	switch {
	case r.UserID != userID:
		return false
	case r.SessionID != "":
		return r.SessionID == sessionID
	case r.KeepSessionID != "":
		return r.KeepSessionID != sessionID
	}
	return true
}
