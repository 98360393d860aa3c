package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// ---- The authorization matrix's tracker cells (authz_test.go) ----

// tLibrary is a template of the caller's clinic's library.
const tLibrary target = "library-template"

var templateTargets = []target{tLibrary, tOther, tMissing}

// libraryPolicy: the clinic's admins and providers read and edit its
// library; a client is refused outright.
func libraryPolicy(status int) func(caller, target) int {
	return func(c caller, _ target) int {
		switch c {
		case asAnonymous:
			return 401
		case asClient:
			return 403
		}
		return status
	}
}

// templatePolicy: as libraryPolicy, for one template: another clinic's
// answers as a missing one.
func templatePolicy(status int) func(caller, target) int {
	return func(c caller, tg target) int {
		switch {
		case c == asAnonymous:
			return 401
		case c == asClient:
			return 403
		case tg == tLibrary:
			return status
		}
		return 404
	}
}

// matrixTemplate is a small valid template body.
func matrixTemplate() map[string]any {
	return map[string]any{
		"name": "Sleep", "explainer": "To see how you sleep.",
		"schedule": map[string]any{"kind": "daily", "time": "08:00"},
		"fields": []map[string]any{
			{"id": "hours", "kind": "duration", "label": "How long you slept", "main": true},
			{"id": "note", "kind": "longtext", "label": "Anything else"},
		},
	}
}

// templateIn returns a template of clinic k's library, made once.
func (w *authzWorld) templateIn(t *testing.T, k *storetest.Clinic) *care.TrackerTemplate {
	t.Helper()
	list, err := w.e.db.Store.TrackerTemplates(context.Background(), k.Actor(k.Admin), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) > 0 {
		return &list[0]
	}
	tmpl := &care.TrackerTemplate{Name: "Sleep", Explainer: "To see how you sleep.",
		Schedule: care.TrackerSchedule{Kind: care.ScheduleDaily, Minute: 8 * 60},
		Fields: []care.TrackerField{{ID: "hours", Kind: care.FieldDuration, Label: "How long you slept", Main: true},
			{ID: "note", Kind: care.FieldLongText, Label: "Anything else"}}}
	if err := w.e.db.Store.CreateTrackerTemplate(context.Background(), k.Actor(k.Admin), tmpl); err != nil {
		t.Fatal(err)
	}
	if k == w.b {
		w.foreign = append(w.foreign, tmpl.ID)
	}
	return tmpl
}

// clinicOf is the seeded clinic of u.
func (w *authzWorld) clinicOf(u care.User) *storetest.Clinic {
	if u.ClinicID == w.b.Clinic.ID {
		return w.b
	}
	return w.a
}

// trackerOf returns the id of the user in relation tg to the caller and
// of a tracker of theirs, when a seeded client: one kept for the matrix
// (a client has at most care.MaxTrackersPerClient), or with fresh a new
// one (to remove).
func (w *authzWorld) trackerOf(t *testing.T, c caller, tg target, fresh bool) (clientID, trackerID string) {
	t.Helper()
	u := w.user(c, tg)
	provider, ok := w.providerOf(u)
	if tg == tMissing || !ok {
		return u.ID, care.NewID()
	}
	if w.trackers == nil {
		w.trackers = map[string]string{}
	}
	if id := w.trackers[u.ID]; id != "" && !fresh {
		return u.ID, id
	}
	tr := &care.Tracker{TemplateID: w.templateIn(t, w.clinicOf(u)).ID}
	if err := w.e.db.Store.AssignTracker(context.Background(), provider, u.ID, tr); err != nil {
		t.Fatal(err)
	}
	if u.ClinicID == w.b.Clinic.ID {
		w.foreign = append(w.foreign, tr.ID)
	}
	if !fresh {
		w.trackers[u.ID] = tr.ID
	}
	return u.ID, tr.ID
}

