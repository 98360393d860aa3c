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

// TestCrisisLanguageFlags (issue #6): a client's message with crisis
// language is delivered and raises one open flag for the care team; a
// provider's does not. A shared journal entry raises one; a private entry
// none, and no row or audit row tells of it; sharing it later does. A
// provider of the care team acknowledges a flag with a sealed note, once.
func TestCrisisLanguageFlags(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Flags")
		client, provider := c.Actor(c.Client), c.Actor(c.Provider)

		m, _ := send(t, db, client, c.Client.ID, "some days I want to die")
		if !m.Crisis {
			t.Error("the message is not marked crisis")
		}
		db.Clock.Advance(time.Second)
		if p, _ := send(t, db, provider, c.Client.ID, "Are you thinking of suicide? Call 988."); p.Crisis {
			t.Error("a provider's message is marked crisis")
		}
		if n, _ := send(t, db, client, c.Client.ID, "that was a killer deal"); n.Crisis {
			t.Error("a harmless message is marked crisis")
		}
		flags, err := db.Store.ListOpenFlags(ctx, provider, "")
		if err != nil || len(flags) != 1 {
			t.Fatalf("open flags: %+v %v", flags, err)
		}
		f := flags[0]
		if f.Kind != care.FlagCrisisLanguage || f.SourceType != "message" || f.SourceID != m.ID || f.ClientID != c.Client.ID || !f.Open() {
			t.Errorf("flag %+v", f)
		}

		// Journal: private raises nothing; shared raises; sharing the
		// private one later raises one for it.
		before := len(events(t, db, c.Clinic.ID))
		priv := mustCreate(t, db, c.Client, newEntry(db, "canary-private: I want to kill myself"), ptr(false))
		if !priv.Crisis {
			t.Error("the private entry is not marked crisis")
		}
		evs := events(t, db, c.Clinic.ID)[before:]
		if len(evs) != 1 || evs[0].Action != "journal.create" {
			t.Errorf("a private crisis entry leaves audit rows %+v", evs)
		}
		if flags, _ := db.Store.ListOpenFlags(ctx, provider, c.Client.ID); len(flags) != 1 {
			t.Errorf("a private entry raised a flag: %+v", flags)
		}
		shared := mustCreate(t, db, c.Client, newEntry(db, "no quiero vivir así"), ptr(true))
		if !shared.Crisis {
			t.Error("the shared entry is not marked crisis")
		}
		db.Clock.Advance(time.Second)
		if _, err := db.Store.UpdateEntry(ctx, client, c.Client.ID, priv.ID, func(e *care.JournalEntry) error { e.Shared = true; return nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.UpdateEntry(ctx, client, c.Client.ID, priv.ID, func(e *care.JournalEntry) error { e.Mood = ptr(2); return nil }); err != nil {
			t.Fatal(err)
		}
		flags, _ = db.Store.ListOpenFlags(ctx, provider, c.Client.ID)
		var sources []string
		for _, f := range flags {
			sources = append(sources, f.SourceType+":"+f.SourceID)
		}
		if want := "message:" + m.ID + ",journal_entry:" + shared.ID + ",journal_entry:" + priv.ID; strings.Join(sources, ",") != want {
			t.Errorf("flags from %v, want %s", sources, want)
		}

		// Who sees flags: the care team; not the client, another provider, an admin.
		for _, a := range []care.Actor{client, c.Actor(c.OtherProvider), c.Actor(c.Admin)} {
			if _, err := db.Store.ListOpenFlags(ctx, a, c.Client.ID); care.ErrorCode(err) != care.NotFound {
				t.Errorf("%s lists flags: %v", a.Role, err)
			}
			if _, err := db.Store.AcknowledgeFlag(ctx, a, c.Client.ID, f.ID, "seen"); care.ErrorCode(err) != care.NotFound {
				t.Errorf("%s acknowledges: %v", a.Role, err)
			}
		}
		if got, _ := db.Store.ListOpenFlags(ctx, c.Actor(c.OtherProvider), ""); len(got) != 0 {
			t.Errorf("another provider's caseload has %d flags", len(got))
		}
		// An admin under break-glass sees them but does not acknowledge.
		if _, err := db.Store.StartBreakGlass(ctx, c.Actor(c.Admin), c.Client.ID, "on-call provider unreachable"); err != nil {
			t.Fatal(err)
		}
		if got, err := db.Store.ListOpenFlags(ctx, c.Actor(c.Admin), c.Client.ID); err != nil || len(got) != 3 {
			t.Errorf("admin under break-glass: %d flags, %v", len(got), err)
		}
		if _, err := db.Store.AcknowledgeFlag(ctx, c.Actor(c.Admin), c.Client.ID, f.ID, "seen"); care.ErrorCode(err) != care.Forbidden {
			t.Errorf("admin acknowledging: %v", err)
		}

		// Acknowledging.
		if _, err := db.Store.AcknowledgeFlag(ctx, provider, c.Client.ID, f.ID, "  "); care.ErrorCode(err) != care.Invalid {
			t.Errorf("blank note: %v", err)
		}
		db.Clock.Advance(time.Minute)
		got, err := db.Store.AcknowledgeFlag(ctx, provider, c.Client.ID, f.ID, "canary-ack-note: called, safe, safety plan reviewed")
		if err != nil || got.Open() || got.AcknowledgedBy != c.Provider.ID {
			t.Fatalf("acknowledge: %+v %v", got, err)
		}
		if _, err := db.Store.AcknowledgeFlag(ctx, provider, c.Client.ID, f.ID, "again"); care.ErrorCode(err) != care.Conflict {
			t.Errorf("acknowledging twice: %v", err)
		}
		if flags, _ := db.Store.ListOpenFlags(ctx, provider, ""); len(flags) != 2 {
			t.Errorf("%d open flags after acknowledging one", len(flags))
		}
		all, err := db.Store.SafetyFlags(ctx, provider, c.Client.ID)
		if err != nil || len(all) != 3 || all[2].ID != f.ID || !strings.HasPrefix(all[2].Note, "canary-ack-note") {
			t.Errorf("all flags: %+v %v", all, err)
		}
		if tableHolds(t, db, "safety_flags", "canary-ack-note") {
			t.Error("safety_flags holds a note in the clear")
		}
		// Audited, ids only.
		var raised, acked, denied int
		for _, ev := range events(t, db, c.Clinic.ID) {
			switch {
			case ev.Action == "safety_flag.raise":
				raised++
			case ev.Action == "safety_flag.acknowledge" && ev.Outcome == care.OutcomeSuccess && ev.EntityID == f.ID:
				acked++
			case strings.HasPrefix(ev.Action, "safety_flag.") && ev.Outcome == care.OutcomeDenied:
				denied++
			}
		}
		if raised != 3 || acked != 1 || denied < 7 {
			t.Errorf("audit: %d raised, %d acknowledged, %d denied", raised, acked, denied)
		}
	})
}

