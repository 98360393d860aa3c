package notify_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"interlude/internal/notify"
)

const base = "https://care.example.org"

func notice(t *testing.T, k notify.Kind, staff bool) notify.Notice {
	t.Helper()
	n, err := notify.Render(k, staff, base+"/")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestMailer: the mailer delivers to a real SMTP server in each TLS mode,
// authenticating when configured; the mail says only that something
// waits, and links to it (TS-02).
func TestMailer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		mode notify.TLSMode
		opts smtpOptions
		auth bool
	}{
		{"none", notify.TLSNone, smtpOptions{}, false},
		{"none with auth on loopback", notify.TLSNone, smtpOptions{auth: true}, true},
		{"starttls with auth", notify.TLSStartTLS, smtpOptions{tls: true, auth: true}, true},
		{"implicit tls", notify.TLSImplicit, smtpOptions{implicit: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSMTP(t, tc.opts)
			cfg := notify.SMTPConfig{Host: "127.0.0.1", Port: srv.Port, TLS: tc.mode, From: "Interlude <care@clinic.test>"}
			if tc.auth {
				cfg.Username, cfg.Password = "mailer", "s3cret-pass"
			}
			if srv.CertPool != nil {
				cfg.TLSConfig = &tls.Config{RootCAs: srv.CertPool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
			}
			m, err := notify.NewMailer(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Send(context.Background(), "Dana <dana@home.test>", notice(t, notify.KindMessage, false)); err != nil {
				t.Fatal(err)
			}
			mails := srv.Mails()
			if len(mails) != 1 {
				t.Fatalf("%d mails", len(mails))
			}
			got := mails[0]
			if got.From != "care@clinic.test" || len(got.To) != 1 || got.To[0] != "dana@home.test" {
				t.Errorf("envelope %q → %q", got.From, got.To)
			}
			if tc.auth != (got.Auth == "mailer:s3cret-pass") {
				t.Errorf("auth %q", got.Auth)
			}
			if want := tc.mode != notify.TLSNone; got.TLS != want {
				t.Errorf("TLS %v, want %v", got.TLS, want)
			}
			for _, want := range []string{
				"Subject: You have a new message in Interlude\r\n",
				"To: <dana@home.test>\r\n",
				"Auto-Submitted: auto-generated\r\n",
				"\r\n\r\nYou have a new message in Interlude.\r\n",
				base + "/messages\r\n",
			} {
				if !strings.Contains(got.Data, want) {
					t.Errorf("the mail lacks %q:\n%s", want, got.Data)
				}
			}
			if strings.Contains(got.Data, "Dana") {
				t.Errorf("the mail names the recipient:\n%s", got.Data)
			}
		})
	}
}

// TestMailerRefusals: what goes wrong is said without the recipient's
// address, even when the server quotes it; STARTTLS is required when
// configured; bad settings are refused up front.
func TestMailerRefusals(t *testing.T) {
	t.Parallel()
	srv := startSMTP(t, smtpOptions{})
	srv.Refuse(&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 1, 1}, Message: "<ADDR>: mailbox busy, try later"})
	m, err := notify.NewMailer(notify.SMTPConfig{Host: "127.0.0.1", Port: srv.Port, TLS: notify.TLSNone, From: "care@clinic.test"})
	if err != nil {
		t.Fatal(err)
	}
	err = m.Send(context.Background(), "secret.person@home.test", notice(t, notify.KindMessage, false))
	var se *notify.SMTPError
	if !errors.As(err, &se) || se.Code != 451 || se.Permanent() {
		t.Fatalf("error %v", err)
	}
	if strings.Contains(err.Error(), "secret.person") || strings.Contains(err.Error(), "busy") {
		t.Errorf("the error quotes the server: %v", err)
	}

	// STARTTLS configured, not offered.
	m, _ = notify.NewMailer(notify.SMTPConfig{Host: "127.0.0.1", Port: srv.Port, TLS: notify.TLSStartTLS, From: "care@clinic.test"})
	if err := m.Send(context.Background(), "a@home.test", notice(t, notify.KindMessage, false)); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("no STARTTLS: %v", err)
	}
	// Nobody listening.
	m, _ = notify.NewMailer(notify.SMTPConfig{Host: "127.0.0.1", Port: 1, TLS: notify.TLSNone, From: "care@clinic.test"})
	if err := m.Send(context.Background(), "a@home.test", notice(t, notify.KindMessage, false)); err == nil {
		t.Error("sent to a closed port")
	}
	for _, cfg := range []notify.SMTPConfig{
		{Host: "", Port: 25, From: "a@b.test"},
		{Host: "mx", Port: 0, From: "a@b.test"},
		{Host: "mx", Port: 25, From: "not an address"},
		{Host: "mx", Port: 25, From: "a@b.test", TLS: "ssl"},
		{Host: "mx", Port: 25, From: "a@b.test", Username: "u"},
	} {
		if _, err := notify.NewMailer(cfg); err == nil {
			t.Errorf("accepted %+v", cfg)
		}
	}
}

