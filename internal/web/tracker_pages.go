package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// The pages of trackers (issue #19): the client's card on Home, their
// trackers with charts, one short form per tracker; the provider's
// trackers of a client (assign, remove) and the clinic's library; the
// brief's section (brief_pages.go). Every read goes through
// store.TrackerOverview, which shows the care team shared entries only.

// trackerChartDays is how far back the client's tracker charts go.
const trackerChartDays = 30

// ---- Shared views ----

// trackerSummary is one tracker as a list shows it.
type trackerSummary struct {
	ID, Name, Explainer string
	Goal                string // the plan goal it serves, or ""
	When                string // "Daily at 09:00", "Whenever it happens"
	Status              string // today's: "Due today", "Done today", "Not due today" (client's Home and page)
	Due                 bool   // due today and not done
	Adherence           string // "Filled in on 3 of 5 days it was due" or "4 entries"
	Chart               *seriesChart
	Entries             []trackerEntryView // newest first
}

// trackerEntryView is one entry as written, against its template version.
type trackerEntryView struct {
	ID, Tracker, When, WhenISO string
	Version                    int
	Shared, Discuss            bool
	Answers                    []trackerAnswer
}

type trackerAnswer struct{ Label, Value string }

var weekdayNames = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// scheduleText says when a tracker is due, in words.
func scheduleText(s care.TrackerSchedule) string {
	switch s.Kind {
	case care.ScheduleDaily:
		return "Daily at " + s.Clock()
	case care.ScheduleWeekdays:
		var days []string
		for _, d := range s.Weekdays {
			days = append(days, weekdayNames[d])
		}
		return strings.Join(days, ", ") + " at " + s.Clock()
	}
	return "Whenever it happens"
}

// adherenceText says how often a tracker was filled in.
func adherenceText(a care.TrackerAdherence) string {
	if a.DueDays > 0 {
		out := fmt.Sprintf("Filled in on %d of %d %s it was due", a.DoneDays, a.DueDays, plural(a.DueDays, "day", "days"))
		if a.Entries != a.DoneDays {
			out += fmt.Sprintf(" (%d %s in all)", a.Entries, plural(a.Entries, "entry", "entries"))
		}
		return out
	}
	return fmt.Sprintf("%d %s", a.Entries, plural(a.Entries, "entry", "entries"))
}

// answerText shows one value as the client gave it.
func answerText(f *care.TrackerField, v care.TrackerValue) string {
	switch v.Kind {
	case care.FieldRating:
		return fmt.Sprintf("%d (from %d to %d)", v.Number, f.Min, f.Max)
	case care.FieldYesNo:
		if v.Bool {
			return "Yes"
		}
		return "No"
	case care.FieldCount:
		return strconv.Itoa(v.Number)
	case care.FieldDuration:
		return durationText(v.Number)
	case care.FieldTime:
		return care.FormatClock(v.Number)
	case care.FieldChoice, care.FieldMultiChoice:
		return strings.Join(v.Choices, ", ")
	}
	return v.Text
}

func durationText(minutes int) string {
	if minutes < 60 {
		return fmt.Sprintf("%d min", minutes)
	}
	if minutes%60 == 0 {
		return fmt.Sprintf("%d h", minutes/60)
	}
	return fmt.Sprintf("%d h %d min", minutes/60, minutes%60)
}

// entryView shows e as written against tmpl, its version.
func entryView(e *care.TrackerEntry, tmpl *care.TrackerTemplate, loc *time.Location) trackerEntryView {
	v := trackerEntryView{ID: e.ID, When: e.OccurredAt.In(loc).Format("Mon 2 Jan, 15:04"), WhenISO: e.OccurredAt.Format(time.RFC3339),
		Shared: e.Shared, Discuss: e.Discuss}
	if tmpl == nil {
		return v
	}
	v.Tracker, v.Version = tmpl.Name, tmpl.Version
	for i := range tmpl.Fields {
		f := &tmpl.Fields[i]
		if val, ok := e.Values[f.ID]; ok {
			v.Answers = append(v.Answers, trackerAnswer{Label: f.Label, Value: answerText(f, val)})
		}
	}
	return v
}

