package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// ---- The authorization matrix's journal cells (authz_test.go) ----

// tPrivate is a private entry: the caller's own for a client, their team
// client's for a provider, a client of the clinic's for an admin.
const tPrivate target = "private-entry"

var journalEntryTargets = append(slices.Clone(whoseTargets), tPrivate)

// journalListPolicy: the client reads their journal, their care team the
// shared part of it; nobody else learns it exists.
func journalListPolicy(c caller, tg target) int {
	switch {
	case c == asAnonymous:
		return 401
	case c == asClient && tg == tSelf, c == asProvider && tg == tTeam:
		return 200
	}
	return 404
}

// journalWritePolicy: only the client writes; the care team, who sees
// the journal, is told no; everyone else finds nothing.
func journalWritePolicy(ok int) func(caller, target) int {
	return func(c caller, tg target) int {
		switch {
		case c == asAnonymous:
			return 401
		case c == asClient && (tg == tSelf || tg == tPrivate):
			return ok
		case c == asProvider && tg == tTeam:
			return 403
		}
		return 404
	}
}

// journalEntryPolicy: an entry is the client's; their care team reads it
// only when it is shared. A private one answers as a missing one.
func journalEntryPolicy(c caller, tg target) int {
	switch {
	case c == asAnonymous:
		return 401
	case c == asClient && (tg == tSelf || tg == tPrivate), c == asProvider && tg == tTeam:
		return 200
	}
	return 404
}

// journalSettingsPolicy: the setting is a client's own.
func journalSettingsPolicy(c caller, _ target) int {
	switch c {
	case asAnonymous:
		return 401
	case asClient:
		return 200
	}
	return 403
}

// journalEntryOf makes a fresh entry in relation tg to the caller and
// returns its client's id and its id.
func (w *authzWorld) journalEntryOf(t *testing.T, c caller, tg target) (clientID, entryID string) {
	t.Helper()
	if tg == tMissing {
		return care.NewID(), care.NewID()
	}
	u, shared := w.user(c, tg), true
	if tg == tPrivate {
		u, shared = w.a.Client, false
	}
	if u.Role != care.RoleClient {
		return u.ID, care.NewID()
	}
	e := &care.JournalEntry{OccurredAt: w.e.db.Clock.Now().Add(-time.Hour), Mood: new(5), Text: "matrix"}
	if err := w.e.db.Store.CreateEntry(context.Background(), actorOf(u), u.ID, e, &shared); err != nil {
		t.Fatal(err)
	}
	if u.ClinicID == w.b.Clinic.ID {
		w.foreign = append(w.foreign, e.ID)
	}
	return u.ID, e.ID
}

func journalEntryRequest(suffix string, body any) authzRequest {
	return authzRequest{targets: journalEntryTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		client, entry := w.journalEntryOf(t, c, tg)
		return "/api/v1/clients/" + client + "/journal/" + entry + suffix, body
	}}
}

var (
	journalListRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		if c == asProvider && tg == tTeam { // the client has shared and private entries
			w.journalEntryOf(t, asProvider, tTeam)
			w.journalEntryOf(t, asClient, tPrivate)
		}
		return "/api/v1/clients/" + w.user(c, tg).ID + "/journal", nil
	}, after: onlySharedEntries}
	journalCreateRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		return "/api/v1/clients/" + w.user(c, tg).ID + "/journal", map[string]any{
			"occurred_at": w.e.db.Clock.Now().Add(-time.Hour).Format(time.RFC3339), "mood": 5, "text": "matrix"}
	}}
	journalReadRequest     = journalEntryRequest("", nil)
	journalUpdateRequest   = journalEntryRequest("", map[string]any{"mood": 3})
	journalDeleteRequest   = journalEntryRequest("", nil)
	journalVersionsRequest = journalEntryRequest("/versions", nil)
	journalSettingsRequest = authzRequest{build: fixedRequest("/api/v1/me/journal-settings", nil)}
	journalSettingsPut     = authzRequest{build: fixedRequest("/api/v1/me/journal-settings", map[string]bool{"share_by_default": false})}
)

// onlySharedEntries: a provider's list of a client's journal holds shared
// entries only, and never a tombstone.
func onlySharedEntries(t *testing.T, w *authzWorld, c caller, got map[target]*httptest.ResponseRecorder) {
	if c != asProvider {
		return
	}
	list := respJSON[entriesJSON](t, got[tTeam]).Entries
	if len(list) == 0 {
		t.Errorf("the provider's list of their client's journal is empty: %s", got[tTeam].Body)
	}
	for _, e := range list {
		var shared int
		var deleted *int64
		if err := w.e.db.Engine.SQLDB().QueryRow(`SELECT shared, deleted_at FROM journal_entries WHERE id = $1`, e.ID).Scan(&shared, &deleted); err != nil {
			t.Fatal(err)
		}
		if shared != 1 || deleted != nil || e.DeletedAt != nil {
			t.Errorf("the provider's list holds entry %s, which is private or deleted", e.ID)
		}
	}
}

// ---- The answers, as tests read them ----

type entryOf struct {
	ID                 string         `json:"id"`
	ClientID           string         `json:"client_id"`
	OccurredAt         time.Time      `json:"occurred_at"`
	Version            int            `json:"version"`
	Shared             bool           `json:"shared"`
	DeletedAt          *time.Time     `json:"deleted_at"`
	Mood               *int           `json:"mood"`
	Emotions           []string       `json:"emotions"`
	Symptoms           map[string]any `json:"symptoms"`
	Text               string         `json:"text"`
	GoalID             string         `json:"goal_id"`
	GoalProgress       *int           `json:"goal_progress"`
	DiscussNextSession bool           `json:"discuss_next_session"`
	Tags               []string       `json:"tags"`
}

type entriesJSON struct {
	Entries []entryOf `json:"entries"`
	Next    string    `json:"next"`
}

// ---- Samples for TestEveryPageTemplate ----

