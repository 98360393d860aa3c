package care

import (
	"slices"
	"time"
)

// Journaling reminders (issue #18): a client chooses, for themselves, the
// weekdays and the time of their local day at which Interlude reminds them
// that a moment for their journal is there, and may turn it off. Like a
// check-in, the time is the client's wall-clock time in their own zone,
// and the reminder is due by the rule of NextCheckIn across daylight-saving
// changes. A reminder is sent at most once a local day, not in the
// client's quiet hours (it waits for their end), and not on a day the
// client already wrote in their journal.

// JournalReminder is one client's reminder choice.
type JournalReminder struct {
	ClientID  string
	On        bool
	Weekdays  []time.Weekday // sorted, each once; kept while off, for the form
	Minute    int            // of the local day: 20*60 is 20:00
	Version   int            // counts changes; a job of an older version does nothing
	UpdatedAt time.Time
}

// DefaultJournalReminder is what a client who never chose sees: off, and
// what the form suggests (every day at 20:00).
func DefaultJournalReminder() JournalReminder {
	return JournalReminder{Minute: 20 * 60, Weekdays: []time.Weekday{
		time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}}
}

// Clock is the reminder's local time as HH:MM.
func (r JournalReminder) Clock() string { return FormatClock(r.Minute) }

// WeekdayMask packs the weekdays in bits (Sunday is bit 0), as stored.
func (r JournalReminder) WeekdayMask() int {
	return CheckInSchedule{Weekdays: r.Weekdays}.WeekdayMask()
}

// Normalize sorts and checks the weekdays and the minute: a reminder
// that is on needs at least one weekday.
func (r *JournalReminder) Normalize() error {
	if r.Minute < 0 || r.Minute >= 24*60 {
		return FieldError("time", "must be a time of day as HH:MM")
	}
	for _, d := range r.Weekdays {
		if d < time.Sunday || d > time.Saturday {
			return FieldError("weekdays", "must be days of the week")
		}
	}
	slices.Sort(r.Weekdays)
	r.Weekdays = slices.Compact(r.Weekdays)
	if r.On && len(r.Weekdays) == 0 {
		return FieldError("weekdays", "choose at least one day, or turn the reminder off")
	}
	return nil
}

// Next returns the first due time of the reminder strictly after after,
// for a client in zone zone (UTC if unknown), and false when it is off.
// Its daylight-saving rule is NextCheckIn's.
func (r JournalReminder) Next(zone string, after time.Time) (time.Time, bool) {
	if !r.On {
		return time.Time{}, false
	}
	return NextCheckIn(CheckInSchedule{Weekdays: r.Weekdays, Minute: r.Minute}, zone, after)
}
