package care_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
)

// testTemplate has one field of every kind.
func testTemplate() *care.TrackerTemplate {
	return &care.TrackerTemplate{
		ID: care.NewID(), Version: 3,
		Name:      "Diary card",
		Explainer: "So we can see together how urges and skills change over the week.",
		Schedule:  care.TrackerSchedule{Kind: care.ScheduleDaily, Minute: 20 * 60},
		Fields: []care.TrackerField{
			{ID: "intro", Kind: care.FieldInfo, Help: "Fill this in at the end of the day."},
			{ID: "urge_selfharm", Kind: care.FieldRating, Label: "Urge to self-harm", Min: 0, Max: 5, MinLabel: "none", MaxLabel: "extreme", Main: true},
			{ID: "used_skills", Kind: care.FieldYesNo, Label: "Used skills"},
			{ID: "drinks", Kind: care.FieldCount, Label: "Drinks", Max: 50},
			{ID: "exercise", Kind: care.FieldDuration, Label: "Exercise"},
			{ID: "bedtime", Kind: care.FieldTime, Label: "Went to bed"},
			{ID: "main_emotion", Kind: care.FieldChoice, Label: "Strongest emotion", Options: []string{"sadness", "anger", "fear", "joy"}},
			{ID: "skills", Kind: care.FieldMultiChoice, Label: "Skills used", Options: []string{"wise mind", "opposite action", "TIPP"}},
			{ID: "situation", Kind: care.FieldText, Label: "Situation", MaxLen: 20},
			{ID: "notes", Kind: care.FieldLongText, Label: "Anything else"},
		},
	}
}

func validTemplate(t *testing.T) *care.TrackerTemplate {
	t.Helper()
	tmpl := testTemplate()
	if err := tmpl.Validate(); err != nil {
		t.Fatalf("Validate of the test template: %v", err)
	}
	return tmpl
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var e *care.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want a *care.Error on %q", err, field)
	}
	if e.Code != care.Invalid || e.Field != field {
		t.Fatalf("got %s on %q (%s), want invalid on %q", e.Code, e.Field, e.Message, field)
	}
}

