package care

import (
	"math"
	"strconv"
	"time"
)

// Standardized measures (SPEC.md "Measure", issue #7): the PHQ-9 and the
// GAD-7, both in the public domain. The provider schedules one for a
// client every N days; the client answers each item 0..3; the server alone
// scores the answers (a total sent by a client is ignored) and grades the
// total into the published severity bands. PHQ-9 item 9 (thoughts of
// being better off dead or of self-harm) above 0 is a safety event.

// Severity is a severity band of a measure total, by its API name.
type Severity string

// The severity bands of API.md.
const (
	Minimal          Severity = "minimal"
	Mild             Severity = "mild"
	Moderate         Severity = "moderate"
	ModeratelySevere Severity = "moderately_severe"
	Severe           Severity = "severe"
)

// Label names the band for people: "Moderately severe".
func (s Severity) Label() string {
	switch s {
	case Minimal:
		return "Minimal"
	case Mild:
		return "Mild"
	case Moderate:
		return "Moderate"
	case ModeratelySevere:
		return "Moderately severe"
	case Severe:
		return "Severe"
	}
	return string(s)
}

// Band is one severity band: totals from Min up to (and with) Max.
type Band struct {
	Min, Max int
	Severity Severity
}

// AnswerOption is one of the four answers every item of both instruments
// shares, with its score.
type AnswerOption struct {
	Value int
	Label string
}

// AnswerOptions are the answers to every item, in the published wording.
var AnswerOptions = []AnswerOption{
	{0, "Not at all"},
	{1, "Several days"},
	{2, "More than half the days"},
	{3, "Nearly every day"},
}

// MaxAnswer is the highest score of one item.
const MaxAnswer = 3

// Instrument is a standardized questionnaire: its items as published, the
// severity bands of its total, the item whose answer above 0 is a safety
// event (if any), and the figures reliable change is computed from.
type Instrument struct {
	Code  string // API name: "phq9", "gad7"
	Name  string // "PHQ-9"
	Title string // what it measures, for people
	Stem  string // the question every item completes
	Items []string
	Bands []Band // contiguous from 0 to 3·len(Items)
	// SafetyItem is the 1-based number of the item whose answer above 0
	// is a safety event, or 0 for none.
	SafetyItem int
	// SD and Reliability are the standard deviation of the total and its
	// internal-consistency reliability (Cronbach's α) in one published
	// sample, for the Jacobson–Truax reliable change index; Source cites
	// the sample. See docs/measures.md.
	SD, Reliability float64
	Source          string
	LOINC           string // the questionnaire's LOINC code (SPEC.md, FHIR)
	LOINCTotal      string // the total's LOINC code
}

// PHQ9 is the Patient Health Questionnaire-9 (Kroenke, Spitzer & Williams,
// J Gen Intern Med 2001;16:606–613), the depression module of the PHQ.
//
// Reliable change figures: SD 3.52 and α 0.87 of the PHQ-9 total in the
// German general-population sample of Kocalevent, Hinz & Brähler, Gen
// Hosp Psychiatry 2013;35:551–555 (n = 5,018). Kroenke et al. 2001 report
// α 0.89 in primary care but no SD of the total usable here, so SD and α
// are taken together from one sample rather than mixed.
var PHQ9 = &Instrument{
	Code:  "phq9",
	Name:  "PHQ-9",
	Title: "Depression (PHQ-9)",
	Stem:  "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
	Items: []string{
		"Little interest or pleasure in doing things",
		"Feeling down, depressed, or hopeless",
		"Trouble falling or staying asleep, or sleeping too much",
		"Feeling tired or having little energy",
		"Poor appetite or overeating",
		"Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
		"Trouble concentrating on things, such as reading the newspaper or watching television",
		"Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless that you have been moving around a lot more than usual",
		"Thoughts that you would be better off dead or of hurting yourself in some way",
	},
	Bands: []Band{
		{0, 4, Minimal},
		{5, 9, Mild},
		{10, 14, Moderate},
		{15, 19, ModeratelySevere},
		{20, 27, Severe},
	},
	SafetyItem:  9,
	SD:          3.52,
	Reliability: 0.87,
	Source:      "Kocalevent, Hinz & Brähler 2013, Gen Hosp Psychiatry 35:551–555 (general population, n=5018)",
	LOINC:       "44249-1",
	LOINCTotal:  "44261-6",
}

