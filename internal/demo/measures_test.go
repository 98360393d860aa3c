package demo

import (
	"context"
	"testing"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestDemoMeasures: both demo clients have weekly PHQ-9 and GAD-7
// scores; Sam improves reliably into remission; Alex worsens reliably and
// this week's PHQ-9 raised the safety flag, whose notification waits in
// the job queue for the care team.
func TestDemoMeasures(t *testing.T) {
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
		ids := map[string]string{}
		var provider care.Actor
		for _, u := range users {
			ids[u.Email] = u.ID
			if u.Role == care.RoleProvider && u.Email != OnCallEmail {
				provider = care.Actor{UserID: u.ID, ClinicID: u.ClinicID, Role: u.Role}
			}
		}
		for _, c := range []struct {
			email   string
			flagged bool
			change  care.Change
		}{
			{"sam@demo.interlude.test", false, care.ReliableImprovement},
			{"alex@demo.interlude.test", true, care.ReliableDeterioration},
		} {
			id := ids[c.email]
			list, err := db.Store.Measures(ctx, provider, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(list.Schedules) != 2 || len(list.Responses) < 10 {
				t.Fatalf("%s: %d schedules, %d responses", c.email, len(list.Schedules), len(list.Responses))
			}
			var phq *care.MeasureResponse
			for i := range list.Responses {
				if list.Responses[i].Instrument == "phq9" {
					phq = &list.Responses[i] // newest first
					break
				}
			}
			if phq.SafetyFlag != c.flagged || phq.Progress.Change != c.change {
				t.Errorf("%s: latest PHQ-9 %+v", c.email, phq)
			}
		}
		var jobs int
		if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM jobs WHERE kind = $1`, store.JobSafetyNotify).Scan(&jobs); err != nil {
			t.Fatal(err)
		}
		if jobs != 1 {
			t.Errorf("%d safety notification jobs, want 1", jobs)
		}
	})
}
