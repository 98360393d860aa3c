package fhir_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/fhir"
	"interlude/internal/fhir/fhirtest"
)

// libraryTemplate is a seeded template as a clinic's library holds it:
// validated, with an id and the time its version was written.
func libraryTemplate(t *testing.T, tmpl care.TrackerTemplate, at time.Time) *care.TrackerTemplate {
	t.Helper()
	tmpl.ID, tmpl.ClinicID, tmpl.CreatedAt = id("tpl"+strings.ReplaceAll(tmpl.Key, "_", "")), id("clinic"), at
	if err := tmpl.Validate(); err != nil {
		t.Fatalf("%s: %v", tmpl.Key, err)
	}
	return &tmpl
}

// sampleTrackerEntry answers every field of tmpl, validated as the store
// would before saving it.
func sampleTrackerEntry(t *testing.T, tmpl *care.TrackerTemplate, at time.Time, shared bool) *care.TrackerEntry {
	t.Helper()
	e := &care.TrackerEntry{ID: id("entry" + strings.ReplaceAll(tmpl.Key, "_", "")), ClinicID: id("clinic"), ClientID: id("client"), TrackerID: id("tracker"),
		OccurredAt: at.Add(-2 * time.Hour), CreatedAt: at, UpdatedAt: at, Shared: shared, Discuss: true,
		Values: map[string]care.TrackerValue{}}
	for _, f := range tmpl.Fields {
		v := care.TrackerValue{Kind: f.Kind}
		switch f.Kind {
		case care.FieldInfo:
			continue
		case care.FieldRating:
			v.Number = (f.Min + f.Max) / 2
		case care.FieldCount:
			v.Number = 3
		case care.FieldDuration:
			v.Number = 40
		case care.FieldTime:
			v.Number = 6*60 + 45
		case care.FieldYesNo:
			v.Bool = false
		case care.FieldChoice:
			v.Choices = []string{f.Options[1]}
		case care.FieldMultiChoice:
			v.Choices = []string{f.Options[2], f.Options[0]}
		case care.FieldText, care.FieldLongText:
			v.Text = "Something happened,\nin my words."
			if f.Kind == care.FieldText {
				v.Text = "In my words."
			}
		}
		e.Values[f.ID] = v
	}
	if err := e.Validate(tmpl, at); err != nil {
		t.Fatalf("%s entry: %v", tmpl.Key, err)
	}
	return e
}

// TestTrackerQuestionnairesValidate (issue #19): the Questionnaire of
// every seeded template, and a full sample entry's QuestionnaireResponse
// and main-measure Observation, validate against the FHIR R4 schema; the
// response points at its Questionnaire by url|version, answers only items
// the Questionnaire has, each with the value type the item's type asks
// for; ids are FHIR ids.
func TestTrackerQuestionnairesValidate(t *testing.T) {
	t.Parallel()
	v := fhirtest.New(t)
	at := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	for _, lib := range care.TrackerLibrary() {
		t.Run(lib.Key, func(t *testing.T) {
			tmpl := libraryTemplate(t, lib, at.Add(-30*24*time.Hour))
			q := fhir.TrackerQuestionnaire(tmpl)
			if err := v.Validate(q); err != nil {
				t.Errorf("Questionnaire: %v", err)
			}
			if q["url"] != fhir.TrackerQuestionnaireURL(tmpl.ID) || q["version"] != "1" || !idSyntax.MatchString(fhir.IDOf(q)) {
				t.Errorf("url %v, version %v, id %v", q["url"], q["version"], fhir.IDOf(q))
			}
			types := itemTypes(q["item"])
			e := sampleTrackerEntry(t, tmpl, at, true)
			res := fhir.TrackerEntryResources(tmpl, e)
			if len(res) != 2 {
				t.Fatalf("%d resources, want the response and the main measure", len(res))
			}
			for _, r := range res {
				if err := v.Validate(r); err != nil {
					t.Errorf("%s: %v", fhir.TypeOf(r), err)
				}
				if !idSyntax.MatchString(fhir.IDOf(r)) {
					t.Errorf("%s id %q is not a FHIR id", fhir.TypeOf(r), fhir.IDOf(r))
				}
			}
			qr := res[0]
			if got, want := qr["questionnaire"], fhir.TrackerQuestionnaireURL(tmpl.ID)+"|1"; got != want {
				t.Errorf("questionnaire %v, want %s", got, want)
			}
			answered := 0
			for _, it := range qr["item"].([]any) {
				item := it.(map[string]any)
				link := item["linkId"].(string)
				typ, ok := types[link]
				if !ok {
					t.Errorf("answer to %s, which the Questionnaire lacks", link)
					continue
				}
				for _, a := range item["answer"].([]any) {
					answered++
					for key := range a.(map[string]any) {
						if want := answerKey[typ]; key != want {
							t.Errorf("%s (%s) answered with %s, want %s", link, typ, key, want)
						}
					}
				}
			}
			if answered == 0 {
				t.Error("no answers")
			}
			b, _ := json.Marshal(res[1])
			if !strings.Contains(string(b), `"code":"tracker_main"`) || !strings.Contains(string(b), `"QuestionnaireResponse/`+e.ID+`"`) {
				t.Errorf("main measure: %s", b)
			}
		})
	}
}

