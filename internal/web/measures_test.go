package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// ---- The authorization matrix (authz_test.go) ----

// measureOfClient is a new weekly PHQ-9 of the user in relation tg to the
// caller, due now.
func (w *authzWorld) measureOfClient(t *testing.T, c caller, tg target) (clientID, scheduleID string) {
	t.Helper()
	u := w.user(c, tg)
	provider, ok := w.providerOf(u)
	if !ok {
		return u.ID, care.NewID()
	}
	m := &care.MeasureSchedule{Instrument: "phq9", EveryDays: 7}
	if err := w.e.db.Store.ScheduleMeasure(context.Background(), provider, u.ID, m); err != nil {
		t.Fatal(err)
	}
	if u.ClinicID == w.b.Clinic.ID {
		w.foreign = append(w.foreign, m.ID)
	}
	return u.ID, m.ID
}

var (
	measuresReadRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		return clientPath(w, c, tg, "/measures"), nil
	}}
	measureScheduleRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		return clientPath(w, c, tg, "/measures"), map[string]any{"instrument": "gad7", "every_days": 14}
	}}
	measureStopRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		id, mid := w.measureOfClient(t, c, tg)
		return "/api/v1/clients/" + id + "/measures/" + mid, nil
	}}
	measureAnswerRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		id, mid := w.measureOfClient(t, c, tg)
		return "/api/v1/clients/" + id + "/measures/" + mid + "/responses", map[string]any{"answers": []int{0, 1, 0, 1, 0, 1, 0, 1, 0}}
	}}
)

type measuresOf struct {
	Schedules []struct {
		ID         string `json:"id"`
		Instrument string `json:"instrument"`
		EveryDays  int    `json:"every_days"`
		Due        bool   `json:"due"`
	} `json:"schedules"`
	Responses []struct {
		ID       string `json:"id"`
		Total    int    `json:"total"`
		Severity string `json:"severity"`
		Flag     bool   `json:"safety_flag"`
		Answers  []int  `json:"answers"`
		Change   struct {
			Reliable  string `json:"reliable_change"`
			Response  bool   `json:"response"`
			Remission bool   `json:"remission"`
			Delta     *int   `json:"delta"`
		} `json:"change"`
	} `json:"responses"`
}

