package fhir

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"interlude/internal/care"
)

// Resource is one FHIR resource as a JSON object: "resourceType" and "id"
// are always set.
type Resource = map[string]any

// Types are the resource types the mapping emits, in the order Resources
// returns them.
var Types = []string{
	"Patient", "Organization", "Practitioner", "CareTeam", "CarePlan", "Goal", "Task", "Encounter",
	"Questionnaire", "QuestionnaireResponse", "Observation", "Communication", "Flag", "AuditEvent",
}

// TypeOf returns a resource's type.
func TypeOf(r Resource) string { s, _ := r["resourceType"].(string); return s }

// IDOf returns a resource's id.
func IDOf(r Resource) string { s, _ := r["id"].(string); return s }

// Ref is the relative reference of a resource: "Patient/abc".
func Ref(r Resource) string { return TypeOf(r) + "/" + IDOf(r) }

// Patient returns the reference of a record's Patient: what the other
// resources name as subject, and what search by patient matches.
func Patient(rec *care.Record) string { return "Patient/" + rec.Client.ID }

// Resources maps the record to FHIR resources: the Patient first, then by
// type in the order of Types, each type in the record's order. The same
// record gives the same resources.
func Resources(rec *care.Record) []Resource {
	return ResourcesSince(rec, time.Time{})
}

// ResourcesSince is Resources, restricted to what changed after since
// (the Bulk Data _since; the zero time for everything): the resources whose
// change time (changedAt) is later, and with them, as the context they
// refer to, the record's Patient, CareTeam, Organization, Practitioners and
// Questionnaires, which carry no time of their last change. A record with
// no resource changed after since gives none.
func ResourcesSince(rec *care.Record, since time.Time) []Resource {
	all := stampedResources(rec)
	out := make([]Resource, 0, len(all))
	changed := false
	for _, s := range all {
		if since.IsZero() || s.at.After(since) {
			changed = true
			break
		}
	}
	if !changed {
		return nil
	}
	for _, s := range all {
		if since.IsZero() || s.context || s.at.After(since) {
			out = append(out, s.r)
		}
	}
	return out
}

// stamped is a resource and the time its state last changed, as far as
// the record tells: at is what meta.lastUpdated says where the mapping
// sets it, else the latest time the record holds of what the resource
// shows. A context resource goes with any change of the record.
type stamped struct {
	r       Resource
	at      time.Time
	context bool
}

func stampedResources(rec *care.Record) []stamped {
	m := mapper{rec: rec, patient: ref("Patient/"+rec.Client.ID, rec.Client.DisplayName)}
	var out []stamped
	add := func(r Resource, at ...time.Time) { out = append(out, stamped{r: r, at: latest(at...)}) }
	ctx := func(r Resource, at time.Time) { out = append(out, stamped{r: r, at: at, context: true}) }
	ctx(m.patientResource(), rec.Client.CreatedAt) // its creation counts as a change; a new name or email has no time
	ctx(m.organization(), time.Time{})
	for _, u := range rec.CareTeam {
		ctx(m.practitioner(u), time.Time{})
	}
	for _, u := range rec.Staff {
		ctx(m.practitioner(u), time.Time{})
	}
	ctx(m.careTeam(), time.Time{})
	if cp := m.carePlan(); cp != nil {
		at := []time.Time{rec.CheckInSchedule.UpdatedAt}
		if rec.Plan != nil {
			at = append(at, rec.Plan.UpdatedAt)
		}
		for _, t := range rec.Tasks {
			at = append(at, t.CreatedAt)
		}
		for _, s := range rec.Measures {
			at = append(at, s.CreatedAt, s.StoppedAt)
		}
		add(cp, at...)
	}
	if sp := m.safetyPlan(); sp != nil {
		add(sp, m.rec.SafetyPlan.UpdatedAt)
	}
	if rec.Plan != nil {
		for _, g := range rec.Plan.Goals {
			at := []time.Time{rec.Plan.UpdatedAt}
			for _, c := range g.Comments {
				at = append(at, c.CreatedAt)
			}
			add(m.goal(g), at...)
		}
	}
	for _, t := range rec.Tasks {
		at := []time.Time{t.CreatedAt}
		for _, o := range t.Occurrences {
			at = append(at, o.CompletedAt)
		}
		add(m.task(t), at...)
		for _, o := range t.Occurrences {
			add(m.completion(t, o), o.CompletedAt)
		}
	}
	for _, s := range rec.Measures {
		add(m.measureTask(s), s.CreatedAt, s.StoppedAt)
	}
	for _, c := range rec.CheckIns {
		add(m.checkIn(c), checkInChanged(c, rec.ReadAt))
	}
	for _, a := range rec.Appointments {
		add(m.encounter(a), a.CreatedAt, a.UpdatedAt)
	}
	for _, in := range care.Instruments {
		if m.uses(in) {
			ctx(Questionnaire(in), time.Time{})
		}
	}
	for _, r := range rec.Responses {
		add(m.questionnaireResponse(r), r.AnsweredAt)
	}
	if len(rec.Screeners) > 0 {
		ctx(ASQQuestionnaire(), time.Time{})
	}
	for _, r := range rec.Screeners {
		add(m.screenerResponse(r), r.AnsweredAt)
		add(m.screenerResult(r), r.AnsweredAt)
	}
	for _, e := range rec.Entries {
		for _, r := range m.entry(e) {
			add(r, e.CreatedAt, e.UpdatedAt)
		}
	}
	// Trackers (#19): each template version as a Questionnaire, each
	// entry as a QuestionnaireResponse with its main measure's Observation.
	templates := map[string]*care.TrackerTemplate{}
	for i := range rec.TrackerTemplates {
		t := &rec.TrackerTemplates[i]
		templates[TrackerQuestionnaireID(t.ID, t.Version)] = t
		ctx(TrackerQuestionnaire(t), time.Time{})
	}
	for i := range rec.TrackerEntries {
		e := &rec.TrackerEntries[i]
		t := templates[TrackerQuestionnaireID(e.TemplateID, e.TemplateVersion)]
		if t == nil {
			continue // the store reads every version an entry names
		}
		for _, r := range TrackerEntryResources(t, e) {
			add(r, e.CreatedAt, e.UpdatedAt)
		}
	}
	for _, r := range rec.Responses {
		add(m.measureTotal(r), r.AnsweredAt)
	}
	for _, msg := range rec.Messages {
		add(m.communication(msg), msg.SentAt, msg.EditedAt, msg.ReadAt)
	}
	for _, f := range rec.Flags {
		add(m.flag(f), f.RaisedAt, f.AcknowledgedAt)
	}
	for _, e := range rec.AccessLog {
		add(m.auditEvent(e), e.At)
	}
	return out
}

