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

// ---- The authorization matrix (authz_test.go) ----

// careTeamAlone: a provider of the care team; the client themself and
// everyone else find nothing (flags are for the care team).
func careTeamAlone(status int) func(caller, target) int {
	return func(c caller, tg target) int {
		switch {
		case c == asAnonymous:
			return 401
		case c == asProvider && tg == tTeam:
			return status
		}
		return 404
	}
}

// flagIn raises a crisis-language flag for the client in relation tg to
// the caller (A.Client where the target is not a client) and returns the
// path's client id and the flag's id.
func (w *authzWorld) flagIn(t *testing.T, c caller, tg target) (clientID, flagID string) {
	t.Helper()
	u := w.user(c, tg)
	if tg == tMissing {
		return u.ID, care.NewID()
	}
	clinic, sender := w.a, u
	if u.Role != care.RoleClient {
		sender = w.a.Client
	}
	if u.ClinicID == w.b.Clinic.ID {
		clinic = w.b
	}
	m := care.Message{Text: "I want to die"}
	if _, err := w.e.db.Store.SendMessage(context.Background(), clinic.Actor(sender), sender.ID, &m); err != nil {
		t.Fatal(err)
	}
	if err := w.e.db.Engine.SQLDB().QueryRow(`SELECT id FROM safety_flags WHERE source_id = $1`, m.ID).Scan(&flagID); err != nil {
		t.Fatal(err)
	}
	return u.ID, flagID
}

var (
	flagsReadRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		return clientPath(w, c, tg, "/safety-flags"), nil
	}}
	flagAckRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		id, fid := w.flagIn(t, c, tg)
		return "/api/v1/clients/" + id + "/safety-flags/" + fid + "/acknowledge", map[string]string{"note": "Called; safe."}
	}}
	screenerAnswerRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
		id, fid := w.flagIn(t, c, tg)
		return "/api/v1/clients/" + id + "/safety-flags/" + fid + "/screener", map[string]any{"answers": []bool{false, true, false, false}, "acuity": false}
	}}
)

// ---- The API ----

type flagListJSON struct {
	Flags []flagJSON `json:"flags"`
}

