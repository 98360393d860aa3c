package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"interlude/internal/care"
)

// The client's "My progress" page (issue #18): a mood calendar of the
// last months, their PHQ-9 and GAD-7 totals in plain words and as charts,
// sleep and symptom ratings of the last weeks, and their progress ratings
// per goal. It reads the client's own journal (private and shared entries)
// and measures: two audited reads, and the plan for the goals' titles only
// when an entry of the period rates a goal, as the home page does.

// progressMonths is how many months the calendar shows, this one included.
const progressMonths = 3

// progressWeeks is the period of the sleep and symptom charts.
const progressWeeks = 8

// progressPage is /progress.
type progressPage struct {
	Layout
	Months   []calendarMonth
	Legend   []moodBand
	Measures []progressMeasure
	Weeks    int
	Charts   []seriesChart // sleep and symptoms that were rated
	Unrated  []string      // the series nobody rated in the weeks
	Goals    []seriesChart // progress per goal
	Mood     moodCharts    // the last 30 or 90 days, by day (journal_pages.go)
}

// moodBand is a colour of the calendar and the moods it stands for.
type moodBand struct {
	Class string // "mood-b0" … "mood-b4"
	Label string // "0 to 2"
}

// moodBands are the calendar's five colours, low mood to high.
var moodBands = []moodBand{
	{"mood-b0", "0 to 2"}, {"mood-b1", "3 to 4"}, {"mood-b2", "5 to 6"}, {"mood-b3", "7 to 8"}, {"mood-b4", "9 to 10"},
}

func moodBandOf(avg float64) string {
	switch {
	case avg < 2.5:
		return moodBands[0].Class
	case avg < 4.5:
		return moodBands[1].Class
	case avg < 6.5:
		return moodBands[2].Class
	case avg < 8.5:
		return moodBands[3].Class
	}
	return moodBands[4].Class
}

// calendarMonth is one month grid, weeks from Monday.
type calendarMonth struct {
	ID    string // "cal-2026-10"
	Title string // "October 2026"
	Weeks [][]calendarDay
	Rated int // days with a mood
}

// calendarDay is one cell: a day of the month, or padding before the 1st
// or after the last day.
type calendarDay struct {
	Blank   bool   // padding
	Day     int    // 1..31
	Mood    string // the day's average, "6.5"; "" when none was recorded
	Class   string // the mood's band; "" when none
	Future  bool   // after today
	Spoken  string // the cell's whole meaning, for screen readers
	DateISO string
}

// progressMeasure is one instrument's totals in words and as a chart.
type progressMeasure struct {
	Name     string // "PHQ-9"
	Title    string
	Sentence string // "Your PHQ-9 went from 16 in October to 9 now: …"
	Latest   string // "9 of 27, mild"
	Chart    seriesChart
}

// GET /progress: the client's own progress; 404 for anyone else.
func (s *Server) progress(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	now := s.now()
	loc := viewerZone(actor)
	today := dayStart(now.In(loc))
	firstMonth := time.Date(today.Year(), today.Month()-progressMonths+1, 1, 0, 0, 0, 0, loc)
	entries, err := s.store.EntriesSince(r.Context(), actor, actor.UserID, firstMonth)
	if err != nil {
		return err
	}
	measures, err := s.store.Measures(r.Context(), actor, actor.UserID)
	if err != nil {
		return err
	}
	p := &progressPage{Layout: s.layout(r, "My progress"), Legend: moodBands, Weeks: progressWeeks}
	p.Months = moodCalendar(entries, firstMonth, today, loc)
	if p.Mood, err = s.moodCharts(r, actor, actor.UserID, "/progress", "mood"); err != nil {
		return err
	}
	for _, in := range care.Instruments {
		if m, ok := progressOfMeasure(in, measures.Responses, measures.ReliableChange, now, loc); ok {
			p.Measures = append(p.Measures, m)
		}
	}
	// Sleep and symptoms of the last weeks; mood is the calendar's.
	since := today.AddDate(0, 0, -7*progressWeeks)
	var recent []care.JournalEntry
	for _, e := range entries {
		if !e.OccurredAt.Before(since) {
			recent = append(recent, e)
		}
	}
	for _, sr := range care.Trends(recent)[1:] {
		if sr.Count == 0 {
			p.Unrated = append(p.Unrated, sr.Label)
			continue
		}
		p.Charts = append(p.Charts, seriesSummaryChart(sr, since, now, loc))
	}
	if hasGoal(entries) {
		titles, goals, err := s.goalTitles(r, actor, actor.UserID)
		if err != nil {
			return err
		}
		p.Goals = goalCharts(entries, titles, goals, firstMonth, now, loc)
	}
	s.renderPage(w, r, http.StatusOK, "progress", p)
	return nil
}

