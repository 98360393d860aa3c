package care

import (
	"math"
	"strconv"
	"time"
)

// Standardized measures (SPEC.md "Measure", issue #7): the PHQ-9 and the
// GAD-7, free to use (Attribution). The provider schedules one for a
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

// DifficultyOptions are the answers to the difficulty question both
// instruments end with, in the published wording. The answer is recorded,
// never scored.
var DifficultyOptions = []AnswerOption{
	{0, "Not difficult at all"},
	{1, "Somewhat difficult"},
	{2, "Very difficult"},
	{3, "Extremely difficult"},
}

// Attribution is the copyright notice both instruments are shown with
// (issue #16): they are Pfizer's, and free to use without permission.
const Attribution = "The PHQ-9 and GAD-7 were developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, " +
	"with an educational grant from Pfizer Inc. Copyright © Pfizer Inc. No permission is needed to reproduce, translate, display or distribute them."

// Instrument is a standardized questionnaire: its items as published, the
// severity bands of its total, the item whose answer above 0 is a safety
// event (if any), and the figures reliable change is computed from.
type Instrument struct {
	Code  string // API name: "phq9", "gad7"
	Name  string // "PHQ-9"
	Title string // what it measures, for people
	Stem  string // the question every item completes
	Items []string
	// Difficulty is the question after the items: how difficult the
	// problems have made daily life, answered with DifficultyOptions.
	// It is optional for the client and never part of the total.
	Difficulty string
	Bands      []Band // contiguous from 0 to 3·len(Items)
	// SafetyItem is the 1-based number of the item whose answer above 0
	// is a safety event, or 0 for none.
	SafetyItem int
	// ReliableChange is the default smallest change of the total that is
	// reliable: NHS Talking Therapies' figure (docs/measures.md). A clinic
	// may set its own (ReliableChange).
	ReliableChange int
	// SD and Reliability are the standard deviation of the total and its
	// internal-consistency reliability (Cronbach's α) in one published
	// sample, for the Jacobson–Truax reliable change index, which is
	// reported beside the change and documented as the alternative
	// threshold (JacobsonTruaxPoints); Source cites the sample. See
	// docs/measures.md.
	SD, Reliability float64
	Source          string
	LOINC           string // the questionnaire's LOINC code (SPEC.md, FHIR)
	LOINCTotal      string // the total's LOINC code
}

// difficultyQuestion is the published wording of the last question of
// both instruments.
const difficultyQuestion = "If you checked off any problems, how difficult have these problems made it for you to do your work, take care of things at home, or get along with other people?"

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
	Difficulty: difficultyQuestion,
	Bands: []Band{
		{0, 4, Minimal},
		{5, 9, Mild},
		{10, 14, Moderate},
		{15, 19, ModeratelySevere},
		{20, 27, Severe},
	},
	SafetyItem:     9,
	ReliableChange: 6,
	SD:             3.52,
	Reliability:    0.87,
	Source:         "Kocalevent, Hinz & Brähler 2013, Gen Hosp Psychiatry 35:551–555 (general population, n=5018)",
	LOINC:          "44249-1",
	LOINCTotal:     "44261-6",
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
	Difficulty: difficultyQuestion,
	Bands: []Band{
		{0, 4, Minimal},
		{5, 9, Mild},
		{10, 14, Moderate},
		{15, 21, Severe},
	},
	ReliableChange: 4,
	SD:             3.41,
	Reliability:    0.89,
	Source:         "Löwe et al. 2008, Med Care 46:266–274 (general population, n=5030)",
	LOINC:          "69737-5",
	LOINCTotal:     "70274-6",
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

// CheckDifficulty checks an answer to the difficulty question: none (nil)
// is valid, as the question is optional; an answer must be 0..3. Its
// error names the field "difficulty".
func CheckDifficulty(d *int) error {
	if d != nil && (*d < 0 || *d > MaxAnswer) {
		return FieldError("difficulty", "must be a whole number from 0 to %d, or left out", MaxAnswer)
	}
	return nil
}

// ParseFormDifficulty reads the answer to the difficulty question of a web
// form, the field "difficulty": empty is no answer (nil); otherwise only
// "0".."3" are answers, and anything else is care.Invalid.
func ParseFormDifficulty(value func(name string) string) (*int, error) {
	v := value("difficulty")
	if v == "" {
		return nil, nil
	}
	if len(v) != 1 || v[0] < '0' || v[0] > '0'+MaxAnswer {
		return nil, &Error{Code: Invalid, Field: "difficulty", Message: "Choose one answer to the last question, or none."}
	}
	d := int(v[0] - '0')
	return &d, nil
}

// DifficultyLabel names answer d to the difficulty question, "" for none.
func DifficultyLabel(d *int) string {
	if d == nil || *d < 0 || *d >= len(DifficultyOptions) {
		return ""
	}
	return DifficultyOptions[*d].Label
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
	Difficulty *int // the answer to the difficulty question, 0..3; nil if not answered
	Score
	Progress Progress // when read: against the client's earlier responses of the instrument
}

