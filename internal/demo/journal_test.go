package demo

import (
	"context"
	"testing"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestDemoJournal: each demo client gets about six weeks of varied
// entries: shared and private, moods that vary, some with symptoms, some
// flagged for the next session; the provider sees the shared ones only.
func TestDemoJournal(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		if _, err := Seed(ctx, db.Store, auth.TestParams()); err != nil {
			t.Fatal(err)
		}
		users, err := db.Store.Users(ctx, adminOf(t, db))
		if err != nil {
			t.Fatal(err)
		}
		var provider care.Actor
		for _, u := range users {
			if u.Role == care.RoleProvider && u.Email != OnCallEmail {
				provider = care.Actor{UserID: u.ID, ClinicID: u.ClinicID, Role: u.Role}
			}
		}
		clients := 0
		for _, u := range users {
			if u.Role != care.RoleClient || caseloadOnly(u.Email) {
				continue // the caseload-only clients are TestDemoCaseload's
			}
			clients++
			actor := care.Actor{UserID: u.ID, ClinicID: u.ClinicID, Role: u.Role}
			page, err := db.Store.Entries(ctx, actor, u.ID, store.EntryQuery{Limit: care.MaxEntryPageLimit})
			if err != nil {
				t.Fatal(err)
			}
			entries := page.Entries
			if len(entries) < 30 || len(entries) > 90 {
				t.Errorf("%s has %d entries, want about six weeks' worth", u.DisplayName, len(entries))
			}
			shared, moods, symptoms, discuss := 0, map[int]bool{}, 0, 0
			for _, e := range entries {
				if e.Shared {
					shared++
				}
				moods[*e.Mood] = true
				if !e.Symptoms.Empty() {
					symptoms++
				}
				if e.Discuss {
					discuss++
				}
			}
			if shared == 0 || shared == len(entries) || len(moods) < 4 || symptoms == 0 || discuss == 0 {
				t.Errorf("%s's entries are not varied: %d shared of %d, %d moods, %d with symptoms, %d to discuss",
					u.DisplayName, shared, len(entries), len(moods), symptoms, discuss)
			}
			oldest := entries[len(entries)-1].OccurredAt
			if age := time.Since(oldest); age < 35*24*time.Hour || age > 44*24*time.Hour {
				t.Errorf("%s's journal starts %v ago", u.DisplayName, age)
			}
			seen, err := db.Store.Entries(ctx, provider, u.ID, store.EntryQuery{Limit: care.MaxEntryPageLimit})
			if err != nil {
				t.Fatal(err)
			}
			if len(seen.Entries) != shared {
				t.Errorf("the provider sees %d of %s's entries, want the %d shared", len(seen.Entries), u.DisplayName, shared)
			}
		}
		if clients < 2 {
			t.Errorf("%d demo clients", clients)
		}
	})
}

func adminOf(t *testing.T, db *storetest.DB) care.Actor {
	t.Helper()
	var a care.Actor
	if err := db.Engine.SQLDB().QueryRow(`SELECT id, clinic_id FROM users WHERE role = 'admin'`).Scan(&a.UserID, &a.ClinicID); err != nil {
		t.Fatal(err)
	}
	a.Role = care.RoleAdmin
	return a
}