// trackerChart charts the main measure of tr over the entries given
// (newest first, any tracker), between from and to; nil when its
// template has no main measure.
func trackerChart(idPrefix string, tr *care.Tracker, page *store.TrackerEntryPage, from, to time.Time, loc *time.Location) *seriesChart {
	f := tr.Template.MainField()
	if f == nil {
		return nil
	}
	var points []care.SeriesPoint
	top := 0.0
	for i := len(page.Entries) - 1; i >= 0; i-- {
		e := &page.Entries[i]
		if e.TrackerID != tr.ID {
			continue
		}
		tmpl := page.Template(e)
		if tmpl == nil {
			continue
		}
		v, ok := e.MainValue(tmpl)
		if !ok {
			continue
		}
		v = max(v, 0) // the chart starts at 0
		points = append(points, care.SeriesPoint{At: e.OccurredAt, Value: v})
		top = max(top, v)
	}
	unit := ""
	switch f.Kind {
	case care.FieldRating:
		top = max(top, float64(f.Max))
		unit = fmt.Sprintf("from %d to %d", f.Min, f.Max)
	case care.FieldYesNo:
		top, unit = 1, "1 is yes, 0 is no"
	case care.FieldDuration:
		unit = "minutes"
	default:
		unit = "count"
	}
	if top <= 0 {
		top = 1
	}
	step := math.Max(1, math.Ceil(top/5))
	top = math.Ceil(top/step) * step
	label := f.Label
	format := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	summary := tr.Template.Name + ", " + label + ": nothing recorded in this period."
	if n := len(points); n > 0 {
		lo, hi, sum := points[0].Value, points[0].Value, 0.0
		for _, p := range points {
			lo, hi, sum = min(lo, p.Value), max(hi, p.Value), sum+p.Value
		}
		summary = fmt.Sprintf("%s, %s (%s): %d %s, average %s, lowest %s, highest %s.", tr.Template.Name, label, unit, n,
			plural(n, "answer", "answers"), format(math.Round(sum/float64(n)*10)/10), format(lo), format(hi))
	}
	c := newSeriesChart(idPrefix+tr.ID, tr.Template.Name+": "+label, summary, points, from, to, top, evenTicks(top, step),
		nil, time.Time{}, "", format, loc)
	c.Columns = [2]string{"When", label + " (" + unit + ")"}
	return &c
}

// summaries lists ov's trackers with today's status, adherence and, with
// charts, the main measure's chart and entries of each.
func summaries(ov *store.TrackerOverview, goals goalTitles, now time.Time, charts bool, idPrefix string, entriesEach int) []trackerSummary {
	loc := care.Location(ov.TimeZone)
	today := care.DayIn(now, ov.TimeZone)
	from := ov.From.Time()
	from = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
	var out []trackerSummary
	for i := range ov.Trackers {
		tr := &ov.Trackers[i]
		sum := trackerSummary{ID: tr.ID, Name: tr.Template.Name, Explainer: tr.Template.Explainer, Goal: goals[tr.GoalID],
			When: scheduleText(tr.Schedule), Adherence: adherenceText(ov.Adherence[tr.ID])}
		doneToday := false
		for j := range ov.Entries.Entries {
			e := &ov.Entries.Entries[j]
			if e.TrackerID != tr.ID {
				continue
			}
			if care.DayIn(e.OccurredAt, ov.TimeZone) == today {
				doneToday = true
			}
			if len(sum.Entries) < entriesEach {
				sum.Entries = append(sum.Entries, entryView(e, ov.Entries.Template(e), loc))
			}
		}
		switch {
		case doneToday:
			sum.Status = "Done today"
		case tr.Schedule.DueOn(today):
			sum.Status, sum.Due = "Due today at "+tr.Schedule.Clock(), true
		case tr.Schedule.Kind == care.ScheduleEvent:
			sum.Status = "When it happens"
		default:
			sum.Status = "Not due today"
		}
		if charts {
			sum.Chart = trackerChart(idPrefix, tr, &ov.Entries, from, now, loc)
		}
		out = append(out, sum)
	}
	return out
}

// ---- The client's Home card ----

// trackersHome is the compact card on the client's Home.
type trackersHome struct {
	Trackers []trackerSummary
}

