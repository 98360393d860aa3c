package store_test

import (
	"context"
	"errors"
	"testing"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

func hasEntry(r *care.Record, id string) bool {
	for _, e := range r.Entries {
		if e.ID == id {
			return true
		}
	}
	return false
}

// TestClientRecord (AC-01, AC-02, AC-03, AD-01, issue #8): the whole
// record is read under the usual rules in one audited read: the client
// gets everything, their private entries and their access log too; a
// provider of the care team the shared part and no access log; an admin
// only through break-glass; anyone else care.ErrNotFound, audited as
// denied.
func TestClientRecord(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		c := storetest.SeedClinic(t, db.Store, "Whole Record")
		ctx := context.Background()
		seeded := storetest.SeedRecord(t, db, c)
		goalID, private := seeded.GoalID, seeded.Private

		before := len(events(t, db, c.Clinic.ID))
		prov, err := db.Store.ClientRecord(ctx, c.Actor(c.Provider), c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		evs := events(t, db, c.Clinic.ID)[before:]
		if len(evs) != 1 || evs[0].Action != "record.read_all" || evs[0].EntityID != c.Client.ID ||
			evs[0].ClientID != c.Client.ID || evs[0].Outcome != care.OutcomeSuccess {
			t.Fatalf("audit rows of one read: %+v, want one record.read_all of the client", evs)
		}
		if len(prov.Entries) != 1 || hasEntry(prov, private.ID) {
			t.Errorf("the provider's record holds %d entries (private in it: %v), want the shared one only",
				len(prov.Entries), hasEntry(prov, private.ID))
		}
		if len(prov.AccessLog) != 0 || prov.Self {
			t.Errorf("the provider's record holds an access log of %d events", len(prov.AccessLog))
		}
		if prov.Client.DisplayName != "client" || prov.Clinic.Name != "Whole Record" {
			t.Errorf("client %q of clinic %q", prov.Client.DisplayName, prov.Clinic.Name)
		}
		if len(prov.CareTeam) != 1 || prov.CareTeam[0].ID != c.Provider.ID || prov.CareTeam[0].Email != "" {
			t.Errorf("care team %+v, want the provider, without email", prov.CareTeam)
		}
		if prov.Plan == nil || len(prov.Plan.Goals) != 1 || prov.Plan.Goals[0].ID != goalID {
			t.Errorf("plan %+v", prov.Plan)
		}
		if len(prov.Tasks) != 1 || len(prov.Tasks[0].Occurrences) != 1 || prov.Tasks[0].Occurrences[0].Note != "did it" {
			t.Errorf("tasks %+v, want one with its completion", prov.Tasks)
		}
		if len(prov.Appointments) != 1 || len(prov.Measures) != 2 || len(prov.Responses) != 2 ||
			len(prov.Messages) != 2 || len(prov.Flags) != 1 {
			t.Errorf("%d sessions, %d measures, %d responses, %d messages, %d flags; want 1, 2, 2, 2, 1",
				len(prov.Appointments), len(prov.Measures), len(prov.Responses), len(prov.Messages), len(prov.Flags))
		}
		if len(prov.Messages) == 2 && prov.Messages[0].Text != "hello" {
			t.Errorf("first message %q, want the oldest first", prov.Messages[0].Text)
		}

		own, err := db.Store.ClientRecord(ctx, c.Actor(c.Client), c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(own.Entries) != 2 || !hasEntry(own, private.ID) || !own.Self {
			t.Errorf("the client's own record holds %d entries, want both, the private one too", len(own.Entries))
		}
		if len(own.AccessLog) == 0 {
			t.Error("the client's own record has no access log, though their provider read it")
		}
		for _, e := range own.AccessLog {
			if e.ActorID == c.Client.ID || e.Role == care.RoleClient {
				t.Errorf("the access log holds the client's own %s", e.Action)
			}
		}
		if own.Person(c.Provider.ID) == nil {
			t.Error("the provider is not a person of the record")
		}

		for _, who := range []care.User{c.OtherProvider, c.Admin, c.OtherClient} {
			before := len(events(t, db, c.Clinic.ID))
			if _, err := db.Store.ClientRecord(ctx, c.Actor(who), c.Client.ID); !errors.Is(err, care.ErrNotFound) {
				t.Errorf("%s reads the record: %v, want not found", who.Role, err)
			}
			evs := events(t, db, c.Clinic.ID)[before:]
			if len(evs) != 1 || evs[0].Outcome != care.OutcomeDenied {
				t.Errorf("%s's refusal audited as %+v, want one denied row", who.Role, evs)
			}
		}
		if _, err := db.Store.ClientRecord(ctx, c.Actor(c.Provider), "no-such-client"); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("an unknown client: %v", err)
		}

		if _, err := db.Store.StartBreakGlass(ctx, c.Actor(c.Admin), c.Client.ID, "The provider is unreachable and the client is in crisis"); err != nil {
			t.Fatal(err)
		}
		glass, err := db.Store.ClientRecord(ctx, c.Actor(c.Admin), c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(glass.Entries) != 1 || hasEntry(glass, private.ID) || len(glass.AccessLog) != 0 {
			t.Errorf("break-glass record: %d entries, %d access events; want the shared entry, no log",
				len(glass.Entries), len(glass.AccessLog))
		}
	})
}
