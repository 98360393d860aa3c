package fhir_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/fhir"
	"interlude/internal/fhir/fhirtest"
)

func ptr[T any](v T) *T { return &v }

// id makes a care-like id (26 base32 characters) from a short name.
func id(name string) string { return (name + strings.Repeat("a", 26))[:26] }

// sampleRecord is a record with something of every kind, as the client's
// own copy: private entries and the access log too.
func sampleRecord() *care.Record {
	t0 := time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)
	client := care.User{ID: id("client"), ClinicID: id("clinic"), Role: care.RoleClient, Email: "sam@example.org",
		DisplayName: "Sam Rivera", TimeZone: "America/Chicago", CreatedAt: t0}
	prov := care.User{ID: id("prov"), ClinicID: id("clinic"), Role: care.RoleProvider, DisplayName: "Dr. Lee", CreatedAt: t0}
	admin := care.User{ID: id("admin"), ClinicID: id("clinic"), Role: care.RoleAdmin, DisplayName: "Pat Admin", CreatedAt: t0}
	goal := id("goal")
	return &care.Record{
		ReadAt:   t0.Add(30 * 24 * time.Hour),
		Actor:    care.Actor{UserID: client.ID, ClinicID: client.ClinicID, Role: care.RoleClient},
		Self:     true,
		Clinic:   care.Clinic{ID: id("clinic"), Name: "Riverside Counseling", CreatedAt: t0},
		Client:   client,
		CareTeam: []care.User{prov},
		Staff:    []care.User{admin},
		SafetyPlan: &care.SafetyPlan{ClientID: client.ID, Version: 3, UpdatedAt: t0.Add(2 * time.Hour), UpdatedBy: client.ID,
			WarningSigns: []string{"Not sleeping", "Skipping meals"}, Coping: []string{"Walk the dog"}, Help: []string{"Ana, 555-0100"},
			Professionals: []string{"Dr. Lee", "988, call or text"}, Reasons: []string{"My kids"}},
		Plan: &care.Plan{ClientID: client.ID, Version: 2, UpdatedAt: t0.Add(time.Hour), UpdatedBy: prov.ID, Goals: []care.Goal{
			{ID: goal, Title: "Sleep before midnight", ClinicalWording: "Improve sleep hygiene", TargetDate: "2026-12-31",
				Status: care.GoalActive,
				Objectives: []care.Objective{
					{ID: id("obj1"), Text: "Phone out of the bedroom", Status: care.ObjectiveMet},
					{ID: id("obj2"), Text: "Wind down at 23:00", TargetDate: "2026-12-01", Status: care.ObjectiveOpen},
				},
				Comments: []care.GoalComment{{ID: id("comment"), GoalID: goal, AuthorID: client.ID, AuthorRole: care.RoleClient,
					CreatedAt: t0.Add(2 * time.Hour), Text: "Harder on weekends"}}},
			{ID: id("goal2"), Title: "See friends", Status: care.GoalAchieved},
		}},
		Tasks: []care.Task{
			{ID: id("task1"), ClientID: client.ID, GoalID: goal, GoalTitle: "Sleep before midnight", AssignedBy: prov.ID,
				Title: "Breathing practice", Instructions: "Five minutes, box breathing", DueDate: "2026-11-03",
				Recurrence: "daily", EndsOn: "2026-11-30", CreatedAt: t0,
				Occurrences: []care.Occurrence{{Day: "2026-11-03", Done: true, CompletedAt: t0.Add(26 * time.Hour), Note: "calmer"}}},
			{ID: id("task2"), ClientID: client.ID, AssignedBy: prov.ID, Title: "Call a friend", DueDate: "2026-11-05", CreatedAt: t0,
				Occurrences: []care.Occurrence{{Day: "2026-11-05", Done: true, CompletedAt: t0.Add(3 * 24 * time.Hour)}}},
		},
		Appointments: []care.Appointment{
			{ID: id("appt1"), ClientID: client.ID, ProviderID: prov.ID, ProviderName: prov.DisplayName, StartsAt: t0, Minutes: 50,
				Status: care.AppointmentHeld, CreatedAt: t0, UpdatedAt: t0},
			{ID: id("appt2"), ClientID: client.ID, ProviderID: prov.ID, StartsAt: t0.Add(7 * 24 * time.Hour), Minutes: 50,
				Status: care.AppointmentCancelled, CreatedAt: t0, UpdatedAt: t0},
			{ID: id("appt3"), ClientID: client.ID, ProviderID: prov.ID, StartsAt: t0.Add(40 * 24 * time.Hour), Minutes: 45,
				Status: care.AppointmentScheduled, CreatedAt: t0, UpdatedAt: t0},
		},
		Entries: []care.JournalEntry{
			{ID: id("entry1"), ClinicID: client.ClinicID, ClientID: client.ID, OccurredAt: t0.Add(24 * time.Hour),
				CreatedAt: t0.Add(25 * time.Hour), UpdatedAt: t0.Add(25 * time.Hour), Version: 1, Shared: true, GoalID: goal,
				Mood: ptr(6), Emotions: []string{"hopeful", "tired"},
				Symptoms: care.Symptoms{SleepHours: ptr(6.5), SleepQuality: ptr(4), Energy: ptr(5), Anxiety: ptr(7), Pain: ptr(0),
					Appetite: ptr(6), Irritability: ptr(3)},
				Text: "Slept badly but went for a walk.", GoalProgress: ptr(4), Discuss: true},
			{ID: id("entry2"), ClinicID: client.ClinicID, ClientID: client.ID, OccurredAt: t0.Add(48 * time.Hour),
				CreatedAt: t0.Add(48 * time.Hour), UpdatedAt: t0.Add(49 * time.Hour), Version: 2, Shared: false,
				Mood: ptr(2), Text: "Only for me."},
		},
		CheckInSchedule: care.CheckInSchedule{ClientID: client.ID, Weekdays: []time.Weekday{time.Monday, time.Thursday},
			Minute: 18 * 60, Version: 1, SetBy: prov.ID, UpdatedAt: t0},
		CheckIns: []care.CheckIn{
			{ID: id("checkin1"), ClinicID: client.ClinicID, ClientID: client.ID, DueAt: t0.Add(24 * time.Hour),
				ClosesAt: t0.Add(48 * time.Hour), SentAt: t0.Add(24 * time.Hour), MessageID: id("msg3"),
				AnsweredAt: t0.Add(24*time.Hour + time.Minute), EntryID: id("entry1"), Mood: ptr(6)},
			{ID: id("checkin2"), ClinicID: client.ClinicID, ClientID: client.ID, DueAt: t0.Add(4 * 24 * time.Hour),
				ClosesAt: t0.Add(5 * 24 * time.Hour)},
		},
		Measures: []care.MeasureSchedule{
			{ID: id("sched1"), ClinicID: client.ClinicID, ClientID: client.ID, Instrument: "phq9", EveryDays: 14, CreatedBy: prov.ID, CreatedAt: t0},
			{ID: id("sched2"), ClinicID: client.ClinicID, ClientID: client.ID, Instrument: "gad7", EveryDays: 14, CreatedBy: prov.ID,
				CreatedAt: t0, StoppedAt: t0.Add(20 * 24 * time.Hour)},
		},
		Responses: []care.MeasureResponse{
			{ID: id("resp1"), ClinicID: client.ClinicID, ClientID: client.ID, ScheduleID: id("sched1"), Instrument: "phq9",
				AnsweredAt: t0.Add(time.Hour), Answers: []int{1, 2, 1, 2, 1, 1, 0, 0, 1},
				Score: care.Score{Total: 9, Severity: care.Mild, SafetyFlag: true}},
			{ID: id("resp2"), ClinicID: client.ClinicID, ClientID: client.ID, ScheduleID: id("sched2"), Instrument: "gad7",
				AnsweredAt: t0.Add(time.Hour), Answers: []int{3, 3, 3, 3, 3, 3, 3},
				Score: care.Score{Total: 21, Severity: care.Severe}},
		},
		Messages: []care.Message{
			{ID: id("msg1"), ClinicID: client.ClinicID, ClientID: client.ID, SenderID: client.ID, SenderRole: care.RoleClient,
				SentAt: t0.Add(time.Hour), Text: "Can we move Thursday?", ReadAt: t0.Add(2 * time.Hour), Version: 2, EditedAt: t0.Add(90 * time.Minute),
				Attachments: []care.Attachment{{ID: id("att"), MessageID: id("msg1"), Name: "note.pdf", ContentType: care.ContentTypePDF,
					Size: 1234, CreatedAt: t0.Add(time.Hour)}}},
			{ID: id("msg2"), ClinicID: client.ClinicID, ClientID: client.ID, SenderID: prov.ID, SenderRole: care.RoleProvider,
				SentAt: t0.Add(3 * time.Hour), Text: "Yes, Friday works.", Version: 1},
			{ID: id("msg3"), ClinicID: client.ClinicID, ClientID: client.ID, SenderID: "", SenderRole: care.RoleSystem,
				SentAt: t0.Add(24 * time.Hour), Text: care.CheckInPrompt, Version: 1},
		},
		Flags: []care.SafetyFlag{
			{ID: id("flag1"), ClinicID: client.ClinicID, ClientID: client.ID, Kind: care.FlagPHQ9Item9, SourceType: "measure_response",
				SourceID: id("resp1"), RaisedAt: t0.Add(time.Hour), AcknowledgedBy: prov.ID, AcknowledgedAt: t0.Add(2 * time.Hour), Note: "Called"},
			{ID: id("flag2"), ClinicID: client.ClinicID, ClientID: client.ID, Kind: care.FlagCrisisLanguage, SourceType: "message",
				SourceID: id("msg1"), RaisedAt: t0.Add(5 * time.Hour), Screener: care.ScreenNonAcutePositive},
		},
		Screeners: []care.ScreenerResponse{
			{ID: id("screen1"), ClinicID: client.ClinicID, ClientID: client.ID, FlagID: id("flag2"), Instrument: care.InstrumentASQ,
				AnsweredAt: t0.Add(5*time.Hour + time.Minute), Answers: []bool{false, true, false, false}, Acuity: ptr(false), Result: care.ScreenNonAcutePositive},
		},
		AccessLog: []care.AuditEvent{
			{Seq: 41, At: t0.Add(time.Hour), ActorID: prov.ID, Role: care.RoleProvider, Action: "journal.list", EntityType: "journal_entry",
				ClientID: client.ID, ClinicID: client.ClinicID, Outcome: care.OutcomeSuccess},
			{Seq: 42, At: t0.Add(2 * time.Hour), ActorID: admin.ID, Role: care.RoleAdmin, Action: "client.read", EntityType: "client",
				EntityID: client.ID, ClientID: client.ID, ClinicID: client.ClinicID, Outcome: care.OutcomeSuccess, Purpose: care.PurposeBreakGlass},
			{Seq: 43, At: t0.Add(3 * time.Hour), ActorID: id("gone"), Role: care.RoleProvider, Action: "plan.read", EntityType: "plan",
				ClientID: client.ID, ClinicID: client.ClinicID, Outcome: care.OutcomeDenied},
			{Seq: 44, At: t0.Add(4 * time.Hour), ActorID: client.ID, Role: care.RoleClient, Action: care.ActionRecordCopy, EntityType: "client",
				EntityID: client.ID, ClientID: client.ID, ClinicID: client.ClinicID, Outcome: care.OutcomeSuccess},
			{Seq: 45, At: t0.Add(5 * time.Hour), Action: "bulk.export", EntityType: "bulk_export", EntityID: id("export1"),
				ClientID: client.ID, ClinicID: client.ClinicID, Outcome: care.OutcomeSuccess, Purpose: care.PurposeBulkExport},
		},
	}
}

