package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// advanceTo moves the clock forward to the next time after now that is
// weekday wd at hh:mm UTC.
func advanceTo(db *storetest.DB, wd time.Weekday, hh, mm int) {
	now := db.Clock.Now()
	y, m, d := now.UTC().Date()
	for i := 0; ; i++ {
		t := time.Date(y, m, d+i, hh, mm, 0, 0, time.UTC)
		if t.Weekday() == wd && t.After(now) {
			db.Clock.Advance(t.Sub(now))
			return
		}
	}
}

func nineToFive(t *testing.T, db *storetest.DB, provider care.Actor) {
	t.Helper()
	h := care.OfficeHours{ResponseTime: "within 1 business day"}
	for wd := time.Monday; wd <= time.Friday; wd++ {
		h.Days[wd] = []care.Interval{{Start: 9 * 60, End: 17 * 60}}
	}
	if err := db.Store.SetOfficeHours(context.Background(), provider, &h); err != nil {
		t.Fatal(err)
	}
}

// TestAutoReply (issue #6): a client's message outside the office hours
// of their whole care team gets one automatic reply per out-of-hours
// period, in the same transaction, saying when to expect an answer and
// where to get help now; inside office hours, or from a provider, none.
func TestAutoReply(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Hours")
		client, provider := c.Actor(c.Client), c.Actor(c.Provider)
		if err := db.Store.SetCrisisLine(ctx, c.Actor(c.Admin), "Clinic crisis line (555) 010-0199"); err != nil {
			t.Fatal(err)
		}
		// No office hours kept: no automatic reply.
		if m, ev := send(t, db, client, c.Client.ID, "before hours exist"); m.AutoReply != nil || ev.Then != nil {
			t.Error("an automatic reply without office hours")
		}
		nineToFive(t, db, provider)
		if err := db.Store.SetOfficeHours(ctx, client, &care.OfficeHours{}); care.ErrorCode(err) != care.Forbidden {
			t.Errorf("a client setting office hours: %v", err)
		}
		got, err := db.Store.OfficeHours(ctx, provider)
		if err != nil || care.FormatIntervals(got.Days[time.Wednesday]) != "09:00-17:00" || got.ResponseTime != "within 1 business day" {
			t.Fatalf("office hours: %+v %v", got, err)
		}

		advanceTo(db, time.Saturday, 10, 0)
		m, ev := send(t, db, client, c.Client.ID, "a weekend question")
		r := m.AutoReply
		if r == nil || ev.Then == nil || ev.Then.MessageID != r.ID || ev.Then.Seq <= ev.Seq {
			t.Fatalf("no automatic reply on Saturday: %+v %+v", r, ev)
		}
		for _, want := range []string{"Monday", "09:00", "within 1 business day", "988", "911", "(555) 010-0199"} {
			if !strings.Contains(r.Text, want) {
				t.Errorf("the reply lacks %q: %s", want, r.Text)
			}
		}
		page, err := db.Store.Messages(ctx, client, c.Client.ID, store.MessageQuery{})
		if err != nil || page.Messages[0].ID != r.ID || page.Messages[0].SenderRole != care.RoleSystem || page.Messages[0].SenderID != c.Provider.ID {
			t.Fatalf("thread: %+v %v", page.Messages, err)
		}
		if len(page.Team) != 1 || page.Team[0].ProviderID != c.Provider.ID || page.Team[0].Empty() {
			t.Errorf("team hours: %+v", page.Team)
		}
		db.Clock.Advance(5 * time.Hour)
		if m, _ := send(t, db, client, c.Client.ID, "and another"); m.AutoReply != nil {
			t.Error("a second automatic reply in one out-of-hours period")
		}
		advanceTo(db, time.Monday, 10, 0)
		if m, _ := send(t, db, client, c.Client.ID, "in hours"); m.AutoReply != nil {
			t.Error("an automatic reply in office hours")
		}
		advanceTo(db, time.Monday, 18, 0)
		if m, _ := send(t, db, provider, c.Client.ID, "a late reply"); m.AutoReply != nil {
			t.Error("an automatic reply to a provider")
		}
		if m, _ := send(t, db, client, c.Client.ID, "Monday evening"); m.AutoReply == nil || !strings.Contains(m.AutoReply.Text, "Tuesday") {
			t.Errorf("a new out-of-hours period gets its reply: %+v", m.AutoReply)
		}
		// Another team without office hours: none.
		if m, _ := send(t, db, c.Actor(c.OtherClient), c.OtherClient.ID, "hi"); m.AutoReply != nil {
			t.Error("an automatic reply for a team without office hours")
		}
		n := 0
		for _, ev := range events(t, db, c.Clinic.ID) {
			if ev.Action == "message.auto_reply" {
				n++
				if ev.ActorID != c.Client.ID || ev.ClientID != c.Client.ID {
					t.Errorf("audit row %+v", ev)
				}
			}
		}
		if n != 2 {
			t.Errorf("%d message.auto_reply rows, want 2", n)
		}
		if tableHolds(t, db, "messages", "988") {
			t.Error("an automatic reply in the clear")
		}
	})
}

