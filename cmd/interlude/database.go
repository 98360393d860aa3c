package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"interlude/internal/seal"
	"interlude/internal/store"
	"interlude/internal/store/postgres"
	"interlude/internal/store/sqlite"
)

// dbFlags are the flags of every subcommand that touches the data.
type dbFlags struct {
	data        string
	databaseURL string
	keyFile     string
}

func (f *dbFlags) register(fs *flag.FlagSet, e *env) {
	fs.StringVar(&f.data, "data", envOr(e, "INTERLUDE_DATA", "./interlude-data"),
		"folder for the embedded SQLite database and local keys (env INTERLUDE_DATA)")
	fs.StringVar(&f.databaseURL, "database-url", envOr(e, "INTERLUDE_DATABASE_URL", ""),
		"postgres://… to use PostgreSQL instead of SQLite (env INTERLUDE_DATABASE_URL)")
	fs.StringVar(&f.keyFile, "master-key-file", envOr(e, "INTERLUDE_MASTER_KEY_FILE", ""),
		"the master key file, kept apart from the database and its backups (env INTERLUDE_MASTER_KEY_FILE; default DATA/master.key)")
}

// keyringPath is where the master keys are.
func (f *dbFlags) keyringPath() string {
	if f.keyFile != "" {
		return f.keyFile
	}
	return filepath.Join(f.data, "master.key")
}

// openStore opens the database, applies its migrations and loads the
// master keys, creating them with a warning on stderr on first use.
func (f *dbFlags) openStore(ctx context.Context, e *env) (*store.Store, migrator, int, error) {
	eng, applied, err := f.open(ctx)
	if err != nil {
		return nil, nil, 0, err
	}
	if f.keyFile == "" {
		if err := os.MkdirAll(f.data, 0o700); err != nil {
			return nil, nil, 0, errors.Join(fmt.Errorf("data folder: %w", err), eng.Close())
		}
	}
	kr, created, err := seal.LoadOrCreate(f.keyringPath())
	if err != nil {
		return nil, nil, 0, errors.Join(err, eng.Close())
	}
	if created {
		//nolint:errcheck // a notice on stderr: if stderr cannot be written there is no one left to tell, and the key is made either way
		fmt.Fprintf(e.stderr, "interlude: created a new master key in %s. Keep a copy of it apart from the database and its backups: without it the data cannot be read (set INTERLUDE_MASTER_KEY_FILE to keep it elsewhere).\n", f.keyringPath())
	}
	return store.New(eng, kr, time.Now), eng, applied, nil
}

// migrator is an engine that can bring its schema up to date.
type migrator interface {
	store.Engine
	Migrate(ctx context.Context) (int, error)
}

// open opens the configured engine and applies its migrations; it says how
// many it applied.
func (f *dbFlags) open(ctx context.Context) (migrator, int, error) {
	var eng migrator
	switch {
	case f.databaseURL == "":
		if err := os.MkdirAll(f.data, 0o700); err != nil {
			return nil, 0, fmt.Errorf("data folder: %w", err)
		}
		db, err := sqlite.Open(ctx, filepath.Join(f.data, "interlude.db"))
		if err != nil {
			return nil, 0, err
		}
		eng = db
	case strings.HasPrefix(f.databaseURL, "postgres://"), strings.HasPrefix(f.databaseURL, "postgresql://"):
		db, err := postgres.Open(ctx, f.databaseURL)
		if err != nil {
			return nil, 0, err
		}
		eng = db
	default:
		return nil, 0, fmt.Errorf("--database-url must start with postgres:// (leave it empty for the embedded SQLite database)")
	}
	n, err := eng.Migrate(ctx)
	if err != nil {
		return nil, 0, errors.Join(fmt.Errorf("migrating the %s database: %w", eng.Name(), err), eng.Close())
	}
	return eng, n, nil
}
