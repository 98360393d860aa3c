package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// fireCheckIns runs the check-in jobs due at at, as a server whose clock
// reads at would: a Store of its own over the test's database.
func fireCheckIns(t *testing.T, db *storetest.DB, at time.Time) []care.MessageEvent {
	t.Helper()
	ctx := context.Background()
	st := store.New(db.Engine, db.Keyring, func() time.Time { return at })
	js, err := st.ClaimJobs(ctx, "test-"+care.NewID(), []string{store.JobCheckIn}, 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var evs []care.MessageEvent
	for _, j := range js {
		ev, err := st.FireCheckIn(ctx, j)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind != "" {
			evs = append(evs, ev)
		}
	}
	return evs
}

// checkInMinutes gives each check-in the matrix makes a time of its own,
// so that each is a new due time.
var checkInMinutes atomic.Int32

// checkInOf makes an open check-in of the client in relation tg to the
// caller (a made-up id for anyone who is not a seeded client).
func (w *authzWorld) checkInOf(t *testing.T, c caller, tg target) (clientID, checkInID string) {
	t.Helper()
	u := w.user(c, tg)
	provider, ok := w.providerOf(u)
	if !ok {
		return u.ID, care.NewID()
	}
	ctx := context.Background()
	sch := care.CheckInSchedule{Weekdays: []time.Weekday{0, 1, 2, 3, 4, 5, 6}, Minute: int(checkInMinutes.Add(7) % 1440)}
	if err := w.e.db.Store.SetCheckInSchedule(ctx, provider, u.ID, &sch); err != nil {
		t.Fatal(err)
	}
	due, _ := care.NextCheckIn(sch, "UTC", w.e.db.Clock.Now())
	fireCheckIns(t, w.e.db, due)
	o, err := w.e.db.Store.CheckIns(ctx, provider, u.ID, 200)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range o.CheckIns {
		if k.DueAt.Equal(due) {
			if u.ClinicID == w.b.Clinic.ID {
				w.foreign = append(w.foreign, k.ID)
			}
			return u.ID, k.ID
		}
	}
	t.Fatalf("no check-in due %v", due)
	return "", ""
}

var (
	checkInsReadRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		return clientPath(w, c, tg, "/checkins"), nil
	}}
	checkInsSetRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		return clientPath(w, c, tg, "/checkins"), map[string]any{"weekdays": []string{"mon", "thu"}, "time": "18:00"}
	}}
	checkInAnswerRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		id, cid := w.checkInOf(t, c, tg)
		return "/api/v1/clients/" + id + "/checkins/" + cid + "/answer", map[string]any{"mood": 6}
	}}
)

