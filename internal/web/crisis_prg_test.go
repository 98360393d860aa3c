package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// followSeeOther checks that rec is a 303 See Other and follows it as a
// browser does (GET, without the fragment); it returns the target and
// the page's body, which must be 200.
func (e *webEnv) followSeeOther(t *testing.T, rec *httptest.ResponseRecorder, token, what string) (string, string) {
	t.Helper()
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("%s: %d, want 303 See Other: %s", what, rec.Code, rec.Body)
	}
	to, _, _ := strings.Cut(rec.Header().Get("Location"), "#")
	got := e.call(t, "GET", to, token, nil)
	expect(t, got, http.StatusOK, "", what+", followed to "+to)
	return to, got.Body.String()
}

// crisisFirst reports whether body shows the crisis banner before the
// page's own content.
func crisisFirst(body string) bool {
	i := strings.Index(body, `class="crisis-now"`)
	return i >= 0 && i < strings.Index(body, `id="main"`)+200 && strings.Index(body, `class="help-list"`) > i
}

const (
	toldCare   = "Your care team has been told and will contact you."
	toldNobody = "Nobody has been told:"
)

// TestCrisisPostRedirectGet (issue #16): every form that can answer with
// crisis resources answers 303 See Other to a page that shows them first
// and says who was told; a reload shows the same page and stores nothing
// more; the page re-reads the record, so another client's id shows
// nothing. A private entry's page says nobody was told and shares it in
// one tap, which raises exactly one flag. The provider's thread marks the
// message that raised a flag.
func TestCrisisPostRedirectGet(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		j := newJournalEnv(t, db)
		j.setPassword(t, j.c.OtherClient)
		otherClient := j.signIn(t, j.c.OtherClient)
		flags := func() int {
			t.Helper()
			fs, err := db.Store.ListOpenFlags(ctx, j.c.Actor(j.c.Provider), j.c.Client.ID)
			if err != nil {
				t.Fatal(err)
			}
			return len(fs)
		}
		// reload GETs to again and wants the same banner, and n rows in table.
		reload := func(to, table string, n int, want string) {
			t.Helper()
			rec := j.call(t, "GET", to, j.client, nil)
			expect(t, rec, http.StatusOK, "", "reloading "+to)
			if b := rec.Body.String(); !crisisFirst(b) || !strings.Contains(b, want) {
				t.Errorf("reloading %s: no banner saying %q", to, want)
			}
			if got := j.count(t, table); got != n {
				t.Errorf("after reloading %s: %d rows in %s, want %d", to, got, table, n)
			}
		}

		// A private quick entry: resources, nobody told, a way to share it
		// and to message the care team.
		rec := j.form(t, "/journal/quick", j.client, url.Values{"mood": {"1"}, "text": {"I want to kill myself"}, "shared-shown": {"1"}})
		to, body := j.followSeeOther(t, rec, j.client, "a private crisis quick entry")
		if !crisisFirst(body) || !strings.Contains(body, toldNobody) || strings.Contains(body, toldCare) ||
			!strings.Contains(body, `action="/journal/`) || !strings.Contains(body, `href="/messages"`) || !strings.Contains(body, "not monitored around the clock") {
			t.Errorf("the private entry's page: %s", body)
		}
		reload(to, "journal_entries", 1, toldNobody)
		if n := flags(); n != 0 {
			t.Errorf("a private entry raised %d flags", n)
		}
		// Another client with this id in the address sees nothing extra.
		id := strings.TrimPrefix(to[strings.Index(to, "saved="):], "saved=")
		if b := j.call(t, "GET", to, otherClient, nil).Body.String(); strings.Contains(b, `class="crisis-now"`) || strings.Contains(b, id) {
			t.Error("another client sees the banner or the entry's id")
		}
		// One tap shares it: PRG again, the care team told, one flag.
		share := "/journal/" + id + "/share"
		expect(t, j.form(t, share, otherClient, url.Values{}), http.StatusNotFound, "", "another client shares the entry")
		to, body = j.followSeeOther(t, j.form(t, share, j.client, url.Values{}), j.client, "sharing")
		if !crisisFirst(body) || !strings.Contains(body, toldCare) || strings.Contains(body, toldNobody) || !strings.Contains(body, "shared with your care team") {
			t.Errorf("after sharing: %s", body)
		}
		reload(to, "journal_entries", 1, toldCare)
		if n := flags(); n != 1 {
			t.Errorf("sharing raised %d flags, want 1", n)
		}
		j.form(t, share, j.client, url.Values{})
		if n := flags(); n != 1 {
			t.Errorf("sharing again: %d flags, want 1", n)
		}

		// The full form, shared: the care team told.
		full := url.Values{"occurred_at": {db.Clock.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04")}, "mood": {"2"},
			"text": {"I have a plan to end my life"}, "shared": {"on"}}
		to, body = j.followSeeOther(t, j.form(t, "/journal", j.client, full), j.client, "a shared crisis entry")
		if !crisisFirst(body) || !strings.Contains(body, toldCare) {
			t.Errorf("the shared entry's page: %s", body)
		}
		reload(to, "journal_entries", 2, toldCare)
		if n := flags(); n != 2 {
			t.Errorf("%d flags after a shared crisis entry, want 2", n)
		}
		// A calm entry: the same kind of address, no banner.
		full.Set("text", "A good walk")
		if _, b := j.followSeeOther(t, j.form(t, "/journal", j.client, full), j.client, "a calm entry"); strings.Contains(b, `class="crisis-now"`) {
			t.Error("a calm entry shows the crisis banner")
		}

		// An edit that brings crisis words, private.
		calm := respJSON[entriesJSON](t, j.call(t, "GET", j.clientPath, j.client, nil)).Entries[0]
		full.Set("text", "honestly I want to die")
		full.Del("shared")
		to, body = j.followSeeOther(t, j.form(t, "/journal/"+calm.ID, j.client, full), j.client, "an edit with crisis words")
		if !crisisFirst(body) || !strings.Contains(body, toldNobody) || !strings.Contains(body, `action="/journal/`+calm.ID+`/share"`) {
			t.Errorf("the edited entry's page: %s", body)
		}
		reload(to, "journal_entries", 3, toldNobody)

		// The check-in's one tap: shared, the care team told.
		m := &messagesEnv{webEnv: j.webEnv, c: j.c, client: j.client, provider: j.provider}
		if rec := m.send2(t, "/clients/"+j.c.Client.ID+"/checkins", j.provider, url.Values{"weekday": {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, "time": {"09:30"}}.Encode()); rec.Code != http.StatusSeeOther {
			t.Fatalf("the schedule: %d", rec.Code)
		}
		due, _ := care.NextCheckIn(care.CheckInSchedule{Weekdays: []time.Weekday{0, 1, 2, 3, 4, 5, 6}, Minute: 9*60 + 30}, "UTC", db.Clock.Now())
		fireCheckIns(t, db, due)
		db.Clock.Advance(due.Sub(db.Clock.Now()) + time.Minute)
		// The sessions have lapsed meanwhile.
		j.client, j.provider, otherClient = j.signIn(t, j.c.Client), j.signIn(t, j.c.Provider), j.signIn(t, j.c.OtherClient)
		m.client, m.provider = j.client, j.provider
		open, found, err := db.Store.OpenCheckIn(ctx, j.c.Actor(j.c.Client))
		if err != nil || !found {
			t.Fatalf("open check-in: %v %v", found, err)
		}
		to, body = j.followSeeOther(t, m.send2(t, "/checkins/"+open.ID+"/answer", j.client, url.Values{"mood": {"0"}, "text": {"I want to end it all"}}.Encode()), j.client, "a crisis check-in answer")
		if !crisisFirst(body) || !strings.Contains(body, toldCare) {
			t.Errorf("the check-in's page: %s", body)
		}
		reload(to, "journal_entries", 4, toldCare)
		if n := flags(); n != 3 {
			t.Errorf("%d flags after a crisis check-in answer, want 3", n)
		}

		// A message from the form (not the script): told; the provider's
		// thread marks it, and only it.
		before := j.count(t, "messages")
		to, body = j.followSeeOther(t, m.send2(t, "/messages", j.client, url.Values{"text": {"I can't go on, I want to end my life"}}.Encode()), j.client, "a crisis message")
		if !crisisFirst(body) || !strings.Contains(body, toldCare) || !strings.Contains(body, "I can&#39;t go on") {
			t.Errorf("the thread after a crisis message: %s", body)
		}
		reload(to, "messages", before+1, toldCare)
		if b := j.call(t, "GET", "/messages", j.client, nil).Body.String(); strings.Contains(b, `class="crisis-now"`) {
			t.Error("the banner stays on the plain thread")
		}
		mid := strings.TrimPrefix(to, "/messages?sent=")
		if b := j.call(t, "GET", to, otherClient, nil).Body.String(); strings.Contains(b, `class="crisis-now"`) || strings.Contains(b, mid) {
			t.Error("another client sees the banner or the message's id")
		}
		to, body = j.followSeeOther(t, m.send2(t, "/messages", j.client, url.Values{"text": {"and thanks for Tuesday"}}.Encode()), j.client, "a calm message")
		if strings.Contains(body, `class="crisis-now"`) {
			t.Error("a calm message shows the banner")
		}
		// An edit that adds crisis words raises a flag: the page after it
		// shows the banner as a send does.
		calmID := strings.TrimPrefix(to, "/messages?sent=")
		_, body = j.followSeeOther(t, m.send2(t, "/messages/"+calmID, j.client, url.Values{"text": {"thanks for Tuesday. honestly I want to kill myself"}}.Encode()), j.client, "an edit into crisis words")
		if !crisisFirst(body) || !strings.Contains(body, toldCare) {
			t.Errorf("the thread after an edit into crisis words: %s", body)
		}
		if n := flags(); n != 5 {
			t.Errorf("%d flags after the edit, want 5", n)
		}
		thread := j.call(t, "GET", "/clients/"+j.c.Client.ID+"/messages", j.provider, nil).Body.String()
		item := thread[strings.Index(thread, `id="m-`+mid+`"`):]
		item = item[:strings.Index(item, "</li>")]
		if strings.Count(thread, "Raised a safety flag") != 2 || !strings.Contains(item, `<span class="tag flagged">Raised a safety flag</span>`) {
			t.Errorf("the provider's thread does not mark the two flagged messages (sent, edited): %s", thread)
		}
		if strings.Contains(j.call(t, "GET", "/messages", j.client, nil).Body.String(), "Raised a safety flag") {
			t.Error("the client's thread shows the care team's mark")
		}
	})
}

