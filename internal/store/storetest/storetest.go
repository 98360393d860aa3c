// Package storetest runs storage tests on every configured engine: SQLite
// always, PostgreSQL when INTERLUDE_TEST_POSTGRES_URL is set. Each test gets
// a database of its own (a new SQLite file, a new PostgreSQL schema). When
// the variable is set and PostgreSQL cannot be reached, tests fail rather
// than skip, so CI never passes without having run them.
package storetest

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"interlude/internal/seal"
	"interlude/internal/store"
	"interlude/internal/store/postgres"
	"interlude/internal/store/sqlite"
)

// PostgresEnv names the environment variable with the PostgreSQL URL for
// tests.
const PostgresEnv = "INTERLUDE_TEST_POSTGRES_URL"

// Engine is an engine opened and migrated for one test.
type Engine interface {
	store.Engine
	SQLDB() *sql.DB
}

// DB is one test's database.
type DB struct {
	Name        string // "sqlite" or "postgres"
	Engine      Engine
	Store       *store.Store
	DataDir     string        // SQLite: the folder that holds the file
	DatabaseURL string        // PostgreSQL: a URL whose search_path is the test's schema
	Clock       *Clock        // the store's clock; starts at the real time
	Keyring     *seal.Keyring // the master keys the store seals with
	KeyringFile string        // the file they were loaded from
}

// Clock is a settable clock for tests: it stands still until moved.
type Clock struct {
	mu   sync.Mutex
	now  time.Time
	tick time.Duration
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time, and then moves it on by the tick (Tick).
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now
	c.now = c.now.Add(c.tick)
	return now
}

// Tick makes every reading of the clock move it on by d afterwards (0:
// stand still again): a seeding that writes one row after another then
// gives each its own time, and the same times on every run, so that
// what is ordered by time comes in the same order.
func (c *Clock) Tick(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick = d
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Run runs fn once per configured engine, as subtests named after the
// engine, each with a fresh migrated database.
func Run(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Helper()
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			fn(t, Open(t, name))
		})
	}
}

// Open opens a fresh migrated database on the named engine, closed when the
// test ends. On "postgres" without INTERLUDE_TEST_POSTGRES_URL it skips the
// test.
func Open(t testing.TB, name string) *DB {
	t.Helper()
	ctx := context.Background()
	db := &DB{Name: name}
	switch name {
	case "sqlite":
		db.DataDir = t.TempDir()
		e, err := sqlite.Open(ctx, filepath.Join(db.DataDir, "interlude.db"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		db.Engine = e
	case "postgres":
		db.DatabaseURL = PostgresSchema(t)
		e, err := postgres.Open(ctx, db.DatabaseURL)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		db.Engine = e
	default:
		t.Fatalf("unknown engine %q", name)
	}
	db.Clock = NewClock(time.Now().UTC().Truncate(time.Second))
	db.KeyringFile = filepath.Join(t.TempDir(), "master.key")
	kr, _, err := seal.LoadOrCreate(db.KeyringFile)
	if err != nil {
		t.Fatal(err)
	}
	db.Keyring = kr
	db.Store = store.New(db.Engine, kr, db.Clock.Now)
	t.Cleanup(func() { db.Engine.Close() })
	return db
}

// PostgresSchema creates an empty schema for this test in the database at
// INTERLUDE_TEST_POSTGRES_URL and returns a URL that uses it; the schema is
// dropped when the test ends. Without the variable the test is skipped;
// with it and no server, the test fails.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL tests skipped: set %s (CI does)", PostgresEnv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	u, drop, err := postgres.NewSchema(ctx, base, "test_")
	if err != nil {
		t.Fatalf("%s is set but PostgreSQL is not usable: %v", PostgresEnv, err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("dropping the test schema: %v", err)
		}
	})
	return u
}