// checkInChanged is when check-in c took the status it has at now:
// answered, missed when it closed, else due.
func checkInChanged(c care.CheckIn, now time.Time) time.Time {
	switch c.Status(now) {
	case care.CheckInAnswered:
		return c.AnsweredAt
	case care.CheckInMissed:
		return c.ClosesAt
	}
	return latest(c.DueAt, c.SentAt)
}

// latest is the latest of ts; the zero time if there is none.
func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}

// Everything is the record as the answer of Patient/$everything: a
// searchset Bundle of Resources, each entry with its fullUrl under base
// (the server's FHIR base URL, e.g. "https://host/fhir/R4").
func Everything(rec *care.Record, base string) Resource {
	return SearchSet(Resources(rec), base, rec.ReadAt)
}

// SearchSet returns resources as a searchset Bundle whose entries have
// their fullUrl under base; at is the Bundle's timestamp. Its id is
// derived from the resources' references, so the same answer has the
// same id.
func SearchSet(resources []Resource, base string, at time.Time) Resource {
	base = strings.TrimRight(base, "/")
	entries := make([]any, 0, len(resources))
	for _, r := range resources {
		entries = append(entries, obj("fullUrl", base+"/"+Ref(r), "resource", r, "search", obj("mode", "match")))
	}
	return obj(
		"resourceType", "Bundle",
		"type", "searchset",
		"timestamp", instant(at),
		"total", len(resources),
		"entry", entries,
	)
}

// mapper maps one record.
type mapper struct {
	rec     *care.Record
	patient map[string]any // the reference of the record's Patient
}

// person is a reference to a user of the record: the Patient or a
// Practitioner.
func (m *mapper) person(id string) map[string]any {
	if id == "" {
		return nil
	}
	if id == m.rec.Client.ID {
		return m.patient
	}
	u := m.rec.Person(id)
	if u == nil {
		return obj("identifier", obj("value", id), "display", "a former member of staff")
	}
	return ref("Practitioner/"+id, u.DisplayName)
}

func (m *mapper) organizationRef() map[string]any {
	return ref("Organization/"+m.rec.Clinic.ID, m.rec.Clinic.Name)
}

func (m *mapper) patientResource() Resource {
	c := m.rec.Client
	var telecom []any
	if c.Email != "" {
		telecom = append(telecom, obj("system", "email", "value", c.Email))
	}
	var names []any
	if c.DisplayName != "" {
		names = append(names, obj("text", c.DisplayName))
	}
	return obj(
		"resourceType", "Patient",
		"id", c.ID,
		"meta", m.meta(c.CreatedAt),
		"active", true,
		"name", names,
		"telecom", telecom,
		"managingOrganization", m.organizationRef(),
		"generalPractitioner", m.teamRefs(),
	)
}

func (m *mapper) teamRefs() []any {
	var out []any
	for _, u := range m.rec.CareTeam {
		out = append(out, ref("Practitioner/"+u.ID, u.DisplayName))
	}
	return out
}

