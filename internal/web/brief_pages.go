package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"interlude/internal/care"
)

// The pre-session brief as a printable page (issue #7):
// GET /clients/{id}/brief, for the care team. It renders the one audited
// store read (Store.Brief) that GET /api/v1/clients/{id}/brief answers
// with; print CSS (app.css) drops the site's navigation and keeps the
// charts legible in black and white.

// briefPage is the brief's page data.
type briefPage struct {
	Layout
	ClientID, ClientName string
	Window               string // "Since the session of …", or the last 30 days
	SinceISO             string
	Generated            string
	Next                 string // the next session, or ""
	Discuss              []entryRow
	Flags                []briefFlagView
	Charts               []seriesChart // mood, sleep, then the symptoms rated
	Unrated              []string      // symptoms nobody rated in the window
	Goals                []briefGoalView
	Tasks                []briefTaskView
	Measures             []briefMeasureView
	Messages             care.MessageCounts
	CheckIns             care.CheckInCounts
	Adherence            string // "67% (4 of 6)" or ""
	Entries              []entryRow
	SafetyPlan           string // "Version 3, saved … by …, changed since the last session", or "" when none
	SafetyPlanChanged    bool
	Trackers             []trackerSummary   // shared entries only (tracker_pages.go)
	TrackerDiscuss       []trackerEntryView // shared tracker entries marked "bring this up"
}

type briefFlagView struct {
	ID, Level, Kind, When, WhenISO, Source, Status string
	Open                                           bool
	Handled                                        string // "Acknowledged by … on …"
	Note                                           string
	Escalated                                      string // "Escalated to the on-call provider on …", or ""
	Screener, ScreenerClass                        string // the follow-up screen's result (issue #16), "" if none
}

type briefGoalView struct {
	Title, Status, Target string
	Progress              string // "3 → 6 out of 10 (4 ratings)" or ""
	Tasks                 string // "6 of 9 done" or ""
}

type briefTaskView struct {
	Title, Schedule, Goal string
	Done, Due             int
	Share                 string // "63%"
}

type briefMeasureView struct {
	Name, Title    string
	Chart          seriesChart
	Baseline       string // "16 (Moderately severe), 16 Oct 2026"
	Latest         string
	Scores         []scoreRow // the window's, newest first, with markers
	NoneInWindow   bool
	ReliableChange int // points of change that are reliable
}

