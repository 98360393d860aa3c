package demo

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// TestDemoCaseload: the demo provider's caseload shows every reason of
// issue #7's order, one client each, in that order: Alex's open safety
// flag (a PHQ-9 with item 9 above 0), Jordan's reliable deterioration,
// Riley's falling mood, Jamie's unread messages, Morgan's missed
// check-ins, Casey's overdue PHQ-9, then Sam's and Taylor's sessions.
func TestDemoCaseload(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		if _, err := Seed(ctx, db.Store, auth.TestParams()); err != nil {
			t.Fatal(err)
		}
		var provider care.Actor
		if err := db.Engine.SQLDB().QueryRow(`SELECT id, clinic_id FROM users WHERE role = 'provider' AND email <> $1`, OnCallEmail).Scan(&provider.UserID, &provider.ClinicID); err != nil {
			t.Fatal(err)
		}
		provider.Role = care.RoleProvider
		list, err := db.Store.Caseload(ctx, provider)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		first := map[string]string{} // first reason code of each
		for _, c := range list {
			name := strings.Fields(c.DisplayName)[0]
			names = append(names, name)
			if r := c.Need.Reasons(time.Now()); len(r) > 0 {
				first[name] = r[0].Code
			}
		}
		if want := []string{"Alex", "Jordan", "Riley", "Jamie", "Morgan", "Casey", "Sam", "Taylor"}; !slices.Equal(names, want) {
			t.Fatalf("order %q, want %q", names, want)
		}
		for name, code := range map[string]string{"Alex": "safety_flag", "Jordan": "deterioration", "Riley": "mood_fall",
			"Jamie": "unread_messages", "Morgan": "missed_check_ins", "Casey": "overdue_measure"} {
			if first[name] != code {
				t.Errorf("%s's first reason %q, want %q", name, first[name], code)
			}
		}
		if n := list[4].Need.MissedCheckIns; n != 3 {
			t.Errorf("Morgan missed %d check-ins, want 3", n)
		}
		for _, i := range []int{6, 7} {
			if n := list[i].Need; n.NextSession == nil || len(n.Reasons(time.Now())) != 0 {
				t.Errorf("%s: %+v", names[i], n)
			}
		}
	})
}