func TestTrackerTemplateValidate(t *testing.T) {
	t.Parallel()
	tmpl := validTemplate(t)
	if f := tmpl.Field("notes"); f.MaxLen != care.DefaultLongTextLen {
		t.Errorf("longtext MaxLen = %d, want the default %d", f.MaxLen, care.DefaultLongTextLen)
	}
	if got := tmpl.MainField(); got == nil || got.ID != "urge_selfharm" {
		t.Errorf("MainField = %v, want urge_selfharm", got)
	}
	tests := []struct {
		name  string
		edit  func(*care.TrackerTemplate)
		field string
	}{
		{"no name", func(t *care.TrackerTemplate) { t.Name = "  " }, "name"},
		{"long name", func(t *care.TrackerTemplate) { t.Name = strings.Repeat("x", care.MaxTrackerName+1) }, "name"},
		{"two-line name", func(t *care.TrackerTemplate) { t.Name = "a\nb" }, "name"},
		{"no explainer", func(t *care.TrackerTemplate) { t.Explainer = "" }, "explainer"},
		{"bad key", func(t *care.TrackerTemplate) { t.Key = "DBT card" }, "key"},
		{"no fields", func(t *care.TrackerTemplate) { t.Fields = nil }, "fields"},
		{"only info", func(t *care.TrackerTemplate) { t.Fields = t.Fields[:1] }, "fields"},
		{"too many fields", func(t *care.TrackerTemplate) {
			for i := 0; len(t.Fields) <= care.MaxTrackerFields; i++ {
				t.Fields = append(t.Fields, care.TrackerField{ID: "x" + strings.Repeat("a", i%30) + string(rune('a'+i/30)), Kind: care.FieldYesNo, Label: "x"})
			}
		}, "fields"},
		{"bad id", func(t *care.TrackerTemplate) { t.Fields[2].ID = "Used Skills" }, "fields.2.id"},
		{"long id", func(t *care.TrackerTemplate) { t.Fields[2].ID = strings.Repeat("a", care.MaxTrackerFieldID+1) }, "fields.2.id"},
		{"duplicate id", func(t *care.TrackerTemplate) { t.Fields[3].ID = "used_skills" }, "fields.3.id"},
		{"bad kind", func(t *care.TrackerTemplate) { t.Fields[2].Kind = "slider" }, "fields.2.kind"},
		{"no label", func(t *care.TrackerTemplate) { t.Fields[2].Label = "" }, "fields.2.label"},
		{"info without text", func(t *care.TrackerTemplate) { t.Fields[0].Help = "" }, "fields.0.help"},
		{"info required", func(t *care.TrackerTemplate) { t.Fields[0].Required = true }, "fields.0.required"},
		{"two mains", func(t *care.TrackerTemplate) { t.Fields[3].Main = true }, "fields"},
		{"text main", func(t *care.TrackerTemplate) { t.Fields[1].Main = false; t.Fields[8].Main = true }, "fields.8.main"},
		{"rating upside down", func(t *care.TrackerTemplate) { t.Fields[1].Min, t.Fields[1].Max = 5, 1 }, "fields.1.max"},
		{"rating too wide", func(t *care.TrackerTemplate) { t.Fields[1].Min, t.Fields[1].Max = -100, 100 }, "fields.1.max"},
		{"rating out of range", func(t *care.TrackerTemplate) { t.Fields[1].Max = 1000 }, "fields.1.max"},
		{"rating long anchor", func(t *care.TrackerTemplate) { t.Fields[1].MaxLabel = strings.Repeat("x", care.MaxTrackerAnchor+1) }, "fields.1.max_label"},
		{"anchor on a count", func(t *care.TrackerTemplate) { t.Fields[3].MinLabel = "none" }, "fields.3.min_label"},
		{"count from 1", func(t *care.TrackerTemplate) { t.Fields[3].Min = 1 }, "fields.3.min"},
		{"count bound too high", func(t *care.TrackerTemplate) { t.Fields[3].Max = care.MaxTrackerCount + 1 }, "fields.3.max"},
		{"scale on a duration", func(t *care.TrackerTemplate) { t.Fields[4].Max = 10 }, "fields.4.max"},
		{"one option", func(t *care.TrackerTemplate) { t.Fields[6].Options = []string{"only"} }, "fields.6.options"},
		{"21 options", func(t *care.TrackerTemplate) {
			t.Fields[7].Options = nil
			for i := range care.MaxTrackerOptions + 1 {
				t.Fields[7].Options = append(t.Fields[7].Options, "o"+string(rune('a'+i)))
			}
		}, "fields.7.options"},
		{"repeated option", func(t *care.TrackerTemplate) { t.Fields[6].Options = []string{"a", "b", " a"} }, "fields.6.options"},
		{"empty option", func(t *care.TrackerTemplate) { t.Fields[6].Options = []string{"a", ""} }, "fields.6.options"},
		{"long option", func(t *care.TrackerTemplate) { t.Fields[6].Options[1] = strings.Repeat("x", care.MaxTrackerOption+1) }, "fields.6.options"},
		{"options on text", func(t *care.TrackerTemplate) { t.Fields[8].Options = []string{"a", "b"} }, "fields.8.options"},
		{"text too long", func(t *care.TrackerTemplate) { t.Fields[8].MaxLen = care.MaxTextLen + 1 }, "fields.8.max_len"},
		{"max_len on rating", func(t *care.TrackerTemplate) { t.Fields[1].MaxLen = 5 }, "fields.1.max_len"},
		{"bad schedule", func(t *care.TrackerTemplate) { t.Schedule.Kind = "hourly" }, "schedule.kind"},
		{"schedule time", func(t *care.TrackerTemplate) { t.Schedule.Minute = 24 * 60 }, "schedule.time"},
		{"weekdays without days", func(t *care.TrackerTemplate) { t.Schedule.Kind = care.ScheduleWeekdays }, "schedule.weekdays"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := testTemplate()
			tt.edit(tmpl)
			wantField(t, tmpl.Validate(), tt.field)
		})
	}
}

