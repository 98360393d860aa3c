package web

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// briefRequest is the brief's entry in the authorization matrix.
var briefRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
	return clientPath(w, c, tg, "/brief"), nil
}}

// idPattern matches an id as care.NewID makes them, quoted in JSON.
var idPattern = regexp.MustCompile(`"[a-z2-7]{26}"`)

// stableIDs replaces the ids of a JSON document by "id-1", "id-2", … in
// the order they first appear, so that a golden file does not depend on
// random ids but still shows which things are the same.
func stableIDs(doc []byte) []byte {
	names := map[string]string{}
	return idPattern.ReplaceAllFunc(doc, func(id []byte) []byte {
		n, ok := names[string(id)]
		if !ok {
			n = fmt.Sprintf(`"id-%d"`, len(names)+1)
			names[string(id)] = n
		}
		return []byte(n)
	})
}

// golden compares got with testdata/name, or rewrites the file with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
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

// TestBriefAPI (issue #7): the brief of a fixed story, at a fixed time,
// is testdata/brief.golden on both engines, ids aside; it holds no private
// or deleted entry; another team's provider, the client and an admin
// without break-glass get 404 as for a client who does not exist
// (AC-03).
func TestBriefAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "Brief API")
		seed := storetest.SeedBrief(t, db, c)
		for _, u := range append(c.Staff(), c.Client) {
			e.setPassword(t, u)
		}
		for _, u := range c.Staff() {
			e.enrollTOTP(t, u)
		}
		path := "/api/v1/clients/" + c.Client.ID + "/brief"
		rec := e.call(t, "GET", path, e.signIn(t, c.Provider), nil)
		expect(t, rec, http.StatusOK, "", "the care team's brief")
		body := rec.Body.Bytes()
		for _, words := range []string{seed.PrivateText, seed.DeletedText, seed.DeletedEntry} {
			if bytes.Contains(body, []byte(words)) {
				t.Errorf("the brief holds %q", words)
			}
		}
		for _, id := range seed.PrivateEntries {
			if bytes.Contains(body, []byte(id)) {
				t.Errorf("the brief names private entry %s", id)
			}
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, body, "", "  "); err != nil {
			t.Fatal(err)
		}
		golden(t, "brief.golden", append(stableIDs(pretty.Bytes()), '\n'))

		for _, u := range []struct {
			who   string
			token string
		}{
			{"another team's provider", e.signIn(t, c.OtherProvider)},
			{"the client", e.signIn(t, c.Client)},
			{"an admin without break-glass", e.signIn(t, c.Admin)},
		} {
			expect(t, e.call(t, "GET", path, u.token, nil), http.StatusNotFound, "not_found", u.who)
		}
	})
}

// TestBriefPage: the printable page renders the same brief for the care
// team — the item to bring up, both safety events with how they were
// handled, charts with their text alternatives, the measures with change
// markers, counts — and nothing private; anyone else gets 404 (AC-03).
func TestBriefPage(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "Brief Page")
		seed := storetest.SeedBrief(t, db, c)
		for _, u := range append(c.Staff(), c.Client) {
			e.setPassword(t, u)
		}
		for _, u := range c.Staff() {
			e.enrollTOTP(t, u)
		}
		path := "/clients/" + c.Client.ID + "/brief"
		rec := e.call(t, "GET", path, e.signIn(t, c.Provider), nil)
		expect(t, rec, http.StatusOK, "", "the care team's brief page")
		page := rec.Body.String()
		for _, want := range []string{
			"Pre-session brief: client",
			"Since the session of Fri 27 Nov 2026",
			"I want to talk about my sister&#39;s visit.",
			"Acknowledged by provider on Tue 1 Dec 2026",
			"Called the client; reviewed the safety plan together.",
			"Open: nobody has acknowledged it yet",
			`role="img" aria-labelledby="chart-mood-title chart-mood-desc"`,
			"Mood: 11 ratings, average 5.6 out of 10",
			"Reliable improvement since baseline",
			"Response (50% below baseline)",
			"Item 9 above 0: safety flag",
			"Breathing practice, five minutes",
			"5 of 8 (62%)",
			"67% (4 of 6 due)",
			"/static/brief.",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		for _, words := range []string{seed.PrivateText, seed.DeletedText, "A bad week at work."} {
			if strings.Contains(page, words) {
				t.Errorf("the page shows %q", words)
			}
		}
		for _, u := range []care.User{c.OtherProvider, c.Client, c.Admin} {
			rec := e.call(t, "GET", path, e.signIn(t, u), nil)
			if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "sister") {
				t.Errorf("%s: got %d", u.Email, rec.Code)
			}
		}
	})
}

// briefPageSample is a brief with every section filled, for
// TestEveryPageTemplate.
func briefPageSample(l Layout) *briefPage {
	at := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	points := []care.SeriesPoint{{At: at, Value: 4}, {At: at.Add(24 * time.Hour), Value: 6}}
	chart := newSeriesChart("mood", "Mood", "Mood rose from 4 to 6.", points, at.Add(-time.Hour), at.Add(48*time.Hour), 10,
		[]float64{0, 5, 10}, []chartLine{{Value: 5, Label: "middle"}}, at, "last session", func(v float64) string { return fmt.Sprint(v) }, time.UTC)
	phq9Chart := newSeriesChart("phq9", "PHQ-9", "The total fell from 16 to 9.", points, at.Add(-time.Hour), at.Add(48*time.Hour), 27,
		[]float64{0, 10, 20}, nil, at, "last session", func(v float64) string { return fmt.Sprint(v) }, time.UTC)
	discuss := sampleEntryRow()
	discuss.IDPrefix = "discuss-"
	ov, now := sampleTrackerOverview()
	trackers := summaries(ov, goalTitles{}, now, true, "brief-tracker-chart-", 3)
	trDiscuss := []trackerEntryView{entryView(&ov.Entries.Entries[0], ov.Entries.Template(&ov.Entries.Entries[0]), time.UTC)}
	return &briefPage{Layout: l, Trackers: trackers, TrackerDiscuss: trDiscuss, ClientID: "c1", ClientName: "Sam", Window: "Since the session of Fri 20 Nov", SinceISO: at.Format(time.RFC3339),
		Generated: "today", Next: "Mon 7 Dec, 15:00", Discuss: []entryRow{discuss},
		Flags: []briefFlagView{{ID: "f1", Kind: "PHQ-9 item 9", When: "today", Source: "a questionnaire", Status: "Open", Open: true,
			Escalated: "Escalated to the on-call provider"}, {ID: "f2", Kind: "Crisis language", Handled: "Acknowledged by Dana", Note: "Called."}},
		Charts: []seriesChart{chart}, Unrated: []string{"pain"},
		Goals:    []briefGoalView{{Title: "Sleep", Status: "active", Target: "2027-01-01", Progress: "3 → 6 out of 10 (4 ratings)", Tasks: "6 of 9 done"}},
		Tasks:    []briefTaskView{{Title: "Walk", Schedule: "daily", Goal: "Sleep", Done: 5, Due: 8, Share: "63%"}},
		Measures: []briefMeasureView{{Name: "PHQ-9", Title: "Depression", Chart: phq9Chart, Baseline: "16", Latest: "9", Scores: scoreRows(sampleResponses(), "UTC"), ReliableChange: 6}},
		Messages: care.MessageCounts{}, CheckIns: care.CheckInCounts{}, Adherence: "67% (4 of 6 due)", Entries: []entryRow{sampleEntryRow()}}
}
