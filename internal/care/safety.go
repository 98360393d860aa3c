package care

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Safety events (SPEC.md "Safety event", issues #6 and #7): crisis
// language in a client's message or shared journal entry, or a PHQ-9 item
// 9 answer above 0, raises a priority flag for the care team. The flag
// stays open until a provider of the care team acknowledges it with a
// note; it is never silent and never blocks what raised it. The client
// sees crisis resources at once (CrisisResources).

// FlagKind is what raised a safety flag.
type FlagKind string

// The kinds of safety flag.
const (
	FlagCrisisLanguage FlagKind = "crisis_language" // a message or shared journal entry (issue #6)
	FlagPHQ9Item9      FlagKind = "phq9_item9"      // a PHQ-9 response with item 9 above 0 (issue #7)
)

// Valid reports whether k is a known kind.
func (k FlagKind) Valid() bool { return k == FlagCrisisLanguage || k == FlagPHQ9Item9 }

// Label is the kind for people.
func (k FlagKind) Label() string {
	switch k {
	case FlagCrisisLanguage:
		return "Crisis language"
	case FlagPHQ9Item9:
		return "PHQ-9 item 9 (thoughts of self-harm)"
	}
	return string(k)
}

// MaxAckNote is the longest acknowledgement note, in characters.
const MaxAckNote = 2000

// SafetyFlag is one safety flag of a client. The source is named by type
// ("message", "journal_entry", "measure_response") and id; the flag holds
// no content but the acknowledgement note, which is sealed.
type SafetyFlag struct {
	ID             string
	ClinicID       string
	ClientID       string
	Kind           FlagKind
	Level          CrisisLevel    // CrisisAcute (a priority flag) or CrisisConcern
	Item9          int            // a PHQ-9 flag: the item 9 answer that raised it, 1 to 3; else 0
	Screener       ScreenerResult // the follow-up screener's triage (screener.go); "" if not answered
	SourceType     string
	SourceID       string
	RaisedAt       time.Time
	AcknowledgedBy string    // a provider's user id; "" while open
	AcknowledgedAt time.Time // zero while open
	Note           string    // the acknowledgement note
	NotAConcern    bool      // acknowledged as a false alarm: Note says why
	EscalatedAt    time.Time // when it went to the on-call provider; zero if not
	EscalatedTo    string    // the on-call provider it went to; "" if none (then the admins)

	// As the reader sees it: the client's display name, and whether the
	// reader sees the flag only as the on-call provider it escalated to
	// (not on the care team: the flag, not the record).
	ClientName string
	OnCall     bool
}

// LevelLabel is the flag's level for people: "Crisis" or "Concern".
func (f *SafetyFlag) LevelLabel() string {
	if f.Level == CrisisConcern {
		return "Concern"
	}
	return "Crisis"
}

// Item9Answer is the PHQ-9 item 9 answer of a PHQ-9 flag, in the words
// of the questionnaire ("" for another flag).
func (f *SafetyFlag) Item9Answer() string {
	if f.Item9 < 1 || f.Item9 > 3 {
		return ""
	}
	return [...]string{"", "several days", "more than half the days", "nearly every day"}[f.Item9]
}

// Open reports whether nobody has acknowledged f yet.
func (f *SafetyFlag) Open() bool { return f.AcknowledgedAt.IsZero() }

// ValidateAckNote checks an acknowledgement note: what the provider did,
// required, plain text, at most MaxAckNote characters.
func ValidateAckNote(note string) error {
	switch {
	case !utf8.ValidString(note) || strings.ContainsRune(note, 0):
		return FieldError("note", "must be plain text")
	case strings.TrimSpace(note) == "":
		return FieldError("note", "is needed: for example, “Called them; they are safe tonight.”")
	case utf8.RuneCountInString(note) > MaxAckNote:
		return FieldError("note", "must be at most %d characters", MaxAckNote)
	}
	return nil
}

// CanAcknowledgeFlag reports whether actor, who may see the client, may
// acknowledge their flags: a provider of the care team (an admin sees a
// client only through break-glass, read-only).
func CanAcknowledgeFlag(actor Actor) bool { return actor.Role == RoleProvider }

// Escalation (issue #7): a flag nobody acknowledged within the clinic's
// escalation time goes to the clinic's on-call provider, or, with none
// set, to the clinic's admins.
const (
	DefaultEscalationMinutes = 60
	MinEscalationMinutes     = 5
	MaxEscalationMinutes     = 24 * 60
)

// PurposeOnCall is the AuditEvent.Purpose of what the on-call provider
// does with a flag escalated to them, outside the care team.
const PurposeOnCall = "on-call"

// PurposeEscalation is the AuditEvent.Purpose of the system's escalation
// of a flag.
const PurposeEscalation = "safety-escalation"

// SafetySettings are a clinic's settings of the safety-flag workflow.
type SafetySettings struct {
	EscalationMinutes int    // how long a flag may stay unacknowledged before it escalates
	OnCallProviderID  string // "" for none: escalations go to the clinic's admins
}

// Validate checks the settings' own bounds; that the on-call provider is
// an active provider of the clinic is the store's to check.
func (s SafetySettings) Validate() error {
	if s.EscalationMinutes < MinEscalationMinutes || s.EscalationMinutes > MaxEscalationMinutes {
		return FieldError("escalation_minutes", "must be between %d and %d", MinEscalationMinutes, MaxEscalationMinutes)
	}
	if s.OnCallProviderID != "" && !ValidID(s.OnCallProviderID) {
		return FieldError("on_call_provider_id", "is not a provider of the clinic")
	}
	return nil
}

// MaxCrisisLine is the longest clinic crisis line, in characters.
const MaxCrisisLine = 120

// ValidateCrisisLine checks a clinic's crisis line: a short text such as
// "Call (555) 010-0199", or "" for none.
func ValidateCrisisLine(s string) error {
	switch {
	case !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\r\n"):
		return FieldError("crisis_line", "must be one line of plain text")
	case utf8.RuneCountInString(s) > MaxCrisisLine:
		return FieldError("crisis_line", "must be at most %d characters", MaxCrisisLine)
	}
	return nil
}