func TestTrackerRatingDefaultScale(t *testing.T) {
	t.Parallel()
	tmpl := &care.TrackerTemplate{Name: "Mood", Explainer: "Why", Schedule: care.TrackerSchedule{Kind: care.ScheduleEvent, Minute: 99},
		Fields: []care.TrackerField{{ID: "mood", Kind: care.FieldRating, Label: "Mood"}}}
	if err := tmpl.Validate(); err != nil {
		t.Fatal(err)
	}
	if f := tmpl.Fields[0]; f.Min != 0 || f.Max != care.DefaultRatingMax {
		t.Errorf("scale = %d..%d, want 0..%d", f.Min, f.Max, care.DefaultRatingMax)
	}
	if tmpl.Schedule.Minute != 0 || tmpl.Schedule.Clock() != "" {
		t.Errorf("an event schedule kept a time: %+v", tmpl.Schedule)
	}
}

func TestTrackerScheduleDue(t *testing.T) {
	t.Parallel()
	s := care.TrackerSchedule{Kind: care.ScheduleWeekdays, Minute: 600, Weekdays: []time.Weekday{time.Friday, time.Monday, time.Monday}}
	if err := s.Normalize("schedule"); err != nil {
		t.Fatal(err)
	}
	if len(s.Weekdays) != 2 || s.Weekdays[0] != time.Monday {
		t.Errorf("weekdays = %v, want [Monday Friday]", s.Weekdays)
	}
	// 2026-11-30 is a Monday; two weeks hold four due days.
	if got := s.DueDays("2026-11-30", "2026-12-13"); got != 4 {
		t.Errorf("DueDays = %d, want 4", got)
	}
	daily := care.TrackerSchedule{Kind: care.ScheduleDaily}
	if got := daily.DueDays("2026-11-30", "2026-12-06"); got != 7 {
		t.Errorf("daily DueDays = %d, want 7", got)
	}
	event := care.TrackerSchedule{Kind: care.ScheduleEvent}
	if got := event.DueDays("2026-11-30", "2026-12-06"); got != 0 {
		t.Errorf("event DueDays = %d, want 0", got)
	}
}

func decodeEntry(t *testing.T, tmpl *care.TrackerTemplate, values string, now time.Time) (*care.TrackerEntry, error) {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(values), &raw); err != nil {
		t.Fatalf("test values %s: %v", values, err)
	}
	vals, err := care.DecodeTrackerValues(tmpl, raw)
	if err != nil {
		return nil, err
	}
	e := &care.TrackerEntry{OccurredAt: now.Add(-time.Hour), Values: vals}
	return e, e.Validate(tmpl, now)
}

