package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// accessLine is an access entry as the tests compare it.
func accessLine(e store.AccessEntry) string {
	return strings.TrimSpace(fmt.Sprintf("%s %s %s %s %s", e.Action, e.StaffName, e.Role, e.Outcome, e.Purpose))
}

// TestAccessLog (AD-05): a client's access report lists what the clinic's
// staff did with the client's record, newest first, and nothing else: not
// the client's own actions, not another client's record, not another
// clinic's events.
func TestAccessLog(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		c := storetest.SeedClinic(t, db.Store, "Access Report")
		other := storetest.SeedClinic(t, db.Store, "Other Place")
		ctx := context.Background()
		client := c.Actor(c.Client)

		for range 2 {
			if _, err := db.Store.Client(ctx, c.Actor(c.Provider), c.Client.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Store.Client(ctx, c.Actor(c.OtherProvider), c.Client.ID); !errors.Is(err, care.ErrNotFound) {
			t.Fatalf("another team's provider: %v", err)
		}
		// Not in the report: the client's own reading, another client's
		// record, and an event of another clinic that names this client.
		if _, err := db.Store.Client(ctx, client, c.Client.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.Client(ctx, c.Actor(c.OtherProvider), c.OtherClient.ID); err != nil {
			t.Fatal(err)
		}
		forged := store.Event(other.Actor(other.Provider), "client.read", "client", c.Client.ID)
		forged.ClientID = c.Client.ID
		if err := db.Store.Audit(ctx, forged); err != nil {
			t.Fatal(err)
		}
		// Emergency access shows as such.
		if _, err := db.Store.StartBreakGlass(ctx, c.Actor(c.Admin), c.Client.ID, "The provider is unreachable and the client is in crisis"); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(time.Minute)
		if _, err := db.Store.Client(ctx, c.Actor(c.Admin), c.Client.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.AccessLog(ctx, client, c.Client.ID, 0, 0); err != nil {
			t.Fatal(err)
		}
		// A provider's attempt at the report is itself an access attempt.
		if _, err := db.Store.AccessLog(ctx, c.Actor(c.Provider), c.Client.ID, 0, 0); !errors.Is(err, care.ErrNotFound) {
			t.Fatalf("the provider reads the client's access report: %v", err)
		}

		page, err := db.Store.AccessLog(ctx, client, c.Client.ID, 0, 200)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range page.Entries {
			got = append(got, accessLine(e))
		}
		want := []string{
			"access-log.read provider provider denied",
			"client.read admin admin success break-glass",
			"break-glass.start admin admin success break-glass",
			"client.read other-provider provider denied",
			"client.read provider provider success",
			"client.read provider provider success",
			"care-team.add admin admin success",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("the access report:\n got %q\nwant %q", got, want)
		}
		if page.Next != 0 {
			t.Errorf("one page, yet a next cursor %d", page.Next)
		}
		for i := 1; i < len(page.Entries); i++ {
			if page.Entries[i].At.After(page.Entries[i-1].At) {
				t.Errorf("entry %d (%s) is newer than entry %d (%s)", i, page.Entries[i].At, i-1, page.Entries[i-1].At)
			}
		}
		if at := page.Entries[0].At; !at.Equal(db.Clock.Now().UTC().Truncate(time.Microsecond)) {
			t.Errorf("the newest entry is at %s, want the clock's %s", at, db.Clock.Now())
		}

		// The other client's report has their own provider's reading only.
		theirs, err := db.Store.AccessLog(ctx, c.Actor(c.OtherClient), c.OtherClient.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		got = nil
		for _, e := range theirs.Entries {
			got = append(got, accessLine(e))
		}
		if want := []string{"client.read other-provider provider success", "care-team.add admin admin success"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("the other client's report: got %q, want %q", got, want)
		}
	})
}

// TestAccessLogPaging: pages of a report, followed by their cursors, give
// every entry once, in order.
func TestAccessLogPaging(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		c := storetest.SeedClinic(t, db.Store, "Paged Report")
		ctx := context.Background()
		for range 6 {
			if _, err := db.Store.Client(ctx, c.Actor(c.Provider), c.Client.ID); err != nil {
				t.Fatal(err)
			}
			db.Clock.Advance(time.Second)
		}
		client := c.Actor(c.Client)
		all, err := db.Store.AccessLog(ctx, client, c.Client.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(all.Entries) != 7 { // 6 reads and the care team's making
			t.Fatalf("%d entries, want 7", len(all.Entries))
		}
		var paged []store.AccessEntry
		pages := 0
		for before := int64(0); ; {
			page, err := db.Store.AccessLog(ctx, client, c.Client.ID, before, 3)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(page.Entries) > 3 {
				t.Fatalf("a page of 3 has %d entries", len(page.Entries))
			}
			paged = append(paged, page.Entries...)
			if page.Next == 0 {
				break
			}
			if pages > 10 {
				t.Fatal("the cursor does not move")
			}
			before = page.Next
		}
		if pages != 3 {
			t.Errorf("%d pages of 3 for 7 entries, want 3", pages)
		}
		if fmt.Sprint(paged) != fmt.Sprint(all.Entries) {
			t.Errorf("the pages:\n got %v\nwant %v", paged, all.Entries)
		}
	})
}

// TestAccessLogRefused (AC-03): nobody but the client and their clinic's
// admins reads their report,
// and each refusal looks like a missing client and is audited once.
func TestAccessLogRefused(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		c := storetest.SeedClinic(t, db.Store, "Refused Report")
		other := storetest.SeedClinic(t, db.Store, "Refused Elsewhere")
		ctx := store.WithSource(context.Background(), store.Source{Addr: "192.0.2.9", RequestID: "req-access"})
		tests := []struct {
			name     string
			actor    care.Actor
			clientID string
		}{
			{"the client's provider", c.Actor(c.Provider), c.Client.ID},
			{"another provider", c.Actor(c.OtherProvider), c.Client.ID},
			{"another client", c.Actor(c.OtherClient), c.Client.ID},
			{"a client of another clinic", other.Actor(other.Client), c.Client.ID},
			{"an admin of another clinic", other.Actor(other.Admin), c.Client.ID},
			{"an admin, for a provider's id", c.Actor(c.Admin), c.Provider.ID},
			{"a provider, for their own id", c.Actor(c.Provider), c.Provider.ID},
			{"a client, for an id that names nobody", c.Actor(c.Client), care.NewID()},
		}
		for _, tt := range tests {
			before := len(events(t, db, tt.actor.ClinicID))
			page, err := db.Store.AccessLog(ctx, tt.actor, tt.clientID, 0, 0)
			if !errors.Is(err, care.ErrNotFound) || !store.Audited(err) {
				t.Errorf("%s: %v, want an audited not found", tt.name, err)
			}
			if len(page.Entries) != 0 {
				t.Errorf("%s: %d entries with the refusal", tt.name, len(page.Entries))
			}
			got := events(t, db, tt.actor.ClinicID)[before:]
			want := []care.AuditEvent{{Action: "access-log.read", Outcome: care.OutcomeDenied, ActorID: tt.actor.UserID,
				EntityID: tt.clientID, ClientID: tt.clientID, RequestID: "req-access", Addr: "192.0.2.9"}}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: audit rows\n got %v\nwant %v", tt.name, got, want)
			}
		}

		// The clinic's admin may read it (API.md), audited.
		if page, err := db.Store.AccessLog(ctx, c.Actor(c.Admin), c.Client.ID, 0, 0); err != nil || len(page.Entries) == 0 {
			t.Errorf("the clinic's admin: %d entries, %v", len(page.Entries), err)
		}

		// The client's own reading is audited as a success.
		before := len(events(t, db, c.Clinic.ID))
		if _, err := db.Store.AccessLog(ctx, c.Actor(c.Client), c.Client.ID, 0, 0); err != nil {
			t.Fatal(err)
		}
		got := events(t, db, c.Clinic.ID)[before:]
		want := []care.AuditEvent{{Action: "access-log.read", Outcome: care.OutcomeSuccess, ActorID: c.Client.ID,
			EntityID: c.Client.ID, ClientID: c.Client.ID, RequestID: "req-access", Addr: "192.0.2.9"}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("the client's reading: audit rows\n got %v\nwant %v", got, want)
		}
	})
}
