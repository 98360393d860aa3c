package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestDataKeyOfRolledBackWrite (EN-01, EN-05): a write that creates an
// owner's data key and then rolls back leaves no key behind, in the
// database or in memory. A later write seals under a key that is stored,
// so a new process (a fresh Store over the same database) still reads it.
func TestDataKeyOfRolledBackWrite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		c := storetest.SeedClinic(t, db.Store, "Rollback")
		ctx := context.Background()
		owner := care.NewID()
		fail := errors.New("the write fails after sealing")
		if _, err := db.Store.SealInWrite(ctx, c.Clinic.ID, owner, []byte("first"), fail); !errors.Is(err, fail) {
			t.Fatalf("failing write: %v", err)
		}
		var n int
		if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM data_keys WHERE owner_id = $1`, owner).Scan(&n); err != nil || n != 0 {
			t.Fatalf("data keys of the owner after the rollback: %d %v", n, err)
		}
		sealed, err := db.Store.SealInWrite(ctx, c.Clinic.ID, owner, []byte("second"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := db.Store.OpenInRead(ctx, c.Clinic.ID, owner, sealed); err != nil || string(v) != "second" {
			t.Fatalf("same process: %q %v", v, err)
		}
		fresh := store.New(db.Engine, db.Keyring, db.Clock.Now)
		if v, err := fresh.OpenInRead(ctx, c.Clinic.ID, owner, sealed); err != nil || string(v) != "second" {
			t.Fatalf("after a restart: %q %v", v, err)
		}
	})
}

// TestDataKeyConcurrentFirstWrites (EN-01): concurrent first writes for
// one owner, each creating its data key, all succeed, and everything they
// sealed reads back, in this process and after a restart.
func TestDataKeyConcurrentFirstWrites(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		c := storetest.SeedClinic(t, db.Store, "Concurrent")
		ctx := context.Background()
		for round := range 5 {
			owner := care.NewID()
			const writers = 8
			sealed := make([][]byte, writers)
			errs := make([]error, writers)
			var wg sync.WaitGroup
			for i := range writers {
				wg.Go(func() {
					sealed[i], errs[i] = db.Store.SealInWrite(ctx, c.Clinic.ID, owner, fmt.Appendf(nil, "value %d", i), nil)
				})
			}
			wg.Wait()
			fresh := store.New(db.Engine, db.Keyring, db.Clock.Now)
			for i := range writers {
				if errs[i] != nil {
					t.Fatalf("round %d, write %d: %v", round, i, errs[i])
				}
				want := fmt.Sprintf("value %d", i)
				for _, s := range []*store.Store{db.Store, fresh} {
					if v, err := s.OpenInRead(ctx, c.Clinic.ID, owner, sealed[i]); err != nil || string(v) != want {
						t.Fatalf("round %d, write %d: %q %v", round, i, v, err)
					}
				}
			}
		}
	})
}