func TestTrackerEntryFieldTypes(t *testing.T) {
	t.Parallel()
	tmpl := validTemplate(t)
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		values string
		field  string // "" for valid
	}{
		{"rating low", `{"urge_selfharm": 0}`, ""},
		{"rating high", `{"urge_selfharm": 5}`, ""},
		{"rating above", `{"urge_selfharm": 6}`, "values.urge_selfharm"},
		{"rating below", `{"urge_selfharm": -1}`, "values.urge_selfharm"},
		{"rating fraction", `{"urge_selfharm": 2.5}`, "values.urge_selfharm"},
		{"rating exponent", `{"urge_selfharm": 1e0}`, "values.urge_selfharm"},
		{"rating string", `{"urge_selfharm": "3"}`, "values.urge_selfharm"},
		{"yes", `{"used_skills": true}`, ""},
		{"no", `{"used_skills": false}`, ""},
		{"yesno string", `{"used_skills": "yes"}`, "values.used_skills"},
		{"yesno number", `{"used_skills": 1}`, "values.used_skills"},
		{"count zero", `{"drinks": 0}`, ""},
		{"count at bound", `{"drinks": 50}`, ""},
		{"count over bound", `{"drinks": 51}`, "values.drinks"},
		{"count negative", `{"drinks": -2}`, "values.drinks"},
		{"count fraction", `{"drinks": 1.5}`, "values.drinks"},
		{"count huge", `{"drinks": 99999999999999999999}`, "values.drinks"},
		{"duration", `{"exercise": 45}`, ""},
		{"duration a week", `{"exercise": 10080}`, ""},
		{"duration over a week", `{"exercise": 10081}`, "values.exercise"},
		{"duration negative", `{"exercise": -1}`, "values.exercise"},
		{"time", `{"bedtime": "23:30"}`, ""},
		{"time midnight", `{"bedtime": "00:00"}`, ""},
		{"time 24:00", `{"bedtime": "24:00"}`, "values.bedtime"},
		{"time short", `{"bedtime": "9:30"}`, "values.bedtime"},
		{"time seconds", `{"bedtime": "23:30:00"}`, "values.bedtime"},
		{"time number", `{"bedtime": 1410}`, "values.bedtime"},
		{"choice", `{"main_emotion": "fear"}`, ""},
		{"choice unknown", `{"main_emotion": "boredom"}`, "values.main_emotion"},
		{"choice case", `{"main_emotion": "Fear"}`, "values.main_emotion"},
		{"choice array", `{"main_emotion": ["fear"]}`, "values.main_emotion"},
		{"multichoice", `{"skills": ["TIPP", "wise mind"]}`, ""},
		{"multichoice empty", `{"skills": []}`, ""},
		{"multichoice unknown", `{"skills": ["wise mind", "yoga"]}`, "values.skills"},
		{"multichoice repeat", `{"skills": ["TIPP", "TIPP"]}`, "values.skills"},
		{"multichoice string", `{"skills": "TIPP"}`, "values.skills"},
		{"multichoice numbers", `{"skills": [1]}`, "values.skills"},
		{"text", `{"situation": "at work"}`, ""},
		{"text at bound", `{"situation": "` + strings.Repeat("é", 20) + `"}`, ""},
		{"text over bound", `{"situation": "` + strings.Repeat("é", 21) + `"}`, "values.situation"},
		{"text two lines", `{"situation": "a\nb"}`, "values.situation"},
		{"text control", `{"situation": "a\u0007b"}`, "values.situation"},
		{"text number", `{"situation": 5}`, "values.situation"},
		{"longtext lines", `{"notes": "first\r\nsecond"}`, ""},
		{"longtext too long", `{"notes": "` + strings.Repeat("x", care.MaxLongTextLen+1) + `"}`, "values.notes"},
		{"info answered", `{"intro": "hi", "drinks": 1}`, "values.intro"},
		{"unknown field", `{"drinks": 1, "mood": 3}`, "values"},
		{"unknown odd field", `{"drinks": 1, "<b>": 3}`, "values"},
		{"nothing", `{}`, "values"},
		{"only nulls", `{"drinks": null}`, "values"},
		{"only blank text", `{"situation": "  "}`, "values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := decodeEntry(t, tmpl, tt.values, now)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				if len(e.Values) != 1 {
					t.Errorf("got %d values, want 1", len(e.Values))
				}
				if e.TemplateVersion != 3 || e.TemplateID != tmpl.ID {
					t.Errorf("entry version = %s/%d, want %s/3", e.TemplateID, e.TemplateVersion, tmpl.ID)
				}
				return
			}
			wantField(t, err, tt.field)
		})
	}
}

