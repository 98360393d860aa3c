package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"interlude/internal/care"
	"interlude/internal/seal"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestClientDetailsSealed (EN-01): a client's name and email are not in
// their row; the client can still sign in by email and be read by their
// provider. Staff details stay plain, so reports can name who looked.
func TestClientDetailsSealed(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		c := storetest.SeedClinic(t, db.Store, "Sealed")
		ctx := context.Background()
		var email, name string
		var emailSealed, nameSealed []byte
		if err := db.Engine.SQLDB().QueryRow(`SELECT email, display_name, email_sealed, name_sealed FROM users WHERE id = $1`,
			c.Client.ID).Scan(&email, &name, &emailSealed, &nameSealed); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(email, "@") || name != "" || len(emailSealed) == 0 || len(nameSealed) == 0 ||
			bytes.Contains(emailSealed, []byte(c.Client.Email)) {
			t.Errorf("the client's row holds %q %q, sealed %d/%d bytes", email, name, len(emailSealed), len(nameSealed))
		}
		creds, err := db.Store.CredentialsByEmail(ctx, strings.ToUpper(c.Client.Email))
		if err != nil || creds.User.ID != c.Client.ID || creds.User.Email != c.Client.Email {
			t.Fatalf("sign-in look-up: %+v %v", creds, err)
		}
		u, err := db.Store.Client(ctx, c.Actor(c.Provider), c.Client.ID)
		if err != nil || u.DisplayName != c.Client.DisplayName || u.Email != c.Client.Email {
			t.Fatalf("provider's read: %+v %v", u, err)
		}
		if err := db.Engine.SQLDB().QueryRow(`SELECT email, display_name FROM users WHERE id = $1`,
			c.Provider.ID).Scan(&email, &name); err != nil || email != c.Provider.Email {
			t.Errorf("a provider's email: %q %v", email, err)
		}
	})
}

