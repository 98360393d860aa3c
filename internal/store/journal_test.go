package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

func ptr[T any](v T) *T { return &v }

// errOf is the error of a call that also returns a value.
func errOf[T any](_ T, err error) error { return err }

// addGoal stores a goal of client c straight into the goals table, so
// that journal tests need nothing of the plan's code.
func addGoal(t *testing.T, db *storetest.DB, client care.User) string {
	t.Helper()
	id := care.NewID()
	now := db.Clock.Now().UnixMicro()
	if _, err := db.Engine.SQLDB().Exec(
		`INSERT INTO goals (id, clinic_id, client_id, position, title_sealed, target_date, status, created_at, updated_at)
		 VALUES ($1, $2, $3, 0, $4, '', 'active', $5, $5)`,
		id, client.ClinicID, client.ID, []byte("not a real sealed title"), now); err != nil {
		t.Fatal(err)
	}
	return id
}

// rowCount counts the rows of a table.
func rowCount(t *testing.T, db *storetest.DB, table string) int {
	t.Helper()
	var n int
	if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// newEntry is a valid entry that occurred an hour ago.
func newEntry(db *storetest.DB, text string) *care.JournalEntry {
	return &care.JournalEntry{OccurredAt: db.Clock.Now().Add(-time.Hour), Mood: ptr(6), Text: text}
}

func mustCreate(t *testing.T, db *storetest.DB, client care.User, e *care.JournalEntry, shared *bool) *care.JournalEntry {
	t.Helper()
	if err := db.Store.CreateEntry(context.Background(), actorOfUser(client), client.ID, e, shared); err != nil {
		t.Fatalf("creating an entry: %v", err)
	}
	return e
}

func actorOfUser(u care.User) care.Actor {
	return care.Actor{UserID: u.ID, ClinicID: u.ClinicID, Role: u.Role}
}

// TestJournalWriteAndRead: an entry with every field comes back as
// written; sharing defaults to the client's setting, private unless set.
func TestJournalWriteAndRead(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Journal")
		client := c.Actor(c.Client)
		goal := addGoal(t, db, c.Client)
		at := db.Clock.Now().Add(-26 * time.Hour).Truncate(time.Second)
		e := &care.JournalEntry{
			OccurredAt: at, Mood: ptr(0), Emotions: []string{"Anxious", "hopeful", "  kind of   wobbly ", "anxious"},
			Symptoms: care.Symptoms{SleepHours: ptr(6.5), SleepQuality: ptr(4), Energy: ptr(5), Anxiety: ptr(7), Pain: ptr(0),
				Appetite: ptr(10), Irritability: ptr(3)},
			Text: "  A long day.\r\nBetter evening.  ", GoalID: goal, GoalProgress: ptr(6), Discuss: true,
		}
		mustCreate(t, db, c.Client, e, nil)
		got, err := db.Store.Entry(ctx, client, c.Client.ID, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("%v mood=0 emotions=[anxious hopeful kind of wobbly] sleep=6.5 q=4 e=5 a=7 p=0 ap=10 i=3 text=%q goal=%s/6 discuss=true shared=false v=1",
			at.UTC(), "A long day.\nBetter evening.", goal)
		if s := describeEntry(got); s != want {
			t.Errorf("read back:\n got %s\nwant %s", s, want)
		}
		if got.Shared {
			t.Error("a new client's entry is shared by default; want private")
		}

		// The client's setting decides; an explicit choice overrides it.
		if on, err := db.Store.ShareByDefault(ctx, client); err != nil || on {
			t.Fatalf("share by default: %v %v", on, err)
		}
		if err := db.Store.SetShareByDefault(ctx, client, true); err != nil {
			t.Fatal(err)
		}
		if on, _ := db.Store.ShareByDefault(ctx, client); !on {
			t.Fatal("the setting did not stick")
		}
		if e := mustCreate(t, db, c.Client, newEntry(db, "default"), nil); !e.Shared {
			t.Error("with share_by_default on, a new entry is private")
		}
		if e := mustCreate(t, db, c.Client, newEntry(db, "explicitly private"), ptr(false)); e.Shared {
			t.Error("an entry written as private is shared")
		}
		if err := db.Store.SetShareByDefault(ctx, client, false); err != nil {
			t.Fatal(err)
		}
		if e := mustCreate(t, db, c.Client, newEntry(db, "explicitly shared"), ptr(true)); !e.Shared {
			t.Error("an entry written as shared is private")
		}
		for _, staff := range c.Staff() {
			if _, err := db.Store.ShareByDefault(ctx, c.Actor(staff)); care.ErrorCode(err) != care.Forbidden {
				t.Errorf("%s reading a journal setting: %v", staff.Role, err)
			}
			if err := db.Store.SetShareByDefault(ctx, c.Actor(staff), true); care.ErrorCode(err) != care.Forbidden {
				t.Errorf("%s changing a journal setting: %v", staff.Role, err)
			}
		}

		// An entry of text alone, of emotions alone, of symptoms alone.
		for _, e := range []*care.JournalEntry{
			{OccurredAt: at, Text: "just words"},
			{OccurredAt: at, Emotions: []string{"calm"}},
			{OccurredAt: at, Symptoms: care.Symptoms{SleepHours: ptr(0.0)}},
			{OccurredAt: db.Clock.Now().Add(care.MaxFutureSkew), Mood: ptr(10)},             // the edge of the future
			{OccurredAt: db.Clock.Now().Add(-care.MaxBackdate + time.Minute), Mood: ptr(5)}, // a year back
		} {
			mustCreate(t, db, c.Client, e, nil)
		}
	})
}