// TestSafetyFlagsAPI (issue #6): a client's message with crisis language
// is delivered and answered with crisis resources (988, 911 and the
// clinic's line); the care team's open flags list it; a provider
// acknowledges it with a note. A private journal entry with crisis
// language shows the client the resources and raises no flag; a shared
// one raises one.
func TestSafetyFlagsAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		m := newMessagesEnv(t, db)
		m.setPassword(t, m.c.Admin)
		m.enrollTOTP(t, m.c.Admin)
		admin := m.signIn(t, m.c.Admin)
		rec := m.call(t, "PUT", "/api/v1/clinic/crisis-line", admin, map[string]string{"crisis_line": "Clinic on call: (555) 010-0199"})
		expect(t, rec, http.StatusOK, "", "setting the crisis line")
		expect(t, m.call(t, "PUT", "/api/v1/clinic/crisis-line", m.provider, map[string]string{"crisis_line": "x"}),
			http.StatusForbidden, "forbidden", "a provider setting the crisis line")
		expect(t, m.call(t, "PUT", "/api/v1/clinic/crisis-line", admin, map[string]string{"crisis_line": "a\nb"}),
			http.StatusBadRequest, "invalid", "a two-line crisis line")

		msg := m.send(t, m.client, "Honestly I don't want to be alive anymore")
		var names []string
		for _, r := range msg.CrisisResources {
			names = append(names, r.Tel)
		}
		if strings.Join(names, ",") != "988,988,,911,+15550100199" {
			t.Errorf("crisis resources: %+v", msg.CrisisResources)
		}
		if plain := m.send(t, m.client, "See you Tuesday"); plain.CrisisResources != nil {
			t.Errorf("a plain message answered with resources: %+v", plain)
		}
		rec = m.call(t, "GET", "/api/v1/safety-flags", m.provider, nil)
		expect(t, rec, http.StatusOK, "", "the provider's open flags")
		flags := respJSON[flagListJSON](t, rec).Flags
		if len(flags) != 1 || flags[0].Source.ID != msg.ID || flags[0].Kind != "crisis_language" || flags[0].ClientID != m.c.Client.ID {
			t.Fatalf("open flags: %s", rec.Body)
		}
		if got := respJSON[flagListJSON](t, m.call(t, "GET", "/api/v1/safety-flags", m.other, nil)).Flags; len(got) != 0 {
			t.Errorf("another provider sees %d flags", len(got))
		}

		// Journal.
		journal := "/api/v1/clients/" + m.c.Client.ID + "/journal"
		at := db.Clock.Now().Add(-time.Hour).Format(time.RFC3339)
		rec = m.call(t, "POST", journal, m.client, map[string]any{"occurred_at": at, "text": "quiero morir", "shared": false})
		expect(t, rec, http.StatusCreated, "", "a private entry")
		if e := respJSON[entryJSON](t, rec); len(e.CrisisResources) != 5 {
			t.Errorf("private entry: resources %+v", e.CrisisResources)
		}
		if got := respJSON[flagListJSON](t, m.call(t, "GET", "/api/v1/safety-flags", m.provider, nil)).Flags; len(got) != 1 {
			t.Errorf("a private entry raised a flag: %+v", got)
		}
		db.Clock.Advance(time.Second)
		rec = m.call(t, "POST", journal, m.client, map[string]any{"occurred_at": at, "text": "I keep thinking of self harm", "shared": true})
		expect(t, rec, http.StatusCreated, "", "a shared entry")
		shared := respJSON[entryJSON](t, rec)
		rec = m.call(t, "GET", "/api/v1/clients/"+m.c.Client.ID+"/safety-flags", m.provider, nil)
		flags = respJSON[flagListJSON](t, rec).Flags
		if len(flags) != 2 || flags[0].Source.Type != "journal_entry" || flags[0].Source.ID != shared.ID {
			t.Fatalf("client's flags: %s", rec.Body)
		}

		// Acknowledge.
		ack := "/api/v1/clients/" + m.c.Client.ID + "/safety-flags/" + flags[1].ID + "/acknowledge"
		expect(t, m.call(t, "POST", ack, m.provider, map[string]string{"note": ""}), http.StatusBadRequest, "invalid", "no note")
		rec = m.call(t, "POST", ack, m.provider, map[string]string{"note": "Phoned; safe; safety plan reviewed."})
		expect(t, rec, http.StatusOK, "", "acknowledging")
		if f := respJSON[flagJSON](t, rec); f.AcknowledgedAt == nil || f.AcknowledgedBy != m.c.Provider.ID {
			t.Errorf("acknowledged: %s", rec.Body)
		}
		expect(t, m.call(t, "POST", ack, m.provider, map[string]string{"note": "again"}), http.StatusConflict, "conflict", "acknowledging twice")
		if got := respJSON[flagListJSON](t, m.call(t, "GET", "/api/v1/safety-flags", m.provider, nil)).Flags; len(got) != 1 || got[0].ID != flags[0].ID {
			t.Errorf("open after acknowledging: %+v", got)
		}
	})
}

// ---- Page samples for TestEveryPageTemplate ----

func officeHoursSample(l Layout) *officeHoursPage {
	l.Crisis = &crisisBanner{Resources: care.CrisisResources("Call (555) 010-0199", nil)}
	return &officeHoursPage{Layout: l, Zone: "America/Chicago", ResponseTime: planXSS, Error: "hours monday is wrong",
		Days: []officeDay{{"Monday", "monday", "09:00-17:00"}, {"Tuesday", "tuesday", ""}}}
}

