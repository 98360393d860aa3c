package fhir_test

import (
	"testing"
	"time"

	"interlude/internal/fhir"
)

// TestResourcesSince (Bulk Data _since): only what changed after since,
// by each type's change time, with the record's context resources; a
// record with no change gives nothing; no since gives everything.
func TestResourcesSince(t *testing.T) {
	t.Parallel()
	rec := sampleRecord()
	t0 := rec.Client.CreatedAt
	refs := func(rs []fhir.Resource) map[string]bool {
		out := map[string]bool{}
		for _, r := range rs {
			out[fhir.Ref(r)] = true
		}
		return out
	}
	got := refs(fhir.ResourcesSince(rec, t0.Add(30*time.Hour)))
	for _, want := range []string{
		// Changed after since.
		"Task/" + id("task2"), "Task/" + id("task2") + "-20261105", "Task/" + id("sched2"), "Task/" + id("checkin2"),
		"CarePlan/" + id("client") + "-plan", "Observation/" + id("entry2"), "Observation/" + id("entry2") + "-mood",
		// Context.
		"Patient/" + id("client"), "Organization/" + id("clinic"), "Practitioner/" + id("prov"), "Practitioner/" + id("admin"),
		"CareTeam/" + id("client") + "-careteam", "Questionnaire/phq9", "Questionnaire/gad7", "Questionnaire/asq",
	} {
		if !got[want] {
			t.Errorf("%s, changed after since or context, is not in the resources", want)
		}
	}
	for _, notWant := range []string{
		"Goal/" + id("goal"), "Task/" + id("task1"), "Task/" + id("task1") + "-20261103", "Task/" + id("sched1"),
		"Task/" + id("checkin1"), "Encounter/" + id("appt1"), "QuestionnaireResponse/" + id("resp1"), "Observation/" + id("resp1") + "-total",
		"Observation/" + id("entry1"), "Communication/" + id("msg1"), "Flag/" + id("flag2"), "AuditEvent/" + id("client") + "-audit-45",
		"QuestionnaireResponse/" + id("screen1"), "Observation/" + id("screen1") + "-result",
	} {
		if got[notWant] {
			t.Errorf("%s, unchanged since, is in the resources", notWant)
		}
	}
	if len(got) != 15 {
		t.Errorf("%d resources, want 15: %v", len(got), got)
	}
	if rs := fhir.ResourcesSince(rec, t0.Add(40*24*time.Hour)); len(rs) != 0 {
		t.Errorf("a record with no change since gives %d resources, want none", len(rs))
	}
	if all, everything := fhir.ResourcesSince(rec, time.Time{}), fhir.Resources(rec); len(all) != len(everything) || len(all) < 40 {
		t.Errorf("no since: %d resources, Resources has %d", len(all), len(everything))
	}
}