func (m *mapper) organization() Resource { return Organization(m.rec.Clinic) }

func (m *mapper) practitioner(u care.User) Resource { return Practitioner(u) }

// Organization returns a clinic as an Organization.
func Organization(c care.Clinic) Resource {
	return obj("resourceType", "Organization", "id", c.ID, "active", true, "name", c.Name)
}

// Practitioner returns a staff member as a Practitioner: their name, never
// their email.
func Practitioner(u care.User) Resource {
	var names []any
	if u.DisplayName != "" {
		names = append(names, obj("text", u.DisplayName))
	}
	return obj("resourceType", "Practitioner", "id", u.ID, "active", true, "name", names)
}

func (m *mapper) careTeam() Resource {
	var participants []any
	for _, u := range m.rec.CareTeam {
		participants = append(participants, obj(
			"role", []any{obj("text", "Provider")},
			"member", ref("Practitioner/"+u.ID, u.DisplayName)))
	}
	return obj(
		"resourceType", "CareTeam",
		"id", m.rec.Client.ID+"-careteam",
		"status", "active",
		"name", "Care team",
		"subject", m.patient,
		"participant", participants,
		"managingOrganization", []any{m.organizationRef()},
	)
}

// carePlan is the treatment plan: its goals, its objectives as activities
// of their goal, the tasks, measures and check-ins as activities. A
// record without a plan, tasks, measures or check-ins has none.
func (m *mapper) carePlan() Resource {
	p := m.rec.Plan
	if (p == nil || (p.Version == 0 && len(p.Goals) == 0)) && len(m.rec.Tasks) == 0 &&
		len(m.rec.Measures) == 0 && !m.rec.CheckInSchedule.Active() {
		return nil
	}
	var goals, activities []any
	if p != nil {
		for _, g := range p.Goals {
			goals = append(goals, ref("Goal/"+g.ID, ""))
			for _, o := range g.Objectives {
				activities = append(activities, obj("detail", obj(
					"status", objectiveStatus(o.Status),
					"description", o.Text,
					"goal", []any{ref("Goal/"+g.ID, "")},
					"scheduledString", dayText("by ", o.TargetDate),
				)))
			}
		}
	}
	for _, t := range m.rec.Tasks {
		activities = append(activities, obj("reference", ref("Task/"+t.ID, t.Title)))
	}
	for _, s := range m.rec.Measures {
		activities = append(activities, obj("reference", ref("Task/"+s.ID, "")))
	}
	if sch := m.rec.CheckInSchedule; sch.Active() {
		var days []string
		for _, d := range sch.Weekdays {
			days = append(days, d.String()[:3])
		}
		activities = append(activities, obj("detail", obj(
			"code", concept("checkin"),
			"status", "in-progress",
			"description", care.CheckInPrompt,
			"scheduledString", fmt.Sprintf("%s at %s (%s)", strings.Join(days, ", "), sch.Clock(), m.rec.Client.TimeZone),
			"performer", []any{m.patient},
		)))
	}
	res := obj(
		"resourceType", "CarePlan",
		"id", m.rec.Client.ID+"-plan",
		"status", "active",
		"intent", "plan",
		"title", "Treatment plan",
		"subject", m.patient,
		"careTeam", []any{ref("CareTeam/"+m.rec.Client.ID+"-careteam", "")},
		"goal", goals,
		"activity", activities,
	)
	if p != nil && p.Version > 0 {
		res["meta"] = obj("versionId", fmt.Sprint(p.Version), "lastUpdated", instant(p.UpdatedAt))
		if a := m.person(p.UpdatedBy); a != nil {
			res["author"] = a
		}
	}
	return res
}

// safetyPlan is the client's safety plan (issue #16) as a CarePlan of its
// own, told apart by its category (the code system's safety_plan): each
// Stanley–Brown section with something in it is an activity coded by its
// section, its items the lines of the description, in order. A record
// without a saved plan has none.
func (m *mapper) safetyPlan() Resource {
	p := m.rec.SafetyPlan
	if p == nil || p.Version == 0 {
		return nil
	}
	var activities []any
	for _, l := range p.Lists() {
		if len(l.Items) == 0 {
			continue
		}
		activities = append(activities, obj("detail", obj(
			"code", concept("safety_plan_"+string(l.Section)),
			"status", "in-progress",
			"description", "- "+strings.Join(l.Items, "\n- "),
		)))
	}
	res := obj(
		"resourceType", "CarePlan",
		"id", m.rec.Client.ID+"-safety-plan",
		"meta", obj("versionId", fmt.Sprint(p.Version), "lastUpdated", instant(p.UpdatedAt)),
		"status", "active",
		"intent", "plan",
		"category", []any{concept("safety_plan")},
		"title", "Safety plan",
		"description", "What the client does, step by step, when a crisis may be starting (Stanley–Brown Safety Planning Intervention).",
		"subject", m.patient,
		"careTeam", []any{ref("CareTeam/"+m.rec.Client.ID+"-careteam", "")},
		"activity", activities,
	)
	if a := m.person(p.UpdatedBy); a != nil {
		res["author"] = a
	}
	return res
}

