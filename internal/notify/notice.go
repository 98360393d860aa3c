package notify

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Kind is what a notification is about. It selects fixed texts: nothing
// of the message or the person reaches them.
type Kind string

// The kinds of notification.
const (
	KindMessage Kind = "message"          // a new message in a thread
	KindCheckIn Kind = "checkin"          // a check-in waits for an answer
	KindMeasure Kind = "measure"          // a questionnaire fell due (issue #7)
	KindSafety  Kind = "safety"           // a safety flag was raised, for the client's care team (issue #7)
	KindJournal Kind = "journal-reminder" // the client's own journaling reminder (issue #18)
	KindTracker Kind = "tracker-reminder" // a tracker the care team assigned fell due (issue #19)
	// KindSafetyEscalated: a safety flag nobody acknowledged in time, for
	// the clinic's on-call provider or admins (issue #7).
	KindSafetyEscalated Kind = "safety-escalated"
	// KindPasswordReset: a link to set a new password, asked for on the
	// sign-in page (issue #17); sent by email only (ResetJobHandler).
	KindPasswordReset Kind = "password-reset"
	// KindEmailConfirm: a link that confirms a new email address (issue
	// #17); sent by email only, to the new address (EmailConfirmJobHandler).
	KindEmailConfirm Kind = "email-confirm"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	_, ok := texts[k]
	return ok
}

type text struct {
	subject, body string
	clientPath    string // where the link leads a client
	staffPath     string // where it leads staff
}

// texts are every notification Interlude sends. They are the only words a
// notification can hold (TS-02): "You have a new message in Interlude" and
// a link, never a name, a message's text or a diagnosis.
var texts = map[Kind]text{
	KindMessage: {
		subject:    "You have a new message in Interlude",
		body:       "You have a new message in Interlude.",
		clientPath: "/messages",
		staffPath:  "/clients",
	},
	KindCheckIn: {
		subject:    "You have a check-in waiting in Interlude",
		body:       "You have a check-in waiting in Interlude.",
		clientPath: "/",
		staffPath:  "/",
	},
	KindMeasure: {
		subject:    "You have a questionnaire waiting in Interlude",
		body:       "You have a questionnaire waiting in Interlude.",
		clientPath: "/measures",
		staffPath:  "/",
	},
	KindJournal: {
		subject:    "A reminder from Interlude",
		body:       "A reminder from Interlude: a moment for your journal.",
		clientPath: "/journal",
		staffPath:  "/",
	},
	KindTracker: {
		subject:    "A reminder from Interlude",
		body:       "A reminder from Interlude: a tracker is ready for you to fill in.",
		clientPath: "/",
		staffPath:  "/",
	},
	KindSafety: {
		subject:    "A client needs your attention in Interlude",
		body:       "A client on your caseload needs your attention in Interlude. Please sign in.",
		clientPath: "/",
		staffPath:  "/safety-flags",
	},
	KindPasswordReset: {
		subject: "Set a new Interlude password",
		body:    "Someone, probably you, asked for a link to set a new password for your Interlude account. The link works once, for 30 minutes:",
	},
	KindEmailConfirm: {
		subject: "Confirm your new Interlude email",
		body:    "Someone, probably you, asked to use this address for an Interlude account. To confirm it, open this link within 24 hours:",
	},
	KindSafetyEscalated: {
		subject:    "A safety flag needs someone in Interlude",
		body:       "A client's safety flag was not acknowledged in time and was passed to you. Please sign in to Interlude.",
		clientPath: "/",
		staffPath:  "/",
	},
}

// Notice is one rendered notification: its subject, plain-text body and
// link.
type Notice struct {
	Kind    Kind
	Subject string
	Body    string
	Link    string
}

// Render returns the notice of kind k for a recipient (staff or not) of
// the Interlude at baseURL.
func Render(k Kind, staff bool, baseURL string) (Notice, error) {
	t, ok := texts[k]
	if !ok {
		return Notice{}, fmt.Errorf("notify: unknown kind %q", k)
	}
	path := t.clientPath
	if staff {
		path = t.staffPath
	}
	return Notice{Kind: k, Subject: t.subject, Body: t.body, Link: strings.TrimSuffix(baseURL, "/") + path}, nil
}

// MailText is the notice as the plain-text body of an email.
func (n Notice) MailText() string {
	switch n.Kind {
	case KindPasswordReset:
		return n.Body + "\r\n\r\n" + n.Link + "\r\n\r\n" +
			"If you did not ask for it, ignore this email: your password stays as it is. A new password does not change your second sign-in step.\r\n"
	case KindEmailConfirm:
		return n.Body + "\r\n\r\n" + n.Link + "\r\n\r\n" +
			"If you did not ask for it, ignore this email: nothing changes.\r\n"
	}
	return n.Body + "\r\n\r\nOpen it here (you may need to sign in):\r\n" + n.Link + "\r\n\r\n" +
		"For your privacy this email says nothing more. You can change which notifications you get, and when, in your account settings.\r\n"
}

// pushPayload is what a service worker receives; static/sw.js shows it.
type pushPayload struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	URL   string `json:"url"`
	Tag   string `json:"tag"`
}

// PushPayload is the notice as the JSON that the service worker shows.
// Notices of one kind share a tag, so that a browser shows one, not a pile.
func (n Notice) PushPayload() []byte {
	b, _ := json.Marshal(pushPayload{Title: "Interlude", Body: n.Body, URL: n.Link, Tag: "interlude-" + string(n.Kind)})
	return b
}
