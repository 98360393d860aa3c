package store_test

import (
	"context"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestTrackerOverview (issue #19): the pages' one read of a client's
// trackers. The client sees every entry and counts them all; the care
// team sees and counts the shared ones only, never a private one; a
// provider off the care team and another clinic's staff see nothing; a
// removed tracker leaves the list but its entries stay. SeedTrackerLibrary
// adds the library once and may run again.
func TestTrackerOverview(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Tracker Overview")
		other := storetest.SeedClinic(t, db.Store, "Tracker Overview Elsewhere")
		n, err := db.Store.SeedTrackerLibrary(ctx, c.Clinic.ID)
		if err != nil || n != len(care.TrackerLibrary()) {
			t.Fatalf("seeding: %d, %v", n, err)
		}
		if n, err := db.Store.SeedTrackerLibrary(ctx, c.Clinic.ID); err != nil || n != 0 {
			t.Fatalf("seeding again: %d, %v; want none added", n, err)
		}
		tmpls, err := db.Store.TrackerTemplates(ctx, c.Actor(c.Provider), false)
		if err != nil || len(tmpls) != len(care.TrackerLibrary()) {
			t.Fatalf("the library: %d, %v", len(tmpls), err)
		}
		if theirs, err := db.Store.TrackerTemplates(ctx, other.Actor(other.Provider), false); err != nil || len(theirs) != 0 {
			t.Fatalf("another clinic's library: %d, %v; want empty", len(theirs), err)
		}
		var sleepID string
		for _, tm := range tmpls {
			if tm.Key == care.TrackerKeySleepDiary {
				sleepID = tm.ID
			}
			if tm.CreatedBy != "" {
				t.Errorf("a seeded template written by %q, want nobody", tm.CreatedBy)
			}
		}
		tr := &care.Tracker{TemplateID: sleepID}
		if err := db.Store.AssignTracker(ctx, c.Actor(c.Provider), c.Client.ID, tr); err != nil {
			t.Fatal(err)
		}
		write := func(ago time.Duration, quality int, shared bool) {
			t.Helper()
			_, err := db.Store.CreateTrackerEntry(ctx, c.Actor(c.Client), c.Client.ID, tr.ID, store.TrackerEntryInput{
				OccurredAt: db.Clock.Now().Add(-ago), Shared: &shared,
				Typed: map[string]care.TrackerValue{"into_bed": {Kind: care.FieldTime, Number: 23 * 60},
					"out_of_bed": {Kind: care.FieldTime, Number: 7 * 60}, "quality": {Kind: care.FieldRating, Number: quality}}})
			if err != nil {
				t.Fatal(err)
			}
		}
		write(time.Minute, 4, true)
		write(2*time.Minute, 1, false)
		since := db.Clock.Now().Add(-24 * time.Hour)

		mine, err := db.Store.TrackerOverview(ctx, c.Actor(c.Client), c.Client.ID, since)
		if err != nil {
			t.Fatal(err)
		}
		if len(mine.Trackers) != 1 || len(mine.Entries.Entries) != 2 || mine.Adherence[tr.ID].Entries != 2 {
			t.Errorf("the client's overview: %d trackers, %d entries, %+v", len(mine.Trackers), len(mine.Entries.Entries), mine.Adherence[tr.ID])
		}
		team, err := db.Store.TrackerOverview(ctx, c.Actor(c.Provider), c.Client.ID, since)
		if err != nil {
			t.Fatal(err)
		}
		if len(team.Entries.Entries) != 1 || !team.Entries.Entries[0].Shared || team.Adherence[tr.ID].Entries != 1 {
			t.Errorf("the care team's overview: %d entries, %+v; want the shared one only, counted once", len(team.Entries.Entries), team.Adherence[tr.ID])
		}
		if a := team.Adherence[tr.ID]; a.DoneDays > a.DueDays || a.DoneDays > a.Entries {
			t.Errorf("adherence %+v", a)
		}
		for _, who := range []care.Actor{c.Actor(c.OtherProvider), other.Actor(other.Provider)} {
			if _, err := db.Store.TrackerOverview(ctx, who, c.Client.ID, since); care.ErrorCode(err) != care.NotFound {
				t.Errorf("%s outside the care team: %v, want not found", who.UserID, err)
			}
		}

		if err := db.Store.RemoveTracker(ctx, c.Actor(c.Provider), c.Client.ID, tr.ID); err != nil {
			t.Fatal(err)
		}
		after, err := db.Store.TrackerOverview(ctx, c.Actor(c.Client), c.Client.ID, since)
		if err != nil {
			t.Fatal(err)
		}
		if len(after.Trackers) != 0 || len(after.Entries.Entries) != 2 {
			t.Errorf("after removing: %d trackers, %d entries; want none listed, the entries kept", len(after.Trackers), len(after.Entries.Entries))
		}
	})
}
