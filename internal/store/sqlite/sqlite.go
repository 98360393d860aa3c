// Package sqlite is the embedded SQLite engine of the store: a pure-Go
// driver, WAL with synchronous=FULL, one writer connection that commits
// concurrent writes together (group commit), and a pool of read-only
// connections. It is the only package that imports the SQLite driver.
package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"

	"interlude/internal/store/schema"

	"modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// maxBatch bounds how many writes share one commit, so that one commit's
// latency stays small under a flood.
const maxBatch = 256

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("sqlite: database is closed")

// DB is an SQLite database file opened for Interlude.
type DB struct {
	path    string
	drv     *sqlite.Driver
	writer  *sql.DB // exactly one connection, owned by the commit loop
	readers *sql.DB // read-only connections

	// mu is held for reading while a write is being queued and for writing
	// while Close marks the database closed, so that no write is queued
	// after the commit loop has drained the queue and stopped.
	mu      sync.RWMutex
	closed  bool
	writes  chan *writeReq
	closing chan struct{} // closed by Close
	stopped chan struct{} // closed by the commit loop when it ends
}

type writeReq struct {
	ctx  context.Context
	fn   func(*sql.Tx) error
	done chan error
}

// dsn builds the connection string. Each pragma is set on every new
// connection:
//   - journal_mode(WAL): readers never block the writer, nor it them.
//   - synchronous(FULL): a commit is on disk when it returns; WAL with NORMAL
//     could lose the last commits on power loss, which health data may not.
//   - foreign_keys(1): SQLite does not enforce them otherwise.
//   - busy_timeout(10000): wait for another process's lock (a migration, a
//     backup) instead of failing at once.
//   - temp_store(MEMORY) on the writer keeps the sub-journals of the
//     savepoints that separate a batch's writes in memory; without it a
//     large batch spills them to a temporary file, a write call per page.
//     They only serve ROLLBACK TO inside a transaction, never recovery.
//   - _txlock=immediate on the writer takes the write lock at BEGIN, so a
//     transaction never fails half-way for want of it.
//   - query_only(1) on readers makes any write through them an error.
func dsn(path string, writer, queryOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	if writer {
		q.Add("_pragma", "temp_store(MEMORY)")
		q.Set("_txlock", "immediate")
	} else if queryOnly {
		q.Add("_pragma", "query_only(1)")
	}
	// In an SQLite URI, ? and # end the path and % starts an escape.
	escaped := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
	return "file:" + escaped + "?" + q.Encode()
}

// Open opens (creating if need be) the SQLite database at path. The folder
// must exist.
func Open(ctx context.Context, path string) (*DB, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("sqlite: %s is a folder, not a database file", path)
	}
	drv, err := registeredDriver()
	if err != nil {
		return nil, err
	}
	writer := sql.OpenDB(connector{drv: drv, dsn: dsn(path, true, false)})
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	if err := writer.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("sqlite: opening %s: %w", path, err), writer.Close())
	}
	if err := checkDurability(ctx, writer); err != nil {
		return nil, errors.Join(err, writer.Close())
	}
	readers := sql.OpenDB(connector{drv: drv, dsn: dsn(path, false, true)})
	n := max(4, runtime.GOMAXPROCS(0))
	readers.SetMaxOpenConns(n)
	readers.SetMaxIdleConns(n)
	db := &DB{
		path:    path,
		drv:     drv,
		writer:  writer,
		readers: readers,
		writes:  make(chan *writeReq, maxBatch),
		closing: make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go db.loop()
	return db, nil
}

// registeredDriver is the driver modernc.org/sqlite registers as "sqlite",
// with whatever is registered on it.
func registeredDriver() (*sqlite.Driver, error) {
	db, err := sql.Open("sqlite", "")
	if err != nil {
		return nil, err
	}
	defer db.Close() //nolint:errcheck // a handle that never connects: it only names the driver
	drv, ok := db.Driver().(*sqlite.Driver)
	if !ok {
		return nil, errors.New("sqlite: the registered driver is not modernc's")
	}
	return drv, nil
}

// Name returns "sqlite".
func (db *DB) Name() string { return "sqlite" }

// Migrate applies the embedded migrations that the database lacks.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	ms, err := schema.Load(mustSub(migrationFiles, "migrations"))
	if err != nil {
		return 0, err
	}
	// Migrations take the writer's only connection from its pool, so the
	// commit loop waits meanwhile; BEGIN IMMEDIATE keeps other processes out.
	return schema.Apply(ctx, db.writer, ms, "")
}

