package fhir

import (
	"testing"
	"time"
)

// TestParseInstant: a FHIR instant needs seconds and a zone; a date that
// does not exist is refused.
func TestParseInstant(t *testing.T) {
	t.Parallel()
	good := map[string]time.Time{
		"2026-11-01T00:00:00Z":           time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		"2026-11-01T09:30:00+02:00":      time.Date(2026, 11, 1, 7, 30, 0, 0, time.UTC),
		"2026-11-01T00:00:00.5-05:00":    time.Date(2026, 11, 1, 5, 0, 0, 5e8, time.UTC),
		"2024-02-29T23:59:59.123456789Z": time.Date(2024, 2, 29, 23, 59, 59, 123456789, time.UTC),
		"2026-11-01T00:00:00+14:00":      time.Date(2026, 10, 31, 10, 0, 0, 0, time.UTC),
	}
	for s, want := range good {
		got, err := ParseInstant(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseInstant(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{
		"", "2026-11-01", "2026-11-01T00:00:00", "2026-11-01T00:00Z", "2026-11-01T00:00:00z",
		"2026-11-01 00:00:00Z", "2026-11-01T00:00:00 02:00", "2026-11-01T00:00:00+0200", "2026-02-30T00:00:00Z",
		"2026-11-01T24:00:00Z", "2026-11-01T00:00:60Z", "2026-11-01T00:00:00.Z", "2026-11-01T00:00:00.1234567890Z",
		"2026-11-01T00:00:00+14:30", "2026-13-01T00:00:00Z", "yesterday", "2026-11-01T00:00:00Z\n", "+2026-11-01T00:00:00Z",
	} {
		if got, err := ParseInstant(s); err == nil {
			t.Errorf("ParseInstant(%q) = %v, want an error", s, got)
		}
	}
}

// FuzzSinceInstant: the _since parser never panics, and what it accepts
// is a time that formats back to the same instant.
func FuzzSinceInstant(f *testing.F) {
	for _, s := range []string{"2026-11-01T00:00:00Z", "2026-11-01T09:30:00.25+02:00", "2026-11-01", "0000-01-01T00:00:00-14:00", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseInstant(s)
		if err != nil {
			if !got.IsZero() {
				t.Fatalf("ParseInstant(%q) failed but returned %v", s, got)
			}
			return
		}
		if !instantPattern.MatchString(s) {
			t.Fatalf("ParseInstant accepted %q, which is not an instant", s)
		}
		again, err := ParseInstant(got.Format(time.RFC3339Nano))
		if err != nil || !again.Equal(got) {
			t.Fatalf("ParseInstant(%q) = %v, which does not round-trip: %v, %v", s, got, again, err)
		}
	})
}
