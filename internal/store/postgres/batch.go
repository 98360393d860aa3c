package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Group commit. A PostgreSQL transaction costs round trips of its own
// (BEGIN, COMMIT) and a WAL flush, and a write of Interlude is several
// statements (the change, its sealed data, its audit row). Writes that
// arrive together therefore run in one transaction and share one COMMIT,
// on a few connections at once so that one batch runs while another
// commits.
//
// No savepoint separates the writes of a batch: on PostgreSQL each costs a
// round trip, as much as the statements it would guard. Instead, when one
// write of a batch fails, the batch is rolled back and every write of it
// runs again in a transaction of its own, in order, so that each gets its
// own outcome. A write function may therefore run twice; the Engine
// contract says so, and the store's write functions set, never
// accumulate, what they report.

// maxBatch bounds how many writes share one commit.
const maxBatch = 128

// loops is how many batches may be in flight at once.
const loops = 4 // measured: 2 leaves the disk idle between batches, 8 and 16 add contention

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("postgres: database is closed")

type writeReq struct {
	ctx  context.Context
	fn   func(*sql.Tx) error
	done chan error
}

func (db *DB) startLoops() {
	db.writes = make(chan *writeReq, maxBatch)
	db.closing = make(chan struct{})
	for range loops {
		db.loopsDone.Add(1)
		go db.loop()
	}
}

// Write runs fn in a read-committed transaction, in a savepoint of its
// own, and returns once the transaction is committed, or with fn's error
// once fn's changes are rolled back. Once queued, Write waits for the
// outcome even if ctx ends, so that nil always means committed.
func (db *DB) Write(ctx context.Context, fn func(*sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return ErrClosed
	}
	select {
	case db.writes <- req:
	case <-ctx.Done():
		db.mu.RUnlock()
		return ctx.Err()
	}
	db.mu.RUnlock()
	return <-req.done
}

func (db *DB) loop() {
	defer db.loopsDone.Done()
	batch := make([]*writeReq, 0, maxBatch)
	for {
		var req *writeReq
		select {
		case req = <-db.writes:
		case <-db.closing:
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

// commit runs a batch in one transaction. If a write fails, or the
// commit does, each write runs again alone.
func (db *DB) commit(batch []*writeReq) {
	results := make([]error, len(batch))
	defer func() {
		for i, req := range batch {
			req.done <- results[i]
		}
	}()
	if len(batch) == 1 {
		results[0] = db.alone(batch[0])
		return
	}
	ctx := context.Background()
	tx, err := db.db.BeginTx(ctx, nil)
	if err == nil {
		for _, req := range batch {
			if err = req.ctx.Err(); err != nil {
				break
			}
			if err = run(req.fn, tx); err != nil {
				break
			}
		}
		if err == nil {
			if err = tx.Commit(); err == nil {
				return
			}
		} else {
			tx.Rollback()
		}
	}
	// Something failed: nothing of the batch is committed. Each write
	// runs again on its own, in the same order.
	for i, req := range batch {
		results[i] = db.alone(req)
	}
}

// alone runs one write in a transaction of its own.
func (db *DB) alone(req *writeReq) error {
	if err := req.ctx.Err(); err != nil {
		return err
	}
	tx, err := db.db.BeginTx(context.Background(), nil)
	if err != nil {
		return err
	}
	if err := run(req.fn, tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// run calls fn, turning a panic into an error so that one bad write cannot
// take a commit loop down.
func run(fn func(*sql.Tx) error, tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("postgres: write panicked: %v", p)
		}
	}()
	return fn(tx)
}
