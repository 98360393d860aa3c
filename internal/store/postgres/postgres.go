// Package postgres is the PostgreSQL engine of the store, through pgx. It is
// the only package that imports pgx.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"interlude/internal/store/schema"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock keeps two instances that start together from migrating at
// the same time; the number is arbitrary but fixed.
const migrationLock = `SELECT pg_advisory_xact_lock(7462018811)`

// DB is a PostgreSQL database opened for Interlude.
type DB struct {
	db  *sql.DB
	cfg *pgx.ConnConfig // for connections apart from the pool (Listen)

	listenCtx     context.Context // ends at Close
	stopListening context.CancelFunc
	listenersDone sync.WaitGroup

	mu        sync.RWMutex // guards closed against Write
	closed    bool
	writes    chan *writeReq
	closing   chan struct{}
	loopsDone sync.WaitGroup

	appendsMu sync.Mutex
	appends   map[*sql.Tx]*appended // the rows appended in each open write transaction
}

// Open connects to the PostgreSQL database at url (postgres://…) and checks
// that it answers within 10 seconds.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: the database URL is malformed: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(50)
	db.SetMaxIdleConns(50)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		return nil, errors.Join(fmt.Errorf("postgres: cannot reach %s:%d: %s", cfg.Host, cfg.Port, connectCause(err)), db.Close())
	}
	if err := checkDurability(ctx, db); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	d := &DB{db: db, cfg: cfg}
	d.listenCtx, d.stopListening = context.WithCancel(context.Background())
	d.startLoops()
	return d, nil
}

// checkDurability refuses a server that could lose acknowledged commits
// (AV-05): fsync, synchronous_commit and full_page_writes must be on. Data
// checksums cannot be turned on without re-initialising the cluster, so
// their absence is reported by DataChecksums rather than refused.
func checkDurability(ctx context.Context, db *sql.DB) error {
	for _, name := range []string{"fsync", "synchronous_commit", "full_page_writes"} {
		var v string
		if err := db.QueryRowContext(ctx, `SELECT current_setting($1)`, name).Scan(&v); err != nil {
			return fmt.Errorf("postgres: reading %s: %w", name, err)
		}
		// synchronous_commit may also be local, remote_write or
		// remote_apply: all of them flush the local WAL before answering.
		if v == "off" {
			return fmt.Errorf("postgres: %s is %q; Interlude needs it on so that no acknowledged write is lost", name, v)
		}
	}
	return nil
}

// DataChecksums reports whether the cluster checksums its data pages.
func (db *DB) DataChecksums(ctx context.Context) (bool, error) {
	var v string
	err := db.db.QueryRowContext(ctx, `SELECT current_setting('data_checksums')`).Scan(&v)
	return v == "on", err
}

// Name returns "postgres".
func (db *DB) Name() string { return "postgres" }

// Migrate applies the embedded migrations that the database lacks.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	return schema.Apply(ctx, db.db, ms, migrationLock)
}

func migrations() ([]schema.Migration, error) {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	return schema.Load(sub)
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.db.PingContext(ctx) }

// Read runs fn in a read-only transaction that sees one snapshot.
func (db *DB) Read(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// SQLDB returns the connection pool, for benchmarks that compare a bare
// insert with the store's write path.
func (db *DB) SQLDB() *sql.DB { return db.db }

// Close finishes the queued writes, stops listening and closes the
// connections.
func (db *DB) Close() error {
	db.mu.Lock()
	if !db.closed {
		db.closed = true
		close(db.closing)
	}
	db.mu.Unlock()
	db.stopListening()
	db.loopsDone.Wait()
	db.listenersDone.Wait()
	return db.db.Close()
}

// connectCause says in one line why connecting failed: pgx joins one error
// per attempt (sslmode=prefer tries twice; a name may resolve to several
// addresses).
func connectCause(err error) string {
	if u := errors.Unwrap(err); u != nil {
		err = u
	}
	var causes []string
	for _, line := range strings.Split(err.Error(), "\n") {
		if line = strings.TrimSpace(line); line != "" && !slices.Contains(causes, line) {
			causes = append(causes, line)
		}
	}
	return strings.Join(causes, "; ")
}