// trackerEntryOf makes a fresh entry in relation tg to the caller (as
// journalEntryOf) and returns the path of it.
func (w *authzWorld) trackerEntryOf(t *testing.T, c caller, tg target) string {
	t.Helper()
	if tg == tMissing {
		return "/api/v1/clients/" + care.NewID() + "/trackers/" + care.NewID() + "/entries/" + care.NewID()
	}
	u, shared := w.user(c, tg), true
	if tg == tPrivate {
		u, shared = w.a.Client, false
	}
	if _, ok := w.providerOf(u); !ok {
		return "/api/v1/clients/" + u.ID + "/trackers/" + care.NewID() + "/entries/" + care.NewID()
	}
	var tracker string
	if tg == tPrivate {
		_, tracker = w.trackerOf(t, asClient, tSelf, false)
	} else {
		_, tracker = w.trackerOf(t, c, tg, false)
	}
	e, err := w.e.db.Store.CreateTrackerEntry(context.Background(), actorOf(u), u.ID, tracker,
		trackerInput(w.e.db.Clock.Now(), `{"hours": 420}`, &shared))
	if err != nil {
		t.Fatal(err)
	}
	if u.ClinicID == w.b.Clinic.ID {
		w.foreign = append(w.foreign, e.ID)
	}
	return "/api/v1/clients/" + u.ID + "/trackers/" + tracker + "/entries/" + e.ID
}

func trackerEntryRequest(body any) authzRequest {
	return authzRequest{targets: journalEntryTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		return w.trackerEntryOf(t, c, tg), body
	}}
}

func templateRequest(body any) authzRequest {
	return authzRequest{targets: templateTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		switch tg {
		case tLibrary:
			return "/api/v1/tracker-templates/" + w.templateIn(t, w.a).ID, body
		case tOther:
			return "/api/v1/tracker-templates/" + w.templateIn(t, w.b).ID, body
		}
		return "/api/v1/tracker-templates/" + care.NewID(), body
	}}
}

var (
	trackerTemplatesRequest = authzRequest{build: fixedRequest("/api/v1/tracker-templates", nil)}
	trackerTemplateCreate   = authzRequest{build: fixedRequest("/api/v1/tracker-templates", matrixTemplate())}
	trackerTemplateRead     = templateRequest(nil)
	trackerTemplateUpdate   = templateRequest(matrixTemplate())
	trackersRequest         = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		client, _ := w.trackerOf(t, c, tg, false)
		return "/api/v1/clients/" + client + "/trackers", nil
	}}
	trackerAssignRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		u := w.user(c, tg)
		return "/api/v1/clients/" + u.ID + "/trackers", map[string]any{"template_id": w.templateIn(t, w.clinicOf(u)).ID}
	}}
	trackerUpdateRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		client, tracker := w.trackerOf(t, c, tg, false)
		return "/api/v1/clients/" + client + "/trackers/" + tracker, map[string]any{"reminder": true}
	}}
	trackerRemoveRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		client, tracker := w.trackerOf(t, c, tg, true)
		return "/api/v1/clients/" + client + "/trackers/" + tracker, nil
	}}
	trackerEntriesRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		if c == asProvider && tg == tTeam { // the client has shared and private entries, in a tracker of their own
			client, tracker := w.trackerOf(t, c, tg, true)
			ctx := context.Background()
			for _, shared := range []bool{true, false} {
				if _, err := w.e.db.Store.CreateTrackerEntry(ctx, actorOf(w.a.Client), client, tracker,
					trackerInput(w.e.db.Clock.Now(), `{"hours": 400}`, &shared)); err != nil {
					t.Fatal(err)
				}
			}
			return "/api/v1/clients/" + client + "/trackers/" + tracker + "/entries", nil
		}
		client, tracker := w.trackerOf(t, c, tg, false)
		return "/api/v1/clients/" + client + "/trackers/" + tracker + "/entries", nil
	}, after: onlySharedTrackerEntries}
	trackerEntryCreate = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		client, tracker := w.trackerOf(t, c, tg, false)
		return "/api/v1/clients/" + client + "/trackers/" + tracker + "/entries", map[string]any{
			"occurred_at": w.e.db.Clock.Now().Add(-time.Hour).Format(time.RFC3339), "values": map[string]any{"hours": 480}}
	}}
	trackerEntryRead   = trackerEntryRequest(nil)
	trackerEntryUpdate = trackerEntryRequest(map[string]any{"discuss_next_session": true})
)

