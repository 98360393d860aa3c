package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// TestBrief (issue #7): the pre-session brief of a seeded story covers the
// time since the last held session, leads with the shared "bring this up"
// items of the window, shows both safety flags with how they were handled,
// the shared entries of the window only (never a private or deleted one),
// progress per goal, task completion, measures with change markers, and
// message and check-in counts.
func TestBrief(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Brief")
		seed := storetest.SeedBrief(t, db, c)
		b, err := db.Store.Brief(ctx, c.Actor(c.Provider), c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b.LastSession == nil || b.LastSession.ID != seed.HeldSession || !b.Since.Equal(storetest.BriefHeldAt) {
			t.Fatalf("window starts at %v (session %+v), want the held session of %v", b.Since, b.LastSession, storetest.BriefHeldAt)
		}
		if b.NextSession == nil || b.NextSession.ID != seed.NextSession {
			t.Errorf("next session = %+v, want %s (the cancelled one is not next)", b.NextSession, seed.NextSession)
		}
		if b.ClientName != "client" {
			t.Errorf("client name = %q", b.ClientName)
		}
		if len(b.Discuss) != 1 || b.Discuss[0].ID != seed.DiscussEntry {
			t.Errorf("discuss items = %v, want only %s (private and older ones are left out)", entryIDs(b.Discuss), seed.DiscussEntry)
		}
		if len(b.Entries) != seed.SharedEntriesInWindow {
			t.Errorf("%d entries, want the %d shared ones of the window", len(b.Entries), seed.SharedEntriesInWindow)
		}
		for _, e := range b.Entries {
			if !e.Shared || e.Deleted() || e.OccurredAt.Before(b.Since) || e.ID == seed.DeletedEntry || slices.Contains(seed.PrivateEntries, e.ID) ||
				strings.Contains(e.Text, seed.PrivateText) || strings.Contains(e.Text, seed.DeletedText) {
				t.Errorf("entry %s (shared %t, at %v) is in the brief", e.ID, e.Shared, e.OccurredAt)
			}
		}
		if !slices.IsSortedFunc(b.Entries, func(x, y care.JournalEntry) int { return y.OccurredAt.Compare(x.OccurredAt) }) {
			t.Errorf("entries are not newest first")
		}

		var flags []string
		for _, f := range b.Flags {
			flags = append(flags, fmt.Sprintf("%s %s %s %q", f.ID, f.Kind, f.Status(), f.Note))
		}
		want := []string{
			fmt.Sprintf("%s phq9_item9 open %q", seed.MeasureFlag, ""),
			fmt.Sprintf("%s crisis_language acknowledged %q", seed.CrisisFlag, "Called the client; reviewed the safety plan together."),
		}
		if !slices.Equal(flags, want) {
			t.Errorf("flags:\n got %q\nwant %q", flags, want)
		}
		if f := b.Flags[1]; f.AcknowledgedBy != c.Provider.ID || f.AcknowledgedByName != "provider" || f.AcknowledgedAt.IsZero() {
			t.Errorf("acknowledged by %q (%q) at %v", f.AcknowledgedBy, f.AcknowledgedByName, f.AcknowledgedAt)
		}

		var goals []string
		for _, g := range b.Goals {
			goals = append(goals, fmt.Sprintf("%s ratings=%d latest=%v tasks=%d/%d", g.Title, len(g.Ratings), deref(g.Latest()), g.TasksDone, g.TasksDue))
		}
		// Breathing is due daily 27 Nov to 4 Dec (8 days), done on 5; the
		// diary once, done; walks on Mon/Wed/Fri: 27, 30 Nov, 2, 4 Dec, one done.
		wantGoals := []string{"Sleep through the night ratings=4 latest=6 tasks=6/9", "Walk every morning ratings=0 latest=<nil> tasks=1/4"}
		if !slices.Equal(goals, wantGoals) {
			t.Errorf("goals:\n got %q\nwant %q", goals, wantGoals)
		}
		var tasks []string
		for _, tk := range b.Tasks {
			tasks = append(tasks, fmt.Sprintf("%s %d/%d", tk.Title, tk.Done, tk.Due))
		}
		wantTasks := []string{"Breathing practice, five minutes 5/8", "Write down what keeps you awake 1/1", "Walk around the block 1/4"}
		if !slices.Equal(tasks, wantTasks) {
			t.Errorf("tasks:\n got %q\nwant %q", tasks, wantTasks)
		}

		var measures []string
		for _, m := range b.Measures {
			l := m.Latest()
			measures = append(measures, fmt.Sprintf("%s history=%d window=%d baseline=%d latest=%d %s response=%t remission=%t",
				m.Instrument.Code, len(m.History), len(m.InWindow), m.Baseline().Total, l.Total, l.Progress.Change, l.Progress.Response, l.Progress.Remission))
		}
		wantMeasures := []string{
			"phq9 history=6 window=1 baseline=16 latest=8 reliable_improvement response=true remission=false",
			"gad7 history=6 window=1 baseline=12 latest=6 reliable_improvement response=true remission=false",
		}
		if !slices.Equal(measures, wantMeasures) {
			t.Errorf("measures:\n got %q\nwant %q", measures, wantMeasures)
		}
		if b.Messages.FromClient != 3 {
			t.Errorf("messages from the client = %d, want 3 (the window's; not the one before)", b.Messages.FromClient)
		}
		if b.Messages.ToClient < 1+seed.CheckInsSent {
			t.Errorf("messages to the client = %d, want at least the reply and %d check-in prompts", b.Messages.ToClient, seed.CheckInsSent)
		}
		if got := b.CheckIns; got.Sent != 7 || got.Answered != 4 || got.Missed != 2 || got.Open != 1 {
			t.Errorf("check-ins = %+v, want 7 sent: 4 answered, 2 missed, 1 open", got)
		}
		if share, ok := b.CheckIns.Adherence(); !ok || share != 4.0/6 {
			t.Errorf("adherence = %v %t, want 4/6", share, ok)
		}
	})
}

