package care

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// CaseloadWindow is how far back the caseload looks for missed check-ins
// and for a fall in mood.
const CaseloadWindow = 14 * 24 * time.Hour

// Falling mood: at least MoodFallMinPoints shared ratings in the window, and
// the mean of the later half at least MoodFallMinDrop below the mean of the
// earlier half (mood is rated 0..10).
const (
	MoodFallMinPoints = 4
	MoodFallMinDrop   = 2.0
)

// MeasureOverdueGrace is how long after a measure fell due the caseload
// waits before it calls the measure overdue: a client answering a weekly
// questionnaire a day or two late is not yet something to act on.
const MeasureOverdueGrace = 3 * 24 * time.Hour

// Need is what puts a client where they are in a provider's caseload
// (SortCaseload): open safety flags, crisis before concern, then worsening (a reliable
// deterioration on a measure, a fall in mood), unread messages, missed
// check-ins, overdue measures, and the soonest session.
type Need struct {
	OpenFlags       int             // safety flags nobody has acknowledged
	OpenCrisisFlags int             // of those, the priority (crisis-level) ones; the others are concerns
	Screener        ScreenerResult  // the most urgent positive follow-up screen on an open flag; "" if none
	Deteriorations  []Deterioration // measures whose latest total is reliably worse than the baseline or the previous one
	MoodFall        *MoodFall       // nil: mood is not falling
	UnreadMessages  int             // the client's messages this provider has not read
	MissedCheckIns  int             // check-ins sent and left unanswered in the window
	MissedTrackers  int             // days of the last week a tracker was due and no shared entry came (#19)
	OverdueMeasures []Overdue       // active schedules due for longer than MeasureOverdueGrace, the longest first
	NextSession     *time.Time      // the soonest scheduled session, if any
	LastContact     *time.Time      // the latest contact (see below); nil if there was none
}

// Contact, for the caseload's LastContact and its "no contact in N days"
// filter (#18), is the latest of: a message either way (sent), a shared,
// undeleted journal entry (written), a check-in answered, and a session
// held (its start). Each is one indexed max() per client in the query the
// caseload runs already; a private entry is no contact with the care team.

// Deterioration is a reliable deterioration on a measure
// (Instrument.ProgressOf): the client's latest total of the instrument
// against their first (baseline) one, or against the one before it (a
// relapse after an improvement).
type Deterioration struct {
	Instrument                 string // an Instrument's Code
	Baseline, Previous, Latest int
	FromBaseline, FromPrevious bool    // which comparison is reliably worse; at least one
	RCI                        float64 // Jacobson–Truax, from baseline
}

// DeteriorationOf returns the deterioration of instrument in to total
// latest from baseline (the first total) or from previous (the one before
// latest; the baseline itself when there are only two), with points the
// reliable-change threshold, or nil when neither change is a reliable
// deterioration.
func DeteriorationOf(in *Instrument, points, baseline, previous, latest int) *Deterioration {
	fromBase := changeOf(latest-baseline, points) == ReliableDeterioration
	fromPrev := changeOf(latest-previous, points) == ReliableDeterioration
	if !fromBase && !fromPrev {
		return nil
	}
	return &Deterioration{Instrument: in.Code, Baseline: baseline, Previous: previous, Latest: latest,
		FromBaseline: fromBase, FromPrevious: fromPrev, RCI: in.RCI(baseline, latest)}
}

// Overdue is a measure schedule that fell due at DueAt and is still
// unanswered.
type Overdue struct {
	Instrument string // an Instrument's Code
	DueAt      time.Time
}

// Reason is one reason for a client's place in the caseload: Code names
// the criterion for programs ("safety_flag", "deterioration",
// "mood_fall", "unread_messages", "missed_check_ins", "overdue_measure"),
// Text says it for people.
type Reason struct {
	Code, Text string
}

// MoodFall is a fall in mood: mean From over the earlier half of the
// ratings to mean To over the later half, across Days days.
type MoodFall struct {
	From, To float64
	Days     int
}