// clientTrackersHome reads the card of the client's Home: today's
// entries only; nil when the client has no tracker.
func (s *Server) clientTrackersHome(r *http.Request, actor care.Actor) (*trackersHome, error) {
	now := s.now()
	loc := viewerZone(actor)
	ov, err := s.store.TrackerOverview(r.Context(), actor, actor.UserID, dayStart(now.In(loc)))
	if err != nil {
		return nil, err
	}
	if len(ov.Trackers) == 0 {
		return nil, nil
	}
	return &trackersHome{Trackers: summaries(ov, goalTitles{}, now, false, "", 0)}, nil
}

// ---- The client's trackers ----

type clientTrackersPage struct {
	Layout
	Days     int
	Trackers []trackerSummary
}

// trackerNotices are the confirmations of the trackers' redirects.
var trackerNotices = map[string]string{
	"tracker-saved":    "Your entry is saved.",
	"tracker-assigned": "The tracker is assigned. The client sees it on their Home.",
	"tracker-removed":  "The tracker is removed. Its entries are kept.",
}

func (s *Server) layoutTrackers(r *http.Request, title string) Layout {
	l := s.layoutNotice(r, title)
	if n, ok := trackerNotices[r.URL.Query().Get("done")]; ok {
		l.Notice = n
	}
	return l
}

// GET /trackers
func (s *Server) clientTrackers(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	if r, err = s.withSavedTrackerEntry(r, actor); err != nil {
		return err
	}
	now := s.now()
	loc := viewerZone(actor)
	ov, err := s.store.TrackerOverview(r.Context(), actor, actor.UserID, dayStart(now.In(loc)).AddDate(0, 0, -(trackerChartDays-1)))
	if err != nil {
		return err
	}
	goals, _, err := s.goalTitles(r, actor, actor.UserID)
	if err != nil {
		return err
	}
	p := &clientTrackersPage{Layout: s.layoutTrackers(r, "My trackers"), Days: trackerChartDays,
		Trackers: summaries(ov, goals, now, true, "tracker-chart-", 3)}
	s.renderPage(w, r, http.StatusOK, "trackers", p)
	return nil
}

// withSavedTrackerEntry is withSavedEntry for a tracker entry (?saved=):
// crisis language in the client's own entry shows the crisis banner.
func (s *Server) withSavedTrackerEntry(r *http.Request, actor care.Actor) (*http.Request, error) {
	id := r.URL.Query().Get("saved")
	if actor.Role != care.RoleClient || !care.ValidID(id) {
		return r, nil
	}
	read, err := s.store.TrackerEntry(r.Context(), actor, actor.UserID, "", id)
	if care.ErrorCode(err) == care.NotFound {
		return r, nil
	} else if err != nil {
		return r, err
	}
	if read.Entry.CrisisSignal().Level == care.CrisisNone {
		return r, nil
	}
	b := crisisBanner{Told: read.Entry.Shared}
	if b.Told {
		if b.Screener, err = s.store.ScreenerOffer(r.Context(), actor, "tracker_entry", id); err != nil {
			return r, err
		}
	}
	return s.withCrisis(r, actor, b)
}

// ---- The client's form ----

// trackerFormPage is one tracker's form.
type trackerFormPage struct {
	Layout
	TrackerID, Name, Explainer string
	Action, Zone, OccurredAt   string
	Fields                     []trackerFieldView
	Shared, Discuss            bool
	Error, Field, Anchor       string
}

// trackerFieldView is one field of the form by kind.
type trackerFieldView struct {
	ID, Name, Kind, Label, Help string
	Required                    bool
	Min, Max, MaxLen            int
	MinLabel, MaxLabel          string
	Options                     []trackerOption
	Value                       string
	Invalid                     bool
	Error                       string // the form's error, when Invalid
}

type trackerOption struct {
	ID, Value, Label string
	Checked          bool
}

// trackerFieldName is the form's name of a field's control.
func trackerFieldName(id string) string { return "f_" + id }

// trackerFieldAnchor is the id of the first control of a field, for
// the error summary's link.
func trackerFieldAnchor(tmpl *care.TrackerTemplate, field string) string {
	switch field {
	case "occurred_at":
		return "occurred-at"
	case "shared":
		return "shared"
	}
	id, ok := strings.CutPrefix(field, "values.")
	if !ok {
		return ""
	}
	f := tmpl.Field(id)
	if f == nil {
		return ""
	}
	switch f.Kind {
	case care.FieldRating, care.FieldYesNo, care.FieldChoice, care.FieldMultiChoice:
		return "f-" + id + "-0"
	}
	return "f-" + id
}