func sampleEntryRow() entryRow {
	return entryRow{ID: "e1", When: "Mon 2 Mar 2026, 18:30 CST", WhenISO: "2026-03-03T00:30:00Z", Own: true, Shared: true, Edited: true, Version: 2,
		Mood: "6", Emotions: "anxious, hopeful", Symptoms: []labelValue{{"Sleep", "6.5 hours"}, {"Energy", "5 out of 10"}},
		Text: "A <b>long</b> day", Goal: "Sleep better", Progress: "4", Discuss: true, Versioned: "Version 2"}
}

func sampleChart() moodCharts {
	now := time.Date(2026, 3, 2, 18, 0, 0, 0, time.UTC)
	points := []care.MoodPoint{{At: now.Add(-48 * time.Hour), Mood: 3}, {At: now.Add(-24 * time.Hour), Mood: 6}, {At: now, Mood: 8}}
	return moodCharts{Chart: newMoodChart("mood-chart", points, 30, now, time.UTC), Base: "/", Fragment: "mood"}
}

func sampleJournalHome() *journalHome {
	return &journalHome{Moods: moodScale, ShareByDefault: true}
}

func journalPageSample(l Layout) *journalPage {
	row := sampleEntryRow()
	row.Tags = "work, family"
	return &journalPage{Layout: l, Entries: []entryRow{row, {ID: "e2", Own: true, Deleted: true, DeletedOn: "y"}}, Older: "/journal?before=1-x&q=a",
		Search: journalSearch{Q: "a", MoodMin: "3", Shared: "true", Goal: "g1", Goals: []goalChoice{{ID: "g1", Title: "Sleep"}}, Moods: moodScale,
			Active: true, Count: 2, Field: "q"}}
}

func journalFormSample(l Layout) *entryForm {
	f, checked := formFromEntry(&care.JournalEntry{OccurredAt: time.Now(), Mood: new(4), Emotions: []string{"calm", "wobbly"}, GoalID: "g1"}, time.UTC)
	f.fill([]care.Goal{{ID: "g1", Title: "Sleep"}}, checked)
	f.Layout, f.Heading, f.Action, f.Zone = l, "New journal entry", "/journal", "UTC"
	f.setError(care.FieldError("symptoms.energy", "must be a whole number from 0 to 10"))
	f.fill([]care.Goal{{ID: "g1", Title: "Sleep"}}, checked)
	return f
}

func sampleTimeline() *journalTimeline {
	row := sampleEntryRow()
	row.Own = false
	return &journalTimeline{ClientID: "c1", Entries: []entryRow{row}, Older: "/clients/c1/journal?before=1-x", Charts: sampleChart()}
}

// ---- Helpers ----

// xssText is stored text that must render inert on every page.
const xssText = `<script>alert(1)</script> and "><img src=x onerror=alert(1)>`

// form posts a urlencoded form with a bearer token, as a same-origin
// browser would.
func (e *webEnv) form(t *testing.T, path, token string, v url.Values) *httptest.ResponseRecorder {
	t.Helper()
	return e.send(t, envRequest{method: "POST", path: path, token: token, body: v.Encode(), contentType: "application/x-www-form-urlencoded"})
}

// journalEnv is a clinic with a signed-in client and provider.
type journalEnv struct {
	*webEnv
	c                       *storetest.Clinic
	client, provider, other string // tokens; other is the other provider's
	clientPath              string
}

func newJournalEnv(t *testing.T, db *storetest.DB) *journalEnv {
	t.Helper()
	e := newWebEnv(t, db)
	c := storetest.SeedClinic(t, db.Store, "Journal Clinic")
	for _, u := range []care.User{c.Client, c.Provider, c.OtherProvider} {
		e.setPassword(t, u)
	}
	e.enrollTOTP(t, c.Provider)
	e.enrollTOTP(t, c.OtherProvider)
	return &journalEnv{webEnv: e, c: c, client: e.signIn(t, c.Client), provider: e.signIn(t, c.Provider), other: e.signIn(t, c.OtherProvider),
		clientPath: "/api/v1/clients/" + c.Client.ID + "/journal"}
}

func (j *journalEnv) ago(d time.Duration) string {
	return j.db.Clock.Now().Add(-d).UTC().Format(time.RFC3339)
}

func (j *journalEnv) post(t *testing.T, body any) *httptest.ResponseRecorder {
	t.Helper()
	return j.call(t, "POST", j.clientPath, j.client, body)
}

func (j *journalEnv) mustPost(t *testing.T, body any) entryOf {
	t.Helper()
	rec := j.post(t, body)
	expect(t, rec, http.StatusCreated, "", "writing an entry")
	return respJSON[entryOf](t, rec)
}

// goal saves a plan with one goal for the client and returns its id.
func (j *journalEnv) goal(t *testing.T, client care.User, provider care.User, title string) string {
	t.Helper()
	p, err := j.db.Store.SavePlan(context.Background(), actorOf(provider), client.ID, []care.Goal{{Title: title}}, store.AnyVersion)
	if err != nil {
		t.Fatal(err)
	}
	return p.Goals[0].ID
}

