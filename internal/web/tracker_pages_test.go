package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// trackerTemplateID is the id of the seeded template with key in the
// clinic's library.
func trackerTemplateID(t *testing.T, j *journalEnv, key string) string {
	t.Helper()
	tmpls, err := j.db.Store.TrackerTemplates(context.Background(), actorOf(j.c.Provider), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range tmpls {
		if tm.Key == key {
			return tm.ID
		}
	}
	t.Fatalf("no template %s in the library", key)
	return ""
}

// mustContain fails for each of wants that body lacks.
func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

// mustNotContain fails for each of nots that body has.
func mustNotContain(t *testing.T, what, body string, nots ...string) {
	t.Helper()
	for _, n := range nots {
		if strings.Contains(body, n) {
			t.Errorf("%s shows %q", what, n)
		}
	}
}

// TestTrackerPages (issue #19): the provider assigns trackers from the
// seeded library on the client's trackers page (a refused form shown
// again with its error by its field); the client sees them on Home, fills
// the form of each (refused values shown again beside the field, 400,
// nothing stored; then one shared, one private with crisis words, each a
// redirect); the client's page charts them; the provider's page and the
// brief show the shared entry and nothing of the private one, not even a
// count; removing a tracker keeps its entries and closes its form.
func TestTrackerPages(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		j := newJournalEnv(t, db)
		if n, err := db.Store.SeedTrackerLibrary(ctx, j.c.Clinic.ID); err != nil || n != len(care.TrackerLibrary()) {
			t.Fatalf("seeding the library: %d, %v", n, err)
		}
		if n, err := db.Store.SeedTrackerLibrary(ctx, j.c.Clinic.ID); err != nil || n != 0 {
			t.Fatalf("seeding the library again: %d, %v; want 0 added", n, err)
		}
		goal := j.goal(t, j.c.Client, j.c.Provider, "Sleep before midnight")
		base := "/clients/" + j.c.Client.ID + "/trackers"

		// The library, for staff only.
		rec := j.call(t, "GET", "/trackers/library", j.provider, nil)
		expect(t, rec, 200, "", "the library")
		mustContain(t, "the library", rec.Body.String(), "Sleep diary", "Thought record", "Version 1", "main measure")
		expect(t, j.call(t, "GET", "/trackers/library", j.client, nil), 404, "", "the library for a client")

		// The provider's page: nothing yet, the form to assign.
		rec = j.call(t, "GET", base, j.provider, nil)
		expect(t, rec, 200, "", "the provider's trackers page")
		mustContain(t, "the provider's page", rec.Body.String(), "No tracker is assigned", `name="template_id"`, "Sleep before midnight")
		expect(t, j.call(t, "GET", base, j.other, nil), 404, "", "another provider's view")
		if rec = j.call(t, "GET", base, j.client, nil); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/trackers" {
			t.Errorf("the client at the provider's page: %d %s", rec.Code, rec.Header().Get("Location"))
		}

		// A refused assignment: no template chosen.
		rec = j.form(t, base, j.provider, url.Values{"template_id": {""}, "schedule": {""}, "time": {"20:00"}})
		expect(t, rec, 400, "", "assigning nothing")
		mustContain(t, "the refused assignment", rec.Body.String(), `class="error-summary"`, `href="#assign-template"`, `aria-invalid="true"`)
		rec = j.form(t, base, j.provider, url.Values{"template_id": {trackerTemplateID(t, j, care.TrackerKeySleepDiary)}, "schedule": {"daily"}, "time": {"7 o'clock"}})
		expect(t, rec, 400, "", "assigning at no time")
		mustContain(t, "the refused assignment", rec.Body.String(), `href="#assign-time"`)

		// Two assignments, each a redirect.
		sleepTmpl, thoughtTmpl := trackerTemplateID(t, j, care.TrackerKeySleepDiary), trackerTemplateID(t, j, care.TrackerKeyThoughtRecord)
		rec = j.form(t, base, j.provider, url.Values{"template_id": {sleepTmpl}, "goal_id": {goal}, "schedule": {"daily"}, "time": {"23:59"}, "reminder": {"on"}})
		expect(t, rec, 303, "", "assigning the sleep diary")
		if loc := rec.Header().Get("Location"); !strings.HasPrefix(loc, base+"?done=tracker-assigned#tracker-") {
			t.Errorf("after assigning: %s", loc)
		}
		rec = j.form(t, base, j.provider, url.Values{"template_id": {thoughtTmpl}, "schedule": {""}})
		expect(t, rec, 303, "", "assigning the thought record")
		trackers, err := db.Store.TrackersOfClient(ctx, actorOf(j.c.Provider), j.c.Client.ID, false)
		if err != nil || len(trackers) != 2 {
			t.Fatalf("trackers: %v %v", trackers, err)
		}
		var sleep, thought care.Tracker
		for _, tr := range trackers {
			switch tr.TemplateID {
			case sleepTmpl:
				sleep = tr
			case thoughtTmpl:
				thought = tr
			}
		}
		if sleep.Schedule.Kind != care.ScheduleDaily || sleep.Schedule.Minute != 23*60+59 || !sleep.Reminder || sleep.GoalID != goal {
			t.Errorf("the sleep diary as assigned: %+v", sleep)
		}
		if thought.Schedule.Kind != care.ScheduleEvent {
			t.Errorf("the thought record keeps the template's schedule: %+v", thought.Schedule)
		}

		// The client's Home: one line each, what is due, a link to fill in.
		home := j.call(t, "GET", "/", j.client, nil).Body.String()
		mustContain(t, "the client's home", home, "This week your care team asked you to", "Sleep diary", "Due today", "Thought record",
			`href="/trackers/`+sleep.ID+`/new"`, `href="/trackers/`+thought.ID+`/new"`)

		// The form of the sleep diary, by kind.
		rec = j.call(t, "GET", "/trackers/"+sleep.ID+"/new", j.client, nil)
		expect(t, rec, 200, "", "the sleep diary's form")
		mustContain(t, "the sleep diary's form", rec.Body.String(), `type="time"`, `name="f_into_bed"`, `type="radio" name="f_quality" value="5"`,
			`(Very badly)`, `name="f_awakenings" type="number" min="0"`, `name="shared"`, `name="discuss"`, "Why we track this")
		expect(t, j.call(t, "GET", "/trackers/"+sleep.ID+"/new", j.provider, nil), 404, "", "the form for a provider")

		now := db.Clock.Now().In(care.Location(j.c.Client.TimeZone))
		when := now.Add(-time.Hour).Format("2006-01-02T15:04")
		entries := func() int { return j.count(t, "tracker_entries") }

		// Refused: out of the scale, then a required field missing; the
		// values stay, nothing is stored.
		bad := url.Values{"occurred_at": {when}, "f_into_bed": {"23:10"}, "f_out_of_bed": {"07:00"}, "f_quality": {"9"}, "f_note": {"kept words"}, "shared": {"on"}}
		rec = j.form(t, "/trackers/"+sleep.ID+"/entries", j.client, bad)
		expect(t, rec, 400, "", "a quality of 9")
		mustContain(t, "the refused entry", rec.Body.String(), `class="error-summary"`, `href="#f-quality-0"`, `aria-invalid="true"`, "kept words", `value="23:10"`)
		bad.Set("f_quality", "2")
		bad.Del("f_out_of_bed")
		rec = j.form(t, "/trackers/"+sleep.ID+"/entries", j.client, bad)
		expect(t, rec, 400, "", "no time out of bed")
		mustContain(t, "the refused entry", rec.Body.String(), `href="#f-out_of_bed"`)
		bad.Set("occurred_at", "yesterday")
		rec = j.form(t, "/trackers/"+sleep.ID+"/entries", j.client, bad)
		expect(t, rec, 400, "", "a time that is not one")
		mustContain(t, "the refused entry", rec.Body.String(), `href="#occurred-at"`)
		bad.Set("occurred_at", when)
		bad.Set("f_awakenings", "-1")
		bad.Set("f_out_of_bed", "07:00")
		expect(t, j.form(t, "/trackers/"+sleep.ID+"/entries", j.client, bad), 400, "", "a negative count")
		if n := entries(); n != 0 {
			t.Fatalf("%d entries stored by refused forms", n)
		}

		// The shared sleep diary entry, to bring up.
		good := url.Values{"occurred_at": {when}, "f_into_bed": {"23:10"}, "f_out_of_bed": {"07:00"}, "f_quality": {"2"}, "f_awakenings": {"3"},
			"f_minutes_to_fall_asleep": {"40"}, "f_note": {"Late coffee at the office"}, "shared": {"on"}, "discuss": {"on"}}
		rec = j.form(t, "/trackers/"+sleep.ID+"/entries", j.client, good)
		expect(t, rec, 303, "", "a sleep diary entry")
		loc, _, _ := strings.Cut(rec.Header().Get("Location"), "#") // a browser keeps the fragment
		if !strings.HasPrefix(loc, "/trackers?done=tracker-saved&saved=") {
			t.Fatalf("after an entry: %s", loc)
		}
		page := j.call(t, "GET", loc, j.client, nil).Body.String()
		mustContain(t, "the trackers page after an entry", page, "Your entry is saved.", `<circle class="point"`, "Late coffee at the office",
			"Sleep diary: How well did I sleep?", "Filled in on 1 of 1 day it was due")
		mustNotContain(t, "the trackers page after a calm entry", page, "crisis-now")
		mustContain(t, "the trackers page", page, `href="/more" class="tab tab-More" aria-current="true"`) // a page of the More tab

		// The private thought record, with words of crisis: the banner,
		// nobody told.
		private := url.Values{"occurred_at": {when}, "f_situation": {"Alone at home, I want to kill myself"}, "f_feeling_before": {"9"},
			"f_thought": {"Nobody would notice the private thought"}}
		rec = j.form(t, "/trackers/"+thought.ID+"/entries", j.client, private)
		expect(t, rec, 303, "", "a private thought record")
		loc, _, _ = strings.Cut(rec.Header().Get("Location"), "#") // a browser keeps the fragment
		page = j.call(t, "GET", loc, j.client, nil).Body.String()
		mustContain(t, "the page after a private entry with crisis words", page, "crisis-now", "Nobody has been told", "Nobody would notice the private thought")
		if n := entries(); n != 2 {
			t.Fatalf("%d entries, want 2", n)
		}

		// The provider's page and the brief: the shared entry, nothing of
		// the private one, not even a count.
		for _, path := range []string{base, "/clients/" + j.c.Client.ID + "/brief"} {
			rec = j.call(t, "GET", path, j.provider, nil)
			expect(t, rec, 200, "", path)
			body := rec.Body.String()
			mustContain(t, path, body, "Sleep diary", "Late coffee at the office", "Thought record", "0 entries", "Bring this up")
			mustNotContain(t, path, body, "Nobody would notice", "kill myself", "1 entry")
		}
		brief := j.call(t, "GET", "/clients/"+j.c.Client.ID+"/brief", j.provider, nil).Body.String()
		mustContain(t, "the brief", brief, `id="trackers"`, `Marked "bring this up"`, "Sleep diary: How well did I sleep?")
		record := j.call(t, "GET", "/clients/"+j.c.Client.ID, j.provider, nil).Body.String()
		mustContain(t, "the client page", record, `href="/clients/`+j.c.Client.ID+`/trackers">Trackers</a>`)

		// Removing: its entries stay, its form is gone, another client's
		// tracker is nobody's business.
		rec = j.form(t, base+"/"+sleep.ID+"/remove", j.provider, url.Values{})
		expect(t, rec, 303, "", "removing the sleep diary")
		if loc := rec.Header().Get("Location"); loc != base+"?done=tracker-removed" {
			t.Errorf("after removing: %s", loc)
		}
		expect(t, j.call(t, "GET", "/trackers/"+sleep.ID+"/new", j.client, nil), 410, "", "the form of a removed tracker")
		expect(t, j.form(t, "/trackers/"+sleep.ID+"/entries", j.client, good), 410, "", "an entry in a removed tracker")
		if n := entries(); n != 2 {
			t.Errorf("%d entries after removing, want 2", n)
		}
		home = j.call(t, "GET", "/", j.client, nil).Body.String()
		mustNotContain(t, "the home after removing", home, `href="/trackers/`+sleep.ID+`/new"`)
		expect(t, j.form(t, "/clients/"+j.c.OtherClient.ID+"/trackers/"+thought.ID+"/remove", j.provider, url.Values{}), 404, "", "removing through another client")
		expect(t, j.call(t, "GET", "/trackers/"+care.NewID()+"/new", j.client, nil), 404, "", "an unknown tracker")

		// A shared entry with words of crisis: the banner says the care
		// team was told, and a safety flag is raised.
		flags := j.count(t, "safety_flags")
		private.Set("shared", "on")
		rec = j.form(t, "/trackers/"+thought.ID+"/entries", j.client, private)
		expect(t, rec, 303, "", "a shared thought record with crisis words")
		loc, _, _ = strings.Cut(rec.Header().Get("Location"), "#")
		page = j.call(t, "GET", loc, j.client, nil).Body.String()
		mustContain(t, "the page after a shared entry with crisis words", page, "crisis-now", "Your care team has been told")
		if n := j.count(t, "safety_flags"); n != flags+1 {
			t.Errorf("%d safety flags after a shared entry with crisis words, want %d", n, flags+1)
		}

		// The form's sharing starts from the journal's setting.
		if strings.Contains(j.call(t, "GET", "/trackers/"+thought.ID+"/new", j.client, nil).Body.String(), `name="shared" aria-describedby="shared-hint" checked`) {
			t.Error("the form shares by default, but the client's journal does not")
		}
		if err := db.Store.SetShareByDefault(ctx, actorOf(j.c.Client), true); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(j.call(t, "GET", "/trackers/"+thought.ID+"/new", j.client, nil).Body.String(), `name="shared" aria-describedby="shared-hint" checked`) {
			t.Error("the form does not share by default, but the client's journal does")
		}
	})
}

