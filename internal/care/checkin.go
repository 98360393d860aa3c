package care

import (
	"slices"
	"strings"
	"time"
)

// Check-ins (SPEC.md "Domain", issue #6): a provider sets, per client, the
// weekdays and the local time at which the client is asked "How are you
// doing today?". The time is the client's wall-clock time in their own zone,
// so an 18:00 check-in stays at 18:00 for the client across daylight-saving
// changes. The client answers with one tap (mood 0..10) and optional text;
// the answer becomes a journal entry shared with the care team. A check-in
// not answered before the next one is due, or within CheckInWindow, is
// missed.

// CheckInPrompt is the question a check-in asks.
const CheckInPrompt = "How are you doing today?"

// CheckInWindow is the longest a check-in stays open for an answer.
const CheckInWindow = 24 * time.Hour

// MaxCheckInText bounds the optional text of an answer, in code points.
const MaxCheckInText = MaxEntryText

// CheckInSchedule is a client's check-in schedule.
type CheckInSchedule struct {
	ClientID  string
	Weekdays  []time.Weekday // sorted, each once; empty: no check-ins
	Minute    int            // of the local day: 18*60 is 18:00
	Version   int            // counts changes; a job of an older version does nothing
	SetBy     string         // the provider who set it last: check-ins come from them
	UpdatedAt time.Time
}

// Active reports whether the schedule asks for any check-in.
func (s CheckInSchedule) Active() bool { return len(s.Weekdays) > 0 }

// Clock is the schedule's local time as HH:MM.
func (s CheckInSchedule) Clock() string { return FormatClock(s.Minute) }

// WeekdayMask packs the weekdays in bits (Sunday is bit 0), as stored.
func (s CheckInSchedule) WeekdayMask() int {
	m := 0
	for _, d := range s.Weekdays {
		m |= 1 << d
	}
	return m
}

// WeekdaysFromMask unpacks WeekdayMask.
func WeekdaysFromMask(m int) []time.Weekday {
	var out []time.Weekday
	for d := time.Sunday; d <= time.Saturday; d++ {
		if m&(1<<d) != 0 {
			out = append(out, d)
		}
	}
	return out
}

// ParseWeekday reads a weekday's English name or its first three letters,
// in any case ("mon", "Monday").
func ParseWeekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if s == name || (len(s) == 3 && s == name[:3]) {
			return d, true
		}
	}
	return 0, false
}

// NormalizeCheckInSchedule sorts and checks a schedule's weekdays and
// minute.
func NormalizeCheckInSchedule(s *CheckInSchedule) error {
	if s.Minute < 0 || s.Minute >= 24*60 {
		return FieldError("time", "must be a time of day as HH:MM")
	}
	for _, d := range s.Weekdays {
		if d < time.Sunday || d > time.Saturday {
			return FieldError("weekdays", "must be days of the week")
		}
	}
	slices.Sort(s.Weekdays)
	s.Weekdays = slices.Compact(s.Weekdays)
	return nil
}

// NextCheckIn returns the first due time of the schedule strictly after
// after, for a client in time zone zone (UTC if unknown), and false when the
// schedule has no weekday.
//
// Daylight saving time: a due time is the client's wall-clock time on a
// scheduled day. On the day clocks spring forward, a time in the skipped
// hour (02:30 in New York or Berlin) does not exist: the check-in is due at
// the instant the clocks jump (03:00 new time), the first moment at which
// the wall clock has passed the scheduled time. On the day clocks fall
// back, a time in the repeated hour (01:30 in New York, 02:30 in Berlin)
// exists twice: the check-in is due once, at the first (the earlier
// instant, still daylight time).
func NextCheckIn(s CheckInSchedule, zone string, after time.Time) (time.Time, bool) {
	if !s.Active() {
		return time.Time{}, false
	}
	loc := Location(zone)
	local := after.In(loc)
	// A day back covers a due time of the previous local day that is
	// still ahead of after (it cannot be, but the cost is one check).
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	for range 9 {
		if slices.Contains(s.Weekdays, day.Weekday()) {
			if due := wallTime(day, s.Minute, loc); due.After(after) {
				return due.UTC(), true
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return time.Time{}, false // unreachable: every week has each weekday
}

// wallTime is the instant at which the wall clock of loc shows minute
// (of the day) on the calendar day of day (a UTC midnight), by the rule of
// NextCheckIn for times that do not exist or exist twice.
func wallTime(day time.Time, minute int, loc *time.Location) time.Time {
	wall := day.Add(time.Duration(minute) * time.Minute) // the wall clock, as if in UTC
	// The offsets in force around that day: a day has at most one
	// transition in every zone in use.
	before := offsetAt(wall.Add(-36*time.Hour), loc)
	after := offsetAt(wall.Add(36*time.Hour), loc)
	var found []time.Time
	for _, off := range []int{before, after} {
		u := wall.Add(-time.Duration(off) * time.Second)
		if l := u.In(loc); l.Year() == wall.Year() && l.YearDay() == wall.YearDay() &&
			l.Hour()*60+l.Minute() == minute && l.Second() == 0 {
			found = append(found, u)
		}
	}
	if len(found) > 0 {
		return slices.MinFunc(found, func(a, b time.Time) int { return a.Compare(b) })
	}
	// The time falls in a gap: the clocks jumped over it. Due at the jump,
	// which ends the zone in force just before the wall time (as read
	// with the earlier offset, the instant lies after the jump; with the
	// later, before it).
	early := wall.Add(-time.Duration(after) * time.Second)
	_, end := early.In(loc).ZoneBounds()
	if end.IsZero() {
		return wall.Add(-time.Duration(before) * time.Second)
	}
	return end
}

func offsetAt(t time.Time, loc *time.Location) int {
	_, off := t.In(loc).Zone()
	return off
}

// CheckInStatus is where a check-in stands.
type CheckInStatus string

// Check-in states.
const (
	CheckInOpen     CheckInStatus = "open"     // sent, awaiting an answer
	CheckInAnswered CheckInStatus = "answered" // answered in time
	CheckInMissed   CheckInStatus = "missed"   // not answered before it closed
)

// CheckIn is one due check-in of a client.
type CheckIn struct {
	ID         string
	ClinicID   string
	ClientID   string
	DueAt      time.Time
	ClosesAt   time.Time // the next due time, or DueAt+CheckInWindow, whichever is first
	SentAt     time.Time // when it was sent; zero if it had closed before it could be
	MessageID  string    // the thread message that asked; "" if not sent
	AnsweredAt time.Time
	EntryID    string // the journal entry of the answer
	Mood       *int   // the answer's mood, for the care team's list (from the entry)
}

// Status is the check-in's state at now.
func (c CheckIn) Status(now time.Time) CheckInStatus {
	switch {
	case !c.AnsweredAt.IsZero():
		return CheckInAnswered
	case !now.Before(c.ClosesAt):
		return CheckInMissed
	}
	return CheckInOpen
}

// CheckInClosesAt is when the check-in due at due, whose next occurrence
// is next (zero if none), stops taking an answer.
func CheckInClosesAt(due, next time.Time) time.Time {
	closes := due.Add(CheckInWindow)
	if !next.IsZero() && next.Before(closes) {
		closes = next
	}
	return closes
}

// CanSetCheckIns reports whether actor, who sees the client, may set their
// check-in schedule: providers of the care team.
func CanSetCheckIns(actor Actor) bool { return actor.Role == RoleProvider }