var idSyntax = regexp.MustCompile(`^[A-Za-z0-9\-\.]{1,64}$`)

// TestResourcesValidate (issue #8): every resource the mapping emits for a
// record with something of every kind validates against the official FHIR
// R4 JSON schema, every type of fhir.Types is among them, and every id is
// a FHIR id, unique within its type.
func TestResourcesValidate(t *testing.T) {
	t.Parallel()
	v := fhirtest.New(t)
	rec := sampleRecord()
	res := fhir.Resources(rec)
	seen := map[string]int{}
	ids := map[string]bool{}
	for _, r := range res {
		typ := fhir.TypeOf(r)
		seen[typ]++
		if !idSyntax.MatchString(fhir.IDOf(r)) {
			t.Errorf("%s id %q is not a FHIR id", typ, fhir.IDOf(r))
		}
		if ids[fhir.Ref(r)] {
			t.Errorf("%s emitted twice", fhir.Ref(r))
		}
		ids[fhir.Ref(r)] = true
		if err := v.Validate(r); err != nil {
			t.Errorf("%v", err)
		}
	}
	for _, typ := range fhir.Types {
		if seen[typ] == 0 {
			t.Errorf("no %s emitted", typ)
		}
	}
	if err := v.Validate(fhir.CodeSystem()); err != nil {
		t.Errorf("the code system: %v", err)
	}
	// Every reference inside the record's resources resolves to one of
	// them (Questionnaires by canonical URL aside).
	b, _ := json.Marshal(res)
	for _, m := range regexp.MustCompile(`"reference":"([A-Za-z]+/[^"]+)"`).FindAllStringSubmatch(string(b), -1) {
		if !ids[m[1]] {
			t.Errorf("reference %s resolves to nothing emitted", m[1])
		}
	}
	bundle := fhir.Everything(rec, "https://example.org/fhir/R4/")
	if err := v.Validate(bundle); err != nil {
		t.Errorf("the $everything bundle: %v", err)
	}
	if got := bundle["total"]; got != len(res) {
		t.Errorf("bundle total %v, want %d", got, len(res))
	}
}