// GET /clients/{id}/brief
func (s *Server) clientBrief(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	b, err := s.store.Brief(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	zone := actor.TimeZone
	loc := viewerZone(actor)
	name := b.ClientName
	if name == "" {
		name = "This client"
	}
	l := s.layout(r, "Brief: "+name)
	l.Scripts = append(l.Scripts, "brief.js")
	p := &briefPage{Layout: l, ClientID: b.ClientID, ClientName: name, SinceISO: b.Since.Format(time.RFC3339),
		Generated: localTime(b.Now, zone), Messages: b.Messages, CheckIns: b.CheckIns}
	if b.LastSession != nil {
		p.Window = "Since the session of " + localTime(b.LastSession.StartsAt, zone)
	} else {
		p.Window = fmt.Sprintf("No session held yet: the last %d days, since %s", int(care.BriefDefaultWindow.Hours()/24), localTime(b.Since, zone))
	}
	if b.NextSession != nil {
		p.Next = localTime(b.NextSession.StartsAt, zone)
	}
	goals := goalTitles{}
	for _, g := range b.Goals {
		goals[g.GoalID] = g.Title
	}
	for i := range b.Discuss {
		row := s.entryRow(actor, &b.Discuss[i], goals)
		row.IDPrefix = "discuss-" // the entry is in the timeline below too (issue #18: one id once)
		p.Discuss = append(p.Discuss, row)
	}
	for i := range b.Entries {
		p.Entries = append(p.Entries, s.entryRow(actor, &b.Entries[i], goals))
	}
	p.Flags = briefFlagViews(b.Flags, zone)
	if err := s.briefTrackers(r, actor, b, goals, p); err != nil {
		return err
	}
	if sp := b.SafetyPlan; sp.Version > 0 {
		p.SafetyPlan = fmt.Sprintf("Version %d, saved %s", sp.Version, localTime(sp.UpdatedAt, zone))
		if sp.UpdatedByName != "" {
			p.SafetyPlan += " by " + sp.UpdatedByName
		}
		if sp.Empty {
			p.SafetyPlan += " (nothing written in it)"
		}
		p.SafetyPlanChanged = sp.Changed
	}

	for _, sr := range care.Trends(b.Entries) {
		if sr.Count == 0 {
			if sr.Name != "mood" {
				p.Unrated = append(p.Unrated, strings.ToLower(sr.Label))
				continue
			}
		}
		p.Charts = append(p.Charts, seriesSummaryChart(sr, b.Since, b.Now, loc))
	}
	for _, g := range b.Goals {
		v := briefGoalView{Title: g.Title, Status: string(g.Status), Target: string(g.TargetDate)}
		if n := len(g.Ratings); n > 0 {
			v.Progress = fmt.Sprintf("%d → %d out of 10 (%d %s)", *g.First(), *g.Latest(), n, plural(n, "rating", "ratings"))
		}
		if g.TasksDue > 0 {
			v.Tasks = fmt.Sprintf("%d of %d done", g.TasksDone, g.TasksDue)
		}
		p.Goals = append(p.Goals, v)
	}
	for _, t := range b.Tasks {
		p.Tasks = append(p.Tasks, briefTaskView{Title: t.Title, Schedule: t.Schedule, Goal: goals[t.GoalID], Done: t.Done, Due: t.Due,
			Share: fmt.Sprintf("%.0f%%", 100*float64(t.Done)/float64(t.Due))})
	}
	for i := range b.Measures {
		p.Measures = append(p.Measures, briefMeasure(&b.Measures[i], b, zone, loc))
	}
	if share, ok := b.CheckIns.Adherence(); ok {
		p.Adherence = fmt.Sprintf("%.0f%% (%d of %d due)", math.Round(share*100), b.CheckIns.Answered, b.CheckIns.Answered+b.CheckIns.Missed)
	}
	s.renderPage(w, r, http.StatusOK, "brief", p)
	return nil
}

func briefFlagViews(flags []care.BriefFlag, zone string) []briefFlagView {
	out := []briefFlagView{}
	for _, f := range flags {
		v := briefFlagView{ID: f.ID, Level: f.LevelLabel(), Kind: flagKindText(&f.SafetyFlag), When: localTime(f.RaisedAt, zone), WhenISO: f.RaisedAt.Format(time.RFC3339),
			Open: f.Open(), Note: f.Note, Screener: f.Screener.Label(), ScreenerClass: screenerClass(f.Screener)}
		switch f.SourceType {
		case "message":
			v.Source = "a message"
		case "journal_entry":
			v.Source = "a shared journal entry"
		case "measure_response":
			v.Source = "a PHQ-9 response"
		default:
			v.Source = strings.ReplaceAll(f.SourceType, "_", " ")
		}
		switch f.Status() {
		case "acknowledged":
			who := f.AcknowledgedByName
			if who == "" {
				who = "a provider no longer with the clinic"
			}
			v.Status, v.Handled = "Acknowledged", fmt.Sprintf("Acknowledged by %s on %s", who, localTime(f.AcknowledgedAt, zone))
		case "escalated":
			v.Status = "Open, escalated"
		default:
			v.Status = "Open: nobody has acknowledged it yet"
		}
		if !f.EscalatedAt.IsZero() {
			to := "the clinic's admins (no provider was on call)"
			if f.EscalatedTo != "" {
				to = "the on-call provider"
				if f.EscalatedToName != "" {
					to += ", " + f.EscalatedToName + ","
				}
			}
			v.Escalated = "Escalated to " + to + " on " + localTime(f.EscalatedAt, zone)
		}
		out = append(out, v)
	}
	return out
}

// seriesSummaryChart draws one trend between from and to (the brief's
// window, or the weeks of the client's progress page): the chart, and as
// its text alternative the count, average, range and the direction from
// the earlier to the later half.
func seriesSummaryChart(sr care.SeriesSummary, from, to time.Time, loc *time.Location) seriesChart {
	format := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	unit := " " + sr.Unit
	if sr.Unit == "hours" {
		unit = " h"
	}
	var summary string
	switch sr.Count {
	case 0:
		summary = sr.Label + ": nothing recorded in this period."
	default:
		summary = fmt.Sprintf("%s: %d %s, average %s%s, lowest %s, highest %s.", sr.Label, sr.Count, plural(sr.Count, "rating", "ratings"),
			format(sr.Average), unit, format(sr.Lowest), format(sr.Highest))
		if sr.HasHalves {
			summary += fmt.Sprintf(" Earlier half %s, later half %s.", format(sr.EarlierAverage), format(sr.LaterAverage))
		}
	}
	step := 5.0
	switch sr.Scale {
	case 12:
		step = 4
	case 24:
		step = 6
	}
	c := newSeriesChart("chart-"+sr.Name, sr.Label, summary, sr.Values, from, to, sr.Scale, evenTicks(sr.Scale, step),
		nil, time.Time{}, "", format, loc)
	c.Columns = [2]string{"When", sr.Label + " (" + sr.Unit + ")"}
	return c
}

// briefMeasure shows one instrument: every total as a chart, with the
// severity bands and the start of the window marked, and the window's
// scores with their change markers.
func briefMeasure(m *care.MeasureTrend, b *care.Brief, zone string, loc *time.Location) briefMeasureView {
	in := m.Instrument
	base, last := m.Baseline(), m.Latest()
	show := func(r *care.MeasureResponse) string {
		return fmt.Sprintf("%d of %d (%s), %s", r.Total, in.MaxTotal(), r.Severity.Label(), r.AnsweredAt.In(loc).Format("2 Jan 2006"))
	}
	v := briefMeasureView{Name: in.Name, Title: in.Title, Baseline: show(base), Latest: show(last), NoneInWindow: len(m.InWindow) == 0,
		ReliableChange: b.ReliableChange.Points(in)}
	newest := make([]care.MeasureResponse, 0, len(m.InWindow))
	for i := len(m.InWindow) - 1; i >= 0; i-- {
		newest = append(newest, m.InWindow[i])
	}
	v.Scores = scoreRows(newest, zone)
	points := make([]care.SeriesPoint, len(m.History))
	for i, r := range m.History {
		points[i] = care.SeriesPoint{At: r.AnsweredAt, Value: float64(r.Total)}
	}
	var bands []chartLine
	for _, band := range in.Bands[1:] {
		bands = append(bands, chartLine{Value: float64(band.Min), Label: band.Severity.Label()})
	}
	summary := fmt.Sprintf("%s totals: %d %s from %s to %s. Baseline %s; latest %s, change %+d.", in.Name, len(points),
		plural(len(points), "response", "responses"), base.AnsweredAt.In(loc).Format("2 Jan 2006"), last.AnsweredAt.In(loc).Format("2 Jan 2006"),
		show(base), show(last), last.Total-base.Total)
	from := base.AnsweredAt
	if b.Since.Before(from) {
		from = b.Since
	}
	from = from.Add(-24 * time.Hour)
	mark := "last session"
	if b.LastSession == nil {
		mark = "30 days ago"
	}
	v.Chart = newSeriesChart("chart-"+in.Code, in.Name+" total", summary, points, from, b.Now, float64(in.MaxTotal()),
		[]float64{0, float64(in.MaxTotal())}, bands, b.Since, mark, func(x float64) string { return strconv.Itoa(int(x)) }, loc)
	return v
}

// briefTrackers fills the brief's trackers since b.Since: adherence, the
// main measure's chart and the newest entries of each, and the entries
// marked "bring this up"; the store gives the care team shared entries
// only, so nothing of a private entry shows, not even its count.
func (s *Server) briefTrackers(r *http.Request, actor care.Actor, b *care.Brief, goals goalTitles, p *briefPage) error {
	ov, err := s.store.TrackerOverview(r.Context(), actor, b.ClientID, b.Since)
	if err != nil {
		return err
	}
	p.Trackers = summaries(ov, goals, b.Now, true, "brief-tracker-chart-", 3)
	loc := viewerZone(actor)
	for i := range ov.Entries.Entries {
		e := &ov.Entries.Entries[i]
		if e.Discuss && e.Shared {
			p.TrackerDiscuss = append(p.TrackerDiscuss, entryView(e, ov.Entries.Template(e), loc))
		}
	}
	return nil
}