// Reliable change. Whether a change of the total is reliable is judged
// by a whole number of points per instrument: by default NHS Talking
// Therapies' (PHQ-9 6, GAD-7 4; Instrument.ReliableChange), or a clinic's
// own (ReliableChange). The Jacobson & Truax reliable change index
// (J Consult Clin Psychol 1991;59:12–19) is reported beside it: a change
// from x1 to x2 has RCI = (x2 − x1) / Sdiff, Sdiff = √2 · SE and
// SE = SD · √(1 − r), and is reliable by that test when |RCI| > 1.96
// (JacobsonTruaxPoints). docs/measures.md explains the choice.

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

// JacobsonTruaxPoints is the smallest whole change of the total that is
// reliable by the Jacobson–Truax test with the instrument's normative SD
// and α: for the PHQ-9 4 points (Sdiff 1.79, 1.96·Sdiff 3.52), for the
// GAD-7 4 points (Sdiff 1.60, 1.96·Sdiff 3.13). It is the documented
// alternative to the default, not what Interlude uses unless a clinic
// sets it.
func (in *Instrument) JacobsonTruaxPoints() int {
	return int(math.Floor(reliableZ*in.Sdiff())) + 1
}

// ReliableChange is a clinic's reliable-change thresholds: the smallest
// change of each instrument's total, in points, that counts as reliable.
// Zero is the instrument's default (Instrument.ReliableChange).
type ReliableChange struct {
	PHQ9, GAD7 int
}

// MinReliableChange is the smallest threshold a clinic may set: a change
// of 1 point is within any instrument's measurement error.
const MinReliableChange = 2

// MaxReliableChange is the largest threshold a clinic may set for
// instrument in: half its range, beyond which a change would jump
// severity bands without ever being called reliable.
func MaxReliableChange(in *Instrument) int { return in.MaxTotal() / 2 }

// Points is the threshold for instrument in: the clinic's, or the
// instrument's default when the clinic has none.
func (rc ReliableChange) Points(in *Instrument) int {
	p := 0
	switch in.Code {
	case PHQ9.Code:
		p = rc.PHQ9
	case GAD7.Code:
		p = rc.GAD7
	}
	if p == 0 {
		return in.ReliableChange
	}
	return p
}

// Validate checks each threshold: a whole number of points from
// MinReliableChange to MaxReliableChange of its instrument. Errors name
// the field ("phq9" or "gad7").
func (rc ReliableChange) Validate() error {
	for _, f := range []struct {
		in *Instrument
		v  int
	}{{PHQ9, rc.PHQ9}, {GAD7, rc.GAD7}} {
		if f.v < MinReliableChange || f.v > MaxReliableChange(f.in) {
			return FieldError(f.in.Code, "must be a whole number of points from %d to %d", MinReliableChange, MaxReliableChange(f.in))
		}
	}
	return nil
}

// Resolved is rc with every default filled in.
func (rc ReliableChange) Resolved() ReliableChange {
	return ReliableChange{PHQ9: rc.Points(PHQ9), GAD7: rc.Points(GAD7)}
}

// Change is a response's standing against the client's earlier ones of
// the same instrument.
type Change int

// Change markers: reliable improvement (a drop, as both instruments score
// symptoms) or deterioration; none when the change is within measurement
// error or there is nothing to compare.
const (
	NoReliableChange Change = iota
	ReliableImprovement
	ReliableDeterioration
)

// changeOf judges a change of delta points against threshold points.
func changeOf(delta, points int) Change {
	switch {
	case delta <= -points:
		return ReliableImprovement
	case delta >= points:
		return ReliableDeterioration
	}
	return NoReliableChange
}

// Progress is what a response means against the client's history of the
// instrument. Change is judged against the first (baseline) total, as in
// Jacobson & Truax, and Step against the previous one, so that a relapse
// after an improvement (16, 4, then 11) is a reliable deterioration even
// while the total is still below the baseline. Response is a drop of at
// least half from a baseline above 0, remission a total under
// RemissionBelow. Delta is the step from the previous total, for the
// trend.
type Progress struct {
	Baseline    int
	Previous    int // the total before this one; valid when HasPrevious
	HasPrevious bool
	Delta       int     // this total minus the previous
	RCI         float64 // Jacobson–Truax, of the change from baseline; 0 for the baseline itself
	Change      Change  // from baseline
	Step        Change  // from the previous total
	Response    bool
	Remission   bool
}

// Deteriorated reports whether the total is reliably worse than the
// baseline or than the previous total.
func (p Progress) Deteriorated() bool {
	return p.Change == ReliableDeterioration || p.Step == ReliableDeterioration
}

// RemissionBelow is the total under which a client is in remission, for
// both instruments.
const RemissionBelow = 5

// ProgressOf returns the progress of each of totals, a client's totals of
// instrument in over time, oldest first, with points the reliable-change
// threshold (ReliableChange.Points). The first is the baseline: no
// previous total, no change, never a response.
func (in *Instrument) ProgressOf(totals []int, points int) []Progress {
	out := make([]Progress, len(totals))
	for i, t := range totals {
		p := Progress{Baseline: totals[0], Remission: t < RemissionBelow}
		if i > 0 {
			p.Previous, p.HasPrevious = totals[i-1], true //nolint:gosec // G602: 0 < i < len(totals) here
			p.Delta = t - p.Previous
			p.RCI = in.RCI(p.Baseline, t)
			p.Change = changeOf(t-p.Baseline, points)
			p.Step = changeOf(p.Delta, points)
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