func objectiveStatus(s care.ObjectiveStatus) string {
	switch s {
	case care.ObjectiveMet:
		return "completed"
	case care.ObjectiveDropped:
		return "cancelled"
	}
	return "in-progress"
}

func (m *mapper) goal(g care.Goal) Resource {
	status, achievement := "active", ""
	switch g.Status {
	case care.GoalAchieved:
		status, achievement = "completed", "achieved"
	case care.GoalPaused:
		status = "on-hold"
	case care.GoalDropped:
		status = "cancelled"
	}
	var notes []any
	if g.ClinicalWording != "" {
		notes = append(notes, obj("text", "Clinical wording: "+g.ClinicalWording))
	}
	for _, c := range g.Comments {
		n := obj("time", instant(c.CreatedAt), "text", c.Text)
		if a := m.person(c.AuthorID); a != nil {
			n["authorReference"] = a
		}
		notes = append(notes, n)
	}
	var target []any
	if g.TargetDate != "" {
		target = append(target, obj("dueDate", string(g.TargetDate)))
	}
	var achieved any
	if achievement != "" {
		achieved = obj("coding", []any{obj("system", "http://terminology.hl7.org/CodeSystem/goal-achievement", "code", achievement)})
	}
	return obj(
		"resourceType", "Goal",
		"id", g.ID,
		"lifecycleStatus", status,
		"achievementStatus", achieved,
		"description", obj("text", g.Title),
		"subject", m.patient,
		"target", target,
		"expressedBy", m.patient,
		"note", notes,
	)
}

// task is a between-session task; its completions are Tasks of their own
// (completion), part of it.
func (m *mapper) task(t care.Task) Resource {
	status := "in-progress"
	if !t.Recurring() && len(t.Occurrences) > 0 {
		status = "completed"
	}
	var notes []any
	if t.Instructions != "" {
		notes = append(notes, obj("text", t.Instructions))
	}
	period := obj("start", string(t.DueDate), "end", string(t.EndsOn))
	var focus any
	if t.GoalID != "" {
		focus = ref("Goal/"+t.GoalID, t.GoalTitle)
	}
	return obj(
		"resourceType", "Task",
		"id", t.ID,
		"basedOn", []any{ref("CarePlan/"+m.rec.Client.ID+"-plan", "")},
		"status", status,
		"intent", "plan",
		"description", t.Title,
		"focus", focus,
		"for", m.patient,
		"authoredOn", instant(t.CreatedAt),
		"requester", m.person(t.AssignedBy),
		"owner", m.patient,
		"note", notes,
		"restriction", obj("period", period),
		"input", []any{obj("type", obj("text", "schedule"), "valueString", t.Schedule())},
	)
}

func (m *mapper) completion(t care.Task, o care.Occurrence) Resource {
	var notes []any
	if o.Note != "" {
		notes = append(notes, obj("text", o.Note))
	}
	return obj(
		"resourceType", "Task",
		"id", t.ID+"-"+strings.ReplaceAll(string(o.Day), "-", ""),
		"partOf", []any{ref("Task/"+t.ID, "")},
		"status", "completed",
		"intent", "plan",
		"code", concept("task_completion"),
		"description", t.Title,
		"for", m.patient,
		"owner", m.patient,
		"executionPeriod", obj("start", string(o.Day), "end", instant(o.CompletedAt)),
		"lastModified", instant(o.CompletedAt),
		"note", notes,
	)
}

// measureTask is a measure the care team scheduled: a Task to answer the
// Questionnaire at an interval.
func (m *mapper) measureTask(s care.MeasureSchedule) Resource {
	in := care.InstrumentByCode(s.Instrument)
	status, name := "in-progress", s.Instrument
	if in != nil {
		name = in.Name
	}
	period := obj("start", instant(s.CreatedAt))
	if !s.StoppedAt.IsZero() {
		status = "completed"
		period["end"] = instant(s.StoppedAt)
	}
	return obj(
		"resourceType", "Task",
		"id", s.ID,
		"basedOn", []any{ref("CarePlan/"+m.rec.Client.ID+"-plan", "")},
		"status", status,
		"intent", "order",
		"code", concept("measure_schedule"),
		"description", fmt.Sprintf("Answer the %s every %d days", name, s.EveryDays),
		"focus", ref("Questionnaire/"+s.Instrument, name),
		"for", m.patient,
		"authoredOn", instant(s.CreatedAt),
		"requester", m.person(s.CreatedBy),
		"owner", m.patient,
		"restriction", obj("period", period),
	)
}

