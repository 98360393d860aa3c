package notify_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"interlude/internal/care"
	"interlude/internal/jobs"
	"interlude/internal/notify"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// syncBuffer is a log destination written by several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDeliveryThroughJobs (TS-02, PR-05, MS-02): a message sent in a
// thread enqueues, in its transaction, a notification job for each other
// member; the job runner delivers it by email to a real SMTP server and by
// Web Push to a push service that decrypts it. Neither carries the PHI
// canary (in the client's name and the message), the client's id or name;
// both carry the link. Quiet hours delay a notification to their end;
// channels off send nothing; a push service's 410 drops the subscription;
// an SMTP server that refuses fails the job, which is retried, and the
// log names no recipient.
func TestDeliveryThroughJobs(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		var b [8]byte
		rand.Read(b[:])
		canary := "phicanary" + hex.EncodeToString(b[:])

		c := storetest.SeedClinic(t, db.Store, "Delivery")
		db.Store.SetEmailNotifications(true)
		client := care.User{ClinicID: c.Clinic.ID, Role: care.RoleClient, Email: "client42@home.test", DisplayName: "Casey " + canary, TimeZone: "America/Chicago"}
		if err := db.Store.CreateUser(ctx, &client); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.AddToCareTeam(ctx, c.Actor(c.Admin), client.ID, c.Provider.ID); err != nil {
			t.Fatal(err)
		}
		clientActor, providerActor := c.Actor(client), c.Actor(c.Provider)

		// The channels: a real SMTP server; a push service with the
		// client's browser subscribed.
		mx := startSMTP(t, smtpOptions{})
		mailer, err := notify.NewMailer(notify.SMTPConfig{Host: "127.0.0.1", Port: mx.Port, TLS: notify.TLSNone, From: "Interlude <care@clinic.test>"})
		if err != nil {
			t.Fatal(err)
		}
		v, _, err := notify.LoadOrCreateVAPID(filepath.Join(t.TempDir(), "vapid.key"), "mailto:ops@clinic.test")
		if err != nil {
			t.Fatal(err)
		}
		phone := newBrowser(t)
		ps := startPushService(t, phone, v.PublicKey())
		sub := phone.subscription(ps.URL + "/push/phone")
		if err := db.Store.AddPushSubscription(ctx, clientActor, &sub); err != nil {
			t.Fatal(err)
		}

		logs := &syncBuffer{}
		log := slog.New(slog.NewJSONHandler(logs, nil))
		d := &notify.Dispatcher{Dir: db.Store, Mail: mailer, Push: notify.NewPusher(v, notify.PushOptions{Transport: ps.Client().Transport}),
			BaseURL: "https://care.example.org/", Now: db.Clock.Now, Log: log}
		runner := jobs.New(db.Store, jobs.Options{Poll: 10 * time.Millisecond, Logger: log})
		for kind := range notify.JobKinds {
			runner.Register(kind, d.JobHandler(db.Store))
		}
		runCtx, stop := context.WithCancel(ctx)
		ran := make(chan struct{})
		go func() { defer close(ran); runner.Run(runCtx) }()
		t.Cleanup(func() { stop(); <-ran })

		send := func(from care.Actor, text string) care.Message {
			t.Helper()
			m := care.Message{Text: text}
			if _, err := db.Store.SendMessage(ctx, from, client.ID, &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
		job := func(key string) store.Job {
			t.Helper()
			j, err := db.Store.JobByKey(ctx, key)
			if err != nil {
				t.Fatalf("job %s: %v", key, err)
			}
			return j
		}
		var m1ID string
		pushes := func() []pushed { p, _ := ps.Pushed(); return p }
		// A notice holds no PHI and no id; a log line may name ids.
		noPHI := func(what, s string, ids bool) {
			t.Helper()
			bad := []string{canary, "Casey"}
			if !ids {
				bad = append(bad, client.ID, m1ID)
			}
			for _, b := range bad {
				if strings.Contains(strings.ToLower(s), strings.ToLower(b)) {
					t.Errorf("%s holds %q:\n%s", what, b, s)
				}
			}
		}

		// 1. The provider writes; the client is told by email and push.
		m1 := send(providerActor, "About "+canary+": see you Tuesday")
		m1ID = m1.ID
		waitFor(t, "the first mail and push", func() bool { return len(mx.Mails()) == 1 && len(pushes()) == 1 })
		mail := mx.Mails()[0]
		if len(mail.To) != 1 || mail.To[0] != client.Email {
			t.Errorf("mail to %v", mail.To)
		}
		noPHI("the mail", mail.Data, false)
		if !strings.Contains(mail.Data, "Subject: You have a new message in Interlude\r\n") || !strings.Contains(mail.Data, "https://care.example.org/messages\r\n") {
			t.Errorf("the mail:\n%s", mail.Data)
		}
		p := pushes()[0]
		noPHI("the push", string(p.Payload), false)
		if !strings.Contains(string(p.Payload), `"url":"https://care.example.org/messages"`) {
			t.Errorf("the push: %s", p.Payload)
		}
		waitFor(t, "the job to finish", func() bool { return !job(store.JobNotifyMessage + ":" + m1.ID + ":" + client.ID).DoneAt.IsZero() })
		if _, err := db.Store.JobByKey(ctx, store.JobNotifyMessage+":"+m1.ID+":"+c.Provider.ID); care.ErrorCode(err) != care.NotFound {
			t.Errorf("the sender has a notification job: %v", err)
		}

		// 2. The client replies; the provider is told, with a link to the caseload.
		send(clientActor, "Thanks, "+canary)
		waitFor(t, "the provider's mail", func() bool { return len(mx.Mails()) == 2 })
		mail = mx.Mails()[1]
		noPHI("the provider's mail", mail.Data, false)
		if mail.To[0] != c.Provider.Email || !strings.Contains(mail.Data, "https://care.example.org/clients\r\n") {
			t.Errorf("the provider's mail to %v:\n%s", mail.To, mail.Data)
		}

		// 3. Quiet hours around now (in the client's zone): the
		// notification waits for their end, then goes.
		loc, _ := time.LoadLocation(client.TimeZone)
		now := db.Clock.Now().In(loc)
		minute := now.Hour()*60 + now.Minute()
		quiet := care.QuietHours{Start: (minute + 24*60 - 30) % (24 * 60), End: (minute + 60) % (24 * 60)}
		if err := db.Store.SetNotificationSettings(ctx, clientActor, care.NotificationSettings{Email: true, Quiet: quiet}); err != nil {
			t.Fatal(err)
		}
		m3 := send(providerActor, "Late note "+canary)
		key3 := store.JobNotifyMessage + ":" + m3.ID + ":" + client.ID
		waitFor(t, "the job to be deferred", func() bool { return !job(key3).DoneAt.IsZero() })
		end := quiet.DeliverAt(db.Clock.Now(), loc)
		later := job(key3 + "@" + strconv.FormatInt(end.UnixMicro(), 10))
		if !later.RunAt.Equal(end) || !later.DoneAt.IsZero() || later.Attempts != 0 || later.UserID != client.ID || later.RefID != m3.ID {
			t.Errorf("the deferred job %+v, want run at %s", later, end)
		}
		time.Sleep(100 * time.Millisecond) // ten polls of the runner
		if len(mx.Mails()) != 2 || len(pushes()) != 1 {
			t.Fatalf("sent in quiet hours: %d mails, %d pushes", len(mx.Mails()), len(pushes()))
		}
		db.Clock.Advance(end.Sub(db.Clock.Now()))
		waitFor(t, "the mail after quiet hours", func() bool { return len(mx.Mails()) == 3 && len(pushes()) == 2 })
		noPHI("the mail after quiet hours", mx.Mails()[2].Data, false)

		// 4. Email off; the push service says the browser is gone: nothing
		// is delivered, and the subscription is dropped.
		if err := db.Store.SetNotificationSettings(ctx, clientActor, care.NotificationSettings{Email: false}); err != nil {
			t.Fatal(err)
		}
		ps.Answer(410)
		m4 := send(providerActor, "Another "+canary)
		waitFor(t, "the job with channels off", func() bool { return !job(store.JobNotifyMessage + ":" + m4.ID + ":" + client.ID).DoneAt.IsZero() })
		if subs, _ := db.Store.PushSubscriptions(ctx, clientActor); len(subs) != 0 {
			t.Errorf("the gone subscription is kept")
		}
		m4b := send(providerActor, "And another")
		if _, err := db.Store.JobByKey(ctx, store.JobNotifyMessage+":"+m4b.ID+":"+client.ID); care.ErrorCode(err) != care.NotFound {
			t.Errorf("a job for a recipient with no channel: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
		if len(mx.Mails()) != 3 || len(pushes()) != 2 {
			t.Errorf("channels off, yet %d mails, %d pushes", len(mx.Mails()), len(pushes()))
		}

		// 5. The SMTP server refuses, quoting the address: the job fails
		// and is retried after its backoff; the log names no recipient.
		if err := db.Store.SetNotificationSettings(ctx, clientActor, care.DefaultNotificationSettings()); err != nil {
			t.Fatal(err)
		}
		mx.Refuse(&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 2, 0}, Message: "<ADDR> over quota"})
		m5 := send(providerActor, "Try again "+canary)
		key5 := store.JobNotifyMessage + ":" + m5.ID + ":" + client.ID
		waitFor(t, "a failed attempt", func() bool { j := job(key5); return j.LastError != "" && j.LockedBy == "" })
		if j := job(key5); j.Attempts != 1 || !j.DoneAt.IsZero() || strings.Contains(j.LastError, "@") {
			t.Errorf("after the refusal: %+v", j)
		}
		mx.Refuse(nil)
		db.Clock.Advance(store.Backoff(1))
		waitFor(t, "the retried mail", func() bool { return len(mx.Mails()) == 4 })
		if j := job(key5); j.Attempts != 2 {
			t.Errorf("delivered on attempt %d", j.Attempts)
		}

		out := logs.String()
		if !strings.Contains(out, "notify: delivery failed") || !strings.Contains(out, "code 451") {
			t.Errorf("the failure is not logged:\n%s", out)
		}
		noPHI("the log", out, true)
		if strings.Contains(out, client.Email) || strings.Contains(out, "over quota") {
			t.Errorf("the log names the recipient or quotes the server:\n%s", out)
		}
		if _, errs := ps.Pushed(); len(errs) != 0 {
			t.Errorf("the push service refused: %v", errs)
		}
	})
}