// TestMeasuresAPI: the care team schedules; the client answers; the
// server scores and ignores a total the client sends; answers are
// validated strictly (IV-01); change markers come back on the list.
func TestMeasuresAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		rec := e.call(t, "POST", e.base+"/measures", e.provider, map[string]any{"instrument": "phq9", "every_days": 7})
		expect(t, rec, http.StatusCreated, "", "scheduling")
		sched := respJSON[struct {
			ID  string `json:"id"`
			Due bool   `json:"due"`
		}](t, rec)
		if sched.ID == "" || !sched.Due {
			t.Fatalf("schedule: %s", rec.Body)
		}
		answers := e.base + "/measures/" + sched.ID + "/responses"
		for _, tc := range []struct {
			body, field string
		}{
			{`{"answers": [0,0,0,0,0,0,0,0]}`, "answers"},
			{`{"answers": [0,0,0,0,0,0,0,0,0,0]}`, "answers"},
			{`{"answers": [0,0,0,0,0,0,0,0,4]}`, "answers[8]"},
			{`{"answers": [0,0,0,0,0,0,0,0,-1]}`, "answers[8]"},
			{`{"answers": [0,0,0,0,0,0,0,0,1.0]}`, ""},
			{`{"answers": [0,0,0,0,0,0,0,0,"1"]}`, ""},
			{`{"answers": [0,0,0,0,0,0,0,0,null]}`, ""},
			{`{"answers": null}`, "answers"},
			{`{}`, "answers"},
			{`{"answers": [0,0,0,0,0,0,0,0,0], "answers": [1,1,1,1,1,1,1,1,1]}`, ""},
			{`{"answers": [0,0,0,0,0,0,0,0,0], "score": 3}`, ""},
			// The unscored last question: optional, and strict when given.
			{`{"answers": [0,0,0,0,0,0,0,0,0], "difficulty": 4}`, "difficulty"},
			{`{"answers": [0,0,0,0,0,0,0,0,0], "difficulty": -1}`, "difficulty"},
			{`{"answers": [0,0,0,0,0,0,0,0,0], "difficulty": 1.0}`, "difficulty"},
			{`{"answers": [0,0,0,0,0,0,0,0,0], "difficulty": "1"}`, "difficulty"},
			{`{"answers": [0,0,0,0,0,0,0,0,0], "difficulty": [1]}`, "difficulty"},
		} {
			rec := e.send(t, envRequest{method: "POST", path: answers, token: e.client, body: tc.body})
			expect(t, rec, http.StatusBadRequest, "invalid", tc.body)
			if tc.field != "" && respError(rec).Error.Field != tc.field {
				t.Errorf("%s: field %q, want %q", tc.body, respError(rec).Error.Field, tc.field)
			}
		}
		if n := e.rows(t, "measure_responses"); n != 0 {
			t.Fatalf("%d responses stored after refusals", n)
		}
		// The provider may not answer for the client.
		expect(t, e.call(t, "POST", answers, e.provider, map[string]any{"answers": make([]int, 9)}), http.StatusForbidden, "forbidden", "the provider answers")

		// A total sent by the client is ignored.
		rec = e.call(t, "POST", answers, e.client, map[string]any{"answers": []int{2, 2, 2, 2, 2, 2, 2, 2, 0}, "total": 0, "difficulty": 3})
		expect(t, rec, http.StatusCreated, "", "answering")
		if d := respJSON[struct {
			Difficulty *int `json:"difficulty"`
		}](t, rec).Difficulty; d == nil || *d != 3 {
			t.Errorf("difficulty answered %v, want 3", d)
		}
		got := respJSON[struct {
			ID       string `json:"id"`
			Total    int    `json:"total"`
			Severity string `json:"severity"`
			Flag     bool   `json:"safety_flag"`
			Crisis   any    `json:"crisis"`
		}](t, rec)
		if got.Total != 16 || got.Severity != "moderately_severe" || got.Flag || got.Crisis != nil {
			t.Errorf("response: %s", rec.Body)
		}
		expect(t, e.call(t, "POST", answers, e.client, map[string]any{"answers": make([]int, 9)}), http.StatusConflict, "conflict", "answering before it is due")

		db.Clock.Advance(7 * 24 * time.Hour)
		e.client, e.provider = e.signIn(t, e.c.Client), e.signIn(t, e.c.Provider) // a week on, the sessions have ended
		rec = e.call(t, "POST", answers, e.client, map[string]any{"answers": []int{1, 1, 0, 0, 0, 0, 0, 0, 1}})
		expect(t, rec, http.StatusCreated, "", "answering with item 9")
		flagged := respJSON[struct {
			Total    int  `json:"total"`
			Flag     bool `json:"safety_flag"`
			Severity string
			Crisis   struct {
				Resources []struct {
					Tel string `json:"tel"`
				} `json:"resources"`
			} `json:"crisis"`
		}](t, rec)
		if flagged.Total != 3 || !flagged.Flag || len(flagged.Crisis.Resources) < 2 || flagged.Crisis.Resources[0].Tel != "988" {
			t.Errorf("flagged response: %s", rec.Body)
		}

		rec = e.call(t, "GET", e.base+"/measures", e.provider, nil)
		expect(t, rec, http.StatusOK, "", "the list")
		list := respJSON[measuresOf](t, rec)
		if len(list.Schedules) != 1 || len(list.Responses) != 2 {
			t.Fatalf("list: %s", rec.Body)
		}
		if r := list.Responses[0]; r.Total != 3 || !r.Flag || r.Change.Reliable != "reliable_improvement" || !r.Change.Response || !r.Change.Remission || *r.Change.Delta != -13 {
			t.Errorf("newest: %+v", r)
		}
		if r := list.Responses[1]; r.Change.Reliable != "none" || r.Change.Delta != nil || len(r.Answers) != 9 {
			t.Errorf("baseline: %+v", r)
		}

		// Stopped by the care team: no longer due; the client may not stop.
		expect(t, e.call(t, "DELETE", e.base+"/measures/"+sched.ID, e.client, nil), http.StatusForbidden, "forbidden", "the client stops")
		expect(t, e.call(t, "DELETE", e.base+"/measures/"+sched.ID, e.provider, nil), http.StatusNoContent, "", "stopping")

		rec = e.call(t, "GET", "/api/v1/instruments", e.client, nil)
		expect(t, rec, http.StatusOK, "", "instruments")
		if b := rec.Body.String(); !strings.Contains(b, "Thoughts that you would be better off dead") || !strings.Contains(b, `"safety_item":9`) || !strings.Contains(b, "More than half the days") {
			t.Errorf("instruments: %s", b)
		}
	})
}