// TestBoundaryPages (issue #6): the provider's office-hours page; the
// client's compose box shows them; a message out of hours gets the
// automatic reply with crisis resources; a message with crisis language
// redirects to the thread with the resources first and flags the client
// on the provider's list and page, where the flag is acknowledged; the
// provider pauses messaging with a reason the client sees instead of the
// compose box, and the client's message is refused with a clear message.
func TestBoundaryPages(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		m := newMessagesEnv(t, db)
		m.setPassword(t, m.c.Admin)
		m.enrollTOTP(t, m.c.Admin)
		admin := m.signIn(t, m.c.Admin)
		form := func(path, token string, v url.Values) *httptest.ResponseRecorder {
			t.Helper()
			return m.send2(t, path, token, v.Encode())
		}
		page := func(path, token string) string {
			t.Helper()
			rec := m.call(t, "GET", path, token, nil)
			expect(t, rec, http.StatusOK, "", "GET "+path)
			return rec.Body.String()
		}

		// The clinic's crisis line.
		// The admin's own example of issue #16: the link dials the number
		// and nothing else, and the hours are shown beside it.
		if rec := form("/settings/crisis-line", admin, url.Values{"crisis_line": {"Call (555) 010-0199, weekdays 8–20"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("crisis line form: %d %s", rec.Code, rec.Body)
		}
		if !strings.Contains(page("/settings", admin), `value="Call (555) 010-0199, weekdays 8–20"`) {
			t.Error("the settings page lacks the crisis line")
		}

		// Office hours on a day that is not today: now is out of hours.
		day := strings.ToLower(db.Clock.Now().Add(72 * time.Hour).Weekday().String())
		if rec := form("/office-hours", m.provider, url.Values{day: {"9:00-10:00"}, "response_time": {"within 2 business days"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("office hours form: %d %s", rec.Code, rec.Body)
		}
		rec := form("/office-hours", m.provider, url.Values{"monday": {"9-5"}})
		expect(t, rec, http.StatusBadRequest, "", "bad office hours")
		if !strings.Contains(rec.Body.String(), `class="error"`) {
			t.Errorf("bad hours: %s", rec.Body)
		}
		if body := page("/office-hours", m.provider); !strings.Contains(body, `value="09:00-10:00"`) || !strings.Contains(body, "within 2 business days") {
			t.Errorf("office hours page: %s", body)
		}
		expect(t, m.call(t, "GET", "/office-hours", m.client, nil), http.StatusNotFound, "", "a client at /office-hours")
		body := page("/messages", m.client)
		if !strings.Contains(body, "When your care team answers") || !strings.Contains(body, "answers within 2 business days") || !strings.Contains(body, "09:00–10:00") {
			t.Errorf("the compose box lacks the office hours: %s", body)
		}

		// Out of hours: the automatic reply.
		if rec := form("/messages", m.client, url.Values{"text": {"A question about Tuesday"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("sending: %d %s", rec.Code, rec.Body)
		}
		body = page("/messages", m.client)
		if !strings.Contains(body, "Automatic reply") || !strings.Contains(body, "988") || !strings.Contains(body, "(555) 010-0199") {
			t.Errorf("no automatic reply on the page: %s", body)
		}

		// Crisis language: the resources on the page the form redirects
		// to, the care team told, and a flag.
		_, body = m.followSeeOther(t, form("/messages", m.client, url.Values{"text": {"I can't go on, I want to end my life"}}), m.client, "a message with crisis language")
		if !strings.Contains(body, `class="crisis-now"`) || !strings.Contains(body, "Your care team has been told") || !strings.Contains(body, `href="tel:&#43;15550100199"`) ||
			!strings.Contains(body, `<span class="hours">Open: weekdays 8–20</span>`) || strings.Contains(body, "any time") ||
			!strings.Contains(body, "I can&#39;t go on") {
			t.Errorf("the page after a crisis message: %s", body)
		}
		if body := page("/messages", m.client); strings.Contains(body, `class="crisis-now"`) {
			t.Error("the resources banner stays on the next page")
		}
		if body := page("/clients", m.provider); !strings.Contains(body, "1 open safety flag") {
			t.Errorf("the client list lacks the flag: %s", body)
		}
		body = page("/clients/"+m.c.Client.ID, m.provider)
		if !strings.Contains(body, `id="flags"`) || !strings.Contains(body, "Crisis language") {
			t.Fatalf("the client page lacks the flag: %s", body)
		}
		fid := respJSON[flagListJSON](t, m.call(t, "GET", "/api/v1/safety-flags", m.provider, nil)).Flags[0].ID
		ack := "/clients/" + m.c.Client.ID + "/safety-flags/" + fid + "/acknowledge"
		rec = form(ack, m.provider, url.Values{"note": {""}})
		expect(t, rec, http.StatusBadRequest, "", "acknowledging without a note")
		if rec := form(ack, m.provider, url.Values{"note": {"Called; safe; plan reviewed."}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("acknowledging: %d %s", rec.Code, rec.Body)
		}
		if body := page("/clients/"+m.c.Client.ID, m.provider); strings.Contains(body, `id="flags"`) {
			t.Error("an acknowledged flag is still shown")
		}
		if rec := form(ack, m.other, url.Values{"note": {"x"}}); rec.Code != http.StatusNotFound {
			t.Errorf("another provider acknowledging: %d", rec.Code)
		}

		// A private journal entry with crisis language: resources, no flag.
		_, body = m.followSeeOther(t, form("/journal/quick", m.client, url.Values{"mood": {"1"}, "text": {"quiero morir"}, "shared-shown": {"1"}}), m.client, "a private quick entry with crisis language")
		if !strings.Contains(body, `class="crisis-now"`) || !strings.Contains(body, "Nobody has been told") {
			t.Errorf("no resources after the entry: %s", body)
		}
		if got := respJSON[flagListJSON](t, m.call(t, "GET", "/api/v1/safety-flags", m.provider, nil)).Flags; len(got) != 0 {
			t.Errorf("a private entry raised %d flags", len(got))
		}

		// Issue #16: a provider closes a flag as "not a concern", with a
		// reason; the admin sees it counted, with no client named.
		if body := page("/settings", admin); !strings.Contains(body, "No safety flag has been closed as a false alarm.") {
			t.Errorf("the settings page before any: %s", body)
		}
		fm := m.send(t, m.client, "lol this homework makes me want to kms")
		var fid2 string
		for _, f := range respJSON[flagListJSON](t, m.call(t, "GET", "/api/v1/safety-flags", m.provider, nil)).Flags {
			if f.Source.ID == fm.ID {
				fid2 = f.ID
			}
		}
		if fid2 == "" {
			t.Fatal("the message raised no flag")
		}
		nac := "/clients/" + m.c.Client.ID + "/safety-flags/" + fid2 + "/acknowledge"
		if rec := form(nac, m.provider, url.Values{"note": {"Joking about homework; asked in session, no risk."}, "not_a_concern": {"1"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("not a concern: %d %s", rec.Code, rec.Body)
		}
		var closed *flagJSON
		for _, f := range respJSON[flagListJSON](t, m.call(t, "GET", "/api/v1/clients/"+m.c.Client.ID+"/safety-flags?all=1", m.provider, nil)).Flags {
			if f.ID == fid2 {
				closed = &f
			}
		}
		if body := page("/settings", admin); !strings.Contains(body, "Providers closed 1 safety flag as false alarms") || !strings.Contains(body, "Crisis language (") ||
			strings.Contains(body, "homework") {
			t.Errorf("the People page's count: %s", body)
		}
		if closed != nil && (!closed.NotAConcern || closed.AcknowledgedAt == nil) {
			t.Errorf("the closed flag: %+v", closed)
		}

		// Paused.
		thread := "/clients/" + m.c.Client.ID + "/messaging"
		rec = form(thread, m.provider, url.Values{"mode": {"paused"}})
		expect(t, rec, http.StatusBadRequest, "", "a pause without a reason")
		if !strings.Contains(rec.Body.String(), `id="mode-error"`) {
			t.Errorf("the mode form's error: %s", rec.Body)
		}
		if rec := form(thread, m.provider, url.Values{"mode": {"paused"}, "reason": {"Away until Monday <b>4th</b>."}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("pausing: %d %s", rec.Code, rec.Body)
		}
		if rec := form(thread, m.client, url.Values{"mode": {"open"}}); rec.Code != http.StatusForbidden {
			t.Errorf("the client opening: %d", rec.Code)
		}
		body = page("/messages", m.client)
		if !strings.Contains(body, "Messaging is paused") || !strings.Contains(body, "Away until Monday &lt;b&gt;4th&lt;/b&gt;.") || strings.Contains(body, `name="text"`) {
			t.Errorf("the paused page: %s", body)
		}
		rec = form("/messages", m.client, url.Values{"text": {"hello?"}})
		expect(t, rec, http.StatusForbidden, "", "writing while paused")
		if !strings.Contains(rec.Body.String(), "paused messaging") {
			t.Errorf("the refusal: %s", rec.Body)
		}
		if body := page("/clients/"+m.c.Client.ID+"/messages", m.provider); !strings.Contains(body, `<option value="paused" selected>`) {
			t.Errorf("the provider's mode form: %s", body)
		}
	})
}