// trackerForm builds the form of tmpl with the values posted (or none).
func trackerForm(tmpl *care.TrackerTemplate, posted map[string][]string, invalid string) []trackerFieldView {
	var out []trackerFieldView
	for i := range tmpl.Fields {
		f := &tmpl.Fields[i]
		name := trackerFieldName(f.ID)
		v := trackerFieldView{ID: "f-" + f.ID, Name: name, Kind: string(f.Kind), Label: f.Label, Help: f.Help, Required: f.Required,
			Min: f.Min, Max: f.Max, MinLabel: f.MinLabel, MaxLabel: f.MaxLabel, MaxLen: f.MaxLen, Invalid: invalid == "values."+f.ID}
		var given []string
		if posted != nil {
			given = posted[name]
		}
		if len(given) > 0 {
			v.Value = given[0]
		}
		option := func(j int, value, label string) trackerOption {
			return trackerOption{ID: fmt.Sprintf("f-%s-%d", f.ID, j), Value: value, Label: label, Checked: containsString(given, value)}
		}
		switch f.Kind {
		case care.FieldRating:
			for n := f.Min; n <= f.Max; n++ {
				v.Options = append(v.Options, option(n-f.Min, strconv.Itoa(n), strconv.Itoa(n)))
			}
		case care.FieldYesNo:
			v.Options = []trackerOption{option(0, "yes", "Yes"), option(1, "no", "No")}
		case care.FieldChoice, care.FieldMultiChoice:
			for j, o := range f.Options {
				v.Options = append(v.Options, option(j, o, o))
			}
		case care.FieldCount:
			if v.Max == 0 {
				v.Max = care.MaxTrackerCount
			}
		case care.FieldDuration:
			v.Max = care.MaxTrackerDuration
		case care.FieldText:
			if v.MaxLen == 0 {
				v.MaxLen = care.DefaultTextLen
			}
		case care.FieldLongText:
			if v.MaxLen == 0 {
				v.MaxLen = care.DefaultLongTextLen
			}
		}
		out = append(out, v)
	}
	return out
}

var wholeNumberText = regexp.MustCompile(`^-?[0-9]{1,9}$`)

// trackerValues reads the posted form into the JSON values the store
// reads strictly (care.DecodeTrackerValues): what the form cannot put
// in a value's type is passed as text, for the store to refuse naming
// the field.
func trackerValues(tmpl *care.TrackerTemplate, form map[string][]string) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	str := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	for i := range tmpl.Fields {
		f := &tmpl.Fields[i]
		given := form[trackerFieldName(f.ID)]
		first := ""
		if len(given) > 0 {
			first = strings.TrimSpace(given[0])
		}
		switch f.Kind {
		case care.FieldInfo:
			continue
		case care.FieldMultiChoice:
			if len(given) > 0 {
				b, _ := json.Marshal(given)
				out[f.ID] = b
			}
			continue
		case care.FieldText, care.FieldLongText:
			if len(given) > 0 && strings.TrimSpace(given[0]) != "" {
				out[f.ID] = str(given[0])
			}
			continue
		}
		if first == "" {
			continue
		}
		switch f.Kind {
		case care.FieldRating, care.FieldCount, care.FieldDuration:
			if wholeNumberText.MatchString(first) {
				out[f.ID] = json.RawMessage(first)
			} else {
				out[f.ID] = str(first)
			}
		case care.FieldYesNo:
			switch first {
			case "yes":
				out[f.ID] = json.RawMessage("true")
			case "no":
				out[f.ID] = json.RawMessage("false")
			default:
				out[f.ID] = str(first)
			}
		default: // time, choice
			out[f.ID] = str(first)
		}
	}
	return out
}

// clientTracker reads one of the client's own trackers, not removed.
func (s *Server) clientTracker(r *http.Request, actor care.Actor) (*care.Tracker, error) {
	tr, err := s.store.Tracker(r.Context(), actor, actor.UserID, r.PathValue("trid"))
	if err != nil {
		return nil, err
	}
	if tr.Removed() {
		return nil, care.Errorf(care.Gone, "Your care team removed this tracker. Its entries are kept.")
	}
	return tr, nil
}

