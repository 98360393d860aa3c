package care

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Boundaries (SPEC.md "Boundaries", issue #6): each provider keeps office
// hours and says how soon they answer; a client's message outside the
// office hours of their whole care team gets one automatic reply per
// out-of-hours period, saying when to expect an answer and where to get
// help now. A provider sets how the client may write: open, reply-only or
// paused.

// Interval is a span of one day in minutes from midnight, local time:
// Start < End, End at most 24:00.
type Interval struct{ Start, End int }

// String is "09:00-17:00".
func (iv Interval) String() string { return hhmm(iv.Start) + "-" + hhmm(iv.End) }

func hhmm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// OfficeHours are a provider's office hours, by time.Weekday, in their
// own time zone, and what they tell clients about answering.
type OfficeHours struct {
	ProviderID   string
	ProviderName string // for the client's compose box
	TimeZone     string // the provider's IANA zone
	Days         [7][]Interval
	ResponseTime string // e.g. "within 1 business day"; "" if not said
}

// MaxResponseTime is the longest response-time text, in characters.
const MaxResponseTime = 120

// Weekdays are the days in the order a week is shown, Monday first.
var Weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// Validate checks and normalizes h: each day's intervals in order, not
// overlapping, within the day; a one-line response time.
func (h *OfficeHours) Validate() error {
	for d := range h.Days {
		ivs := h.Days[d]
		slices.SortFunc(ivs, func(a, b Interval) int { return a.Start - b.Start })
		name := strings.ToLower(time.Weekday(d).String())
		for i, iv := range ivs {
			if iv.Start < 0 || iv.End > 24*60 || iv.Start >= iv.End {
				return FieldError("hours."+name, "%s is not a span of the day (start before end, 00:00 to 24:00)", iv)
			}
			if i > 0 && iv.Start < ivs[i-1].End {
				return FieldError("hours."+name, "%s overlaps %s", iv, ivs[i-1])
			}
		}
		if len(ivs) > 12 {
			return FieldError("hours."+name, "at most 12 spans a day")
		}
	}
	h.ResponseTime = strings.TrimSpace(h.ResponseTime)
	switch {
	case !utf8.ValidString(h.ResponseTime) || strings.ContainsAny(h.ResponseTime, "\x00\r\n"):
		return FieldError("response_time", "must be one line of plain text")
	case utf8.RuneCountInString(h.ResponseTime) > MaxResponseTime:
		return FieldError("response_time", "must be at most %d characters", MaxResponseTime)
	}
	return nil
}

// Empty reports whether h has no office hours at all.
func (h *OfficeHours) Empty() bool {
	for _, d := range h.Days {
		if len(d) > 0 {
			return false
		}
	}
	return true
}

func (h *OfficeHours) location() *time.Location {
	if loc, err := time.LoadLocation(h.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// NextOpen returns t if h is open at t, else the start of h's next
// office hours after t; ok is false if h has none. Times are built in
// h's zone day by day, so they are right across daylight-saving changes
// (an interval starting in a skipped hour starts when the clock resumes).
func (h *OfficeHours) NextOpen(t time.Time) (next time.Time, ok bool) {
	loc := h.location()
	lt := t.In(loc)
	y, m, d := lt.Date()
	for i := -1; i <= 7; i++ { // from the day before: an interval ending at 24:00 may hold t
		day := time.Date(y, m, d+i, 12, 0, 0, 0, loc)
		dy, dm, dd := day.Date()
		for _, iv := range h.Days[day.Weekday()] {
			start := time.Date(dy, dm, dd, iv.Start/60, iv.Start%60, 0, 0, loc)
			end := time.Date(dy, dm, dd, iv.End/60, iv.End%60, 0, 0, loc)
			if !t.Before(start) && t.Before(end) {
				return t, true
			}
			if start.After(t) && (!ok || start.Before(next)) {
				next, ok = start, true
			}
		}
		if ok && i >= 0 {
			return next, true // later days start later still
		}
	}
	return next, ok
}

// Open reports whether h is open at t.
func (h *OfficeHours) Open(t time.Time) bool {
	next, ok := h.NextOpen(t)
	return ok && next.Equal(t)
}

// TeamNextOpen is the earliest NextOpen of a care team's providers, and
// which of them opens then; ok is false if none keeps office hours.
func TeamNextOpen(team []OfficeHours, t time.Time) (next time.Time, who *OfficeHours, ok bool) {
	for i := range team {
		if n, found := team[i].NextOpen(t); found && (!ok || n.Before(next)) {
			next, who, ok = n, &team[i], true
		}
	}
	return next, who, ok
}

// ParseIntervals reads a day's spans as a form gives them: "09:00-12:00,
// 13:00-17:00" (commas or spaces between; "" for none).
func ParseIntervals(s string) ([]Interval, error) {
	var out []Interval
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
		a, b, found := strings.Cut(part, "-")
		if !found {
			a, b, found = strings.Cut(part, "–")
		}
		start, err1 := parseClock(a)
		end, err2 := parseClock(b)
		if !found || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%q is not a span such as 09:00-17:00", part)
		}
		out = append(out, Interval{start, end})
	}
	return out, nil
}

// parseClock reads "9:00", "09:30" or "24:00" as minutes from midnight.
func parseClock(s string) (int, error) {
	hs, ms, ok := strings.Cut(strings.TrimSpace(s), ":")
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if !ok || err1 != nil || err2 != nil || len(ms) != 2 || h < 0 || h > 24 || m < 0 || m > 59 || h == 24 && m != 0 {
		return 0, fmt.Errorf("not a time of day")
	}
	return h*60 + m, nil
}

// FormatIntervals writes a day's spans as ParseIntervals reads them.
func FormatIntervals(ivs []Interval) string {
	parts := make([]string, len(ivs))
	for i, iv := range ivs {
		parts[i] = iv.String()
	}
	return strings.Join(parts, ", ")
}

// MessagingMode is how a client may write in their thread.
type MessagingMode string

// The messaging modes.
const (
	ModeOpen      MessagingMode = "open"       // the client writes whenever they like
	ModeReplyOnly MessagingMode = "reply_only" // the client answers the care team's messages only (CheckClientMessage)
	ModePaused    MessagingMode = "paused"     // the client does not write; they see the reason
)

// MaxPauseReason is the longest reason for a pause, in characters.
const MaxPauseReason = 500

// Messaging is a client's messaging mode. A thread with no mode set is
// open.
type Messaging struct {
	Mode   MessagingMode
	Reason string // what the client sees while paused; "" otherwise
	SetBy  string // the provider who set it; "" if never set
	SetAt  time.Time
}

// Validate checks a mode a provider sets: a known mode; a reason, plain
// text, required for a pause and dropped otherwise.
func (m *Messaging) Validate() error {
	switch m.Mode {
	case ModeOpen, ModeReplyOnly:
		m.Reason = ""
		return nil
	case ModePaused:
	default:
		return FieldError("mode", "must be open, reply_only or paused")
	}
	m.Reason = strings.TrimSpace(m.Reason)
	switch {
	case !utf8.ValidString(m.Reason) || strings.ContainsRune(m.Reason, 0):
		return FieldError("reason", "must be plain text")
	case m.Reason == "":
		return FieldError("reason", "is required when messaging is paused: the client sees it")
	case utf8.RuneCountInString(m.Reason) > MaxPauseReason:
		return FieldError("reason", "must be at most %d characters", MaxPauseReason)
	}
	return nil
}

// CheckClientMessage says whether the client may send a message now,
// under mode m, given who wrote the thread's latest message written by a
// person (automatic replies do not count): lastRole is that sender's role,
// "" for an empty thread.
//
// Open: always. Reply-only: only when the latest message is the care
// team's, so the client answers each message of the care team once (one
// message, then they wait for the team to write again). Paused: never.
// A refusal is care.Forbidden, with a message for the client that names
// no content.
func (m Messaging) CheckClientMessage(lastRole Role) error {
	switch m.Mode {
	case ModePaused:
		return Errorf(Forbidden, "your care team has paused messaging for now; the messages page says why")
	case ModeReplyOnly:
		if lastRole != RoleProvider {
			return Errorf(Forbidden, "your care team has set messaging to replies only: you can answer once they write to you")
		}
	}
	return nil
}

// Label is the mode for people.
func (m MessagingMode) Label() string {
	switch m {
	case ModeReplyOnly:
		return "Reply only"
	case ModePaused:
		return "Paused"
	}
	return "Open"
}

// AutoReplyText is the automatic reply to a message sent outside office
// hours: when to expect an answer (next, shown in the client's zone),
// the answering provider's response time if they gave one, and where to
// get help now. It never promises round-the-clock monitoring.
func AutoReplyText(next time.Time, clientZone, responseTime, crisisLine string, clinic []ClinicResource) string {
	loc, err := time.LoadLocation(clientZone)
	if err != nil {
		loc = time.UTC
	}
	var b strings.Builder
	b.WriteString("Automatic reply: thank you for your message. Your care team is outside office hours now and will read it after ")
	b.WriteString(next.In(loc).Format("Monday 2 January, 15:04 MST"))
	if responseTime != "" {
		b.WriteString(" (they answer " + responseTime + ")")
	}
	b.WriteString(". Messages here are not watched around the clock.\n\nIf you need help now:")
	for _, r := range CrisisResources(crisisLine, clinic) {
		b.WriteString("\n• " + r.Name + ": " + r.Detail)
	}
	return b.String()
}
