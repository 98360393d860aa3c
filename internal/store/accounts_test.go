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

// TestUpdateUser (#17, AC-03, AU-07, AD-01): an admin corrects a name and
// an email; an email another account has is refused with one answer
// whether that account is in this clinic or another; only the admin of
// the clinic may, and the audit row names ids only.
func TestUpdateUser(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := db.Store
		c := storetest.SeedClinic(t, s, "Edit")
		other := storetest.SeedClinic(t, s, "Edit Other")
		admin := c.Actor(c.Admin)

		if _, err := s.UpdateUser(ctx, admin, c.Client.ID, "  Renamed Client ", "Renamed@Edit.test", 0); err != nil {
			t.Fatal(err)
		}
		u, err := s.User(ctx, c.Clinic.ID, c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.DisplayName != "Renamed Client" || u.Email != "renamed@edit.test" {
			t.Errorf("got %q %q, want the new name and the lower-cased email", u.DisplayName, u.Email)
		}
		if creds, err := s.CredentialsByEmail(ctx, "renamed@edit.test"); err != nil || creds.User.ID != c.Client.ID {
			t.Errorf("signing in by the new email: %v", err)
		}

		_, here := s.UpdateUser(ctx, admin, c.Client.ID, "Renamed Client", c.Provider.Email, 0)
		_, there := s.UpdateUser(ctx, admin, c.Client.ID, "Renamed Client", other.Provider.Email, 0)
		if here == nil || there == nil || here.Error() != there.Error() || care.ErrorCode(here) != care.ErrorCode(there) {
			t.Errorf("an email taken here: %v; taken in another clinic: %v; want the same refusal", here, there)
		}
		if strings.Contains(strings.ToLower(there.Error()), "clinic") {
			t.Errorf("the refusal names a clinic: %v", there)
		}
		for _, tc := range []struct{ name, email string }{{"", "x@edit.test"}, {"X", "not an email"}} {
			if _, err := s.UpdateUser(ctx, admin, c.Client.ID, tc.name, tc.email, 0); care.ErrorCode(err) != care.Invalid {
				t.Errorf("%q %q: got %v, want invalid", tc.name, tc.email, err)
			}
		}
		for _, tc := range []struct {
			who  care.Actor
			user string
		}{
			{c.Actor(c.Provider), c.Client.ID},
			{c.Actor(c.Client), c.Client.ID},
			{other.Actor(other.Admin), c.Client.ID},
			{admin, other.Client.ID},
			{admin, care.NewID()},
		} {
			if _, err := s.UpdateUser(ctx, tc.who, tc.user, "Z", "z@edit.test", 0); !errors.Is(err, care.ErrNotFound) {
				t.Errorf("%s editing %s: got %v, want not found", tc.who.Role, tc.user, err)
			}
		}
		var updates int
		for _, ev := range events(t, db, c.Clinic.ID) {
			if ev.Action == "user.update" && ev.Outcome == care.OutcomeSuccess {
				updates++
				if ev.EntityID != c.Client.ID || ev.ClientID != c.Client.ID {
					t.Errorf("audit row %+v, want the client's id only", ev)
				}
			}
		}
		if updates != 1 {
			t.Errorf("%d successful user.update rows, want 1", updates)
		}
	})
}

// TestUpdateUserConfirmed (#17, AU-07): on a server that sends email, a
// new email is confirmed from the new address; the admin's answer is the
// same whether the address is free or another clinic's, the name changes
// at once, and the confirmation applies a free address only.
func TestUpdateUserConfirmed(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := db.Store
		c := storetest.SeedClinic(t, s, "Confirm")
		other := storetest.SeedClinic(t, s, "Confirm Other")
		admin := c.Actor(c.Admin)
		for _, email := range []string{other.Client.Email, "fresh@confirm.test"} {
			pending, err := s.UpdateUser(ctx, admin, c.Client.ID, "Casey New", email, time.Hour)
			if err != nil || !pending {
				t.Errorf("%s: pending %v, %v; want a pending change and no error", email, pending, err)
			}
		}
		u, err := s.User(ctx, c.Clinic.ID, c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.DisplayName != "Casey New" || u.Email != c.Client.Email {
			t.Errorf("before the confirmation: %q %q, want the new name and the old email", u.DisplayName, u.Email)
		}
		// The second request ended the first; confirm the open one.
		var id string
		if err := db.Engine.SQLDB().QueryRow(`SELECT id FROM email_changes WHERE user_id = $1 AND ended_at IS NULL`, c.Client.ID).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if email, ok, err := s.IssueEmailChangeToken(ctx, id, hash("confirm")); err != nil || !ok || email != "fresh@confirm.test" {
			t.Fatalf("issuing: %q %v %v", email, ok, err)
		}
		if err := s.ConfirmEmailChange(ctx, hash("confirm")); err != nil {
			t.Fatal(err)
		}
		if u, err := s.User(ctx, c.Clinic.ID, c.Client.ID); err != nil || u.Email != "fresh@confirm.test" {
			t.Errorf("after the confirmation: %+v %v", u, err)
		}
		if pending, err := s.UpdateUser(ctx, admin, c.Client.ID, "Casey", "fresh@confirm.test", time.Hour); err != nil || pending {
			t.Errorf("the same email again: pending %v, %v; want the name saved at once", pending, err)
		}
	})
}

