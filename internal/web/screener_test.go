package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"interlude/internal/fhir/fhirtest"
	"interlude/internal/store/storetest"
)

const screenerOffer = "Answer 4 short questions so your care team knows how to help"

// offeredCheck returns the /safety-check/{fid} address the page offers,
// or "".
func offeredCheck(body string) string {
	i := strings.Index(body, `href="/safety-check/`)
	if i < 0 {
		return ""
	}
	rest := body[i+len(`href="`):]
	return rest[:strings.Index(rest, `"`)]
}

// TestSafetyCheckPages (issue #16): after a crisis message, the page
// that shows the resources offers the follow-up screener; only the
// client opens it for their own flag; the acuity question comes only
// after a yes; the answer is post/redirect/get to a page that shows the
// resources again and, for an acute positive, says to call 988 or 911
// now; the provider sees the result on the flag, the client page and the
// brief.
func TestSafetyCheckPages(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		j := newJournalEnv(t, db)
		j.setPassword(t, j.c.OtherClient)
		otherClient := j.signIn(t, j.c.OtherClient)
		m := &messagesEnv{webEnv: j.webEnv, c: j.c, client: j.client, provider: j.provider}

		_, body := j.followSeeOther(t, m.send2(t, "/messages", j.client, url.Values{"text": {"I want to kill myself tonight"}}.Encode()), j.client, "a crisis message")
		if !crisisFirst(body) || !strings.Contains(body, screenerOffer) {
			t.Fatalf("the page after a crisis message offers no screener: %s", body)
		}
		check := offeredCheck(body)
		if check == "" || strings.Index(body, `class="help-list"`) > strings.Index(body, screenerOffer) {
			t.Errorf("the offer %q comes before the resources", check)
		}
		for who, token := range map[string]string{"another client": otherClient, "the provider": j.provider} {
			expect(t, j.call(t, "GET", check, token, nil), http.StatusNotFound, "", who+" opens the screener")
			expect(t, j.form(t, check, token, url.Values{"q1": {"no"}, "q2": {"no"}, "q3": {"no"}, "q4": {"no"}}), http.StatusNotFound, "", who+" answers")
		}

		rec := j.call(t, "GET", check, j.client, nil)
		expect(t, rec, http.StatusOK, "", "the screener")
		form := rec.Body.String()
		if strings.Count(form, `type="radio"`) != 8 || strings.Contains(form, `name="acuity"`) || !strings.Contains(form, "NIMH") ||
			!strings.Contains(form, `class="help-list"`) {
			t.Errorf("the form: four yes/no questions, the source and the resources, no acuity question yet: %s", form)
		}
		// An unanswered question: 400, said.
		rec = j.form(t, check, j.client, url.Values{"q1": {"no"}, "q3": {"no"}, "q4": {"no"}})
		expect(t, rec, http.StatusBadRequest, "", "a question left out")
		if b := rec.Body.String(); !strings.Contains(b, "Please answer every question") || !strings.Contains(b, `aria-invalid="true"`) {
			t.Errorf("the form's problem: %s", b)
		}
		// A yes: the acuity question next, the answers kept.
		first := url.Values{"q1": {"no"}, "q2": {"no"}, "q3": {"yes"}, "q4": {"no"}}
		rec = j.form(t, check, j.client, first)
		expect(t, rec, http.StatusOK, "", "a yes")
		if b := rec.Body.String(); !strings.Contains(b, `name="acuity"`) || !strings.Contains(b, "right now") || !strings.Contains(b, `id="q3-yes" name="q3" value="yes" required checked`) {
			t.Errorf("the acuity step: %s", b)
		}
		first.Set("acuity", "yes")
		to, done := j.followSeeOther(t, j.form(t, check, j.client, first), j.client, "the answers")
		if to != check+"/done" || !strings.Contains(done, "Please call 988 or 911 now") || !strings.Contains(done, `class="help-list"`) {
			t.Errorf("the page after an acute positive (%s): %s", to, done)
		}
		if b := j.call(t, "GET", to, j.client, nil).Body.String(); !strings.Contains(b, "Please call 988 or 911 now") {
			t.Error("reloading the page after the answers")
		}
		expect(t, j.call(t, "GET", to, otherClient, nil), http.StatusNotFound, "", "another client's answer page")
		// Answered: the form leads to that page; a second answer conflicts.
		if rec := j.call(t, "GET", check, j.client, nil); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != to {
			t.Errorf("the form after the answer: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		expect(t, j.form(t, check, j.client, first), http.StatusConflict, "", "answering twice")
		if n := j.count(t, "screener_responses"); n != 1 {
			t.Errorf("%d screener responses, want 1", n)
		}

		// The provider sees the result with the flag.
		tag := "ASQ: Acute positive screen"
		for _, path := range []string{"/safety-flags", "/clients/" + j.c.Client.ID, "/clients/" + j.c.Client.ID + "/brief"} {
			rec := j.call(t, "GET", path, j.provider, nil)
			expect(t, rec, http.StatusOK, "", path)
			if !strings.Contains(rec.Body.String(), tag) {
				t.Errorf("%s does not show the screen's result", path)
			}
		}
		if b := j.call(t, "GET", "/api/v1/clients/"+j.c.Client.ID+"/brief", j.provider, nil).Body.String(); !strings.Contains(b, `"screener_result":"acute_positive"`) {
			t.Errorf("the brief's safety events lack the screen: %s", b)
		}
		if b := j.call(t, "GET", "/clients", j.provider, nil).Body.String(); !strings.Contains(b, "acute positive screen") {
			t.Errorf("the caseload does not say the screen: %s", b)
		}

		// A shared crisis entry offers it too; a private one, which told
		// nobody and raised no flag, does not.
		entry := url.Values{"mood": {"1"}, "text": {"I want to kill myself"}, "shared-shown": {"1"}}
		if _, b := j.followSeeOther(t, j.form(t, "/journal/quick", j.client, entry), j.client, "a private crisis entry"); strings.Contains(b, screenerOffer) {
			t.Error("a private entry offers the screener")
		}
		entry.Set("shared", "on")
		_, b := j.followSeeOther(t, j.form(t, "/journal/quick", j.client, entry), j.client, "a shared crisis entry")
		if !strings.Contains(b, screenerOffer) || offeredCheck(b) == check {
			t.Errorf("a shared crisis entry offers %q: %s", offeredCheck(b), b)
		}
		// The acuity question left unanswered after a yes, sent anyway.
		rec = j.form(t, offeredCheck(b), j.client, url.Values{"q1": {"yes"}, "q2": {"no"}, "q3": {"no"}, "q4": {"no"}, "acuity": {"maybe"}})
		expect(t, rec, http.StatusBadRequest, "", "a wrong acuity answer")
		if !strings.Contains(rec.Body.String(), "Please answer the last question with yes or no.") {
			t.Errorf("the acuity problem: %s", rec.Body)
		}
	})
}

