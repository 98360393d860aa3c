package store_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"interlude/internal/attach"
	"interlude/internal/attach/attachtest"
	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestMessageEdits (issue #6): the sender edits their message; every
// earlier text is kept, sealed, and shown to the thread's participants;
// an edit is an event and an audit row; nobody else edits.
func TestMessageEdits(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Edits")
		client, provider := c.Actor(c.Client), c.Actor(c.Provider)
		m, sent := send(t, db, client, c.Client.ID, "first canary-edit-one")
		db.Clock.Advance(time.Minute)

		got, ev, changed, err := db.Store.EditMessage(ctx, client, c.Client.ID, m.ID, "second canary-edit-two")
		if err != nil || !changed || got.Version != 2 || got.Text != "second canary-edit-two" || !got.EditedAt.Equal(db.Clock.Now()) {
			t.Fatalf("edit: %+v %v %v", got, changed, err)
		}
		if ev.Kind != "edit" || ev.MessageID != m.ID || ev.Seq <= sent.Seq || ev.UserID != c.Client.ID || len(ev.Audience) != 2 {
			t.Errorf("edit event %+v", ev)
		}
		if _, _, changed, err := db.Store.EditMessage(ctx, client, c.Client.ID, m.ID, "second canary-edit-two"); err != nil || changed {
			t.Errorf("the same text again: %v %v", changed, err)
		}
		db.Clock.Advance(time.Minute)
		if _, _, _, err := db.Store.EditMessage(ctx, client, c.Client.ID, m.ID, "third"); err != nil {
			t.Fatal(err)
		}
		// Validation as for sending.
		for _, text := range []string{"", " \n", strings.Repeat("x", care.MaxMessageText+1)} {
			if _, _, _, err := db.Store.EditMessage(ctx, client, c.Client.ID, m.ID, text); care.ErrorCode(err) != care.Invalid {
				t.Errorf("editing to %d chars: %v", len(text), err)
			}
		}
		// Only the sender: the provider sees it and may not; others do not see it.
		if _, _, _, err := db.Store.EditMessage(ctx, provider, c.Client.ID, m.ID, "provider's"); care.ErrorCode(err) != care.Forbidden {
			t.Errorf("the provider editing the client's message: %v", err)
		}
		for _, u := range []care.User{c.OtherProvider, c.OtherClient, c.Admin} {
			if _, _, _, err := db.Store.EditMessage(ctx, c.Actor(u), c.Client.ID, m.ID, "x"); care.ErrorCode(err) != care.NotFound {
				t.Errorf("%s editing: %v", u.Email, err)
			}
			if _, _, err := db.Store.MessageVersions(ctx, c.Actor(u), c.Client.ID, m.ID); care.ErrorCode(err) != care.NotFound {
				t.Errorf("%s reading versions: %v", u.Email, err)
			}
		}

		page, err := db.Store.Messages(ctx, provider, c.Client.ID, store.MessageQuery{})
		if err != nil || len(page.Messages) != 1 || page.Messages[0].Text != "third" || !page.Messages[0].Edited() {
			t.Fatalf("the thread after edits: %+v %v", page.Messages, err)
		}
		for _, a := range []care.Actor{client, provider} {
			_, vs, err := db.Store.MessageVersions(ctx, a, c.Client.ID, m.ID)
			if err != nil || len(vs) != 3 {
				t.Fatalf("versions: %+v %v", vs, err)
			}
			want := []string{"third", "second canary-edit-two", "first canary-edit-one"}
			for i, v := range vs {
				if v.Text != want[i] || v.Version != 3-i {
					t.Errorf("version %d: %+v, want %q", i, v, want[i])
				}
			}
			if !vs[2].WrittenAt.Equal(m.SentAt) || vs[2].EditorID != c.Client.ID || !vs[2].EditedAt.Equal(vs[1].WrittenAt) || !vs[0].EditedAt.IsZero() {
				t.Errorf("version times: %+v", vs)
			}
		}
		// Replayed to a reconnecting stream.
		evs, err := db.Store.MessageEventsAfter(ctx, provider, sent.Seq, 10)
		if err != nil || len(evs) != 2 || evs[0].Kind != "edit" {
			t.Errorf("replay: %+v %v", evs, err)
		}
		for _, table := range []string{"messages", "message_versions"} {
			for _, canary := range []string{"canary-edit-one", "canary-edit-two"} {
				if tableHolds(t, db, table, canary) {
					t.Errorf("%s holds %s in the clear", table, canary)
				}
			}
		}
		// A version's text swapped into another version does not open.
		if _, err := db.Engine.SQLDB().Exec(`UPDATE message_versions SET body_sealed = (SELECT body_sealed FROM message_versions WHERE message_id = $1 AND version = 1)
			WHERE message_id = $1 AND version = 2`, m.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.Store.MessageVersions(ctx, client, c.Client.ID, m.ID); care.ErrorCode(err) != care.Integrity {
			t.Errorf("a swapped version: %v, want an integrity error", err)
		}
		var edits, versions int
		for _, ev := range events(t, db, c.Clinic.ID) {
			switch {
			case ev.Action == "message.edit" && ev.Outcome == care.OutcomeSuccess && ev.EntityID == m.ID:
				edits++
			case ev.Action == "message.versions" && ev.Outcome == care.OutcomeSuccess:
				versions++
			}
		}
		if edits != 3 || versions != 2 {
			t.Errorf("audit: %d edits, %d version reads", edits, versions)
		}
	})
}

