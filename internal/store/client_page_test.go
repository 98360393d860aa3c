package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestClientPage (#18): Store.ClientPage reads, in one transaction, what
// the separate reads of the client page return, each part the same as
// its own method's; and only the care team may read it.
func TestClientPage(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Client Page")
		storetest.SeedBrief(t, db, c)
		st, provider, id := db.Store, c.Actor(c.Provider), c.Client.ID
		since := db.Clock.Now().Add(-90 * 24 * time.Hour)
		got, err := st.ClientPage(ctx, provider, id, store.ClientPageQuery{Sessions: 20, Versions: 10, Entries: 10, MoodSince: since, CheckIns: 14})
		if err != nil {
			t.Fatal(err)
		}
		must := func(v any, err error) any {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		last, next, err := st.SessionSummary(ctx, provider, id)
		if err != nil {
			t.Fatal(err)
		}
		checkIns, err := st.CheckIns(ctx, provider, id, 14)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := st.Entries(ctx, provider, id, store.EntryQuery{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range []struct {
			name      string
			got, want any
		}{
			{"client", got.Client, must(st.Client(ctx, provider, id))},
			{"plan", got.Plan, must(st.Plan(ctx, provider, id))},
			{"last session", got.Last, last},
			{"next session", got.Next, next},
			{"sessions", got.Sessions, must(st.Appointments(ctx, provider, id, 20))},
			{"tasks", got.Tasks, must(st.Tasks(ctx, provider, id))},
			{"versions", got.Versions, must(st.PlanVersions(ctx, provider, id, 0, 10))},
			{"entries", got.Entries, entries},
			{"moods", got.Moods, must(st.MoodPoints(ctx, provider, id, since))},
			{"measures", got.Measures, must(st.Measures(ctx, provider, id))},
			{"check-ins", got.CheckIns, checkIns},
			{"flags", got.Flags, must(st.ListOpenFlags(ctx, provider, id))},
		} {
			if !reflect.DeepEqual(part.got, part.want) {
				t.Errorf("%s:\n got %+v\nwant %+v", part.name, part.got, part.want)
			}
		}
		if len(got.Entries.Entries) == 0 || len(got.Flags) == 0 || len(got.Sessions) == 0 {
			t.Errorf("the seed's entries, flags or sessions are missing: %d, %d, %d", len(got.Entries.Entries), len(got.Flags), len(got.Sessions))
		}
		for _, e := range got.Entries.Entries {
			if !e.Shared {
				t.Errorf("private entry %s on the care team's page", e.ID)
			}
		}

		// A part left out is not read.
		some, err := st.ClientPage(ctx, provider, id, store.ClientPageQuery{Parts: store.PageSessions | store.PageCheckIns})
		if err != nil {
			t.Fatal(err)
		}
		if some.Plan != nil || some.Tasks != nil || some.Versions != nil || some.Measures != nil || len(some.Entries.Entries) > 0 || some.Moods != nil {
			t.Errorf("parts read that were left out: %+v", some)
		}
		if some.Client == nil || len(some.Sessions) == 0 || len(some.Flags) == 0 || some.CheckIns.CheckIns == nil {
			t.Errorf("parts asked for, or always read, missing: %+v", some)
		}

		// The client themself: forbidden; another team's provider and an
		// admin without a grant: not found, as for a client who does not
		// exist.
		if _, err := st.ClientPage(ctx, c.Actor(c.Client), id, store.ClientPageQuery{}); care.ErrorCode(err) != care.Forbidden {
			t.Errorf("the client reads their client page: %v, want care.Forbidden", err)
		}
		for _, who := range []care.User{c.OtherProvider, c.Admin} {
			if _, err := st.ClientPage(ctx, c.Actor(who), id, store.ClientPageQuery{}); !errors.Is(err, care.ErrNotFound) {
				t.Errorf("%s reads the client page: %v, want care.ErrNotFound", who.Role, err)
			}
		}
	})
}