// TestScreenerAPI (issue #16): POST …/safety-flags/{fid}/screener takes
// four booleans and the acuity answer strictly and answers 201 with the
// triage and the crisis resources; the flag carries the result.
func TestScreenerAPI(t *testing.T) {
	t.Parallel()
	v := fhirtest.New(t)
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		m := newMessagesEnv(t, db)
		msg := m.send(t, m.client, "I want to kill myself")
		flags := respJSON[flagListJSON](t, m.call(t, "GET", "/api/v1/clients/"+m.c.Client.ID+"/safety-flags", m.provider, nil)).Flags
		if len(flags) != 1 || flags[0].Source.ID != msg.ID || flags[0].ScreenerResult != nil {
			t.Fatalf("flags: %+v", flags)
		}
		path := "/api/v1/clients/" + m.c.Client.ID + "/safety-flags/" + flags[0].ID + "/screener"
		for name, body := range map[string]any{
			"numbers":          map[string]any{"answers": []int{0, 1, 0, 0}, "acuity": false},
			"strings":          map[string]any{"answers": []string{"no", "no", "no", "no"}},
			"a null answer":    map[string]any{"answers": []any{false, nil, false, false}},
			"three":            map[string]any{"answers": []bool{false, false, false}},
			"no answers":       map[string]any{"acuity": false},
			"acuity after no":  map[string]any{"answers": []bool{false, false, false, false}, "acuity": false},
			"no acuity, a yes": map[string]any{"answers": []bool{true, false, false, false}, "acuity": nil},
			"an unknown field": map[string]any{"answers": []bool{false, false, false, false}, "score": 0},
			"acuity as number": map[string]any{"answers": []bool{true, false, false, false}, "acuity": 1},
		} {
			expect(t, m.call(t, "POST", path, m.client, body), http.StatusBadRequest, "invalid", name)
		}
		expect(t, m.call(t, "POST", path, m.provider, map[string]any{"answers": []bool{false, false, false, false}}), http.StatusForbidden, "forbidden", "the provider")
		rec := m.call(t, "POST", path, m.client, map[string]any{"answers": []bool{false, false, false, true}, "acuity": false})
		expect(t, rec, http.StatusCreated, "", "the answers")
		got := respJSON[struct {
			Result string         `json:"result"`
			FlagID string         `json:"flag_id"`
			Crisis map[string]any `json:"crisis"`
		}](t, rec)
		if got.Result != "non_acute_positive" || got.FlagID != flags[0].ID || got.Crisis["resources"] == nil {
			t.Errorf("answer: %s", rec.Body)
		}
		flags = respJSON[flagListJSON](t, m.call(t, "GET", "/api/v1/clients/"+m.c.Client.ID+"/safety-flags", m.provider, nil)).Flags
		if len(flags) != 1 || flags[0].ScreenerResult == nil || *flags[0].ScreenerResult != "non_acute_positive" || flags[0].Level != "crisis" {
			t.Errorf("the flag after the screen: %+v", flags)
		}
		expect(t, m.call(t, "POST", path, m.client, map[string]any{"answers": []bool{false, false, false, false}}), http.StatusConflict, "conflict", "a second answer")

		// The client's copy of their record says the answers.
		if b := m.call(t, "GET", "/account/record.html", m.client, nil).Body.String(); !strings.Contains(b,
			"Follow-up questions (ASQ): Non-acute positive screen; your answers: no, no, no, yes; thoughts of killing yourself right now: no.") {
			t.Errorf("the record copy lacks the screener's answers")
		}

		// FHIR: the Questionnaire, the answers and the triage in
		// $everything, schema-valid (fhirGet validates).
		fhirGet(t, m.webEnv, v, m.client, "/fhir/R4/Questionnaire/asq", http.StatusOK)
		b := fhirGet(t, m.webEnv, v, m.provider, "/fhir/R4/Patient/"+m.c.Client.ID+"/$everything", http.StatusOK).Body.String()
		for _, want := range []string{`"questionnaire":"https://interlude.example/fhir/Questionnaire/asq"`, `"code":"asq_non_acute_positive"`, `"id":"asq"`} {
			if !strings.Contains(b, want) {
				t.Errorf("$everything lacks %s", want)
			}
		}
	})
}