func describeEntry(e *care.JournalEntry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v", e.OccurredAt)
	if e.Mood != nil {
		fmt.Fprintf(&b, " mood=%d", *e.Mood)
	}
	fmt.Fprintf(&b, " emotions=%v", e.Emotions)
	s := e.Symptoms
	if s.SleepHours != nil {
		fmt.Fprintf(&b, " sleep=%v", *s.SleepHours)
	}
	for _, r := range []struct {
		n string
		v *int
	}{{"q", s.SleepQuality}, {"e", s.Energy}, {"a", s.Anxiety}, {"p", s.Pain}, {"ap", s.Appetite}, {"i", s.Irritability}} {
		if r.v != nil {
			fmt.Fprintf(&b, " %s=%d", r.n, *r.v)
		}
	}
	fmt.Fprintf(&b, " text=%q", e.Text)
	if e.GoalID != "" {
		fmt.Fprintf(&b, " goal=%s", e.GoalID)
		if e.GoalProgress != nil {
			fmt.Fprintf(&b, "/%d", *e.GoalProgress)
		}
	}
	fmt.Fprintf(&b, " discuss=%t shared=%t v=%d", e.Discuss, e.Shared, e.Version)
	return b.String()
}

// TestJournalValidation: every rule of an entry, on both engines; a
// refused entry stores nothing and names the field at fault.
func TestJournalValidation(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Rules")
		goal := addGoal(t, db, c.Client)
		othersGoal := addGoal(t, db, c.OtherClient)
		now := db.Clock.Now()
		past := now.Add(-time.Hour)
		many := make([]string, 13)
		for i := range many {
			many[i] = "word " + strings.Repeat("a", i+1)
		}
		cases := []struct {
			name  string
			e     care.JournalEntry
			field string
		}{
			{"mood 11", care.JournalEntry{OccurredAt: past, Mood: ptr(11)}, "mood"},
			{"mood -1", care.JournalEntry{OccurredAt: past, Mood: ptr(-1)}, "mood"},
			{"no time", care.JournalEntry{Mood: ptr(5)}, "occurred_at"},
			{"6 minutes ahead", care.JournalEntry{OccurredAt: now.Add(6 * time.Minute), Mood: ptr(5)}, "occurred_at"},
			{"a year and a day back", care.JournalEntry{OccurredAt: now.Add(-care.MaxBackdate - 24*time.Hour), Mood: ptr(5)}, "occurred_at"},
			{"empty", care.JournalEntry{OccurredAt: past}, "mood"},
			{"only a discuss flag", care.JournalEntry{OccurredAt: past, Discuss: true}, "mood"},
			{"only white space", care.JournalEntry{OccurredAt: past, Text: " \n\t "}, "mood"},
			{"text of 10001", care.JournalEntry{OccurredAt: past, Text: strings.Repeat("é", care.MaxEntryText+1)}, "text"},
			{"text of 1 MB", care.JournalEntry{OccurredAt: past, Text: strings.Repeat("x", 1<<20)}, "text"},
			{"NUL in text", care.JournalEntry{OccurredAt: past, Text: "a\x00b"}, "text"},
			{"escape in text", care.JournalEntry{OccurredAt: past, Text: "a\x1b[31mb"}, "text"},
			{"emotion with digits", care.JournalEntry{OccurredAt: past, Emotions: []string{"sad2"}}, "emotions"},
			{"emotion with markup", care.JournalEntry{OccurredAt: past, Emotions: []string{"<script>alert(1)</script>"}}, "emotions"},
			{"emotion of 41", care.JournalEntry{OccurredAt: past, Emotions: []string{strings.Repeat("a", 41)}}, "emotions"},
			{"empty emotion", care.JournalEntry{OccurredAt: past, Emotions: []string{"  "}}, "emotions"},
			{"hyphens only", care.JournalEntry{OccurredAt: past, Emotions: []string{"- -"}}, "emotions"},
			{"13 emotions", care.JournalEntry{OccurredAt: past, Emotions: many}, "emotions"},
			{"sleep 25", care.JournalEntry{OccurredAt: past, Symptoms: care.Symptoms{SleepHours: ptr(25.0)}}, "symptoms.sleep_hours"},
			{"sleep -0.5", care.JournalEntry{OccurredAt: past, Symptoms: care.Symptoms{SleepHours: ptr(-0.5)}}, "symptoms.sleep_hours"},
			{"sleep 6.25", care.JournalEntry{OccurredAt: past, Symptoms: care.Symptoms{SleepHours: ptr(6.25)}}, "symptoms.sleep_hours"},
			{"sleep quality 11", care.JournalEntry{OccurredAt: past, Symptoms: care.Symptoms{SleepQuality: ptr(11)}}, "symptoms.sleep_quality"},
			{"energy -1", care.JournalEntry{OccurredAt: past, Symptoms: care.Symptoms{Energy: ptr(-1)}}, "symptoms.energy"},
			{"anxiety 11", care.JournalEntry{OccurredAt: past, Symptoms: care.Symptoms{Anxiety: ptr(11)}}, "symptoms.anxiety"},
			{"pain 100", care.JournalEntry{OccurredAt: past, Symptoms: care.Symptoms{Pain: ptr(100)}}, "symptoms.pain"},
			{"appetite -3", care.JournalEntry{OccurredAt: past, Symptoms: care.Symptoms{Appetite: ptr(-3)}}, "symptoms.appetite"},
			{"irritability 12", care.JournalEntry{OccurredAt: past, Symptoms: care.Symptoms{Irritability: ptr(12)}}, "symptoms.irritability"},
			{"progress without a goal", care.JournalEntry{OccurredAt: past, Mood: ptr(5), GoalProgress: ptr(5)}, "goal_progress"},
			{"progress 11", care.JournalEntry{OccurredAt: past, Mood: ptr(5), GoalID: goal, GoalProgress: ptr(11)}, "goal_progress"},
			{"unknown goal", care.JournalEntry{OccurredAt: past, Mood: ptr(5), GoalID: care.NewID()}, "goal_id"},
			{"another client's goal", care.JournalEntry{OccurredAt: past, Mood: ptr(5), GoalID: othersGoal}, "goal_id"},
			{"a goal id that is no id", care.JournalEntry{OccurredAt: past, Mood: ptr(5), GoalID: "' OR 1=1 --"}, "goal_id"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before, versions, audits := rowCount(t, db, "journal_entries"), rowCount(t, db, "journal_versions"), rowCount(t, db, "audit_events")
				e := tc.e
				err := db.Store.CreateEntry(ctx, c.Actor(c.Client), c.Client.ID, &e, nil)
				var ce *care.Error
				if !errors.As(err, &ce) || ce.Code != care.Invalid || ce.Field != tc.field {
					t.Fatalf("got %v, want invalid on %s", err, tc.field)
				}
				if strings.Contains(ce.Message, "script") || len(ce.Message) > 200 {
					t.Errorf("the message repeats the input: %q", ce.Message)
				}
				if n := rowCount(t, db, "journal_entries"); n != before {
					t.Errorf("entries: %d before, %d after", before, n)
				}
				if n := rowCount(t, db, "journal_versions"); n != versions {
					t.Errorf("versions: %d before, %d after", versions, n)
				}
				if n := rowCount(t, db, "audit_events"); n != audits {
					t.Errorf("audit rows: %d before, %d after a refused entry", audits, n)
				}
			})
		}

		// The same rules hold for an edit, which then changes nothing.
		e := mustCreate(t, db, c.Client, newEntry(db, "kept"), nil)
		for _, tc := range cases {
			if tc.field == "occurred_at" && tc.e.OccurredAt.IsZero() {
				continue
			}
			_, err := db.Store.UpdateEntry(ctx, c.Actor(c.Client), c.Client.ID, e.ID, func(x *care.JournalEntry) error {
				keepID := x.ID
				*x = tc.e
				x.ID = keepID
				return nil
			})
			var ce *care.Error
			if !errors.As(err, &ce) || ce.Code != care.Invalid || ce.Field != tc.field {
				t.Errorf("editing to %s: got %v, want invalid on %s", tc.name, err, tc.field)
			}
		}
		if got, _ := db.Store.Entry(ctx, c.Actor(c.Client), c.Client.ID, e.ID); got.Text != "kept" || got.Version != 1 {
			t.Errorf("refused edits changed the entry: %s", describeEntry(got))
		}
		if n := rowCount(t, db, "journal_versions"); n != 0 {
			t.Errorf("refused edits kept %d versions", n)
		}

		// A goal taken out of the plan may no longer be linked to; an
		// entry linked before keeps it through an edit.
		linked := mustCreate(t, db, c.Client, &care.JournalEntry{OccurredAt: past, Mood: ptr(5), GoalID: goal, GoalProgress: ptr(2)}, nil)
		if _, err := db.Engine.SQLDB().Exec(`UPDATE goals SET removed_at = $1 WHERE id = $2`, now.UnixMicro(), goal); err != nil {
			t.Fatal(err)
		}
		err := db.Store.CreateEntry(ctx, c.Actor(c.Client), c.Client.ID, &care.JournalEntry{OccurredAt: past, Mood: ptr(5), GoalID: goal}, nil)
		if ce, ok := err.(*care.Error); !ok || ce.Field != "goal_id" {
			t.Errorf("linking to a removed goal: %v", err)
		}
		if _, err := db.Store.UpdateEntry(ctx, c.Actor(c.Client), c.Client.ID, linked.ID, func(x *care.JournalEntry) error { x.Mood = ptr(6); return nil }); err != nil {
			t.Errorf("editing an entry linked to a removed goal: %v", err)
		}
	})
}