// TestCheckInsAPI: the provider sets a schedule in the client's zone and
// reads it back; due check-ins appear in the thread and in the list; the
// client answers with one tap; validation by name.
func TestCheckInsAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		m := newMessagesEnv(t, db)
		path := "/api/v1/clients/" + m.c.Client.ID + "/checkins"
		for _, bad := range []map[string]any{
			{"weekdays": []string{"someday"}, "time": "18:00"},
			{"weekdays": []string{"mon"}, "time": "25:00"},
			{"weekdays": []string{"mon"}},
			{"weekdays": []string{"mon"}, "time": "18:00", "extra": 1},
		} {
			expect(t, m.call(t, "PUT", path, m.provider, bad), http.StatusBadRequest, "", "a bad schedule")
		}
		rec := m.call(t, "PUT", path, m.provider, map[string]any{"weekdays": []string{"thu", "Monday"}, "time": "18:00"})
		expect(t, rec, http.StatusOK, "", "setting the schedule")
		got := respJSON[checkInsJSON](t, rec)
		if strings.Join(got.Schedule.Weekdays, ",") != "mon,thu" || got.Schedule.Time != "18:00" || got.Schedule.TimeZone != "UTC" ||
			got.NextDueAt == nil || got.Schedule.Version != 1 {
			t.Fatalf("schedule %+v", got)
		}
		due := *got.NextDueAt
		if evs := fireCheckIns(t, db, due); len(evs) != 1 {
			t.Fatalf("firing: %+v", evs)
		}
		rec = m.call(t, "GET", path, m.client, nil)
		expect(t, rec, http.StatusOK, "", "the client reads their check-ins")
		got = respJSON[checkInsJSON](t, rec)
		if len(got.CheckIns) != 1 || got.CheckIns[0].Status != "open" || !got.CheckIns[0].DueAt.Equal(due) || got.CheckIns[0].MessageID == "" {
			t.Fatalf("check-ins %+v", got.CheckIns)
		}
		thread := respJSON[messageListJSON](t, m.call(t, "GET", m.path, m.client, nil))
		if len(thread.Messages) != 1 || thread.Messages[0].Text != care.CheckInPrompt {
			t.Errorf("thread %+v", thread)
		}
		answer := path + "/" + got.CheckIns[0].ID + "/answer"
		expect(t, m.call(t, "POST", answer, m.client, map[string]any{"text": "no mood"}), http.StatusBadRequest, "invalid", "no mood")
		expect(t, m.call(t, "POST", answer, m.client, map[string]any{"mood": -1}), http.StatusBadRequest, "invalid", "mood -1")
		rec = m.call(t, "POST", answer, m.client, map[string]any{"mood": 8, "text": "better"})
		expect(t, rec, http.StatusCreated, "", "answering")
		a := respJSON[struct {
			CheckInID string    `json:"checkin_id"`
			Entry     entryJSON `json:"entry"`
		}](t, rec)
		if a.Entry.Mood == nil || *a.Entry.Mood != 8 || !a.Entry.Shared || a.Entry.Text != "better" {
			t.Errorf("the answer's entry %+v", a.Entry)
		}
		expect(t, m.call(t, "POST", answer, m.client, map[string]any{"mood": 3}), http.StatusConflict, "", "answering twice")
		got = respJSON[checkInsJSON](t, m.call(t, "GET", path, m.provider, nil))
		if got.CheckIns[0].Status != "answered" || got.CheckIns[0].Mood == nil || *got.CheckIns[0].Mood != 8 || got.CheckIns[0].EntryID != a.Entry.ID {
			t.Errorf("the provider's list after the answer: %+v", got.CheckIns)
		}
		expect(t, m.call(t, "GET", path, m.other, nil), http.StatusNotFound, "", "another provider")
	})
}

