package care

import (
	"errors"
	"fmt"
)

// Code classifies a failure for callers; the web package maps each code to
// one HTTP status in one table.
type Code string

// The error codes of API.md.
const (
	Invalid         Code = "invalid"
	Unauthenticated Code = "unauthenticated"
	MFARequired     Code = "mfa_required"
	Forbidden       Code = "forbidden"
	NotFound        Code = "not_found"
	Conflict        Code = "conflict"
	RateLimited     Code = "rate_limited"
	Gone            Code = "gone"            // deleted for good (crypto-shredded)
	Integrity       Code = "integrity_error" // stored data failed its integrity check
	Internal        Code = "internal"
	// StepUpRequired: a sensitive change needs the password (and second
	// factor) confirmed in the last StepUpWindow (issue #17).
	StepUpRequired Code = "step_up_required"
)

// Error is a failure that is safe to show to the caller: its Message never
// holds PHI, only what the caller sent or ids. Field names the offending input
// field, when there is one.
type Error struct {
	Code    Code
	Message string
	Field   string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message. The
// message is shown to users: it must not contain PHI.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an Invalid error naming the offending field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or Internal
// for any other non-nil error.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrNotFound is returned for records that do not exist and for records the
// caller may not see: the two must be indistinguishable (AC-03).
var ErrNotFound = &Error{Code: NotFound, Message: "not found"}