func (j *journalEnv) auditCount(t *testing.T, action, actorID string) int {
	t.Helper()
	var n int
	if err := j.db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM audit_events WHERE action = $1 AND actor_id = $2`, action, actorID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// ---- The API ----

// TestJournalAPI: the client writes, reads, edits (keeping versions) and
// deletes (leaving a tombstone) entries, and sets their sharing default.
func TestJournalAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		j := newJournalEnv(t, db)
		goal := j.goal(t, j.c.Client, j.c.Provider, "Sleep better")
		body := map[string]any{
			"occurred_at": j.ago(2 * time.Hour), "mood": 6, "emotions": []string{"anxious", "Hopeful", "on edge"},
			"symptoms": map[string]any{"sleep_hours": 6.5, "sleep_quality": 4, "energy": 5, "anxiety": 7},
			"text":     "What happened…", "goal_id": goal, "goal_progress": 6, "discuss_next_session": true, "shared": true,
		}
		rec := j.post(t, body)
		expect(t, rec, http.StatusCreated, "", "writing a full entry")
		e := respJSON[entryOf](t, rec)
		if loc := rec.Header().Get("Location"); loc != j.clientPath+"/"+e.ID {
			t.Errorf("Location %q", loc)
		}
		if e.Mood == nil || *e.Mood != 6 || strings.Join(e.Emotions, ",") != "anxious,hopeful,on edge" || e.Symptoms["sleep_hours"] != 6.5 ||
			e.Text != "What happened…" || e.GoalID != goal || *e.GoalProgress != 6 || !e.DiscussNextSession || !e.Shared || e.Version != 1 {
			t.Errorf("the written entry: %s", rec.Body)
		}

		// Sharing defaults to the client's setting: private, then shared.
		rec = j.call(t, "GET", "/api/v1/me/journal-settings", j.client, nil)
		expect(t, rec, 200, "", "reading the setting")
		if !strings.Contains(rec.Body.String(), `"share_by_default":false`) {
			t.Errorf("the default setting: %s", rec.Body)
		}
		if p := j.mustPost(t, map[string]any{"occurred_at": j.ago(time.Hour), "mood": 2}); p.Shared {
			t.Error("an entry with no sharing given is shared, with the setting off")
		}
		expect(t, j.call(t, "PUT", "/api/v1/me/journal-settings", j.client, map[string]any{"share_by_default": true}), 200, "", "sharing by default")
		if p := j.mustPost(t, map[string]any{"occurred_at": j.ago(time.Hour), "mood": 2}); !p.Shared {
			t.Error("an entry with no sharing given is private, with the setting on")
		}
		expect(t, j.call(t, "PUT", "/api/v1/me/journal-settings", j.client, map[string]any{}), 400, "invalid", "a setting without a value")
		expect(t, j.call(t, "PUT", "/api/v1/me/journal-settings", j.client, map[string]any{"share_by_default": "yes"}), 400, "invalid", "a setting of the wrong type")

		// PATCH: sent fields replace, null clears, the rest stays.
		rec = j.call(t, "PATCH", j.clientPath+"/"+e.ID, j.client, map[string]any{"mood": nil, "text": "Edited", "shared": false, "goal_id": nil})
		expect(t, rec, 200, "", "editing")
		ed := respJSON[entryOf](t, rec)
		if ed.Mood != nil || ed.Text != "Edited" || ed.Shared || ed.GoalID != "" || ed.GoalProgress != nil || ed.Version != 2 ||
			strings.Join(ed.Emotions, ",") != "anxious,hopeful,on edge" || !ed.DiscussNextSession {
			t.Errorf("after the edit: %s", rec.Body)
		}
		expect(t, j.call(t, "PATCH", j.clientPath+"/"+e.ID, j.client, map[string]any{"occurred_at": nil}), 400, "invalid", "clearing the time")
		expect(t, j.call(t, "PATCH", j.clientPath+"/"+e.ID, j.client, map[string]any{"shared": nil}), 400, "invalid", "clearing the sharing")
		rec = j.call(t, "GET", j.clientPath+"/"+e.ID+"/versions", j.client, nil)
		expect(t, rec, 200, "", "the versions")
		var vs struct {
			Versions []struct {
				Version int       `json:"version"`
				Current bool      `json:"current"`
				Text    string    `json:"text"`
				Shared  bool      `json:"shared"`
				SavedAt time.Time `json:"saved_at"`
			} `json:"versions"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &vs); err != nil {
			t.Fatalf("versions: %v: %s", err, rec.Body)
		}
		if len(vs.Versions) != 2 || !vs.Versions[0].Current || vs.Versions[0].Text != "Edited" || vs.Versions[1].Text != "What happened…" || !vs.Versions[1].Shared {
			t.Errorf("versions: %s", rec.Body)
		}

		// DELETE leaves a tombstone the client sees, and nobody else.
		rec = j.call(t, "DELETE", j.clientPath+"/"+e.ID, j.client, nil)
		expect(t, rec, 204, "", "deleting")
		rec = j.call(t, "GET", j.clientPath+"/"+e.ID, j.client, nil)
		expect(t, rec, 200, "", "reading a tombstone")
		tomb := respJSON[entryOf](t, rec)
		if tomb.DeletedAt == nil || tomb.Text != "" || tomb.Emotions != nil || tomb.Mood != nil {
			t.Errorf("the tombstone: %s", rec.Body)
		}
		rec = j.call(t, "GET", j.clientPath, j.client, nil)
		list := respJSON[entriesJSON](t, rec).Entries
		found := false
		for _, x := range list {
			found = found || x.ID == e.ID && x.DeletedAt != nil
		}
		if !found || len(list) != 3 {
			t.Errorf("the client's list lacks the tombstone: %s", rec.Body)
		}
		expect(t, j.call(t, "PATCH", j.clientPath+"/"+e.ID, j.client, map[string]any{"mood": 3}), 410, "gone", "editing a tombstone")
		expect(t, j.call(t, "GET", j.clientPath+"/"+e.ID+"/versions", j.client, nil), 410, "gone", "versions of a tombstone")
		rec = j.call(t, "GET", j.clientPath, j.provider, nil)
		if strings.Contains(rec.Body.String(), e.ID) {
			t.Errorf("the provider's list holds a tombstone: %s", rec.Body)
		}

		// Paging: ?limit= and the cursor in next.
		rec = j.call(t, "GET", j.clientPath+"?limit=2", j.client, nil)
		page := respJSON[entriesJSON](t, rec)
		if len(page.Entries) != 2 || page.Next == "" {
			t.Fatalf("first page: %s", rec.Body)
		}
		rec = j.call(t, "GET", j.clientPath+"?limit=2&before="+url.QueryEscape(page.Next), j.client, nil)
		page2 := respJSON[entriesJSON](t, rec)
		if len(page2.Entries) != 1 || page2.Next != "" || page2.Entries[0].ID == page.Entries[0].ID || page2.Entries[0].ID == page.Entries[1].ID {
			t.Errorf("second page: %s", rec.Body)
		}
		rec = j.call(t, "GET", j.clientPath+"?before="+url.QueryEscape(j.ago(-time.Hour)), j.client, nil)
		if n := len(respJSON[entriesJSON](t, rec).Entries); n != 3 {
			t.Errorf("before a time: %d entries", n)
		}
		for _, q := range []string{"limit=0", "limit=201", "limit=x", "before=yesterday", "before=12-" + strings.Repeat("a", 26) + "x"} {
			rec := j.call(t, "GET", j.clientPath+"?"+q, j.client, nil)
			expect(t, rec, 400, "invalid", q)
		}

		// Lists and reads are audited, for the client and the provider.
		before := j.auditCount(t, "journal.list", j.c.Provider.ID)
		j.call(t, "GET", j.clientPath, j.provider, nil)
		if j.auditCount(t, "journal.list", j.c.Provider.ID) != before+1 {
			t.Error("the provider's list was not audited")
		}
	})
}

