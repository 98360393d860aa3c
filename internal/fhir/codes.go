package fhir

import "interlude/internal/care"

// Code systems of others the resources use.
const (
	LOINC           = "http://loinc.org"
	UCUM            = "http://unitsofmeasure.org"
	obsCategory     = "http://terminology.hl7.org/CodeSystem/observation-category"
	actCode         = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	actReason       = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
	confidentiality = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
	dicom           = "http://dicom.nema.org/resources/ontology/DCM"
	auditEntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
	participantType = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
)

// CodeSystemURL is the canonical URL of Interlude's own code system: mood
// and the other 0–10 ratings of the journal, goal progress, the parts of a
// journal entry, safety flag kinds and audit actions. The server publishes
// it as CodeSystem/interlude (CodeSystem) and names it in its
// CapabilityStatement; docs/fhir.md lists the codes.
const CodeSystemURL = "https://interlude.example/fhir/CodeSystem/interlude"

// QuestionnaireBase is the canonical base of the measures' Questionnaires:
// QuestionnaireBase + "phq9" and + "gad7".
const QuestionnaireBase = "https://interlude.example/fhir/Questionnaire/"

// Concept is a code of Interlude's code system.
type Concept struct {
	Code, Display, Definition string
}

// Concepts are the codes of CodeSystemURL, in a stable order.
var Concepts = []Concept{
	{"mood", "Mood", "The client's mood, self-rated from 0 (worst) to 10 (best)."},
	{"sleep_quality", "Sleep quality", "Self-rated sleep quality, 0 (worst) to 10 (best)."},
	{"energy", "Energy", "Self-rated energy, 0 (none) to 10 (most)."},
	{"anxiety", "Anxiety", "Self-rated intensity of anxiety, 0 (none) to 10 (most)."},
	{"pain", "Pain", "Self-rated intensity of pain, 0 (none) to 10 (most)."},
	{"appetite", "Appetite", "Self-rated appetite, 0 (none) to 10 (most)."},
	{"irritability", "Irritability", "Self-rated irritability, 0 (none) to 10 (most)."},
	{"goal_progress", "Goal progress", "The client's rating of their progress on a goal of the plan, 0 (none) to 10 (reached)."},
	{"journal_entry", "Journal entry", "A between-session journal entry written by the client; its value is what happened, in their words."},
	{"emotion", "Emotion", "An emotion the client named in a journal entry."},
	{"discuss_next_session", "Bring up next session", "The client asked to bring the entry up at the next session."},
	{"checkin", "Check-in", "A scheduled prompt asking how the client is doing, answered with a mood rating."},
	{"measure_schedule", "Measure schedule", "A standardized measure the care team asked the client to answer at an interval."},
	{"task_completion", "Task completion", "One completed occurrence of a between-session task."},
	{string(care.FlagCrisisLanguage), care.FlagCrisisLanguage.Label(), "Crisis language in a message or a shared journal entry."},
	{string(care.FlagPHQ9Item9), care.FlagPHQ9Item9.Label(), "A PHQ-9 response with item 9 above 0."},
	{"severity", "Severity", "The severity band of a measure's total score."},
	// Trackers (issue #19).
	{"tracker", "Tracker", "A between-session tracker: a form of the clinic's library that the care team assigns a client, with a plain-words reason to fill it in."},
	{"tracker_main", "Tracker main measure", "The value of a tracker entry's main measure, charted over time; the text of the code names the tracker and the field."},
	// The follow-up screener (issue #16): NIMH's ASQ, its questions and
	// its triage. No LOINC code for the ASQ could be verified here.
	{care.InstrumentASQ, "Ask Suicide-Screening Questions (ASQ)", "NIMH's ASQ, answered by the client after a safety flag: four yes/no questions, and the acuity question after a yes."},
	{care.ASQItems[0].LinkID, "ASQ question 1", care.ASQItems[0].Text},
	{care.ASQItems[1].LinkID, "ASQ question 2", care.ASQItems[1].Text},
	{care.ASQItems[2].LinkID, "ASQ question 3", care.ASQItems[2].Text},
	{care.ASQItems[3].LinkID, "ASQ question 4", care.ASQItems[3].Text},
	{care.ASQAcuity.LinkID, "ASQ acuity question", care.ASQAcuity.Text},
	{"asq_result", "ASQ triage", "The ASQ's published triage of a client's answers."},
	{"asq_" + string(care.ScreenNegative), care.ScreenNegative.Label(), "No to all four ASQ questions."},
	{"asq_" + string(care.ScreenNonAcutePositive), care.ScreenNonAcutePositive.Label(), "A yes to one of the four ASQ questions and no to the acuity question."},
	{"asq_" + string(care.ScreenAcutePositive), care.ScreenAcutePositive.Label(), "Yes to the ASQ acuity question."},
	{"safety_plan", "Safety plan", "A safety plan in the structure of Stanley and Brown's Safety Planning Intervention: the category of its CarePlan."},
	{"safety_plan_" + string(care.SectionWarningSigns), "Warning signs", "Step 1 of a safety plan: thoughts, moods, situations or behaviours that tell a crisis may be starting."},
	{"safety_plan_" + string(care.SectionCoping), "Internal coping strategies", "Step 2 of a safety plan: what the client can do alone to take their mind off their problems."},
	{"safety_plan_" + string(care.SectionDistraction), "People and social settings that provide distraction", "Step 3 of a safety plan."},
	{"safety_plan_" + string(care.SectionHelp), "People to ask for help", "Step 4 of a safety plan: people the client can tell they are struggling."},
	{"safety_plan_" + string(care.SectionProfessionals), "Professionals and agencies to contact", "Step 5 of a safety plan: providers, the clinic, emergency services and crisis lines."},
	{"safety_plan_" + string(care.SectionEnvironment), "Making the environment safe", "Step 6 of a safety plan: keeping lethal means out of reach."},
	{"safety_plan_" + string(care.SectionReasons), "Reasons for living", "Step 7 of a safety plan: what matters most to the client."},
}