// TestMessagingModes (issue #6): reply-only lets the client answer each
// message of the care team once (automatic replies do not count); paused
// refuses the client's messages and shows them the (sealed) reason; only
// a provider of the care team sets the mode; refusals change nothing and
// are audited as denied.
func TestMessagingModes(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Modes")
		client, provider := c.Actor(c.Client), c.Actor(c.Provider)
		try := func(a care.Actor, text string) error {
			m := care.Message{Text: text}
			_, err := db.Store.SendMessage(ctx, a, c.Client.ID, &m)
			db.Clock.Advance(time.Second)
			return err
		}
		count := func() int {
			page, err := db.Store.Messages(ctx, provider, c.Client.ID, store.MessageQuery{Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			return len(page.Messages)
		}
		set := func(a care.Actor, mode care.MessagingMode, reason string) error {
			return db.Store.SetMessaging(ctx, a, c.Client.ID, &care.Messaging{Mode: mode, Reason: reason})
		}
		if err := try(client, "open by default"); err != nil {
			t.Fatal(err)
		}
		if err := set(provider, care.ModeReplyOnly, ""); err != nil {
			t.Fatal(err)
		}
		before := count()
		if err := try(client, "again"); care.ErrorCode(err) != care.Forbidden || !strings.Contains(err.Error(), "replies only") {
			t.Errorf("reply-only, the client wrote last: %v", err)
		}
		if count() != before {
			t.Error("a refused message was stored")
		}
		if err := try(provider, "How was the week?"); err != nil {
			t.Fatal(err)
		}
		if err := try(client, "Good, thanks"); err != nil {
			t.Errorf("reply-only, answering: %v", err)
		}
		if err := try(client, "and one more thing"); care.ErrorCode(err) != care.Forbidden {
			t.Errorf("reply-only, a second answer: %v", err)
		}

		// Paused.
		if err := set(provider, care.ModePaused, ""); care.ErrorCode(err) != care.Invalid {
			t.Errorf("a pause without a reason: %v", err)
		}
		if err := set(provider, care.ModePaused, "canary-pause: I am away until 4 January; call the clinic meanwhile"); err != nil {
			t.Fatal(err)
		}
		if err := try(client, "hello?"); care.ErrorCode(err) != care.Forbidden {
			t.Errorf("paused: %v", err)
		}
		if err := try(provider, "a note while paused"); err != nil {
			t.Errorf("a provider writing while paused: %v", err)
		}
		page, err := db.Store.Messages(ctx, client, c.Client.ID, store.MessageQuery{})
		if err != nil || page.Messaging.Mode != care.ModePaused || !strings.HasPrefix(page.Messaging.Reason, "canary-pause") || page.Messaging.SetBy != c.Provider.ID {
			t.Errorf("the client's view of the pause: %+v %v", page.Messaging, err)
		}
		if got, err := db.Store.Messaging(ctx, client, c.Client.ID); err != nil || got.Mode != care.ModePaused {
			t.Errorf("Messaging: %+v %v", got, err)
		}
		if tableHolds(t, db, "messaging_modes", "canary-pause") {
			t.Error("the pause reason in the clear")
		}

		// Who may set it.
		if err := set(client, care.ModeOpen, ""); care.ErrorCode(err) != care.Forbidden {
			t.Errorf("the client opening: %v", err)
		}
		for _, a := range []care.Actor{c.Actor(c.OtherProvider), c.Actor(c.Admin), c.Actor(c.OtherClient)} {
			if err := set(a, care.ModeOpen, ""); care.ErrorCode(err) != care.NotFound {
				t.Errorf("%s setting the mode: %v", a.Role, err)
			}
		}
		if err := set(provider, care.ModeOpen, "ignored"); err != nil {
			t.Fatal(err)
		}
		if err := try(client, "open again"); err != nil {
			t.Errorf("open again: %v", err)
		}
		var denied, updates int
		for _, ev := range events(t, db, c.Clinic.ID) {
			switch {
			case ev.Action == "message.create" && ev.Outcome == care.OutcomeDenied:
				denied++
			case ev.Action == "messaging.update" && ev.Outcome == care.OutcomeSuccess:
				updates++
			}
		}
		if denied != 3 || updates != 3 {
			t.Errorf("audit: %d refused messages, %d mode changes", denied, updates)
		}
	})
}
