package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// Measures on the web (issue #7). The client answers a due PHQ-9 or
// GAD-7 on one page: each item a fieldset whose legend is the item, with
// the four answers as radio buttons, which works on a phone without
// script. The provider's client page shows the schedules and every score
// with its band and change markers.

// measureSafety is what a client sees at once after an answer that raised
// the safety flag: where to get help now (988, 911 and the clinic's crisis
// line), the clinic's safety message, and that the care team is told.
type measureSafety struct {
	Resources []care.CrisisResource
	Message   string // the clinic's safety message, "" if none
	Screener  string // the flag whose follow-up screener the client may answer (issue #16), "" for none
	// SafetyPlan: the client has a safety plan, linked first.
	SafetyPlan bool
}

// safetyView gathers the crisis resources and the safety message of the
// actor's clinic.
func (s *Server) safetyView(r *http.Request, actor care.Actor) (*measureSafety, error) {
	resources, err := s.clinicCrisisResources(r, actor)
	if err != nil {
		return nil, err
	}
	msg, err := s.store.SafetyMessage(r.Context(), actor)
	if err != nil {
		return nil, err
	}
	hasPlan, err := s.hasSafetyPlan(r, actor)
	if err != nil {
		return nil, err
	}
	return &measureSafety{Resources: resources, Message: msg, SafetyPlan: hasPlan}, nil
}

// POST /settings/safety-message {safety_message}: an admin sets the
// clinic's safety message.
func (s *Server) peopleSafetyMessage(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.store.SetSafetyMessage(r.Context(), actor, r.PostForm.Get("safety_message")); err != nil {
		return err
	}
	return redirect(w, r, "/settings?done=safety-message")
}

func (m *measureSafety) json() map[string]any {
	return map[string]any{"resources": toCrisisResourcesJSON(m.Resources), "clinic_message": m.Message,
		"care_team": "Your care team has been told and will contact you. Interlude is not monitored around the clock."}
}

// ---- The client's pages ----

type measureDueView struct {
	ID, Name, Title, Since string
}

func measureDueViews(due []care.MeasureSchedule, zone string) []measureDueView {
	out := []measureDueView{}
	for _, m := range due {
		in := care.InstrumentByCode(m.Instrument)
		out = append(out, measureDueView{ID: m.ID, Name: in.Name, Title: in.Title, Since: localTime(m.DueAt, zone)})
	}
	return out
}

// measureItem is one question of the answering form.
type measureItem struct {
	N       int    // 1-based
	Name    string // "q1"
	Text    string
	Options []measureOption
	Invalid bool
}

type measureOption struct {
	ID      string // "q1-0"
	Value   int
	Label   string
	Checked bool
}

// measureFormPage is /measures/{mid}: the questionnaire, its unscored
// last question (Difficulty, optional) and the instruments' attribution.
type measureFormPage struct {
	Layout
	ScheduleID  string
	Name        string
	Stem        string
	Items       []measureItem
	Difficulty  measureItem // name "difficulty", not required, not scored
	Attribution string
	Problem     string
	Field       string                // the first unanswered item's name, for the summary's link
	Help        []care.CrisisResource // 988, 911 and the clinic's crisis line, beside the questions
}

// clientMeasuresPage is /measures: what is due and the client's scores.
type clientMeasuresPage struct {
	Layout
	Due    []measureDueView
	Scores []scoreRow
}

// GET /measures
func (s *Server) clientMeasures(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	list, err := s.store.Measures(r.Context(), actor, actor.UserID)
	if err != nil {
		return err
	}
	var due []care.MeasureSchedule
	for _, m := range list.Schedules {
		if m.Due(list.Now) {
			due = append(due, m)
		}
	}
	s.renderPage(w, r, http.StatusOK, "client_measures", &clientMeasuresPage{
		Layout: s.careLayout(r, "Questionnaires"), Due: measureDueViews(due, actor.TimeZone), Scores: scoreRows(list.Responses, actor.TimeZone),
	})
	return nil
}

// dueSchedule finds the client's schedule mid among those due now.
func (s *Server) dueSchedule(r *http.Request, actor care.Actor, mid string) (*care.MeasureSchedule, error) {
	due, err := s.store.MeasuresDue(r.Context(), actor, actor.UserID)
	if err != nil {
		return nil, err
	}
	for i := range due {
		if due[i].ID == mid {
			return &due[i], nil
		}
	}
	return nil, care.Errorf(care.NotFound, "This questionnaire is not due now.")
}

// GET /measures/{mid}
func (s *Server) measureForm(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	m, err := s.dueSchedule(r, actor, r.PathValue("mid"))
	if err != nil {
		return err
	}
	return s.renderMeasureForm(w, r, actor, http.StatusOK, m, nil, "")
}