// TestDisableWithReason (#17, AC-09, AD-01): disabling needs a reason
// from store.DisableReasons, which is kept, shown and audited; enabling
// forgets it.
func TestDisableWithReason(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := db.Store
		c := storetest.SeedClinic(t, s, "Reason")
		admin := c.Actor(c.Admin)
		for _, reason := range []string{"", "because I said so"} {
			if err := s.DisableUser(ctx, admin, c.Provider.ID, reason); care.ErrorCode(err) != care.Invalid {
				t.Errorf("reason %q: got %v, want invalid", reason, err)
			}
		}
		if err := s.DisableUser(ctx, admin, c.Admin.ID, "left-clinic"); care.ErrorCode(err) != care.Conflict {
			t.Errorf("disabling oneself: %v, want conflict", err)
		}
		if err := s.DisableUser(ctx, admin, c.Provider.ID, "on-leave"); err != nil {
			t.Fatal(err)
		}
		reasonOf := func() (bool, string) {
			t.Helper()
			users, err := s.Users(ctx, admin)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range users {
				if u.ID == c.Provider.ID {
					return u.Disabled, u.DisabledReason
				}
			}
			t.Fatal("the provider is not listed")
			return false, ""
		}
		if off, why := reasonOf(); !off || why != "on-leave" {
			t.Errorf("after disabling: %v %q, want disabled for on-leave", off, why)
		}
		if err := s.EnableUser(ctx, admin, c.Provider.ID); err != nil {
			t.Fatal(err)
		}
		if off, why := reasonOf(); off || why != "" {
			t.Errorf("after enabling: %v %q, want active with no reason", off, why)
		}
		var entity, reason string
		if err := db.Engine.SQLDB().QueryRow(`SELECT entity_id, reason FROM audit_events
			WHERE clinic_id = $1 AND action = 'user.disable' AND outcome = 'success'`, c.Clinic.ID).Scan(&entity, &reason); err != nil {
			t.Fatal(err)
		}
		if entity != c.Provider.ID || reason != "on-leave" {
			t.Errorf("audit row for %s with reason %q, want the provider's id and the reason's code", entity, reason)
		}
	})
}

// TestMoveClient (#17, AC-05): moving a client replaces their care team
// in one step, each change audited; the provider left behind loses access.
func TestMoveClient(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := db.Store
		c := storetest.SeedClinic(t, s, "Move")
		other := storetest.SeedClinic(t, s, "Move Other")
		admin := c.Actor(c.Admin)
		if err := s.MoveClient(ctx, admin, c.Client.ID, other.Provider.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("moving to another clinic's provider: %v", err)
		}
		if err := s.MoveClient(ctx, c.Actor(c.Provider), c.Client.ID, c.OtherProvider.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("a provider moved a client: %v", err)
		}
		if err := s.MoveClient(ctx, admin, c.Client.ID, c.OtherProvider.ID); err != nil {
			t.Fatal(err)
		}
		team, err := s.CareTeam(ctx, admin, c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(team) != 1 || team[0].ID != c.OtherProvider.ID || team[0].DisplayName != "other-provider" {
			t.Errorf("care team %+v, want the other provider alone", team)
		}
		if _, err := s.Client(ctx, c.Actor(c.Provider), c.Client.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("the former provider still sees the client: %v", err)
		}
		if _, err := s.Client(ctx, c.Actor(c.OtherProvider), c.Client.ID); err != nil {
			t.Errorf("the new provider does not see the client: %v", err)
		}
		if _, err := s.CareTeam(ctx, c.Actor(c.Provider), c.Client.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("a provider read a care team: %v", err)
		}
		if _, err := s.CareTeam(ctx, other.Actor(other.Admin), c.Client.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("another clinic's admin read a care team: %v", err)
		}
		got := map[string]string{}
		for _, ev := range events(t, db, c.Clinic.ID) {
			if strings.HasPrefix(ev.Action, "care-team.") && ev.Outcome == care.OutcomeSuccess && ev.ClientID == c.Client.ID {
				got[ev.Action+" "+ev.EntityID] = ev.ClientID
			}
		}
		for _, want := range []string{"care-team.move " + c.OtherProvider.ID, "care-team.add " + c.OtherProvider.ID, "care-team.remove " + c.Provider.ID} {
			if _, ok := got[want]; !ok {
				t.Errorf("no audit row %s among %v", want, got)
			}
		}
	})
}