// GET /trackers/{trid}/new
func (s *Server) trackerNew(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	tr, err := s.clientTracker(r, actor)
	if err != nil {
		return err
	}
	shared, err := s.store.ShareByDefault(r.Context(), actor)
	if err != nil {
		return err
	}
	p := &trackerFormPage{OccurredAt: localInput(s.now(), viewerZone(actor)), Shared: shared}
	s.renderTrackerForm(w, r, actor, tr, p, nil, http.StatusOK)
	return nil
}

func (s *Server) renderTrackerForm(w http.ResponseWriter, r *http.Request, actor care.Actor, tr *care.Tracker, p *trackerFormPage, posted map[string][]string, status int) {
	p.TrackerID, p.Name, p.Explainer = tr.ID, tr.Template.Name, tr.Template.Explainer
	p.Action, p.Zone = "/trackers/"+tr.ID+"/entries", actor.TimeZone
	p.Fields = trackerForm(tr.Template, posted, p.Field)
	for i := range p.Fields {
		if p.Fields[i].Invalid {
			p.Fields[i].Error = p.Error
		}
	}
	p.Layout = s.layout(r, tr.Template.Name)
	s.renderPage(w, r, status, "tracker_form", p)
}

// POST /trackers/{trid}/entries
func (s *Server) trackerEntryCreate(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	if err := parseJournalForm(w, r); err != nil {
		return err
	}
	tr, err := s.clientTracker(r, actor)
	if err != nil {
		return err
	}
	f := r.PostForm
	p := &trackerFormPage{OccurredAt: f.Get("occurred_at"), Shared: f.Get("shared") == "on", Discuss: f.Get("discuss") == "on"}
	var e *care.TrackerEntry
	at, err := time.ParseInLocation("2006-01-02T15:04", strings.TrimSpace(p.OccurredAt), viewerZone(actor))
	if err != nil { // some browsers send the seconds
		at, err = time.ParseInLocation("2006-01-02T15:04:05", strings.TrimSpace(p.OccurredAt), viewerZone(actor))
	}
	if err != nil {
		err = care.FieldError("occurred_at", "must be a date and time")
	} else {
		shared := p.Shared
		e, err = s.store.CreateTrackerEntry(r.Context(), actor, actor.UserID, tr.ID, store.TrackerEntryInput{
			OccurredAt: at.UTC(), Values: trackerValues(tr.Template, f), Shared: &shared, Discuss: p.Discuss})
	}
	if err != nil {
		var ce *care.Error
		if !errors.As(err, &ce) || ce.Code != care.Invalid {
			return err
		}
		msg := ce.Message
		if ce.Field != "" && msg != "" && 'a' <= msg[0] && msg[0] <= 'z' {
			msg = trackerFieldLabel(tr.Template, ce.Field) + " " + msg
		}
		p.Error, p.Field, p.Anchor = sentence(msg), ce.Field, trackerFieldAnchor(tr.Template, ce.Field)
		s.renderTrackerForm(w, r, actor, tr, p, f, http.StatusBadRequest)
		return nil
	}
	return redirect(w, r, "/trackers?done=tracker-saved&saved="+e.ID+"#tracker-"+tr.ID)
}

// trackerFieldLabel names a field of an entry for a person.
func trackerFieldLabel(tmpl *care.TrackerTemplate, field string) string {
	switch field {
	case "occurred_at":
		return "When it happened"
	case "values":
		return "The entry"
	}
	if id, ok := strings.CutPrefix(field, "values."); ok {
		if f := tmpl.Field(id); f != nil {
			return `"` + f.Label + `"`
		}
	}
	return "This field"
}

// ---- The provider's trackers of a client ----

// providerTrackersPage is a client's trackers as the care team sees them:
// shared entries only.
type providerTrackersPage struct {
	Layout
	ClientID, ClientName string
	Days                 int
	Trackers             []trackerSummary
	Form                 trackerAssignView
}

// trackerAssignView is the form that assigns a tracker from the library.
type trackerAssignView struct {
	Templates            []trackerTemplateChoice
	Goals                []goalChoice
	TemplateID, GoalID   string
	Schedule, Time       string // "", "daily", "weekdays", "event"; HH:MM
	Weekdays             []trackerOption
	Reminder             bool
	Error, Field, Anchor string
}

type trackerTemplateChoice struct{ ID, Name, When string }