// TestCheckInPages: the provider's schedule form and list on the client
// page, with missed check-ins marked; the client's one-tap prompt on their
// home page.
func TestCheckInPages(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		m := newMessagesEnv(t, db)
		record := "/clients/" + m.c.Client.ID
		rec := m.send2(t, record+"/checkins", m.provider, url.Values{"weekday": {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, "time": {"nine"}}.Encode())
		expect(t, rec, http.StatusBadRequest, "", "a bad time from the form")
		if body := rec.Body.String(); !strings.Contains(body, `id="checkins-error"`) || !strings.Contains(body, `aria-invalid="true"`) {
			t.Errorf("the refused form does not point at the time: %s", body)
		}
		rec = m.send2(t, record+"/checkins", m.provider, url.Values{"weekday": {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, "time": {"09:30"}}.Encode())
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != record+"?tab=measures&done=checkins#checkins" {
			t.Fatalf("saving the schedule: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		expect(t, m.send2(t, record+"/checkins", m.client, url.Values{"weekday": {"mon"}, "time": {"09:30"}}.Encode()), http.StatusForbidden, "", "the client sets the schedule")

		// Two check-ins fire: the first goes unanswered, the second is
		// answered from the home page with one tap.
		now := db.Clock.Now()
		sch := care.CheckInSchedule{Weekdays: []time.Weekday{0, 1, 2, 3, 4, 5, 6}, Minute: 9*60 + 30}
		due1, _ := care.NextCheckIn(sch, "UTC", now)
		due2, _ := care.NextCheckIn(sch, "UTC", due1)
		fireCheckIns(t, db, due1)
		fireCheckIns(t, db, due2)
		db.Clock.Advance(due2.Sub(now) + time.Hour) // the first has closed
		client := m.signIn(t, m.c.Client)
		home := m.call(t, "GET", "/", client, nil)
		expect(t, home, http.StatusOK, "", "the client's home")
		body := home.Body.String()
		if !strings.Contains(body, "How are you doing today?") || strings.Count(body, `name="mood" value=`) < 11 {
			t.Fatalf("the home page has no one-tap check-in: %s", body)
		}
		i := strings.Index(body, `action="/checkins/`)
		action := body[i+len(`action="`):]
		action = action[:strings.Index(action, `"`)]
		rec = m.send2(t, action, client, url.Values{"mood": {"4"}, "text": {"a long day"}}.Encode())
		if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/?done=checkin&saved=") {
			t.Fatalf("answering from the home page: %d %s %s", rec.Code, rec.Header().Get("Location"), rec.Body)
		}
		if body := m.call(t, "GET", "/?done=checkin", client, nil).Body.String(); strings.Contains(body, `action="/checkins/`) {
			t.Error("the answered check-in is still asked on the home page")
		}
		rec = m.send2(t, action, client, url.Values{"mood": {"5"}}.Encode())
		if rec.Header().Get("Location") != "/?done=checkin-closed" {
			t.Errorf("answering again: %d %s", rec.Code, rec.Header().Get("Location"))
		}

		provider := m.signIn(t, m.c.Provider)
		page := m.call(t, "GET", record+"?tab=measures", provider, nil)
		expect(t, page, http.StatusOK, "", "the client page")
		body = page.Body.String()
		for _, want := range []string{`id="checkins"`, "1 missed", "Answered: mood 4 of 10", `value="09:30"`, `id="checkin-day-mon" name="weekday" value="mon" checked`} {
			if !strings.Contains(body, want) {
				t.Errorf("the client page lacks %q", want)
			}
		}
	})
}

// sampleCheckIn is an open check-in for TestEveryPageTemplate.
func sampleCheckIn() *checkInPrompt {
	return &checkInPrompt{ID: "k1", Asked: "Mon 18:00", AskedAt: "2026-11-20T18:00:00Z", Moods: []int{0, 5, 10}}
}

// TestCheckInAnswerCrisis: an answer to a check-in whose words hold crisis
// language gets the crisis resources and the safety plan's address in the
// API's answer, as a journal entry does (#16).
func TestCheckInAnswerCrisis(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		m := newMessagesEnv(t, db)
		path := "/api/v1/clients/" + m.c.Client.ID + "/checkins"
		rec := m.call(t, "PUT", path, m.provider, map[string]any{"weekdays": []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, "time": "18:00"})
		expect(t, rec, http.StatusOK, "", "setting the schedule")
		if evs := fireCheckIns(t, db, *respJSON[checkInsJSON](t, rec).NextDueAt); len(evs) != 1 {
			t.Fatalf("firing: %+v", evs)
		}
		got := respJSON[checkInsJSON](t, m.call(t, "GET", path, m.client, nil))
		rec = m.call(t, "POST", path+"/"+got.CheckIns[0].ID+"/answer", m.client, map[string]any{"mood": 1, "text": "I want to kill myself tonight"})
		expect(t, rec, http.StatusCreated, "", "answering")
		a := respJSON[struct {
			CheckInID string    `json:"checkin_id"`
			Entry     entryJSON `json:"entry"`
		}](t, rec)
		if !slices.ContainsFunc(a.Entry.CrisisResources, func(c crisisResourceJSON) bool { return strings.Contains(c.Name+c.Detail, "988") }) {
			t.Errorf("crisis resources in the answer: %+v", a.Entry.CrisisResources)
		}
	})
}
