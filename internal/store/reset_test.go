package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestPasswordReset (issue #17, AU-07, AU-12): a provider makes a reset
// link for a client of their care team only, an admin for anyone of the
// clinic; the link works once, not after its time, and not after a newer
// one; using it sets the password and ends every session of the user,
// and the second factor stays.
func TestPasswordReset(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := db.Store
		c := storetest.SeedClinic(t, s, "North")
		other := storetest.SeedClinic(t, s, "South")
		for _, tc := range []struct {
			name  string
			actor care.Actor
			user  care.User
			ok    bool
		}{
			{"the client's provider", c.Actor(c.Provider), c.Client, true},
			{"another provider", c.Actor(c.OtherProvider), c.Client, false},
			{"a provider for staff", c.Actor(c.Provider), c.OtherProvider, false},
			{"the admin for a client", c.Actor(c.Admin), c.Client, true},
			{"the admin for staff", c.Actor(c.Admin), c.Provider, true},
			{"another clinic's admin", other.Actor(other.Admin), c.Client, false},
			{"the client", c.Actor(c.Client), c.Client, false},
		} {
			_, err := s.CreatePasswordReset(ctx, tc.actor, tc.user.ID, hash(care.NewID()), time.Hour)
			if (err == nil) != tc.ok || err != nil && care.ErrorCode(err) != care.NotFound {
				t.Errorf("%s: %v, want ok=%v (else not found)", tc.name, err, tc.ok)
			}
		}

		// A session of the client, to be ended by the reset.
		if err := s.CreateSession(ctx, &care.Session{UserID: c.Client.ID, ClinicID: c.Clinic.ID, Kind: "web", Stage: care.StageFull}, hash("sess")); err != nil {
			t.Fatal(err)
		}
		first, err := s.CreatePasswordReset(ctx, c.Actor(c.Provider), c.Client.ID, hash("first"), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if first.Role != care.RoleClient || first.ClinicID != c.Clinic.ID {
			t.Errorf("reset %+v", first)
		}
		if _, err := s.CreatePasswordReset(ctx, c.Actor(c.Provider), c.Client.ID, hash("second"), time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, err := s.OpenPasswordReset(ctx, hash("first")); care.ErrorCode(err) != care.NotFound {
			t.Errorf("the first link after a second: %v, want not found", err)
		}
		if _, err := s.ResetPassword(ctx, hash("first"), "$argon2id$new"); care.ErrorCode(err) != care.NotFound {
			t.Errorf("using the first link: %v, want not found", err)
		}
		open, err := s.OpenPasswordReset(ctx, hash("second"))
		if err != nil || open.UserID != c.Client.ID {
			t.Fatalf("the second link: %+v, %v", open, err)
		}

		// Two at once: exactly one sets the password.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.ResetPassword(ctx, hash("second"), "$argon2id$new")
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("two uses: %v and %v, want exactly one", errs[0], errs[1])
		}
		creds, err := s.CredentialsByEmail(ctx, c.Client.Email)
		if err != nil || creds.PasswordHash != "$argon2id$new" {
			t.Fatalf("password after the reset: %+v %v", creds, err)
		}
		if _, _, err := s.Authenticate(ctx, hash("sess"), care.DefaultSessionPolicy(), false); care.ErrorCode(err) != care.Unauthenticated {
			t.Errorf("the session after the reset: %v, want unauthenticated", err)
		}

		// Expiry.
		if _, err := s.CreatePasswordReset(ctx, c.Actor(c.Admin), c.Provider.ID, hash("late"), time.Hour); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(time.Hour + time.Second)
		if _, err := s.ResetPassword(ctx, hash("late"), "$argon2id$x"); care.ErrorCode(err) != care.NotFound {
			t.Errorf("an expired link: %v, want not found", err)
		}

		// Every step is in the audit trail, by ids.
		for _, action := range []string{"password_reset.create", "password_reset.use"} {
			if n := countWhere(t, db, "audit_events", "action = $1 AND entity_type IN ('user', 'password_reset')", action); n == 0 {
				t.Errorf("no %s audit row", action)
			}
		}
	})
}

