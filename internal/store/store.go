package store

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"time"

	"interlude/internal/care"
	"interlude/internal/seal"
)

// Engine is a database that runs transactions. store/sqlite and
// store/postgres implement it.
//
// Write runs fn in a read-write transaction and returns once the changes are
// durable, or fn's error after they were rolled back. fn must not call
// Commit or Rollback on the transaction it is given, and may be run in a
// transaction that other Write calls share. fn may run more than once (on
// PostgreSQL, a batch in which a write failed runs again write by write):
// it must set, never accumulate, what it reports to its caller.
// Read runs fn in a read-only transaction. Both return fn's error as is.
type Engine interface {
	Name() string
	Write(ctx context.Context, fn func(*sql.Tx) error) error
	Read(ctx context.Context, fn func(*sql.Tx) error) error
	Ping(ctx context.Context) error
	Close() error
}

// appender is an Engine that can defer the insert of a row that nothing
// reads back in its transaction to just before COMMIT, and insert the rows
// of all the writes that share the transaction in one statement; the row
// commits with the write that appended it or not at all. store/postgres
// implements it: there a statement costs a round trip.
type appender interface {
	Append(tx *sql.Tx, table string, columns []string, values ...any) error
}

// Store is Interlude's storage. It is safe for concurrent use.
type Store struct {
	eng     Engine
	app     appender      // eng, if it is an appender
	keyring *seal.Keyring // the master keys that wrap data keys
	keys    keyCache
	now     func() time.Time
	jobWake chan struct{} // see JobsWake

	emailNotifications atomic.Bool // see SetEmailNotifications
	live               liveState
}

// New returns a Store over eng that seals PHI under data keys wrapped by
// kr. now is the clock (time.Now outside tests).
func New(eng Engine, kr *seal.Keyring, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{eng: eng, keyring: kr, now: now, jobWake: make(chan struct{}, 1)}
	s.app, _ = eng.(appender)
	return s
}

// Now returns the time by the store's clock: what a transaction begun now
// would take as its time. Seeding (the demo) dates what it writes by it,
// so that a test's fake clock makes the demo's data reproducible.
func (s *Store) Now() time.Time { return s.now().UTC() }

// Engine returns the name of the database engine: "sqlite" or "postgres".
func (s *Store) Engine() string { return s.eng.Name() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.eng.Ping(ctx) }

// Close closes the database.
func (s *Store) Close() error { return s.eng.Close() }

// tx is the transaction a store method's SQL runs in, with the fixed time
// of the transaction. It exposes no Commit or Rollback: the engine owns the
// transaction's end.
type tx struct {
	*sql.Tx
	now      time.Time
	enqueued *bool    // set by enqueueJob; nil in reads
	app      appender // in a write on an engine that appends; nil otherwise
	live     *liveBuf // in a write: real-time events to deliver once committed (live.go)
	keys     *txKeys  // data keys met in the transaction, cached once it ends well
}

func (s *Store) write(ctx context.Context, fn func(ctx context.Context, tx tx) error) error {
	var enqueued bool
	var live liveBuf
	var keys *txKeys
	err := s.eng.Write(ctx, func(t *sql.Tx) error {
		// Once a write runs, it runs to its end: a client that hangs up
		// must not interrupt a statement, which on SQLite would roll back
		// the other writes sharing its transaction. The engine does not
		// start a write whose ctx has already ended.
		enqueued, live = false, liveBuf{} // a write may run again (Engine)
		keys = s.keys.begin()
		return fn(context.WithoutCancel(ctx), tx{Tx: t, now: s.now().UTC().Truncate(time.Microsecond), enqueued: &enqueued, app: s.app, live: &live, keys: keys})
	})
	if err == nil {
		// Only now are the keys the write created stored for good: with
		// group commit, the write's batch commits or fails as one.
		s.keys.commit(keys)
	}
	if err == nil && enqueued {
		select {
		case s.jobWake <- struct{}{}:
		default:
		}
	}
	if err == nil {
		s.deliver(live.messages, live.revokes) // empty on PostgreSQL: NOTIFY delivers
	}
	return s.reportIntegrity(ctx, err)
}

func (s *Store) read(ctx context.Context, fn func(ctx context.Context, tx tx) error) error {
	var keys *txKeys
	err := s.eng.Read(ctx, func(t *sql.Tx) error {
		keys = s.keys.begin()
		return fn(ctx, tx{Tx: t, now: s.now().UTC().Truncate(time.Microsecond), keys: keys})
	})
	if err == nil {
		s.keys.commit(keys)
	}
	return s.reportIntegrity(ctx, err)
}

// Times are stored as microseconds since the Unix epoch in a BIGINT on both
// engines: the same SQL compares and orders them, and nothing depends on a
// driver's time formatting.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// notFound turns sql.ErrNoRows into care.ErrNotFound and leaves other errors
// alone.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return care.ErrNotFound
	}
	return err
}
