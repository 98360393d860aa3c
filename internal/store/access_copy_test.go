package store_test

import (
	"context"
	"testing"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestAccessLogListsOwnCopies (AD-05, issue #8): the client's access
// report lists every copy of the record that left, the client's own
// downloads too, but no other action of the client's, and no copy of
// another client's record.
func TestAccessLogListsOwnCopies(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		c := storetest.SeedClinic(t, db.Store, "Copies")
		ctx := context.Background()
		client, other := c.Actor(c.Client), c.Actor(c.OtherClient)
		copyOf := func(actor care.Actor, clientID string) care.AuditEvent {
			ev := store.Event(actor, care.ActionRecordCopy, "client", clientID)
			ev.ClientID, ev.Reason = clientID, "html"
			return ev
		}
		read := store.Event(client, "plan.read", "client", c.Client.ID)
		read.ClientID = c.Client.ID
		if err := db.Store.Audit(ctx, copyOf(client, c.Client.ID), read, copyOf(other, c.OtherClient.ID),
			copyOf(c.Actor(c.Provider), c.Client.ID)); err != nil {
			t.Fatal(err)
		}
		page, err := db.Store.AccessLog(ctx, client, c.Client.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range page.Entries {
			if e.Role == care.RoleClient || e.Action == care.ActionRecordCopy {
				got = append(got, accessLine(e)) // the seeding's care-team rows aside
			}
		}
		want := []string{
			care.ActionRecordCopy + " " + c.Provider.DisplayName + " provider success",
			care.ActionRecordCopy + "  client success", // the client's own: no staff name
		}
		if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("the report:\n got %q\nwant %q", got, want)
		}
	})
}