// staffClient is the signed-in staff member and the client of the path;
// a client is led to their own trackers.
func (s *Server) staffClient(w http.ResponseWriter, r *http.Request) (care.Actor, *care.User, bool, error) {
	actor, err := signedIn(r)
	if err != nil {
		return actor, nil, false, err
	}
	if actor.Role == care.RoleClient {
		return actor, nil, false, redirect(w, r, "/trackers")
	}
	client, err := s.store.Client(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return actor, nil, false, err
	}
	return actor, client, true, nil
}

// GET /clients/{id}/trackers
func (s *Server) providerTrackers(w http.ResponseWriter, r *http.Request) error {
	actor, client, ok, err := s.staffClient(w, r)
	if err != nil || !ok {
		return err
	}
	return s.renderProviderTrackers(w, r, actor, client, trackerAssignView{Time: "20:00"}, http.StatusOK)
}

func (s *Server) renderProviderTrackers(w http.ResponseWriter, r *http.Request, actor care.Actor, client *care.User, form trackerAssignView, status int) error {
	now := s.now()
	ov, err := s.store.TrackerOverview(r.Context(), actor, client.ID, now.AddDate(0, 0, -(trackerChartDays-1)))
	if err != nil {
		return err
	}
	titles, goals, err := s.goalTitles(r, actor, client.ID)
	if err != nil {
		return err
	}
	name := client.DisplayName
	if name == "" {
		name = "This client"
	}
	p := &providerTrackersPage{Layout: s.layoutTrackers(r, "Trackers: "+name), ClientID: client.ID, ClientName: name, Days: trackerChartDays,
		Trackers: summaries(ov, titles, now, true, "tracker-chart-", 5), Form: form}
	if actor.Role == care.RoleProvider || actor.Role == care.RoleAdmin {
		tmpls, err := s.store.TrackerTemplates(r.Context(), actor, false)
		if err != nil && care.ErrorCode(err) != care.Forbidden {
			return err
		}
		for _, t := range tmpls {
			p.Form.Templates = append(p.Form.Templates, trackerTemplateChoice{ID: t.ID, Name: t.Name, When: scheduleText(t.Schedule)})
		}
	}
	for _, g := range goals {
		p.Form.Goals = append(p.Form.Goals, goalChoice{ID: g.ID, Title: g.Title})
	}
	p.Form.Weekdays = nil
	for d := 1; d <= 7; d++ {
		wd := d % 7 // Monday first
		v := strconv.Itoa(wd)
		p.Form.Weekdays = append(p.Form.Weekdays, trackerOption{ID: "weekday-" + v, Value: v, Label: weekdayNames[wd],
			Checked: containsString(r.PostForm["weekday"], v)})
	}
	s.renderPage(w, r, status, "client_trackers", p)
	return nil
}