// TestJournalProviderSeesSharedOnly: a provider never sees a private entry,
// not even its existence: not in the list, not in its length, not by id
// (404 exactly as a missing one).
func TestJournalProviderSeesSharedOnly(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		j := newJournalEnv(t, db)
		shared := j.mustPost(t, map[string]any{"occurred_at": j.ago(3 * time.Hour), "mood": 7, "text": "shared one", "shared": true})
		private := j.mustPost(t, map[string]any{"occurred_at": j.ago(2 * time.Hour), "mood": 1, "text": "private one", "shared": false})

		rec := j.call(t, "GET", j.clientPath, j.provider, nil)
		expect(t, rec, 200, "", "the provider's list")
		list := respJSON[entriesJSON](t, rec)
		if len(list.Entries) != 1 || list.Entries[0].ID != shared.ID || strings.Contains(rec.Body.String(), private.ID) || strings.Contains(rec.Body.String(), "private one") {
			t.Errorf("the provider's list: %s", rec.Body)
		}
		rec = j.call(t, "GET", j.clientPath+"?limit=1", j.provider, nil)
		if respJSON[entriesJSON](t, rec).Next != "" {
			t.Errorf("a page of one says there is more, which counts the private entry: %s", rec.Body)
		}
		missing := j.call(t, "GET", j.clientPath+"/"+care.NewID(), j.provider, nil)
		expect(t, missing, 404, "not_found", "a missing entry")
		rec = j.call(t, "GET", j.clientPath+"/"+private.ID, j.provider, nil)
		expect(t, rec, 404, "not_found", "the provider reading a private entry")
		if rec.Body.String() != missing.Body.String() {
			t.Errorf("a private entry answers %s, a missing one %s", rec.Body, missing.Body)
		}
		for _, m := range []struct {
			method string
			body   any
		}{{"PATCH", map[string]any{"mood": 3}}, {"DELETE", nil}} {
			rec = j.call(t, m.method, j.clientPath+"/"+private.ID, j.provider, m.body)
			if rec.Code != 404 || rec.Body.String() != missing.Body.String() {
				t.Errorf("%s of a private entry by the provider: %d %s", m.method, rec.Code, rec.Body)
			}
		}
		expect(t, j.call(t, "GET", j.clientPath+"/"+private.ID+"/versions", j.provider, nil), 404, "not_found", "versions of a private entry")
		expect(t, j.call(t, "GET", j.clientPath+"/"+shared.ID+"/versions", j.provider, nil), 403, "forbidden", "versions of a shared entry")
		expect(t, j.call(t, "GET", j.clientPath+"/"+shared.ID, j.provider, nil), 200, "", "a shared entry")
		expect(t, j.call(t, "POST", j.clientPath, j.provider, map[string]any{"occurred_at": j.ago(time.Hour), "mood": 5}), 403, "forbidden", "the provider writing")
		// Another provider sees nothing at all.
		expect(t, j.call(t, "GET", j.clientPath, j.other, nil), 404, "not_found", "another provider's list")
		expect(t, j.call(t, "GET", j.clientPath+"/"+shared.ID, j.other, nil), 404, "not_found", "another provider reading a shared entry")

		// The provider's timeline page: the shared entry, not the private one.
		rec = j.call(t, "GET", "/clients/"+j.c.Client.ID+"/journal", j.provider, nil)
		expect(t, rec, 200, "", "the provider's timeline")
		if page := rec.Body.String(); !strings.Contains(page, "shared one") || strings.Contains(page, "private one") || strings.Contains(page, private.ID) {
			t.Errorf("the timeline shows the private entry or lacks the shared one")
		}
		if page := rec.Body.String(); !strings.Contains(page, "1 mood rating") {
			t.Errorf("the timeline's chart counts more than the shared rating")
		}
		expect(t, j.call(t, "GET", "/clients/"+j.c.Client.ID+"/journal", j.other, nil), 404, "", "another provider's timeline")

		// The provider's client page carries the timeline too.
		rec = j.call(t, "GET", "/clients/"+j.c.Client.ID+"?tab=journal", j.provider, nil)
		expect(t, rec, 200, "", "the provider's client page")
		if page := rec.Body.String(); !strings.Contains(page, "shared one") || strings.Contains(page, "private one") || strings.Contains(page, private.ID) ||
			!strings.Contains(page, `<title id="mood-chart-title">`) {
			t.Errorf("the client page shows the private entry, or lacks the shared one or the chart")
		}
	})
}