// TestTrackerTemplateEditKeepsEntries (#19): a template edited after
// entries exist changes no entry: on the client's page and the care
// team's, the old entry still shows the question as it was asked, with its
// version, and an entry written after the tracker moved to the new
// version shows the new wording with that version.
func TestTrackerTemplateEditKeepsEntries(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		j := newJournalEnv(t, db)
		provider, client := actorOf(j.c.Provider), actorOf(j.c.Client)
		tmpl := care.TrackerLibraryTemplate(care.TrackerKeyMedication)
		if err := db.Store.CreateTrackerTemplate(ctx, provider, tmpl); err != nil {
			t.Fatal(err)
		}
		tr := &care.Tracker{TemplateID: tmpl.ID}
		if err := db.Store.AssignTracker(ctx, provider, j.c.Client.ID, tr); err != nil {
			t.Fatal(err)
		}
		write := func(note string) {
			t.Helper()
			shared := true
			if _, err := db.Store.CreateTrackerEntry(ctx, client, j.c.Client.ID, tr.ID, store.TrackerEntryInput{
				OccurredAt: db.Clock.Now(), Shared: &shared,
				Typed: map[string]care.TrackerValue{"took_as_planned": {Kind: care.FieldYesNo, Bool: true}, "note": {Kind: care.FieldText, Text: note}}}); err != nil {
				t.Fatal(err)
			}
		}
		const oldLabel, newLabel = "Today I took my medication as planned", "Did you take every dose today"
		write("before the edit")

		edited := care.TrackerLibraryTemplate(care.TrackerKeyMedication)
		for i := range edited.Fields {
			if edited.Fields[i].ID == "took_as_planned" {
				edited.Fields[i].Label = newLabel
			}
		}
		if err := db.Store.UpdateTrackerTemplate(ctx, provider, tmpl.ID, 1, edited); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.UpdateTracker(ctx, provider, j.c.Client.ID, tr.ID, store.TrackerChange{TemplateVersion: edited.Version}); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(time.Minute)
		write("after the edit")

		for _, page := range []struct{ who, token, path string }{
			{"client", j.client, "/trackers"},
			{"provider", j.provider, "/clients/" + j.c.Client.ID + "/trackers"},
		} {
			body := j.call(t, "GET", page.path, page.token, nil).Body.String()
			before, after := entryOn(body, "before the edit"), entryOn(body, "after the edit")
			if !strings.Contains(before, oldLabel) || strings.Contains(before, newLabel) || !strings.Contains(before, "version 1") {
				t.Errorf("%s: the entry written before the edit reads %q, want the old question and version 1", page.who, before)
			}
			if !strings.Contains(after, newLabel) || !strings.Contains(after, "version 2") {
				t.Errorf("%s: the entry written after the edit reads %q, want the new question and version 2", page.who, after)
			}
		}
	})
}

// entryOn is the <li class="tracker-entry"> of body that holds text.
func entryOn(body, text string) string {
	for _, li := range strings.Split(body, `<li class="tracker-entry">`)[1:] {
		li, _, _ = strings.Cut(li, "</li>")
		if strings.Contains(li, text) {
			return li
		}
	}
	return ""
}