// TestJournalPrivacy: the care team sees shared entries only; a private
// entry is invisible to them, in lists and by id, exactly as a missing
// one; nobody else sees the journal at all.
func TestJournalPrivacy(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Private")
		other := storetest.SeedClinic(t, db.Store, "Elsewhere")
		shared := mustCreate(t, db, c.Client, newEntry(db, "shared words"), ptr(true))
		private := mustCreate(t, db, c.Client, newEntry(db, "private words"), ptr(false))
		deletedShared := mustCreate(t, db, c.Client, newEntry(db, "shared then deleted"), ptr(true))
		if err := db.Store.DeleteEntry(ctx, c.Actor(c.Client), c.Client.ID, deletedShared.ID); err != nil {
			t.Fatal(err)
		}

		// The client sees everything of theirs.
		page, err := db.Store.Entries(ctx, c.Actor(c.Client), c.Client.ID, store.EntryQuery{Deleted: true})
		if err != nil || len(page.Entries) != 3 {
			t.Fatalf("the client's list: %d entries, %v", len(page.Entries), err)
		}

		// The provider: shared entries only.
		prov := c.Actor(c.Provider)
		page, err = db.Store.Entries(ctx, prov, c.Client.ID, store.EntryQuery{Deleted: true, Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Entries) != 1 || page.Entries[0].ID != shared.ID || page.More {
			t.Fatalf("the provider's list: %v", page.Entries)
		}
		points, err := db.Store.MoodPoints(ctx, prov, c.Client.ID, db.Clock.Now().Add(-48*time.Hour))
		if err != nil || len(points) != 1 {
			t.Errorf("the provider's mood points: %v %v, want the shared entry's only", points, err)
		}
		if _, err := db.Store.Entry(ctx, prov, c.Client.ID, shared.ID); err != nil {
			t.Errorf("the provider reading a shared entry: %v", err)
		}
		missing := care.NewID()
		for _, id := range []string{private.ID, deletedShared.ID, missing} {
			_, err := db.Store.Entry(ctx, prov, c.Client.ID, id)
			if !errors.Is(err, care.ErrNotFound) || !store.Audited(err) {
				t.Errorf("the provider reading a private, deleted or missing entry: %v, want not found", err)
			}
		}

		// Others see nothing: another provider, an admin without a
		// grant, another clinic, another client.
		for _, a := range []care.Actor{c.Actor(c.OtherProvider), c.Actor(c.Admin), c.Actor(c.OtherClient),
			other.Actor(other.Provider), other.Actor(other.Admin), other.Actor(other.Client)} {
			if _, err := db.Store.Entries(ctx, a, c.Client.ID, store.EntryQuery{}); !errors.Is(err, care.ErrNotFound) {
				t.Errorf("%s %s listing the journal: %v", a.Role, a.UserID, err)
			}
			if _, err := db.Store.Entry(ctx, a, c.Client.ID, shared.ID); !errors.Is(err, care.ErrNotFound) {
				t.Errorf("%s %s reading a shared entry: %v", a.Role, a.UserID, err)
			}
			if _, err := db.Store.MoodPoints(ctx, a, c.Client.ID, time.Time{}); !errors.Is(err, care.ErrNotFound) {
				t.Errorf("%s %s reading mood points: %v", a.Role, a.UserID, err)
			}
		}
		// An entry id asked for under another client's path is not found.
		if _, err := db.Store.Entry(ctx, c.Actor(c.OtherClient), c.OtherClient.ID, shared.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("an entry under the wrong client: %v", err)
		}

		// Writes: only the client. The care team is told no for what it
		// sees (forbidden), and not found for what it does not.
		for _, tc := range []struct {
			actor care.Actor
			entry string
			want  care.Code
		}{
			{prov, shared.ID, care.Forbidden},
			{prov, private.ID, care.NotFound},
			{prov, deletedShared.ID, care.NotFound},
			{prov, missing, care.NotFound},
			{c.Actor(c.OtherProvider), shared.ID, care.NotFound},
			{c.Actor(c.Admin), shared.ID, care.NotFound},
			{c.Actor(c.OtherClient), shared.ID, care.NotFound},
			{other.Actor(other.Client), shared.ID, care.NotFound},
		} {
			_, err := db.Store.UpdateEntry(ctx, tc.actor, c.Client.ID, tc.entry, func(e *care.JournalEntry) error { e.Text = "changed"; return nil })
			if care.ErrorCode(err) != tc.want || !store.Audited(err) {
				t.Errorf("%s editing %s: %v, want %s", tc.actor.Role, tc.entry, err, tc.want)
			}
			if err := db.Store.DeleteEntry(ctx, tc.actor, c.Client.ID, tc.entry); care.ErrorCode(err) != tc.want {
				t.Errorf("%s deleting %s: %v, want %s", tc.actor.Role, tc.entry, err, tc.want)
			}
			if _, err := db.Store.EntryVersions(ctx, tc.actor, c.Client.ID, tc.entry); care.ErrorCode(err) != tc.want {
				t.Errorf("%s reading the versions of %s: %v, want %s", tc.actor.Role, tc.entry, err, tc.want)
			}
		}
		for _, tc := range []struct {
			actor care.Actor
			want  care.Code
		}{{prov, care.Forbidden}, {c.Actor(c.OtherProvider), care.NotFound}, {c.Actor(c.Admin), care.NotFound},
			{c.Actor(c.OtherClient), care.NotFound}, {other.Actor(other.Client), care.NotFound}} {
			before := rowCount(t, db, "journal_entries")
			err := db.Store.CreateEntry(ctx, tc.actor, c.Client.ID, newEntry(db, "not theirs"), nil)
			if care.ErrorCode(err) != tc.want {
				t.Errorf("%s writing in the journal: %v, want %s", tc.actor.Role, err, tc.want)
			}
			if rowCount(t, db, "journal_entries") != before {
				t.Errorf("%s wrote in someone's journal", tc.actor.Role)
			}
		}
		if got, _ := db.Store.Entry(ctx, c.Actor(c.Client), c.Client.ID, shared.ID); got.Text != "shared words" {
			t.Errorf("refused writes changed the entry: %q", got.Text)
		}

		// Making an entry private hides it from the care team at once.
		if _, err := db.Store.UpdateEntry(ctx, c.Actor(c.Client), c.Client.ID, shared.ID, func(e *care.JournalEntry) error { e.Shared = false; return nil }); err != nil {
			t.Fatal(err)
		}
		if page, _ := db.Store.Entries(ctx, prov, c.Client.ID, store.EntryQuery{}); len(page.Entries) != 0 {
			t.Errorf("an entry made private is still in the provider's list")
		}
		if _, err := db.Store.Entry(ctx, prov, c.Client.ID, shared.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("an entry made private is still readable by the provider: %v", err)
		}
	})
}

