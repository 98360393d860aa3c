package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// TestInvitationFlow: a provider's invitation creates a client on that
// provider's care team, once (AU-12: single use), and not after expiry.
func TestInvitationFlow(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := db.Store
		c := storetest.SeedClinic(t, s, "North")
		provider := c.Actor(c.Provider)

		// A provider may invite only clients; an admin only staff (AC-08).
		for _, tc := range []struct {
			actor care.Actor
			role  care.Role
			ok    bool
		}{
			{provider, care.RoleClient, true},
			{provider, care.RoleProvider, false},
			{provider, care.RoleAdmin, false},
			{c.Actor(c.Admin), care.RoleProvider, true},
			{c.Actor(c.Admin), care.RoleAdmin, true},
			{c.Actor(c.Admin), care.RoleClient, false},
			{c.Actor(c.Client), care.RoleClient, false},
		} {
			inv := &care.Invitation{Role: tc.role, Email: "x" + care.NewID()[:6] + "@example.org", DisplayName: "X"}
			err := s.CreateInvitation(ctx, tc.actor, inv, hash(care.NewID()), time.Hour)
			if (err == nil) != tc.ok {
				t.Errorf("%s inviting a %s: got %v, want ok=%v", tc.actor.Role, tc.role, err, tc.ok)
			}
		}

		inv := &care.Invitation{Role: care.RoleClient, Email: "new@example.org", DisplayName: "New Client"}
		if err := s.CreateInvitation(ctx, provider, inv, hash("tok1"), 14*24*time.Hour); err != nil {
			t.Fatal(err)
		}
		if inv.ClinicID != c.Clinic.ID || inv.InvitedBy != c.Provider.ID {
			t.Fatalf("invitation %+v not bound to the provider's clinic", inv)
		}
		got, err := s.Invitation(ctx, hash("tok1"))
		if err != nil || got.ID != inv.ID {
			t.Fatalf("Invitation: %v %+v", err, got)
		}

		// Two concurrent acceptances: exactly one account.
		var wg sync.WaitGroup
		results := make([]error, 4)
		users := make([]*care.User, 4)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				users[i], results[i] = s.AcceptInvitation(ctx, hash("tok1"), store.Acceptance{PasswordHash: "h", TimeZone: "UTC"})
			}()
		}
		wg.Wait()
		var won *care.User
		for i, err := range results {
			switch {
			case err == nil && won == nil:
				won = users[i]
			case err == nil:
				t.Fatalf("the invitation was accepted twice")
			case !errors.Is(err, care.ErrNotFound):
				t.Fatalf("losing acceptance: got %v, want not found", err)
			}
		}
		if won == nil {
			t.Fatal("no acceptance succeeded")
		}
		if _, err := s.Invitation(ctx, hash("tok1")); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("a used invitation is still open: %v", err)
		}
		// The new client is on the inviting provider's care team only.
		if _, err := s.Client(ctx, provider, won.ID); err != nil {
			t.Errorf("inviting provider cannot see the new client: %v", err)
		}
		if _, err := s.Client(ctx, c.Actor(c.OtherProvider), won.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("another provider sees the new client: %v", err)
		}

		// Expiry.
		inv2 := &care.Invitation{Role: care.RoleClient, Email: "late@example.org", DisplayName: "Late"}
		if err := s.CreateInvitation(ctx, provider, inv2, hash("tok2"), time.Hour); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(time.Hour + time.Second)
		if _, err := s.AcceptInvitation(ctx, hash("tok2"), store.Acceptance{PasswordHash: "h"}); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("expired invitation accepted: %v", err)
		}
	})
}