// answerKey is the answer value an item type takes.
var answerKey = map[string]string{
	"integer": "valueInteger", "boolean": "valueBoolean", "time": "valueTime",
	"choice": "valueString", "string": "valueString", "text": "valueString",
}

// itemTypes maps each linkId of a Questionnaire's items, nested ones too,
// to its type.
func itemTypes(items any) map[string]string {
	out := map[string]string{}
	list, _ := items.([]any)
	for _, it := range list {
		item := it.(map[string]any)
		out[item["linkId"].(string)] = item["type"].(string)
		for k, v := range itemTypes(item["item"]) {
			out[k] = v
		}
	}
	return out
}

// TestTrackerQuestionnaireItems: each field kind becomes the item the
// mapping promises: a rating an integer bounded by minValue and maxValue
// with its anchors as lower and upper display items, a multichoice a
// repeating choice, an explainer a display item, a duration an integer
// in minutes; the main measure's item is coded.
func TestTrackerQuestionnaireItems(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	tmpl := libraryTemplate(t, *care.TrackerLibraryTemplate(care.TrackerKeyDiaryCard), at)
	b, _ := json.Marshal(fhir.TrackerQuestionnaire(tmpl))
	s := string(b)
	for _, want := range []string{
		`"linkId":"intro","text":"About today\n\nThink of the whole day.`,
		`{"url":"http://hl7.org/fhir/StructureDefinition/minValue","valueInteger":0},{"url":"http://hl7.org/fhir/StructureDefinition/maxValue","valueInteger":5}`,
		`"code":"lower","system":"http://hl7.org/fhir/questionnaire-item-control"}]}}],"linkId":"urge_self_harm-lower","text":"No urge","type":"display"`,
		`"code":"upper","system":"http://hl7.org/fhir/questionnaire-item-control"}]}}],"linkId":"urge_self_harm-upper","text":"Strongest urge ever","type":"display"`,
		`"code":[{"code":"tracker_main"`,
		`"linkId":"skills_used","repeats":true,"text":"Skills I used today","type":"choice"`,
		`"linkId":"acted_what","maxLength":300,"text":"If yes: what did I do?","type":"string"`,
		`"name":"DbtDiaryCard"`, `"status":"active"`, `"version":"1"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the diary card's Questionnaire lacks %s", want)
		}
	}
	if strings.Count(s, `"code":"tracker_main"`) != 1 {
		t.Error("the main measure is not coded exactly once")
	}
	sleep := libraryTemplate(t, *care.TrackerLibraryTemplate(care.TrackerKeySleepDiary), at)
	b, _ = json.Marshal(fhir.TrackerQuestionnaire(sleep))
	if !strings.Contains(string(b), `"valueCoding":{"code":"min","display":"minutes","system":"http://unitsofmeasure.org"}`) {
		t.Errorf("the sleep diary's durations lack their unit: %s", b)
	}
	// A new version is a new resource with the same url.
	sleep.Version = 2
	if q := fhir.TrackerQuestionnaire(sleep); q["url"] != fhir.TrackerQuestionnaireURL(sleep.ID) || q["version"] != "2" ||
		fhir.IDOf(q) == fhir.TrackerQuestionnaireID(sleep.ID, 1) {
		t.Errorf("version 2: url %v, version %v, id %v", q["url"], q["version"], fhir.IDOf(q))
	}
}

// TestTrackerResponseAnswers: the answers carry the entry's values (a
// time as hh:mm:ss, each choice of a multichoice in the template's order,
// a duration as a quantity in minutes on the main measure), when it
// happened and "bring this up" as extensions; a private entry is
// labelled restricted on both resources; an entry without a main value
// has no Observation.
func TestTrackerResponseAnswers(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	tmpl := libraryTemplate(t, *care.TrackerLibraryTemplate(care.TrackerKeyPanicLog), at)
	e := sampleTrackerEntry(t, tmpl, at, false)
	res := fhir.TrackerEntryResources(tmpl, e)
	b, _ := json.Marshal(res)
	s := string(b)
	for _, want := range []string{
		`{"answer":[{"valueTime":"06:45:00"}],"linkId":"started_at"`,
		`{"answer":[{"valueString":"Racing or pounding heart"},{"valueString":"Chest tight or painful"}],"linkId":"sensations"`,
		`{"url":"` + fhir.ExtOccurredAt + `","valueDateTime":"2026-12-06T07:00:00Z"}`,
		`{"url":"` + fhir.ExtDiscuss + `","valueBoolean":true}`,
		`"valueInteger":5`,
		`"text":"Panic or anxiety episode log: How strong was it at its worst?"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the panic entry's resources lack %s:\n%s", want, s)
		}
	}
	if strings.Count(s, `"code":"R"`) != 2 {
		t.Errorf("want both resources of a private entry restricted: %s", s)
	}
	delete(e.Values, "peak")
	if o := fhir.TrackerObservation(tmpl, e); o != nil {
		t.Errorf("an entry without its main value has an Observation: %v", o)
	}
	// A duration as the main measure is a quantity in minutes; a yes/no a boolean.
	tmpl.Fields[1].Main, tmpl.Fields[2].Main = false, true
	e = sampleTrackerEntry(t, tmpl, at, true)
	b, _ = json.Marshal(fhir.TrackerObservation(tmpl, e))
	if !strings.Contains(string(b), `"valueQuantity":{"code":"min","system":"http://unitsofmeasure.org","unit":"min","value":40}`) ||
		!strings.Contains(string(b), `"code":"N"`) {
		t.Errorf("duration main measure: %s", b)
	}
	med := libraryTemplate(t, *care.TrackerLibraryTemplate(care.TrackerKeyMedication), at)
	b, _ = json.Marshal(fhir.TrackerObservation(med, sampleTrackerEntry(t, med, at, true)))
	if !strings.Contains(string(b), `"valueBoolean":false`) {
		t.Errorf("yes/no main measure: %s", b)
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestTrackerGolden: the seeded library's Questionnaires and a sample
// entry of each (its QuestionnaireResponse and main measure), as a
// collection Bundle, are testdata/trackers.golden.json, byte for byte, and
// schema-valid: a clinician or an integrator can read exactly what is
// exported. After a meant change: go test -run TestTrackerGolden -update.
func TestTrackerGolden(t *testing.T) {
	t.Parallel()
	v := fhirtest.New(t)
	at := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	var entries []any
	add := func(r fhir.Resource) {
		entries = append(entries, map[string]any{"fullUrl": "https://example.org/fhir/R4/" + fhir.Ref(r), "resource": r})
	}
	for _, lib := range care.TrackerLibrary() {
		tmpl := libraryTemplate(t, lib, at.Add(-30*24*time.Hour))
		add(fhir.TrackerQuestionnaire(tmpl))
		for _, r := range fhir.TrackerEntryResources(tmpl, sampleTrackerEntry(t, tmpl, at, lib.Key != care.TrackerKeyThoughtRecord)) {
			add(r)
		}
	}
	bundle := map[string]any{"resourceType": "Bundle", "type": "collection", "timestamp": "2026-12-06T09:00:00Z", "entry": entries}
	if err := v.Validate(bundle); err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(bundle, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "trackers.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to write it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs from line %d:\n got %s\nwant %s\n(if the change is meant, run go test -run %s -update)", path, i+1, g, w, t.Name())
			}
		}
	}
}