// TestJournalBreakGlass: an admin with an open grant sees what the care
// team sees, shared entries only, and every read is audited as
// break-glass.
func TestJournalBreakGlass(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Glass")
		shared := mustCreate(t, db, c.Client, newEntry(db, "shared"), ptr(true))
		private := mustCreate(t, db, c.Client, newEntry(db, "private"), ptr(false))
		admin := c.Actor(c.Admin)
		if _, err := db.Store.StartBreakGlass(ctx, admin, c.Client.ID, "The client's provider is away and the client asked for help"); err != nil {
			t.Fatal(err)
		}
		page, err := db.Store.Entries(ctx, admin, c.Client.ID, store.EntryQuery{Deleted: true})
		if err != nil || len(page.Entries) != 1 || page.Entries[0].ID != shared.ID {
			t.Fatalf("the admin's list through break-glass: %v %v", page.Entries, err)
		}
		if _, err := db.Store.Entry(ctx, admin, c.Client.ID, private.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("a private entry through break-glass: %v", err)
		}
		var purpose string
		if err := db.Engine.SQLDB().QueryRow(`SELECT purpose FROM audit_events WHERE action = 'journal.list' AND actor_id = $1`,
			c.Admin.ID).Scan(&purpose); err != nil || purpose != care.PurposeBreakGlass {
			t.Errorf("the admin's list is audited with purpose %q (%v), want %q", purpose, err, care.PurposeBreakGlass)
		}
	})
}

