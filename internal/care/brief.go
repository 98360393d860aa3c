package care

import (
	"math"
	"slices"
	"time"
)

// The pre-session brief (SPEC.md "Pre-session brief", issue #7): for a
// provider before a session, everything the client shared since the last
// held session, on one page. The store reads it in one audited read
// (Store.Brief); this file holds its shape and the arithmetic on it, which
// needs no database.

// BriefDefaultWindow is how far back a brief looks when the client has no
// held session yet.
const BriefDefaultWindow = 30 * 24 * time.Hour

// Brief is a client's pre-session brief, as of Now. It covers Since (the
// start of the last held session, or Now less BriefDefaultWindow when there
// is none) to Now. Only what the care team may see is in it: shared,
// undeleted journal entries; never a private entry, nor a sign of one.
type Brief struct {
	ClientID   string
	ClientName string
	TimeZone   string // the client's
	Now        time.Time
	Since      time.Time
	// LastSession is the last held session, which starts the window; nil
	// when none was held (the window is then BriefDefaultWindow).
	LastSession *Appointment
	NextSession *Appointment // the next scheduled session, if any

	// Discuss are the entries of the window the client marked "bring
	// this up next session", oldest first: the brief leads with them.
	Discuss []JournalEntry
	// Flags are the safety flags raised in the window and those still
	// open from before it, newest first, with how they were handled.
	Flags []BriefFlag
	// Entries are the shared entries of the window, newest first.
	Entries  []JournalEntry
	Goals    []GoalProgress
	Tasks    []TaskProgress
	Measures []MeasureTrend
	// ReliableChange are the clinic's thresholds the measures' change
	// markers were judged by.
	ReliableChange ReliableChange
	Messages       MessageCounts
	CheckIns       CheckInCounts
	// SafetyPlan is where the client's safety plan stands (issue #16).
	SafetyPlan BriefSafetyPlan
}

// BriefSafetyPlan is the safety plan as a brief shows it: its current
// version (0: none), when and by whom it was saved, and whether it
// changed in the brief's window (since the last held session).
type BriefSafetyPlan struct {
	Version       int
	UpdatedAt     time.Time
	UpdatedBy     string // a user id
	UpdatedByName string
	Empty         bool // nothing written in it
	Changed       bool // saved at or after Brief.Since
}

// BriefFlag is a safety flag as a brief shows it: with the names of the
// provider who acknowledged it and of the on-call provider it was
// escalated to.
type BriefFlag struct {
	SafetyFlag
	AcknowledgedByName string
	EscalatedToName    string
}

// Status says how the flag stands: "open", "escalated" (open, and sent to
// the on-call provider), "acknowledged", or "not a concern" (acknowledged
// as a false alarm).
func (f *BriefFlag) Status() string {
	switch {
	case !f.Open() && f.NotAConcern:
		return "not a concern"
	case !f.Open():
		return "acknowledged"
	case !f.EscalatedAt.IsZero():
		return "escalated"
	}
	return "open"
}

// GoalProgress is a goal of the plan with the client's progress ratings of
// the window (journal entries that name the goal) and its tasks.
type GoalProgress struct {
	GoalID     string
	Title      string
	Status     GoalStatus
	TargetDate Day
	Ratings    []RatingPoint // oldest first
	TasksDue   int           // occurrences of the goal's tasks due in the window
	TasksDone  int
}

// RatingPoint is one 0..10 rating at a time.
type RatingPoint struct {
	At    time.Time
	Value int
}

// Latest is the last rating, or nil.
func (g *GoalProgress) Latest() *int {
	if len(g.Ratings) == 0 {
		return nil
	}
	return &g.Ratings[len(g.Ratings)-1].Value
}

// First is the first rating of the window, or nil.
func (g *GoalProgress) First() *int {
	if len(g.Ratings) == 0 {
		return nil
	}
	return &g.Ratings[0].Value
}

// TaskProgress is a task with its occurrences due in the window and how
// many of them the client completed.
type TaskProgress struct {
	TaskID   string
	Title    string
	GoalID   string
	Schedule string // "Once", "Every day", …
	Due      int    // occurrences due from the window's first day to today
	Done     int
}

// MeasureTrend is one instrument's history for the brief: every total,
// oldest first (for the trend), and the responses of the window with their
// change markers.
type MeasureTrend struct {
	Instrument *Instrument
	History    []MeasureResponse // all of them, oldest first, each with Progress
	InWindow   []MeasureResponse // those answered in the window, oldest first
}

// Baseline is the first response of the instrument.
func (m *MeasureTrend) Baseline() *MeasureResponse { return &m.History[0] }

// Latest is the last response of the instrument.
func (m *MeasureTrend) Latest() *MeasureResponse { return &m.History[len(m.History)-1] }