// checkIn is one check-in: a Task, done when answered, whose output is
// the answer's journal entry when the record holds it.
func (m *mapper) checkIn(c care.CheckIn) Resource {
	var status string
	switch c.Status(m.rec.ReadAt) {
	case care.CheckInAnswered:
		status = "completed"
	case care.CheckInMissed:
		status = "failed"
	default:
		status = "in-progress"
	}
	var output []any
	if c.EntryID != "" && m.hasEntry(c.EntryID) {
		output = append(output, obj("type", concept("journal_entry"), "valueReference", ref("Observation/"+c.EntryID, "")))
	}
	end := instant(c.ClosesAt)
	if !c.AnsweredAt.IsZero() {
		end = instant(c.AnsweredAt)
	}
	return obj(
		"resourceType", "Task",
		"id", c.ID,
		"status", status,
		"intent", "order",
		"code", concept("checkin"),
		"description", care.CheckInPrompt,
		"for", m.patient,
		"owner", m.patient,
		"authoredOn", instant(c.DueAt),
		"executionPeriod", obj("start", instant(c.DueAt), "end", end),
		"output", output,
	)
}

func (m *mapper) hasEntry(id string) bool {
	return slices.ContainsFunc(m.rec.Entries, func(e care.JournalEntry) bool { return e.ID == id })
}

func (m *mapper) encounter(a care.Appointment) Resource {
	status := "planned"
	switch a.Status {
	case care.AppointmentHeld:
		status = "finished"
	case care.AppointmentCancelled:
		status = "cancelled"
	}
	return obj(
		"resourceType", "Encounter",
		"id", a.ID,
		"status", status,
		"class", obj("system", actCode, "code", "AMB", "display", "ambulatory"),
		"subject", m.patient,
		"participant", []any{obj(
			"type", []any{obj("coding", []any{obj("system", participantType, "code", "PPRF", "display", "primary performer")})},
			"individual", m.person(a.ProviderID))},
		"period", obj("start", instant(a.StartsAt), "end", instant(a.Ends())),
		"length", obj("value", a.Minutes, "unit", "min", "system", UCUM, "code", "min"),
		"serviceProvider", m.organizationRef(),
	)
}

func (m *mapper) uses(in *care.Instrument) bool {
	for _, s := range m.rec.Measures {
		if s.Instrument == in.Code {
			return true
		}
	}
	for _, r := range m.rec.Responses {
		if r.Instrument == in.Code {
			return true
		}
	}
	return false
}

// Questionnaire returns an instrument as a Questionnaire, its items coded
// with LOINC and answered with the LOINC answer list, then the optional,
// unscored difficulty question, with the instruments' copyright.
func Questionnaire(in *care.Instrument) Resource {
	codes := itemLOINC[in.Code]
	options := make([]any, len(care.AnswerOptions))
	for i, o := range care.AnswerOptions {
		options[i] = obj("valueCoding", obj("system", LOINC, "code", answerLOINC[o.Value], "display", o.Label))
	}
	items := make([]any, len(in.Items))
	for i, text := range in.Items {
		items[i] = obj(
			"linkId", codes[i],
			"code", []any{obj("system", LOINC, "code", codes[i])},
			"prefix", fmt.Sprint(i+1),
			"text", text,
			"type", "choice",
			"required", true,
			"answerOption", options,
		)
	}
	difficulty := make([]any, len(care.DifficultyOptions))
	for i, o := range care.DifficultyOptions {
		difficulty[i] = obj("valueCoding", obj("system", LOINC, "code", difficultyAnswerLOINC[o.Value], "display", o.Label))
	}
	items = append(items, obj(
		"linkId", DifficultyLOINC,
		"code", []any{obj("system", LOINC, "code", DifficultyLOINC)},
		"prefix", fmt.Sprint(len(in.Items)+1),
		"text", in.Difficulty,
		"type", "choice",
		"required", false,
		"answerOption", difficulty,
	))
	return obj(
		"resourceType", "Questionnaire",
		"id", in.Code,
		"url", QuestionnaireBase+in.Code,
		"name", strings.ReplaceAll(in.Name, "-", ""),
		"title", in.Title,
		"status", "active",
		"subjectType", []any{"Patient"},
		"description", in.Stem,
		"copyright", care.Attribution,
		"code", []any{obj("system", LOINC, "code", in.LOINC, "display", in.Name)},
		"item", items,
	)
}

