package demo

import (
	"context"
	"testing"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestDemoOnCall (issue #7): the demo clinic has an on-call provider, on
// nobody's care team and without a login of their own. Alex's
// flagged PHQ-9 is not escalated while it is young; left unacknowledged
// for the demo's escalation time, it escalates to the on-call provider,
// who then gets its notice and sees that one open flag.
func TestDemoOnCall(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		d, err := Seed(ctx, db.Store, auth.TestParams())
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range d.Logins {
			if l.Email == OnCallEmail {
				t.Errorf("the demo prints a login for the on-call provider (API.md: an admin, a provider, two clients)")
			}
		}
		creds, err := db.Store.CredentialsByEmail(ctx, OnCallEmail)
		if err != nil {
			t.Fatal(err)
		}
		onCall := care.Actor{UserID: creds.User.ID, ClinicID: creds.User.ClinicID, Role: care.RoleProvider}
		set, err := db.Store.SafetySettings(ctx, onCall)
		if err != nil {
			t.Fatal(err)
		}
		if set.OnCallProviderID != onCall.UserID || set.EscalationMinutes != demoEscalationMinutes {
			t.Fatalf("settings %+v, want on-call %s after %d minutes", set, onCall.UserID, demoEscalationMinutes)
		}
		if list, err := db.Store.Caseload(ctx, onCall); err != nil || len(list) != 0 {
			t.Fatalf("the on-call provider's caseload: %d clients, %v; want none", len(list), err)
		}

		escalate := func() (n int) {
			t.Helper()
			js, err := db.Store.ClaimJobs(ctx, "demo-test", []string{store.JobSafetyEscalate}, 10, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range js {
				ok, err := db.Store.EscalateSafetyFlag(ctx, j)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					n++
				}
			}
			return n
		}
		if n := escalate(); n != 0 {
			t.Fatalf("%d flags escalated at once", n)
		}
		db.Clock.Advance(demoEscalationMinutes*time.Minute + time.Second)
		if n := escalate(); n != 1 {
			t.Fatalf("%d flags escalated after %d minutes, want Alex's one", n, demoEscalationMinutes)
		}
		js, err := db.Store.ClaimJobs(ctx, "demo-test", []string{store.JobSafetyEscalated}, 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(js) != 1 || js[0].UserID != onCall.UserID {
			t.Fatalf("escalation notices %+v, want one to the on-call provider", js)
		}
		if err := db.Store.DeliverSafetyNotice(ctx, js[0]); err != nil {
			t.Fatal(err)
		}
		notices, err := db.Store.SafetyNotices(ctx, onCall)
		if err != nil || len(notices) != 1 || !notices[0].Open {
			t.Fatalf("the on-call provider's notices: %+v, %v", notices, err)
		}
		flags, err := db.Store.ListOpenFlags(ctx, onCall, "")
		if err != nil || len(flags) != 1 || flags[0].ID != notices[0].FlagID || flags[0].Kind != care.FlagPHQ9Item9 {
			t.Fatalf("the on-call provider's open flags: %+v, %v", flags, err)
		}
	})
}