func (s *Server) renderMeasureForm(w http.ResponseWriter, r *http.Request, actor care.Actor, status int, m *care.MeasureSchedule, form func(string) string, problem string) error {
	in := care.InstrumentByCode(m.Instrument)
	help, err := s.clinicCrisisResources(r, actor)
	if err != nil {
		return err
	}
	p := &measureFormPage{Layout: s.careLayout(r, in.Name), ScheduleID: m.ID, Name: in.Name, Stem: in.Stem, Problem: problem,
		Help: help, Attribution: care.Attribution}
	for i, text := range in.Items {
		it := measureItem{N: i + 1, Name: "q" + strconv.Itoa(i+1), Text: text}
		val := ""
		if form != nil {
			val = form(it.Name)
		}
		for _, o := range care.AnswerOptions {
			v := strconv.Itoa(o.Value)
			it.Options = append(it.Options, measureOption{ID: it.Name + "-" + v, Value: o.Value, Label: o.Label, Checked: val == v})
		}
		if form != nil && (len(val) != 1 || val[0] < '0' || val[0] > '3') {
			it.Invalid = true
			if p.Field == "" {
				p.Field = it.Name
			}
		}
		p.Items = append(p.Items, it)
	}
	p.Difficulty = measureItem{N: len(in.Items) + 1, Name: "difficulty", Text: in.Difficulty}
	val := ""
	if form != nil {
		val = form("difficulty")
	}
	for _, o := range care.DifficultyOptions {
		v := strconv.Itoa(o.Value)
		p.Difficulty.Options = append(p.Difficulty.Options, measureOption{ID: "difficulty-" + v, Value: o.Value, Label: o.Label, Checked: val == v})
	}
	if _, err := care.ParseFormDifficulty(func(string) string { return val }); err != nil {
		p.Difficulty.Invalid = true
		if p.Field == "" {
			p.Field = "difficulty"
		}
	}
	s.renderPage(w, r, status, "measure_form", p)
	return nil
}

// POST /measures/{mid} (q1 … qN, each "0".."3"; difficulty, "0".."3" or absent)
func (s *Server) measureSubmit(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	m, err := s.dueSchedule(r, actor, r.PathValue("mid"))
	if err != nil {
		return err
	}
	in := care.InstrumentByCode(m.Instrument)
	answers, err := in.ParseFormAnswers(r.PostForm.Get)
	var difficulty *int
	if err == nil {
		difficulty, err = care.ParseFormDifficulty(r.PostForm.Get)
	}
	if err == nil {
		var resp *care.MeasureResponse
		resp, err = s.store.AnswerMeasure(r.Context(), actor, actor.UserID, m.ID, answers, difficulty)
		if err == nil {
			return redirect(w, r, "/measures/responses/"+resp.ID)
		}
	}
	msg, _, status, ok := formError(err)
	if !ok {
		return err
	}
	unanswered := 0
	for i := range in.Items {
		v := r.PostForm.Get("q" + strconv.Itoa(i+1))
		if len(v) != 1 || v[0] < '0' || v[0] > '3' {
			unanswered++
		}
	}
	if unanswered > 0 {
		msg = fmt.Sprintf("Please answer every question: %d of %d still need an answer.", unanswered, len(in.Items))
	}
	return s.renderMeasureForm(w, r, actor, status, m, r.PostForm.Get, msg)
}

// measureResultPage is /measures/responses/{rid}: the client's score, and
// at once, when the answer raised the safety flag, where to get help.
type measureResultPage struct {
	Layout
	Name       string
	Total      int
	Max        int
	Severity   string
	Difficulty string // the answer to the last question, "" if none
	Safety     *measureSafety
}

// GET /measures/responses/{rid}
func (s *Server) measureResult(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	list, err := s.store.Measures(r.Context(), actor, actor.UserID)
	if err != nil {
		return err
	}
	for _, resp := range list.Responses {
		if resp.ID != r.PathValue("rid") {
			continue
		}
		in := care.InstrumentByCode(resp.Instrument)
		p := &measureResultPage{Layout: s.careLayout(r, in.Name+" answered"), Name: in.Name, Total: resp.Total, Max: in.MaxTotal(), Severity: resp.Severity.Label(),
			Difficulty: care.DifficultyLabel(resp.Difficulty)}
		if resp.SafetyFlag {
			if p.Safety, err = s.safetyView(r, actor); err != nil {
				return err
			}
			if p.Safety.Screener, err = s.store.ScreenerOffer(r.Context(), actor, "measure_response", resp.ID); err != nil {
				return err
			}
		}
		s.renderPage(w, r, http.StatusOK, "measure_result", p)
		return nil
	}
	return care.Errorf(care.NotFound, "There is no page at this address.")
}

// ---- The provider's client page ----

// scoreRow is one response in a table of scores, with its markers.
type scoreRow struct {
	When, WhenISO string
	Name          string
	Total, Max    int
	Severity      string
	SeverityCode  string
	Difficulty    string // the unscored last question's answer, "" if none
	Delta         string // "−3" from the previous, "" for the first
	Markers       []scoreMarker
}

type scoreMarker struct {
	Class, Label string
}