// ASQQuestionnaire is NIMH's ASQ (issue #16) as a Questionnaire: four
// boolean items and the acuity question, enabled by a yes to any of them,
// coded with Interlude's code system (no LOINC code could be verified).
func ASQQuestionnaire() Resource {
	var items, enable []any
	for i, q := range care.ASQItems {
		items = append(items, obj(
			"linkId", q.LinkID,
			"code", []any{obj("system", CodeSystemURL, "code", q.LinkID)},
			"prefix", fmt.Sprint(i+1),
			"text", q.Text,
			"type", "boolean",
			"required", true,
		))
		enable = append(enable, obj("question", q.LinkID, "operator", "=", "answerBoolean", true))
	}
	items = append(items, obj(
		"linkId", care.ASQAcuity.LinkID,
		"code", []any{obj("system", CodeSystemURL, "code", care.ASQAcuity.LinkID)},
		"prefix", fmt.Sprint(len(care.ASQItems)+1),
		"text", care.ASQAcuity.Text,
		"type", "boolean",
		"required", true,
		"enableWhen", enable,
		"enableBehavior", "any",
	))
	return obj(
		"resourceType", "Questionnaire",
		"id", care.InstrumentASQ,
		"url", QuestionnaireBase+care.InstrumentASQ,
		"name", "ASQ",
		"title", "Ask Suicide-Screening Questions (ASQ)",
		"status", "active",
		"subjectType", []any{"Patient"},
		"copyright", care.ASQAttribution,
		"code", []any{obj("system", CodeSystemURL, "code", care.InstrumentASQ, "display", "Ask Suicide-Screening Questions (ASQ)")},
		"item", items,
	)
}

// screenerResponse is a client's ASQ answers; the acuity question only
// when it was asked.
func (m *mapper) screenerResponse(r care.ScreenerResponse) Resource {
	var items []any
	for i, a := range r.Answers {
		if i >= len(care.ASQItems) {
			break
		}
		items = append(items, obj("linkId", care.ASQItems[i].LinkID, "text", care.ASQItems[i].Text, "answer", []any{obj("valueBoolean", a)}))
	}
	if r.Acuity != nil {
		items = append(items, obj("linkId", care.ASQAcuity.LinkID, "text", care.ASQAcuity.Text, "answer", []any{obj("valueBoolean", *r.Acuity)}))
	}
	return obj(
		"resourceType", "QuestionnaireResponse",
		"id", r.ID,
		"questionnaire", QuestionnaireBase+care.InstrumentASQ,
		"status", "completed",
		"subject", m.patient,
		"authored", instant(r.AnsweredAt),
		"author", m.patient,
		"source", m.patient,
		"item", items,
	)
}

// screenerResult is the ASQ's triage of a response, an Observation
// derived from it and focused on the safety flag it followed.
func (m *mapper) screenerResult(r care.ScreenerResponse) Resource {
	return obj(
		"resourceType", "Observation",
		"id", r.ID+"-result",
		"status", "final",
		"category", []any{category("survey")},
		"code", concept("asq_result"),
		"focus", []any{ref("Flag/"+r.FlagID, "")},
		"subject", m.patient,
		"effectiveDateTime", instant(r.AnsweredAt),
		"issued", instant(r.AnsweredAt),
		"performer", []any{m.patient},
		"valueCodeableConcept", concept("asq_"+string(r.Result)),
		"derivedFrom", []any{ref("QuestionnaireResponse/"+r.ID, "")},
	)
}

func (m *mapper) questionnaireResponse(r care.MeasureResponse) Resource {
	codes := itemLOINC[r.Instrument]
	in := care.InstrumentByCode(r.Instrument)
	var items []any
	for i, a := range r.Answers {
		if i >= len(codes) || a < 0 || a >= len(answerLOINC) || in == nil {
			break
		}
		items = append(items, obj(
			"linkId", codes[i],
			"text", in.Items[i],
			"answer", []any{obj("valueCoding", obj("system", LOINC, "code", answerLOINC[a], "display", care.AnswerOptions[a].Label))},
		))
	}
	if d := r.Difficulty; d != nil && *d >= 0 && *d < len(difficultyAnswerLOINC) && in != nil {
		items = append(items, obj(
			"linkId", DifficultyLOINC,
			"text", in.Difficulty,
			"answer", []any{obj("valueCoding", obj("system", LOINC, "code", difficultyAnswerLOINC[*d], "display", care.DifficultyOptions[*d].Label))},
		))
	}
	return obj(
		"resourceType", "QuestionnaireResponse",
		"id", r.ID,
		"questionnaire", QuestionnaireBase+r.Instrument,
		"status", "completed",
		"subject", m.patient,
		"authored", instant(r.AnsweredAt),
		"author", m.patient,
		"source", m.patient,
		"item", items,
	)
}

