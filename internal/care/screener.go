package care

import "time"

// The follow-up screener (issue #16): after a safety flag, the client is
// offered NIMH's Ask Suicide-Screening Questions (ASQ) as self-report,
// optional, never blocking or replacing the crisis resources. Its published
// triage sets the flag's level and is kept on the flag for the care team
// (docs/measures.md, "The follow-up screener").

// ScreenerResult is the published triage of an ASQ screen.
type ScreenerResult string

// The ASQ's triage.
const (
	ScreenNegative         ScreenerResult = "negative"           // "no" to all four questions
	ScreenNonAcutePositive ScreenerResult = "non_acute_positive" // a "yes" to any of the four, "no" to the acuity question
	ScreenAcutePositive    ScreenerResult = "acute_positive"     // "yes" to the acuity question
)

// Valid reports whether r is one of the triage results.
func (r ScreenerResult) Valid() bool {
	return r == ScreenNegative || r == ScreenNonAcutePositive || r == ScreenAcutePositive
}

// Positive reports whether r is a positive screen, acute or not.
func (r ScreenerResult) Positive() bool {
	return r == ScreenNonAcutePositive || r == ScreenAcutePositive
}

// Label is r for the care team ("" for no screen).
func (r ScreenerResult) Label() string {
	switch r {
	case ScreenNegative:
		return "Negative screen"
	case ScreenNonAcutePositive:
		return "Non-acute positive screen"
	case ScreenAcutePositive:
		return "Acute positive screen"
	}
	return ""
}

// Rank orders results for the caseload: an acute positive (2) before a
// non-acute positive (1) before anything else (0).
func (r ScreenerResult) Rank() int {
	switch r {
	case ScreenAcutePositive:
		return 2
	case ScreenNonAcutePositive:
		return 1
	}
	return 0
}

// ScreenerOfRank is the positive result of rank (Rank), "" for 0.
func ScreenerOfRank(rank int) ScreenerResult {
	switch rank {
	case 2:
		return ScreenAcutePositive
	case 1:
		return ScreenNonAcutePositive
	}
	return ""
}

// ScreenerItem is one question of the ASQ.
type ScreenerItem struct {
	LinkID string // its id in the FHIR Questionnaire
	Text   string
}

// InstrumentASQ is the ASQ's code, in the store and in FHIR.
const InstrumentASQ = "asq"

// ASQItems are the ASQ's four screening questions, as NIMH publishes them
// for youth and adults. The fourth's follow-up ("If yes, how? When?") is
// for a clinician to ask and is not part of the self-report form.
var ASQItems = [4]ScreenerItem{
	{"asq-1", "In the past few weeks, have you wished you were dead?"},
	{"asq-2", "In the past few weeks, have you felt that you or your family would be better off if you were dead?"},
	{"asq-3", "In the past week, have you been having thoughts about killing yourself?"},
	{"asq-4", "Have you ever tried to kill yourself?"},
}

// ASQAcuity is the ASQ's acuity question, asked only after a "yes" to any
// of ASQItems.
var ASQAcuity = ScreenerItem{"asq-5", "Are you having thoughts of killing yourself right now?"}

// ASQAttribution names the instrument's source on every page that asks it.
const ASQAttribution = "Ask Suicide-Screening Questions (ASQ), National Institute of Mental Health (NIMH); in the public domain."

// TriageASQ returns the ASQ's published triage of answers (exactly four,
// in order) and acuity (the acuity answer: required, non-nil, iff any of
// answers is yes; nil otherwise). Anything else is Invalid.
func TriageASQ(answers []bool, acuity *bool) (ScreenerResult, error) {
	if len(answers) != len(ASQItems) {
		return "", FieldError("answers", "must be exactly %d yes/no answers", len(ASQItems))
	}
	anyYes := false
	for _, a := range answers {
		anyYes = anyYes || a
	}
	switch {
	case !anyYes && acuity != nil:
		return "", FieldError("acuity", "is asked only after a yes to one of the four questions")
	case !anyYes:
		return ScreenNegative, nil
	case acuity == nil:
		return "", FieldError("acuity", "is required after a yes to one of the four questions")
	case *acuity:
		return ScreenAcutePositive, nil
	}
	return ScreenNonAcutePositive, nil
}

// ScreenerResponse is a client's answers to the follow-up screener,
// offered after safety flag FlagID. The answers are sealed under the
// client's data key; the result is also on the flag.
type ScreenerResponse struct {
	ID         string
	ClinicID   string
	ClientID   string
	FlagID     string
	Instrument string // InstrumentASQ
	AnsweredAt time.Time
	Answers    []bool // the four questions, in order
	Acuity     *bool  // nil when not asked
	Result     ScreenerResult
}

// ParseFormASQ reads the ASQ form: fields q1 … q4 and acuity, each "yes"
// or "no". An unanswered question is Invalid; acuity is nil when the
// field is absent or empty (the form asks it only after a yes).
func ParseFormASQ(get func(string) string) ([]bool, *bool, error) {
	yesNo := func(name string) (bool, bool) {
		switch get(name) {
		case "yes":
			return true, true
		case "no":
			return false, true
		}
		return false, false
	}
	answers := make([]bool, len(ASQItems))
	for i := range ASQItems {
		name := "q" + string(rune('1'+i))
		a, ok := yesNo(name)
		if !ok {
			return nil, nil, FieldError(name, "choose yes or no")
		}
		answers[i] = a
	}
	if get("acuity") == "" {
		return answers, nil, nil
	}
	a, ok := yesNo("acuity")
	if !ok {
		return nil, nil, FieldError("acuity", "choose yes or no")
	}
	return answers, &a, nil
}