// sendFile sends a message with one file, checked as the web layer does.
func sendFile(t *testing.T, db *storetest.DB, actor care.Actor, clientID, name string, data []byte) care.Message {
	t.Helper()
	typ, out, err := attach.Check(data)
	if err != nil {
		t.Fatal(err)
	}
	m := care.Message{Text: "a file", Attachments: []care.Attachment{{Name: care.AttachmentName(name, typ), ContentType: typ, Data: out}}}
	if _, err := db.Store.SendMessage(context.Background(), actor, clientID, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMessageAttachments (issue #6, EN-01, IN-01, AC-03): files are
// stored sealed and bound to their row, listed with their message, opened
// by the thread's participants only, and every opening is audited.
func TestMessageAttachments(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Attachments")
		client, provider := c.Actor(c.Client), c.Actor(c.Provider)

		jpg := sendFile(t, db, client, c.Client.ID, "canary-name-IMG_0001.jpeg", attachtest.JPEGWithGPS())
		db.Clock.Advance(time.Second)
		pdf := sendFile(t, db, provider, c.Client.ID, "worksheet.pdf", attachtest.PDF())
		page, err := db.Store.Messages(ctx, provider, c.Client.ID, store.MessageQuery{})
		if err != nil || len(page.Messages) != 2 {
			t.Fatalf("thread: %+v %v", page, err)
		}
		listed := page.Messages[1].Attachments
		if len(listed) != 1 || listed[0].Name != "canary-name-IMG_0001.jpg" || listed[0].ContentType != care.ContentTypeJPEG ||
			listed[0].Data != nil || listed[0].Size != int64(len(jpg.Attachments[0].Data)) {
			t.Fatalf("listed: %+v", listed)
		}
		aid := listed[0].ID
		for _, a := range []care.Actor{client, provider} {
			got, err := db.Store.Attachment(ctx, a, c.Client.ID, jpg.ID, aid)
			if err != nil || !bytes.Equal(got.Data, jpg.Attachments[0].Data) || got.ContentType != care.ContentTypeJPEG {
				t.Fatalf("opening: %v", err)
			}
			if bytes.Contains(got.Data, []byte(attachtest.Canary)) {
				t.Error("the stored JPEG carries its EXIF")
			}
		}
		// Another client's provider, another client, an admin without a
		// grant: not found. With a grant, the admin sees the thread but
		// is not a participant.
		for _, u := range []care.User{c.OtherProvider, c.OtherClient, c.Admin} {
			if _, err := db.Store.Attachment(ctx, c.Actor(u), c.Client.ID, jpg.ID, aid); care.ErrorCode(err) != care.NotFound {
				t.Errorf("%s opening: %v", u.Email, err)
			}
		}
		if _, err := db.Store.StartBreakGlass(ctx, c.Actor(c.Admin), c.Client.ID, "The provider is unreachable and the client is in crisis"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.Attachment(ctx, c.Actor(c.Admin), c.Client.ID, jpg.ID, aid); care.ErrorCode(err) != care.Forbidden {
			t.Errorf("an admin with a grant opening: %v", err)
		}
		// The wrong message, or another client's thread: not found.
		if _, err := db.Store.Attachment(ctx, provider, c.Client.ID, pdf.ID, aid); care.ErrorCode(err) != care.NotFound {
			t.Errorf("under another message: %v", err)
		}
		other := sendFile(t, db, c.Actor(c.OtherClient), c.OtherClient.ID, "x.png", attachtest.PNGWithText())
		if _, err := db.Store.Attachment(ctx, provider, c.Client.ID, other.ID, other.Attachments[0].ID); care.ErrorCode(err) != care.NotFound {
			t.Errorf("another client's file through this thread: %v", err)
		}

		// Refused before anything is stored.
		var before int
		count := func() int {
			var n int
			if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM message_attachments`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before = count()
		for _, a := range []care.Attachment{
			{Name: "page.png", ContentType: care.ContentTypePNG, Data: attachtest.HTML()},
			{Name: "big.pdf", ContentType: care.ContentTypePDF, Data: append(attachtest.PDF(), make([]byte, care.MaxAttachmentSize)...)},
		} {
			m := care.Message{Text: "refused", Attachments: []care.Attachment{a}}
			if _, err := db.Store.SendMessage(ctx, client, c.Client.ID, &m); care.ErrorCode(err) != care.Invalid {
				t.Errorf("%s: %v", a.Name, err)
			}
		}
		if n := count(); n != before {
			t.Errorf("refused files stored: %d rows, want %d", n, before)
		}

		// Sealed: neither the name nor the content is in the clear.
		if tableHolds(t, db, "message_attachments", "canary-name") || tableHolds(t, db, "message_attachments", "%PDF-") {
			t.Error("message_attachments holds a name or a file in the clear")
		}
		// A ciphertext moved to another row does not open (IN-01).
		if _, err := db.Engine.SQLDB().Exec(`UPDATE message_attachments SET body_sealed = (SELECT body_sealed FROM message_attachments WHERE id = $1)
			WHERE id = $2`, pdf.Attachments[0].ID, aid); err != nil {
			t.Fatal(err)
		}
		if a, err := db.Store.Attachment(ctx, client, c.Client.ID, jpg.ID, aid); care.ErrorCode(err) != care.Integrity || a != nil {
			t.Errorf("a moved ciphertext: %v, want an integrity error", err)
		}
		var n int
		if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM audit_events
			WHERE outcome = 'integrity' AND entity_type = 'message_attachments.body' AND entity_id = $1`, aid).Scan(&n); err != nil || n != 1 {
			t.Errorf("integrity audit rows: %d %v", n, err)
		}

		var creates, reads, denied int
		for _, ev := range events(t, db, c.Clinic.ID) {
			switch {
			case ev.Action == "attachment.create":
				creates++
			case ev.Action == "attachment.read" && ev.Outcome == care.OutcomeSuccess && ev.EntityID == aid:
				reads++
			case ev.Action == "attachment.read" && ev.Outcome == care.OutcomeDenied:
				denied++
			}
		}
		if creates != 3 || reads != 2 || denied != 6 {
			t.Errorf("audit: %d creates, %d reads, %d denied", creates, reads, denied)
		}
	})
}