func TestTrackerEntryNormalizes(t *testing.T) {
	t.Parallel()
	tmpl := validTemplate(t)
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	e, err := decodeEntry(t, tmpl, `{"skills": ["TIPP", "wise mind"], "bedtime": "23:05", "notes": "  a\r\nb  ", "urge_selfharm": 4}`, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Values["skills"].Choices; len(got) != 2 || got[0] != "wise mind" || got[1] != "TIPP" {
		t.Errorf("multichoice = %q, want the template's order [wise mind TIPP]", got)
	}
	if got := e.Values["bedtime"].Number; got != 23*60+5 {
		t.Errorf("time = %d minutes, want %d", got, 23*60+5)
	}
	if got := e.Values["notes"].Text; got != "a\nb" {
		t.Errorf("longtext = %q, want %q", got, "a\nb")
	}
	if v, ok := e.MainValue(tmpl); !ok || v != 4 {
		t.Errorf("MainValue = %v %v, want 4 true", v, ok)
	}
	b, err := json.Marshal(e.Values)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"bedtime":"23:05","notes":"a\nb","skills":["wise mind","TIPP"],"urge_selfharm":4}`
	if string(b) != want {
		t.Errorf("JSON = %s, want %s", b, want)
	}
}

func TestTrackerEntryRequiredAndTime(t *testing.T) {
	t.Parallel()
	tmpl := testTemplate()
	tmpl.Fields[4].Required = true // exercise
	tmpl.Fields[8].Required = true // situation
	if err := tmpl.Validate(); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	_, err := decodeEntry(t, tmpl, `{"situation": "x"}`, now)
	wantField(t, err, "values.exercise")
	_, err = decodeEntry(t, tmpl, `{"exercise": 0, "situation": "   "}`, now)
	wantField(t, err, "values.situation")
	if _, err := decodeEntry(t, tmpl, `{"exercise": 0, "situation": "x"}`, now); err != nil {
		t.Errorf("both required given: %v", err)
	}

	vals := map[string]care.TrackerValue{"drinks": {Kind: care.FieldCount, Number: 1}}
	for _, tc := range []struct {
		at    time.Time
		field string
	}{
		{time.Time{}, "occurred_at"},
		{now.Add(time.Hour), "occurred_at"},
		{now.Add(-400 * 24 * time.Hour), "occurred_at"},
	} {
		e := &care.TrackerEntry{OccurredAt: tc.at, Values: vals}
		wantField(t, e.Validate(validTemplate(t), now), tc.field)
	}
	// A typed value of the wrong kind, as code might build it.
	e := &care.TrackerEntry{OccurredAt: now, Values: map[string]care.TrackerValue{"drinks": {Kind: care.FieldRating, Number: 1}}}
	wantField(t, e.Validate(validTemplate(t), now), "values.drinks")
}

func TestTrackerEntryCrisis(t *testing.T) {
	t.Parallel()
	tmpl := validTemplate(t)
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	e, err := decodeEntry(t, tmpl, `{"notes": "I want to kill myself tonight", "drinks": 2}`, now)
	if err != nil {
		t.Fatal(err)
	}
	if e.CrisisSignal().Level == care.CrisisNone {
		t.Error("crisis language in a long text was not found")
	}
	e, err = decodeEntry(t, tmpl, `{"notes": "a quiet day", "drinks": 2}`, now)
	if err != nil {
		t.Fatal(err)
	}
	if e.CrisisSignal().Level != care.CrisisNone {
		t.Error("crisis language found in a quiet day")
	}
}

func TestCanReadTrackerEntry(t *testing.T) {
	t.Parallel()
	client := care.Actor{UserID: care.NewID(), Role: care.RoleClient}
	provider := care.Actor{UserID: care.NewID(), Role: care.RoleProvider}
	other := care.Actor{UserID: care.NewID(), Role: care.RoleClient}
	private := &care.TrackerEntry{ClientID: client.UserID}
	shared := &care.TrackerEntry{ClientID: client.UserID, Shared: true}
	for _, tc := range []struct {
		actor care.Actor
		e     *care.TrackerEntry
		want  bool
	}{
		{client, private, true}, {client, shared, true},
		{provider, private, false}, {provider, shared, true},
		{other, private, false},
	} {
		if got := care.CanReadTrackerEntry(tc.actor, tc.e); got != tc.want {
			t.Errorf("CanReadTrackerEntry(%s, shared=%v) = %v, want %v", tc.actor.Role, tc.e.Shared, got, tc.want)
		}
	}
	if care.CanWriteTrackerEntry(provider, client.UserID) || !care.CanWriteTrackerEntry(client, client.UserID) {
		t.Error("only the client writes their tracker entries")
	}
	if !care.CanEditTrackerLibrary(provider) || care.CanEditTrackerLibrary(client) {
		t.Error("providers edit the library, clients do not")
	}
}

// FuzzTrackerEntry: whatever JSON arrives, decoding and validation either
// fail with an Invalid field error or give values that are within the
// template's rules and survive a JSON round trip unchanged.
func FuzzTrackerEntry(f *testing.F) {
	for _, s := range []string{
		`{"urge_selfharm": 3}`, `{"skills": ["TIPP"]}`, `{"bedtime": "07:00"}`,
		`{"drinks": -0}`, `{"notes": "\u2028"}`, `{"situation": "é"}`, `{"intro": null}`,
		`{"used_skills": true, "exercise": 10080, "main_emotion": "joy"}`,
	} {
		f.Add(s)
	}
	tmpl := testTemplate()
	if err := tmpl.Validate(); err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body string) {
		var raw map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &raw) != nil {
			return
		}
		vals, err := care.DecodeTrackerValues(tmpl, raw)
		if err == nil {
			e := &care.TrackerEntry{OccurredAt: now, Values: vals}
			err = e.Validate(tmpl, now)
			if err == nil {
				checkEntryInRules(t, tmpl, e)
				return
			}
		}
		var ce *care.Error
		if !errors.As(err, &ce) || ce.Code != care.Invalid || !strings.HasPrefix(ce.Field, "values") {
			t.Fatalf("error %v is not an invalid values field error", err)
		}
	})
}

func checkEntryInRules(t *testing.T, tmpl *care.TrackerTemplate, e *care.TrackerEntry) {
	t.Helper()
	if len(e.Values) == 0 {
		t.Fatal("a valid entry without values")
	}
	for id, v := range e.Values {
		f := tmpl.Field(id)
		if f == nil || f.Kind != v.Kind || f.Kind == care.FieldInfo {
			t.Fatalf("value %q of kind %s does not fit its field", id, v.Kind)
		}
		switch f.Kind {
		case care.FieldRating:
			if v.Number < f.Min || v.Number > f.Max {
				t.Fatalf("rating %d outside %d..%d", v.Number, f.Min, f.Max)
			}
		case care.FieldCount, care.FieldDuration, care.FieldTime:
			if v.Number < 0 || v.Number > care.MaxTrackerDuration {
				t.Fatalf("%s %d out of bounds", f.Kind, v.Number)
			}
		}
	}
	b, err := json.Marshal(e.Values)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	again, err := care.DecodeTrackerValues(tmpl, raw)
	if err != nil {
		t.Fatalf("re-decoding %s: %v", b, err)
	}
	e2 := &care.TrackerEntry{OccurredAt: e.OccurredAt, Values: again}
	if err := e2.Validate(tmpl, e.OccurredAt); err != nil {
		t.Fatalf("re-validating %s: %v", b, err)
	}
	b2, _ := json.Marshal(e2.Values)
	if string(b) != string(b2) {
		t.Fatalf("round trip changed %s to %s", b, b2)
	}
}

func TestTrackerMainPoints(t *testing.T) {
	t.Parallel()
	v1 := validTemplate(t)
	v2 := testTemplate()
	v2.Version = 4
	v2.Fields[1].Main, v2.Fields[2].Main = false, true // used_skills is the main measure from version 4
	if err := v2.Validate(); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
	entries := []care.TrackerEntry{
		{TemplateVersion: 4, OccurredAt: at.Add(48 * time.Hour), Values: map[string]care.TrackerValue{"used_skills": {Kind: care.FieldYesNo, Bool: true}}},
		{TemplateVersion: 3, OccurredAt: at, Values: map[string]care.TrackerValue{"urge_selfharm": {Kind: care.FieldRating, Number: 4}}},
		{TemplateVersion: 3, OccurredAt: at.Add(24 * time.Hour), Values: map[string]care.TrackerValue{"drinks": {Kind: care.FieldCount, Number: 2}}},
		{TemplateVersion: 9, OccurredAt: at.Add(72 * time.Hour), Values: map[string]care.TrackerValue{"urge_selfharm": {Kind: care.FieldRating, Number: 1}}},
	}
	got := care.MainPoints(entries, func(e *care.TrackerEntry) *care.TrackerTemplate {
		switch e.TemplateVersion {
		case 3:
			return v1
		case 4:
			return v2
		}
		return nil
	})
	if len(got) != 2 || !got[0].At.Equal(at) || got[0].Value != 4 || got[1].Value != 1 {
		t.Errorf("MainPoints = %+v, want 4 at the first day and 1 (yes) two days later", got)
	}
}

func TestTrackerScheduleNext(t *testing.T) {
	t.Parallel()
	// Friday 4 December 2026, 12:00 UTC: 07:00 in New York.
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		s    care.TrackerSchedule
		want time.Time
		ok   bool
	}{
		{care.TrackerSchedule{Kind: care.ScheduleDaily, Minute: 8 * 60}, time.Date(2026, 12, 4, 13, 0, 0, 0, time.UTC), true},
		{care.TrackerSchedule{Kind: care.ScheduleDaily, Minute: 6 * 60}, time.Date(2026, 12, 5, 11, 0, 0, 0, time.UTC), true},
		{care.TrackerSchedule{Kind: care.ScheduleWeekdays, Weekdays: []time.Weekday{time.Monday}, Minute: 6 * 60}, time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC), true},
		{care.TrackerSchedule{Kind: care.ScheduleEvent}, time.Time{}, false},
	} {
		got, ok := tc.s.Next("America/New_York", at)
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("%+v: Next = %v %v, want %v %v", tc.s, got, ok, tc.want, tc.ok)
		}
	}
}