// MessageCounts counts the thread's messages of the window by direction.
// ToClient holds the care team's messages, automatic replies and check-in
// prompts alike.
type MessageCounts struct {
	FromClient int
	ToClient   int
}

// CheckInCounts counts the check-ins sent in the window: answered, missed
// (closed unanswered) and still open.
type CheckInCounts struct {
	Sent     int
	Answered int
	Missed   int
	Open     int
}

// Adherence is the share of the check-ins that were due (answered or
// missed; open ones are not due yet) that the client answered, 0..1; ok is
// false when none was due.
func (c CheckInCounts) Adherence() (share float64, ok bool) {
	due := c.Answered + c.Missed
	if due == 0 {
		return 0, false
	}
	return float64(c.Answered) / float64(due), true
}

// BriefSince is the start of a brief's window at now: the start of the
// last held session, or now less BriefDefaultWindow.
func BriefSince(last *Appointment, now time.Time) time.Time {
	if last != nil {
		return last.StartsAt
	}
	return now.Add(-BriefDefaultWindow)
}

// SeriesSummary sums up the values of one series of a brief (mood, sleep
// hours, a symptom) for a text alternative and the API.
type SeriesSummary struct {
	Count             int
	Average           float64 // rounded to one decimal
	Lowest, Highest   float64
	FirstAt, LastAt   time.Time
	Values            []SeriesPoint // oldest first
	EarlierAverage    float64       // the mean of the earlier half of the values, rounded
	LaterAverage      float64       // the mean of the later half
	HasHalves         bool          // at least two values, so the halves mean something
	Scale             float64       // the top of the scale: 10, or 24 hours
	Name, Label, Unit string
}

// SeriesPoint is one value of a series at a time.
type SeriesPoint struct {
	At    time.Time
	Value float64
}

// Series names the brief's trend series, in the order the page shows them.
var Series = []struct {
	Name, Label, Unit string
	Scale             float64
}{
	{"mood", "Mood", "out of 10", 10},
	{"sleep_hours", "Sleep", "hours", 12},
	{"sleep_quality", "Sleep quality", "out of 10", 10},
	{"energy", "Energy", "out of 10", 10},
	{"anxiety", "Anxiety", "out of 10", 10},
	{"pain", "Pain", "out of 10", 10},
	{"appetite", "Appetite", "out of 10", 10},
	{"irritability", "Irritability", "out of 10", 10},
}

// Trends sums up the series of entries (any order): one SeriesSummary per
// name of Series, with Count 0 for a series nobody rated.
func Trends(entries []JournalEntry) []SeriesSummary {
	es := slices.Clone(entries)
	slices.SortStableFunc(es, func(a, b JournalEntry) int { return a.OccurredAt.Compare(b.OccurredAt) })
	out := make([]SeriesSummary, len(Series))
	for i, s := range Series {
		out[i] = SeriesSummary{Name: s.Name, Label: s.Label, Unit: s.Unit, Scale: s.Scale}
	}
	add := func(i int, at time.Time, v float64) {
		out[i].Values = append(out[i].Values, SeriesPoint{At: at, Value: v})
	}
	for _, e := range es {
		if e.Mood != nil {
			add(0, e.OccurredAt, float64(*e.Mood))
		}
		if h := e.Symptoms.SleepHours; h != nil {
			add(1, e.OccurredAt, *h)
		}
		for j, r := range e.Symptoms.Ratings() {
			if v := *r.Value; v != nil {
				add(2+j, e.OccurredAt, float64(*v))
			}
		}
	}
	round := func(x float64) float64 { return math.Round(x*10) / 10 }
	mean := func(ps []SeriesPoint) float64 {
		t := 0.0
		for _, p := range ps {
			t += p.Value
		}
		return t / float64(len(ps))
	}
	for i := range out {
		s := &out[i]
		s.Count = len(s.Values)
		if s.Count == 0 {
			continue
		}
		s.Lowest, s.Highest = s.Values[0].Value, s.Values[0].Value
		for _, p := range s.Values {
			s.Lowest, s.Highest = min(s.Lowest, p.Value), max(s.Highest, p.Value)
			if p.Value > s.Scale {
				s.Scale = 24 // sleep beyond 12 hours: the whole day
			}
		}
		s.Average = round(mean(s.Values))
		s.FirstAt, s.LastAt = s.Values[0].At, s.Values[s.Count-1].At
		if s.Count >= 2 {
			half := s.Count / 2
			s.EarlierAverage, s.LaterAverage, s.HasHalves = round(mean(s.Values[:half])), round(mean(s.Values[s.Count-half:])), true
		}
	}
	return out
}
