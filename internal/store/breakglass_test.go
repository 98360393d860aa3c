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

// bgEvent is the part of an audit row that break-glass tests check.
type bgEvent struct {
	action, outcome, actor, client, purpose, reason string
}

// lastEvent is the clinic's newest audit row.
func lastEvent(t *testing.T, db *storetest.DB, clinicID string) bgEvent {
	t.Helper()
	var e bgEvent
	err := db.Engine.SQLDB().QueryRow(`SELECT action, outcome, actor_id, client_id, purpose, reason
		FROM audit_events WHERE clinic_id = $1 ORDER BY id DESC LIMIT 1`, clinicID).
		Scan(&e.action, &e.outcome, &e.actor, &e.client, &e.purpose, &e.reason)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// tableHolds reports whether any text column of any row of table holds s.
func tableHolds(t *testing.T, db *storetest.DB, table, s string) bool {
	t.Helper()
	rows, err := db.Engine.SQLDB().Query(`SELECT * FROM ` + table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			switch v := v.(type) {
			case string:
				if strings.Contains(v, s) {
					return true
				}
			case []byte:
				if strings.Contains(string(v), s) {
					return true
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return false
}

// bgReason is a reason with health details in it, as admins may write:
// it must never reach the audit trail or a notice.
const bgReason = "Provider on leave; client reported suicidal thoughts by phone, on-call needs the safety plan"

// TestBreakGlass (AC-06): no access without a grant; a grant opens one
// client's record to one admin for 60 minutes, every read through it is
// audited as break-glass with the grant's id and never the reason, and the
// care team and the other admins are told.
func TestBreakGlass(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := db.Store
		c := storetest.SeedClinic(t, s, "Glass")
		far := storetest.SeedClinic(t, s, "Far Glass")
		admin := c.Actor(c.Admin)
		second := care.User{ClinicID: c.Clinic.ID, Role: care.RoleAdmin, Email: "second-admin@glass.test", DisplayName: "Second Admin"}
		if err := s.CreateUser(ctx, &second); err != nil {
			t.Fatal(err)
		}

		// (1) Without a grant: 404, recorded as a refused break-glass read.
		if _, err := s.Client(ctx, admin, c.Client.ID); !errors.Is(err, care.ErrNotFound) {
			t.Fatalf("admin without a grant: %v, want not found", err)
		}
		if got := lastEvent(t, db, c.Clinic.ID); got.action != "client.read" || got.outcome != "denied" || got.purpose != care.PurposeBreakGlass {
			t.Errorf("refused read: audit %+v", got)
		}

		// (5) A reason is required, 10 to 500 characters.
		for _, reason := range []string{"", "   ", "too short", strings.Repeat("x", 501)} {
			_, err := s.StartBreakGlass(ctx, admin, c.Client.ID, reason)
			var e *care.Error
			if !errors.As(err, &e) || e.Code != care.Invalid || e.Field != "reason" {
				t.Errorf("reason %.20q: %v, want invalid reason", reason, err)
			}
		}

		// Only admins, only active clients of their clinic.
		for _, tc := range []struct {
			name   string
			actor  care.Actor
			client string
		}{
			{"a provider", c.Actor(c.Provider), c.OtherClient.ID},
			{"a client", c.Actor(c.Client), c.OtherClient.ID},
			{"another clinic's client", admin, far.Client.ID},
			{"another clinic's admin", far.Actor(far.Admin), c.Client.ID},
			{"a provider's id", admin, c.Provider.ID},
			{"a missing id", admin, care.NewID()},
		} {
			if _, err := s.StartBreakGlass(ctx, tc.actor, tc.client, bgReason); !errors.Is(err, care.ErrNotFound) || !store.Audited(err) {
				t.Errorf("%s: %v, want not found (audited)", tc.name, err)
			}
		}

		start := db.Clock.Now()
		g, err := s.StartBreakGlass(ctx, admin, c.Client.ID, "  "+bgReason+"\n")
		if err != nil {
			t.Fatal(err)
		}
		if !g.ExpiresAt.Equal(start.Add(60*time.Minute)) || g.ClientID != c.Client.ID || g.AdminID != c.Admin.ID {
			t.Errorf("grant %+v, want 60 minutes from %v", g, start)
		}
		want := bgEvent{"break-glass.start", "success", c.Admin.ID, c.Client.ID, care.PurposeBreakGlass, "grant:" + g.ID}
		if got := lastEvent(t, db, c.Clinic.ID); got != want {
			t.Errorf("start: audit %+v, want %+v", got, want)
		}
		if _, err := s.StartBreakGlass(ctx, admin, c.Client.ID, bgReason); care.ErrorCode(err) != care.Conflict {
			t.Errorf("a second grant for the same client: %v, want conflict", err)
		}

		// (3) With the grant the admin reads the client, audited as
		// break-glass under the grant's id.
		u, err := s.Client(ctx, admin, c.Client.ID)
		if err != nil || u.ID != c.Client.ID {
			t.Fatalf("admin with a grant: %v, %v", u, err)
		}
		want = bgEvent{"client.read", "success", c.Admin.ID, c.Client.ID, care.PurposeBreakGlass, "grant:" + g.ID}
		if got := lastEvent(t, db, c.Clinic.ID); got != want {
			t.Errorf("read under the grant: audit %+v, want %+v", got, want)
		}
		// One client, one admin.
		if _, err := s.Client(ctx, admin, c.OtherClient.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("another client under the grant: %v", err)
		}
		if _, err := s.Client(ctx, c.Actor(second), c.Client.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("another admin under the grant: %v", err)
		}
		if list, err := s.Caseload(ctx, c.Actor(c.Provider)); err != nil || len(list) != 1 {
			t.Errorf("the provider's caseload: %v, %v", list, err)
		}
		active, err := s.ActiveBreakGlass(ctx, admin)
		if err != nil || len(active) != 1 || active[0].ID != g.ID {
			t.Errorf("active grants: %+v, %v", active, err)
		}

		// The reason lives in the grant only: not in the audit trail, not
		// in a notice.
		for _, table := range []string{"audit_events", "notices"} {
			if tableHolds(t, db, table, "suicidal") {
				t.Errorf("%s holds the reason's text", table)
			}
		}

		// Notices: the client's care team and the other admins; not the
		// admin who opened it, another team's provider, or the client.
		for _, tc := range []struct {
			who  care.User
			want int
		}{
			{c.Provider, 1}, {second, 1}, {c.Admin, 0}, {c.OtherProvider, 0}, {c.Client, 0}, {far.Admin, 0},
		} {
			ns, err := s.Notices(ctx, c.Actor(tc.who))
			if err != nil {
				t.Fatal(err)
			}
			if len(ns) != tc.want {
				t.Errorf("%s has %d notices, want %d", tc.who.Email, len(ns), tc.want)
				continue
			}
			if tc.want == 1 && (ns[0].Grant.ID != g.ID || ns[0].Kind != store.NoticeBreakGlass || ns[0].AdminName != "admin") {
				t.Errorf("%s's notice: %+v", tc.who.Email, ns[0])
			}
		}

		// The review: the reason and what was done, for those notified.
		rv, err := s.BreakGlassReview(ctx, c.Actor(c.Provider), g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rv.Reason != bgReason || rv.NoticeID == "" || len(rv.Events) != 2 ||
			rv.Events[0].Action != "break-glass.start" || rv.Events[1].Action != "client.read" {
			t.Errorf("review: %+v", rv)
		}
		if _, err := s.BreakGlassReview(ctx, c.Actor(c.OtherProvider), g.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("another team's provider reviewing: %v", err)
		}
		if _, err := s.BreakGlassReview(ctx, far.Actor(far.Admin), g.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("another clinic's admin reviewing: %v", err)
		}
		if err := s.MarkNoticeRead(ctx, c.Actor(c.OtherProvider), rv.NoticeID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("marking another's notice read: %v", err)
		}
		for range 2 { // the second time changes nothing
			if err := s.MarkNoticeRead(ctx, c.Actor(c.Provider), rv.NoticeID); err != nil {
				t.Fatal(err)
			}
		}
		if ns, _ := s.Notices(ctx, c.Actor(c.Provider)); len(ns) != 0 {
			t.Errorf("notices after reading: %+v", ns)
		}

		// (4) At t+61 minutes the grant is over: 404 again.
		db.Clock.Advance(59 * time.Minute)
		if _, err := s.Client(ctx, admin, c.Client.ID); err != nil {
			t.Errorf("at t+59m: %v", err)
		}
		db.Clock.Advance(2 * time.Minute)
		if _, err := s.Client(ctx, admin, c.Client.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("at t+61m: %v, want not found", err)
		}
		if got := lastEvent(t, db, c.Clinic.ID); got.outcome != "denied" || got.reason != "" || got.purpose != care.PurposeBreakGlass {
			t.Errorf("read after expiry: audit %+v", got)
		}
		if active, _ := s.ActiveBreakGlass(ctx, admin); len(active) != 0 {
			t.Errorf("active grants after expiry: %+v", active)
		}

		// Ending early: the holder or another admin of the clinic; nobody
		// else.
		g2, err := s.StartBreakGlass(ctx, admin, c.OtherClient.ID, bgReason)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.EndBreakGlass(ctx, c.Actor(c.Provider), g2.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("a provider ending a grant: %v", err)
		}
		if err := s.EndBreakGlass(ctx, far.Actor(far.Admin), g2.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("another clinic's admin ending a grant: %v", err)
		}
		if _, err := s.Client(ctx, admin, c.OtherClient.ID); err != nil {
			t.Fatalf("under the second grant: %v", err)
		}
		if err := s.EndBreakGlass(ctx, c.Actor(second), g2.ID); err != nil {
			t.Fatal(err)
		}
		want = bgEvent{"break-glass.end", "success", second.ID, c.OtherClient.ID, care.PurposeBreakGlass, "grant:" + g2.ID}
		if got := lastEvent(t, db, c.Clinic.ID); got != want {
			t.Errorf("end: audit %+v, want %+v", got, want)
		}
		if _, err := s.Client(ctx, admin, c.OtherClient.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("after the grant was ended: %v", err)
		}
		if err := s.EndBreakGlass(ctx, admin, g2.ID); err != nil {
			t.Errorf("ending an ended grant: %v", err)
		}
	})
}

// TestBreakGlassCandidates: an admin chooses among the clinic's active
// clients by id and join date; nobody else lists them.
func TestBreakGlassCandidates(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Pick")
		storetest.SeedClinic(t, db.Store, "Pick Far")
		list, err := db.Store.BreakGlassCandidates(ctx, c.Actor(c.Admin))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, r := range list {
			got[r.ID] = true
		}
		if len(list) != 2 || !got[c.Client.ID] || !got[c.OtherClient.ID] {
			t.Errorf("candidates %+v, want the clinic's two clients", list)
		}
		if _, err := db.Store.BreakGlassCandidates(ctx, c.Actor(c.Provider)); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("a provider listing candidates: %v", err)
		}
	})
}
