package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// staffGets: the clinic's staff get status; a client finds nothing.
func staffGets(status int) func(caller, target) int {
	return func(c caller, _ target) int {
		switch c {
		case asAnonymous:
			return 401
		case asClient:
			return 404
		}
		return status
	}
}

// runSafetyJobs does every due job of the safety workflow, as the jobs
// package's handlers do (in-app only), until none is due.
func runSafetyJobs(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	for {
		js, err := st.ClaimJobs(ctx, "web-test", []string{store.JobSafetyNotify, store.JobSafetyEscalate, store.JobSafetyEscalated}, 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(js) == 0 {
			return
		}
		for _, j := range js {
			if j.Kind == store.JobSafetyEscalate {
				_, err = st.EscalateSafetyFlag(ctx, j)
			} else {
				err = st.DeliverSafetyNotice(ctx, j)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

func safetyFlagsSample(l Layout) *safetyFlagsPage {
	l.SafetyAlerts = &safetyAlerts{Open: 2, Notices: []safetyNoticeItem{{ID: "n1", Text: "A safety flag was raised at 14:03.",
		Links: []pageLink{{"/safety-flags#flag-f1", "Acknowledge it"}}}}}
	return &safetyFlagsPage{Layout: l, Problem: &formProblem{Section: "flag-f1", Field: "note", Message: "note is required"},
		Flags: []openFlagView{
			{flagView: flagView{ID: "f1", Kind: "Crisis language", When: "today", WhenISO: "2026-12-04T14:03:00Z", Source: "a message",
				SourceURL: "/clients/c1/messages#m-m1", Action: "/safety-flags/f1/acknowledge"}, ClientID: "c1", ClientName: planXSS},
			{flagView: flagView{ID: "f2", Kind: "PHQ-9 item 9", When: "today", Source: "measure response", Action: "/safety-flags/f2/acknowledge"},
				ClientID: "c2", ClientName: "Ty", OnCall: true, Escalated: "Fri 4 Dec 2026, 15:03 UTC"},
		}}
}

// TestSafetyFlagPages (issue #7): an admin sets the escalation time and
// the on-call provider (form and API, validated); a client's crisis
// message shows on the care team's home page and their page of open
// flags; once it escalates, the on-call provider (not on the care team)
// sees it on their home page and flag page, without the record's links,
// and acknowledges it there with a note, which the care team then sees.
func TestSafetyFlagPages(t *testing.T) {
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

		// The settings: the form refuses what is out of bounds, in its own
		// section; the API reads and writes the same.
		rec := m.send2(t, "/settings/safety-settings", admin, url.Values{"escalation_minutes": {"3"}}.Encode())
		expect(t, rec, http.StatusBadRequest, "", "3 minutes")
		if body := rec.Body.String(); !strings.Contains(body, `id="safety-error"`) || !strings.Contains(body, `value="3"`) {
			t.Errorf("the refused settings form: %s", body)
		}
		if r := form("/settings/safety-settings", admin, url.Values{"escalation_minutes": {"20"}, "on_call_provider_id": {m.c.OtherProvider.ID}}); r.Code != http.StatusSeeOther {
			t.Fatalf("saving the settings: %d", r.Code)
		}
		if body := page("/settings", admin); !strings.Contains(body, `value="20"`) || !strings.Contains(body, `<option value="`+m.c.OtherProvider.ID+`" selected>`) {
			t.Errorf("the People page lacks the settings: %s", body)
		}
		rec = m.call(t, "GET", "/api/v1/clinic/safety-settings", m.provider, nil)
		expect(t, rec, http.StatusOK, "", "the settings, for a provider")
		if got := respJSON[safetySettingsJSON](t, rec); *got.EscalationMinutes != 20 || got.OnCallProviderID == nil || *got.OnCallProviderID != m.c.OtherProvider.ID {
			t.Errorf("settings: %s", rec.Body)
		}
		settings := "/api/v1/clinic/safety-settings"
		expect(t, m.call(t, "PUT", settings, admin, map[string]any{"escalation_minutes": 20, "on_call_provider_id": m.c.Client.ID}),
			http.StatusBadRequest, "invalid", "a client on call")
		expect(t, m.call(t, "PUT", settings, admin, map[string]any{"on_call_provider_id": nil}), http.StatusBadRequest, "invalid", "no minutes")
		expect(t, m.call(t, "PUT", settings, admin, map[string]any{"escalation_minutes": "soon"}), http.StatusBadRequest, "invalid", "minutes as text")
		expect(t, m.call(t, "PUT", settings, m.provider, map[string]any{"escalation_minutes": 20}), http.StatusForbidden, "forbidden", "a provider")
		if got, _ := db.Store.SafetySettings(context.Background(), m.c.Actor(m.c.Admin)); got.EscalationMinutes != 20 || got.OnCallProviderID != m.c.OtherProvider.ID {
			t.Errorf("refused changes changed the settings: %+v", got)
		}

		// A crisis message: the care team's home page and flag page.
		m.send(t, m.client, "I want to die")
		runSafetyJobs(t, db.Store)
		home := page("/clients", m.provider)
		if !strings.Contains(home, `class="card safety-alerts"`) || !strings.Contains(home, "1 open safety flag") ||
			!strings.Contains(home, "A safety flag was raised at") {
			t.Errorf("the provider's home lacks the safety alerts: %s", home)
		}
		flags := respJSON[flagListJSON](t, m.call(t, "GET", "/api/v1/safety-flags", m.provider, nil)).Flags
		if len(flags) != 1 {
			t.Fatalf("open flags %+v", flags)
		}
		fid := flags[0].ID
		body := page("/safety-flags", m.provider)
		if !strings.Contains(body, `id="flag-`+fid+`"`) || !strings.Contains(body, `href="/clients/`+m.c.Client.ID+`#flags"`) {
			t.Errorf("the provider's flag page: %s", body)
		}
		if body := page("/clients", m.other); strings.Contains(body, "safety-alerts") {
			t.Errorf("the on-call provider is told before escalation: %s", body)
		}
		for _, tok := range []string{admin, m.client} {
			expect(t, m.call(t, "GET", "/safety-flags", tok, nil), http.StatusNotFound, "", "GET /safety-flags, not a provider")
		}

		// Escalated: the on-call provider sees it, not the record.
		db.Clock.Advance(20*time.Minute + time.Second)
		runSafetyJobs(t, db.Store)
		m.other, m.provider = m.signIn(t, m.c.OtherProvider), m.signIn(t, m.c.Provider) // staff sessions idle out
		home = page("/clients", m.other)
		if !strings.Contains(home, "passed to you as the clinic") || !strings.Contains(home, `href="/safety-flags#flag-`+fid+`"`) {
			t.Errorf("the on-call provider's home: %s", home)
		}
		body = page("/safety-flags", m.other)
		if !strings.Contains(body, `id="flag-`+fid+`"`) || !strings.Contains(body, "You see this flag, not the client") ||
			strings.Contains(body, `href="/clients/`+m.c.Client.ID) || !strings.Contains(body, "escalated") {
			t.Errorf("the on-call provider's flag page: %s", body)
		}
		if got := respJSON[flagListJSON](t, m.call(t, "GET", "/api/v1/safety-flags", m.other, nil)).Flags; len(got) != 1 || got[0].ID != fid || !got[0].OnCall {
			t.Errorf("the on-call provider's open flags in the API: %+v", got)
		}
		if got := respJSON[flagListJSON](t, m.call(t, "GET", "/api/v1/safety-flags", m.provider, nil)).Flags; len(got) != 1 || got[0].OnCall || got[0].EscalatedAt == nil {
			t.Errorf("the care team's open flags in the API: %+v", got)
		}
		ack := "/safety-flags/" + fid + "/acknowledge"
		rec = m.send2(t, ack, m.other, url.Values{"client_id": {m.c.Client.ID}, "note": {" "}}.Encode())
		expect(t, rec, http.StatusBadRequest, "", "acknowledging without a note")
		if !strings.Contains(rec.Body.String(), `id="flag-`+fid+`-error"`) {
			t.Errorf("the refused acknowledgement: %s", rec.Body)
		}
		r := form(ack, m.other, url.Values{"client_id": {m.c.Client.ID}, "note": {"Called the client: safe; told their provider."}})
		if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/safety-flags?done=flag-acknowledged" {
			t.Fatalf("acknowledging: %d %s", r.Code, r.Header().Get("Location"))
		}
		if body := page("/safety-flags?done=flag-acknowledged", m.other); strings.Contains(body, `id="flag-`+fid+`"`) || !strings.Contains(body, "The safety flag is acknowledged") {
			t.Errorf("after acknowledging: %s", body)
		}
		rec = m.call(t, "GET", "/api/v1/clients/"+m.c.Client.ID+"/safety-flags", m.provider, nil)
		if got := respJSON[flagListJSON](t, rec).Flags; len(got) != 1 || got[0].AcknowledgedBy != m.c.OtherProvider.ID || got[0].EscalatedAt == nil ||
			!strings.Contains(got[0].Note, "Called the client") {
			t.Errorf("the care team's view: %s", rec.Body)
		}
		// Acknowledged: the on-call provider's access ends with it.
		rec = m.send2(t, ack, m.other, url.Values{"client_id": {m.c.Client.ID}, "note": {"again"}}.Encode())
		expect(t, rec, http.StatusNotFound, "", "acknowledging again as on-call")
		if body := page("/clients", m.other); !strings.Contains(body, "acknowledged since") || strings.Contains(body, "for someone to acknowledge") {
			t.Errorf("the on-call provider's home after acknowledging: %s", body)
		}

		// No on-call provider: the admins are told, on their home page,
		// with the way to break-glass and to the setting.
		admin = m.signIn(t, m.c.Admin)
		expect(t, m.call(t, "PUT", settings, admin, map[string]any{"escalation_minutes": 5, "on_call_provider_id": nil}), http.StatusOK, "", "no on-call provider")
		m.send(t, m.client, "I want to kill myself")
		db.Clock.Advance(5*time.Minute + time.Second)
		runSafetyJobs(t, db.Store)
		admin = m.signIn(t, m.c.Admin)
		home = page("/people", admin)
		if !strings.Contains(home, "the clinic has no on-call provider") || !strings.Contains(home, `href="/break-glass?client=`+m.c.Client.ID+`"`) ||
			!strings.Contains(home, `href="/settings#safety-h"`) {
			t.Errorf("the admin's home lacks the escalation: %s", home)
		}
		if body := page("/clients", m.signIn(t, m.c.OtherProvider)); strings.Contains(body, "for someone to acknowledge") {
			t.Errorf("the former on-call provider is told of a flag escalated to the admins: %s", body)
		}
	})
}
