package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/demo"
	"interlude/internal/notify"
	"interlude/internal/store"
	"interlude/internal/web/browsertest"
)

// TestBrowserNotifications (TS-02, WCAG 2.2 AA): in headless Chromium,
// a client opens the notification settings on a phone; push.js registers
// the service worker under the site's CSP and says whether this browser
// gets notifications; the page passes axe-core at both widths; quiet
// hours are saved through the form. A push delivered to the service
// worker (through the DevTools protocol, as a push service would) shows a
// notification with the notice's text and link, and nothing else.
func TestBrowserNotifications(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	browsertest.ChromiumPath(t) // skips without Chromium (fails in CI) before any seeding
	ctx := context.Background()
	db, d := demoTemplate.Open(t)
	st := store.New(db.Engine, db.Keyring, time.Now)
	var client demo.Login
	for _, l := range d.Logins {
		if l.Role == care.RoleClient {
			client = l
			break
		}
	}
	v, _, err := notify.LoadOrCreateVAPID(filepath.Join(t.TempDir(), "vapid.key"), "mailto:ops@clinic.test")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	site := "http://" + srv.Listener.Addr().String()
	logs := &syncBuffer{}
	s, err := New(Config{Store: st, Logger: slog.New(slog.NewJSONHandler(logs, nil)), Registry: prometheus.NewRegistry(),
		BaseURL: site, Passwords: auth.TestParams(), Notify: NotifyConfig{Email: true, PushPublicKey: v.PublicKey()}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	b := startBrowser(t)
	p := b.person(t, "client", true)

	// The service worker's registration, as DevTools reports it.
	var mu sync.Mutex
	registration := ""
	if err := chromedp.Listen(p.ctx, func(ev any) {
		if e, ok := ev.(*serviceworker.EventWorkerRegistrationUpdated); ok {
			for _, r := range e.Registrations {
				if !r.IsDeleted && strings.HasPrefix(r.ScopeURL, site) {
					mu.Lock()
					registration = string(r.RegistrationID)
					mu.Unlock()
				}
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(p.ctx, serviceworker.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("watching service workers: %v", err)
	}

	p.open(site + "/signin")
	p.signIn(client.Email, client.Password, "/")
	p.open(site + "/account")
	p.do("follow the notifications link", chromedp.Click(`a[href="/account/notifications"]`, chromedp.NodeVisible), chromedp.WaitVisible(`#push-state`))
	waitText := func(sel, want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for p.text(sel) != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s says %q, want %q", sel, p.text(sel), want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitText("#push-state", "Notifications are off for this browser.")
	if !p.eval(`!document.querySelector("#push-on").hidden && document.querySelector("#push-off").hidden`) {
		t.Error("the turn-on button is not offered")
	}
	// Hidden means not shown: a button rule must not override the
	// attribute (issue #18: both buttons showed together).
	if !p.eval(`getComputedStyle(document.querySelector("#push-off")).display === "none"`) {
		t.Error("the hidden turn-off button is shown beside the turn-on one")
	}
	for _, width := range []int64{phoneWidth, deskWidth} {
		p.emulate(width)
		p.checkA11y(axe, "notification settings", width)
	}
	p.emulate(phoneWidth)

	// Quiet hours, through the form.
	p.do("turn on quiet hours", chromedp.Click(`label[for="quiet"]`), chromedp.SetValue(`#quiet-start`, "21:00"), chromedp.SetValue(`#quiet-end`, "06:30"))
	p.submit("save", `form[action="/account/notifications"]`)
	if got := p.text(`main`); !strings.Contains(got, "Your notification settings are saved.") {
		t.Errorf("after saving: %s", got)
	}
	creds, err := st.CredentialsByEmail(ctx, client.Email)
	if err != nil {
		t.Fatal(err)
	}
	set, err := st.NotificationSettings(ctx, care.Actor{UserID: creds.User.ID, ClinicID: creds.User.ClinicID, Role: care.RoleClient})
	if err != nil || set.Quiet != (care.QuietHours{Start: 21 * 60, End: 6*60 + 30}) || !set.Email {
		t.Errorf("saved %+v %v", set, err)
	}

	// A push reaches the service worker, which shows the notice.
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		id := registration
		mu.Unlock()
		if id != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no service worker registration was reported")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := chromedp.CallBrowser(p.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
		Permission: &cdpbrowser.PermissionDescriptor{Name: "notifications"}, Setting: cdpbrowser.PermissionSettingGranted,
		Origin: site, BrowserContextID: chromedp.FromContext(p.ctx).BrowserContextID}); err != nil {
		t.Fatalf("allowing notifications: %v", err)
	}
	n, err := notify.Render(notify.KindMessage, false, site)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	id := registration
	mu.Unlock()
	if _, err := chromedp.Call(p.ctx, serviceworker.DeliverPushMessage, serviceworker.DeliverPushMessageParams{
		Origin: site, RegistrationID: serviceworker.RegistrationID(id), Data: string(n.PushPayload())}); err != nil {
		t.Fatalf("delivering a push: %v", err)
	}
	want := fmt.Sprintf("Interlude|You have a new message in Interlude.|%s/messages|interlude-message", site)
	var shown string
	for deadline, again := time.Now().Add(10*time.Second), time.Now().Add(2*time.Second); ; {
		// Headless Chromium now and then drops a push delivered just after
		// the permission changed; a push service delivers again, and the
		// notice's tag keeps it one.
		if time.Now().After(again) {
			again = time.Now().Add(2 * time.Second)
			if _, err := chromedp.Call(p.ctx, serviceworker.DeliverPushMessage, serviceworker.DeliverPushMessageParams{
				Origin: site, RegistrationID: serviceworker.RegistrationID(id), Data: string(n.PushPayload())}); err != nil {
				t.Fatalf("delivering a push again: %v", err)
			}
		}
		shown = run(p, "read the notifications", chromedp.Evaluate[string](
			`navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns => ns.map(n => [n.title, n.body, n.data && n.data.url, n.tag].join("|")).join(";"))`,
			chromedp.EvalAwaitPromise))
		if shown != "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if shown != want {
		t.Errorf("notifications shown: %q, want %q", shown, want)
	}
	b.checkMessages(t)
}
