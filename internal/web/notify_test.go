package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

func notificationsPageSample(l Layout) *notificationsPage {
	return &notificationsPage{Layout: l, Email: "a@b.c", EmailOn: true, QuietOn: true, QuietStart: "22:00", QuietEnd: "07:00",
		TimeZone: "UTC", PushKey: "BKEY", Browsers: []pushRow{{ID: "p1", Device: "Firefox on Android", Added: "today"}},
		Error: "e", Field: "quiet_end"}
}

// samplePushSubscription is a subscription as push.js posts it.
func samplePushSubscription() map[string]any {
	key := append([]byte{4}, bytes.Repeat([]byte{7}, 64)...)
	return map[string]any{
		"endpoint": "https://push.example/send/" + care.NewID(),
		"keys": map[string]string{
			"p256dh": base64.RawURLEncoding.EncodeToString(key),
			"auth":   base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{1}, 16)), // padded, as some browsers send it
		},
	}
}

// pushSubscriptionOf is a new push subscription of the user in relation
// tg to the caller.
func (w *authzWorld) pushSubscriptionOf(t *testing.T, c caller, tg target) string {
	t.Helper()
	if tg == tMissing {
		return care.NewID()
	}
	u, _, _ := w.fresh(t, c, tg)
	sub := care.PushSubscription{Endpoint: "https://push.example/send/" + care.NewID(),
		P256dh: append([]byte{4}, bytes.Repeat([]byte{7}, 64)...), Auth: bytes.Repeat([]byte{1}, 16), Device: "Test"}
	if err := w.e.db.Store.AddPushSubscription(context.Background(), actorOf(u), &sub); err != nil {
		t.Fatal(err)
	}
	return sub.ID
}

var pushSubscriptionDeleteRequest = authzRequest{targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
	return "/api/v1/me/push-subscriptions/" + w.pushSubscriptionOf(t, c, tg), nil
}}

// onlyOwnPushSubscriptions: a caller lists their own subscriptions, and
// never an endpoint or a key.
func onlyOwnPushSubscriptions(t *testing.T, w *authzWorld, c caller, got map[target]*httptest.ResponseRecorder) {
	if c == asAnonymous {
		return
	}
	body := got[noTarget].Body.String()
	if strings.Contains(body, "endpoint") || strings.Contains(body, "p256dh") {
		t.Errorf("%s's subscription list shows endpoints or keys: %s", c, body)
	}
	subs, err := w.e.db.Store.PushSubscriptions(context.Background(), actorOf(w.users[c]))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(respJSON[struct {
		Subscriptions []pushSubscriptionJSON `json:"subscriptions"`
	}](t, got[noTarget]).Subscriptions); n != len(subs) {
		t.Errorf("%s lists %d subscriptions, has %d", c, n, len(subs))
	}
}

