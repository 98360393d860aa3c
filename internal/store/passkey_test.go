package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// TestChallenges: a WebAuthn ceremony's state is taken once, by its own
// user, and not after it expires (AU-09).
func TestChallenges(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := db.Store
		c := storetest.SeedClinic(t, s, "North")
		expires := db.Clock.Now().Add(5 * time.Minute)

		if err := s.SaveChallenge(ctx, "ch1", c.Provider.ID, `{"a":1}`, expires); err != nil {
			t.Fatal(err)
		}
		// Another user can neither take it nor burn it.
		if _, err := s.TakeChallenge(ctx, "ch1", c.OtherProvider.ID); err != care.ErrNotFound {
			t.Fatalf("another user's take: got %v, want not found", err)
		}
		data, err := s.TakeChallenge(ctx, "ch1", c.Provider.ID)
		if err != nil || data != `{"a":1}` {
			t.Fatalf("take: got %q, %v", data, err)
		}
		if _, err := s.TakeChallenge(ctx, "ch1", c.Provider.ID); err != care.ErrNotFound {
			t.Fatalf("second take: got %v, want not found", err)
		}
		if _, err := s.TakeChallenge(ctx, "nope", c.Provider.ID); err != care.ErrNotFound {
			t.Fatalf("unknown: got %v, want not found", err)
		}

		// Expired: not found, and cleared by the next save.
		if err := s.SaveChallenge(ctx, "ch2", c.Provider.ID, "x", expires); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(5*time.Minute + time.Second)
		if _, err := s.TakeChallenge(ctx, "ch2", c.Provider.ID); err != care.ErrNotFound {
			t.Fatalf("expired: got %v, want not found", err)
		}
		if err := s.SaveChallenge(ctx, "ch3", c.Provider.ID, "y", db.Clock.Now().Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		var left int
		if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM webauthn_challenges`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left != 1 {
			t.Errorf("%d challenges stored, want 1: expired ones are not cleared", left)
		}

		// Concurrent takes: exactly one wins.
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 4 {
			wg.Go(func() {
				if _, err := s.TakeChallenge(ctx, "ch3", c.Provider.ID); err == nil {
					mu.Lock()
					won++
					mu.Unlock()
				} else if err != care.ErrNotFound {
					t.Errorf("concurrent take: %v", err)
				}
			})
		}
		wg.Wait()
		if won != 1 {
			t.Errorf("%d concurrent takes succeeded, want 1", won)
		}
	})
}

func addPasskey(t *testing.T, db *storetest.DB, actor care.Actor, credID, name string) *care.Passkey {
	t.Helper()
	p := &care.Passkey{CredentialID: []byte(credID), Credential: `{"id":"` + credID + `"}`, Name: name}
	if err := db.Store.AddPasskey(context.Background(), actor, p); err != nil {
		t.Fatalf("AddPasskey(%s): %v", credID, err)
	}
	return p
}

// TestPasskeys: users add, list, use and remove their own passkeys only,
// and staff cannot remove their last second factor (AU-01, AU-09).
func TestPasskeys(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := db.Store
		c := storetest.SeedClinic(t, s, "North")
		provider, client := c.Actor(c.Provider), c.Actor(c.Client)

		for _, name := range []string{"", "   ", string(make([]rune, 61))} {
			p := &care.Passkey{CredentialID: []byte("x"), Credential: "{}", Name: name}
			if err := s.AddPasskey(ctx, provider, p); care.ErrorCode(err) != care.Invalid {
				t.Errorf("name %q: got %v, want invalid", name, err)
			}
		}
		first := addPasskey(t, db, provider, "cred-1", "  Laptop ")
		if first.Name != "Laptop" || first.UserID != c.Provider.ID || first.ID == "" || first.CreatedAt.IsZero() {
			t.Fatalf("added %+v", first)
		}
		db.Clock.Advance(time.Second)
		second := addPasskey(t, db, provider, "cred-2", "Phone")

		// A credential id is registered once, whoever asks.
		dup := &care.Passkey{CredentialID: []byte("cred-1"), Credential: "{}", Name: "Again"}
		if err := s.AddPasskey(ctx, client, dup); care.ErrorCode(err) != care.Conflict {
			t.Errorf("duplicate credential id: got %v, want conflict", err)
		}

		list, err := s.Passkeys(ctx, provider)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != second.ID || list[1].ID != first.ID {
			t.Fatalf("Passkeys: got %+v, want newest first", list)
		}
		if string(list[1].CredentialID) != "cred-1" || list[1].Credential != `{"id":"cred-1"}` || !list[1].LastUsedAt.IsZero() {
			t.Errorf("Passkeys: got %+v", list[1])
		}
		if other, err := s.Passkeys(ctx, c.Actor(c.OtherProvider)); err != nil || len(other) != 0 {
			t.Errorf("another provider sees %d passkeys (%v)", len(other), err)
		}
		// An actor claiming another clinic sees nothing.
		stranger := provider
		stranger.ClinicID = care.NewID()
		if got, err := s.Passkeys(ctx, stranger); err != nil || len(got) != 0 {
			t.Errorf("wrong clinic sees %d passkeys (%v)", len(got), err)
		}
		byUser, err := s.PasskeysOfUser(ctx, c.Provider.ID)
		if err != nil || len(byUser) != 2 {
			t.Fatalf("PasskeysOfUser: %d, %v", len(byUser), err)
		}

		// Use: the record is replaced and the time noted.
		db.Clock.Advance(time.Minute)
		if err := s.UsePasskey(ctx, c.Provider.ID, []byte("cred-1"), `{"signCount":3}`); err != nil {
			t.Fatal(err)
		}
		byUser, _ = s.PasskeysOfUser(ctx, c.Provider.ID)
		if got := byUser[1]; got.Credential != `{"signCount":3}` || !got.LastUsedAt.Equal(db.Clock.Now()) {
			t.Errorf("after use: %+v, want last used %v", got, db.Clock.Now())
		}
		if err := s.UsePasskey(ctx, c.OtherProvider.ID, []byte("cred-1"), "{}"); err != care.ErrNotFound {
			t.Errorf("another user's use: got %v, want not found", err)
		}

		// Delete: only one's own.
		if err := s.DeletePasskey(ctx, c.Actor(c.OtherProvider), first.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("deleting another's passkey: got %v, want not found", err)
		}
		if err := s.DeletePasskey(ctx, provider, "nope"); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("deleting an unknown passkey: got %v, want not found", err)
		}
		if err := s.DeletePasskey(ctx, provider, first.ID); err != nil {
			t.Fatal(err)
		}
		// The last factor of a staff member stays.
		if err := s.DeletePasskey(ctx, provider, second.ID); care.ErrorCode(err) != care.Conflict {
			t.Fatalf("deleting staff's last factor: got %v, want conflict", err)
		}
		if err := s.SetTOTP(ctx, provider, []byte("secret")); err != nil {
			t.Fatal(err)
		}
		if err := s.DeletePasskey(ctx, provider, second.ID); care.ErrorCode(err) != care.Conflict {
			t.Fatalf("with an unconfirmed authenticator: got %v, want conflict", err)
		}
		if err := s.ConfirmTOTP(ctx, c.Provider.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeletePasskey(ctx, provider, second.ID); err != nil {
			t.Fatalf("with a working authenticator: %v", err)
		}
		if err := s.UsePasskey(ctx, c.Provider.ID, []byte("cred-2"), "{}"); err != care.ErrNotFound {
			t.Errorf("using a removed passkey: got %v, want not found", err)
		}

		// A client may remove their only passkey.
		only := addPasskey(t, db, client, "cred-3", "Key")
		if err := s.DeletePasskey(ctx, client, only.ID); err != nil {
			t.Errorf("client removing their only passkey: %v", err)
		}

		// Two concurrent deletions of an admin's two passkeys: one stays.
		admin := c.Actor(c.Admin)
		ids := []string{addPasskey(t, db, admin, "cred-4", "A").ID, addPasskey(t, db, admin, "cred-5", "B").ID}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, id := range ids {
			wg.Go(func() { errs[i] = s.DeletePasskey(ctx, admin, id) })
		}
		wg.Wait()
		left, err := s.Passkeys(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 1 || (errs[0] == nil) == (errs[1] == nil) {
			t.Errorf("concurrent deletions: %d left, errors %v", len(left), errs)
		}
	})
}