// moodCalendar lays out the months from first to today's month, each day
// with the average of its moods (entries in any order).
func moodCalendar(entries []care.JournalEntry, first, today time.Time, loc *time.Location) []calendarMonth {
	type acc struct{ total, n int }
	byDay := map[string]*acc{}
	for _, e := range entries {
		if e.Mood == nil {
			continue
		}
		k := e.OccurredAt.In(loc).Format(time.DateOnly)
		if byDay[k] == nil {
			byDay[k] = &acc{}
		}
		byDay[k].total += *e.Mood
		byDay[k].n++
	}
	var out []calendarMonth
	for m := first; !m.After(today); m = m.AddDate(0, 1, 0) {
		cm := calendarMonth{ID: "cal-" + m.Format("2006-01"), Title: m.Format("January 2006")}
		pad := (int(m.Weekday()) + 6) % 7 // Monday first
		var week []calendarDay
		for range pad {
			week = append(week, calendarDay{Blank: true})
		}
		for d := m; d.Month() == m.Month(); d = d.AddDate(0, 0, 1) {
			day := calendarDay{Day: d.Day(), DateISO: d.Format(time.DateOnly), Future: d.After(today)}
			spoken := d.Format("Monday 2 January")
			switch a := byDay[day.DateISO]; {
			case day.Future:
				day.Spoken = spoken + ": still to come"
			case a == nil:
				day.Spoken = spoken + ": no mood recorded"
			default:
				avg := float64(a.total) / float64(a.n)
				day.Mood, day.Class = strconv.FormatFloat(float64(int(avg*10+0.5))/10, 'f', -1, 64), moodBandOf(avg)
				day.Spoken = fmt.Sprintf("%s: mood %s out of 10", spoken, day.Mood)
				if a.n > 1 {
					day.Spoken += fmt.Sprintf(", the average of %d ratings", a.n)
				}
				cm.Rated++
			}
			week = append(week, day)
			if len(week) == 7 {
				cm.Weeks, week = append(cm.Weeks, week), nil
			}
		}
		if len(week) > 0 {
			for len(week) < 7 {
				week = append(week, calendarDay{Blank: true})
			}
			cm.Weeks = append(cm.Weeks, week)
		}
		out = append(out, cm)
	}
	return out
}

