// Package storetest runs storage tests on every configured engine: SQLite
// always, PostgreSQL when INTERLUDE_TEST_POSTGRES_URL is set. Each test gets
// a database of its own (a new SQLite file, a new PostgreSQL schema). When
// the variable is set and PostgreSQL cannot be reached, tests fail rather
// than skip, so CI never passes without having run them.
package storetest

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
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

// EnginesEnv names the environment variable that selects the engines of
// Run and Open: "sqlite", "postgres", or both (empty, or "sqlite,postgres").
// scripts/test.sh runs the SQLite halves in a pass without -race and the
// PostgreSQL halves in a pass with it (README, "Tests").
const EnginesEnv = "INTERLUDE_TEST_ENGINES"

// Enabled reports whether EnginesEnv lets tests use the named engine.
func Enabled(name string) bool {
	v := os.Getenv(EnginesEnv)
	if v == "" {
		return true
	}
	for e := range strings.SplitSeq(v, ",") {
		if strings.TrimSpace(e) == name {
			return true
		}
	}
	return false
}

// Engines returns the engines that EnginesEnv lets tests use, SQLite
// first.
func Engines() []string {
	var out []string
	for _, name := range []string{"sqlite", "postgres"} {
		if Enabled(name) {
			out = append(out, name)
		}
	}
	return out
}

// Need skips the test when EnginesEnv leaves the named engine out: a test
// that runs on one engine only, without opening it through Open (the real
// binary on a data folder, say), runs in that engine's pass.
func Need(t testing.TB, name string) {
	t.Helper()
	if !Enabled(name) {
		t.Skipf("the %s half runs in the other pass of scripts/test.sh (%s=%s)", name, EnginesEnv, os.Getenv(EnginesEnv))
	}
}

// Run runs fn once per configured engine, as subtests named after the
// engine, each with a fresh migrated database. An engine that EnginesEnv
// leaves out has no subtest: it runs in the other pass of scripts/test.sh.
func Run(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Helper()
	for _, name := range Engines() {
		t.Run(name, func(t *testing.T) {
			fn(t, Open(t, name))
		})
	}
}

// Open opens a fresh migrated database on the named engine, closed when the
// test ends: a copy of a template migrated once (SQLite), or a schema made
// migrated in one round trip (PostgreSQL), so that no test pays for the
// migrations one by one. On "postgres" without INTERLUDE_TEST_POSTGRES_URL
// it skips the test, and so it does on an engine that EnginesEnv leaves out.
func Open(t testing.TB, name string) *DB {
	t.Helper()
	Need(t, name)
	db := &DB{Name: name}
	switch name {
	case "sqlite":
		db.DataDir = t.TempDir()
		tmpl, err := sqliteTemplate()
		if err != nil {
			t.Fatal(err)
		}
		db.openSQLite(t, tmpl)
	case "postgres":
		db.DatabaseURL = PostgresMigratedSchema(t)
		e, err := postgres.Open(context.Background(), db.DatabaseURL)
		if err != nil {
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
	t.Cleanup(func() { closeEngine(t, db.Engine) })
	return db
}

// closeEngine closes a test's engine when the test ends; closing twice is
// harmless, for tests that close it themselves.
func closeEngine(t testing.TB, e store.Engine) {
	if err := e.Close(); err != nil {
		t.Errorf("closing the %s database: %v", e.Name(), err)
	}
}

// openSQLite opens a copy of the database file tmpl as db's engine.
func (db *DB) openSQLite(t testing.TB, tmpl string) {
	t.Helper()
	path := filepath.Join(db.DataDir, "interlude.db")
	if err := copyFile(tmpl, path); err != nil {
		t.Fatal(err)
	}
	e, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.Engine = e
}

// sqliteTemplate returns the path of an SQLite database that holds every
// migration and nothing else. It is made once per set of migrations and
// kept in the system's temporary folder under their digest, so that test
// binaries, and later runs, share it; it is written beside and renamed
// into place, so that a reader never sees half of one.
var sqliteTemplate = sync.OnceValues(func() (_ string, err error) {
	digest, err := sqlite.MigrationsDigest()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(os.TempDir(), "interlude-storetest")
	path := filepath.Join(dir, "migrated-"+digest[:16]+".db")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	work, err := os.MkdirTemp(dir, "make-")
	if err != nil {
		return "", err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(work)) }()
	ctx := context.Background()
	e, err := sqlite.Open(ctx, filepath.Join(work, "interlude.db"))
	if err != nil {
		return "", err
	}
	defer func() { err = errors.Join(err, e.Close()) }()
	if _, err := e.Migrate(ctx); err != nil {
		return "", err
	}
	snap := filepath.Join(work, "template.db")
	if err := e.Snapshot(ctx, snap); err != nil {
		return "", err
	}
	return path, os.Rename(snap, path)
})

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600) //nolint:gosec // G703: to is a test's own temporary folder, never a request's input
}

// PostgresSchema creates an empty schema for this test in the database at
// INTERLUDE_TEST_POSTGRES_URL and returns a URL that uses it; the schema is
// dropped when the test ends. Without the variable the test is skipped;
// with it and no server, the test fails.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	return postgresSchema(t, "")
}

// PostgresMigratedSchema is PostgresSchema with every migration applied,
// in the one round trip that creates the schema.
func PostgresMigratedSchema(t testing.TB) string {
	t.Helper()
	script, err := postgresScript()
	if err != nil {
		t.Fatal(err)
	}
	return postgresSchema(t, script)
}

var postgresScript = sync.OnceValues(postgres.MigrationScript)

func postgresSchema(t testing.TB, script string) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL tests skipped: set %s (CI does)", PostgresEnv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	u, drop, err := postgres.NewMigratedSchema(ctx, base, "test_", script)
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
