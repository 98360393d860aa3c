package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// trackerTemplate is a template with one field of every kind.
func trackerTemplate() *care.TrackerTemplate {
	return &care.TrackerTemplate{
		Name:      "Diary card",
		Explainer: "So we can see together how urges and skills change over the week.",
		Schedule:  care.TrackerSchedule{Kind: care.ScheduleDaily, Minute: 20 * 60},
		Fields: []care.TrackerField{
			{ID: "intro", Kind: care.FieldInfo, Help: "Fill this in at the end of the day."},
			{ID: "urge", Kind: care.FieldRating, Label: "Urge", Min: 0, Max: 5, MinLabel: "none", MaxLabel: "extreme", Main: true},
			{ID: "used_skills", Kind: care.FieldYesNo, Label: "Used skills"},
			{ID: "drinks", Kind: care.FieldCount, Label: "Drinks", Max: 50},
			{ID: "exercise", Kind: care.FieldDuration, Label: "Exercise"},
			{ID: "bedtime", Kind: care.FieldTime, Label: "Went to bed"},
			{ID: "emotion", Kind: care.FieldChoice, Label: "Strongest emotion", Options: []string{"sadness", "anger", "fear", "joy"}},
			{ID: "skills", Kind: care.FieldMultiChoice, Label: "Skills used", Options: []string{"wise mind", "opposite action", "TIPP"}},
			{ID: "situation", Kind: care.FieldText, Label: "Situation", MaxLen: 40},
			{ID: "notes", Kind: care.FieldLongText, Label: "Anything else"},
		},
	}
}

// trackerSetup is a clinic with the diary card in its library, assigned
// to its client.
type trackerSetup struct {
	c       *storetest.Clinic
	tmpl    *care.TrackerTemplate
	tracker *care.Tracker
}

func setupTracker(t *testing.T, db *storetest.DB, name string) trackerSetup {
	t.Helper()
	ctx := context.Background()
	c := storetest.SeedClinic(t, db.Store, name)
	tmpl := trackerTemplate()
	if err := db.Store.CreateTrackerTemplate(ctx, c.Actor(c.Provider), tmpl); err != nil {
		t.Fatalf("creating a template: %v", err)
	}
	tr := &care.Tracker{TemplateID: tmpl.ID, Reminder: true}
	if err := db.Store.AssignTracker(ctx, c.Actor(c.Provider), c.Client.ID, tr); err != nil {
		t.Fatalf("assigning a tracker: %v", err)
	}
	return trackerSetup{c: c, tmpl: tmpl, tracker: tr}
}

// writeTrackerEntry writes values (JSON) in the setup's tracker as its
// client, an hour ago.
func (s trackerSetup) write(t *testing.T, db *storetest.DB, values string, shared bool) (*care.TrackerEntry, error) {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(values), &raw); err != nil {
		t.Fatalf("test values %s: %v", values, err)
	}
	return db.Store.CreateTrackerEntry(context.Background(), s.c.Actor(s.c.Client), s.c.Client.ID, s.tracker.ID,
		store.TrackerEntryInput{OccurredAt: db.Clock.Now().Add(-time.Hour), Values: raw, Shared: &shared})
}

func (s trackerSetup) mustWrite(t *testing.T, db *storetest.DB, values string, shared bool) *care.TrackerEntry {
	t.Helper()
	e, err := s.write(t, db, values, shared)
	if err != nil {
		t.Fatalf("writing %s: %v", values, err)
	}
	return e
}

// TestTrackerLibrary: admins and providers add and change templates, each
// change a new version that leaves the ones before as they were; clients
// do not see the library, nor another clinic.
func TestTrackerLibrary(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Tracker Library")
		other := storetest.SeedClinic(t, db.Store, "Tracker Library Elsewhere")
		provider, admin := c.Actor(c.Provider), c.Actor(c.Admin)

		tmpl := trackerTemplate()
		tmpl.Key = "diary_card"
		if err := db.Store.CreateTrackerTemplate(ctx, provider, tmpl); err != nil {
			t.Fatal(err)
		}
		if tmpl.Version != 1 || !care.ValidID(tmpl.ID) || tmpl.CreatedBy != c.Provider.ID {
			t.Errorf("created %s v%d by %s", tmpl.ID, tmpl.Version, tmpl.CreatedBy)
		}
		again := trackerTemplate()
		again.Key = "diary_card"
		if err := db.Store.CreateTrackerTemplate(ctx, admin, again); care.ErrorCode(err) != care.Conflict {
			t.Errorf("a second template with the key: %v, want conflict", err)
		}
		elsewhere := trackerTemplate()
		elsewhere.Key = "diary_card"
		if err := db.Store.CreateTrackerTemplate(ctx, other.Actor(other.Admin), elsewhere); err != nil {
			t.Errorf("the same key in another clinic: %v", err)
		}
		bad := trackerTemplate()
		bad.Fields[3].Kind = "slider"
		if err := db.Store.CreateTrackerTemplate(ctx, admin, bad); care.ErrorCode(err) != care.Invalid {
			t.Errorf("an invalid template: %v, want invalid", err)
		}
		for _, u := range []care.User{c.Client} {
			if err := db.Store.CreateTrackerTemplate(ctx, c.Actor(u), trackerTemplate()); care.ErrorCode(err) != care.Forbidden {
				t.Errorf("a client adding a template: %v, want forbidden", err)
			}
			if _, err := db.Store.TrackerTemplates(ctx, c.Actor(u), false); care.ErrorCode(err) != care.Forbidden {
				t.Errorf("a client listing the library: %v, want forbidden", err)
			}
		}
		if n := rowCount(t, db, "tracker_templates"); n != 2 {
			t.Fatalf("%d template rows, want 2 (one per clinic)", n)
		}

		// A change is version 2; version 1 stays.
		v2 := trackerTemplate()
		v2.Name = "Diary card (short)"
		v2.Fields = v2.Fields[:4]
		v2.Fields[1].Max = 7
		if err := db.Store.UpdateTrackerTemplate(ctx, admin, tmpl.ID, 1, v2); err != nil {
			t.Fatal(err)
		}
		if v2.Version != 2 || v2.ID != tmpl.ID || v2.Key != "diary_card" {
			t.Errorf("the change is %s v%d key %q, want %s v2 diary_card", v2.ID, v2.Version, v2.Key, tmpl.ID)
		}
		stale := trackerTemplate()
		if err := db.Store.UpdateTrackerTemplate(ctx, provider, tmpl.ID, 1, stale); care.ErrorCode(err) != care.Conflict {
			t.Errorf("a change from version 1 after version 2: %v, want conflict", err)
		}
		kind := trackerTemplate()
		kind.Fields[3].Kind, kind.Fields[3].Max = care.FieldDuration, 0
		err := db.Store.UpdateTrackerTemplate(ctx, provider, tmpl.ID, 0, kind)
		var ce *care.Error
		if !errors.As(err, &ce) || ce.Code != care.Invalid || ce.Field != "fields.3.kind" {
			t.Errorf("a field that changes its kind: %v, want invalid on fields.3.kind", err)
		}
		if _, err := db.Store.TrackerTemplate(ctx, other.Actor(other.Provider), tmpl.ID, 0); care.ErrorCode(err) != care.NotFound {
			t.Errorf("another clinic reading the template: %v, want not found", err)
		}
		if err := db.Store.UpdateTrackerTemplate(ctx, other.Actor(other.Provider), tmpl.ID, 0, trackerTemplate()); care.ErrorCode(err) != care.NotFound {
			t.Errorf("another clinic changing the template: %v, want not found", err)
		}

		latest, err := db.Store.TrackerTemplate(ctx, provider, tmpl.ID, 0)
		if err != nil || latest.Version != 2 || latest.Name != "Diary card (short)" || latest.Field("urge").Max != 7 {
			t.Fatalf("latest = %+v, %v", latest, err)
		}
		first, err := db.Store.TrackerTemplate(ctx, provider, tmpl.ID, 1)
		if err != nil || first.Version != 1 || len(first.Fields) != 10 || first.Field("urge").Max != 5 || first.Field("urge").MaxLabel != "extreme" {
			t.Fatalf("version 1 = %+v, %v", first, err)
		}
		if got := first.Field("skills").Options; strings.Join(got, "|") != "wise mind|opposite action|TIPP" {
			t.Errorf("options read back as %q", got)
		}
		versions, err := db.Store.TrackerTemplateVersions(ctx, admin, tmpl.ID)
		if err != nil || len(versions) != 2 || versions[0].Version != 2 {
			t.Errorf("versions = %d, %v", len(versions), err)
		}
		list, err := db.Store.TrackerTemplates(ctx, provider, false)
		if err != nil || len(list) != 1 || list[0].Version != 2 {
			t.Errorf("the library lists %d templates (%v), want the latest version of one", len(list), err)
		}
		if n := rowCount(t, db, "tracker_templates"); n != 3 {
			t.Errorf("%d template rows, want 3", n)
		}
	})
}