// TestJournalRefusesMalformed: malformed input answers 400, naming the
// field, and stores nothing; error messages never repeat the input.
func TestJournalRefusesMalformed(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		j := newJournalEnv(t, db)
		goal := j.goal(t, j.c.Client, j.c.Provider, "Walk daily")
		othersGoal := j.goal(t, j.c.OtherClient, j.c.OtherProvider, "Someone else's goal")
		past := j.ago(time.Hour)
		cases := []struct {
			name  string
			body  any
			field string
		}{
			{"mood 11", map[string]any{"occurred_at": past, "mood": 11}, "mood"},
			{"mood -1", map[string]any{"occurred_at": past, "mood": -1}, "mood"},
			{"mood 5.5", map[string]any{"occurred_at": past, "mood": 5.5}, "mood"},
			{"mood as text", map[string]any{"occurred_at": past, "mood": "5"}, "mood"},
			{"mood as markup", map[string]any{"occurred_at": past, "mood": "<script>alert(1)</script>"}, "mood"},
			{"10 minutes ahead", map[string]any{"occurred_at": j.ago(-10 * time.Minute), "mood": 5}, "occurred_at"},
			{"two years back", map[string]any{"occurred_at": j.ago(2 * 365 * 24 * time.Hour), "mood": 5}, "occurred_at"},
			{"no time", map[string]any{"mood": 5}, "occurred_at"},
			{"a time that is no time", map[string]any{"occurred_at": "tomorrow", "mood": 5}, "occurred_at"},
			{"markup for a time", map[string]any{"occurred_at": `"><img src=x onerror=alert(1)>`, "mood": 5}, "occurred_at"},
			{"nothing to say", map[string]any{"occurred_at": past}, "mood"},
			{"unknown goal", map[string]any{"occurred_at": past, "mood": 5, "goal_id": care.NewID()}, "goal_id"},
			{"another client's goal", map[string]any{"occurred_at": past, "mood": 5, "goal_id": othersGoal}, "goal_id"},
			{"markup for a goal", map[string]any{"occurred_at": past, "mood": 5, "goal_id": `"><img src=x onerror=alert(1)>`}, "goal_id"},
			{"progress without a goal", map[string]any{"occurred_at": past, "mood": 5, "goal_progress": 4}, "goal_progress"},
			{"progress 11", map[string]any{"occurred_at": past, "mood": 5, "goal_id": goal, "goal_progress": 11}, "goal_progress"},
			{"a text of 1 MB", map[string]any{"occurred_at": past, "text": strings.Repeat("x", 1<<20)}, "text"},
			{"a text of 10001", map[string]any{"occurred_at": past, "text": strings.Repeat("ü", 10001)}, "text"},
			{"script as emotion", map[string]any{"occurred_at": past, "emotions": []string{"<script>alert(1)</script>"}}, "emotions"},
			{"img as emotion", map[string]any{"occurred_at": past, "emotions": []string{`"><img src=x onerror=alert(1)>`}}, "emotions"},
			{"13 emotions", map[string]any{"occurred_at": past, "emotions": strings.Split("a b c d e f g h i j k l m", " ")}, "emotions"},
			{"emotions not a list", map[string]any{"occurred_at": past, "emotions": "sad"}, "emotions"},
			{"sleep 24.5", map[string]any{"occurred_at": past, "symptoms": map[string]any{"sleep_hours": 24.5}}, "symptoms.sleep_hours"},
			{"pain 11", map[string]any{"occurred_at": past, "symptoms": map[string]any{"pain": 11}}, "symptoms.pain"},
			{"an unknown symptom", map[string]any{"occurred_at": past, "symptoms": map[string]any{"nausea": 3}}, "symptoms.nausea"},
			{"an unknown field", map[string]any{"occurred_at": past, "mood": 5, "client_id": "x"}, "client_id"},
			{"invalid JSON", `{"occurred_at": "` + past + `", "mood": 5`, ""},
			{"duplicate key", `{"occurred_at": "` + past + `", "mood": 5, "mood": 11}`, "mood"},
			{"trailing data", `{"occurred_at": "` + past + `", "mood": 5} {}`, ""},
			{"not an object", `[1]`, ""},
			{"shared not a bool", map[string]any{"occurred_at": past, "mood": 5, "shared": "yes"}, "shared"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				entries, audits := j.count(t, "journal_entries"), j.count(t, "audit_events")
				rec := j.post(t, tc.body)
				expect(t, rec, 400, "invalid", tc.name)
				if f := respError(rec).Error.Field; f != tc.field {
					t.Errorf("refused on %q, want %q: %s", f, tc.field, rec.Body)
				}
				if b := rec.Body.String(); strings.Contains(b, "<script") || strings.Contains(b, "onerror") || len(b) > 400 {
					t.Errorf("the error repeats the input: %s", b)
				}
				if n := j.count(t, "journal_entries"); n != entries {
					t.Errorf("entries: %d before, %d after", entries, n)
				}
				if n := j.count(t, "audit_events"); n > audits {
					t.Errorf("audit rows: %d before, %d after", audits, n)
				}
			})
		}
		// A body over 2 MiB is too large (413), and stores nothing.
		before := j.count(t, "journal_entries")
		rec := j.post(t, map[string]any{"occurred_at": past, "text": strings.Repeat("x", 3<<20)})
		expect(t, rec, 413, "invalid", "a 3 MB body")
		if j.count(t, "journal_entries") != before {
			t.Error("a refused body stored an entry")
		}
		// The edge cases that pass.
		for _, body := range []map[string]any{
			{"occurred_at": j.ago(-4 * time.Minute), "mood": 10},
			{"occurred_at": past, "mood": 0},
			{"occurred_at": past, "text": strings.Repeat("ü", 10000)},
			{"occurred_at": past, "emotions": []string{"sad", "kind of wobbly", "self-doubt"}},
			{"occurred_at": past, "symptoms": map[string]any{"sleep_hours": 24, "pain": 0}},
			{"occurred_at": past, "mood": 5, "goal_id": goal, "goal_progress": 0},
			{"occurred_at": time.Now().In(time.FixedZone("x", 3600)).Add(-time.Hour).Format(time.RFC3339), "mood": 5},
		} {
			expect(t, j.post(t, body), 201, "", fmt.Sprint(body["occurred_at"]))
		}
	})
}