// GAD7 is the Generalized Anxiety Disorder-7 scale (Spitzer, Kroenke,
// Williams & Löwe, Arch Intern Med 2006;166:1092–1097).
//
// Reliable change figures: SD 3.41 and α 0.89 of the GAD-7 total in the
// German general-population sample of Löwe et al., Med Care
// 2008;46:266–274 (n = 5,030). Spitzer et al. 2006 report α 0.92 in
// primary care; as for the PHQ-9, SD and α come from one sample.
var GAD7 = &Instrument{
	Code:  "gad7",
	Name:  "GAD-7",
	Title: "Anxiety (GAD-7)",
	Stem:  "Over the last 2 weeks, how often have you been bothered by the following problems?",
	Items: []string{
		"Feeling nervous, anxious, or on edge",
		"Not being able to stop or control worrying",
		"Worrying too much about different things",
		"Trouble relaxing",
		"Being so restless that it is hard to sit still",
		"Becoming easily annoyed or irritable",
		"Feeling afraid, as if something awful might happen",
	},
	Bands: []Band{
		{0, 4, Minimal},
		{5, 9, Mild},
		{10, 14, Moderate},
		{15, 21, Severe},
	},
	SD:          3.41,
	Reliability: 0.89,
	Source:      "Löwe et al. 2008, Med Care 46:266–274 (general population, n=5030)",
	LOINC:       "69737-5",
	LOINCTotal:  "70274-6",
}

// Instruments are the measures a provider may schedule, in the order a
// form offers them.
var Instruments = []*Instrument{PHQ9, GAD7}

// InstrumentByCode returns the instrument with API name code, or nil.
func InstrumentByCode(code string) *Instrument {
	for _, in := range Instruments {
		if in.Code == code {
			return in
		}
	}
	return nil
}

// MaxTotal is the highest total of the instrument.
func (in *Instrument) MaxTotal() int { return MaxAnswer * len(in.Items) }

// Severity grades a total (0..MaxTotal) into its band; a total outside
// the range has no band and grades as "".
func (in *Instrument) Severity(total int) Severity {
	for _, b := range in.Bands {
		if b.Min <= total && total <= b.Max {
			return b.Severity
		}
	}
	return ""
}

// Score is what the server makes of a valid set of answers.
type Score struct {
	Total    int
	Severity Severity
	// SafetyFlag is set when the instrument's safety item was answered
	// above 0 (PHQ-9 item 9).
	SafetyFlag bool
}

// Score checks answers strictly — exactly one per item, in item order,
// each a whole number 0..3 — and scores them. Errors name the field at
// fault ("answers" or "answers[i]", 0-based as in the JSON array).
func (in *Instrument) Score(answers []int) (Score, error) {
	if len(answers) != len(in.Items) {
		return Score{}, FieldError("answers", "must hold exactly %d answers, one per item of the %s", len(in.Items), in.Name)
	}
	var s Score
	for i, a := range answers {
		if a < 0 || a > MaxAnswer {
			return Score{}, FieldError("answers["+strconv.Itoa(i)+"]", "must be a whole number from 0 to %d", MaxAnswer)
		}
		s.Total += a
	}
	s.Severity = in.Severity(s.Total)
	s.SafetyFlag = in.SafetyItem > 0 && answers[in.SafetyItem-1] > 0
	return s, nil
}

// ParseFormAnswers reads the answers of a web form, where item i (1-based)
// is the field "q<i>" holding "0".."3", as value returns them. Only those
// exact four strings are answers; anything else, or a missing field, is
// care.Invalid naming the item.
func (in *Instrument) ParseFormAnswers(value func(name string) string) ([]int, error) {
	out := make([]int, len(in.Items))
	for i := range in.Items {
		name := "q" + strconv.Itoa(i+1)
		v := value(name)
		if len(v) != 1 || v[0] < '0' || v[0] > '0'+MaxAnswer {
			return nil, &Error{Code: Invalid, Field: name, Message: "Choose one answer for question " + strconv.Itoa(i+1) + "."}
		}
		out[i] = int(v[0] - '0')
	}
	return out, nil
}

// MeasureSchedule is a provider's standing order that a client answer an
// instrument every EveryDays days, from CreatedAt until it is stopped.
type MeasureSchedule struct {
	ID         string
	ClinicID   string
	ClientID   string
	Instrument string // an Instrument's Code
	EveryDays  int
	CreatedBy  string
	CreatedAt  time.Time
	StoppedAt  time.Time // zero while active
	LastAt     time.Time // when it was last answered; zero if never
	DueAt      time.Time // when it is next due (CreatedAt when never answered)
}

// Measure schedule limits: from every day to every half year.
const (
	MinEveryDays = 1
	MaxEveryDays = 182
)

