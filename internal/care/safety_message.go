package care

import (
	"strings"
	"unicode/utf8"
)

// MaxSafetyMessage is the longest clinic safety message, in characters.
const MaxSafetyMessage = 600

// ValidateSafetyMessage checks a clinic's safety message: what the clinic
// tells a client at once after an answer that raised a safety flag (PHQ-9
// item 9 above 0), beside the crisis resources — plain text, at most
// MaxSafetyMessage characters, or "" for none.
func ValidateSafetyMessage(s string) error {
	switch {
	case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
		return FieldError("safety_message", "must be plain text")
	case utf8.RuneCountInString(s) > MaxSafetyMessage:
		return FieldError("safety_message", "must be at most %d characters", MaxSafetyMessage)
	}
	return nil
}