// measureTotal is a response's total score as an Observation coded with
// the instrument's total LOINC code, each item a component.
func (m *mapper) measureTotal(r care.MeasureResponse) Resource {
	in := care.InstrumentByCode(r.Instrument)
	codes := itemLOINC[r.Instrument]
	var components []any
	for i, a := range r.Answers {
		if i >= len(codes) {
			break
		}
		components = append(components, obj("code", obj("coding", []any{obj("system", LOINC, "code", codes[i])}, "text", in.Items[i]), "valueInteger", a))
	}
	code, name := "", r.Instrument
	if in != nil {
		code, name = in.LOINCTotal, in.Name
	}
	var interpretation []any
	if r.Severity != "" {
		interpretation = append(interpretation, obj("coding", []any{obj("system", CodeSystemURL, "code", "severity", "display", "Severity")}, "text", r.Severity.Label()))
	}
	return obj(
		"resourceType", "Observation",
		"id", r.ID+"-total",
		"status", "final",
		"category", []any{category("survey")},
		"code", obj("coding", []any{obj("system", LOINC, "code", code, "display", name+" total score")}, "text", name+" total score"),
		"subject", m.patient,
		"effectiveDateTime", instant(r.AnsweredAt),
		"issued", instant(r.AnsweredAt),
		"performer", []any{m.patient},
		"valueInteger", r.Total,
		"interpretation", interpretation,
		"derivedFrom", []any{ref("QuestionnaireResponse/"+r.ID, "")},
		"component", components,
	)
}

// entry maps a journal entry: an Observation of the entry itself (what
// happened, emotions, "bring this up"), and one per rating, derived from
// it: mood, sleep duration (LOINC), the symptom ratings, goal progress
// (focused on the Goal). A private entry, which only the client's own
// record holds, is labelled restricted.
func (m *mapper) entry(e care.JournalEntry) []Resource {
	label := "N"
	if !e.Shared {
		label = "R"
	}
	meta := obj(
		"versionId", fmt.Sprint(e.Version),
		"lastUpdated", instant(e.UpdatedAt),
		"security", []any{obj("system", confidentiality, "code", label)},
	)
	base := func(id string, code map[string]any) Resource {
		return obj(
			"resourceType", "Observation",
			"id", id,
			"meta", meta,
			"status", "final",
			"category", []any{category("survey")},
			"code", code,
			"subject", m.patient,
			"effectiveDateTime", instant(e.OccurredAt),
			"issued", instant(e.CreatedAt),
			"performer", []any{m.patient},
		)
	}
	var members []any
	var ratings []Resource
	rating := func(name string, v *int) {
		if v == nil {
			return
		}
		o := base(e.ID+"-"+strings.ReplaceAll(name, "_", "-"), concept(name))
		o["valueInteger"] = *v
		o["derivedFrom"] = []any{ref("Observation/"+e.ID, "")}
		ratings = append(ratings, o)
		members = append(members, ref("Observation/"+IDOf(o), ""))
	}
	rating("mood", e.Mood)
	if h := e.Symptoms.SleepHours; h != nil {
		o := base(e.ID+"-sleep-hours", obj("coding", []any{obj("system", LOINC, "code", loincSleepDuration, "display", "Sleep duration")}, "text", "Sleep duration"))
		o["valueQuantity"] = obj("value", *h, "unit", "h", "system", UCUM, "code", "h")
		o["derivedFrom"] = []any{ref("Observation/"+e.ID, "")}
		ratings = append(ratings, o)
		members = append(members, ref("Observation/"+IDOf(o), ""))
	}
	s := e.Symptoms
	for _, r := range s.Ratings() {
		rating(r.Name, *r.Value)
	}
	if e.GoalID != "" && e.GoalProgress != nil {
		before := len(ratings)
		rating("goal_progress", e.GoalProgress)
		if len(ratings) > before {
			ratings[before]["focus"] = []any{ref("Goal/"+e.GoalID, "")}
		}
	}
	main := base(e.ID, concept("journal_entry"))
	if e.Text != "" {
		main["valueString"] = e.Text
	}
	var components []any
	for _, w := range e.Emotions {
		components = append(components, obj("code", concept("emotion"), "valueCodeableConcept", obj("text", w)))
	}
	if e.Discuss {
		components = append(components, obj("code", concept("discuss_next_session"), "valueBoolean", true))
	}
	if len(components) > 0 {
		main["component"] = components
	}
	if len(members) > 0 {
		main["hasMember"] = members
	}
	if e.GoalID != "" {
		main["focus"] = []any{ref("Goal/"+e.GoalID, "")}
	}
	return append([]Resource{main}, ratings...)
}

func (m *mapper) communication(msg care.Message) Resource {
	var sender any
	var recipients []any
	switch msg.SenderRole {
	case care.RoleClient:
		sender = m.patient
		recipients = m.teamRefs()
	case care.RoleSystem:
		sender = m.organizationRef()
		recipients = []any{m.patient}
	default:
		sender = m.person(msg.SenderID)
		recipients = []any{m.patient}
	}
	var payload []any
	if msg.Text != "" {
		payload = append(payload, obj("contentString", msg.Text))
	}
	for _, a := range msg.Attachments {
		payload = append(payload, obj("contentAttachment", obj(
			"contentType", a.ContentType, "title", a.Name, "size", a.Size, "creation", instant(a.CreatedAt))))
	}
	res := obj(
		"resourceType", "Communication",
		"id", msg.ID,
		"status", "completed",
		"subject", m.patient,
		"sent", instant(msg.SentAt),
		"received", instant(msg.ReadAt),
		"recipient", recipients,
		"sender", sender,
		"payload", payload,
	)
	if msg.Version > 1 {
		res["meta"] = obj("versionId", fmt.Sprint(msg.Version), "lastUpdated", instant(msg.EditedAt))
	}
	return res
}

