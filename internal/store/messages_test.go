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

func send(t *testing.T, db *storetest.DB, actor care.Actor, clientID, text string) (care.Message, care.MessageEvent) {
	t.Helper()
	m := care.Message{Text: text}
	ev, err := db.Store.SendMessage(context.Background(), actor, clientID, &m)
	if err != nil {
		t.Fatalf("sending: %v", err)
	}
	return m, ev
}

// TestMessages: the client and their care team write and read the thread,
// newest first, paged; read receipts by a recipient only, once; events in
// order, with their audience; texts sealed; every access audited.
func TestMessages(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Messages")
		client, provider := c.Actor(c.Client), c.Actor(c.Provider)

		m1, ev1 := send(t, db, client, c.Client.ID, "first canary-msg-text")
		db.Clock.Advance(time.Second)
		m2, ev2 := send(t, db, provider, c.Client.ID, "a reply")
		if ev1.Kind != "message" || ev1.MessageID != m1.ID || ev2.Seq <= ev1.Seq {
			t.Errorf("events %+v, %+v", ev1, ev2)
		}
		if got := strings.Join(ev2.Audience, ","); got != c.Client.ID+","+c.Provider.ID {
			t.Errorf("audience %s", got)
		}
		page, err := db.Store.Messages(ctx, provider, c.Client.ID, store.MessageQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Messages) != 2 || page.Messages[0].ID != m2.ID || page.Messages[1].Text != "first canary-msg-text" {
			t.Fatalf("page %+v", page.Messages)
		}
		page, err = db.Store.Messages(ctx, client, c.Client.ID, store.MessageQuery{Limit: 1})
		if err != nil || len(page.Messages) != 1 || !page.More {
			t.Fatalf("limit 1: %+v %v", page, err)
		}
		page, err = db.Store.Messages(ctx, client, c.Client.ID, store.MessageQuery{Before: page.Messages[0].ID})
		if err != nil || len(page.Messages) != 1 || page.Messages[0].ID != m1.ID || page.More {
			t.Fatalf("before: %+v %v", page, err)
		}

		// Read receipts: the provider reads the client's message; the
		// client cannot mark their own; a second read changes nothing.
		if _, _, err := db.Store.MarkMessageRead(ctx, client, c.Client.ID, m1.ID); care.ErrorCode(err) != care.Forbidden {
			t.Errorf("sender marking read: %v", err)
		}
		rev, changed, err := db.Store.MarkMessageRead(ctx, provider, c.Client.ID, m1.ID)
		if err != nil || !changed || rev.Kind != "read" || rev.Seq <= ev2.Seq {
			t.Fatalf("read: %+v %v %v", rev, changed, err)
		}
		if _, changed, err := db.Store.MarkMessageRead(ctx, provider, c.Client.ID, m1.ID); err != nil || changed {
			t.Errorf("read again: %v %v", changed, err)
		}
		page, _ = db.Store.Messages(ctx, client, c.Client.ID, store.MessageQuery{})
		if page.Messages[1].ReadAt.IsZero() || !page.Messages[0].ReadAt.IsZero() {
			t.Errorf("read_at: %+v", page.Messages)
		}

		// Replay after a seq: exactly what followed, to the thread's members only.
		evs, err := db.Store.MessageEventsAfter(ctx, client, ev1.Seq, 100)
		if err != nil || len(evs) != 2 || evs[0].Seq != ev2.Seq || evs[1].Kind != "read" {
			t.Fatalf("replay: %+v %v", evs, err)
		}
		if evs, _ := db.Store.MessageEventsAfter(ctx, c.Actor(c.OtherProvider), 0, 100); len(evs) != 0 {
			t.Errorf("another provider replays %d events", len(evs))
		}

		// Others: not found, as for a client that does not exist.
		for _, u := range []care.User{c.OtherProvider, c.OtherClient, c.Admin} {
			a := c.Actor(u)
			if _, err := db.Store.Messages(ctx, a, c.Client.ID, store.MessageQuery{}); care.ErrorCode(err) != care.NotFound {
				t.Errorf("%s listing: %v", u.Role, err)
			}
			m := care.Message{Text: "hi"}
			if _, err := db.Store.SendMessage(ctx, a, c.Client.ID, &m); care.ErrorCode(err) != care.NotFound {
				t.Errorf("%s sending: %v", u.Role, err)
			}
			if _, _, err := db.Store.MarkMessageRead(ctx, a, c.Client.ID, m1.ID); care.ErrorCode(err) != care.NotFound {
				t.Errorf("%s reading: %v", u.Role, err)
			}
		}
		// Validation.
		for _, text := range []string{"", "   ", strings.Repeat("é", care.MaxMessageText+1)} {
			m := care.Message{Text: text}
			if _, err := db.Store.SendMessage(ctx, client, c.Client.ID, &m); care.ErrorCode(err) != care.Invalid {
				t.Errorf("text of %d chars: %v", len(text), err)
			}
		}
		if m := (care.Message{Text: strings.Repeat("é", care.MaxMessageText)}); true {
			if _, err := db.Store.SendMessage(ctx, client, c.Client.ID, &m); err != nil {
				t.Errorf("longest text: %v", err)
			}
		}

		// Sealed: no table holds the text in the clear.
		if tableHolds(t, db, "messages", "canary-msg-text") {
			t.Error("messages holds a text in the clear")
		}
		// Audited.
		var creates, lists, reads, denied int
		for _, ev := range events(t, db, c.Clinic.ID) {
			switch {
			case ev.Outcome == care.OutcomeDenied && strings.HasPrefix(ev.Action, "message."):
				denied++
			case ev.Action == "message.create":
				creates++
			case ev.Action == "message.list":
				lists++
			case ev.Action == "message.read":
				reads++
			}
		}
		if creates != 3 || lists < 4 || reads != 2 || denied < 10 {
			t.Errorf("audit: %d creates, %d lists, %d reads, %d denied", creates, lists, reads, denied)
		}
	})
}

// TestUnreadMessages: a client's count is the care team's messages they
// have not read, in their own thread only; their own messages never
// count; staff get 0.
func TestUnreadMessages(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Unread")
		client, provider := c.Actor(c.Client), c.Actor(c.Provider)
		unread := func(a care.Actor, want int, what string) {
			t.Helper()
			if n, err := db.Store.UnreadMessages(ctx, a); err != nil || n != want {
				t.Errorf("%s: %d unread (%v), want %d", what, n, err, want)
			}
		}
		unread(client, 0, "an empty thread")
		send(t, db, client, c.Client.ID, "hello")
		unread(client, 0, "the client's own message")
		m1, _ := send(t, db, provider, c.Client.ID, "a reply")
		send(t, db, provider, c.Client.ID, "and another")
		unread(client, 2, "two replies")
		unread(c.Actor(c.OtherClient), 0, "another client")
		unread(provider, 0, "the provider")
		if _, _, err := db.Store.MarkMessageRead(ctx, client, c.Client.ID, m1.ID); err != nil {
			t.Fatal(err)
		}
		unread(client, 1, "one read")
	})
}