// TestValidatorRejects: the validator is not vacuous: a resource with a
// wrong status, an unknown field, or a malformed id fails.
func TestValidatorRejects(t *testing.T) {
	t.Parallel()
	v := fhirtest.New(t)
	for name, r := range map[string]map[string]any{
		"bad status":    {"resourceType": "Flag", "id": "x", "status": "open", "code": map[string]any{"text": "x"}, "subject": map[string]any{"reference": "Patient/p"}},
		"unknown field": {"resourceType": "Patient", "id": "x", "mood": 5},
		"bad id":        {"resourceType": "Patient", "id": "not an id!"},
		"no code":       {"resourceType": "Observation", "id": "x", "status": "final"},
		"unknown type":  {"resourceType": "Mood", "id": "x"},
		"nested type":   {"resourceType": "Observation", "id": "x", "status": "final", "code": map[string]any{"text": "x"}, "valueInteger": "six"},
		"empty string":  {"resourceType": "Observation", "id": "x", "status": "final", "code": map[string]any{"text": ""}},
	} {
		if err := v.Validate(r); err == nil {
			t.Errorf("%s: validated", name)
		}
	}
}

// TestCodes (issue #8): measure totals, items and questionnaires carry
// the LOINC codes the issue names; sleep duration is LOINC 93832-4; mood
// is of Interlude's own code system; goal progress refers to its Goal.
func TestCodes(t *testing.T) {
	t.Parallel()
	rec := sampleRecord()
	byRef := map[string]fhir.Resource{}
	for _, r := range fhir.Resources(rec) {
		byRef[fhir.Ref(r)] = r
	}
	code := func(ref string) string {
		r := byRef[ref]
		if r == nil {
			t.Fatalf("%s not emitted", ref)
		}
		b, _ := json.Marshal(r["code"])
		return string(b)
	}
	for ref, want := range map[string]string{
		"Observation/" + id("resp1") + "-total":          `"code":"44261-6","display":"PHQ-9 total score","system":"http://loinc.org"`,
		"Observation/" + id("resp2") + "-total":          `"code":"70274-6","display":"GAD-7 total score","system":"http://loinc.org"`,
		"Observation/" + id("entry1") + "-sleep-hours":   `"code":"93832-4"`,
		"Observation/" + id("entry1") + "-mood":          `"code":"mood"`,
		"Observation/" + id("entry1") + "-goal-progress": `"code":"goal_progress"`,
	} {
		if got := code(ref); !strings.Contains(got, want) {
			t.Errorf("%s code %s, want %s", ref, got, want)
		}
	}
	if got := code("Observation/" + id("entry1") + "-mood"); !strings.Contains(got, fhir.CodeSystemURL) {
		t.Errorf("mood coded %s, want Interlude's code system", got)
	}
	b, _ := json.Marshal(byRef["Questionnaire/phq9"])
	for _, c := range append([]string{"44249-1"}, fhir.ItemLOINC("phq9")...) {
		if !strings.Contains(string(b), `"`+c+`"`) {
			t.Errorf("the PHQ-9 Questionnaire lacks %s", c)
		}
	}
	// The ASQ (issue #16): Interlude's codes, the acuity question enabled
	// by a yes, the triage derived from the answers and focused on the flag.
	b, _ = json.Marshal(byRef["Questionnaire/asq"])
	if !strings.Contains(string(b), `"code":"asq"`) || !strings.Contains(string(b), `"enableBehavior":"any"`) || !strings.Contains(string(b), "NIMH") {
		t.Errorf("the ASQ Questionnaire: %s", b)
	}
	b, _ = json.Marshal(byRef["QuestionnaireResponse/"+id("screen1")])
	if !strings.Contains(string(b), `"linkId":"asq-5"`) || !strings.Contains(string(b), `"valueBoolean":true`) {
		t.Errorf("the ASQ answers: %s", b)
	}
	b, _ = json.Marshal(byRef["Observation/"+id("screen1")+"-result"])
	if !strings.Contains(string(b), `"code":"asq_non_acute_positive"`) || !strings.Contains(string(b), `"Flag/`+id("flag2")+`"`) {
		t.Errorf("the ASQ triage: %s", b)
	}
	b, _ = json.Marshal(byRef["Questionnaire/gad7"])
	if !strings.Contains(string(b), `"69737-5"`) || !strings.Contains(string(b), `"69725-0"`) {
		t.Errorf("the GAD-7 Questionnaire lacks its codes")
	}
	if n := len(fhir.ItemLOINC("phq9")); n != len(care.PHQ9.Items) {
		t.Errorf("%d PHQ-9 item codes for %d items", n, len(care.PHQ9.Items))
	}
	if n := len(fhir.ItemLOINC("gad7")); n != len(care.GAD7.Items) {
		t.Errorf("%d GAD-7 item codes for %d items", n, len(care.GAD7.Items))
	}
	b, _ = json.Marshal(byRef["Observation/"+id("entry1")+"-goal-progress"]["focus"])
	if !strings.Contains(string(b), `"Goal/`+id("goal")+`"`) {
		t.Errorf("goal progress focus %s, want the Goal", b)
	}
}

