package store_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

func pushSub(n int) *care.PushSubscription {
	key := append([]byte{4}, bytes.Repeat([]byte{byte(n)}, 64)...)
	return &care.PushSubscription{
		Endpoint: fmt.Sprintf("https://push.example/send/endpoint-canary-%d", n),
		P256dh:   key, Auth: bytes.Repeat([]byte{9}, 16), Device: "Firefox on Linux",
	}
}

// TestNotificationSettings (TS-02, PR-05): a user's channels and quiet
// hours are theirs, default to email on and no quiet hours, and reach the
// notifier; push subscriptions are sealed, replaced when a browser
// subscribes again, deleted only by their owner, and dropped when their
// push service says they are gone. Every change and the notifier's read
// are audited.
func TestNotificationSettings(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Notify")
		client, provider := c.Actor(c.Client), c.Actor(c.Provider)

		set, err := db.Store.NotificationSettings(ctx, client)
		if err != nil || set != care.DefaultNotificationSettings() {
			t.Fatalf("defaults: %+v %v", set, err)
		}
		want := care.NotificationSettings{Email: false, Quiet: care.QuietHours{Start: 22 * 60, End: 7 * 60}}
		if err := db.Store.SetNotificationSettings(ctx, client, want); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.SetNotificationSettings(ctx, client, care.NotificationSettings{Quiet: care.QuietHours{Start: 24 * 60}}); care.ErrorCode(err) != care.Invalid {
			t.Errorf("quiet hours past midnight: %v", err)
		}
		if got, _ := db.Store.NotificationSettings(ctx, client); got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
		if got, _ := db.Store.NotificationSettings(ctx, provider); got != care.DefaultNotificationSettings() {
			t.Errorf("the provider's are untouched: %+v", got)
		}

		// Subscriptions: sealed at rest; one per browser.
		s1, s2 := pushSub(1), pushSub(2)
		for _, s := range []*care.PushSubscription{s1, s2} {
			if err := db.Store.AddPushSubscription(ctx, client, s); err != nil {
				t.Fatal(err)
			}
		}
		if tableHolds(t, db, "push_subscriptions", "endpoint-canary") {
			t.Error("an endpoint is stored in the clear")
		}
		same := pushSub(2)
		if err := db.Store.AddPushSubscription(ctx, client, same); err != nil || same.ID != s2.ID {
			t.Fatalf("the same browser again: id %s, was %s: %v", same.ID, s2.ID, err)
		}
		again := pushSub(1)
		if err := db.Store.AddPushSubscription(ctx, provider, again); err != nil || again.ID == s1.ID {
			t.Fatal(err)
		}
		subs, err := db.Store.PushSubscriptions(ctx, client)
		if err != nil || len(subs) != 1 || subs[0].ID != s2.ID || subs[0].Endpoint != "" {
			t.Fatalf("the client's subscriptions after the browser moved: %+v %v", subs, err)
		}
		bad := pushSub(3)
		bad.Endpoint = "http://push.example/x"
		if err := db.Store.AddPushSubscription(ctx, client, bad); care.ErrorCode(err) != care.Invalid {
			t.Errorf("an http endpoint: %v", err)
		}

		r, err := db.Store.NotifyRecipient(ctx, c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Email != c.Client.Email || r.Role != care.RoleClient || r.Settings != want || len(r.Push) != 1 ||
			r.Push[0].Endpoint != s2.Endpoint || !bytes.Equal(r.Push[0].P256dh, s2.P256dh) || !bytes.Equal(r.Push[0].Auth, s2.Auth) {
			t.Errorf("recipient %+v", r)
		}
		if _, err := db.Store.NotifyRecipient(ctx, "nobody"); care.ErrorCode(err) != care.NotFound {
			t.Errorf("an unknown recipient: %v", err)
		}

		// Only the owner deletes; a gone subscription is dropped.
		if err := db.Store.DeletePushSubscription(ctx, provider, s2.ID); care.ErrorCode(err) != care.NotFound {
			t.Errorf("someone else's subscription: %v", err)
		}
		if err := db.Store.DropPushSubscription(ctx, c.Client.ID, s2.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.DropPushSubscription(ctx, c.Client.ID, s2.ID); err != nil {
			t.Errorf("dropping twice: %v", err)
		}
		if err := db.Store.DeletePushSubscription(ctx, provider, again.ID); err != nil {
			t.Fatal(err)
		}
		if n := rowCount(t, db, "push_subscriptions"); n != 0 {
			t.Errorf("%d subscriptions left", n)
		}

		// At most care.MaxPushSubscriptions per user: the oldest go.
		for i := range care.MaxPushSubscriptions + 2 {
			db.Clock.Advance(1)
			if err := db.Store.AddPushSubscription(ctx, provider, pushSub(10+i)); err != nil {
				t.Fatal(err)
			}
		}
		if subs, _ := db.Store.PushSubscriptions(ctx, provider); len(subs) != care.MaxPushSubscriptions {
			t.Errorf("%d subscriptions kept", len(subs))
		}

		var actions []string
		for _, ev := range events(t, db, c.Clinic.ID) {
			switch ev.Action {
			case "notify.settings", "push.subscribe", "push.unsubscribe", "push.expired", "notify.recipient":
				actions = append(actions, ev.Action+":"+string(ev.Outcome))
			}
		}
		got := fmt.Sprint(actions)
		want2 := "[notify.settings:success push.subscribe:success push.subscribe:success push.subscribe:success push.subscribe:success notify.recipient:success push.unsubscribe:denied push.expired:success push.unsubscribe:success"
		for range care.MaxPushSubscriptions + 2 {
			want2 += " push.subscribe:success"
		}
		if got != want2+"]" {
			t.Errorf("audit:\n got %s\nwant %s]", got, want2)
		}
	})
}

