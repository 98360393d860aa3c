package schema_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"interlude/internal/store/schema"
	"interlude/internal/store/storetest"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	good := fstest.MapFS{
		"0002_b.sql": {Data: []byte("B")},
		"0001_a.sql": {Data: []byte("A")},
		"README":     {Data: []byte("ignored")},
	}
	ms, err := schema.Load(good)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Version != 1 || ms[1].SQL != "B" {
		t.Fatalf("got %+v", ms)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"gap":      {"0001_a.sql": {}, "0003_c.sql": {}},
		"no 1":     {"0002_b.sql": {}},
		"bad name": {"first.sql": {}},
		"zero":     {"0000_a.sql": {}},
		"repeated": {"0001_a.sql": {}, "01_b.sql": {}},
	} {
		if _, err := schema.Load(fsys); err == nil {
			t.Errorf("%s: Load accepted %v", name, fsys)
		}
	}
}

// TestApplyRefusesNewerDatabase: a binary must not run on a schema it does
// not know (forward-only migrations: a rollback of the binary is refused,
// not guessed at).
func TestApplyRefusesNewerDatabase(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		sqldb := db.Engine.SQLDB()
		// The engine's own migrations are applied already; a binary that
		// knows none of them must refuse.
		_, err := schema.Apply(ctx, sqldb, nil, "")
		if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
			t.Fatalf("got %v, want a refusal", err)
		}
	})
}