// TestSessionTimeouts (AC-07): idle and absolute limits, enforced by the
// store with the clock, and a session that ends is deleted.
func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := db.Store
		c := storetest.SeedClinic(t, s, "Clock")
		policy := care.DefaultSessionPolicy()

		start := func(u care.User) []byte {
			h := hash(care.NewID())
			if err := s.CreateSession(ctx, &care.Session{UserID: u.ID, Kind: "api", Stage: care.StageFull, Device: "test"}, h); err != nil {
				t.Fatal(err)
			}
			return h
		}
		auth := func(h []byte) error {
			_, _, err := s.Authenticate(ctx, h, policy, true)
			return err
		}

		staff := start(c.Provider)
		client := start(c.Client)
		db.Clock.Advance(15*time.Minute - time.Second)
		if err := auth(staff); err != nil {
			t.Fatalf("staff at idle-1s: %v", err)
		}
		db.Clock.Advance(15*time.Minute + 2*time.Second) // staff was touched, client was not: 30m+1s
		if err := auth(client); care.ErrorCode(err) != care.Unauthenticated {
			t.Errorf("client after 30m idle: got %v, want unauthenticated", err)
		}
		if err := auth(staff); care.ErrorCode(err) != care.Unauthenticated {
			t.Errorf("staff after 15m+1s idle: got %v", err)
		}

		// Absolute: 12 hours even with activity every 10 minutes.
		s2 := start(c.Client)
		for elapsed := time.Duration(0); elapsed < 12*time.Hour; elapsed += 10 * time.Minute {
			if err := auth(s2); err != nil {
				t.Fatalf("active session ended at %v: %v", elapsed, err)
			}
			db.Clock.Advance(10 * time.Minute)
		}
		db.Clock.Advance(time.Second)
		if err := auth(s2); care.ErrorCode(err) != care.Unauthenticated {
			t.Errorf("session past 12h: got %v", err)
		}
		// Ended sessions are gone, not just refused.
		if n := countRows(t, db, "sessions"); n != 0 {
			t.Errorf("%d ended sessions remain", n)
		}
	})
}

func countRows(t *testing.T, db *storetest.DB, table string) int {
	t.Helper()
	var n int
	if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTOTPStepIsSingleUse (AU-08): each step once, never an older one, and
// of parallel uses of one step exactly one wins.
func TestTOTPStepIsSingleUse(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := db.Store
		c := storetest.SeedClinic(t, s, "Totp")
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.UseTOTPStep(ctx, c.Provider.ID, 1000)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("step 1000 accepted %d times, want once", wins)
		}
		if ok, _ := s.UseTOTPStep(ctx, c.Provider.ID, 999); ok {
			t.Errorf("an older step was accepted after a newer one")
		}
		if ok, _ := s.UseTOTPStep(ctx, c.Provider.ID, 1001); !ok {
			t.Errorf("the next step was refused")
		}
	})
}

// TestDisableEndsSessions (AC-09) and admins cannot reach other clinics.
func TestDisableEndsSessions(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := db.Store
		c := storetest.SeedClinic(t, s, "Disable")
		other := storetest.SeedClinic(t, s, "Other")
		h := hash("session")
		if err := s.CreateSession(ctx, &care.Session{UserID: c.Client.ID, Kind: "web", Stage: care.StageFull}, h); err != nil {
			t.Fatal(err)
		}
		if err := s.DisableUser(ctx, other.Actor(other.Admin), c.Client.ID, "left-clinic"); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("another clinic's admin disabled a user: %v", err)
		}
		if err := s.DisableUser(ctx, c.Actor(c.Provider), c.Client.ID, "left-clinic"); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("a provider disabled a user: %v", err)
		}
		if err := s.DisableUser(ctx, c.Actor(c.Admin), c.Client.ID, "left-clinic"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Authenticate(ctx, h, care.DefaultSessionPolicy(), true); care.ErrorCode(err) != care.Unauthenticated {
			t.Errorf("a disabled user's session still works: %v", err)
		}
		if err := s.CreateSession(ctx, &care.Session{UserID: c.Client.ID, Kind: "web", Stage: care.StageFull}, hash("again")); care.ErrorCode(err) != care.Unauthenticated {
			t.Errorf("a disabled user got a new session: %v", err)
		}
	})
}