// TestCrisisLanguageEdit: a client who edits a message to say words of
// crisis raises a flag for it, once however often they edit.
func TestCrisisLanguageEdit(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Edits")
		client := c.Actor(c.Client)
		m, _ := send(t, db, client, c.Client.ID, "fine, thanks")
		for _, text := range []string{"honestly I want to die", "I want to die, really"} {
			got, _, _, err := db.Store.EditMessage(ctx, client, c.Client.ID, m.ID, text)
			if err != nil || !got.Crisis {
				t.Fatalf("edit: %+v %v", got, err)
			}
		}
		if flags, _ := db.Store.ListOpenFlags(ctx, c.Actor(c.Provider), c.Client.ID); len(flags) != 1 || flags[0].SourceID != m.ID {
			t.Errorf("flags after edits: %+v", flags)
		}
	})
}

// TestFlagLevels (issue #16): crisis language raises a priority flag,
// passive ideation a concern-level one, and a PHQ-9 flag keeps the item 9
// answer that raised it; the caseload puts the client with the priority
// flag first.
func TestFlagLevels(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Levels")
		provider := c.Actor(c.Provider)

		concern, _ := send(t, db, c.Actor(c.Client), c.Client.ID, "honestly I wish I could go to sleep and never wake up")
		db.Clock.Advance(time.Second)
		crisis, _ := send(t, db, c.Actor(c.OtherClient), c.OtherClient.ID, "i have the pills ready and i'm going to take them all tonight")
		if !concern.Crisis || !crisis.Crisis {
			t.Fatalf("not both marked: concern %v, crisis %v", concern.Crisis, crisis.Crisis)
		}
		levels := map[string]care.CrisisLevel{}
		for _, p := range []care.Actor{provider, c.Actor(c.OtherProvider)} {
			flags, err := db.Store.ListOpenFlags(ctx, p, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range flags {
				levels[f.SourceID] = f.Level
				if f.Item9 != 0 {
					t.Errorf("a language flag has an item 9 answer: %+v", f)
				}
			}
		}
		if levels[concern.ID] != care.CrisisConcern || levels[crisis.ID] != care.CrisisAcute {
			t.Errorf("levels: concern message %v, crisis message %v", levels[concern.ID], levels[crisis.ID])
		}

		m := care.MeasureSchedule{Instrument: "phq9", EveryDays: 14}
		if err := db.Store.ScheduleMeasure(ctx, provider, c.Client.ID, &m); err != nil {
			t.Fatal(err)
		}
		r, err := db.Store.AnswerMeasure(ctx, c.Actor(c.Client), c.Client.ID, m.ID, []int{1, 1, 1, 1, 1, 1, 1, 1, 2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		flags, err := db.Store.ListOpenFlags(ctx, provider, c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		var item9 *care.SafetyFlag
		for i := range flags {
			if flags[i].SourceID == r.ID {
				item9 = &flags[i]
			}
		}
		if item9 == nil || item9.Level != care.CrisisAcute || item9.Item9 != 2 || item9.Item9Answer() != "more than half the days" {
			t.Errorf("the PHQ-9 flag: %+v", item9)
		}
	})
}

// TestCrisisCheckInAndThread (issue #16): a check-in's answer is a shared
// entry, so its words of crisis raise one flag, as any shared entry's do;
// the thread marks the message that raised a flag (Flagged), read with
// the thread, and no other.
func TestCrisisCheckInAndThread(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		st := db.Store
		c := storetest.SeedClinic(t, st, "Crisis check-in")
		client, provider := c.Actor(c.Client), c.Actor(c.Provider)
		db.Clock.Advance(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC).Sub(db.Clock.Now()))
		if err := st.SetCheckInSchedule(ctx, provider, c.Client.ID, &care.CheckInSchedule{Weekdays: []time.Weekday{time.Friday}, Minute: 18 * 60}); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(6 * time.Hour)
		js := claimCheckIns(t, st, "w1")
		if len(js) != 1 {
			t.Fatalf("claimed %+v", js)
		}
		if _, err := st.FireCheckIn(ctx, js[0]); err != nil {
			t.Fatal(err)
		}
		open, found, err := st.OpenCheckIn(ctx, client)
		if err != nil || !found {
			t.Fatalf("open check-in: %v %v", found, err)
		}
		e, err := st.AnswerCheckIn(ctx, client, c.Client.ID, open.ID, 1, "I want to kill myself")
		if err != nil {
			t.Fatal(err)
		}
		if !e.Crisis {
			t.Error("the check-in's answer is not marked crisis")
		}
		flags, err := st.ListOpenFlags(ctx, provider, c.Client.ID)
		if err != nil || len(flags) != 1 || flags[0].SourceType != "journal_entry" || flags[0].SourceID != e.ID {
			t.Fatalf("flags after a crisis check-in answer: %+v %v", flags, err)
		}

		db.Clock.Advance(time.Second)
		calm, _ := send(t, db, client, c.Client.ID, "thanks for asking")
		db.Clock.Advance(time.Second)
		crisis, _ := send(t, db, client, c.Client.ID, "I want to die")
		for _, who := range []care.Actor{provider, client} {
			page, err := st.Messages(ctx, who, c.Client.ID, store.MessageQuery{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, m := range page.Messages {
				got[m.ID] = m.Flagged
			}
			if !got[crisis.ID] || got[calm.ID] || len(got) != 3 {
				t.Errorf("%s: flagged %v, want only %s of 3", who.Role, got, crisis.ID)
			}
		}
	})
}

// TestFlagNotAConcern (issue #16): a provider of the care team closes a
// flag as "not a concern" with a reason; it is closed, says so, and is
// counted for the clinic's admin, by kind and level, with no client in
// it; only an admin sees the counts.
func TestFlagNotAConcern(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Not a concern")
		provider := c.Actor(c.Provider)
		m, _ := send(t, db, c.Actor(c.Client), c.Client.ID, "i want to kill myself")
		flags, err := db.Store.ListOpenFlags(ctx, provider, c.Client.ID)
		if err != nil || len(flags) != 1 || flags[0].SourceID != m.ID {
			t.Fatalf("open flags %+v, %v", flags, err)
		}
		if _, err := db.Store.MarkFlagNotAConcern(ctx, c.Actor(c.OtherProvider), c.Client.ID, flags[0].ID, "quoting a song"); care.ErrorCode(err) != care.NotFound {
			t.Errorf("another provider: %v, want not_found", err)
		}
		if _, err := db.Store.MarkFlagNotAConcern(ctx, provider, c.Client.ID, flags[0].ID, " "); care.ErrorCode(err) != care.Invalid {
			t.Errorf("no reason: %v, want invalid", err)
		}
		f, err := db.Store.MarkFlagNotAConcern(ctx, provider, c.Client.ID, flags[0].ID, "Quoting a song lyric; we talked, no risk.")
		if err != nil || f.Open() || !f.NotAConcern {
			t.Fatalf("marked: %+v, %v", f, err)
		}
		if e := lastEvent(t, db, c.Clinic.ID); e.action != "safety_flag.acknowledge" || e.outcome != "success" || e.reason != "not_a_concern" {
			t.Errorf("audit %+v", e)
		}
		all, err := db.Store.SafetyFlags(ctx, provider, c.Client.ID)
		if err != nil || len(all) != 1 || !all[0].NotAConcern || all[0].Note != "Quoting a song lyric; we talked, no risk." {
			t.Errorf("read back: %+v, %v", all, err)
		}
		counts, err := db.Store.NotAConcernCounts(ctx, c.Actor(c.Admin))
		if err != nil || len(counts) != 1 || counts[0].Kind != care.FlagCrisisLanguage || counts[0].Level != care.CrisisAcute || counts[0].Count != 1 {
			t.Errorf("counts %+v, %v", counts, err)
		}
		if _, err := db.Store.NotAConcernCounts(ctx, provider); care.ErrorCode(err) != care.Forbidden {
			t.Errorf("a provider reading the counts: %v", err)
		}
		// Acknowledging as usual is not counted.
		m2, _ := send(t, db, c.Actor(c.Client), c.Client.ID, "i want to kill myself again")
		flags, _ = db.Store.ListOpenFlags(ctx, provider, c.Client.ID)
		for _, fl := range flags {
			if fl.SourceID == m2.ID {
				if _, err := db.Store.AcknowledgeFlag(ctx, provider, c.Client.ID, fl.ID, "Called; safe."); err != nil {
					t.Fatal(err)
				}
			}
		}
		if counts, _ := db.Store.NotAConcernCounts(ctx, c.Actor(c.Admin)); len(counts) != 1 || counts[0].Count != 1 {
			t.Errorf("after an ordinary acknowledgement: %+v", counts)
		}
	})
}