// TestJournalStoredXSSIsInert: text with markup is the client's to write,
// and renders as text on every page that shows it: the client's home, list,
// edit form and versions, and the provider's timeline.
func TestJournalStoredXSSIsInert(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		j := newJournalEnv(t, db)
		goal := j.goal(t, j.c.Client, j.c.Provider, `<b onmouseover=alert(1)>goal</b>`)
		e := j.mustPost(t, map[string]any{"occurred_at": j.ago(time.Hour), "mood": 4, "text": xssText, "shared": true, "goal_id": goal, "goal_progress": 3})
		expect(t, j.call(t, "PATCH", j.clientPath+"/"+e.ID, j.client, map[string]any{"text": xssText + " again"}), 200, "", "editing")
		escaped := html.EscapeString(`<script>alert(1)</script>`)
		for _, p := range []struct{ who, token, path string }{
			{"client", j.client, "/journal"},
			{"client", j.client, "/journal/" + e.ID + "/edit"},
			{"client", j.client, "/journal/" + e.ID + "/versions"},
			{"provider", j.provider, "/clients/" + j.c.Client.ID + "/journal"},
		} {
			rec := j.call(t, "GET", p.path, p.token, nil)
			expect(t, rec, 200, "", p.who+" "+p.path)
			body := rec.Body.String()
			if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") || strings.Contains(body, "<b onmouseover") {
				t.Errorf("%s: the stored markup is live", p.path)
			}
			if !strings.Contains(body, escaped) {
				t.Errorf("%s: the text is not shown, escaped", p.path)
			}
		}
	})
}

// ---- The pages ----