func scoreRows(responses []care.MeasureResponse, zone string) []scoreRow {
	out := []scoreRow{}
	for _, resp := range responses {
		in := care.InstrumentByCode(resp.Instrument)
		p := resp.Progress
		row := scoreRow{When: localTime(resp.AnsweredAt, zone), WhenISO: resp.AnsweredAt.Format(time.RFC3339), Name: in.Name,
			Total: resp.Total, Max: in.MaxTotal(), Severity: resp.Severity.Label(), SeverityCode: string(resp.Severity),
			Difficulty: care.DifficultyLabel(resp.Difficulty)}
		if p.HasPrevious {
			switch {
			case p.Delta > 0:
				row.Delta = fmt.Sprintf("+%d", p.Delta)
			case p.Delta < 0:
				row.Delta = fmt.Sprintf("−%d", -p.Delta)
			default:
				row.Delta = "±0"
			}
		}
		if resp.SafetyFlag {
			row.Markers = append(row.Markers, scoreMarker{"flag", "Item 9 above 0: safety flag"})
		}
		switch p.Change {
		case care.ReliableImprovement:
			row.Markers = append(row.Markers, scoreMarker{"improved", "Reliable improvement since baseline"})
		case care.ReliableDeterioration:
			row.Markers = append(row.Markers, scoreMarker{"worse", "Reliable deterioration since baseline"})
		}
		if p.Step == care.ReliableDeterioration && p.Change != care.ReliableDeterioration {
			row.Markers = append(row.Markers, scoreMarker{"worse", "Reliable deterioration since the one before"})
		}
		if p.Response {
			row.Markers = append(row.Markers, scoreMarker{"response", "Response (50% below baseline)"})
		}
		if p.Remission && p.HasPrevious {
			row.Markers = append(row.Markers, scoreMarker{"remission", "Remission (under 5)"})
		}
		if !p.HasPrevious {
			row.Markers = append(row.Markers, scoreMarker{"baseline", "Baseline"})
		}
		out = append(out, row)
	}
	return out
}

// scheduleRow is one measure schedule on the client page.
type scheduleRow struct {
	ID, Name, Every, Due, Last string
	IsDue, Stopped             bool
}

func scheduleRows(list []care.MeasureSchedule, now time.Time, zone string) []scheduleRow {
	out := []scheduleRow{}
	for _, m := range list {
		row := scheduleRow{ID: m.ID, Name: care.InstrumentByCode(m.Instrument).Name, Every: everyLabel(m.EveryDays),
			Due: localTime(m.DueAt, zone), IsDue: m.Due(now), Stopped: !m.StoppedAt.IsZero()}
		if !m.LastAt.IsZero() {
			row.Last = localTime(m.LastAt, zone)
		}
		out = append(out, row)
	}
	return out
}

// everyLabel says how often: "Every week", "Every 2 weeks", "Every 10 days".
func everyLabel(days int) string {
	switch {
	case days == 1:
		return "Every day"
	case days == 7:
		return "Every week"
	case days%7 == 0:
		return fmt.Sprintf("Every %d weeks", days/7)
	}
	return fmt.Sprintf("Every %d days", days)
}

// recordMeasures is the measures block of the provider's client page.
type recordMeasures struct {
	Schedules   []scheduleRow
	Scores      []scoreRow
	Instruments []option
	Reliable    []string // "PHQ-9: 6 points or more", for the legend
}

// recordMeasuresOf is the measures block of list.
func recordMeasuresOf(actor care.Actor, list *store.MeasureList) *recordMeasures {
	out := &recordMeasures{Schedules: scheduleRows(list.Schedules, list.Now, actor.TimeZone), Scores: scoreRows(list.Responses, actor.TimeZone)}
	for _, in := range care.Instruments {
		out.Instruments = append(out.Instruments, option{Value: in.Code, Label: in.Title})
		out.Reliable = append(out.Reliable, fmt.Sprintf("%s: %d points or more", in.Name, list.ReliableChange.Points(in)))
	}
	return out
}

// POST /clients/{id}/measures (instrument, every, unit: days|weeks)
func (s *Server) measureScheduleForm(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	err = func() error {
		n, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("every")))
		if err != nil || n < 1 {
			return care.FieldError("every", "must be a whole number, 1 or more")
		}
		switch r.PostForm.Get("unit") {
		case "weeks":
			n *= 7
		case "days":
		default:
			return care.FieldError("unit", "must be days or weeks")
		}
		if n > care.MaxEveryDays {
			return care.FieldError("every", "must be at most %d weeks", care.MaxEveryDays/7)
		}
		return s.store.ScheduleMeasure(r.Context(), actor, r.PathValue("id"), &care.MeasureSchedule{Instrument: r.PostForm.Get("instrument"), EveryDays: n})
	}()
	if err != nil {
		return refused(err, "measures", func(status int, p *formProblem) error { return s.renderClientRecord(w, r, actor, status, p) })
	}
	return redirect(w, r, recordPath(r.PathValue("id"), "measure", "#measures"))
}

// POST /clients/{id}/measures/{mid}/stop
func (s *Server) measureStopForm(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.store.StopMeasure(r.Context(), actor, r.PathValue("id"), r.PathValue("mid")); err != nil {
		return refused(err, "measures", func(status int, p *formProblem) error { return s.renderClientRecord(w, r, actor, status, p) })
	}
	return redirect(w, r, recordPath(r.PathValue("id"), "measure-stopped", "#measures"))
}