// TestMeasurePages: the provider schedules on the client page; the client
// sees it due on their home, answers on one accessible page (a fieldset
// and legend per item), and an answer with item 9 above 0 shows crisis
// resources at once; the provider's page shows the score, band and
// markers.
func TestMeasurePages(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		id := e.c.Client.ID
		rec := e.postForm(t, "/clients/"+id+"/measures", e.provider, url.Values{"instrument": {"phq9"}, "every": {"0"}, "unit": {"weeks"}})
		expect(t, rec, http.StatusBadRequest, "", "every 0 weeks")
		if !strings.Contains(rec.Body.String(), `id="measures-error"`) {
			t.Errorf("the refused schedule form: %s", rec.Body)
		}
		rec = e.postForm(t, "/clients/"+id+"/measures", e.provider, url.Values{"instrument": {"phq9"}, "every": {"2"}, "unit": {"weeks"}})
		expect(t, rec, http.StatusSeeOther, "", "scheduling")
		list, err := db.Store.Measures(context.Background(), e.c.Actor(e.c.Provider), id)
		if err != nil || len(list.Schedules) != 1 || list.Schedules[0].EveryDays != 14 {
			t.Fatalf("schedules: %+v, %v", list, err)
		}
		mid := list.Schedules[0].ID

		home := e.call(t, "GET", "/", e.client, nil).Body.String()
		if !strings.Contains(home, `href="/measures/`+mid+`"`) {
			t.Errorf("the client's home does not link the due PHQ-9")
		}
		rec = e.call(t, "GET", "/measures/"+mid, e.client, nil)
		expect(t, rec, http.StatusOK, "", "the form")
		form := rec.Body.String()
		// Nine items and the unscored, optional difficulty question; the
		// attribution, and never "public domain" (issue #16).
		if strings.Count(form, "<fieldset") != 10 || strings.Count(form, "<legend>") != 10 || strings.Count(form, `type="radio"`) != 40 ||
			strings.Count(form, " required") != 36 || !strings.Contains(form, `<label for="q9-3">Nearly every day</label>`) ||
			!strings.Contains(form, `<label for="difficulty-3">Extremely difficult</label>`) || !strings.Contains(form, "how difficult have these problems made it") {
			t.Errorf("the form: %s", form)
		}
		if !strings.Contains(form, "Pfizer Inc.") || !strings.Contains(form, "Kurt Kroenke") || strings.Contains(strings.ToLower(form), "public domain") {
			t.Errorf("the form's attribution is missing or wrong")
		}
		expect(t, e.call(t, "GET", "/measures/"+mid, e.provider, nil), http.StatusNotFound, "", "the provider opens the client's form")

		// Two questions unanswered: the form comes back, keeping the answers.
		v := url.Values{}
		for i := 1; i <= 7; i++ {
			v.Set("q"+string(rune('0'+i)), "1")
		}
		rec = e.postForm(t, "/measures/"+mid, e.client, v)
		expect(t, rec, http.StatusBadRequest, "", "two unanswered")
		if b := rec.Body.String(); !strings.Contains(b, "2 of 9 still need an answer") || !strings.Contains(b, `id="q8" aria-invalid="true"`) ||
			!strings.Contains(b, `id="q1-1" name="q1" value="1" required checked`) {
			t.Errorf("the refused form: %s", b)
		}
		v.Set("q8", "0")
		v.Set("q9", "2")
		v.Set("difficulty", "7")
		rec = e.postForm(t, "/measures/"+mid, e.client, v)
		expect(t, rec, http.StatusBadRequest, "", "a difficulty of 7")
		if b := rec.Body.String(); !strings.Contains(b, `id="difficulty" aria-describedby="difficulty-hint difficulty-error" aria-invalid="true"`) {
			t.Errorf("the refused difficulty: %s", b)
		}
		v.Set("difficulty", "2")
		rec = e.postForm(t, "/measures/"+mid, e.client, v)
		expect(t, rec, http.StatusSeeOther, "", "answering")
		result := e.call(t, "GET", rec.Header().Get("Location"), e.client, nil).Body.String()
		if !strings.Contains(result, "Help is here, right now") || !strings.Contains(result, `href="tel:988"`) || !strings.Contains(result, "<strong>9</strong> out of 27") ||
			!strings.Contains(result, "<strong>Very difficult</strong>") {
			t.Errorf("the result page: %s", result)
		}

		page := e.call(t, "GET", "/clients/"+id+"?tab=measures", e.provider, nil).Body.String()
		for _, want := range []string{`id="measures"`, "PHQ-9", "Mild", "Item 9 above 0: safety flag", "Baseline", "Every 2 weeks", "Very difficult"} {
			if !strings.Contains(page, want) {
				t.Errorf("the client page lacks %q", want)
			}
		}
		mine := e.call(t, "GET", "/measures", e.client, nil).Body.String()
		if !strings.Contains(mine, "Nothing is due") || !strings.Contains(mine, "Mild") || !strings.Contains(mine, "Very difficult") {
			t.Errorf("the client's measures page: %s", mine)
		}
		expect(t, e.call(t, "GET", "/measures", e.provider, nil), http.StatusNotFound, "", "a provider's /measures")
	})
}