// TestJournalPages: the client's quick entry, full form, list, edit,
// delete and settings, as a browser without JavaScript uses them.
func TestJournalPages(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		j := newJournalEnv(t, db)
		goal := j.goal(t, j.c.Client, j.c.Provider, "Sleep before midnight")

		// The home page: the quick entry; the chart on My progress, with
		// no mood yet.
		rec := j.call(t, "GET", "/", j.client, nil)
		expect(t, rec, 200, "", "the client's home")
		home := rec.Body.String()
		for _, want := range []string{`action="/journal/quick"`, `<legend>Your mood right now`, `type="radio" name="mood" value="10"`,
			`href="/journal/new"`, `href="/progress"`} {
			if !strings.Contains(home, want) {
				t.Errorf("the home page lacks %s", want)
			}
		}
		progress := j.call(t, "GET", "/progress", j.client, nil).Body.String()
		for _, want := range []string{`role="img"`, `<title id="mood-chart-title">Mood over the last 30 days</title>`, "No mood was recorded"} {
			if !strings.Contains(progress, want) {
				t.Errorf("My progress lacks %s", want)
			}
		}

		// A quick entry: a mood and a note, private by default.
		rec = j.form(t, "/journal/quick", j.client, url.Values{"mood": {"7"}, "text": {"Quick note"}, "shared-shown": {"1"}})
		expect(t, rec, 303, "", "a quick entry")
		if loc := rec.Header().Get("Location"); !strings.HasPrefix(loc, "/?done=entry-saved&saved=") {
			t.Errorf("after a quick entry: %s", loc)
		}
		list := respJSON[entriesJSON](t, j.call(t, "GET", j.clientPath, j.client, nil)).Entries
		if len(list) != 1 || *list[0].Mood != 7 || list[0].Text != "Quick note" || list[0].Shared {
			t.Fatalf("the quick entry: %+v", list)
		}
		// Without a mood it is refused, the note kept, nothing stored.
		rec = j.form(t, "/journal/quick", j.client, url.Values{"text": {"kept words"}, "shared-shown": {"1"}})
		expect(t, rec, 400, "", "a quick entry without a mood")
		if b := rec.Body.String(); !strings.Contains(b, `class="error-summary"`) || !strings.Contains(b, `href="#mood-0"`) || !strings.Contains(b, "kept words") {
			t.Errorf("the refused quick entry's page lacks the error summary or the note")
		}
		rec = j.form(t, "/journal/quick", j.client, url.Values{"mood": {"11"}})
		expect(t, rec, 400, "", "a quick entry of 11")
		if n := j.count(t, "journal_entries"); n != 1 {
			t.Errorf("%d entries after refused quick entries", n)
		}

		// The home page confirms it, the journal lists it, the chart on
		// My progress has it.
		if home = j.call(t, "GET", "/?done=entry-saved", j.client, nil).Body.String(); !strings.Contains(home, "Your entry is saved.") {
			t.Errorf("the home page does not confirm the entry")
		}
		journal := j.call(t, "GET", "/journal", j.client, nil).Body.String()
		for _, want := range []string{"Quick note", "Private: only you"} {
			if !strings.Contains(journal, want) {
				t.Errorf("the journal lacks %q", want)
			}
		}
		progress = j.call(t, "GET", "/progress", j.client, nil).Body.String()
		for _, want := range []string{"1 mood rating in the last 30 days: average 7.0", `<circle class="point"`, "Mood by day, as a table"} {
			if !strings.Contains(progress, want) {
				t.Errorf("My progress lacks %q", want)
			}
		}
		if !strings.Contains(j.call(t, "GET", "/progress?mood=90", j.client, nil).Body.String(), "Mood over the last 90 days") {
			t.Error("the 90-day chart is missing")
		}

		// The full form: goals of the plan, sharing from the setting.
		rec = j.call(t, "GET", "/journal/new", j.client, nil)
		expect(t, rec, 200, "", "the full form")
		if b := rec.Body.String(); !strings.Contains(b, "Sleep before midnight") || strings.Contains(b, `name="shared" aria-describedby="shared-hint" checked`) {
			t.Errorf("the form lacks the goal, or shares by default")
		}
		full := url.Values{
			"occurred_at": {j.db.Clock.Now().Add(-3 * time.Hour).UTC().Format("2006-01-02T15:04")}, "mood": {"4"},
			"emotion": {"anxious", "tired"}, "own_words": {"on edge, wound-up"}, "sleep_hours": {"5.5"}, "energy": {"3"},
			"text": {"Long day"}, "goal_id": {goal}, "goal_progress": {"6"}, "discuss": {"on"}, "shared": {"on"},
		}
		rec = j.form(t, "/journal", j.client, full)
		expect(t, rec, 303, "", "a full entry")
		list = respJSON[entriesJSON](t, j.call(t, "GET", j.clientPath, j.client, nil)).Entries
		var full1 entryOf
		for _, x := range list {
			if x.Text == "Long day" {
				full1 = x
			}
		}
		if full1.ID == "" || *full1.Mood != 4 || strings.Join(full1.Emotions, ",") != "anxious,tired,on edge,wound-up" || full1.Symptoms["sleep_hours"] != 5.5 ||
			full1.GoalID != goal || *full1.GoalProgress != 6 || !full1.DiscussNextSession || !full1.Shared {
			t.Fatalf("the full entry: %+v", full1)
		}

		// A refused form shows the error by the field, keeps the values,
		// and stores nothing.
		for field, bad := range map[string]url.Values{
			"mood-0":       {"mood": {"11"}, "text": {"kept"}},
			"symptom-pain": {"mood": {"3"}, "pain": {"eleven"}},
			"sleep-hours":  {"mood": {"3"}, "sleep_hours": {"30"}},
			"occurred-at":  {"mood": {"3"}, "occurred_at": {"soon"}},
			"own-words":    {"mood": {"3"}, "own_words": {"<script>alert(1)</script>"}},
			"goal":         {"mood": {"3"}, "goal_id": {care.NewID()}},
		} {
			if !bad.Has("occurred_at") {
				bad.Set("occurred_at", full.Get("occurred_at"))
			}
			n := j.count(t, "journal_entries")
			rec = j.form(t, "/journal", j.client, bad)
			expect(t, rec, 400, "", "a refused form on "+field)
			b := rec.Body.String()
			if !strings.Contains(b, `href="#`+field+`"`) || !strings.Contains(b, `id="`+field+`"`) {
				t.Errorf("the refused form does not link the error to #%s", field)
			}
			if strings.Contains(b, "<script>alert") {
				t.Errorf("the refused form echoes markup")
			}
			if j.count(t, "journal_entries") != n {
				t.Errorf("a refused form on %s stored an entry", field)
			}
		}

		// The list: shared and private marked, edit and delete.
		rec = j.call(t, "GET", "/journal", j.client, nil)
		expect(t, rec, 200, "", "the journal")
		b := rec.Body.String()
		for _, want := range []string{"Shared with your care team", "Private: only you", `href="/journal/` + full1.ID + `/edit"`, `action="/journal/` + full1.ID + `/delete"`, "Bring this up next session", "Sleep before midnight: progress 6 out of 10"} {
			if !strings.Contains(b, want) {
				t.Errorf("the journal lacks %q", want)
			}
		}

		// Edit: the form is filled; saving keeps a version.
		rec = j.call(t, "GET", "/journal/"+full1.ID+"/edit", j.client, nil)
		expect(t, rec, 200, "", "the edit form")
		if b := rec.Body.String(); !strings.Contains(b, `value="on edge, wound-up"`) || !strings.Contains(b, ">Long day</textarea>") || !strings.Contains(b, `value="anxious" id="emotion-anxious" checked`) {
			t.Errorf("the edit form is not filled in")
		}
		full.Set("text", "Long day, edited")
		full.Del("shared")
		rec = j.form(t, "/journal/"+full1.ID, j.client, full)
		expect(t, rec, 303, "", "saving an edit")
		got := respJSON[entryOf](t, j.call(t, "GET", j.clientPath+"/"+full1.ID, j.client, nil))
		if got.Text != "Long day, edited" || got.Shared || got.Version != 2 {
			t.Errorf("after the edit: %+v", got)
		}
		rec = j.form(t, "/journal/"+full1.ID, j.client, url.Values{"occurred_at": {full.Get("occurred_at")}, "mood": {"12"}})
		expect(t, rec, 400, "", "a refused edit")
		rec = j.call(t, "GET", "/journal/"+full1.ID+"/versions", j.client, nil)
		if b := rec.Body.String(); !strings.Contains(b, "Version 1, saved") || !strings.Contains(b, "Version 2 (current)") {
			t.Errorf("the versions page")
		}

		// Delete: a tombstone with its date.
		expect(t, j.form(t, "/journal/"+full1.ID+"/delete", j.client, url.Values{}), 303, "", "deleting")
		b = j.call(t, "GET", "/journal?done=entry-deleted", j.client, nil).Body.String()
		if !strings.Contains(b, "Deleted on ") || strings.Contains(b, "Long day") {
			t.Errorf("the journal after deleting shows no tombstone, or the words")
		}
		expect(t, j.call(t, "GET", "/journal/"+full1.ID+"/edit", j.client, nil), 410, "", "editing a tombstone")

		// The setting.
		expect(t, j.form(t, "/journal/settings", j.client, url.Values{"share_by_default": {"on"}}), 303, "", "sharing by default")
		if b := j.call(t, "GET", "/journal/settings", j.client, nil).Body.String(); !strings.Contains(b, `value="on" checked`) {
			t.Error("the setting page does not show sharing on")
		}
		if b := j.call(t, "GET", "/", j.client, nil).Body.String(); !strings.Contains(b, `name="shared" checked`) {
			t.Error("the quick entry does not share by default once set")
		}
		expect(t, j.form(t, "/journal/settings", j.client, url.Values{"share_by_default": {"maybe"}}), 400, "", "a setting that is neither")

		// The journal pages are the client's: staff find nothing there.
		for _, path := range []string{"/journal", "/journal/new", "/journal/settings", "/journal/" + full1.ID + "/edit", "/journal/" + full1.ID + "/versions"} {
			expect(t, j.call(t, "GET", path, j.provider, nil), 404, "", "the provider at "+path)
		}
		expect(t, j.form(t, "/journal/quick", j.provider, url.Values{"mood": {"5"}}), 404, "", "the provider's quick entry")
		expect(t, j.form(t, "/journal/"+list[0].ID+"/delete", j.provider, url.Values{}), 404, "", "the provider deleting")
		// A client at the care team's address is sent to their journal.
		if rec := j.call(t, "GET", "/clients/"+j.c.Client.ID+"/journal", j.client, nil); rec.Code != 303 || rec.Header().Get("Location") != "/journal" {
			t.Errorf("the client at the timeline: %d %s", rec.Code, rec.Header().Get("Location"))
		}
	})
}

