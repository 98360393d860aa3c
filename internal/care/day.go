package care

import (
	"time"
)

// Day is a calendar day, "YYYY-MM-DD", in nobody's time zone: a task is
// due on a day, and a daily task occurs once on every day, however long
// the day is where the client lives. The zero Day ("") is no day. Turning
// an instant into a Day needs a time zone (DayIn); stepping from day to
// day does not, so daylight saving time never skips or doubles a day.
type Day string

// dayLayout is the only form of a Day.
const dayLayout = "2006-01-02"

// ParseDay reads a YYYY-MM-DD day. Anything else, a day that does not
// exist ("2026-02-30") included, is an error.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(dayLayout, s)
	if err != nil || t.Format(dayLayout) != s || t.Year() < 1900 {
		return "", Errorf(Invalid, "must be a date as YYYY-MM-DD")
	}
	return Day(s), nil
}

// parseOptionalDay is ParseDay that lets "" through, naming field on
// failure.
func parseOptionalDay(field, s string) (Day, error) {
	if s == "" {
		return "", nil
	}
	d, err := ParseDay(s)
	if err != nil {
		return "", FieldError(field, "must be a date as YYYY-MM-DD")
	}
	return d, nil
}

// DayIn is the day that instant t falls on in the time zone named zone
// (UTC if the name is unknown).
func DayIn(t time.Time, zone string) Day {
	return Day(t.In(Location(zone)).Format(dayLayout))
}

// Location loads the IANA time zone name, or UTC when it names none.
func Location(zone string) *time.Location {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Time is the day's midnight in UTC: only for calendar arithmetic.
func (d Day) Time() time.Time {
	t, _ := time.Parse(dayLayout, string(d))
	return t
}

// AddDays is the day n days after d (before, for negative n).
func (d Day) AddDays(n int) Day {
	return Day(d.Time().AddDate(0, 0, n).Format(dayLayout))
}

// Weekday is the day of the week d is.
func (d Day) Weekday() time.Weekday { return d.Time().Weekday() }

// Before reports whether d comes before e. Days compare as strings.
func (d Day) Before(e Day) bool { return d < e }

// String returns the day as YYYY-MM-DD.
func (d Day) String() string { return string(d) }

// Format formats the day with a time layout ("Mon 2 Jan").
func (d Day) Format(layout string) string {
	if d == "" {
		return ""
	}
	return d.Time().Format(layout)
}