// Item LOINC codes of the measures, in the order of care.Instrument.Items
// (verified against the LOINC panels 44249-1 and 69737-5).
var itemLOINC = map[string][]string{
	care.PHQ9.Code: {"44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"},
	care.GAD7.Code: {"69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"},
}

// DifficultyLOINC is the LOINC code of the unscored last question both
// instruments end with ("how difficult have these problems made it…"):
// the PHQ-9 panel 44249-1 and the GAD-7 panel 69737-5 share it. It is
// not 69725-0, which is GAD-7 item 1 (itemLOINC). docs/measures.md says
// how this was checked.
const DifficultyLOINC = "69722-7"

// difficultyAnswerLOINC are the LOINC answers of the difficulty question,
// by value 0 to 3: not difficult at all, somewhat, very, extremely
// difficult.
var difficultyAnswerLOINC = []string{"LA6572-7", "LA6573-5", "LA6575-0", "LA6574-3"}

// answerLOINC are the LOINC answers (list LL358-3) of the measures' items,
// by value 0 to 3.
var answerLOINC = []string{"LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"}

// ItemLOINC returns the LOINC codes of an instrument's items, in order;
// nil for an unknown instrument.
func ItemLOINC(instrument string) []string { return itemLOINC[instrument] }

// Sleep duration, LOINC.
const loincSleepDuration = "93832-4"

// CodeSystem returns Interlude's own code system as a FHIR CodeSystem
// resource.
func CodeSystem() Resource {
	concepts := make([]any, len(Concepts))
	for i, c := range Concepts {
		concepts[i] = obj("code", c.Code, "display", c.Display, "definition", c.Definition)
	}
	return obj(
		"resourceType", "CodeSystem",
		"id", "interlude",
		"url", CodeSystemURL,
		"name", "Interlude",
		"title", "Interlude between-session codes",
		"status", "active",
		"publisher", "Interlude",
		"description", "Codes of Interlude's between-session record that no standard terminology holds: self-rated 0–10 ratings (mood, sleep quality, energy, anxiety, pain, appetite, irritability), goal progress, the parts of a journal entry, check-ins and safety flag kinds.",
		"caseSensitive", true,
		"content", "complete",
		"count", len(Concepts),
		"concept", concepts,
	)
}

// display returns the display of a code of Interlude's code system.
func display(code string) string {
	for _, c := range Concepts {
		if c.Code == code {
			return c.Display
		}
	}
	return code
}