// TestTrackerStrictInput: every kind of field refuses what is not its
// kind of answer with care.Invalid naming the field, and nothing is
// stored; good answers of every kind come back as written.
func TestTrackerStrictInput(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		s := setupTracker(t, db, "Tracker Strict")
		tests := []struct {
			values, field string
		}{
			{`{"urge": 6}`, "values.urge"},
			{`{"urge": 2.5}`, "values.urge"},
			{`{"urge": "2"}`, "values.urge"},
			{`{"used_skills": "yes"}`, "values.used_skills"},
			{`{"drinks": -1}`, "values.drinks"},
			{`{"drinks": 51}`, "values.drinks"},
			{`{"drinks": 1.0}`, "values.drinks"},
			{`{"exercise": 10081}`, "values.exercise"},
			{`{"exercise": -5}`, "values.exercise"},
			{`{"bedtime": "25:00"}`, "values.bedtime"},
			{`{"bedtime": "11pm"}`, "values.bedtime"},
			{`{"emotion": "boredom"}`, "values.emotion"},
			{`{"emotion": 1}`, "values.emotion"},
			{`{"skills": ["yoga"]}`, "values.skills"},
			{`{"skills": "TIPP"}`, "values.skills"},
			{`{"situation": "` + strings.Repeat("x", 41) + `"}`, "values.situation"},
			{`{"situation": "two\nlines"}`, "values.situation"},
			{`{"notes": ["a"]}`, "values.notes"},
			{`{"notes": "` + strings.Repeat("x", care.MaxLongTextLen+1) + `"}`, "values.notes"},
			{`{"intro": "an answer"}`, "values.intro"},
			{`{"mood": 5}`, "values"},
			{`{}`, "values"},
		}
		for _, tt := range tests {
			_, err := s.write(t, db, tt.values, true)
			var ce *care.Error
			if !errors.As(err, &ce) || ce.Code != care.Invalid || ce.Field != tt.field {
				t.Errorf("%s: got %v, want invalid on %s", tt.values, err, tt.field)
			}
		}
		if n := rowCount(t, db, "tracker_entries"); n != 0 {
			t.Fatalf("%d entries stored from bad input, want 0", n)
		}
		if n := rowCount(t, db, "safety_flags"); n != 0 {
			t.Fatalf("%d flags raised by bad input, want 0", n)
		}

		e := s.mustWrite(t, db, `{"urge": 5, "used_skills": false, "drinks": 0, "exercise": 10080, "bedtime": "23:45",
			"emotion": "fear", "skills": ["TIPP", "wise mind"], "situation": " at work ", "notes": "line one\nline two", "intro": null}`, false)
		got, err := db.Store.TrackerEntry(context.Background(), s.c.Actor(s.c.Client), s.c.Client.ID, s.tracker.ID, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(got.Entry.Values)
		want := `{"bedtime":"23:45","drinks":0,"emotion":"fear","exercise":10080,"notes":"line one\nline two","situation":"at work","skills":["wise mind","TIPP"],"urge":5,"used_skills":false}`
		if string(b) != want {
			t.Errorf("read back\n got %s\nwant %s", b, want)
		}
		if got.Template == nil || got.Template.Version != 1 || got.Entry.TemplateVersion != 1 || got.Entry.TrackerID != s.tracker.ID {
			t.Errorf("entry read with template %+v", got.Template)
		}
	})
}

