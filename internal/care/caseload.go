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

// Need is what puts a client where they are in a provider's caseload. The
// caseload has no safety flags or measures yet: those criteria come with
// the safety events and measure schedules of #7.
type Need struct {
	MoodFall       *MoodFall  // nil: mood is not falling
	UnreadMessages int        // the client's messages this provider has not read
	MissedCheckIns int        // check-ins sent and left unanswered in the window
	NextSession    *time.Time // the soonest scheduled session, if any
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
// next session is shown apart, as it needs the viewer's time zone.
func (n Need) Reasons() []string {
	var out []string
	if f := n.MoodFall; f != nil {
		out = append(out, fmt.Sprintf("mood fell from %.1f to %.1f over %s", f.From, f.To, plural(f.Days, "day")))
	}
	if n.UnreadMessages > 0 {
		out = append(out, plural(n.UnreadMessages, "unread message"))
	}
	if n.MissedCheckIns > 0 {
		out = append(out, plural(n.MissedCheckIns, "missed check-in"))
	}
	return out
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// SortCaseload orders a caseload by need: falling mood (the larger fall
// first), then unread messages, then missed check-ins (more first), then
// the soonest session (none last), then by name and id.
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
			cmp.Compare(drop(b.Need), drop(a.Need)),
			cmp.Compare(b.Need.UnreadMessages, a.Need.UnreadMessages),
			cmp.Compare(b.Need.MissedCheckIns, a.Need.MissedCheckIns),
			cmp.Compare(session(a.Need), session(b.Need)),
			strings.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName)),
			strings.Compare(a.ID, b.ID),
		)
	})
}