// TestSafetyPlanCarePlan (issue #16): the safety plan is a CarePlan of
// its own, told apart from the treatment plan by its category; each
// section with items is an activity coded by its section, the items the
// description's lines; its author is the client who saved it.
func TestSafetyPlanCarePlan(t *testing.T) {
	t.Parallel()
	rec := sampleRecord()
	var plans []fhir.Resource
	for _, r := range fhir.Resources(rec) {
		if fhir.TypeOf(r) == "CarePlan" {
			plans = append(plans, r)
		}
	}
	if len(plans) != 2 {
		t.Fatalf("%d CarePlans, want the treatment plan and the safety plan", len(plans))
	}
	sp := plans[1]
	b, _ := json.Marshal(sp)
	s := string(b)
	for _, want := range []string{`"id":"` + id("client") + `-safety-plan"`, `"category":[{"coding":[{"code":"safety_plan"`, `"versionId":"3"`,
		`"code":"safety_plan_warning_signs"`, `"description":"- Not sleeping\n- Skipping meals"`, `"code":"safety_plan_reasons"`,
		`"author":{"display":"Sam Rivera","reference":"Patient/` + id("client") + `"}`} {
		if !strings.Contains(s, want) {
			t.Errorf("the safety plan's CarePlan lacks %s: %s", want, s)
		}
	}
	if n := len(sp["activity"].([]any)); n != 5 {
		t.Errorf("%d activities, want the 5 sections with items", n)
	}
	if b, _ := json.Marshal(plans[0]); strings.Contains(string(b), "safety_plan") {
		t.Errorf("the treatment plan has the safety plan's category: %s", b)
	}
	for _, c := range []string{"safety_plan", "safety_plan_environment"} {
		if !slices.ContainsFunc(fhir.Concepts, func(x fhir.Concept) bool { return x.Code == c }) {
			t.Errorf("the code system lacks %s", c)
		}
	}
	// A record without a saved safety plan has none.
	rec.SafetyPlan = &care.SafetyPlan{}
	for _, r := range fhir.Resources(rec) {
		if fhir.IDOf(r) == id("client")+"-safety-plan" {
			t.Error("an unsaved safety plan is emitted")
		}
	}
}