// TestNotificationPages (TS-02, PR-05): a user sets their channels and
// quiet hours on /account/notifications and through the API; refused
// input keeps the form; the push section appears only when Web Push is
// set up; subscriptions are added, listed without their endpoints, and
// turned off; the service worker is served from the root under the CSP.
func TestNotificationPages(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "Notify Pages")
		e.setPassword(t, c.Client)
		client := e.signIn(t, c.Client)
		ctx := context.Background()

		rec := e.call(t, "GET", "/account/notifications", client, nil)
		expect(t, rec, http.StatusOK, "", "the settings page")
		page := rec.Body.String()
		for _, want := range []string{"Email me at " + c.Client.Email, `type="checkbox" id="email" name="email" value="on" checked`,
			"no email set up", "not set up to send notifications to browsers", `type="time"`, "None yet."} {
			if !strings.Contains(page, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		if strings.Contains(page, "push.") {
			t.Error("push.js loads with Web Push off")
		}
		if !strings.Contains(e.call(t, "GET", "/account", client, nil).Body.String(), `href="/account/notifications"`) {
			t.Error("the account page does not link the notification settings")
		}

		// Quiet hours through the form.
		rec = e.form(t, "/account/notifications", client, url.Values{"quiet": {"on"}, "quiet_start": {"21:30"}, "quiet_end": {"06:45"}})
		expect(t, rec, http.StatusSeeOther, "", "saving")
		if loc := rec.Header().Get("Location"); loc != "/account/notifications?done=notifications" {
			t.Errorf("after saving: %s", loc)
		}
		want := care.NotificationSettings{Email: false, Quiet: care.QuietHours{Start: 21*60 + 30, End: 6*60 + 45}}
		if got, _ := db.Store.NotificationSettings(ctx, actorOf(c.Client)); got != want {
			t.Errorf("stored %+v, want %+v", got, want)
		}
		rec = e.form(t, "/account/notifications", client, url.Values{"email": {"on"}, "quiet": {"on"}, "quiet_start": {"25:00"}, "quiet_end": {"06:45"}})
		expect(t, rec, http.StatusBadRequest, "", "a bad time")
		if b := rec.Body.String(); !strings.Contains(b, `role="alert"`) || !strings.Contains(b, `id="quiet-start" name="quiet_start" type="time" value="25:00" aria-invalid="true"`) {
			t.Errorf("the refused form:\n%s", b)
		}
		if got, _ := db.Store.NotificationSettings(ctx, actorOf(c.Client)); got != want {
			t.Errorf("a refused form changed the settings: %+v", got)
		}

		// With Web Push set up, the page offers it and the API names the key.
		e.srv.notify = NotifyConfig{Email: true, PushPublicKey: "BKEY-test"}
		page = e.call(t, "GET", "/account/notifications?done=notifications", client, nil).Body.String()
		for _, want := range []string{`data-key="BKEY-test"`, `src="/static/push.`, "Your notification settings are saved.", `value="21:30"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		if strings.Contains(page, "no email set up") {
			t.Error("the page says email is not set up")
		}
		rec = e.call(t, "GET", "/api/v1/me/notification-settings", client, nil)
		expect(t, rec, http.StatusOK, "", "the settings by API")
		if got := strings.TrimSpace(rec.Body.String()); got != `{"email":false,"quiet_hours":{"start":"21:30","end":"06:45"},"time_zone":"UTC","push":{"public_key":"BKEY-test"}}` {
			t.Errorf("settings JSON %s", got)
		}
		rec = e.call(t, "PUT", "/api/v1/me/notification-settings", client, map[string]any{"email": true, "quiet_hours": nil})
		expect(t, rec, http.StatusOK, "", "setting by API")
		if got, _ := db.Store.NotificationSettings(ctx, actorOf(c.Client)); got != care.DefaultNotificationSettings() {
			t.Errorf("after PUT: %+v", got)
		}
		for _, bad := range []map[string]any{
			{"quiet_hours": nil},
			{"email": true, "quiet_hours": map[string]string{"start": "22:00", "end": "22:00"}},
			{"email": true, "quiet_hours": map[string]string{"start": "10pm", "end": "07:00"}},
			{"email": true, "sms": true},
		} {
			expect(t, e.call(t, "PUT", "/api/v1/me/notification-settings", client, bad), http.StatusBadRequest, "invalid", "a bad PUT")
		}

		// A browser subscribes; the list shows it without endpoint or keys.
		sub := samplePushSubscription()
		rec = e.send(t, envRequest{method: "POST", path: "/api/v1/me/push-subscriptions", token: client, body: sub,
			header: map[string]string{"User-Agent": "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0"}})
		expect(t, rec, http.StatusCreated, "", "subscribing")
		id := respJSON[pushSubscriptionJSON](t, rec).ID
		page = e.call(t, "GET", "/account/notifications", client, nil).Body.String()
		if !strings.Contains(page, `action="/account/notifications/push/`+id+`/delete"`) || strings.Contains(page, "push.example") {
			t.Errorf("the page's browser list:\n%s", page)
		}
		bad := samplePushSubscription()
		bad["endpoint"] = "http://push.example/x"
		rec = e.call(t, "POST", "/api/v1/me/push-subscriptions", client, bad)
		expect(t, rec, http.StatusBadRequest, "invalid", "an http endpoint")
		bad = samplePushSubscription()
		bad["keys"] = map[string]string{"p256dh": "AAAA", "auth": "AAAA"}
		expect(t, e.call(t, "POST", "/api/v1/me/push-subscriptions", client, bad), http.StatusBadRequest, "invalid", "short keys")

		// Turned off from the list.
		rec = e.form(t, "/account/notifications/push/"+id+"/delete", client, nil)
		expect(t, rec, http.StatusSeeOther, "", "turning a browser off")
		if subs, _ := db.Store.PushSubscriptions(ctx, actorOf(c.Client)); len(subs) != 0 {
			t.Errorf("%d subscriptions left", len(subs))
		}

		// The service worker, at the root, under the same CSP.
		rec = e.call(t, "GET", "/sw.js", "", nil)
		expect(t, rec, http.StatusOK, "", "the service worker")
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") || !strings.Contains(rec.Body.String(), "showNotification") {
			t.Errorf("sw.js: %s", ct)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "worker-src 'self'") {
			t.Errorf("CSP %s", csp)
		}
	})
}