func (m *mapper) flag(f care.SafetyFlag) Resource {
	status := "active"
	period := obj("start", instant(f.RaisedAt))
	if !f.Open() {
		status = "inactive"
		period["end"] = instant(f.AcknowledgedAt)
	}
	// The flag's level (issue #16) as HL7's flag-priority extension: a
	// crisis is high priority, a concern medium.
	priority := obj("system", "http://hl7.org/fhir/flag-priority-code", "code", "PH", "display", "High priority")
	if f.Level == care.CrisisConcern {
		priority = obj("system", "http://hl7.org/fhir/flag-priority-code", "code", "PM", "display", "Medium priority")
	}
	return obj(
		"resourceType", "Flag",
		"id", f.ID,
		"extension", []any{obj("url", "http://hl7.org/fhir/StructureDefinition/flag-priority",
			"valueCodeableConcept", obj("coding", []any{priority}))},
		"status", status,
		"category", []any{obj("coding", []any{obj("system", "http://terminology.hl7.org/CodeSystem/flag-category", "code", "safety", "display", "Safety")})},
		"code", concept(string(f.Kind)),
		"subject", m.patient,
		"period", period,
		"author", m.organizationRef(),
	)
}

// auditEvent is one access of the client's access log.
func (m *mapper) auditEvent(e care.AuditEvent) Resource {
	outcome := "0"
	switch e.Outcome {
	case care.OutcomeDenied:
		outcome = "4"
	case care.OutcomeFailure, care.OutcomeIntegrity:
		outcome = "8"
	}
	var purpose []any
	if e.Purpose == care.PurposeBreakGlass {
		purpose = append(purpose, obj("coding", []any{obj("system", actReason, "code", "ETREAT", "display", "Emergency Treatment")}))
	}
	who, role := m.person(e.ActorID), string(e.Role)
	if e.ActorID == "" {
		// The operator's `interlude export`: no user, the server itself.
		who, role = obj("display", "the server's operator"), "operator"
	}
	return obj(
		"resourceType", "AuditEvent",
		"id", fmt.Sprintf("%s-audit-%d", m.rec.Client.ID, e.Seq),
		"type", obj("system", dicom, "code", "110110", "display", "Patient Record"),
		"subtype", []any{obj("system", CodeSystemURL, "code", e.Action)},
		"action", auditAction(e.Action),
		"recorded", instant(e.At),
		"outcome", outcome,
		"purposeOfEvent", purpose,
		"agent", []any{obj("who", who, "requestor", true, "role", []any{obj("text", role)})},
		"source", obj("observer", m.organizationRef()),
		"entity", []any{obj(
			"what", m.patient,
			"type", obj("system", auditEntityType, "code", "1", "display", "Person"))},
	)
}

// auditAction is the FHIR action code of an audit action: C, R, U, D or
// E (execute).
func auditAction(action string) string {
	verb := action[strings.LastIndex(action, ".")+1:]
	switch verb {
	case "read", "list", "due", "read_all", "export":
		return "R"
	case "create", "add", "raise", "send", "schedule", "start":
		return "C"
	case "delete", "remove":
		return "D"
	case "write", "update", "edit", "complete", "acknowledge", "answer", "stop", "end", "set":
		return "U"
	}
	return "E"
}

func (m *mapper) meta(updated time.Time) map[string]any {
	if updated.IsZero() {
		return nil
	}
	return obj("lastUpdated", instant(updated))
}

// concept is a CodeableConcept of Interlude's code system.
func concept(code string) map[string]any {
	return obj("coding", []any{obj("system", CodeSystemURL, "code", code, "display", display(code))}, "text", display(code))
}

func category(code string) map[string]any {
	return obj("coding", []any{obj("system", obsCategory, "code", code)})
}

func ref(reference, display string) map[string]any {
	return obj("reference", reference, "display", display)
}

func dayText(prefix string, d care.Day) string {
	if d == "" {
		return ""
	}
	return prefix + string(d)
}

// instant formats t as a FHIR instant (and dateTime); "" for the zero
// time, which obj leaves out.
func instant(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// obj builds a JSON object from key, value pairs, leaving out what FHIR
// JSON must not hold: empty strings, nil, empty arrays and objects.
func obj(kv ...any) map[string]any {
	out := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		k, v := kv[i].(string), kv[i+1]
		if empty(v) {
			continue
		}
		out[k] = v
	}
	return out
}

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil() || (rv.Kind() != reflect.Pointer && rv.Len() == 0)
	}
	return false
}