// Validate checks a schedule about to be made.
func (m *MeasureSchedule) Validate() error {
	if InstrumentByCode(m.Instrument) == nil {
		return FieldError("instrument", `must be "phq9" or "gad7"`)
	}
	if m.EveryDays < MinEveryDays || m.EveryDays > MaxEveryDays {
		return FieldError("every_days", "must be a whole number of days from %d to %d", MinEveryDays, MaxEveryDays)
	}
	return nil
}

// NextDue is when a schedule made at created, last answered at last (zero
// if never), falls due: at once when never answered, else EveryDays after
// the last answer.
func (m *MeasureSchedule) NextDue(created, last time.Time) time.Time {
	if last.IsZero() {
		return created
	}
	return last.Add(time.Duration(m.EveryDays) * 24 * time.Hour)
}

// Due reports whether the schedule is active and due at now.
func (m *MeasureSchedule) Due(now time.Time) bool {
	return m.StoppedAt.IsZero() && !m.DueAt.After(now)
}

// MeasureResponse is a client's answers to one instrument, with what the
// server made of them. Answers and Score are sealed; the rest is plain.
type MeasureResponse struct {
	ID         string
	ClinicID   string
	ClientID   string
	ScheduleID string
	Instrument string
	AnsweredAt time.Time
	Answers    []int
	Score
	Progress Progress // when read: against the client's earlier responses of the instrument
}

// Reliable change (Jacobson & Truax, J Consult Clin Psychol
// 1991;59:12–19): a change from x1 to x2 is reliable when
// |RCI| = |x2 − x1| / Sdiff exceeds 1.96, where
// Sdiff = √2 · SE and SE = SD · √(1 − r).

// reliableZ is the two-sided 5% critical value of the RCI.
const reliableZ = 1.96

// Sdiff is the standard error of the difference of two totals of the
// instrument.
func (in *Instrument) Sdiff() float64 {
	return math.Sqrt2 * in.SD * math.Sqrt(1-in.Reliability)
}

// RCI is the reliable change index of a change from total x1 to x2.
func (in *Instrument) RCI(x1, x2 int) float64 {
	return float64(x2-x1) / in.Sdiff()
}

// ReliableChangePoints is the smallest whole change of the total that is
// reliable: for the PHQ-9 4 points (Sdiff 1.79, 1.96·Sdiff 3.52), for the
// GAD-7 4 points (Sdiff 1.60, 1.96·Sdiff 3.13).
func (in *Instrument) ReliableChangePoints() int {
	return int(math.Floor(reliableZ*in.Sdiff())) + 1
}

// Change is a response's standing against the client's earlier ones of
// the same instrument.
type Change int

// Change markers: reliable improvement (a drop, as both instruments score
// symptoms) or deterioration since baseline; none when the change is
// within measurement error or there is nothing to compare.
const (
	NoReliableChange Change = iota
	ReliableImprovement
	ReliableDeterioration
)

// Progress is what a response means against the client's history of the
// instrument. As in Jacobson & Truax, change is judged against the first
// (baseline) total: reliable improvement or deterioration, response (a
// drop of at least half from a baseline above 0) and remission (a total
// under RemissionBelow). Delta is the step from the previous total, for
// the trend.
type Progress struct {
	Baseline    int
	Previous    int // the total before this one; valid when HasPrevious
	HasPrevious bool
	Delta       int     // this total minus the previous
	RCI         float64 // of the change from baseline; 0 for the baseline itself
	Change      Change  // from baseline
	Response    bool
	Remission   bool
}

// RemissionBelow is the total under which a client is in remission, for
// both instruments.
const RemissionBelow = 5

// ProgressOf returns the progress of each of totals, a client's totals of
// instrument in over time, oldest first. The first is the baseline: no
// previous total, no change, never a response.
func (in *Instrument) ProgressOf(totals []int) []Progress {
	out := make([]Progress, len(totals))
	for i, t := range totals {
		p := Progress{Baseline: totals[0], Remission: t < RemissionBelow}
		if i > 0 {
			p.Previous, p.HasPrevious = totals[i-1], true //nolint:gosec // G602: 0 < i < len(totals) here
			p.Delta = t - p.Previous
			p.RCI = in.RCI(p.Baseline, t)
			switch {
			case p.RCI < -reliableZ:
				p.Change = ReliableImprovement
			case p.RCI > reliableZ:
				p.Change = ReliableDeterioration
			}
			p.Response = p.Baseline > 0 && 2*(p.Baseline-t) >= p.Baseline
		}
		out[i] = p
	}
	return out
}

// String is the API name of a change marker.
func (c Change) String() string {
	switch c {
	case ReliableImprovement:
		return "reliable_improvement"
	case ReliableDeterioration:
		return "reliable_deterioration"
	}
	return "none"
}