// FallingMood reports whether points (any order) show a fall in mood.
func FallingMood(points []MoodPoint) *MoodFall {
	if len(points) < MoodFallMinPoints {
		return nil
	}
	ps := slices.Clone(points)
	slices.SortStableFunc(ps, func(a, b MoodPoint) int { return a.At.Compare(b.At) })
	half := len(ps) / 2
	mean := func(xs []MoodPoint) float64 {
		t := 0
		for _, p := range xs {
			t += p.Mood
		}
		return float64(t) / float64(len(xs))
	}
	from, to := mean(ps[:half]), mean(ps[len(ps)-half:])
	if from-to < MoodFallMinDrop {
		return nil
	}
	days := int(math.Ceil(ps[len(ps)-1].At.Sub(ps[0].At).Hours() / 24))
	return &MoodFall{From: math.Round(from*10) / 10, To: math.Round(to*10) / 10, Days: max(days, 1)}
}

// Reasons says, in order of need, why the client is where they are; the
// next session is shown apart, as it needs the viewer's time zone. now
// is the time of the caseload, for how long a measure is overdue.
func (n Need) Reasons(now time.Time) []Reason {
	var out []Reason
	switch {
	case n.OpenFlags > 0 && n.OpenCrisisFlags == 0:
		out = append(out, Reason{"safety_flag", plural(n.OpenFlags, "open safety flag") + " (concern)"})
	case n.OpenFlags > 0 && n.Screener.Positive():
		out = append(out, Reason{"safety_flag", plural(n.OpenFlags, "open safety flag") + " (" + strings.ToLower(n.Screener.Label()) + ")"})
	case n.OpenFlags > 0:
		out = append(out, Reason{"safety_flag", plural(n.OpenFlags, "open safety flag")})
	}
	for _, d := range n.Deteriorations {
		name := d.Instrument
		if in := InstrumentByCode(d.Instrument); in != nil {
			name = in.Name
		}
		text := fmt.Sprintf("%s reliably worse: %d since a baseline of %d", name, d.Latest, d.Baseline)
		if d.FromPrevious && !d.FromBaseline {
			text = fmt.Sprintf("%s reliably worse: %d, up from %d the time before (baseline %d)", name, d.Latest, d.Previous, d.Baseline)
		}
		out = append(out, Reason{"deterioration", text})
	}
	if f := n.MoodFall; f != nil {
		out = append(out, Reason{"mood_fall", fmt.Sprintf("mood fell from %.1f to %.1f over %s", f.From, f.To, plural(f.Days, "day"))})
	}
	if n.UnreadMessages > 0 {
		out = append(out, Reason{"unread_messages", plural(n.UnreadMessages, "unread message")})
	}
	if n.MissedCheckIns > 0 {
		out = append(out, Reason{"missed_check_ins", plural(n.MissedCheckIns, "missed check-in")})
	}
	if n.MissedTrackers > 0 {
		out = append(out, Reason{"missed_trackers", plural(n.MissedTrackers, "tracker day") + " missed this week"})
	}
	for _, o := range n.OverdueMeasures {
		name := o.Instrument
		if in := InstrumentByCode(o.Instrument); in != nil {
			name = in.Name
		}
		days := max(int(now.Sub(o.DueAt).Hours()/24), 1)
		out = append(out, Reason{"overdue_measure", fmt.Sprintf("%s overdue by %s", name, plural(days, "day"))})
	}
	return out
}