// POST /clients/{id}/trackers: assign a tracker from the library.
func (s *Server) trackerAssignForm(w http.ResponseWriter, r *http.Request) error {
	actor, client, ok, err := s.staffClient(w, r)
	if err != nil || !ok {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	form := trackerAssignView{TemplateID: f.Get("template_id"), GoalID: f.Get("goal_id"), Schedule: f.Get("schedule"),
		Time: f.Get("time"), Reminder: f.Get("reminder") == "on"}
	tr := &care.Tracker{TemplateID: form.TemplateID, GoalID: form.GoalID, Reminder: form.Reminder}
	err = func() error {
		switch form.Schedule {
		case "":
			return nil // the template's
		case string(care.ScheduleDaily), string(care.ScheduleWeekdays), string(care.ScheduleEvent):
			tr.Schedule.Kind = care.ScheduleKind(form.Schedule)
		default:
			return care.FieldError("schedule", "must be one of the choices")
		}
		if tr.Schedule.Kind == care.ScheduleEvent {
			return nil
		}
		t, err := time.Parse("15:04", strings.TrimSpace(form.Time))
		if err != nil {
			return care.FieldError("schedule.minute", "must be a time of day")
		}
		tr.Schedule.Minute = t.Hour()*60 + t.Minute()
		if tr.Schedule.Kind == care.ScheduleWeekdays {
			for _, v := range f["weekday"] {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 || n > 6 {
					return care.FieldError("schedule.weekdays", "must be days of the week")
				}
				tr.Schedule.Weekdays = append(tr.Schedule.Weekdays, time.Weekday(n))
			}
		}
		return nil
	}()
	if err == nil {
		err = s.store.AssignTracker(r.Context(), actor, client.ID, tr)
	}
	if err != nil {
		var ce *care.Error
		if !errors.As(err, &ce) || ce.Code != care.Invalid {
			return err
		}
		msg := ce.Message
		if ce.Field != "" && msg != "" && 'a' <= msg[0] && msg[0] <= 'z' {
			msg = assignFieldLabel(ce.Field) + " " + msg
		}
		form.Error, form.Field, form.Anchor = sentence(msg), ce.Field, assignFieldAnchor(ce.Field)
		return s.renderProviderTrackers(w, r, actor, client, form, http.StatusBadRequest)
	}
	return redirect(w, r, "/clients/"+client.ID+"/trackers?done=tracker-assigned#tracker-"+tr.ID)
}

func assignFieldLabel(field string) string {
	switch {
	case field == "template_id":
		return "The tracker"
	case field == "goal_id":
		return "The goal"
	case field == "schedule.weekdays":
		return "The days"
	case field == "schedule.minute":
		return "The time"
	case strings.HasPrefix(field, "schedule"):
		return "When"
	}
	return "This field"
}

func assignFieldAnchor(field string) string {
	switch {
	case field == "template_id":
		return "assign-template"
	case field == "goal_id":
		return "assign-goal"
	case field == "schedule.weekdays":
		return "weekday-1"
	case field == "schedule.minute":
		return "assign-time"
	case strings.HasPrefix(field, "schedule"):
		return "schedule-template"
	}
	return ""
}

// POST /clients/{id}/trackers/{trid}/remove
func (s *Server) trackerRemoveForm(w http.ResponseWriter, r *http.Request) error {
	actor, client, ok, err := s.staffClient(w, r)
	if err != nil || !ok {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.store.RemoveTracker(r.Context(), actor, client.ID, r.PathValue("trid")); err != nil {
		return err
	}
	return redirect(w, r, "/clients/"+client.ID+"/trackers?done=tracker-removed")
}

// ---- The clinic's library ----

type trackerLibraryPage struct {
	Layout
	Templates []trackerTemplateView
}

type trackerTemplateView struct {
	ID, Key, Name, Explainer, When string
	Version                        int
	Updated                        string
	Fields                         []trackerFieldSummary
}

type trackerFieldSummary struct{ Label, Kind, Detail string }

var fieldKindNames = map[care.FieldKind]string{
	care.FieldRating: "Rating", care.FieldYesNo: "Yes or no", care.FieldCount: "Count", care.FieldDuration: "Duration",
	care.FieldTime: "Time of day", care.FieldChoice: "One choice", care.FieldMultiChoice: "Several choices",
	care.FieldText: "Short text", care.FieldLongText: "Long text", care.FieldInfo: "Explainer",
}

// GET /trackers/library: the clinic's templates, for its staff.
func (s *Server) trackerLibrary(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if actor.Role == care.RoleClient {
		return care.Errorf(care.NotFound, "There is no page at this address.")
	}
	tmpls, err := s.store.TrackerTemplates(r.Context(), actor, false)
	if err != nil {
		return err
	}
	p := &trackerLibraryPage{Layout: s.layout(r, "Tracker library")}
	for _, t := range tmpls {
		v := trackerTemplateView{ID: t.ID, Key: t.Key, Name: t.Name, Explainer: t.Explainer, When: scheduleText(t.Schedule),
			Version: t.Version, Updated: localTime(t.CreatedAt, actor.TimeZone)}
		for _, f := range t.Fields {
			fs := trackerFieldSummary{Label: f.Label, Kind: fieldKindNames[f.Kind]}
			switch f.Kind {
			case care.FieldRating:
				fs.Detail = fmt.Sprintf("%d (%s) to %d (%s)", f.Min, f.MinLabel, f.Max, f.MaxLabel)
			case care.FieldChoice, care.FieldMultiChoice:
				fs.Detail = strings.Join(f.Options, ", ")
			case care.FieldInfo:
				fs.Detail = f.Help
			}
			if f.Main {
				fs.Kind += ", main measure"
			}
			v.Fields = append(v.Fields, fs)
		}
		p.Templates = append(p.Templates, v)
	}
	s.renderPage(w, r, http.StatusOK, "tracker_library", p)
	return nil
}