// TestPendingInvitations (#17, AU-12): the pending list, a resend that
// ends the old link, a revoke, and a second invitation to the same email
// that renews the first instead of making another.
func TestPendingInvitations(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := db.Store
		c := storetest.SeedClinic(t, s, "Pending")
		other := storetest.SeedClinic(t, s, "Pending Other")
		admin, provider := c.Actor(c.Admin), c.Actor(c.Provider)
		lifetime := care.DefaultInvitationLifetime().For

		first := &care.Invitation{Role: care.RoleProvider, Email: "new@pending.test", DisplayName: "New Provider"}
		if err := s.CreateInvitation(ctx, admin, first, hash("p1"), time.Hour); err != nil {
			t.Fatal(err)
		}
		again := &care.Invitation{Role: care.RoleProvider, Email: "New@Pending.test", DisplayName: "New Provider"}
		if err := s.CreateInvitation(ctx, admin, again, hash("p2"), time.Hour); err != nil {
			t.Fatal(err)
		}
		if again.ID != first.ID {
			t.Errorf("a second invitation to the same email made %s, want %s back", again.ID, first.ID)
		}
		if _, err := s.Invitation(ctx, hash("p1")); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("the first link still works: %v", err)
		}
		if _, err := s.Invitation(ctx, hash("p2")); err != nil {
			t.Errorf("the new link: %v", err)
		}
		client := &care.Invitation{Role: care.RoleClient, Email: "newclient@pending.test", DisplayName: "New Client"}
		if err := s.CreateInvitation(ctx, provider, client, hash("c1"), time.Hour); err != nil {
			t.Fatal(err)
		}

		list, err := s.PendingInvitations(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]care.Invitation{}
		for _, inv := range list {
			byID[inv.ID] = inv
		}
		if len(list) != 2 || byID[first.ID].Email != "new@pending.test" || byID[client.ID].DisplayName != "New Client" {
			t.Errorf("the admin's pending list: %+v", list)
		}
		if list, err := s.PendingInvitations(ctx, provider); err != nil || len(list) != 1 || list[0].ID != client.ID {
			t.Errorf("the provider's pending list: %+v %v", list, err)
		}
		if list, err := s.PendingInvitations(ctx, c.Actor(c.OtherProvider)); err != nil || len(list) != 0 {
			t.Errorf("another provider's pending list: %+v %v", list, err)
		}
		if _, err := s.PendingInvitations(ctx, c.Actor(c.Client)); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("a client's pending list: %v", err)
		}

		for _, who := range []care.Actor{other.Actor(other.Admin), c.Actor(c.OtherProvider), c.Actor(c.Client)} {
			if _, err := s.ResendInvitation(ctx, who, client.ID, hash("x"), lifetime); !errors.Is(err, care.ErrNotFound) {
				t.Errorf("%s resent another's invitation: %v", who.Role, err)
			}
			if err := s.RevokeInvitation(ctx, who, client.ID); !errors.Is(err, care.ErrNotFound) {
				t.Errorf("%s revoked another's invitation: %v", who.Role, err)
			}
		}
		resent, err := s.ResendInvitation(ctx, provider, client.ID, hash("c2"), lifetime)
		if err != nil {
			t.Fatal(err)
		}
		if resent.ID != client.ID || resent.Email != "newclient@pending.test" {
			t.Errorf("resent %+v", resent)
		}
		if _, err := s.Invitation(ctx, hash("c1")); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("the link before the resend still works: %v", err)
		}
		if _, err := s.Invitation(ctx, hash("c2")); err != nil {
			t.Errorf("the resent link: %v", err)
		}
		if err := s.RevokeInvitation(ctx, admin, client.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Invitation(ctx, hash("c2")); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("a revoked link works: %v", err)
		}
		if _, err := s.AcceptInvitation(ctx, hash("c2"), store.Acceptance{TimeZone: "UTC", PasswordHash: "x"}); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("a revoked invitation was accepted: %v", err)
		}
		if err := s.RevokeInvitation(ctx, admin, client.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("revoking twice: %v", err)
		}
		if list, err := s.PendingInvitations(ctx, admin); err != nil || len(list) != 1 {
			t.Errorf("after the revoke: %+v %v", list, err)
		}
		// Once revoked, inviting the email again makes a new invitation.
		fresh := &care.Invitation{Role: care.RoleClient, Email: "newclient@pending.test", DisplayName: "New Client"}
		if err := s.CreateInvitation(ctx, provider, fresh, hash("c3"), time.Hour); err != nil || fresh.ID == client.ID {
			t.Errorf("inviting after a revoke: %s %v", fresh.ID, err)
		}
		var resends, revokes int
		for _, ev := range events(t, db, c.Clinic.ID) {
			switch {
			case ev.Action == "invitation.resend" && ev.Outcome == care.OutcomeSuccess:
				resends++
			case ev.Action == "invitation.revoke" && ev.Outcome == care.OutcomeSuccess:
				revokes++
			}
		}
		if resends != 2 || revokes != 1 {
			t.Errorf("%d resends and %d revokes audited, want 2 and 1", resends, revokes)
		}
	})
}