// TestMoodChart: the SVG has its title and description, a point per
// rating in the period, days in the viewer's zone, and a text summary.
func TestMoodChart(t *testing.T) {
	t.Parallel()
	chi, _ := time.LoadLocation("America/Chicago")
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, chi)
	points := []care.MoodPoint{
		{At: now.AddDate(0, 0, -40), Mood: 1},                      // before the period
		{At: now.AddDate(0, 0, -29).Add(-11 * time.Hour), Mood: 2}, // the first day, early
		{At: now.AddDate(0, 0, -3), Mood: 4},
		{At: now.AddDate(0, 0, -3).Add(time.Hour), Mood: 8},
		{At: now.Add(-time.Hour), Mood: 9},
	}
	c := newMoodChart("m", points, 30, now, chi)
	svg := string(c.SVG)
	if n := strings.Count(svg, "<circle"); n != 4 {
		t.Errorf("%d points, want 4", n)
	}
	for _, want := range []string{`role="img"`, `aria-labelledby="m-title m-desc"`, `<title id="m-title">Mood over the last 30 days</title>`, `<desc id="m-desc">4 mood ratings`} {
		if !strings.Contains(svg, want) {
			t.Errorf("the SVG lacks %s", want)
		}
	}
	if c.Summary != "4 mood ratings in the last 30 days: average 5.8 out of 10, lowest 2 (Mon 9 Feb), highest 9 (Tue 10 Mar)." {
		t.Errorf("summary: %s", c.Summary)
	}
	if len(c.Rows) != 3 || c.Rows[0].Date != "Tue 10 Mar" || c.Rows[1].Average != "6.0" || c.Rows[1].Count != 2 || c.Rows[2].Date != "Mon 9 Feb" {
		t.Errorf("rows: %+v", c.Rows)
	}
	if strings.Contains(svg, "style=") || strings.Contains(svg, "<script") {
		t.Error("the SVG has inline style or script")
	}
	empty := newMoodChart("m", nil, 90, now, time.UTC)
	if !empty.Empty || !strings.Contains(string(empty.SVG), "No mood recorded yet") || empty.Rows != nil {
		t.Errorf("an empty chart: %+v", empty)
	}
	if regexp.MustCompile(`NaN|Inf`).MatchString(string(empty.SVG) + svg) {
		t.Error("the SVG has a NaN")
	}
}

// FuzzJournalEntry: whatever the body, decoding and validating an entry
// never panics; what passes holds to every rule, and what fails is an
// invalid-input error that does not repeat the input.
func FuzzJournalEntry(f *testing.F) {
	for _, seed := range []string{
		`{"occurred_at":"2026-01-02T10:00:00Z","mood":6,"emotions":["anxious","on edge"],"symptoms":{"sleep_hours":6.5,"energy":5},"text":"x","goal_id":"aaaaaaaaaaaaaaaaaaaaaaaaaa","goal_progress":6,"discuss_next_session":true,"shared":true}`,
		`{"occurred_at":"2026-01-02T10:00:00Z","mood":11}`,
		`{"occurred_at":"2026-01-02T10:00:00+05:30","mood":-1}`,
		`{"occurred_at":"2099-01-01T00:00:00Z","mood":5}`,
		`{"occurred_at":null,"mood":null,"emotions":null,"symptoms":null,"text":null}`,
		`{"mood":5,"mood":6}`,
		`{"occurred_at":"2026-01-02T10:00:00Z","emotions":["<script>alert(1)</script>"]}`,
		`{"occurred_at":"2026-01-02T10:00:00Z","text":"\"><img src=x onerror=alert(1)>"}`,
		`{"occurred_at":"2026-01-02T10:00:00Z","symptoms":{"sleep_hours":6.55}}`,
		`{"occurred_at":"2026-01-02T10:00:00Z","text":"\ud800"}`,
		`{"occurred_at":"2026-01-02T10:00:00Z","goal_progress":3}`,
		`[]`, `null`, `{`, `{"text":"` + strings.Repeat("é", 10001) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		var req entryRequest
		err := decodeStrict(data, &req)
		var e care.JournalEntry
		if err == nil {
			var present map[string]bool
			if present, err = jsonKeys(data); err == nil {
				if _, err = req.apply(&e, present); err == nil {
					err = e.Validate(now, time.Time{})
				}
			}
		}
		if err != nil {
			var ce *care.Error
			if !errors.As(err, &ce) || ce.Code != care.Invalid {
				t.Fatalf("%q: %T %v, want an invalid-input error", data, err, err)
			}
			if len(data) > 12 && strings.Contains(ce.Message, string(data)) {
				t.Fatalf("the error repeats the body: %v", ce)
			}
			return
		}
		if e.OccurredAt.IsZero() || e.OccurredAt.After(now.Add(care.MaxFutureSkew)) || e.OccurredAt.Before(now.Add(-care.MaxBackdate)) {
			t.Fatalf("accepted time %v", e.OccurredAt)
		}
		for _, v := range []*int{e.Mood, e.GoalProgress, e.Symptoms.SleepQuality, e.Symptoms.Energy, e.Symptoms.Anxiety, e.Symptoms.Pain, e.Symptoms.Appetite, e.Symptoms.Irritability} {
			if v != nil && (*v < 0 || *v > 10) {
				t.Fatalf("accepted rating %d", *v)
			}
		}
		if h := e.Symptoms.SleepHours; h != nil && (*h < 0 || *h > 24) {
			t.Fatalf("accepted sleep %v", *h)
		}
		if len(e.Emotions) > care.MaxEmotions || len([]rune(e.Text)) > care.MaxEntryText {
			t.Fatalf("accepted %d emotions, %d characters", len(e.Emotions), len([]rune(e.Text)))
		}
		for _, w := range e.Emotions {
			if strings.ContainsAny(w, `<>"'&;/=`) || w == "" || len([]rune(w)) > care.MaxEmotionLen {
				t.Fatalf("accepted emotion %q", w)
			}
		}
		if e.GoalProgress != nil && e.GoalID == "" {
			t.Fatal("accepted progress without a goal")
		}
		if e.Mood == nil && e.Text == "" && len(e.Emotions) == 0 && e.Symptoms.Empty() {
			t.Fatal("accepted an empty entry")
		}
	})
}