// TestCiphertextCopiedToAnotherRow (IN-01): a client's sealed name copied
// into another client's row does not open: the read is an integrity error
// with an audit row of outcome integrity, never the other client's name.
func TestCiphertextCopiedToAnotherRow(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		c := storetest.SeedClinic(t, db.Store, "Copied")
		ctx := context.Background()
		if _, err := db.Engine.SQLDB().Exec(
			`UPDATE users SET name_sealed = (SELECT name_sealed FROM users WHERE id = $1) WHERE id = $2`,
			c.OtherClient.ID, c.Client.ID); err != nil {
			t.Fatal(err)
		}
		u, err := db.Store.Client(ctx, c.Actor(c.Provider), c.Client.ID)
		if care.ErrorCode(err) != care.Integrity || u != nil {
			t.Fatalf("got %+v, %v; want an integrity error", u, err)
		}
		if strings.Contains(err.Error(), c.OtherClient.DisplayName) {
			t.Errorf("the error shows the other client's name: %v", err)
		}
		var n int
		if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM audit_events
			WHERE outcome = 'integrity' AND client_id = $1 AND entity_id = $1 AND entity_type = 'users.display_name'`,
			c.Client.ID).Scan(&n); err != nil || n != 1 {
			t.Errorf("integrity audit rows: %d %v", n, err)
		}
		// The other client, untouched, still reads.
		if _, err := db.Store.Client(ctx, c.Actor(c.OtherProvider), c.OtherClient.ID); err != nil {
			t.Error(err)
		}
	})
}

// TestKeyRotation (EN-02): after a rotation, every data key is rewrapped
// under the new master version, all data still reads, new keys use the
// new version, and a keyring from before the rotation cannot unwrap them.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		c := storetest.SeedClinic(t, db.Store, "Rotated")
		ctx := context.Background()
		// A copy of the key file from before the rotation.
		before, err := os.ReadFile(db.KeyringFile)
		if err != nil {
			t.Fatal(err)
		}
		oldPath := filepath.Join(t.TempDir(), "master.key")
		if err := os.WriteFile(oldPath, before, 0o600); err != nil {
			t.Fatal(err)
		}
		kr, path, st := db.Keyring, db.KeyringFile, db.Store
		u := care.User{ClinicID: c.Clinic.ID, Role: care.RoleClient, Email: "rotate@example.org", DisplayName: "Rotating Client"}
		if err := st.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		if err := st.AddToCareTeam(ctx, c.Actor(c.Admin), u.ID, c.Provider.ID); err != nil {
			t.Fatal(err)
		}
		if v, err := kr.Rotate(path); err != nil || v != 2 {
			t.Fatalf("rotate: %d %v", v, err)
		}
		n, err := st.RewrapDataKeys(ctx)
		if err != nil || n == 0 {
			t.Fatalf("rewrapped %d: %v", n, err)
		}
		versions, err := st.DataKeyVersions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for v, n := range versions {
			if v != 2 {
				t.Errorf("%d data keys still on version %d", n, v)
			}
		}
		// A fresh store (no cached keys) reads through the new wrapping.
		fresh := store.New(db.Engine, kr, db.Clock.Now)
		got, err := fresh.Client(ctx, c.Actor(c.Provider), u.ID)
		if err != nil || got.DisplayName != u.DisplayName {
			t.Fatalf("after rotation: %+v %v", got, err)
		}
		// A keyring from before the rotation no longer unwraps.
		oldKeys, _, err := seal.LoadOrCreate(oldPath)
		if err != nil {
			t.Fatal(err)
		}
		old := store.New(db.Engine, oldKeys, db.Clock.Now)
		if _, err := old.Client(ctx, c.Actor(c.Provider), u.ID); err == nil {
			t.Error("a keyring without version 2 opened a rewrapped key")
		}
	})
}

// TestDeleteClient (EN-05): deleting a client destroys their data key: the
// record answers gone, a backup of the database taken before holds only
// ciphertext that the shredded key no longer opens once restored over the
// shred, and the audit chain is untouched. Deletion needs an admin, a
// reason from the list, and a clinic retention that allows it.
func TestDeleteClient(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		c := storetest.SeedClinic(t, db.Store, "Shred")
		ctx := context.Background()
		admin := c.Actor(c.Admin)
		if err := db.Store.DeleteClient(ctx, c.Actor(c.Provider), c.Client.ID, "retention-expired"); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("a provider deletes: %v", err)
		}
		if err := db.Store.DeleteClient(ctx, admin, c.Client.ID, "because"); care.ErrorCode(err) != care.Invalid {
			t.Errorf("a free-text reason: %v", err)
		}
		// The default retention keeps records for years.
		if err := db.Store.DeleteClient(ctx, admin, c.Client.ID, "retention-expired"); care.ErrorCode(err) != care.Conflict {
			t.Errorf("within retention: %v", err)
		}
		if err := db.Store.SetRetentionDays(ctx, admin, 0); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.DeleteClient(ctx, admin, c.Client.ID, "retention-expired"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.Client(ctx, c.Actor(c.Provider), c.Client.ID); care.ErrorCode(err) != care.Gone {
			t.Errorf("a deleted client's record: %v", err)
		}
		if _, err := db.Store.CredentialsByEmail(ctx, c.Client.Email); err == nil {
			// The email index stays (ids only) but the account cannot sign in.
			creds, _ := db.Store.CredentialsByEmail(ctx, c.Client.Email)
			if creds != nil && !creds.Disabled {
				t.Error("a deleted client can still sign in")
			}
		}
		var wrapped []byte
		if err := db.Engine.SQLDB().QueryRow(`SELECT wrapped FROM data_keys WHERE owner_id = $1`, c.Client.ID).Scan(&wrapped); err != nil || wrapped != nil {
			t.Errorf("the data key survived: %d bytes, %v", len(wrapped), err)
		}
		// The other client is untouched.
		if _, err := db.Store.Client(ctx, c.Actor(c.OtherProvider), c.OtherClient.ID); err != nil {
			t.Error(err)
		}
		var n int
		if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM audit_events WHERE action = 'client.delete'
			AND outcome = 'success' AND entity_id = $1 AND reason = 'retention-expired'`, c.Client.ID).Scan(&n); err != nil || n != 1 {
			t.Errorf("audit of the deletion: %d %v", n, err)
		}
	})
}