// progressOfMeasure sums up the client's totals of one instrument
// (responses newest first, of any instrument), and reports whether there
// were any.
func progressOfMeasure(in *care.Instrument, responses []care.MeasureResponse, rc care.ReliableChange, now time.Time, loc *time.Location) (progressMeasure, bool) {
	var mine []care.MeasureResponse // oldest first
	for i := len(responses) - 1; i >= 0; i-- {
		if responses[i].Instrument == in.Code {
			mine = append(mine, responses[i])
		}
	}
	if len(mine) == 0 {
		return progressMeasure{}, false
	}
	first, last := mine[0], mine[len(mine)-1]
	month := func(t time.Time) string {
		t = t.In(loc)
		if t.Year() != now.In(loc).Year() {
			return t.Format("January 2006")
		}
		return t.Format("January")
	}
	m := progressMeasure{Name: in.Name, Title: in.Title,
		Latest: fmt.Sprintf("%d of %d, %s", last.Total, in.MaxTotal(), lowerFirst(last.Severity.Label()))}
	if len(mine) == 1 {
		m.Sentence = fmt.Sprintf("Your %s was %d in %s. Once you answer it again, you will see here how it changes.", in.Name, first.Total, month(first.AnsweredAt))
	} else {
		m.Sentence = fmt.Sprintf("Your %s went from %d in %s to %d now", in.Name, first.Total, month(first.AnsweredAt), last.Total)
		switch last.Progress.Change {
		case care.ReliableImprovement:
			m.Sentence += ": that is a reliable improvement."
		case care.ReliableDeterioration:
			m.Sentence += ": that is a reliable change for the worse. It may help to talk about it with your care team."
		default:
			m.Sentence += fmt.Sprintf(": not a reliable change yet. A change of %d points or more is one.", rc.Points(in))
		}
	}
	points := make([]care.SeriesPoint, len(mine))
	for i, r := range mine {
		points[i] = care.SeriesPoint{At: r.AnsweredAt, Value: float64(r.Total)}
	}
	var bands []chartLine
	for _, band := range in.Bands[1:] {
		bands = append(bands, chartLine{Value: float64(band.Min), Label: band.Severity.Label()})
	}
	day := func(t time.Time) string { return t.In(loc).Format("2 Jan 2006") }
	summary := fmt.Sprintf("%s totals, lower is better: %d %s, from %d on %s to %d on %s.", in.Name, len(points), plural(len(points), "answer", "answers"),
		first.Total, day(first.AnsweredAt), last.Total, day(last.AnsweredAt))
	m.Chart = newSeriesChart("chart-"+in.Code, in.Name+" total", summary, points, first.AnsweredAt.Add(-24*time.Hour), now,
		float64(in.MaxTotal()), []float64{0, float64(in.MaxTotal())}, bands, time.Time{}, "", func(x float64) string { return strconv.Itoa(int(x)) }, loc)
	m.Chart.Columns = [2]string{"Answered", "Total"}
	return m, true
}

// goalCharts draws the progress ratings of each goal (in the plan's
// order, then goals no longer in it) between from and to.
func goalCharts(entries []care.JournalEntry, titles goalTitles, goals []care.Goal, from, to time.Time, loc *time.Location) []seriesChart {
	byGoal := map[string][]care.SeriesPoint{}
	var order []string
	for _, g := range goals {
		order = append(order, g.ID)
	}
	for i := len(entries) - 1; i >= 0; i-- { // oldest first
		e := entries[i]
		if e.GoalID == "" || e.GoalProgress == nil {
			continue
		}
		if _, ok := titles[e.GoalID]; !ok && byGoal[e.GoalID] == nil {
			order = append(order, e.GoalID)
		}
		byGoal[e.GoalID] = append(byGoal[e.GoalID], care.SeriesPoint{At: e.OccurredAt, Value: float64(*e.GoalProgress)})
	}
	format := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	var out []seriesChart
	for i, id := range order {
		points := byGoal[id]
		if len(points) == 0 {
			continue
		}
		title := titles[id]
		if title == "" {
			title = "A goal no longer in your plan"
		}
		first, last := points[0], points[len(points)-1]
		summary := fmt.Sprintf("%s: %d progress %s, from %s on %s to %s on %s, out of 10.", title, len(points), plural(len(points), "rating", "ratings"),
			format(first.Value), first.At.In(loc).Format("2 Jan"), format(last.Value), last.At.In(loc).Format("2 Jan"))
		c := newSeriesChart(fmt.Sprintf("chart-goal-%d", i+1), title, summary, points, from, to, 10, evenTicks(10, 5), nil, time.Time{}, "", format, loc)
		c.Columns = [2]string{"When", "Progress (out of 10)"}
		out = append(out, c)
	}
	return out
}

// lowerFirst lowers a label's first letter for the middle of a sentence.
func lowerFirst(s string) string {
	if s != "" && 'A' <= s[0] && s[0] <= 'Z' {
		return string(s[0]+'a'-'A') + s[1:]
	}
	return s
}
