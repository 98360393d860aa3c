package fhir

import (
	"errors"
	"regexp"
	"time"
)

// instantPattern is the FHIR R4 instant's lexical form: a date and time
// to the second, an optional fraction, and a zone (Z or ±hh:mm).
var instantPattern = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$`)

// ErrInstant is what ParseInstant says of a value that is not a FHIR
// instant. It never repeats the value.
var ErrInstant = errors.New("must be a FHIR instant: a date and time to the second with its zone, e.g. 2026-11-01T00:00:00Z or 2026-11-01T09:30:00+02:00 (send + as %2B in a URL)")

// ParseInstant parses a FHIR instant (e.g. a Bulk Data _since) strictly:
// seconds and the zone are required, a fraction of up to nine digits is
// allowed, and the date must exist (no 30 February). A leap second (:60)
// is refused: Go's time has none.
func ParseInstant(s string) (time.Time, error) {
	if !instantPattern.MatchString(s) {
		return time.Time{}, ErrInstant
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, ErrInstant
	}
	return t, nil
}