// TestPasswordResetByEmail (AU-07): asking for a reset answers the same
// for an unknown address and queues nothing; for a known one it queues
// the email job, whose token is issued once.
func TestPasswordResetByEmail(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := db.Store
		c := storetest.SeedClinic(t, s, "North")
		if err := s.RequestPasswordReset(ctx, "nobody@example.org", 30*time.Minute); err != nil {
			t.Fatal(err)
		}
		if n := countWhere(t, db, "jobs", "kind = $1", store.JobPasswordResetEmail); n != 0 {
			t.Fatalf("%d jobs for an unknown address", n)
		}
		if err := s.RequestPasswordReset(ctx, c.Client.Email, 30*time.Minute); err != nil {
			t.Fatal(err)
		}
		var resetID string
		if err := db.Engine.SQLDB().QueryRow(`SELECT ref_id FROM jobs WHERE kind = $1`, store.JobPasswordResetEmail).Scan(&resetID); err != nil {
			t.Fatal(err)
		}
		if !care.ValidID(resetID) {
			t.Fatalf("the job's reset id %q", resetID)
		}
		// A failed send is tried again with a new token: the first no
		// longer works.
		for _, tok := range []string{"failed", "mailed"} {
			if ok, err := s.IssueResetToken(ctx, resetID, hash(tok)); err != nil || !ok {
				t.Fatalf("issuing %s: %v %v", tok, ok, err)
			}
		}
		if _, err := s.ResetPassword(ctx, hash("failed"), "$argon2id$mail"); care.ErrorCode(err) != care.NotFound {
			t.Errorf("the replaced token: %v", err)
		}
		if _, err := s.ResetPassword(ctx, hash("mailed"), "$argon2id$mail"); err != nil {
			t.Fatalf("using the mailed link: %v", err)
		}
		if ok, _ := s.IssueResetToken(ctx, resetID, hash("late")); ok {
			t.Error("a token for a used reset")
		}
		if n := countWhere(t, db, "audit_events", "action = 'password_reset.request'"); n != 2 {
			t.Errorf("%d request audit rows, want 2 (one each)", n)
		}
	})
}

// TestResetSecondFactor (issue #17): only an admin resets another user's
// second factor; their authenticator is replaced by an unconfirmed one,
// their recovery codes go, and their sessions end.
func TestResetSecondFactor(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := db.Store
		c := storetest.SeedClinic(t, s, "North")
		if err := s.SetRecoveryCodes(ctx, c.Actor(c.Provider), [][]byte{hash("code")}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateSession(ctx, &care.Session{UserID: c.Provider.ID, ClinicID: c.Clinic.ID, Kind: "api", Stage: care.StageFull, MFA: true}, hash("p")); err != nil {
			t.Fatal(err)
		}
		for _, a := range []care.Actor{c.Actor(c.OtherProvider), c.Actor(c.Client)} {
			if err := s.ResetSecondFactor(ctx, a, c.Provider.ID, []byte("new-secret-12345")); care.ErrorCode(err) != care.NotFound {
				t.Errorf("%s resetting: %v, want not found", a.Role, err)
			}
		}
		if err := s.ResetSecondFactor(ctx, c.Actor(c.Admin), c.Admin.ID, []byte("new-secret-12345")); care.ErrorCode(err) != care.Conflict {
			t.Errorf("an admin's own: %v, want conflict", err)
		}
		if err := s.ResetSecondFactor(ctx, c.Actor(c.Admin), c.Provider.ID, []byte("new-secret-12345")); err != nil {
			t.Fatal(err)
		}
		creds, err := s.CredentialsByEmail(ctx, c.Provider.Email)
		if err != nil || creds.TOTPConfirmed || string(creds.TOTPSecret) != "new-secret-12345" {
			t.Fatalf("after the reset: confirmed %v secret %q, %v", creds.TOTPConfirmed, creds.TOTPSecret, err)
		}
		if n := countWhere(t, db, "recovery_codes", "user_id = $1", c.Provider.ID); n != 0 {
			t.Errorf("%d recovery codes left", n)
		}
		if _, _, err := s.Authenticate(ctx, hash("p"), care.DefaultSessionPolicy(), false); care.ErrorCode(err) != care.Unauthenticated {
			t.Errorf("the session after the reset: %v", err)
		}
		if n := countWhere(t, db, "audit_events", "action = 'mfa.reset' AND entity_id = $1 AND outcome = $2", c.Provider.ID, care.OutcomeSuccess); n != 1 {
			t.Errorf("%d mfa.reset audit rows", n)
		}
	})
}

// countWhere counts the rows of table that meet cond.
func countWhere(t *testing.T, db *storetest.DB, table, cond string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM `+table+` WHERE `+cond, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
