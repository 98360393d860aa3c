package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"

	"interlude/internal/care"
)

// The mood chart: an inline SVG rendered on the server, so that it reads
// without JavaScript, and is allowed by the CSP (no script, no inline
// style: presentation attributes and classes from app.css only). It is an
// image with a title and a description for screen readers (role="img",
// aria-labelledby), and the page shows the same facts as text beside it:
// a summary and a table of daily averages (moodChart's fields).

// moodChart is a mood chart and its text alternative, for a template.
type moodChart struct {
	ID      string        // unique on the page: the SVG's title and desc ids derive from it
	Days    int           // the period: 30 or 90 days, ending today
	Title   string        // "Mood over the last 30 days"
	SVG     template.HTML // the chart
	Summary string        // one sentence: count, average, lowest, highest
	Rows    []moodDay     // days with entries, newest first: the table
	Empty   bool          // no mood in the period
}

// moodDay is one day of the chart's table.
type moodDay struct {
	Date    string // "Mon 2 Mar"
	Average string // "6.5"
	Lowest  int
	Highest int
	Count   int
}

// Chart geometry, in SVG user units; the SVG scales to its box.
// The box is narrow, so that on a 375 px phone its text is still about
// 12 px; on wide screens app.css caps its width.
const (
	chartW      = 400
	chartH      = 210
	chartLeft   = 28 // room for the 0..10 labels
	chartRight  = 22 // room for half the last date
	chartTop    = 12
	chartBottom = 28 // room for the dates
)

// newMoodChart draws the mood points of the days days up to now, by day in
// loc. points may hold points outside the period: they are left out.
func newMoodChart(id string, points []care.MoodPoint, days int, now time.Time, loc *time.Location) moodChart {
	c := moodChart{ID: id, Days: days, Title: fmt.Sprintf("Mood over the last %d days", days)}
	today := dayStart(now.In(loc))
	first := today.AddDate(0, 0, -(days - 1))
	var in []care.MoodPoint
	byDay := map[int][]int{} // day index from first → moods
	for _, p := range points {
		d := dayIndex(first, p.At.In(loc))
		if d < 0 || d >= days {
			continue
		}
		in = append(in, p)
		byDay[d] = append(byDay[d], p.Mood)
	}
	sum := care.SummarizeMood(in)
	c.Empty = sum.Count == 0
	if c.Empty {
		c.Summary = fmt.Sprintf("No mood was recorded in the last %d days.", days)
	} else {
		c.Summary = fmt.Sprintf("%d mood %s in the last %d days: average %.1f out of 10, lowest %d (%s), highest %d (%s).",
			sum.Count, plural(sum.Count, "rating", "ratings"), days, sum.Average,
			sum.Lowest, sum.LowestAt.In(loc).Format("Mon 2 Jan"), sum.Highest, sum.HighestAt.In(loc).Format("Mon 2 Jan"))
	}
	for d := days - 1; d >= 0; d-- {
		moods := byDay[d]
		if len(moods) == 0 {
			continue
		}
		lo, hi, total := moods[0], moods[0], 0
		for _, m := range moods {
			lo, hi, total = min(lo, m), max(hi, m), total+m
		}
		c.Rows = append(c.Rows, moodDay{Date: first.AddDate(0, 0, d).Format("Mon 2 Jan"),
			Average: fmt.Sprintf("%.1f", float64(total)/float64(len(moods))), Lowest: lo, Highest: hi, Count: len(moods)})
	}
	c.SVG = c.draw(first, days, in, byDay, loc)
	return c
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// dayStart is midnight of t's day, in t's location.
func dayStart(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// dayIndex counts calendar days from first to t's day (both in one
// location), across daylight-saving changes.
func dayIndex(first, t time.Time) int {
	a := time.Date(first.Year(), first.Month(), first.Day(), 12, 0, 0, 0, time.UTC)
	b := time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, time.UTC)
	return int(math.Round(b.Sub(a).Hours() / 24))
}

// draw renders the SVG: a 0..10 grid, date ticks, a line through the
// daily averages and a dot per rating, both at the middle of their day. Only numbers and dates we format go
// into it; the title and description are escaped all the same.
func (c *moodChart) draw(first time.Time, days int, in []care.MoodPoint, byDay map[int][]int, loc *time.Location) template.HTML {
	plotW := float64(chartW - chartLeft - chartRight)
	plotH := float64(chartH - chartTop - chartBottom)
	xDay := func(d int) float64 { return chartLeft + (float64(d)+0.5)/float64(days)*plotW }
	y := func(m float64) float64 { return chartTop + (10-m)/10*plotH }

	var b strings.Builder
	esc := template.HTMLEscapeString
	titleID, descID := c.ID+"-title", c.ID+"-desc"
	fmt.Fprintf(&b, `<svg class="mood-chart" viewBox="0 0 %d %d" width="100%%" role="img" aria-labelledby="%s %s" focusable="false" xmlns="http://www.w3.org/2000/svg">`,
		chartW, chartH, esc(titleID), esc(descID))
	fmt.Fprintf(&b, `<title id="%s">%s</title><desc id="%s">%s</desc>`, esc(titleID), esc(c.Title), esc(descID), esc(c.Summary))
	// The grid: 0, 5 and 10, labelled.
	for _, m := range []int{0, 5, 10} {
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, chartLeft, chartW-chartRight, y(float64(m)), y(float64(m)))
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%d</text>`, chartLeft-8, y(float64(m)), m)
	}
	// Date ticks: about five, on day boundaries.
	step := max(1, days/4)
	for d := days - 1; d >= 0; d -= step {
		at := xDay(d)
		fmt.Fprintf(&b, `<line class="tick" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/>`, at, at, chartH-chartBottom, chartH-chartBottom+5)
		fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="middle">%s</text>`, at, chartH-8, esc(first.AddDate(0, 0, d).Format("2 Jan")))
	}
	// The line through daily averages.
	var line []string
	for d := range days {
		if moods := byDay[d]; len(moods) > 0 {
			total := 0
			for _, m := range moods {
				total += m
			}
			line = append(line, fmt.Sprintf("%.1f,%.1f", xDay(d), y(float64(total)/float64(len(moods)))))
		}
	}
	if len(line) > 1 {
		fmt.Fprintf(&b, `<polyline class="trend" points="%s"/>`, strings.Join(line, " "))
	}
	for _, p := range in {
		fmt.Fprintf(&b, `<circle class="point" cx="%.1f" cy="%.1f" r="4.5"/>`, xDay(dayIndex(first, p.At.In(loc))), y(float64(p.Mood)))
	}
	if len(in) == 0 {
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="middle">No mood recorded yet</text>`, chartW/2, y(5)-8)
	}
	b.WriteString(`</svg>`)
	// Every string above is escaped; the rest are numbers we format.
	return template.HTML(b.String()) //nolint:gosec // G203: see above
}