// onlySharedTrackerEntries: a provider's list of a client's tracker
// entries holds shared entries only.
func onlySharedTrackerEntries(t *testing.T, w *authzWorld, c caller, got map[target]*httptest.ResponseRecorder) {
	if c != asProvider {
		return
	}
	list := respJSON[trackerEntriesOf](t, got[tTeam]).Entries
	if len(list) != 1 {
		t.Errorf("the provider's list of their client's tracker entries holds %d, want the one shared: %s", len(list), got[tTeam].Body)
	}
	for _, e := range list {
		var shared int
		if err := w.e.db.Engine.SQLDB().QueryRow(`SELECT shared FROM tracker_entries WHERE id = $1`, e.ID).Scan(&shared); err != nil {
			t.Fatal(err)
		}
		if shared != 1 || !e.Shared {
			t.Errorf("the provider's list holds entry %s, which is private", e.ID)
		}
	}
}

// trackerInput is an entry input with values as JSON, an hour before now.
func trackerInput(now time.Time, values string, shared *bool) store.TrackerEntryInput {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(values), &raw); err != nil {
		panic(err) // a test's own literal
	}
	return store.TrackerEntryInput{OccurredAt: now.Add(-time.Hour), Values: raw, Shared: shared}
}

// ---- The answers, as tests read them ----

type trackerEntryOf struct {
	ID                 string         `json:"id"`
	TrackerID          string         `json:"tracker_id"`
	TemplateVersion    int            `json:"template_version"`
	Shared             bool           `json:"shared"`
	DiscussNextSession bool           `json:"discuss_next_session"`
	Values             map[string]any `json:"values"`
	Template           *struct {
		Version int `json:"version"`
		Fields  []struct {
			ID    string `json:"id"`
			Label string `json:"label"`
		} `json:"fields"`
	} `json:"template"`
	CrisisResources []any `json:"crisis_resources"`
}

type trackerEntriesOf struct {
	Entries   []trackerEntryOf `json:"entries"`
	Templates []struct {
		ID      string `json:"id"`
		Version int    `json:"version"`
	} `json:"templates"`
	Next string `json:"next"`
}

// allKindsTemplate is a template body with a field of every kind.
func allKindsTemplate() map[string]any {
	return map[string]any{
		"name": "Diary card", "explainer": "So we can see together how urges and skills change over the week.",
		"schedule": map[string]any{"kind": "weekdays", "weekdays": []string{"mon", "thu"}, "time": "20:00"},
		"fields": []map[string]any{
			{"id": "intro", "kind": "info", "help": "Fill this in at the end of the day."},
			{"id": "urge", "kind": "rating", "label": "Urge", "min": 0, "max": 5, "min_label": "none", "max_label": "extreme", "main": true},
			{"id": "used_skills", "kind": "yesno", "label": "Used skills"},
			{"id": "drinks", "kind": "count", "label": "Drinks", "max": 50},
			{"id": "exercise", "kind": "duration", "label": "Exercise"},
			{"id": "bedtime", "kind": "time", "label": "Went to bed"},
			{"id": "emotion", "kind": "choice", "label": "Strongest emotion", "options": []string{"sadness", "anger", "fear", "joy"}},
			{"id": "skills", "kind": "multichoice", "label": "Skills used", "options": []string{"wise mind", "opposite action", "TIPP"}},
			{"id": "situation", "kind": "text", "label": "Situation", "max_len": 40},
			{"id": "notes", "kind": "longtext", "label": "Anything else"},
		},
	}
}

