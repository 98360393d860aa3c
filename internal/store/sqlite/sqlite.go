// Package sqlite is the embedded SQLite engine of the store: a pure-Go
// driver, WAL with synchronous=FULL, one writer connection that commits
// concurrent writes together (group commit), and a pool of read-only
// connections. It is the only package that imports the SQLite driver.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"sync"

	"interlude/internal/store/schema"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
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
	writer  *sql.DB // exactly one connection, owned by the commit loop
	readers *sql.DB // read-only connections

	writes  chan *writeReq
	closing chan struct{}
	stopped chan struct{}
	once    sync.Once
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
//   - _txlock=immediate on the writer takes the write lock at BEGIN, so a
//     transaction never fails half-way for want of it.
//   - query_only(1) on readers makes any write through them an error.
func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	if writer {
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if need be) the SQLite database at path. The folder
// must exist.
func Open(ctx context.Context, path string) (*DB, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("sqlite: %s is a folder, not a database file", path)
	}
	writer, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, err
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	readers, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		writer.Close()
		return nil, err
	}
	n := max(4, runtime.GOMAXPROCS(0))
	readers.SetMaxOpenConns(n)
	readers.SetMaxIdleConns(n)
	db := &DB{
		writer:  writer,
		readers: readers,
		writes:  make(chan *writeReq, maxBatch),
		closing: make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go db.loop()
	return db, nil
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
// means committed and an error always means not committed.
func (db *DB) Write(ctx context.Context, fn func(*sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.writes <- req:
	case <-db.closing:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-req.done
}

// SQLDB returns the writer's connection pool, for benchmarks that compare
// a bare insert with the store's write path. Writing through it bypasses
// group commit but stays correct: database/sql serializes its users.
func (db *DB) SQLDB() *sql.DB { return db.writer }

// Close finishes the queued writes and closes the database.
func (db *DB) Close() error {
	db.once.Do(func() { close(db.closing) })
	<-db.stopped
	return errors.Join(db.readers.Close(), db.writer.Close())
}

func (db *DB) loop() {
	defer close(db.stopped)
	batch := make([]*writeReq, 0, maxBatch)
	for {
		select {
		case req := <-db.writes:
			batch = append(batch[:0], req)
		case <-db.closing:
			// Finish whatever is still queued, then stop.
			for {
				select {
				case req := <-db.writes:
					db.commit([]*writeReq{req})
				default:
					return
				}
			}
		}
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
	tx, err := db.writer.BeginTx(context.Background(), nil)
	if err != nil {
		for i := range results {
			results[i] = err
		}
		return
	}
	committed := 0
	for i, req := range batch {
		if err := req.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if _, err := tx.Exec(`SAVEPOINT write`); err != nil {
			results[i] = err
			continue
		}
		err := run(req.fn, tx)
		if err != nil {
			if _, rerr := tx.Exec(`ROLLBACK TO write`); rerr != nil {
				// The transaction is unusable: nothing in it commits.
				tx.Rollback()
				for j := range batch {
					if results[j] == nil {
						results[j] = fmt.Errorf("sqlite: rolled back with the rest of its batch: %w", rerr)
					}
				}
				results[i] = err
				return
			}
			results[i] = err
		} else {
			committed++
		}
		if _, err := tx.Exec(`RELEASE write`); err != nil && results[i] == nil {
			results[i] = err
			committed--
		}
	}
	if committed == 0 {
		tx.Rollback()
		return
	}
	if err := tx.Commit(); err != nil {
		for i := range results {
			if results[i] == nil {
				results[i] = err
			}
		}
	}
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
