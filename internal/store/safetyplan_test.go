package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// safetyCanary is a safety plan item that must never be stored in the clear.
const safetyCanary = "Call my sister canary-5e1d"

func sampleSafetyPlan() care.SafetyPlan {
	return care.SafetyPlan{
		WarningSigns: []string{"  Not sleeping  ", ""},
		Coping:       []string{"Walk the dog"},
		Help:         []string{safetyCanary},
		Reasons:      []string{"My kids"},
	}
}

// TestSafetyPlanSaveAndRead: the client writes their plan and the care
// team changes it; each save is a version; items are trimmed, blanks
// dropped, texts sealed; reads and writes are audited.
func TestSafetyPlanSaveAndRead(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Safety Plan Clinic")
		client, provider := c.Actor(c.Client), c.Actor(c.Provider)

		empty, err := db.Store.SafetyPlan(ctx, client, c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if empty.Version != 0 || !empty.Empty() || empty.Coping == nil {
			t.Fatalf("a new client's safety plan: %+v", empty)
		}

		in := sampleSafetyPlan()
		v1, err := db.Store.SaveSafetyPlan(ctx, client, c.Client.ID, in, 0)
		if err != nil {
			t.Fatal(err)
		}
		if in.WarningSigns[0] != "  Not sleeping  " || len(in.WarningSigns) != 2 {
			t.Errorf("SaveSafetyPlan changed the caller's plan: %+v", in)
		}
		if v1.Version != 1 || v1.UpdatedBy != c.Client.ID || len(v1.WarningSigns) != 1 || v1.WarningSigns[0] != "Not sleeping" {
			t.Fatalf("version 1: %+v", v1)
		}
		if e := lastEvent(t, db, c.Clinic.ID); e.action != "safety-plan.write" || e.outcome != "success" || e.actor != c.Client.ID {
			t.Errorf("the client's save: audit %+v", e)
		}

		db.Clock.Advance(3600e9)
		change := *v1
		change.Distraction = []string{"The library"}
		v2, err := db.Store.SaveSafetyPlan(ctx, provider, c.Client.ID, change, 1)
		if err != nil {
			t.Fatal(err)
		}
		if v2.Version != 2 || v2.UpdatedBy != c.Provider.ID {
			t.Fatalf("version 2: %+v", v2)
		}
		for _, who := range []care.Actor{client, provider} {
			got, err := db.Store.SafetyPlan(ctx, who, c.Client.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != 2 || strings.Join(got.Distraction, "|") != "The library" || strings.Join(got.Help, "|") != safetyCanary || !got.UpdatedAt.Equal(v2.UpdatedAt) {
				t.Errorf("%s reads %+v", who.Role, got)
			}
			if e := lastEvent(t, db, c.Clinic.ID); e.action != "safety-plan.read" || e.outcome != "success" || e.actor != who.UserID {
				t.Errorf("%s reads: audit %+v", who.Role, e)
			}
		}

		// A save from version 1 after version 2 is a conflict, and keeps nothing.
		_, err = db.Store.SaveSafetyPlan(ctx, client, c.Client.ID, sampleSafetyPlan(), 1)
		wantCode(t, "a stale save", err, care.Conflict)

		versions, err := db.Store.SafetyPlanVersions(ctx, client, c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(versions) != 2 || versions[0].Version != 2 || versions[0].ChangedBy != c.Provider.ID || versions[1].ChangedBy != c.Client.ID ||
			versions[1].ChangedByName == "" || !versions[0].ChangedAt.After(versions[1].ChangedAt) {
			t.Errorf("versions: %+v", versions)
		}

		// Too many items, too long an item, control characters: refused by field.
		long := care.SafetyPlan{Reasons: []string{strings.Repeat("x", care.MaxSafetyPlanItem+1)}}
		_, err = db.Store.SaveSafetyPlan(ctx, client, c.Client.ID, long, 2)
		wantField(t, "a long item", err, "reasons[0]")
		many := care.SafetyPlan{Coping: make([]string, care.MaxSafetyPlanItems+1)}
		for i := range many.Coping {
			many.Coping[i] = "item"
		}
		_, err = db.Store.SaveSafetyPlan(ctx, client, c.Client.ID, many, 2)
		wantField(t, "too many items", err, "coping")
		_, err = db.Store.SaveSafetyPlan(ctx, client, c.Client.ID, care.SafetyPlan{Help: []string{"a\x00b"}}, 2)
		wantField(t, "a control character", err, "help[0]")

		if n := countRows(t, db, "safety_plan_versions"); n != 2 {
			t.Errorf("%d versions, want 2", n)
		}
		for _, s := range []string{"canary-5e1d", "Walk the dog", "The library"} {
			if tableHolds(t, db, "safety_plan_versions", s) {
				t.Errorf("safety_plan_versions holds %q in the clear", s)
			}
		}
	})
}

// TestSafetyPlanAccess: only the client, their care team and an admin
// with a grant see the plan; the admin changes nothing; anyone else finds
// nothing, exactly as for a client that does not exist.
func TestSafetyPlanAccess(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Safety Access Clinic")
		b := storetest.SeedClinic(t, db.Store, "Elsewhere")
		if _, err := db.Store.SaveSafetyPlan(ctx, c.Actor(c.Client), c.Client.ID, sampleSafetyPlan(), 0); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name     string
			actor    care.Actor
			clientID string
		}{
			{"another team's provider", c.Actor(c.OtherProvider), c.Client.ID},
			{"another client", c.Actor(c.OtherClient), c.Client.ID},
			{"the admin without a grant", c.Actor(c.Admin), c.Client.ID},
			{"another clinic's provider", b.Actor(b.Provider), c.Client.ID},
			{"a provider, a client that does not exist", c.Actor(c.Provider), care.NewID()},
			{"a provider, a malformed id", c.Actor(c.Provider), "../x"},
		} {
			_, err := db.Store.SafetyPlan(ctx, tt.actor, tt.clientID)
			if !errors.Is(err, care.ErrNotFound) || !store.Audited(err) {
				t.Errorf("%s reads: %v", tt.name, err)
			}
			if e := lastEvent(t, db, tt.actor.ClinicID); e.action != "safety-plan.read" || e.outcome != "denied" || e.actor != tt.actor.UserID {
				t.Errorf("%s reads: audit %+v", tt.name, e)
			}
			_, err = db.Store.SaveSafetyPlan(ctx, tt.actor, tt.clientID, sampleSafetyPlan(), store.AnyVersion)
			if !errors.Is(err, care.ErrNotFound) {
				t.Errorf("%s saves: %v", tt.name, err)
			}
			if e := lastEvent(t, db, tt.actor.ClinicID); e.action != "safety-plan.write" || e.outcome != "denied" {
				t.Errorf("%s saves: audit %+v", tt.name, e)
			}
			_, err = db.Store.SafetyPlanVersions(ctx, tt.actor, tt.clientID)
			if !errors.Is(err, care.ErrNotFound) {
				t.Errorf("%s reads the history: %v", tt.name, err)
			}
		}
		if n := countRows(t, db, "safety_plan_versions"); n != 1 {
			t.Errorf("%d versions after refused saves, want 1", n)
		}

		// The care team reads and writes.
		if _, err := db.Store.SaveSafetyPlan(ctx, c.Actor(c.Provider), c.Client.ID, sampleSafetyPlan(), 1); err != nil {
			t.Fatalf("the care team saves: %v", err)
		}

		// An admin with a break-glass grant reads, audited as such, and
		// changes nothing.
		g, err := db.Store.StartBreakGlass(ctx, c.Actor(c.Admin), c.Client.ID, "Provider unreachable, urgent safety review")
		if err != nil {
			t.Fatal(err)
		}
		if p, err := db.Store.SafetyPlan(ctx, c.Actor(c.Admin), c.Client.ID); err != nil || p.Version != 2 {
			t.Fatalf("the admin with a grant: %v %+v", err, p)
		}
		if e := lastEvent(t, db, c.Clinic.ID); e.action != "safety-plan.read" || e.outcome != "success" || e.purpose != care.PurposeBreakGlass || e.reason != care.GrantAuditReason(g.ID) {
			t.Errorf("the admin's read: audit %+v", e)
		}
		_, err = db.Store.SaveSafetyPlan(ctx, c.Actor(c.Admin), c.Client.ID, sampleSafetyPlan(), store.AnyVersion)
		wantCode(t, "the admin with a grant saves", err, care.Forbidden)
	})
}

