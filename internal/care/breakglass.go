package care

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Break-glass is emergency access (AC-06): an admin, who otherwise sees no
// client record (AC-02), opens one client's record for a short time after
// stating why and proving again who they are. Everything read through the
// grant is audited with PurposeBreakGlass, and the client's care team and
// the clinic's other admins are told at once, to review it afterwards.

// BreakGlassDuration is how long a break-glass grant lasts unless ended
// earlier. It is fixed, not a setting: a longer emergency takes a new
// grant, with a new reason and a new second factor.
const BreakGlassDuration = 60 * time.Minute

// PurposeBreakGlass is the AuditEvent.Purpose of everything done under a
// break-glass grant (FHIR purpose of use BTG).
const PurposeBreakGlass = "break-glass"

// The bounds of a break-glass reason, in characters.
const (
	BreakGlassReasonMin = 10
	BreakGlassReasonMax = 500
)

// CheckBreakGlassReason returns the reason an admin typed, trimmed, or an
// Invalid error naming the field "reason".
func CheckBreakGlassReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		return "", FieldError("reason", "is required: say why you need emergency access")
	case n < BreakGlassReasonMin:
		return "", FieldError("reason", "must be at least %d characters", BreakGlassReasonMin)
	case n > BreakGlassReasonMax:
		return "", FieldError("reason", "must be at most %d characters", BreakGlassReasonMax)
	}
	if !utf8.ValidString(reason) {
		return "", FieldError("reason", "is not valid text")
	}
	return reason, nil
}

// GrantAuditReason is the AuditEvent.Reason of an event under a
// break-glass grant: the grant's id, never the reason's text, which may
// name health details and lives only in the grant.
func GrantAuditReason(grantID string) string { return "grant:" + grantID }