// TestClientVisibility (AC-02, AC-03): who sees which client, in the SQL.
func TestClientVisibility(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := db.Store
		c := storetest.SeedClinic(t, s, "Vis")
		other := storetest.SeedClinic(t, s, "Far")
		for _, tc := range []struct {
			name   string
			actor  care.Actor
			client string
			ok     bool
		}{
			{"client self", c.Actor(c.Client), c.Client.ID, true},
			{"client other", c.Actor(c.Client), c.OtherClient.ID, false},
			{"care team", c.Actor(c.Provider), c.Client.ID, true},
			{"same clinic other team", c.Actor(c.Provider), c.OtherClient.ID, false},
			{"other clinic provider", other.Actor(other.Provider), c.Client.ID, false},
			{"admin", c.Actor(c.Admin), c.Client.ID, false},
			{"provider as client id", c.Actor(c.Provider), c.OtherProvider.ID, false},
		} {
			_, err := s.Client(ctx, tc.actor, tc.client)
			if tc.ok && err != nil || !tc.ok && !errors.Is(err, care.ErrNotFound) {
				t.Errorf("%s: got %v, want ok=%v", tc.name, err, tc.ok)
			}
		}
		list, err := s.Caseload(ctx, c.Actor(c.Provider))
		if err != nil || len(list) != 1 || list[0].ID != c.Client.ID {
			t.Errorf("caseload = %+v, %v", list, err)
		}
		// Removing the provider from the team revokes access at once (AC-05).
		if err := s.RemoveFromCareTeam(ctx, c.Actor(c.Admin), c.Client.ID, c.Provider.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Client(ctx, c.Actor(c.Provider), c.Client.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("after removal: %v", err)
		}
	})
}

func TestLoginFailures(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := db.Store
		acct, addr := store.AccountKey("a@example.org"), store.AddressKey("192.0.2.1")
		if bytes.Contains([]byte(acct), []byte("example")) {
			t.Fatalf("the throttle key holds the email: %s", acct)
		}
		// A policy that makes a counter of 4 or more wait a minute.
		var seen []int
		policy := func(i, n int, last time.Time) time.Duration {
			seen = append(seen, n)
			if n >= 4 {
				return time.Minute
			}
			return 0
		}
		take := func(keys ...string) time.Duration {
			t.Helper()
			_, wait, err := s.TakeLoginAttempt(ctx, keys, time.Hour, policy)
			if err != nil {
				t.Fatal(err)
			}
			return wait
		}
		for range 3 {
			if w := take(acct, addr); w != 0 {
				t.Fatalf("waited %v before the fourth failure", w)
			}
		}
		take(addr)
		n, last, err := s.LoginFailures(ctx, acct, addr)
		if err != nil || n != 4 || !last.Equal(db.Clock.Now()) {
			t.Fatalf("got %d %v %v, want 4 at now", n, last, err)
		}
		// A refused attempt counts nothing.
		if w := take(acct, addr); w != time.Minute {
			t.Errorf("the fifth attempt waits %v, want a minute", w)
		}
		if n, _, _ := s.LoginFailures(ctx, addr); n != 4 {
			t.Errorf("a refused attempt was counted: %d", n)
		}
		// A right attempt gives its count back, and the time of the last
		// failure too: a right attempt must not restart the backoff
		// (AU-05, issue #17).
		failedAt := db.Clock.Now()
		db.Clock.Advance(10 * time.Minute)
		seen = nil
		right, _, err := s.TakeLoginAttempt(ctx, []string{addr}, time.Hour, func(int, int, time.Time) time.Duration { return 0 })
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ReleaseLoginAttempt(ctx, right); err != nil {
			t.Fatal(err)
		}
		if n, last, _ := s.LoginFailures(ctx, addr); n != 4 || !last.Equal(failedAt) {
			t.Errorf("after a right attempt: %d failures, the last at %v, want 4 at %v", n, last, failedAt)
		}
		if err := s.ResetLoginFailures(ctx, acct); err != nil {
			t.Fatal(err)
		}
		if n, _, _ := s.LoginFailures(ctx, acct); n != 0 {
			t.Errorf("after reset: %d", n)
		}
		if n, _, _ := s.LoginFailures(ctx, addr); n != 4 {
			t.Errorf("the address counter was reset too: %d", n)
		}
		// An hour later the counter starts over.
		db.Clock.Advance(time.Hour + time.Second)
		seen = nil
		take(addr)
		if len(seen) != 0 {
			t.Errorf("an old counter was shown to the policy: %v", seen)
		}
		if n, _, _ := s.LoginFailures(ctx, addr); n != 1 {
			t.Errorf("an hour later the counter is %d, want 1", n)
		}
	})
}