// TestTrackersAPI walks the trackers' API as a provider and a client
// would, each request and answer checked against the OpenAPI document:
// the library, an assignment, strict input of every field kind (400,
// nothing stored), private and shared entries, a template change after
// entries exist, and a removal that keeps the entries.
func TestTrackersAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "Trackers API")
		e.setPassword(t, c.Client)
		client := e.signIn(t, c.Client)
		provider := e.signInWithTOTP(t, c.Provider)
		other := e.signInWithTOTP(t, c.OtherProvider)
		v := newOpenAPIBodies(t)
		call := func(method, template, path, token string, body any, status int) *httptest.ResponseRecorder {
			t.Helper()
			if body != nil {
				v.checkRequest(t, method, template, body)
			}
			rec := e.call(t, method, path, token, body)
			if rec.Code != status {
				t.Fatalf("%s %s = %d, want %d: %s", method, path, rec.Code, status, rec.Body)
			}
			if rec.Code != http.StatusNoContent {
				v.checkAnswer(t, method, template, rec.Code, rec.Body.Bytes())
			}
			return rec
		}
		clientPath := "/api/v1/clients/" + c.Client.ID

		// The library.
		call("POST", "/api/v1/tracker-templates", "/api/v1/tracker-templates", client, allKindsTemplate(), 403)
		rec := call("POST", "/api/v1/tracker-templates", "/api/v1/tracker-templates", provider, allKindsTemplate(), 201)
		tmpl := respJSON[trackerTemplateJSON](t, rec)
		if tmpl.Version != 1 || len(tmpl.Fields) != 10 || tmpl.Schedule.Time != "20:00" || strings.Join(tmpl.Schedule.Weekdays, ",") != "mon,thu" ||
			*tmpl.Fields[1].Max != 5 || tmpl.Fields[9].MaxLen != care.MaxLongTextLen {
			t.Fatalf("created template: %s", rec.Body)
		}
		bad := allKindsTemplate()
		bad["fields"].([]map[string]any)[6]["options"] = []string{"only one"}
		rec = e.call(t, "POST", "/api/v1/tracker-templates", provider, bad)
		if rec.Code != 400 || respError(rec).Error.Field != "fields.6.options" {
			t.Errorf("a choice of one option: %d %s, want 400 on fields.6.options", rec.Code, rec.Body)
		}
		noSchedule := allKindsTemplate()
		delete(noSchedule, "schedule")
		rec = e.call(t, "POST", "/api/v1/tracker-templates", provider, noSchedule)
		if rec.Code != 400 || respError(rec).Error.Field != "schedule.kind" {
			t.Errorf("a template without a schedule: %d %s, want 400 on schedule.kind", rec.Code, rec.Body)
		}
		list := respJSON[struct {
			Templates []trackerTemplateJSON `json:"templates"`
		}](t, call("GET", "/api/v1/tracker-templates", "/api/v1/tracker-templates", provider, nil, 200))
		if len(list.Templates) != 1 || list.Templates[0].ID != tmpl.ID {
			t.Errorf("the library lists %d templates, want the one made", len(list.Templates))
		}

		// An assignment, with the template's schedule.
		call("POST", "/api/v1/clients/{id}/trackers", clientPath+"/trackers", client, map[string]any{"template_id": tmpl.ID}, 403)
		rec = call("POST", "/api/v1/clients/{id}/trackers", clientPath+"/trackers", provider, map[string]any{"template_id": tmpl.ID, "reminder": true}, 201)
		tr := respJSON[trackerJSON](t, rec)
		if tr.TemplateVersion != 1 || tr.Schedule.Kind != "weekdays" || !tr.Reminder || tr.Template.Explainer == "" {
			t.Fatalf("assigned: %s", rec.Body)
		}
		entries := clientPath + "/trackers/" + tr.ID + "/entries"
		const entriesT = "/api/v1/clients/{id}/trackers/{trid}/entries"
		const entryT = "/api/v1/clients/{id}/trackers/{trid}/entries/{eid}"
		at := db.Clock.Now().Add(-time.Hour).UTC().Format(time.RFC3339)

		// Strict input: each kind refuses what is not its answer.
		for _, tc := range []struct {
			values string
			field  string
		}{
			{`{"urge": 6}`, "values.urge"},
			{`{"urge": 2.5}`, "values.urge"},
			{`{"used_skills": "yes"}`, "values.used_skills"},
			{`{"drinks": -1}`, "values.drinks"},
			{`{"drinks": 51}`, "values.drinks"},
			{`{"exercise": 10081}`, "values.exercise"},
			{`{"bedtime": "7pm"}`, "values.bedtime"},
			{`{"emotion": "boredom"}`, "values.emotion"},
			{`{"skills": ["yoga"]}`, "values.skills"},
			{`{"situation": "` + strings.Repeat("x", 41) + `"}`, "values.situation"},
			{`{"notes": 5}`, "values.notes"},
			{`{"intro": "hello"}`, "values.intro"},
			{`{"mood": 3}`, "values"},
			{`{}`, "values"},
		} {
			body := `{"occurred_at": "` + at + `", "values": ` + tc.values + `}`
			rec := e.send(t, envRequest{method: "POST", path: entries, token: client, body: body})
			if rec.Code != 400 || respError(rec).Error.Code != "invalid" || respError(rec).Error.Field != tc.field {
				t.Errorf("%s: %d %s, want 400 invalid on %s", tc.values, rec.Code, strings.TrimSpace(rec.Body.String()), tc.field)
			}
		}
		var n int
		if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM tracker_entries`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d entries stored from bad input (%v), want 0", n, err)
		}

		// A shared entry and a private one.
		full := map[string]any{"urge": 5, "used_skills": true, "drinks": 0, "exercise": 30, "bedtime": "23:15",
			"emotion": "fear", "skills": []string{"TIPP", "wise mind"}, "situation": "at work", "notes": "a long day\nthen better"}
		call("POST", entriesT, entries, provider, map[string]any{"occurred_at": at, "values": full}, 403)
		rec = call("POST", entriesT, entries, client, map[string]any{"occurred_at": at, "values": full, "shared": true}, 201)
		shared := respJSON[trackerEntryOf](t, rec)
		if !shared.Shared || shared.TemplateVersion != 1 || shared.Values["bedtime"] != "23:15" || shared.Values["urge"] != 5.0 ||
			len(shared.Values["skills"].([]any)) != 2 || shared.Values["skills"].([]any)[0] != "wise mind" {
			t.Errorf("the shared entry: %s", rec.Body)
		}
		rec = call("POST", entriesT, entries, client, map[string]any{"occurred_at": at, "values": map[string]any{"urge": 1}, "shared": false}, 201)
		private := respJSON[trackerEntryOf](t, rec)

		got := respJSON[trackerEntriesOf](t, call("GET", entriesT, entries, client, nil, 200))
		if len(got.Entries) != 2 {
			t.Errorf("the client lists %d entries, want 2", len(got.Entries))
		}
		got = respJSON[trackerEntriesOf](t, call("GET", entriesT, entries, provider, nil, 200))
		if len(got.Entries) != 1 || got.Entries[0].ID != shared.ID {
			t.Errorf("the provider lists %d entries, want the shared one only", len(got.Entries))
		}
		call("GET", entryT, entries+"/"+private.ID, provider, nil, 404)
		call("GET", entriesT, entries, other, nil, 404)
		call("PATCH", entryT, entries+"/"+private.ID, provider, map[string]any{"shared": true}, 404)
		call("PATCH", entryT, entries+"/"+shared.ID, provider, map[string]any{"shared": false}, 403)

		// A template change after entries exist: they stay as written.
		v2 := allKindsTemplate()
		v2["version"] = 1
		v2["fields"].([]map[string]any)[1]["label"] = "Urge to act"
		rec = call("PUT", "/api/v1/tracker-templates/{tid}", "/api/v1/tracker-templates/"+tmpl.ID, provider, v2, 200)
		if respJSON[trackerTemplateJSON](t, rec).Version != 2 {
			t.Fatalf("the change: %s", rec.Body)
		}
		call("PUT", "/api/v1/tracker-templates/{tid}", "/api/v1/tracker-templates/"+tmpl.ID, provider, v2, 409) // from version 1 again
		for _, token := range []string{client, provider} {
			one := respJSON[trackerEntryOf](t, call("GET", entryT, entries+"/"+shared.ID, token, nil, 200))
			if one.Template == nil || one.Template.Version != 1 || one.Template.Fields[1].Label != "Urge" || one.TemplateVersion != 1 {
				t.Errorf("an entry of version 1 after the change reads as %+v", one.Template)
			}
		}
		latest := respJSON[trackerTemplateJSON](t, call("GET", "/api/v1/tracker-templates/{tid}", "/api/v1/tracker-templates/"+tmpl.ID, provider, nil, 200))
		first := respJSON[trackerTemplateJSON](t, call("GET", "/api/v1/tracker-templates/{tid}", "/api/v1/tracker-templates/"+tmpl.ID+"?version=1", provider, nil, 200))
		if latest.Fields[1].Label != "Urge to act" || first.Fields[1].Label != "Urge" {
			t.Errorf("versions read as %q and %q", latest.Fields[1].Label, first.Fields[1].Label)
		}

		// Sharing later; marking to bring up.
		rec = call("PATCH", entryT, entries+"/"+private.ID, client, map[string]any{"shared": true, "discuss_next_session": true}, 200)
		if p := respJSON[trackerEntryOf](t, rec); !p.Shared || !p.DiscussNextSession {
			t.Errorf("shared and marked: %s", rec.Body)
		}
		call("GET", entryT, entries+"/"+private.ID, provider, nil, 200)

		// Crisis language: resources at once, and a flag for the care team.
		rec = call("POST", entriesT, entries, client, map[string]any{"occurred_at": at, "values": map[string]any{"notes": "I want to kill myself"}, "shared": true}, 201)
		if len(respJSON[trackerEntryOf](t, rec).CrisisResources) == 0 {
			t.Errorf("crisis language without crisis resources: %s", rec.Body)
		}

		// The care team moves the tracker to version 2 and changes its time.
		call("PATCH", "/api/v1/clients/{id}/trackers/{trid}", clientPath+"/trackers/"+tr.ID, client, map[string]any{"reminder": false}, 403)
		rec = call("PATCH", "/api/v1/clients/{id}/trackers/{trid}", clientPath+"/trackers/"+tr.ID, provider,
			map[string]any{"template_version": 2, "schedule": map[string]any{"kind": "daily", "time": "21:30"}}, 200)
		if moved := respJSON[trackerJSON](t, rec); moved.TemplateVersion != 2 || moved.Template.Version != 2 || moved.Schedule.Time != "21:30" || !moved.Reminder {
			t.Errorf("the changed tracker: %s", rec.Body)
		}
		if one := respJSON[trackerEntryOf](t, call("GET", entryT, entries+"/"+shared.ID, client, nil, 200)); one.TemplateVersion != 1 || one.Template.Version != 1 {
			t.Errorf("an entry written before the move reads as version %d", one.TemplateVersion)
		}

		// Removal keeps the entries.
		call("DELETE", "/api/v1/clients/{id}/trackers/{trid}", clientPath+"/trackers/"+tr.ID, client, nil, 403)
		call("DELETE", "/api/v1/clients/{id}/trackers/{trid}", clientPath+"/trackers/"+tr.ID, provider, nil, 204)
		current := respJSON[struct {
			Trackers []trackerJSON `json:"trackers"`
		}](t, call("GET", "/api/v1/clients/{id}/trackers", clientPath+"/trackers", client, nil, 200))
		all := respJSON[struct {
			Trackers []trackerJSON `json:"trackers"`
		}](t, call("GET", "/api/v1/clients/{id}/trackers", clientPath+"/trackers?removed=true", client, nil, 200))
		if len(current.Trackers) != 0 || len(all.Trackers) != 1 || all.Trackers[0].RemovedAt == nil {
			t.Errorf("after the removal: %d current, %d in all", len(current.Trackers), len(all.Trackers))
		}
		if got := respJSON[trackerEntriesOf](t, call("GET", entriesT, entries, client, nil, 200)); len(got.Entries) != 3 ||
			len(got.Templates) != 1 || got.Templates[0].Version != 1 {
			t.Errorf("the removed tracker's entries: %d, with templates %+v; want 3, with version 1", len(got.Entries), got.Templates)
		}
		call("POST", entriesT, entries, client, map[string]any{"occurred_at": at, "values": map[string]any{"urge": 1}}, 409)
	})
}

// TestTrackerRequestsAreAudited: each tracker request writes the audit
// row it should, with the actor, the record and the client; a refusal as
// denied, once.
func TestTrackerRequestsAreAudited(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "Audited Trackers")
		e.setPassword(t, c.Client)
		client := e.signIn(t, c.Client)
		provider := e.signInWithTOTP(t, c.Provider)
		P, C := c.Provider.ID, c.Client.ID
		do := func(method, path, token string, body any, status int) (*httptest.ResponseRecorder, []string) {
			t.Helper()
			rec := e.call(t, method, path, token, body)
			if rec.Code != status {
				t.Fatalf("%s %s = %d, want %d: %s", method, path, rec.Code, status, rec.Body)
			}
			return rec, e.auditOf(t, rec.Header().Get("X-Request-Id"))
		}
		want := func(what string, got []string, want ...string) {
			t.Helper()
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("%s: audit rows\n got %q\nwant %q", what, got, want)
			}
		}
		rec, got := do("POST", "/api/v1/tracker-templates", provider, matrixTemplate(), 201)
		tid := respJSON[trackerTemplateJSON](t, rec).ID
		want("a new template", got, "tracker_template.create success "+P+" "+tid)
		_, got = do("PUT", "/api/v1/tracker-templates/"+tid, client, matrixTemplate(), 403)
		want("a client changing the library", got, "tracker_template.update denied "+C+" "+tid)
		rec, got = do("POST", "/api/v1/clients/"+C+"/trackers", provider, map[string]any{"template_id": tid}, 201)
		trid := respJSON[trackerJSON](t, rec).ID
		want("an assignment", got, "tracker.assign success "+P+" "+trid+" "+C)
		entries := "/api/v1/clients/" + C + "/trackers/" + trid + "/entries"
		rec, got = do("POST", entries, client, map[string]any{"occurred_at": db.Clock.Now().Add(-time.Minute).Format(time.RFC3339),
			"values": map[string]any{"hours": 400}, "shared": false}, 201)
		eid := respJSON[trackerEntryOf](t, rec).ID
		want("a private entry", got, "tracker_entry.create success "+C+" "+eid+" "+C)
		_, got = do("GET", entries+"/"+eid, provider, nil, 404)
		want("the provider at a private entry", got, "tracker_entry.read denied "+P+" "+eid+" "+C)
		_, got = do("GET", entries, provider, nil, 200)
		want("the provider's list", got, "tracker_entry.list success "+P+"  "+C)
		_, got = do("DELETE", "/api/v1/clients/"+C+"/trackers/"+trid, provider, nil, 204)
		want("a removal", got, "tracker.remove success "+P+" "+trid+" "+C)
	})
}