// TestPrivateEntries (issue #8): the mapping emits exactly the entries of
// the record: a record without a private entry (anyone's but the
// client's) has none of it in any resource, and the client's own copy
// labels its private entry restricted.
func TestPrivateEntries(t *testing.T) {
	t.Parallel()
	rec := sampleRecord()
	b, _ := json.Marshal(fhir.Resources(rec))
	if !strings.Contains(string(b), "Only for me.") {
		t.Fatal("the client's own record lacks the private entry")
	}
	private := fhir.Resources(rec)
	i := slices.IndexFunc(private, func(r fhir.Resource) bool { return fhir.IDOf(r) == id("entry2") })
	sec, _ := json.Marshal(private[i]["meta"])
	if !strings.Contains(string(sec), `"code":"R"`) {
		t.Errorf("the private entry's meta %s, want confidentiality R", sec)
	}

	rec.Entries = slices.DeleteFunc(rec.Entries, func(e care.JournalEntry) bool { return !e.Shared })
	rec.Self, rec.AccessLog = false, nil
	b, _ = json.Marshal(fhir.Everything(rec, "https://example.org/fhir/R4"))
	if strings.Contains(string(b), "Only for me.") || strings.Contains(string(b), id("entry2")) {
		t.Error("a record without the private entry still names it")
	}
}

// TestDeterministic: the same record maps to the same bytes.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	a, _ := json.Marshal(fhir.Everything(sampleRecord(), "https://example.org/fhir/R4"))
	b, _ := json.Marshal(fhir.Everything(sampleRecord(), "https://example.org/fhir/R4"))
	if string(a) != string(b) {
		t.Error("two mappings of one record differ")
	}
}
