package demo

import (
	"context"
	"testing"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// TestDemoCare: each demo client has a plan with a history and a comment,
// weekly sessions with a last held and a next scheduled one, and tasks of
// every kind with past completions; their provider sees it all.
func TestDemoCare(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		if _, err := Seed(ctx, db.Store, auth.TestParams()); err != nil {
			t.Fatal(err)
		}
		var admin care.Actor
		if err := db.Engine.SQLDB().QueryRow(`SELECT id, clinic_id FROM users WHERE role = 'admin'`).Scan(&admin.UserID, &admin.ClinicID); err != nil {
			t.Fatal(err)
		}
		admin.Role = care.RoleAdmin
		users, err := db.Store.Users(ctx, admin)
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
			plan, err := db.Store.Plan(ctx, provider, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Version != 2 || len(plan.Goals) < 2 || len(plan.Goals[0].Comments) != 1 || len(plan.Goals[0].Objectives) == 0 {
				t.Errorf("%s's plan: version %d, %d goals", u.DisplayName, plan.Version, len(plan.Goals))
			}
			last, next, err := db.Store.SessionSummary(ctx, provider, u.ID)
			if err != nil || last == nil || next == nil || !next.StartsAt.After(last.StartsAt) {
				t.Errorf("%s's sessions: last %v next %v %v", u.DisplayName, last, next, err)
			}
			list, err := db.Store.Tasks(ctx, provider, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			done, recurring := 0, 0
			for _, task := range list.Tasks {
				if task.Recurring() {
					recurring++
				}
				for _, o := range task.Occurrences {
					if o.Done {
						done++
					}
				}
			}
			if len(list.Tasks) != 3 || recurring != 2 || done < 4 {
				t.Errorf("%s's tasks: %d tasks, %d recurring, %d occurrences done", u.DisplayName, len(list.Tasks), recurring, done)
			}
		}
		if clients != 2 {
			t.Errorf("%d demo clients", clients)
		}
	})
}
