package care_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
)

// libraryFieldIDs pins the field ids of the seeded library. Entries are
// keyed by them, so renaming one orphans every value written under it:
// change this list only together with a new template version that means
// a new question.
var libraryFieldIDs = map[string][]string{
	care.TrackerKeyDiaryCard: {"intro", "urge_self_harm", "urge_use", "urge_other", "acted_on_urge", "acted_what",
		"emotion_sadness", "emotion_anger", "emotion_fear", "emotion_shame", "emotion_joy", "skills_used", "note"},
	care.TrackerKeyPanicLog: {"started_at", "peak", "peak_minutes", "expected", "situation", "sensations", "feared", "coping", "outcome"},
	care.TrackerKeySleepDiary: {"into_bed", "tried_to_sleep", "minutes_to_fall_asleep", "awakenings", "minutes_awake",
		"final_wake", "out_of_bed", "quality", "note"},
	care.TrackerKeyThoughtRecord: {"situation", "feeling", "feeling_before", "thought", "evidence_for", "evidence_against",
		"balanced_thought", "feeling_after"},
	care.TrackerKeyActivityLog: {"activity", "at", "pleasure", "mastery", "mood_after", "note"},
	care.TrackerKeyCravingLog:  {"at", "situation", "strength", "minutes", "coping", "used", "use_detail"},
	care.TrackerKeyMedication:  {"took_as_planned", "doses_missed", "missed_reason", "side_effects", "note"},
}

// libraryMain is each seeded template's main measure.
var libraryMain = map[string]string{
	care.TrackerKeyDiaryCard:     "urge_self_harm",
	care.TrackerKeyPanicLog:      "peak",
	care.TrackerKeySleepDiary:    "quality",
	care.TrackerKeyThoughtRecord: "feeling_before",
	care.TrackerKeyActivityLog:   "pleasure",
	care.TrackerKeyCravingLog:    "strength",
	care.TrackerKeyMedication:    "took_as_planned",
}

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// TestTrackerLibraryValidates (issue #19): every seeded template passes
// the template validation unchanged, has a stable snake_case key and
// field ids (pinned above), a plain-words explainer, the main measure
// named in docs/trackers.md, and anchors at both ends of every rating.
func TestTrackerLibraryValidates(t *testing.T) {
	t.Parallel()
	lib := care.TrackerLibrary()
	if len(lib) != len(libraryFieldIDs) {
		t.Fatalf("%d templates, want %d", len(lib), len(libraryFieldIDs))
	}
	keys := map[string]bool{}
	for _, tmpl := range lib {
		t.Run(tmpl.Key, func(t *testing.T) {
			if !snakeCase.MatchString(tmpl.Key) || keys[tmpl.Key] {
				t.Fatalf("key %q: not snake_case, or used twice", tmpl.Key)
			}
			keys[tmpl.Key] = true
			if tmpl.Version != 1 || tmpl.ID != "" || tmpl.ClinicID != "" {
				t.Errorf("version %d, id %q, clinic %q: want version 1 and no id or clinic before seeding", tmpl.Version, tmpl.ID, tmpl.ClinicID)
			}
			var ids []string
			for _, f := range tmpl.Fields {
				ids = append(ids, f.ID)
				if !snakeCase.MatchString(f.ID) || !care.ValidFieldID(f.ID) {
					t.Errorf("field id %q is not snake_case", f.ID)
				}
				if f.Kind == care.FieldRating && (f.MinLabel == "" || f.MaxLabel == "") {
					t.Errorf("rating %s lacks an anchor label", f.ID)
				}
			}
			if want := libraryFieldIDs[tmpl.Key]; !slices.Equal(ids, want) {
				t.Errorf("field ids\n got %v\nwant %v", ids, want)
			}
			before := tmpl.Fields[0] // Validate may fill in defaults; it must not refuse
			if err := tmpl.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if tmpl.Fields[0].ID != before.ID {
				t.Error("Validate reordered the fields")
			}
			if m := tmpl.MainField(); m == nil || m.ID != libraryMain[tmpl.Key] {
				t.Errorf("main measure %v, want %s", m, libraryMain[tmpl.Key])
			}
			if n := len(strings.Fields(tmpl.Explainer)); n < 20 {
				t.Errorf("explainer of %d words: say why, in plain words", n)
			}
		})
	}
	// New values on each call: validating or editing one copy leaves the next alone.
	a, b := care.TrackerLibrary(), care.TrackerLibrary()
	a[0].Fields[1].Label = "changed"
	if b[0].Fields[1].Label == "changed" {
		t.Error("TrackerLibrary shares its values between calls")
	}
	if care.TrackerLibraryTemplate(care.TrackerKeySleepDiary) == nil || care.TrackerLibraryTemplate("nope") != nil {
		t.Error("TrackerLibraryTemplate does not find by key")
	}
}

// TestTrackerLibrarySampleEntries: an entry answering every field of each
// seeded template, at the top of each scale, passes entry validation, and
// its main value is read back.
func TestTrackerLibrarySampleEntries(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	for _, tmpl := range care.TrackerLibrary() {
		t.Run(tmpl.Key, func(t *testing.T) {
			tmpl.ID = care.NewID()
			if err := tmpl.Validate(); err != nil {
				t.Fatal(err)
			}
			e := &care.TrackerEntry{OccurredAt: now.Add(-time.Hour), Values: map[string]care.TrackerValue{}}
			for _, f := range tmpl.Fields {
				v := care.TrackerValue{Kind: f.Kind}
				switch f.Kind {
				case care.FieldInfo:
					continue
				case care.FieldRating:
					v.Number = f.Max
				case care.FieldCount:
					v.Number = 2
				case care.FieldDuration:
					v.Number = 25
				case care.FieldTime:
					v.Number = 23*60 + 15
				case care.FieldYesNo:
					v.Bool = true
				case care.FieldChoice:
					v.Choices = []string{f.Options[len(f.Options)-1]}
				case care.FieldMultiChoice:
					v.Choices = f.Options[:2]
				case care.FieldText, care.FieldLongText:
					v.Text = "A few words."
				}
				e.Values[f.ID] = v
			}
			if err := e.Validate(&tmpl, now); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if _, ok := e.MainValue(&tmpl); !ok {
				t.Error("no main value")
			}
		})
	}
}

// TestTrackerLibraryDocumented: docs/trackers.md names every seeded
// template by its key, where it cites the form it follows.
func TestTrackerLibraryDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/trackers.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, tmpl := range care.TrackerLibrary() {
		if !strings.Contains(string(doc), "(`"+tmpl.Key+"`)") {
			t.Errorf("docs/trackers.md has no section for %s", tmpl.Key)
		}
	}
}
