package storetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"interlude/internal/seal"
	"interlude/internal/store"
	"interlude/internal/store/sqlite"
)

// Template is an SQLite database that a seed function fills once per test
// binary, at the first test that asks for it; each test then works on a
// copy of its file and master keys (Open), so that a fixture that takes
// long to write (the demo clinic) is written once and no test sees
// another's changes. A package whose tests use templates removes them
// with RemoveTemplates in its TestMain.
type Template[T any] struct {
	seed func(db *DB) (T, error)

	once  sync.Once
	dir   string
	value T
	err   error
}

// NewTemplate returns a template that seed fills: seed gets a fresh
// migrated database whose clock is the real time, and its result is
// handed to every test with its copy.
func NewTemplate[T any](seed func(db *DB) (T, error)) *Template[T] {
	return &Template[T]{seed: seed}
}

// templateDirs are the folders of the templates made by this binary.
var templateDirs struct {
	mu   sync.Mutex
	dirs []string
}

// RemoveTemplates removes the files of every template this test binary
// made. TestMain calls it after the tests.
func RemoveTemplates() {
	templateDirs.mu.Lock()
	defer templateDirs.mu.Unlock()
	for _, d := range templateDirs.dirs {
		if err := os.RemoveAll(d); err != nil {
			fmt.Fprintf(os.Stderr, "storetest: removing a template: %v\n", err)
		}
	}
	templateDirs.dirs = nil
}

func (tp *Template[T]) make() {
	tmpl, err := sqliteTemplate()
	if err != nil {
		tp.err = err
		return
	}
	if tp.dir, tp.err = os.MkdirTemp("", "interlude-template-"); tp.err != nil {
		return
	}
	templateDirs.mu.Lock()
	templateDirs.dirs = append(templateDirs.dirs, tp.dir)
	templateDirs.mu.Unlock()
	work := filepath.Join(tp.dir, "work")
	if tp.err = os.Mkdir(work, 0o700); tp.err != nil {
		return
	}
	db := &DB{Name: "sqlite", DataDir: work, KeyringFile: filepath.Join(tp.dir, "master.key")}
	if tp.err = copyFile(tmpl, filepath.Join(work, "interlude.db")); tp.err != nil {
		return
	}
	ctx := context.Background()
	e, err := sqlite.Open(ctx, filepath.Join(work, "interlude.db"))
	if err != nil {
		tp.err = err
		return
	}
	defer func() { tp.err = errors.Join(tp.err, e.Close()) }()
	db.Engine = e
	if db.Keyring, _, tp.err = seal.LoadOrCreate(db.KeyringFile); tp.err != nil {
		return
	}
	db.Clock = NewClock(time.Now().UTC().Truncate(time.Second))
	db.Store = store.New(e, db.Keyring, time.Now)
	if tp.value, tp.err = tp.seed(db); tp.err != nil {
		return
	}
	tp.err = e.Snapshot(ctx, filepath.Join(tp.dir, "interlude.db"))
}

// Open gives the test a copy of the template's database and master keys,
// closed when the test ends, and what the seed returned. The store's
// clock is db.Clock, set to the real time.
func (tp *Template[T]) Open(t testing.TB) (*DB, T) {
	t.Helper()
	Need(t, "sqlite")
	tp.once.Do(tp.make)
	if tp.err != nil {
		t.Fatalf("making the template: %v", tp.err)
	}
	db := &DB{Name: "sqlite", DataDir: t.TempDir()}
	db.openSQLite(t, filepath.Join(tp.dir, "interlude.db"))
	db.KeyringFile = filepath.Join(t.TempDir(), "master.key")
	if err := copyFile(filepath.Join(tp.dir, "master.key"), db.KeyringFile); err != nil {
		t.Fatal(err)
	}
	kr, _, err := seal.LoadOrCreate(db.KeyringFile)
	if err != nil {
		t.Fatal(err)
	}
	db.Keyring = kr
	db.Clock = NewClock(time.Now().UTC().Truncate(time.Second))
	db.Store = store.New(db.Engine, kr, db.Clock.Now)
	t.Cleanup(func() { closeEngine(t, db.Engine) })
	return db, tp.value
}