// FuzzMeasureAnswers: whatever body a client sends, the strict decoder
// and the scorer accept only exactly nine answers written as the digits 0
// to 3, and the total is their sum; everything else is care.Invalid
// (IV-01). The check parses the body a second way, with encoding/json.
func FuzzMeasureAnswers(f *testing.F) {
	for _, s := range []string{
		`{"answers": [0,1,2,3,0,1,2,3,0]}`, `{"answers": [0,1,2,3,0,1,2,3,0], "total": 99}`, `{"answers": [0,1,2,3,0,1,2,3]}`,
		`{"answers": [4,1,2,3,0,1,2,3,0]}`, `{"answers": [1e0,1,2,3,0,1,2,3,0]}`, `{"answers": [-0,1,2,3,0,1,2,3,0]}`, `[0,1,2]`,
		`{"answers": [0,1,2,3,0,1,2,3,0], "total": {"a": [1]}}`, `{"answers":[ 3 ,3,3,3,3,3,3,3,3 ]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var req answerRequest
		err := decodeJSON(httptest.NewRecorder(), r, &req)
		var score care.Score
		if err == nil {
			score, err = care.PHQ9.Score(req.Answers)
		}
		if err != nil {
			if care.ErrorCode(err) != care.Invalid {
				t.Fatalf("%q: %v", body, err)
			}
			return
		}
		var raw struct {
			Answers []json.RawMessage `json:"answers"`
		}
		if err := json.Unmarshal([]byte(body), &raw); err != nil {
			t.Fatalf("accepted %q, which encoding/json refuses: %v", body, err)
		}
		if len(raw.Answers) != 9 {
			t.Fatalf("accepted %q with %d answers", body, len(raw.Answers))
		}
		sum := 0
		for _, a := range raw.Answers {
			lit := strings.TrimSpace(string(a))
			if len(lit) != 1 || lit[0] < '0' || lit[0] > '3' {
				t.Fatalf("accepted %q with the answer %s", body, lit)
			}
			sum += int(lit[0] - '0')
		}
		if score.Total != sum {
			t.Fatalf("%q: total %d, want %d", body, score.Total, sum)
		}
	})
}

// sampleResponses are a baseline and a flagged, improved PHQ-9, newest
// first, for the page samples.
func sampleResponses() []care.MeasureResponse {
	out := []care.MeasureResponse{
		{ID: "r1", Instrument: "phq9", Score: care.Score{Total: 16, Severity: care.ModeratelySevere}},
		{ID: "r2", Instrument: "phq9", Score: care.Score{Total: 4, Severity: care.Minimal, SafetyFlag: true}},
	}
	for i, p := range care.PHQ9.ProgressOf([]int{16, 4}, care.PHQ9.ReliableChange) {
		out[i].Progress = p
	}
	return []care.MeasureResponse{out[1], out[0]}
}

// TestMeasureSafetyMessage: an admin sets the clinic's safety message (a
// provider or client may not, and nothing changes); the client sees 988,
// 911 and the clinic's crisis line beside every questionnaire, and after
// an answer with PHQ-9 item 9 above 0, at once, the crisis resources with
// the clinic's line and safety message, on the page and in the API answer
// (issue #7, AC-02).
func TestMeasureSafetyMessage(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		e := newPlanEnv(t, db)
		admin := e.signIn(t, e.c.Admin)
		const msg = "We will call you within one working day. If you cannot keep yourself safe, call 988 now."
		for _, tok := range []string{e.provider, e.client} {
			expect(t, e.postForm(t, "/settings/safety-message", tok, url.Values{"safety_message": {"not theirs"}}), http.StatusForbidden, "", "a non-admin sets the message")
		}
		expect(t, e.postForm(t, "/settings/safety-message", admin, url.Values{"safety_message": {strings.Repeat("x", care.MaxSafetyMessage+1)}}), http.StatusBadRequest, "", "too long")
		if got, err := db.Store.SafetyMessage(ctx, e.c.Actor(e.c.Client)); err != nil || got != "" {
			t.Fatalf("after refusals the message is %q, %v", got, err)
		}
		rec := e.postForm(t, "/settings/safety-message", admin, url.Values{"safety_message": {"  " + msg + "\n"}})
		expect(t, rec, http.StatusSeeOther, "", "the admin sets the message")
		if got, err := db.Store.SafetyMessage(ctx, e.c.Actor(e.c.Client)); err != nil || got != msg {
			t.Fatalf("message %q, %v", got, err)
		}
		if page := e.call(t, "GET", "/settings", admin, nil).Body.String(); !strings.Contains(page, ">"+msg+"</textarea>") {
			t.Errorf("the people page does not show the message")
		}
		if err := db.Store.SetCrisisLine(ctx, e.c.Actor(e.c.Admin), "Call (555) 010-0199"); err != nil {
			t.Fatal(err)
		}

		// The web form: help beside the questions; the answer's page.
		m := care.MeasureSchedule{Instrument: "phq9", EveryDays: 7}
		if err := db.Store.ScheduleMeasure(ctx, e.c.Actor(e.c.Provider), e.c.Client.ID, &m); err != nil {
			t.Fatal(err)
		}
		form := e.call(t, "GET", "/measures/"+m.ID, e.client, nil).Body.String()
		for _, want := range []string{`href="tel:988"`, `href="tel:911"`, `href="tel:&#43;15550100199">Call<span class="visually-hidden"> Your clinic&#39;s crisis line</span></a>`, "Call (555) 010-0199", `href="sms:741741?body=HOME"`, `href="https://988lifeline.org/chat"`} {
			if !strings.Contains(form, want) {
				t.Errorf("the form lacks %s", want)
			}
		}
		if strings.Contains(form, msg) {
			t.Errorf("the form shows the safety message before any answer")
		}
		v := url.Values{}
		for i := 1; i <= 9; i++ {
			v.Set("q"+string(rune('0'+i)), "0")
		}
		v.Set("q9", "1")
		rec = e.postForm(t, "/measures/"+m.ID, e.client, v)
		expect(t, rec, http.StatusSeeOther, "", "answering with item 9")
		result := e.call(t, "GET", rec.Header().Get("Location"), e.client, nil).Body.String()
		for _, want := range []string{"Help is here, right now", `href="tel:988"`, `href="tel:911"`, "Call (555) 010-0199", "<strong>From your clinic:</strong> " + msg + "</p>"} {
			if !strings.Contains(result, want) {
				t.Errorf("the result page lacks %s", want)
			}
		}
		if i, j := strings.Index(result, "Help is here"), strings.Index(result, "Your score is"); i < 0 || i > j {
			t.Errorf("the crisis resources do not come before the score")
		}

		// The API answer carries the same.
		db.Clock.Advance(7 * 24 * time.Hour)
		e.client = e.signIn(t, e.c.Client)
		rec = e.call(t, "POST", e.base+"/measures/"+m.ID+"/responses", e.client, map[string]any{"answers": []int{0, 0, 0, 0, 0, 0, 0, 0, 3}})
		expect(t, rec, http.StatusCreated, "", "answering with item 9 by the API")
		got := respJSON[struct {
			Crisis struct {
				Resources []struct {
					Name, Detail, Tel string
				} `json:"resources"`
				Message string `json:"clinic_message"`
			} `json:"crisis"`
		}](t, rec)
		if r := got.Crisis.Resources; len(r) != 5 || r[0].Tel != "988" || r[3].Tel != "911" || r[4].Tel != "+15550100199" || got.Crisis.Message != msg {
			t.Errorf("the API's crisis: %s", rec.Body)
		}
	})
}