// TestJournalVersions: an edit keeps the version before it, sealed; an
// edit that changes nothing keeps nothing; what an edit may not change
// stays.
func TestJournalVersions(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Versions")
		client := c.Actor(c.Client)
		goal := addGoal(t, db, c.Client)
		e := mustCreate(t, db, c.Client, newEntry(db, "first words"), ptr(false))
		created := e.CreatedAt

		db.Clock.Advance(time.Minute)
		got, err := db.Store.UpdateEntry(ctx, client, c.Client.ID, e.ID, func(x *care.JournalEntry) error {
			x.Text, x.Mood, x.Shared, x.GoalID, x.GoalProgress = "second words", ptr(3), true, goal, ptr(4)
			x.ID, x.Version, x.CreatedAt = "something else", 99, time.Time{} // not the edit's to change
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != e.ID || got.Version != 2 || !got.CreatedAt.Equal(created) || got.Text != "second words" || !got.Shared {
			t.Fatalf("after an edit: %+v", got)
		}
		db.Clock.Advance(time.Minute)
		newTime := db.Clock.Now().Add(-3 * time.Hour).Truncate(time.Second)
		if _, err := db.Store.UpdateEntry(ctx, client, c.Client.ID, e.ID, func(x *care.JournalEntry) error {
			x.OccurredAt, x.Text, x.GoalID, x.GoalProgress = newTime, "third words", "", nil
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		// An edit that changes nothing keeps no version.
		if _, err := db.Store.UpdateEntry(ctx, client, c.Client.ID, e.ID, func(x *care.JournalEntry) error { return nil }); err != nil {
			t.Fatal(err)
		}
		vs, err := db.Store.EntryVersions(ctx, client, c.Client.ID, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, v := range vs {
			lines = append(lines, fmt.Sprintf("v%d current=%t shared=%t goal=%t text=%s occurred=%v", v.Version, v.Current, v.Shared, v.GoalID != "", v.Text, v.OccurredAt.Equal(newTime)))
		}
		want := []string{
			"v3 current=true shared=true goal=false text=third words occurred=true",
			"v2 current=false shared=true goal=true text=second words occurred=false",
			"v1 current=false shared=false goal=false text=first words occurred=false",
		}
		if strings.Join(lines, "\n") != strings.Join(want, "\n") {
			t.Errorf("versions:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
		if !vs[2].UpdatedAt.Equal(created) || !vs[1].UpdatedAt.Equal(created.Add(time.Minute)) {
			t.Errorf("versions are saved at %v and %v", vs[2].UpdatedAt, vs[1].UpdatedAt)
		}
		if n := rowCount(t, db, "journal_versions"); n != 2 {
			t.Errorf("%d version rows, want 2", n)
		}

		// An entry older than a year may be edited without moving it.
		old := newEntry(db, "long ago")
		old.OccurredAt = db.Clock.Now().Add(-care.MaxBackdate + time.Hour)
		mustCreate(t, db, c.Client, old, nil)
		db.Clock.Advance(2 * time.Hour)
		if _, err := db.Store.UpdateEntry(ctx, client, c.Client.ID, old.ID, func(x *care.JournalEntry) error { x.Mood = ptr(2); return nil }); err != nil {
			t.Errorf("editing the mood of an entry now older than a year: %v", err)
		}

		// A snapshot cannot pass for another version: each is sealed to
		// its own row.
		if _, err := db.Engine.SQLDB().Exec(`UPDATE journal_versions SET body_sealed = (SELECT body_sealed FROM journal_versions WHERE version = 2) WHERE version = 1`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.EntryVersions(ctx, client, c.Client.ID, e.ID); care.ErrorCode(err) != care.Integrity {
			t.Errorf("a swapped snapshot: %v, want an integrity error", err)
		}
	})
}

// TestJournalTombstones: deleting erases the content of the entry and of
// its versions; the client sees that it was deleted and when; nobody else
// sees anything.
func TestJournalTombstones(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Tombs")
		client := c.Actor(c.Client)
		e := mustCreate(t, db, c.Client, newEntry(db, "to be deleted"), ptr(true))
		keep := mustCreate(t, db, c.Client, newEntry(db, "to be kept"), ptr(true))
		if _, err := db.Store.UpdateEntry(ctx, client, c.Client.ID, e.ID, func(x *care.JournalEntry) error { x.Text = "edited"; return nil }); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(time.Minute)
		if err := db.Store.DeleteEntry(ctx, client, c.Client.ID, e.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.DeleteEntry(ctx, client, c.Client.ID, e.ID); err != nil {
			t.Errorf("deleting a tombstone again: %v", err)
		}
		var live, bodies int
		if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM journal_entries WHERE id = $1 AND body_sealed IS NOT NULL`, e.ID).Scan(&live); err != nil {
			t.Fatal(err)
		}
		if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM journal_versions WHERE entry_id = $1 AND body_sealed IS NOT NULL`, e.ID).Scan(&bodies); err != nil {
			t.Fatal(err)
		}
		if live != 0 || bodies != 0 {
			t.Errorf("after deletion %d entry bodies and %d version bodies remain", live, bodies)
		}

		got, err := db.Store.Entry(ctx, client, c.Client.ID, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Deleted() || !got.DeletedAt.Equal(db.Clock.Now().Truncate(time.Microsecond)) || got.Text != "" || got.Mood != nil {
			t.Errorf("the client's tombstone: %+v", got)
		}
		page, _ := db.Store.Entries(ctx, client, c.Client.ID, store.EntryQuery{Deleted: true})
		if len(page.Entries) != 2 {
			t.Errorf("the client's list with tombstones: %d entries", len(page.Entries))
		}
		page, _ = db.Store.Entries(ctx, client, c.Client.ID, store.EntryQuery{})
		if len(page.Entries) != 1 || page.Entries[0].ID != keep.ID {
			t.Errorf("the client's list without tombstones: %v", page.Entries)
		}
		if _, err := db.Store.UpdateEntry(ctx, client, c.Client.ID, e.ID, func(x *care.JournalEntry) error { x.Text = "back"; return nil }); care.ErrorCode(err) != care.Gone {
			t.Errorf("editing a tombstone: %v, want gone", err)
		}
		if _, err := db.Store.EntryVersions(ctx, client, c.Client.ID, e.ID); care.ErrorCode(err) != care.Gone {
			t.Errorf("versions of a tombstone: %v, want gone", err)
		}
		prov := c.Actor(c.Provider)
		page, _ = db.Store.Entries(ctx, prov, c.Client.ID, store.EntryQuery{Deleted: true})
		if len(page.Entries) != 1 || page.Entries[0].ID != keep.ID {
			t.Errorf("the provider sees %v", page.Entries)
		}
		if _, err := db.Store.Entry(ctx, prov, c.Client.ID, e.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("the provider reading a tombstone: %v", err)
		}
	})
}

// TestJournalPaging: newest first by the time the entries tell of, paged
// without gaps or repeats even when entries share a time.
func TestJournalPaging(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Pages")
		client := c.Actor(c.Client)
		base := db.Clock.Now().Add(-10 * 24 * time.Hour)
		want := map[string]bool{}
		for i := range 7 {
			e := newEntry(db, fmt.Sprint(i))
			e.OccurredAt = base.Add(time.Duration(i/2) * time.Hour) // pairs share a time
			mustCreate(t, db, c.Client, e, nil)
			want[e.ID] = true
		}
		var seen []care.JournalEntry
		q := store.EntryQuery{Limit: 3}
		for range 5 {
			page, err := db.Store.Entries(ctx, client, c.Client.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, page.Entries...)
			if !page.More {
				break
			}
			last := page.Entries[len(page.Entries)-1]
			q.Before, q.BeforeID = last.OccurredAt, last.ID
		}
		if len(seen) != 7 {
			t.Fatalf("paged through %d entries, want 7", len(seen))
		}
		for i, e := range seen {
			if !want[e.ID] {
				t.Errorf("entry %s twice or unknown", e.ID)
			}
			delete(want, e.ID)
			if i > 0 && (e.OccurredAt.After(seen[i-1].OccurredAt) || e.OccurredAt.Equal(seen[i-1].OccurredAt) && e.ID > seen[i-1].ID) {
				t.Errorf("entry %d is out of order", i)
			}
		}
		// Since: only the last hours.
		page, _ := db.Store.Entries(ctx, client, c.Client.ID, store.EntryQuery{Since: base.Add(2 * time.Hour)})
		if len(page.Entries) != 3 {
			t.Errorf("since: %d entries, want 3", len(page.Entries))
		}
		// Before a time alone.
		page, _ = db.Store.Entries(ctx, client, c.Client.ID, store.EntryQuery{Before: base.Add(time.Hour)})
		if len(page.Entries) != 2 {
			t.Errorf("before: %d entries, want 2", len(page.Entries))
		}
		points, err := db.Store.MoodPoints(ctx, client, c.Client.ID, time.Time{})
		if err != nil || len(points) != 7 || points[0].At.After(points[6].At) {
			t.Errorf("mood points: %v %v", points, err)
		}
	})
}

// TestJournalAudit: every read (lists too) and write of the journal
// leaves one audit row with the actor, the client and the entry; refusals
// are recorded as denied. The rows hold no content.
func TestJournalAudit(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Audit")
		client, prov := c.Actor(c.Client), c.Actor(c.Provider)
		before := len(events(t, db, c.Clinic.ID))
		e := mustCreate(t, db, c.Client, newEntry(db, "audited words"), ptr(true))
		// Each call's outcome is the one its audit row, below, records.
		allowed := func(what string, err error) {
			t.Helper()
			if err != nil {
				t.Errorf("%s: %v", what, err)
			}
		}
		denied := func(what string, err error) {
			t.Helper()
			if err == nil {
				t.Errorf("%s: allowed, want an error", what)
			}
		}
		allowed("client read", errOf(db.Store.Entry(ctx, client, c.Client.ID, e.ID)))
		allowed("client list", errOf(db.Store.Entries(ctx, client, c.Client.ID, store.EntryQuery{})))
		allowed("client update", errOf(db.Store.UpdateEntry(ctx, client, c.Client.ID, e.ID, func(x *care.JournalEntry) error { x.Mood = ptr(1); return nil })))
		allowed("client versions", errOf(db.Store.EntryVersions(ctx, client, c.Client.ID, e.ID)))
		allowed("provider list", errOf(db.Store.Entries(ctx, prov, c.Client.ID, store.EntryQuery{})))
		allowed("provider read", errOf(db.Store.Entry(ctx, prov, c.Client.ID, e.ID)))
		denied("other provider read", errOf(db.Store.Entry(ctx, c.Actor(c.OtherProvider), c.Client.ID, e.ID)))
		denied("provider delete", db.Store.DeleteEntry(ctx, prov, c.Client.ID, e.ID))
		allowed("client delete", db.Store.DeleteEntry(ctx, client, c.Client.ID, e.ID))
		allowed("client settings", db.Store.SetShareByDefault(ctx, client, true))
		got := events(t, db, c.Clinic.ID)[before:]
		var lines []string
		for _, ev := range got {
			who := map[string]string{c.Client.ID: "client", c.Provider.ID: "provider", c.OtherProvider.ID: "other"}[ev.ActorID]
			entity := ev.EntityID
			if entity == e.ID {
				entity = "E"
			}
			if ev.ClientID != c.Client.ID {
				t.Errorf("%s names client %q", ev.Action, ev.ClientID)
			}
			lines = append(lines, fmt.Sprintf("%s %s %s %s", who, ev.Action, ev.Outcome, entity))
		}
		want := []string{
			"client journal.create success E",
			"client journal.read success E",
			"client journal.list success ",
			"client journal.update success E",
			"client journal.versions success E",
			"provider journal.list success ",
			"provider journal.read success E",
			"other journal.read denied E",
			"provider journal.delete denied E",
			"client journal.delete success E",
			"client journal.settings success " + c.Client.ID,
		}
		if strings.Join(lines, "\n") != strings.Join(want, "\n") {
			t.Errorf("audit rows:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
	})
}

// TestJournalShredded: once a client's record is deleted (their key
// destroyed), their journal answers gone.
func TestJournalShredded(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Shred")
		e := mustCreate(t, db, c.Client, newEntry(db, "soon unreadable"), ptr(true))
		admin := c.Actor(c.Admin)
		if err := db.Store.SetRetentionDays(ctx, admin, 0); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.DeleteClient(ctx, admin, c.Client.ID, "entered-in-error"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.Entries(ctx, c.Actor(c.Provider), c.Client.ID, store.EntryQuery{}); !errors.Is(err, store.ErrShredded) {
			t.Errorf("listing a deleted client's journal: %v", err)
		}
		if _, err := db.Store.Entry(ctx, c.Actor(c.Provider), c.Client.ID, e.ID); !errors.Is(err, store.ErrShredded) {
			t.Errorf("reading a deleted client's entry: %v", err)
		}
	})
}

// TestJournalSealed: the content is in no table as plaintext.
func TestJournalSealed(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		c := storetest.SeedClinic(t, db.Store, "Sealed")
		secret := "journalcanary" + care.NewID()
		e := newEntry(db, "the text says "+secret)
		e.Emotions = []string{"calm", "journalcanary" + strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return 'x'
			}
			return r
		}, secret[13:23])}
		mustCreate(t, db, c.Client, e, nil)
		if _, err := db.Store.UpdateEntry(context.Background(), c.Actor(c.Client), c.Client.ID, e.ID, func(x *care.JournalEntry) error {
			x.Text += " again"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"journal_entries", "journal_versions", "audit_events"} {
			rows, err := db.Engine.SQLDB().Query(`SELECT * FROM ` + table)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for _, v := range vals {
					if s := fmt.Sprintf("%s", v); strings.Contains(s, "journalcanary") {
						t.Errorf("plaintext in %s", table)
					}
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
		}
	})
}
