package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"interlude/internal/care"
	"interlude/internal/fhir/fhirtest"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestFHIRTrackers (#19): a client's trackers are in their FHIR record:
// the template version as a Questionnaire, each entry as a
// QuestionnaireResponse with its main measure's Observation, valid R4.
// The care team's $everything has the shared entry and nothing of the
// private one; the client's own has both.
func TestFHIRTrackers(t *testing.T) {
	t.Parallel()
	v := fhirtest.New(t)
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		j := newJournalEnv(t, db)
		provider, client := j.c.Actor(j.c.Provider), j.c.Actor(j.c.Client)
		tmpl := care.TrackerLibraryTemplate(care.TrackerKeyMedication)
		if err := db.Store.CreateTrackerTemplate(ctx, provider, tmpl); err != nil {
			t.Fatal(err)
		}
		tr := &care.Tracker{TemplateID: tmpl.ID}
		if err := db.Store.AssignTracker(ctx, provider, j.c.Client.ID, tr); err != nil {
			t.Fatal(err)
		}
		entry := func(shared bool, note string) *care.TrackerEntry {
			e, err := db.Store.CreateTrackerEntry(ctx, client, j.c.Client.ID, tr.ID, store.TrackerEntryInput{
				OccurredAt: db.Clock.Now(), Shared: &shared,
				Typed: map[string]care.TrackerValue{
					"took_as_planned": {Kind: care.FieldYesNo, Bool: shared},
					"note":            {Kind: care.FieldText, Text: note},
				}})
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		shared, private := entry(true, "took it with breakfast"), entry(false, "skipped it, told nobody")

		everything := func(token string) string {
			return fhirGet(t, j.webEnv, v, token, "/fhir/R4/Patient/"+j.c.Client.ID+"/$everything", http.StatusOK).Body.String()
		}
		team := everything(j.provider)
		if !strings.Contains(team, `"resourceType":"Questionnaire"`) || !strings.Contains(team, "tracker-"+tmpl.ID) {
			t.Errorf("the care team's record lacks the tracker's Questionnaire")
		}
		if !strings.Contains(team, shared.ID) || !strings.Contains(team, "took it with breakfast") {
			t.Errorf("the care team's record lacks the shared tracker entry")
		}
		if strings.Contains(team, private.ID) || strings.Contains(team, "told nobody") {
			t.Errorf("the care team's record holds the private tracker entry")
		}
		own := everything(j.client)
		if !strings.Contains(own, shared.ID) || !strings.Contains(own, private.ID) || !strings.Contains(own, "told nobody") {
			t.Errorf("the client's own record lacks one of their tracker entries")
		}
		if n := strings.Count(own, `"resourceType":"QuestionnaireResponse"`) - strings.Count(team, `"resourceType":"QuestionnaireResponse"`); n != 1 {
			t.Errorf("the client's record has %d more responses than the care team's, want 1 (the private entry)", n)
		}
	})
}