// MigrationsDigest returns a SHA-256 digest of the embedded migrations:
// a database migrated by one binary can stand in for another's when the
// digests agree (tests keep one migrated template per digest).
func MigrationsDigest() (string, error) {
	ms, err := schema.Load(mustSub(migrationFiles, "migrations"))
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range ms {
		fmt.Fprintf(h, "%d %s %d\n%s\n", m.Version, m.Name, len(m.SQL), m.SQL) //nolint:errcheck // a hash.Hash's Write never returns an error
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Snapshot writes a consistent copy of the database to path, a file that
// must not exist yet, while writes go on (VACUUM INTO: one read
// transaction, so the copy is the database as of one commit). The copy is
// a complete database in one file, with no WAL beside it.
//
// It runs on a connection of its own: the readers' query_only forbids
// VACUUM INTO, and on the writer's it would hold up every write.
func (db *DB) Snapshot(ctx context.Context, path string) (err error) {
	c := sql.OpenDB(connector{drv: db.drv, dsn: dsn(db.path, false, false)})
	defer func() { err = errors.Join(err, c.Close()) }()
	if _, err := c.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		return fmt.Errorf("sqlite: snapshot: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.readers.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
}

// Read runs fn in a read-only transaction on one of the reader connections.
func (db *DB) Read(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.readers.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// Write runs fn in the writer's transaction and returns once that
// transaction is committed to disk, or with fn's error once fn's changes are
// rolled back. Writes that arrive while a commit is in progress are run
// together in the next transaction, each in its own savepoint, and share one
// fsync: this is what makes many concurrent durable writes cheap.
//
// Once a write is queued, Write waits for its outcome even if ctx ends
// meanwhile (fn then sees the cancelled ctx), so that a nil error always
// means committed and an error always means not committed. A write
// statement that its ctx interrupts makes SQLite roll back the whole
// transaction: every write of the batch then fails with it.
func (db *DB) Write(ctx context.Context, fn func(*sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	if err := db.enqueue(req); err != nil {
		return err
	}
	return <-req.done
}

// enqueue hands req to the commit loop, or returns ErrClosed after Close, or
// req.ctx's error if it ends first.
func (db *DB) enqueue(req *writeReq) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return ErrClosed
	}
	select {
	case db.writes <- req:
		return nil
	case <-req.ctx.Done():
		return req.ctx.Err()
	}
}

// SQLDB returns the writer's connection pool, for benchmarks that compare
// a bare insert with the store's write path. Writing through it bypasses
// group commit but stays correct: database/sql serializes its users.
func (db *DB) SQLDB() *sql.DB { return db.writer }

// Close finishes the queued writes and closes the database.
func (db *DB) Close() error {
	db.mu.Lock()
	if !db.closed {
		db.closed = true
		close(db.closing)
	}
	db.mu.Unlock()
	<-db.stopped
	return errors.Join(db.readers.Close(), db.writer.Close())
}

func (db *DB) loop() {
	defer close(db.stopped)
	batch := make([]*writeReq, 0, maxBatch)
	for {
		var req *writeReq
		select {
		case req = <-db.writes:
		case <-db.closing:
			// No write can be queued any more: finish those that are, then
			// stop.
			select {
			case req = <-db.writes:
			default:
				return
			}
		}
		batch = append(batch[:0], req)
	fill:
		for len(batch) < maxBatch {
			select {
			case req := <-db.writes:
				batch = append(batch, req)
			default:
				break fill
			}
		}
		db.commit(batch)
	}
}

// commit runs a batch of writes in one transaction, each in a savepoint so
// that one failing write rolls back only its own changes.
func (db *DB) commit(batch []*writeReq) {
	results := make([]error, len(batch))
	defer func() {
		for i, req := range batch {
			req.done <- results[i]
		}
	}()
	// failAll gives err to every write not failed already: none of the
	// batch commits.
	failAll := func(err error) {
		for i := range results {
			if results[i] == nil {
				results[i] = err
			}
		}
	}
	tx, err := db.writer.BeginTx(context.Background(), nil)
	if err != nil {
		failAll(err)
		return
	}
	committed := 0
	for i, req := range batch {
		if err := req.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		fnErr, txErr := apply(tx, req.fn)
		results[i] = fnErr
		if txErr != nil {
			// The transaction is lost: SQLite rolls all of it back when a
			// write statement is interrupted or fails for want of memory,
			// disk or I/O, even if fn ignores that error. Going on would
			// run the next writes outside any transaction, each committed
			// on its own while reported failed.
			tx.Rollback()
			failAll(fmt.Errorf("sqlite: rolled back with the rest of its batch: %w", txErr))
			return
		}
		if fnErr == nil {
			committed++
		}
	}
	if committed == 0 {
		tx.Rollback()
		return
	}
	if err := tx.Commit(); err != nil {
		failAll(err)
	}
}

// apply runs fn in a savepoint of tx. fnErr is fn's error, returned once
// fn's changes are rolled back; txErr means that the savepoint could not be
// set, rolled back to or released, so that tx can no longer be trusted.
func apply(tx *sql.Tx, fn func(*sql.Tx) error) (fnErr, txErr error) {
	if _, err := tx.Exec(`SAVEPOINT write`); err != nil {
		return nil, err
	}
	fnErr = run(fn, tx)
	if fnErr != nil {
		if _, err := tx.Exec(`ROLLBACK TO write`); err != nil {
			return fnErr, err
		}
	}
	if _, err := tx.Exec(`RELEASE write`); err != nil {
		return fnErr, err
	}
	return fnErr, nil
}

// run calls fn, turning a panic into an error so that one bad write cannot
// take the commit loop, and with it every writer, down.
func run(fn func(*sql.Tx) error, tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("sqlite: write panicked: %v", p)
		}
	}()
	return fn(tx)
}

// checkDurability refuses a database that would not keep every
// acknowledged commit (AV-05): WAL could not be enabled (some network file
// systems) or synchronous is not FULL.
func checkDurability(ctx context.Context, db *sql.DB) error {
	var mode string
	var sync int
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil {
		return err
	}
	if mode != "wal" || sync != 2 {
		return fmt.Errorf("sqlite: journal_mode is %s and synchronous %d; Interlude needs wal and 2 (FULL) so that no acknowledged write is lost", mode, sync)
	}
	return nil
}