// TestPusher: a push reaches a push service that checks its VAPID
// signature and decrypts it with the browser's key: the payload is the
// notice and nothing else; a gone subscription says so.
func TestPusher(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	v, created, err := notify.LoadOrCreateVAPID(filepath.Join(dir, "vapid.key"), "mailto:ops@clinic.test")
	if err != nil || !created {
		t.Fatalf("%v %v", created, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "vapid.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v", fi.Mode(), err)
	}
	again, created, err := notify.LoadOrCreateVAPID(filepath.Join(dir, "vapid.key"), "mailto:ops@clinic.test")
	if err != nil || created || again.PublicKey() != v.PublicKey() {
		t.Fatalf("reloading: %v %v", created, err)
	}
	b := newBrowser(t)
	ps := startPushService(t, b, v.PublicKey())
	p := notify.NewPusher(v, notify.PushOptions{Transport: ps.Client().Transport})

	n := notice(t, notify.KindCheckIn, false)
	if err := p.Send(context.Background(), b.subscription(ps.URL+"/push/abc"), n); err != nil {
		t.Fatal(err)
	}
	got, errs := ps.Pushed()
	if len(errs) != 0 || len(got) != 1 {
		t.Fatalf("pushed %d, errors %v", len(got), errs)
	}
	var payload map[string]string
	if err := json.Unmarshal(got[0].Payload, &payload); err != nil {
		t.Fatalf("payload %q: %v", got[0].Payload, err)
	}
	if payload["body"] != "You have a check-in waiting in Interlude." || payload["url"] != base+"/" || payload["title"] != "Interlude" || len(payload) != 4 {
		t.Errorf("payload %v", payload)
	}

	// Another browser's keys cannot read it: the encryption is real.
	other := newBrowser(t)
	ps2 := startPushService(t, other, v.PublicKey())
	sub := b.subscription(ps2.URL + "/push/x")
	if err := notify.NewPusher(v, notify.PushOptions{Transport: ps2.Client().Transport}).Send(context.Background(), sub, n); err == nil {
		t.Error("a push the service could not decrypt was accepted")
	}
	if _, errs := ps2.Pushed(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "decrypting") {
		t.Errorf("errors %v", errs)
	}

	ps.Answer(http.StatusGone)
	if err := p.Send(context.Background(), b.subscription(ps.URL+"/push/abc"), n); !errors.Is(err, notify.ErrGone) {
		t.Errorf("410: %v", err)
	}
	ps.Answer(http.StatusServiceUnavailable)
	err = p.Send(context.Background(), b.subscription(ps.URL+"/push/abc"), n)
	var pe *notify.PushError
	if !errors.As(err, &pe) || pe.Permanent() || strings.Contains(err.Error(), "/push/abc") {
		t.Errorf("503: %v", err)
	}
}

// TestPusherRefusesPrivateAddresses: an endpoint is a URL a user gave;
// without the test switch, the pusher does not connect to loopback or
// private addresses (SSRF).
func TestPusherRefusesPrivateAddresses(t *testing.T) {
	t.Parallel()
	v, _, err := notify.LoadOrCreateVAPID(filepath.Join(t.TempDir(), "vapid.key"), "https://care.example.org")
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	ps := startPushService(t, b, v.PublicKey())
	p := notify.NewPusher(v, notify.PushOptions{})
	err = p.Send(context.Background(), b.subscription(ps.URL+"/push/abc"), notice(t, notify.KindMessage, false))
	if err == nil || !strings.Contains(err.Error(), "not a public address") {
		t.Errorf("loopback endpoint: %v", err)
	}
	if got, _ := ps.Pushed(); len(got) != 0 {
		t.Error("the push reached loopback")
	}
}

// TestNoticesCarryNoPHI (TS-02): every notice is a fixed text and a link
// to a page, never to a record.
func TestNoticesCarryNoPHI(t *testing.T) {
	t.Parallel()
	for _, k := range []notify.Kind{notify.KindMessage, notify.KindCheckIn, notify.KindJournal} {
		for _, staff := range []bool{false, true} {
			n := notice(t, k, staff)
			if !strings.HasPrefix(n.Link, base+"/") || strings.Count(n.Link, "/") > 3 {
				t.Errorf("%s link %s", k, n.Link)
			}
			if !strings.Contains(n.Subject, "Interlude") || !strings.Contains(n.MailText(), n.Link) {
				t.Errorf("%s: %+v", k, n)
			}
		}
	}
	if _, err := notify.Render("journal", false, base); err == nil {
		t.Error("an unknown kind rendered")
	}
}