// TestTrackerEntryPrivacy: a private entry is the client's alone: the
// care team never reads, lists, counts or changes it; shared ones they
// read. Only the client writes.
func TestTrackerEntryPrivacy(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		db.Clock.Set(time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)) // assigned before the day's 20:00, written the same day
		s := setupTracker(t, db, "Tracker Privacy")
		c := s.c
		client, provider := c.Actor(c.Client), c.Actor(c.Provider)
		shared := s.mustWrite(t, db, `{"urge": 2, "notes": "shared words"}`, true)
		private := s.mustWrite(t, db, `{"urge": 4, "notes": "private words"}`, false)
		private2 := s.mustWrite(t, db, `{"drinks": 3}`, false)

		page, err := db.Store.TrackerEntries(ctx, client, c.Client.ID, store.TrackerEntryQuery{})
		if err != nil || len(page.Entries) != 3 {
			t.Fatalf("the client lists %d entries (%v), want 3", len(page.Entries), err)
		}
		if page.Template(&page.Entries[0]) == nil {
			t.Error("a page without its entries' template")
		}
		page, err = db.Store.TrackerEntries(ctx, provider, c.Client.ID, store.TrackerEntryQuery{TrackerID: s.tracker.ID})
		if err != nil || len(page.Entries) != 1 || page.Entries[0].ID != shared.ID {
			t.Fatalf("the provider lists %d entries (%v), want the shared one only", len(page.Entries), err)
		}
		since, err := db.Store.TrackerEntriesSince(ctx, provider, c.Client.ID, db.Clock.Now().Add(-24*time.Hour))
		if err != nil || len(since.Entries) != 1 {
			t.Errorf("the brief's read gives the provider %d entries (%v), want 1", len(since.Entries), err)
		}
		if _, err := db.Store.TrackerEntry(ctx, provider, c.Client.ID, "", shared.ID); err != nil {
			t.Errorf("the provider reading a shared entry: %v", err)
		}
		for _, id := range []string{private.ID, private2.ID, care.NewID()} {
			if _, err := db.Store.TrackerEntry(ctx, provider, c.Client.ID, "", id); care.ErrorCode(err) != care.NotFound {
				t.Errorf("the provider reading a private or missing entry: %v, want not found", err)
			}
			if _, err := db.Store.UpdateTrackerEntry(ctx, provider, c.Client.ID, "", id, ptr(true), nil); care.ErrorCode(err) != care.NotFound {
				t.Errorf("the provider sharing a private or missing entry: %v, want not found", err)
			}
		}
		if _, err := db.Store.UpdateTrackerEntry(ctx, provider, c.Client.ID, s.tracker.ID, shared.ID, ptr(false), nil); care.ErrorCode(err) != care.Forbidden {
			t.Errorf("the provider unsharing a shared entry: %v, want forbidden", err)
		}
		// Adherence counts what each may see: the provider one day, one entry.
		today := care.DayIn(db.Clock.Now(), "")
		for _, tc := range []struct {
			who     care.Actor
			entries int
		}{{client, 3}, {provider, 1}} {
			ad, err := db.Store.TrackerAdherence(ctx, tc.who, c.Client.ID, today.AddDays(-6), today)
			if err != nil || len(ad) != 1 || ad[0].Entries != tc.entries || ad[0].DueDays != 1 || ad[0].DoneDays != 1 {
				t.Errorf("%s's adherence = %+v (%v), want 1 due, 1 done, %d entries", tc.who.Role, ad, err, tc.entries)
			}
		}
		// Another client's provider, a client, the other client: nothing.
		for _, who := range []care.User{c.OtherProvider, c.OtherClient, c.Admin} {
			if _, err := db.Store.TrackerEntries(ctx, c.Actor(who), c.Client.ID, store.TrackerEntryQuery{}); care.ErrorCode(err) != care.NotFound {
				t.Errorf("%s listing the entries: %v, want not found", who.Email, err)
			}
			if _, err := db.Store.TrackersOfClient(ctx, c.Actor(who), c.Client.ID, true); care.ErrorCode(err) != care.NotFound {
				t.Errorf("%s listing the trackers: %v, want not found", who.Email, err)
			}
		}
		// Only the client writes.
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(`{"urge": 1}`), &raw); err != nil {
			t.Fatal(err)
		}
		in := store.TrackerEntryInput{OccurredAt: db.Clock.Now(), Values: raw}
		if _, err := db.Store.CreateTrackerEntry(ctx, provider, c.Client.ID, s.tracker.ID, in); care.ErrorCode(err) != care.Forbidden {
			t.Errorf("the provider writing an entry: %v, want forbidden", err)
		}
		if _, err := db.Store.CreateTrackerEntry(ctx, c.Actor(c.OtherClient), c.Client.ID, s.tracker.ID, in); care.ErrorCode(err) != care.NotFound {
			t.Errorf("another client writing an entry: %v, want not found", err)
		}
		if _, err := db.Store.CreateTrackerEntry(ctx, c.Actor(c.OtherClient), c.OtherClient.ID, s.tracker.ID, in); care.ErrorCode(err) != care.NotFound {
			t.Errorf("another client writing in this client's tracker: %v, want not found", err)
		}
		if n := rowCount(t, db, "tracker_entries"); n != 3 {
			t.Errorf("%d entries, want 3", n)
		}

		// Sharing: the client shares the private entry; the provider sees it.
		if _, err := db.Store.UpdateTrackerEntry(ctx, client, c.Client.ID, s.tracker.ID, private.ID, ptr(true), ptr(true)); err != nil {
			t.Fatal(err)
		}
		got, err := db.Store.TrackerEntry(ctx, provider, c.Client.ID, "", private.ID)
		if err != nil || !got.Entry.Discuss || !got.Entry.Shared {
			t.Errorf("a newly shared entry: %+v, %v", got, err)
		}
		// Every read and write is audited; the provider's refusals as denied.
		var denied int
		if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM audit_events WHERE actor_id = $1 AND action LIKE 'tracker%' AND outcome = 'denied'`,
			c.Provider.ID).Scan(&denied); err != nil || denied < 7 {
			t.Errorf("%d denied tracker audit rows of the provider (%v), want at least 7", denied, err)
		}
	})
}

// TestTrackerAssignments: the care team assigns and removes trackers;
// removing one keeps its entries, which the client still reads, and it
// takes no more.
func TestTrackerAssignments(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := setupTracker(t, db, "Tracker Assignments")
		c := s.c
		client, provider := c.Actor(c.Client), c.Actor(c.Provider)
		if s.tracker.TemplateVersion != 1 || s.tracker.Schedule.Kind != care.ScheduleDaily || s.tracker.Schedule.Minute != 20*60 || !s.tracker.Reminder {
			t.Errorf("assigned %+v: want version 1 and the template's daily 20:00 schedule", s.tracker)
		}
		goal := addGoal(t, db, c.Client)
		weekly := &care.Tracker{TemplateID: s.tmpl.ID, GoalID: goal,
			Schedule: care.TrackerSchedule{Kind: care.ScheduleWeekdays, Weekdays: []time.Weekday{time.Friday, time.Monday}, Minute: 9 * 60}}
		if err := db.Store.AssignTracker(ctx, provider, c.Client.ID, weekly); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			who  care.Actor
			tr   care.Tracker
			code care.Code
		}{
			{client, care.Tracker{TemplateID: s.tmpl.ID}, care.Forbidden},
			{c.Actor(c.OtherProvider), care.Tracker{TemplateID: s.tmpl.ID}, care.NotFound},
			{c.Actor(c.Admin), care.Tracker{TemplateID: s.tmpl.ID}, care.NotFound},
			{provider, care.Tracker{TemplateID: care.NewID()}, care.Invalid},
			{provider, care.Tracker{TemplateID: s.tmpl.ID, TemplateVersion: 9}, care.Invalid},
			{provider, care.Tracker{TemplateID: s.tmpl.ID, GoalID: care.NewID()}, care.Invalid},
			{provider, care.Tracker{TemplateID: s.tmpl.ID, Schedule: care.TrackerSchedule{Kind: care.ScheduleWeekdays}}, care.Invalid},
		} {
			tr := tc.tr
			if err := db.Store.AssignTracker(ctx, tc.who, c.Client.ID, &tr); care.ErrorCode(err) != tc.code {
				t.Errorf("%s assigning %+v: %v, want %s", tc.who.Role, tc.tr, err, tc.code)
			}
		}
		list, err := db.Store.TrackersOfClient(ctx, client, c.Client.ID, false)
		if err != nil || len(list) != 2 {
			t.Fatalf("the client has %d trackers (%v), want 2", len(list), err)
		}
		var got *care.Tracker
		for i := range list {
			if list[i].ID == weekly.ID {
				got = &list[i]
			}
		}
		if got == nil || got.GoalID != goal || got.Schedule.Kind != care.ScheduleWeekdays || len(got.Schedule.Weekdays) != 2 ||
			got.Schedule.Weekdays[0] != time.Monday || got.Template == nil || got.Template.Explainer == "" {
			t.Errorf("the weekly tracker read back as %+v", got)
		}

		e := s.mustWrite(t, db, `{"urge": 3}`, false)
		if err := db.Store.RemoveTracker(ctx, client, c.Client.ID, s.tracker.ID); care.ErrorCode(err) != care.Forbidden {
			t.Errorf("the client removing a tracker: %v, want forbidden", err)
		}
		if err := db.Store.RemoveTracker(ctx, provider, c.Client.ID, s.tracker.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.RemoveTracker(ctx, provider, c.Client.ID, s.tracker.ID); err != nil {
			t.Errorf("removing again: %v", err)
		}
		if list, _ := db.Store.TrackersOfClient(ctx, client, c.Client.ID, false); len(list) != 1 {
			t.Errorf("%d current trackers after a removal, want 1", len(list))
		}
		all, err := db.Store.TrackersOfClient(ctx, client, c.Client.ID, true)
		if err != nil || len(all) != 2 {
			t.Errorf("%d trackers with the removed one (%v), want 2", len(all), err)
		}
		if _, err := s.write(t, db, `{"urge": 1}`, false); care.ErrorCode(err) != care.Conflict {
			t.Errorf("writing in a removed tracker: %v, want conflict", err)
		}
		read, err := db.Store.TrackerEntry(ctx, client, c.Client.ID, s.tracker.ID, e.ID)
		if err != nil || read.Entry.Values["urge"].Number != 3 {
			t.Errorf("an entry of a removed tracker: %+v, %v", read, err)
		}
		if n := rowCount(t, db, "tracker_entries"); n != 1 {
			t.Errorf("%d entries after the removal, want 1", n)
		}
	})
}

// TestTrackerTemplateVersionKept: entries written before a template
// changes keep their version and are read against it; a tracker stays on
// the version it was assigned with, and a new assignment takes the new one.
func TestTrackerTemplateVersionKept(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := setupTracker(t, db, "Tracker Versions")
		c := s.c
		client := c.Actor(c.Client)
		old := s.mustWrite(t, db, `{"urge": 5, "emotion": "joy"}`, true)

		v2 := trackerTemplate()
		v2.Fields[1].Max, v2.Fields[1].Label = 10, "Urge, 0 to 10"
		v2.Fields = append(v2.Fields[:6], v2.Fields[7:]...) // drop "emotion"
		if err := db.Store.UpdateTrackerTemplate(ctx, c.Actor(c.Admin), s.tmpl.ID, 0, v2); err != nil {
			t.Fatal(err)
		}
		for _, who := range []care.Actor{client, c.Actor(c.Provider)} {
			got, err := db.Store.TrackerEntry(ctx, who, c.Client.ID, "", old.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Entry.TemplateVersion != 1 || got.Template.Version != 1 || got.Template.Field("emotion") == nil ||
				got.Template.Field("urge").Label != "Urge" || got.Entry.Values["emotion"].Choices[0] != "joy" {
				t.Errorf("%s reads the old entry as v%d against %+v", who.Role, got.Entry.TemplateVersion, got.Template)
			}
		}
		// The assigned tracker stays on version 1: 7 is still out of its scale.
		if _, err := s.write(t, db, `{"urge": 7}`, true); care.ErrorCode(err) != care.Invalid {
			t.Errorf("7 on the version 1 scale: %v, want invalid", err)
		}
		newer := &care.Tracker{TemplateID: s.tmpl.ID}
		if err := db.Store.AssignTracker(ctx, c.Actor(c.Provider), c.Client.ID, newer); err != nil {
			t.Fatal(err)
		}
		if newer.TemplateVersion != 2 {
			t.Fatalf("a new assignment has version %d, want 2", newer.TemplateVersion)
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(`{"urge": 7}`), &raw); err != nil {
			t.Fatal(err)
		}
		e, err := db.Store.CreateTrackerEntry(ctx, client, c.Client.ID, newer.ID, store.TrackerEntryInput{OccurredAt: db.Clock.Now(), Values: raw})
		if err != nil || e.TemplateVersion != 2 {
			t.Fatalf("an entry on version 2: %+v, %v", e, err)
		}
		if _, err := db.Store.TrackerEntry(ctx, client, c.Client.ID, newer.ID, old.ID); care.ErrorCode(err) != care.NotFound {
			t.Errorf("an entry read under another tracker: %v, want not found", err)
		}
		if _, err := db.Store.UpdateTrackerEntry(ctx, client, c.Client.ID, newer.ID, old.ID, ptr(false), nil); care.ErrorCode(err) != care.NotFound {
			t.Errorf("an entry changed under another tracker: %v, want not found", err)
		}
		page, err := db.Store.TrackerEntries(ctx, client, c.Client.ID, store.TrackerEntryQuery{})
		if err != nil || len(page.Entries) != 2 || len(page.Templates) != 2 {
			t.Fatalf("a page of %d entries with %d templates (%v), want 2 and 2", len(page.Entries), len(page.Templates), err)
		}
		for _, e := range page.Entries {
			if tmpl := page.Template(&e); tmpl == nil || tmpl.Version != e.TemplateVersion {
				t.Errorf("entry v%d paged with template %+v", e.TemplateVersion, tmpl)
			}
		}
	})
}

// TestTrackerCrisisLanguage: crisis language in a text value of a shared
// entry raises a flag; in a private one it only tells the client, until
// they share it.
func TestTrackerCrisisLanguage(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := setupTracker(t, db, "Tracker Crisis")
		c := s.c
		words := `{"notes": "I want to kill myself tonight"}`
		shared := s.mustWrite(t, db, words, true)
		private := s.mustWrite(t, db, words, false)
		quiet := s.mustWrite(t, db, `{"notes": "a quiet day"}`, true)
		if !shared.Crisis || !private.Crisis || quiet.Crisis {
			t.Errorf("crisis seen: shared %v, private %v, quiet %v; want true, true, false", shared.Crisis, private.Crisis, quiet.Crisis)
		}
		flags, err := db.Store.SafetyFlags(ctx, c.Actor(c.Provider), c.Client.ID)
		if err != nil || len(flags) != 1 || flags[0].SourceType != "tracker_entry" || flags[0].SourceID != shared.ID {
			t.Fatalf("flags = %+v (%v), want one, of the shared entry", flags, err)
		}
		if _, err := db.Store.UpdateTrackerEntry(ctx, c.Actor(c.Client), c.Client.ID, "", private.ID, ptr(true), nil); err != nil {
			t.Fatal(err)
		}
		if flags, _ := db.Store.SafetyFlags(ctx, c.Actor(c.Provider), c.Client.ID); len(flags) != 2 {
			t.Errorf("%d flags after sharing the private entry, want 2", len(flags))
		}
	})
}

// TestTrackerBreakGlassAndSealing: an admin with an open grant sees the
// shared entries only, audited as break-glass; the entries' values are
// nowhere in the database in plain text.
func TestTrackerBreakGlassAndSealing(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := setupTracker(t, db, "Tracker Glass")
		c := s.c
		const canary = "zebra-canary-7731"
		shared := s.mustWrite(t, db, `{"situation": "`+canary+`", "emotion": "joy"}`, true)
		private := s.mustWrite(t, db, `{"urge": 2}`, false)
		admin := c.Actor(c.Admin)
		if _, err := db.Store.TrackerEntries(ctx, admin, c.Client.ID, store.TrackerEntryQuery{}); care.ErrorCode(err) != care.NotFound {
			t.Errorf("an admin without a grant: %v, want not found", err)
		}
		if _, err := db.Store.StartBreakGlass(ctx, admin, c.Client.ID, "The client's provider is away and the client asked for help"); err != nil {
			t.Fatal(err)
		}
		page, err := db.Store.TrackerEntries(ctx, admin, c.Client.ID, store.TrackerEntryQuery{})
		if err != nil || len(page.Entries) != 1 || page.Entries[0].ID != shared.ID {
			t.Fatalf("the admin's list through break-glass: %d entries, %v; want the shared one", len(page.Entries), err)
		}
		if _, err := db.Store.TrackerEntry(ctx, admin, c.Client.ID, "", private.ID); care.ErrorCode(err) != care.NotFound {
			t.Errorf("a private entry through break-glass: %v", err)
		}
		var purpose string
		if err := db.Engine.SQLDB().QueryRow(`SELECT purpose FROM audit_events WHERE action = 'tracker_entry.list' AND actor_id = $1 AND outcome = 'success'`,
			c.Admin.ID).Scan(&purpose); err != nil || purpose != care.PurposeBreakGlass {
			t.Errorf("the admin's list is audited with purpose %q (%v), want %q", purpose, err, care.PurposeBreakGlass)
		}

		bodies := func() [][]byte {
			rows, err := db.Engine.SQLDB().Query(`SELECT body_sealed FROM tracker_entries`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out [][]byte
			for rows.Next() {
				var b []byte
				if err := rows.Scan(&b); err != nil {
					t.Fatal(err)
				}
				out = append(out, b)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			return out
		}
		n := 0
		for _, b := range bodies() {
			n++
			if strings.Contains(string(b), canary) || strings.Contains(string(b), "joy") || len(b) < 28 {
				t.Errorf("a sealed body holds its plain text, or is too short to be sealed: %q", b)
			}
		}
		if n != 2 {
			t.Errorf("%d entry rows, want 2", n)
		}
	})
}

// TestTrackerAdherence: due days run from the first due time after the
// assignment to the client's today (or the removal), on the schedule's
// days, in the client's time zone; a day with an entry is done however
// many it has; an event log is never due.
func TestTrackerAdherence(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		// Monday 30 November 2026, 21:00 UTC: after the day's 20:00.
		db.Clock.Set(time.Date(2026, 11, 30, 21, 0, 0, 0, time.UTC))
		s := setupTracker(t, db, "Tracker Adherence")
		c := s.c
		provider, client := c.Actor(c.Provider), c.Actor(c.Client)
		weekly := &care.Tracker{TemplateID: s.tmpl.ID,
			Schedule: care.TrackerSchedule{Kind: care.ScheduleWeekdays, Weekdays: []time.Weekday{time.Monday, time.Thursday}, Minute: 22 * 60}}
		event := &care.Tracker{TemplateID: s.tmpl.ID, Schedule: care.TrackerSchedule{Kind: care.ScheduleEvent}}
		removed := &care.Tracker{TemplateID: s.tmpl.ID, Schedule: weekly.Schedule}
		for _, tr := range []*care.Tracker{weekly, event, removed} {
			if err := db.Store.AssignTracker(ctx, provider, c.Client.ID, tr); err != nil {
				t.Fatal(err)
			}
		}
		// Removed on Thursday before its 22:00: it was due on Monday only.
		db.Clock.Set(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
		if err := db.Store.RemoveTracker(ctx, provider, c.Client.ID, removed.ID); err != nil {
			t.Fatal(err)
		}
		write := func(tr *care.Tracker, at time.Time, shared bool) {
			t.Helper()
			var raw map[string]json.RawMessage
			if err := json.Unmarshal([]byte(`{"urge": 1}`), &raw); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Store.CreateTrackerEntry(ctx, client, c.Client.ID, tr.ID,
				store.TrackerEntryInput{OccurredAt: at, Values: raw, Shared: &shared}); err != nil {
				t.Fatal(err)
			}
		}
		// Through Sunday 6 December: the daily one is due Tuesday to Sunday
		// (6 days), the weekly one Monday (22:00, after the assignment)
		// and Thursday.
		db.Clock.Set(time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC))
		day := func(d int) time.Time { return time.Date(2026, 12, d, 9, 0, 0, 0, time.UTC) }
		write(s.tracker, day(1), true)
		write(s.tracker, day(1).Add(time.Hour), true) // the same day again
		write(s.tracker, day(2), false)
		write(s.tracker, day(5), true)
		write(weekly, day(3), true)
		write(event, day(4), true)
		write(event, day(4).Add(time.Hour), false)

		want := map[care.Actor]map[string]care.TrackerAdherence{
			client: {
				s.tracker.ID: {DueDays: 6, DoneDays: 3, Entries: 4},
				weekly.ID:    {DueDays: 2, DoneDays: 1, Entries: 1},
				event.ID:     {DueDays: 0, DoneDays: 0, Entries: 2},
				removed.ID:   {DueDays: 1},
			},
			provider: { // what was shared only
				s.tracker.ID: {DueDays: 6, DoneDays: 2, Entries: 3},
				weekly.ID:    {DueDays: 2, DoneDays: 1, Entries: 1},
				event.ID:     {DueDays: 0, DoneDays: 0, Entries: 1},
				removed.ID:   {DueDays: 1},
			},
		}
		for who, byTracker := range want {
			// To the 20th: days to come are not counted.
			got, err := db.Store.TrackerAdherence(ctx, who, c.Client.ID, "2026-11-23", "2026-12-20")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 4 {
				t.Fatalf("%s: %d trackers, want 4", who.Role, len(got))
			}
			for _, a := range got {
				w := byTracker[a.TrackerID]
				w.TrackerID = a.TrackerID
				if a != w {
					t.Errorf("%s: adherence %+v, want %+v", who.Role, a, w)
				}
			}
		}
		// A period before the assignment has nothing to count.
		if got, err := db.Store.TrackerAdherence(ctx, client, c.Client.ID, "2026-11-01", "2026-11-29"); err != nil || len(got) != 0 {
			t.Errorf("before the assignments: %+v, %v; want none", got, err)
		}
		if _, err := db.Store.TrackerAdherence(ctx, client, c.Client.ID, "2026-12-03", "2026-11-30"); care.ErrorCode(err) != care.Invalid {
			t.Errorf("a period that ends before it starts: %v, want invalid", err)
		}
	})
}

// TestUpdateTracker: the care team changes a tracker's schedule, reminder,
// goal and template version; entries written before keep their version.
func TestUpdateTracker(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := setupTracker(t, db, "Tracker Update")
		c := s.c
		provider := c.Actor(c.Provider)
		old := s.mustWrite(t, db, `{"urge": 5}`, true)
		v2 := trackerTemplate()
		v2.Fields[1].Max = 10
		if err := db.Store.UpdateTrackerTemplate(ctx, provider, s.tmpl.ID, 0, v2); err != nil {
			t.Fatal(err)
		}
		goal := addGoal(t, db, c.Client)
		for _, tc := range []struct {
			who  care.Actor
			ch   store.TrackerChange
			code care.Code
		}{
			{c.Actor(c.Client), store.TrackerChange{Reminder: ptr(false)}, care.Forbidden},
			{c.Actor(c.OtherProvider), store.TrackerChange{Reminder: ptr(false)}, care.NotFound},
			{provider, store.TrackerChange{TemplateVersion: 3}, care.Invalid},
			{provider, store.TrackerChange{GoalID: ptr(care.NewID())}, care.Invalid},
			{provider, store.TrackerChange{Schedule: &care.TrackerSchedule{Kind: care.ScheduleWeekdays, Minute: 60}}, care.Invalid},
		} {
			if _, err := db.Store.UpdateTracker(ctx, tc.who, c.Client.ID, s.tracker.ID, tc.ch); care.ErrorCode(err) != tc.code {
				t.Errorf("%s changing %+v: %v, want %s", tc.who.Role, tc.ch, err, tc.code)
			}
		}
		got, err := db.Store.UpdateTracker(ctx, provider, c.Client.ID, s.tracker.ID, store.TrackerChange{
			TemplateVersion: 2, GoalID: &goal, Reminder: ptr(false),
			Schedule: &care.TrackerSchedule{Kind: care.ScheduleWeekdays, Weekdays: []time.Weekday{time.Wednesday}, Minute: 9 * 60}})
		if err != nil {
			t.Fatal(err)
		}
		read, err := db.Store.Tracker(ctx, c.Actor(c.Client), c.Client.ID, s.tracker.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range []*care.Tracker{got, read} {
			if tr.TemplateVersion != 2 || tr.Template.Version != 2 || tr.GoalID != goal || tr.Reminder ||
				tr.Schedule.Kind != care.ScheduleWeekdays || tr.Schedule.Minute != 9*60 {
				t.Errorf("after the change: %+v", tr)
			}
		}
		if _, err := s.write(t, db, `{"urge": 9}`, true); err != nil {
			t.Errorf("9 on the version 2 scale: %v", err)
		}
		if e, err := db.Store.TrackerEntry(ctx, provider, c.Client.ID, "", old.ID); err != nil || e.Template.Version != 1 {
			t.Errorf("the entry before the change: %+v, %v; want version 1", e, err)
		}
		if _, err := db.Store.UpdateTracker(ctx, provider, c.Client.ID, s.tracker.ID, store.TrackerChange{GoalID: ptr("")}); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.RemoveTracker(ctx, provider, c.Client.ID, s.tracker.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.UpdateTracker(ctx, provider, c.Client.ID, s.tracker.ID, store.TrackerChange{Reminder: ptr(true)}); care.ErrorCode(err) != care.Conflict {
			t.Errorf("changing a removed tracker: %v, want conflict", err)
		}
	})
}

// TestTrackerReminder: a tracker with a reminder has its job at the next
// due time in the client's zone; firing it enqueues one notification and
// the next occurrence, once even if run again; a day the tracker was
// filled in gets none; a changed schedule supersedes the pending job, a
// removal or a reminder turned off withdraws it, a move to another time
// zone keeps the wall-clock time.
func TestTrackerReminder(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		st := db.Store
		st.SetEmailNotifications(true)
		// Friday 2026-12-04, 12:00 UTC: 07:00 in New York.
		db.Clock.Set(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC))
		c := storetest.SeedClinic(t, st, "Tracker Reminders")
		if _, err := db.Engine.SQLDB().Exec(`UPDATE users SET time_zone = 'America/New_York' WHERE id = $1`, c.Client.ID); err != nil {
			t.Fatal(err)
		}
		provider := c.Actor(c.Provider)
		tmpl := trackerTemplate()
		if err := st.CreateTrackerTemplate(ctx, provider, tmpl); err != nil {
			t.Fatal(err)
		}
		// Daily at 20:00 New York time; one without a reminder, one event log.
		tr := &care.Tracker{TemplateID: tmpl.ID, Reminder: true}
		quiet := &care.Tracker{TemplateID: tmpl.ID}
		event := &care.Tracker{TemplateID: tmpl.ID, Reminder: true, Schedule: care.TrackerSchedule{Kind: care.ScheduleEvent}}
		for _, x := range []*care.Tracker{tr, quiet, event} {
			if err := st.AssignTracker(ctx, provider, c.Client.ID, x); err != nil {
				t.Fatal(err)
			}
		}
		pending := func() []time.Time {
			t.Helper()
			rows, err := db.Engine.SQLDB().Query(`SELECT ref_at FROM jobs WHERE kind = $1 AND done_at IS NULL ORDER BY ref_at`, store.JobTrackerReminder)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out []time.Time
			for rows.Next() {
				var at int64
				if err := rows.Scan(&at); err != nil {
					t.Fatal(err)
				}
				out = append(out, time.UnixMicro(at).UTC())
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			return out
		}
		friday := time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC) // Friday 20:00 EST
		if got := pending(); len(got) != 1 || !got[0].Equal(friday) {
			t.Fatalf("pending reminders %v, want one at %v", got, friday)
		}
		if js := claimKind(t, st, store.JobTrackerReminder, "early"); len(js) != 0 {
			t.Fatalf("a reminder job was due at once: %+v", js)
		}
		db.Clock.Set(friday)
		js := claimKind(t, st, store.JobTrackerReminder, "w1")
		if len(js) != 1 || js[0].RefID != tr.ID {
			t.Fatalf("claimed %+v, want the tracker's reminder", js)
		}
		if queued, err := st.FireTrackerReminder(ctx, js[0]); err != nil || !queued {
			t.Fatalf("firing: %v %v, want a notification", queued, err)
		}
		// The same claim runs again (a retry after a lost commit reply):
		// nothing more.
		if queued, err := st.FireTrackerReminder(ctx, js[0]); err != nil || queued {
			t.Errorf("firing again: %v %v, want nothing queued", queued, err)
		}
		if n := len(claimKind(t, st, store.JobNotifyTracker, "w1")); n != 1 {
			t.Errorf("%d notifications, want 1", n)
		}
		saturday := friday.Add(24 * time.Hour)
		if got := pending(); len(got) != 1 || !got[0].Equal(saturday) {
			t.Fatalf("after firing, pending %v, want the next day's", got)
		}

		// Saturday: filled in before 20:00, so no notification.
		db.Clock.Set(saturday.Add(-2 * time.Hour))
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(`{"urge": 1}`), &raw); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateTrackerEntry(ctx, c.Actor(c.Client), c.Client.ID, tr.ID, store.TrackerEntryInput{OccurredAt: db.Clock.Now(), Values: raw}); err != nil {
			t.Fatal(err)
		}
		db.Clock.Set(saturday)
		js = claimKind(t, st, store.JobTrackerReminder, "w2")
		if len(js) != 1 {
			t.Fatalf("claimed %d on Saturday, want 1", len(js))
		}
		if queued, err := st.FireTrackerReminder(ctx, js[0]); err != nil || queued {
			t.Errorf("a day filled in: %v %v, want no notification", queued, err)
		}

		// A changed schedule supersedes the pending job.
		if _, err := st.UpdateTracker(ctx, provider, c.Client.ID, tr.ID, store.TrackerChange{
			Schedule: &care.TrackerSchedule{Kind: care.ScheduleWeekdays, Weekdays: []time.Weekday{time.Monday}, Minute: 9 * 60}}); err != nil {
			t.Fatal(err)
		}
		monday := time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC) // Monday 09:00 EST
		if got := pending(); len(got) != 1 || !got[0].Equal(monday) {
			t.Fatalf("after the change, pending %v, want Monday's %v", got, monday)
		}

		// A move to Berlin keeps 09:00, now Berlin time.
		p, err := st.Profile(ctx, c.Actor(c.Client))
		if err != nil {
			t.Fatal(err)
		}
		p.TimeZone = "Europe/Berlin"
		if err := st.UpdateProfile(ctx, c.Actor(c.Client), p); err != nil {
			t.Fatal(err)
		}
		berlin := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC) // Monday 09:00 CET
		if got := pending(); len(got) != 1 || !got[0].Equal(berlin) {
			t.Fatalf("after the move, pending %v, want %v", got, berlin)
		}

		// Off, or removed: nothing pending.
		if _, err := st.UpdateTracker(ctx, provider, c.Client.ID, tr.ID, store.TrackerChange{Reminder: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		if got := pending(); len(got) != 0 {
			t.Errorf("with the reminder off, pending %v", got)
		}
		if _, err := st.UpdateTracker(ctx, provider, c.Client.ID, tr.ID, store.TrackerChange{Reminder: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		if err := st.RemoveTracker(ctx, provider, c.Client.ID, tr.ID); err != nil {
			t.Fatal(err)
		}
		if got := pending(); len(got) != 0 {
			t.Errorf("after the removal, pending %v", got)
		}
	})
}

// TestTrackerTypedEntry: an entry built in code (typed values) obeys the
// same rules as one read from JSON, and the caller's values are left as
// they were.
func TestTrackerTypedEntry(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := setupTracker(t, db, "Tracker Typed")
		client := s.c.Actor(s.c.Client)
		typed := map[string]care.TrackerValue{
			"urge":  {Kind: care.FieldRating, Number: 3},
			"notes": {Kind: care.FieldLongText, Text: "  padded  "},
		}
		e, err := db.Store.CreateTrackerEntry(ctx, client, s.c.Client.ID, s.tracker.ID,
			store.TrackerEntryInput{OccurredAt: db.Clock.Now(), Typed: typed})
		if err != nil {
			t.Fatal(err)
		}
		if e.Values["notes"].Text != "padded" || typed["notes"].Text != "  padded  " {
			t.Errorf("stored %q, the caller's value became %q", e.Values["notes"].Text, typed["notes"].Text)
		}
		bad := map[string]care.TrackerValue{"urge": {Kind: care.FieldRating, Number: 6}}
		_, err = db.Store.CreateTrackerEntry(ctx, client, s.c.Client.ID, s.tracker.ID, store.TrackerEntryInput{OccurredAt: db.Clock.Now(), Typed: bad})
		var ce *care.Error
		if !errors.As(err, &ce) || ce.Field != "values.urge" {
			t.Errorf("a typed rating out of its scale: %v, want invalid on values.urge", err)
		}
	})
}

// TestTrackerOfDeletedClient: deleting a client (crypto-shredding) turns
// their trackers' reminders off, and a pending reminder job then does
// nothing; the entries cannot be opened any more.
func TestTrackerOfDeletedClient(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		db.Store.SetEmailNotifications(true)
		s := setupTracker(t, db, "Tracker Shred") // daily at 20:00 with a reminder
		c := s.c
		s.mustWrite(t, db, `{"notes": "something only the client knows"}`, true)
		admin := c.Actor(c.Admin)
		if err := db.Store.SetRetentionDays(ctx, admin, 0); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.DeleteClient(ctx, admin, c.Client.ID, "retention-expired"); err != nil {
			t.Fatal(err)
		}
		var on int
		if err := db.Engine.SQLDB().QueryRow(`SELECT reminder FROM client_trackers WHERE id = $1`, s.tracker.ID).Scan(&on); err != nil || on != 0 {
			t.Errorf("the deleted client's tracker reminder is %d (%v), want off", on, err)
		}
		db.Clock.Advance(25 * time.Hour)
		js := claimKind(t, db.Store, store.JobTrackerReminder, "w")
		if len(js) != 1 {
			t.Fatalf("claimed %d reminder jobs, want the one pending", len(js))
		}
		if queued, err := db.Store.FireTrackerReminder(ctx, js[0]); err != nil || queued {
			t.Errorf("a deleted client's reminder: %v %v, want nothing", queued, err)
		}
		if _, err := db.Store.TrackerEntries(ctx, c.Actor(c.Provider), c.Client.ID, store.TrackerEntryQuery{}); err == nil {
			t.Error("a deleted client's tracker entries can still be read")
		}
	})
}

// TestCaseloadMissedTrackers (#19): the caseload counts, per client, the
// days of the last week (today left out) a tracker was due and no shared
// entry came; a private entry counts as nothing for the care team, and
// the client with more missed days comes first among equals.
func TestCaseloadMissedTrackers(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		// Assigned ten days ago, before the day's due time (daily at 20:00).
		now := time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
		db.Clock.Set(now.AddDate(0, 0, -10).Add(-6 * time.Hour))
		s := setupTracker(t, db, "Tracker Caseload")
		loc := care.Location(s.c.Client.TimeZone)
		db.Clock.Set(now)
		today := now.In(loc)
		// Shared entries on four of the last seven days, a private one on a
		// fifth; none yesterday.
		for back, shared := range map[int]bool{2: true, 3: true, 5: true, 7: true, 4: false} {
			at := time.Date(today.Year(), today.Month(), today.Day()-back, 21, 0, 0, 0, loc)
			if _, err := db.Store.CreateTrackerEntry(ctx, s.c.Actor(s.c.Client), s.c.Client.ID, s.tracker.ID,
				store.TrackerEntryInput{OccurredAt: at, Values: map[string]json.RawMessage{"urge": json.RawMessage("2")}, Shared: &shared}); err != nil {
				t.Fatal(err)
			}
		}
		list, err := db.Store.Caseload(ctx, s.c.Actor(s.c.Provider))
		if err != nil {
			t.Fatal(err)
		}
		for _, cs := range list {
			want := 0
			if cs.ID == s.c.Client.ID {
				want = 3 // 7 due, 4 shared
			}
			if cs.Need.MissedTrackers != want {
				t.Errorf("%s: %d missed tracker days, want %d", cs.DisplayName, cs.Need.MissedTrackers, want)
			}
		}
		if len(list) == 0 || list[0].ID != s.c.Client.ID {
			t.Errorf("the client who missed tracker days is not first: %v", list)
		}
	})
}