// TestAuthenticateTouchesSparingly (AC-07, issue #6): a request moves its
// session's last-seen time only when it is at least a sixtieth of the idle
// limit old, so most requests write nothing; the idle limit still holds
// from the stored time, so a session never outlives it.
func TestAuthenticateTouchesSparingly(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := db.Store
		c := storetest.SeedClinic(t, s, "Touch")
		policy := care.DefaultSessionPolicy()
		h := hash(care.NewID())
		sess := &care.Session{UserID: c.Provider.ID, Kind: "api", Stage: care.StageFull, Device: "test"}
		if err := s.CreateSession(ctx, sess, h); err != nil {
			t.Fatal(err)
		}
		created := db.Clock.Now().UTC().Truncate(time.Microsecond)
		lastSeen := func() time.Time {
			t.Helper()
			var us int64
			if err := db.Engine.SQLDB().QueryRow(`SELECT last_seen_at FROM sessions WHERE token_hash = $1`, h).Scan(&us); err != nil {
				t.Fatal(err)
			}
			return time.UnixMicro(us).UTC()
		}
		step := policy.StaffIdle / 60
		db.Clock.Advance(step - time.Second)
		actor, got, err := s.Authenticate(ctx, h, policy, true)
		if err != nil || actor.UserID != c.Provider.ID || got.ID != sess.ID {
			t.Fatalf("authenticate: %v, %+v", err, actor)
		}
		if seen := lastSeen(); !seen.Equal(created) {
			t.Errorf("touched after %v: last seen %v, want %v", step-time.Second, seen, created)
		}
		db.Clock.Advance(time.Second)
		if _, got, err = s.Authenticate(ctx, h, policy, true); err != nil {
			t.Fatal(err)
		}
		now := db.Clock.Now().UTC().Truncate(time.Microsecond)
		if seen := lastSeen(); !seen.Equal(now) || !got.LastSeenAt.Equal(now) {
			t.Errorf("not touched after %v: stored %v, returned %v, want %v", step, seen, got.LastSeenAt, now)
		}
		// Without touch, nothing moves however old.
		db.Clock.Advance(10 * time.Minute)
		if _, _, err := s.Authenticate(ctx, h, policy, false); err != nil {
			t.Fatal(err)
		}
		if seen := lastSeen(); !seen.Equal(now) {
			t.Errorf("touched without touch: %v", seen)
		}
		// A request just under the step does not extend the session: the
		// idle limit counts from the stored time.
		if _, _, err := s.Authenticate(ctx, h, policy, true); err != nil { // touches: 10 minutes
			t.Fatal(err)
		}
		db.Clock.Advance(step - time.Second)
		if _, _, err := s.Authenticate(ctx, h, policy, true); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(policy.StaffIdle - step + 2*time.Second)
		if _, _, err := s.Authenticate(ctx, h, policy, true); care.ErrorCode(err) != care.Unauthenticated {
			t.Errorf("past the idle limit from the stored time: got %v, want unauthenticated", err)
		}
		if n := countRows(t, db, "sessions"); n != 0 {
			t.Errorf("%d ended sessions remain", n)
		}
	})
}