// TestCrisisMeasurePostRedirectGet (issue #16): a PHQ-9 answer with item 9
// above 0 answers 303 to its result page, which shows the resources first
// and says the care team was told; a reload stores nothing more.
func TestCrisisMeasurePostRedirectGet(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		rec := e.postForm(t, "/clients/"+e.c.Client.ID+"/measures", e.provider, url.Values{"instrument": {"phq9"}, "every": {"2"}, "unit": {"weeks"}})
		expect(t, rec, http.StatusSeeOther, "", "scheduling")
		list, err := db.Store.Measures(context.Background(), e.c.Actor(e.c.Provider), e.c.Client.ID)
		if err != nil || len(list.Schedules) != 1 {
			t.Fatalf("schedules: %+v, %v", list, err)
		}
		v := url.Values{}
		for i := 1; i <= 9; i++ {
			v.Set("q"+string(rune('0'+i)), "0")
		}
		v.Set("q9", "1")
		to, body := e.followSeeOther(t, e.postForm(t, "/measures/"+list.Schedules[0].ID, e.client, v), e.client, "a PHQ-9 with item 9 above 0")
		for range 2 {
			if i := strings.Index(body, `class="card crisis-now"`); i < 0 || !strings.Contains(body, toldCare) || !strings.Contains(body, "not monitored around the clock") {
				t.Errorf("the result page: %s", body)
			}
			if n := e.count(t, "measure_responses"); n != 1 {
				t.Errorf("%d responses, want 1", n)
			}
			if !strings.Contains(body, screenerOffer) || !strings.HasPrefix(offeredCheck(body), "/safety-check/") {
				t.Error("the result page offers no follow-up screener (issue #16)")
			}
			rec := e.call(t, "GET", to, e.client, nil)
			expect(t, rec, http.StatusOK, "", "reloading the result")
			body = rec.Body.String()
		}
		e.setPassword(t, e.c.OtherClient)
		expect(t, e.call(t, "GET", to, e.signIn(t, e.c.OtherClient), nil), http.StatusNotFound, "", "another client's result")
	})
}
