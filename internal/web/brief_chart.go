package web

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"interlude/internal/care"
)

// The brief's charts: line charts of one series over the brief's window,
// drawn like the mood chart (chart.go: same geometry, classes and rules —
// an SVG with a title and description, and the same facts as text beside
// it). Lines are solid and points are filled marks, so that the charts read
// in black and white once printed.

// seriesChart is one chart of the brief and its text alternative.
type seriesChart struct {
	ID      string
	Title   string // "Mood", "PHQ-9 total"
	SVG     template.HTML
	Summary string      // one or two sentences: the text alternative
	Rows    []seriesRow // the values as a table, newest first
	Columns [2]string   // the table's column heads: when, value
	Empty   bool        // no values in the window
}

type seriesRow struct {
	When, WhenISO, Value string
}

// chartLine is a horizontal reference line of a chart, labelled.
type chartLine struct {
	Value float64
	Label string
}

// newSeriesChart draws points (oldest first) between from and to, on a
// value axis from 0 to top with grid lines at ticks; marks are reference
// lines (severity bands, the start of the window). loc is the viewer's
// zone, for dates.
func newSeriesChart(id, title, summary string, points []care.SeriesPoint, from, to time.Time, top float64, ticks []float64,
	marks []chartLine, markAt time.Time, markLabel string, format func(float64) string, loc *time.Location) seriesChart {
	c := seriesChart{ID: id, Title: title, Summary: summary, Empty: len(points) == 0, Columns: [2]string{"When", title}}
	for i := len(points) - 1; i >= 0; i-- {
		p := points[i]
		c.Rows = append(c.Rows, seriesRow{When: p.At.In(loc).Format("Mon 2 Jan 2006, 15:04"), WhenISO: p.At.Format(time.RFC3339), Value: format(p.Value)})
	}
	plotW := float64(chartW - chartLeft - chartRight)
	plotH := float64(chartH - chartTop - chartBottom)
	span := to.Sub(from)
	if span <= 0 {
		span = time.Hour
	}
	x := func(t time.Time) float64 { return chartLeft + float64(t.Sub(from))/float64(span)*plotW }
	y := func(v float64) float64 { return chartTop + (top-v)/top*plotH }

	var b strings.Builder
	esc := template.HTMLEscapeString
	titleID, descID := id+"-title", id+"-desc"
	fmt.Fprintf(&b, `<svg class="mood-chart brief-chart" viewBox="0 0 %d %d" width="100%%" role="img" aria-labelledby="%s %s" focusable="false" xmlns="http://www.w3.org/2000/svg">`,
		chartW, chartH, esc(titleID), esc(descID))
	fmt.Fprintf(&b, `<title id="%s">%s</title><desc id="%s">%s</desc>`, esc(titleID), esc(title), esc(descID), esc(summary))
	for _, v := range ticks {
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, chartLeft, chartW-chartRight, y(v), y(v))
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`, chartLeft-8, y(v), esc(strconv.FormatFloat(v, 'f', -1, 64)))
	}
	for _, m := range marks {
		fmt.Fprintf(&b, `<line class="band" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, chartLeft, chartW-chartRight, y(m.Value), y(m.Value))
		fmt.Fprintf(&b, `<text class="axis band-label" x="%d" y="%.1f" text-anchor="end">%s</text>`, chartW-chartRight, y(m.Value)-3, esc(m.Label))
	}
	// Dates: the window's first and last day, and three between.
	for i := 0; i <= 4; i++ {
		t := from.Add(time.Duration(float64(span) * float64(i) / 4))
		fmt.Fprintf(&b, `<line class="tick" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/>`, x(t), x(t), chartH-chartBottom, chartH-chartBottom+5)
		anchor := "middle"
		switch i {
		case 0:
			anchor = "start"
		case 4:
			anchor = "end"
		}
		fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="%s">%s</text>`, x(t), chartH-8, anchor, esc(t.In(loc).Format("2 Jan")))
	}
	if !markAt.IsZero() && markAt.After(from) && markAt.Before(to) {
		fmt.Fprintf(&b, `<line class="window-start" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/>`, x(markAt), x(markAt), chartTop, chartH-chartBottom)
		at, anchor := x(markAt)+3, "start"
		if at > chartW*0.6 { // near the right edge: the label goes left of the line
			at, anchor = x(markAt)-3, "end"
		}
		fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="%s">%s</text>`, at, chartTop+10, anchor, esc(markLabel))
	}
	if len(points) > 1 {
		var line []string
		for _, p := range points {
			line = append(line, fmt.Sprintf("%.1f,%.1f", x(p.At), y(p.Value)))
		}
		fmt.Fprintf(&b, `<polyline class="trend" points="%s"/>`, strings.Join(line, " "))
	}
	r := 4.0
	if len(points) > 60 {
		r = 2 // a year of daily points
	}
	for _, p := range points {
		fmt.Fprintf(&b, `<circle class="point" cx="%.1f" cy="%.1f" r="%.1f"/>`, x(p.At), y(p.Value), r)
	}
	if len(points) == 0 {
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="middle">Nothing recorded in this period</text>`, chartW/2, y(top/2))
	}
	b.WriteString(`</svg>`)
	// Every string above is escaped; the rest are numbers we format.
	c.SVG = template.HTML(b.String()) //nolint:gosec // G203: see above
	return c
}

// evenTicks are the grid values 0, step, 2·step … up to top.
func evenTicks(top, step float64) []float64 {
	var out []float64
	for v := 0.0; v <= top+1e-9; v += step {
		out = append(out, v)
	}
	return out
}
