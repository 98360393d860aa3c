package demo

import (
	"context"
	"testing"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// TestDemoBrief: the demo provider's brief of Sam is worth opening: it
// starts at a held session in the past and holds shared entries since,
// an item to bring up and this week's GAD-7 with change markers.
func TestDemoBrief(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		if _, err := Seed(ctx, db.Store, auth.TestParams()); err != nil {
			t.Fatal(err)
		}
		var provider care.Actor
		var sam string
		if err := db.Engine.SQLDB().QueryRow(`SELECT id, clinic_id FROM users WHERE role = 'provider' AND email <> $1`, OnCallEmail).Scan(&provider.UserID, &provider.ClinicID); err != nil {
			t.Fatal(err)
		}
		provider.Role = care.RoleProvider
		users, err := db.Store.Users(ctx, adminOf(t, db))
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			if u.Email == "sam@demo.interlude.test" {
				sam = u.ID
			}
		}
		b, err := db.Store.Brief(ctx, provider, sam)
		if err != nil {
			t.Fatal(err)
		}
		if b.LastSession == nil || len(b.Entries) == 0 {
			t.Errorf("the brief starts at %+v and holds %d entries", b.LastSession, len(b.Entries))
		}
		if len(b.Measures) != 2 {
			t.Fatalf("%d instruments, want the PHQ-9 and the GAD-7", len(b.Measures))
		}
		if n := len(b.Measures[0].InWindow); n != 0 {
			t.Errorf("%d PHQ-9 responses in the period, want none: it stays due", n)
		}
		gad := b.Measures[1]
		if p := gad.Latest().Progress; len(gad.InWindow) != 1 || !p.Response || !p.Remission || p.Change != care.ReliableImprovement {
			t.Errorf("Sam's GAD-7: %d this period, %+v; want this week's, a reliable improvement, response and remission", len(gad.InWindow), p)
		}
		if len(b.Discuss) == 0 {
			t.Errorf("nothing to bring up")
		}
	})
}