func entryIDs(es []care.JournalEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestBriefWithoutHeldSession: with no held session the brief looks back
// care.BriefDefaultWindow, and says so (LastSession nil).
func TestBriefWithoutHeldSession(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Brief Window")
		now := db.Clock.Now()
		shared := true
		for _, days := range []int{40, 20} {
			e := &care.JournalEntry{OccurredAt: now.Add(-time.Duration(days) * 24 * time.Hour), Mood: ptr(5)}
			if err := db.Store.CreateEntry(ctx, c.Actor(c.Client), c.Client.ID, e, &shared); err != nil {
				t.Fatal(err)
			}
		}
		b, err := db.Store.Brief(ctx, c.Actor(c.Provider), c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b.LastSession != nil || !b.Since.Equal(b.Now.Add(-care.BriefDefaultWindow)) {
			t.Errorf("since %v, last session %+v: want %v before now", b.Since, b.LastSession, care.BriefDefaultWindow)
		}
		if len(b.Entries) != 1 {
			t.Errorf("%d entries, want the one of the last 30 days", len(b.Entries))
		}
	})
}

// TestBriefAccess (AC-03, AC-06, AU-01): only the care team reads a
// brief; another team's provider, the client themself and an admin
// without break-glass get care.ErrNotFound, audited as denied; an admin
// with an open grant reads it, audited as break-glass. Each read writes
// exactly one audit row, "brief.read", naming ids only.
func TestBriefAccess(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		st := db.Store
		c := storetest.SeedClinic(t, st, "Brief Access")
		other := storetest.SeedClinic(t, st, "Brief Elsewhere")
		shared := true
		e := &care.JournalEntry{OccurredAt: db.Clock.Now().Add(-time.Hour), Mood: ptr(4), Text: "shared words"}
		if err := st.CreateEntry(ctx, c.Actor(c.Client), c.Client.ID, e, &shared); err != nil {
			t.Fatal(err)
		}
		lastRow := func() (string, string) {
			t.Helper()
			var action, outcome, entity, client, purpose string
			if err := db.Engine.SQLDB().QueryRow(`SELECT action, outcome, entity_id, client_id, purpose FROM audit_events
				WHERE clinic_id = $1 OR clinic_id = $2 ORDER BY id DESC LIMIT 1`, c.Clinic.ID, other.Clinic.ID).
				Scan(&action, &outcome, &entity, &client, &purpose); err != nil {
				t.Fatal(err)
			}
			if action != "brief.read" || entity != c.Client.ID || client != c.Client.ID {
				t.Errorf("audit row %s %s %s, want brief.read of the client", action, entity, client)
			}
			return outcome, purpose
		}
		for _, tc := range []struct {
			name  string
			actor care.Actor
		}{
			{"another team's provider", c.Actor(c.OtherProvider)},
			{"the client", c.Actor(c.Client)},
			{"an admin without break-glass", c.Actor(c.Admin)},
			{"another clinic's provider", other.Actor(other.Provider)},
			{"another clinic's admin", other.Actor(other.Admin)},
		} {
			b, err := st.Brief(ctx, tc.actor, c.Client.ID)
			if !errors.Is(err, care.ErrNotFound) || b != nil {
				t.Errorf("%s: brief %v, err %v; want not found", tc.name, b != nil, err)
				continue
			}
			if outcome, _ := lastRow(); outcome != string(care.OutcomeDenied) {
				t.Errorf("%s: audited as %s, want denied", tc.name, outcome)
			}
		}
		if _, err := st.Brief(ctx, c.Actor(c.Provider), "no-such-client"); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("a missing client: %v", err)
		}

		b, err := st.Brief(ctx, c.Actor(c.Provider), c.Client.ID)
		if err != nil || len(b.Entries) != 1 {
			t.Fatalf("the care team's provider: %v, %+v", err, b)
		}
		if outcome, purpose := lastRow(); outcome != string(care.OutcomeSuccess) || purpose != "" {
			t.Errorf("audited as %s %q", outcome, purpose)
		}

		if _, err := st.StartBreakGlass(ctx, c.Actor(c.Admin), c.Client.ID, "The client's provider is away and the client called in crisis."); err != nil {
			t.Fatal(err)
		}
		b, err = st.Brief(ctx, c.Actor(c.Admin), c.Client.ID)
		if err != nil || len(b.Entries) != 1 {
			t.Fatalf("an admin with a grant: %v", err)
		}
		if outcome, purpose := lastRow(); outcome != string(care.OutcomeSuccess) || purpose != care.PurposeBreakGlass {
			t.Errorf("break-glass read audited as %s %q", outcome, purpose)
		}
	})
}

