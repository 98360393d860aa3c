package store_test

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// TestClinicResources (issue #16): an admin replaces the clinic's list of
// crisis resources in one step; every member of the clinic reads it, in
// order, with the legacy line in the same read; an invalid list or a
// non-admin changes nothing; another clinic sees none of it; the change
// is audited by the clinic's id only.
func TestClinicResources(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Resources")
		other := storetest.SeedClinic(t, db.Store, "Other")
		admin := c.Actor(c.Admin)
		list := []care.ClinicResource{
			{Name: "Clinic on call", Phone: "+15550100199", Hours: "weekdays 8–20", Language: "en"},
			{Name: "Línea de la clínica", SMS: "55501", SMSKeyword: "AYUDA", ChatURL: "https://example.org/chat", AlwaysOpen: true, Language: "es"},
		}
		if err := db.Store.SetClinicResources(ctx, admin, list); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.SetCrisisLine(ctx, admin, "Call (555) 010-0188"); err != nil {
			t.Fatal(err)
		}
		for _, who := range []care.Actor{admin, c.Actor(c.Provider), c.Actor(c.Client)} {
			got, err := db.Store.ClinicResources(ctx, who)
			if err != nil || !reflect.DeepEqual(got, list) {
				t.Errorf("%s reads %+v, %v; want %+v", who.Role, got, err, list)
			}
		}
		line, got, err := db.Store.CrisisResourcesOf(ctx, c.Actor(c.Client))
		if err != nil || line != "Call (555) 010-0188" || !reflect.DeepEqual(got, list) {
			t.Errorf("CrisisResourcesOf = %q %+v %v", line, got, err)
		}
		if got, err := db.Store.ClinicResources(ctx, other.Actor(other.Client)); err != nil || len(got) != 0 {
			t.Errorf("another clinic reads %+v, %v", got, err)
		}

		bad := []care.ClinicResource{list[1], {Name: "Bad", Phone: "555-0100", Hours: "always", Language: "en"}}
		if err := db.Store.SetClinicResources(ctx, admin, bad); care.ErrorCode(err) != care.Invalid {
			t.Errorf("a bad phone: %v, want invalid", err)
		}
		if err := db.Store.SetClinicResources(ctx, c.Actor(c.Provider), list[:1]); care.ErrorCode(err) != care.Forbidden {
			t.Errorf("a provider: %v, want forbidden", err)
		}
		if got, _ := db.Store.ClinicResources(ctx, admin); !reflect.DeepEqual(got, list) {
			t.Errorf("after refused changes: %+v", got)
		}

		// Replaced, reordered, then emptied.
		if err := db.Store.SetClinicResources(ctx, admin, []care.ClinicResource{list[1], list[0]}); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Store.ClinicResources(ctx, admin); len(got) != 2 || got[0].Name != list[1].Name {
			t.Errorf("reordered: %+v", got)
		}
		if err := db.Store.SetClinicResources(ctx, admin, nil); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Store.ClinicResources(ctx, admin); len(got) != 0 {
			t.Errorf("emptied: %+v", got)
		}

		// Admins adding at once: each add is kept.
		var wg sync.WaitGroup
		errs := make(chan error, 5)
		for range 5 {
			wg.Go(func() {
				errs <- db.Store.UpdateClinicResources(ctx, admin, func(rs []care.ClinicResource) ([]care.ClinicResource, error) {
					return append(rs, list[0]), nil
				})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if got, _ := db.Store.ClinicResources(ctx, admin); len(got) != 5 {
			t.Errorf("after 5 concurrent adds: %d resources", len(got))
		}

		var ok, denied int
		for _, ev := range events(t, db, c.Clinic.ID) {
			if ev.Action != "clinic.resources.update" {
				continue
			}
			if ev.EntityID != c.Clinic.ID || ev.ClientID != "" {
				t.Errorf("audit row names more than the clinic: %+v", ev)
			}
			switch ev.Outcome {
			case care.OutcomeSuccess:
				ok++
			case care.OutcomeDenied:
				denied++
			}
		}
		if ok != 8 || denied != 1 {
			t.Errorf("audit: %d updates, %d denied; want 8, 1", ok, denied)
		}
	})
}