// TestMessageEnqueuesNotifications (MS-02, TS-02): a message commits with
// a notification job for each other member of the thread who has a
// channel: email when it is set up and on for them, or a subscribed
// browser. The job holds ids only.
func TestMessageEnqueuesNotifications(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Enqueue")
		client, provider := c.Actor(c.Client), c.Actor(c.Provider)
		key := func(m care.Message, to string) string { return store.JobNotifyMessage + ":" + m.ID + ":" + to }

		// No email set up, no browser: nobody can be told; no job.
		m, _ := send(t, db, provider, c.Client.ID, "one")
		if _, err := db.Store.JobByKey(ctx, key(m, c.Client.ID)); care.ErrorCode(err) != care.NotFound {
			t.Errorf("a job with no channel: %v", err)
		}
		// A subscribed browser: a job for the client, none for the sender.
		if err := db.Store.AddPushSubscription(ctx, client, pushSub(1)); err != nil {
			t.Fatal(err)
		}
		m, _ = send(t, db, provider, c.Client.ID, "two")
		j, err := db.Store.JobByKey(ctx, key(m, c.Client.ID))
		if err != nil || j.Kind != store.JobNotifyMessage || j.UserID != c.Client.ID || j.RefID != m.ID || j.ClientID != c.Client.ID || j.ClinicID != c.Clinic.ID {
			t.Fatalf("the client's job %+v %v", j, err)
		}
		if _, err := db.Store.JobByKey(ctx, key(m, c.Provider.ID)); care.ErrorCode(err) != care.NotFound {
			t.Errorf("a job for the sender: %v", err)
		}
		// Email set up: the provider, whose email is on by default, too;
		// not once they turn it off.
		db.Store.SetEmailNotifications(true)
		m, _ = send(t, db, client, c.Client.ID, "three")
		if _, err := db.Store.JobByKey(ctx, key(m, c.Provider.ID)); err != nil {
			t.Errorf("the provider's job: %v", err)
		}
		if err := db.Store.SetNotificationSettings(ctx, provider, care.NotificationSettings{Email: false}); err != nil {
			t.Fatal(err)
		}
		m, _ = send(t, db, client, c.Client.ID, "four")
		if _, err := db.Store.JobByKey(ctx, key(m, c.Provider.ID)); care.ErrorCode(err) != care.NotFound {
			t.Errorf("a job for a provider with email off: %v", err)
		}
	})
}

// TestCheckInEnqueuesNotification (TS-02): a check-in sent to a client
// who has a channel commits with a notify.checkin job for them, ids only.
func TestCheckInEnqueuesNotification(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Check-in notice")
		db.Store.SetEmailNotifications(true)
		db.Clock.Advance(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC).Sub(db.Clock.Now()))
		sch := care.CheckInSchedule{Weekdays: []time.Weekday{time.Friday}, Minute: 18 * 60}
		if err := db.Store.SetCheckInSchedule(ctx, c.Actor(c.Provider), c.Client.ID, &sch); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(6 * time.Hour)
		js, err := db.Store.ClaimJobs(ctx, "w", []string{store.JobCheckIn}, 10, time.Minute)
		if err != nil || len(js) != 1 {
			t.Fatalf("claimed %d: %v", len(js), err)
		}
		if _, err := db.Store.FireCheckIn(ctx, js[0]); err != nil {
			t.Fatal(err)
		}
		o, err := db.Store.CheckIns(ctx, c.Actor(c.Provider), c.Client.ID, 0)
		if err != nil || len(o.CheckIns) != 1 {
			t.Fatalf("%+v %v", o, err)
		}
		id := o.CheckIns[0].ID
		j, err := db.Store.JobByKey(ctx, store.JobNotifyCheckIn+":"+id+":"+c.Client.ID)
		if err != nil || j.Kind != store.JobNotifyCheckIn || j.UserID != c.Client.ID || j.RefID != id {
			t.Errorf("the check-in's notification job %+v %v", j, err)
		}
	})
}
