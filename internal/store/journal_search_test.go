package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestEntriesSearch: a client finds their entries by words (any case,
// any accents), mood range, goal, sharing, period and tag; tags are
// normalized and kept; the care team's search sees shared entries only;
// paging keeps the filter.
func TestEntriesSearch(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Search")
		client := c.Actor(c.Client)
		goal := addGoal(t, db, c.Client)
		now := db.Clock.Now()
		mk := func(hoursAgo int, mood int, text string, shared bool, tags ...string) *care.JournalEntry {
			e := &care.JournalEntry{OccurredAt: now.Add(-time.Duration(hoursAgo) * time.Hour), Mood: ptr(mood), Text: text, Tags: tags}
			return mustCreate(t, db, c.Client, e, &shared)
		}
		cafe := mk(1, 7, "Coffee at the Café with Sam", true, " Work ", "#Family", "work")
		walk := mk(30, 3, "A long walk, thinking about WORK", false, "outdoors")
		goalEntry := &care.JournalEntry{OccurredAt: now.Add(-50 * time.Hour), Mood: ptr(5), Text: "Practised breathing", GoalID: goal}
		mustCreate(t, db, c.Client, goalEntry, ptr(true))
		gone := mk(2, 7, "cafe again", true)
		if err := db.Store.DeleteEntry(ctx, client, c.Client.ID, gone.ID); err != nil {
			t.Fatal(err)
		}
		if want := []string{"work", "family"}; !slices.Equal(cafe.Tags, want) {
			t.Errorf("tags = %q, want %q", cafe.Tags, want)
		}
		got, err := db.Store.Entry(ctx, client, c.Client.ID, cafe.ID)
		if err != nil || !slices.Equal(got.Tags, cafe.Tags) {
			t.Errorf("read back tags = %q (%v), want %q", got.Tags, err, cafe.Tags)
		}

		ids := func(a care.Actor, f care.EntryFilter) []string {
			t.Helper()
			if err := f.Validate(); err != nil {
				t.Fatalf("validate %+v: %v", f, err)
			}
			page, err := db.Store.Entries(ctx, a, c.Client.ID, store.EntryQuery{Deleted: true, Filter: f})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range page.Entries {
				out = append(out, e.ID)
			}
			return out
		}
		for _, tc := range []struct {
			name string
			f    care.EntryFilter
			want []string
		}{
			{"word, accent and case", care.EntryFilter{Words: "CAFE"}, []string{cafe.ID}},
			{"two words, both needed", care.EntryFilter{Words: "work walk"}, []string{walk.ID}},
			{"word in a tag", care.EntryFilter{Words: "family"}, []string{cafe.ID}},
			{"no match", care.EntryFilter{Words: "zebra"}, nil},
			{"mood range", care.EntryFilter{MoodMin: ptr(4), MoodMax: ptr(6)}, []string{goalEntry.ID}},
			{"goal", care.EntryFilter{GoalID: goal}, []string{goalEntry.ID}},
			{"private", care.EntryFilter{Shared: ptr(false)}, []string{walk.ID}},
			{"period", care.EntryFilter{From: now.Add(-40 * time.Hour), To: now.Add(-10 * time.Hour)}, []string{walk.ID}},
			{"tag", care.EntryFilter{Tag: "WORK"}, []string{cafe.ID}},
			{"tag and word", care.EntryFilter{Tag: "outdoors", Words: "work"}, []string{walk.ID}},
		} {
			if got := ids(client, tc.f); !slices.Equal(got, tc.want) {
				t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
			}
		}
		// The care team searches only what is shared.
		if got, want := ids(c.Actor(c.Provider), care.EntryFilter{Words: "work"}), []string{cafe.ID}; !slices.Equal(got, want) {
			t.Errorf("provider search: got %q, want %q", got, want)
		}

		// Paging a search: one match per page, and More only when another matches.
		q := store.EntryQuery{Limit: 1, Filter: care.EntryFilter{MoodMin: ptr(5)}}
		page, err := db.Store.Entries(ctx, client, c.Client.ID, q)
		if err != nil || len(page.Entries) != 1 || page.Entries[0].ID != cafe.ID || !page.More {
			t.Fatalf("first page = %+v, %v", page, err)
		}
		q.Before, q.BeforeID = page.Entries[0].OccurredAt, page.Entries[0].ID
		page, err = db.Store.Entries(ctx, client, c.Client.ID, q)
		if err != nil || len(page.Entries) != 1 || page.Entries[0].ID != goalEntry.ID || page.More {
			t.Fatalf("second page = %+v, %v", page, err)
		}
	})
}

// TestEntryTagsInvalid: too many or too long tags are refused by name,
// and nothing is written.
func TestEntryTagsInvalid(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		c := storetest.SeedClinic(t, db.Store, "Tags")
		many := make([]string, care.MaxTags+1)
		for i := range many {
			many[i] = string(rune('a' + i))
		}
		for _, tags := range [][]string{many, {"this tag is far too long to be a tag at all"}, {"semi;colon"}} {
			e := newEntry(db, "x")
			e.Tags = tags
			err := db.Store.CreateEntry(context.Background(), c.Actor(c.Client), c.Client.ID, e, nil)
			if care.ErrorCode(err) != care.Invalid {
				t.Errorf("tags %q: err = %v, want Invalid", tags, err)
			}
		}
		if n := rowCount(t, db, "journal_entries"); n != 0 {
			t.Errorf("%d entries written", n)
		}
	})
}