// TestBriefSafetyPlan: the brief says which version of the safety plan
// is current and whether it changed in its window.
func TestBriefSafetyPlan(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Brief Safety Plan")
		provider := c.Actor(c.Provider)
		b, err := db.Store.Brief(ctx, provider, c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b.SafetyPlan.Version != 0 || b.SafetyPlan.Changed {
			t.Errorf("no plan: %+v", b.SafetyPlan)
		}
		if _, err := db.Store.SaveSafetyPlan(ctx, c.Actor(c.Client), c.Client.ID, sampleSafetyPlan(), 0); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(time.Hour)
		if b, err = db.Store.Brief(ctx, provider, c.Client.ID); err != nil {
			t.Fatal(err)
		}
		if sp := b.SafetyPlan; sp.Version != 1 || !sp.Changed || sp.Empty || sp.UpdatedBy != c.Client.ID || sp.UpdatedByName == "" {
			t.Errorf("a plan saved in the window: %+v", sp)
		}
		// Once the save is older than the window, it is unchanged.
		db.Clock.Advance(care.BriefDefaultWindow)
		if b, err = db.Store.Brief(ctx, provider, c.Client.ID); err != nil {
			t.Fatal(err)
		}
		if sp := b.SafetyPlan; sp.Version != 1 || sp.Changed {
			t.Errorf("a plan saved before the window: %+v", sp)
		}
	})
}
