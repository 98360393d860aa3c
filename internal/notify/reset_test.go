package notify_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/notify"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestPasswordResetEmail (issue #17, TS-02, AU-07): a reset asked for by
// email reaches the account's address through a real SMTP server, even in
// quiet hours and with email notifications off; the email names nobody
// and holds a link that works once; a reset replaced meanwhile sends
// nothing; an unknown address queues nothing.
func TestPasswordResetEmail(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Reset Mail")
		db.Store.SetEmailNotifications(true)
		// Quiet around the clock, email off: a reset link goes anyway.
		set := care.NotificationSettings{Email: false, Quiet: care.QuietHours{Start: 0, End: 24*60 - 1}}
		if err := db.Store.SetNotificationSettings(ctx, c.Actor(c.Client), set); err != nil {
			t.Fatal(err)
		}
		mx := startSMTP(t, smtpOptions{})
		mailer, err := notify.NewMailer(notify.SMTPConfig{Host: "127.0.0.1", Port: mx.Port, TLS: notify.TLSNone, From: "Interlude <care@clinic.test>"})
		if err != nil {
			t.Fatal(err)
		}
		d := &notify.Dispatcher{Dir: db.Store, Mail: mailer, BaseURL: "https://care.example.org/", Now: db.Clock.Now}
		handle := d.ResetJobHandler(db.Store)
		jobOf := func() store.Job {
			t.Helper()
			var id string
			if err := db.Engine.SQLDB().QueryRow(`SELECT dedupe_key FROM jobs WHERE kind = $1 ORDER BY run_at DESC, id DESC LIMIT 1`,
				store.JobPasswordResetEmail).Scan(&id); err != nil {
				t.Fatal(err)
			}
			j, err := db.Store.JobByKey(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return j
		}

		if err := db.Store.RequestPasswordReset(ctx, "nobody@example.org", 30*time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.RequestPasswordReset(ctx, c.Client.Email, 30*time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := handle(ctx, jobOf()); err != nil {
			t.Fatal(err)
		}
		mails := mx.Mails()
		if len(mails) != 1 || len(mails[0].To) != 1 || mails[0].To[0] != c.Client.Email {
			t.Fatalf("mails: %+v", mails)
		}
		_, body, _ := strings.Cut(mails[0].Data, "\r\n\r\n")
		if !strings.Contains(mails[0].Data, "Subject: Set a new Interlude password") {
			t.Errorf("subject:\n%s", mails[0].Data)
		}
		for _, bad := range []string{c.Client.DisplayName, c.Client.ID, c.Clinic.Name} {
			if strings.Contains(body, bad) {
				t.Errorf("the email holds %q:\n%s", bad, body)
			}
		}
		m := regexp.MustCompile(`https://care\.example\.org/reset/([A-Za-z0-9_-]+)`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no link or subject:\n%s", body)
		}
		if _, err := db.Store.ResetPassword(ctx, auth.HashToken(m[1]), "$argon2id$mailed"); err != nil {
			t.Fatalf("the mailed link: %v", err)
		}
		if _, err := db.Store.ResetPassword(ctx, auth.HashToken(m[1]), "$argon2id$again"); care.ErrorCode(err) != care.NotFound {
			t.Errorf("the mailed link twice: %v", err)
		}

		// A request replaced by a newer one before its email went: the
		// older sends nothing.
		if err := db.Store.RequestPasswordReset(ctx, c.Provider.Email, 30*time.Minute); err != nil {
			t.Fatal(err)
		}
		older := jobOf()
		if _, err := db.Store.CreatePasswordReset(ctx, c.Actor(c.Admin), c.Provider.ID, auth.HashToken("x"), time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := handle(ctx, older); err != nil {
			t.Fatal(err)
		}
		if n := len(mx.Mails()); n != 1 {
			t.Errorf("%d emails after a replaced request, want still 1", n)
		}
	})
}

// TestEmailConfirmation (issue #17, TS-02): a change of email sends its
// link to the new address, naming nobody; the link confirms it.
func TestEmailConfirmation(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Email Change")
		mx := startSMTP(t, smtpOptions{})
		mailer, err := notify.NewMailer(notify.SMTPConfig{Host: "127.0.0.1", Port: mx.Port, TLS: notify.TLSNone, From: "Interlude <care@clinic.test>"})
		if err != nil {
			t.Fatal(err)
		}
		d := &notify.Dispatcher{Dir: db.Store, Mail: mailer, BaseURL: "https://care.example.org", Now: db.Clock.Now}
		if err := db.Store.RequestEmailChange(ctx, c.Actor(c.Client), "casey.new@home.test", 24*time.Hour); err != nil {
			t.Fatal(err)
		}
		var key string
		if err := db.Engine.SQLDB().QueryRow(`SELECT dedupe_key FROM jobs WHERE kind = $1`, store.JobEmailConfirm).Scan(&key); err != nil {
			t.Fatal(err)
		}
		j, err := db.Store.JobByKey(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.EmailConfirmJobHandler(db.Store)(ctx, j); err != nil {
			t.Fatal(err)
		}
		mails := mx.Mails()
		if len(mails) != 1 || len(mails[0].To) != 1 || mails[0].To[0] != "casey.new@home.test" {
			t.Fatalf("mails: %+v", mails)
		}
		_, body, _ := strings.Cut(mails[0].Data, "\r\n\r\n")
		if strings.Contains(body, c.Client.ID) || strings.Contains(body, c.Clinic.Name) {
			t.Errorf("the email names someone:\n%s", body)
		}
		m := regexp.MustCompile(`https://care\.example\.org/email-confirm/([A-Za-z0-9_-]+)`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no link:\n%s", body)
		}
		if err := db.Store.ConfirmEmailChange(ctx, auth.HashToken(m[1])); err != nil {
			t.Fatal(err)
		}
		if creds, err := db.Store.CredentialsByEmail(ctx, "casey.new@home.test"); err != nil || creds.User.ID != c.Client.ID {
			t.Fatalf("after confirming: %v", err)
		}
	})
}