// TestBriefEscalatedFlag: a flag nobody acknowledged in time, escalated to
// the clinic's on-call provider, shows in the brief as escalated, with
// when and to whom.
func TestBriefEscalatedFlag(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Brief Escalation")
		if _, err := db.Store.SendMessage(ctx, c.Actor(c.Client), c.Client.ID, &care.Message{Text: "I keep thinking about suicide."}); err != nil {
			t.Fatal(err)
		}
		at := db.Clock.Now().Add(time.Hour)
		// As the escalation job leaves it (safety.go).
		if _, err := db.Engine.SQLDB().Exec(`UPDATE safety_flags SET escalated_at = $1, escalated_to = $2 WHERE client_id = $3`,
			at.UnixMicro(), c.OtherProvider.ID, c.Client.ID); err != nil {
			t.Fatal(err)
		}
		b, err := db.Store.Brief(ctx, c.Actor(c.Provider), c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Flags) != 1 {
			t.Fatalf("%d flags, want the escalated one", len(b.Flags))
		}
		f := b.Flags[0]
		if f.Status() != "escalated" || !f.EscalatedAt.Equal(at) || f.EscalatedTo != c.OtherProvider.ID || f.EscalatedToName != "other-provider" {
			t.Errorf("flag %s, escalated at %v to %q (%q)", f.Status(), f.EscalatedAt, f.EscalatedTo, f.EscalatedToName)
		}
	})
}