// ReasonTexts is Reasons as text only.
func (n Need) ReasonTexts(now time.Time) []string {
	out := []string{}
	for _, r := range n.Reasons(now) {
		out = append(out, r.Text)
	}
	return out
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// SortCaseload orders a caseload by need: an open flag's acute positive
// follow-up screen, then a non-acute positive one; open safety flags,
// crisis-level ones before concerns (more first); then worsening — reliable deteriorations on measures (more
// first), then falling mood (the larger fall first); then unread messages,
// missed check-ins, missed tracker days and overdue measures (more first, each); then the
// soonest session (none last); then by name and id, so that ties keep a
// stable order.
func SortCaseload(list []ClientSummary) {
	drop := func(n Need) float64 {
		if n.MoodFall == nil {
			return 0
		}
		return n.MoodFall.From - n.MoodFall.To
	}
	session := func(n Need) int64 {
		if n.NextSession == nil {
			return math.MaxInt64
		}
		return n.NextSession.UnixMicro()
	}
	slices.SortStableFunc(list, func(a, b ClientSummary) int {
		return cmp.Or(
			cmp.Compare(b.Need.Screener.Rank(), a.Need.Screener.Rank()),
			cmp.Compare(b.Need.OpenCrisisFlags, a.Need.OpenCrisisFlags),
			cmp.Compare(b.Need.OpenFlags, a.Need.OpenFlags),
			cmp.Compare(len(b.Need.Deteriorations), len(a.Need.Deteriorations)),
			cmp.Compare(drop(b.Need), drop(a.Need)),
			cmp.Compare(b.Need.UnreadMessages, a.Need.UnreadMessages),
			cmp.Compare(b.Need.MissedCheckIns, a.Need.MissedCheckIns),
			cmp.Compare(b.Need.MissedTrackers, a.Need.MissedTrackers),
			cmp.Compare(len(b.Need.OverdueMeasures), len(a.Need.OverdueMeasures)),
			cmp.Compare(session(a.Need), session(b.Need)),
			strings.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName)),
			strings.Compare(a.ID, b.ID),
		)
	})
}

// CaseloadSort is an order of a provider's caseload (FilterCaseload).
type CaseloadSort string

// The orders of a caseload: by need (SortCaseload, the default), by name
// (accents and case aside), and by the soonest next session (none last).
const (
	SortByNeed    CaseloadSort = "need"
	SortByName    CaseloadSort = "name"
	SortBySession CaseloadSort = "session"
)

// CaseloadSorts are the orders a caseload can be put in, the default first.
var CaseloadSorts = []CaseloadSort{SortByNeed, SortByName, SortBySession}

// CaseloadFilter narrows and orders a caseload the store has already read
// (FilterCaseload). Names are sealed in the database, so the search runs
// here, over the names the store opened, never as a query on disk.
type CaseloadFilter struct {
	Name    string       // part of the client's name, case- and accent-insensitive (NormalizeText); "" keeps all
	Flagged bool         // only clients with an open safety flag
	Review  bool         // only clients whose measures need review (Need.NeedsReview)
	Sort    CaseloadSort // "" is SortByNeed
	// NoContactSince, when not zero, keeps only the clients with no
	// contact (Need.LastContact) since then: none at all, or before it.
	NoContactSince time.Time
}

// NeedsReview reports whether the client's measures call for a look:
// worsening (a reliable deterioration on a questionnaire, or falling mood)
// or an overdue questionnaire.
func (n Need) NeedsReview() bool {
	return len(n.Deteriorations) > 0 || n.MoodFall != nil || len(n.OverdueMeasures) > 0
}

// FilterCaseload returns the clients of list that f keeps, in f's order;
// list is expected in need order (SortCaseload), which breaks ties of the
// other orders, and is left unchanged.
func FilterCaseload(list []ClientSummary, f CaseloadFilter) []ClientSummary {
	name := NormalizeText(f.Name)
	out := make([]ClientSummary, 0, len(list))
	for _, c := range list {
		switch {
		case f.Flagged && c.Need.OpenFlags == 0,
			f.Review && !c.Need.NeedsReview(),
			!f.NoContactSince.IsZero() && c.Need.LastContact != nil && !c.Need.LastContact.Before(f.NoContactSince),
			name != "" && !strings.Contains(NormalizeText(c.DisplayName), name):
			continue
		}
		out = append(out, c)
	}
	switch f.Sort {
	case SortByName:
		keys := make(map[string]string, len(out))
		for _, c := range out {
			keys[c.ID] = NormalizeText(c.DisplayName)
		}
		slices.SortStableFunc(out, func(a, b ClientSummary) int {
			return cmp.Or(strings.Compare(keys[a.ID], keys[b.ID]), strings.Compare(a.DisplayName, b.DisplayName))
		})
	case SortBySession:
		slices.SortStableFunc(out, func(a, b ClientSummary) int {
			x, y := a.Need.NextSession, b.Need.NextSession
			switch {
			case x == nil && y == nil:
				return 0
			case x == nil:
				return 1
			case y == nil:
				return -1
			}
			return x.Compare(*y)
		})
	}
	return out
}
