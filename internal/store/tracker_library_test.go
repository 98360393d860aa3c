package store_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestTrackerSeedLibrary (issue #19): every template of the seeded
// library is stored and read back as it was (fields, anchors, options,
// schedule, key); seeding again is a conflict, so a seed may run twice;
// and an entry answering every field, sent as the JSON API would send it,
// is stored and read back with the values it was given.
func TestTrackerSeedLibrary(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Tracker Seed")
		admin := c.Actor(c.Admin)
		for _, tmpl := range care.TrackerLibrary() {
			want := tmpl
			want.Fields = append([]care.TrackerField(nil), tmpl.Fields...)
			if err := want.Validate(); err != nil {
				t.Fatalf("%s: %v", tmpl.Key, err)
			}
			if err := db.Store.CreateTrackerTemplate(ctx, admin, &tmpl); err != nil {
				t.Fatalf("seeding %s: %v", tmpl.Key, err)
			}
			got, err := db.Store.TrackerTemplate(ctx, admin, tmpl.ID, 1)
			if err != nil {
				t.Fatalf("reading %s back: %v", tmpl.Key, err)
			}
			if got.Key != want.Key || got.Name != want.Name || got.Explainer != want.Explainer ||
				!reflect.DeepEqual(got.Schedule, want.Schedule) || !reflect.DeepEqual(got.Fields, want.Fields) {
				t.Errorf("%s read back differs:\n got %+v\nwant %+v", tmpl.Key, got, want)
			}
			again := care.TrackerLibraryTemplate(tmpl.Key)
			if err := db.Store.CreateTrackerTemplate(ctx, admin, again); care.ErrorCode(err) != care.Conflict {
				t.Errorf("seeding %s twice: %v, want conflict", tmpl.Key, err)
			}

			tr := &care.Tracker{TemplateID: tmpl.ID}
			if err := db.Store.AssignTracker(ctx, c.Actor(c.Provider), c.Client.ID, tr); err != nil {
				t.Fatalf("assigning %s: %v", tmpl.Key, err)
			}
			raw, values := sampleJSON(got)
			shared := true
			e, err := db.Store.CreateTrackerEntry(ctx, c.Actor(c.Client), c.Client.ID, tr.ID,
				store.TrackerEntryInput{OccurredAt: db.Clock.Now().Add(-2 * time.Hour), Values: raw, Shared: &shared})
			if err != nil {
				t.Fatalf("an entry of %s: %v", tmpl.Key, err)
			}
			read, err := db.Store.TrackerEntry(ctx, c.Actor(c.Provider), c.Client.ID, "", e.ID)
			if err != nil {
				t.Fatalf("reading the %s entry: %v", tmpl.Key, err)
			}
			b, _ := json.Marshal(read.Entry.Values)
			if string(b) != values {
				t.Errorf("%s entry values\n got %s\nwant %s", tmpl.Key, b, values)
			}
		}
	})
}

// sampleJSON answers every field of tmpl as the JSON API takes it, and
// returns the values as they read back (keys sorted, as encoding/json
// writes a map).
func sampleJSON(tmpl *care.TrackerTemplate) (map[string]json.RawMessage, string) {
	raw := map[string]json.RawMessage{}
	for _, f := range tmpl.Fields {
		var v string
		switch f.Kind {
		case care.FieldInfo:
			continue
		case care.FieldRating:
			v = string(mustJSON(f.Max))
		case care.FieldCount, care.FieldDuration:
			v = "7"
		case care.FieldTime:
			v = `"22:30"`
		case care.FieldYesNo:
			v = "true"
		case care.FieldChoice:
			v = string(mustJSON(f.Options[0]))
		case care.FieldMultiChoice:
			v = string(mustJSON([]string{f.Options[1], f.Options[0]}))
		case care.FieldText, care.FieldLongText:
			v = `"In my own words."`
		}
		raw[f.ID] = json.RawMessage(v)
	}
	// Read back: multichoice in the template's order.
	back := map[string]json.RawMessage{}
	for id, v := range raw {
		back[id] = v
		if f := tmpl.Field(id); f.Kind == care.FieldMultiChoice {
			back[id] = mustJSON([]string{f.Options[0], f.Options[1]})
		}
	}
	return raw, string(mustJSON(back))
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
