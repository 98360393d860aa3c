package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
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
//
// Rows that nothing reads back in the transaction (the audit trail) need
// not cost a round trip each: a write appends them with Append, and they
// are inserted after the last write of the transaction and before its
// COMMIT, the rows of every write of the batch in one statement. They
// commit with the writes that appended them or not at all.

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
	db.appends = map[*sql.Tx]*appended{}
	db.closing = make(chan struct{})
	for range loops {
		db.loopsDone.Add(1)
		go db.loop()
	}
}

// Write runs fn in a read-committed transaction that other writes may
// share, and returns once the transaction is committed, or with fn's
// error once fn's changes are rolled back. Once queued, Write waits for the
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
	results := make([]error, 0, maxBatch)
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
		batch, results = db.commit(append(batch[:0], req), results[:0])
		for i, req := range batch {
			req.done <- results[i]
			batch[i] = nil
		}
	}
}

// commit runs a batch in one transaction and returns it with the outcome
// of each write. The batch grows while it runs: whenever its transaction
// has run every write it holds, the writes queued meanwhile join it, so
// that the round trips of a batch gather the writes that arrive during
// them, while a write that finds no other waits for none. A write whose
// ctx ended while it was queued does not run. If a write fails, or the
// commit does, and the batch ran others, each write runs again alone.
func (db *DB) commit(batch []*writeReq, results []error) ([]*writeReq, []error) {
	tx, err := db.begin()
	if err != nil {
		return batch, db.alone(batch, results)
	}
	ran, last := 0, 0 // how many writes ran in tx, and the last one that did
	for i := 0; i < len(batch) && err == nil; i++ {
		req := batch[i]
		if cerr := req.ctx.Err(); cerr != nil {
			results = append(results, cerr)
		} else {
			err = run(req.fn, tx)
			results = append(results, err)
			ran, last = ran+1, i
		}
		if err == nil && i == len(batch)-1 {
			batch = db.fill(batch)
		}
	}
	if err != nil {
		db.abort(tx)
	} else {
		err = db.finish(tx)
	}
	switch {
	case err == nil:
		return batch, results
	case ran == 1 && len(results) == len(batch):
		// The one write that ran failed, or its commit did: the error
		// is its own.
		results[last] = err
		return batch, results
	}
	// Nothing of the batch is committed. Each write runs again on its
	// own, in the same order, for an outcome of its own.
	return batch, db.alone(batch, results[:0])
}

// fill adds the writes queued now to batch, up to maxBatch.
func (db *DB) fill(batch []*writeReq) []*writeReq {
	for len(batch) < maxBatch {
		select {
		case req := <-db.writes:
			batch = append(batch, req)
		default:
			return batch
		}
	}
	return batch
}

// alone runs each write of batch in a transaction of its own and appends
// their outcomes to results.
func (db *DB) alone(batch []*writeReq, results []error) []error {
	for _, req := range batch {
		results = append(results, db.runAlone(req))
	}
	return results
}

// runAlone runs one write in a transaction of its own.
func (db *DB) runAlone(req *writeReq) error {
	if err := req.ctx.Err(); err != nil {
		return err
	}
	tx, err := db.begin()
	if err != nil {
		return err
	}
	if err := run(req.fn, tx); err != nil {
		db.abort(tx)
		return err
	}
	return db.finish(tx)
}

// begin starts a write transaction, with no rows appended yet.
func (db *DB) begin() (*sql.Tx, error) {
	tx, err := db.db.BeginTx(context.Background(), nil)
	if err != nil {
		return nil, err
	}
	db.appendsMu.Lock()
	db.appends[tx] = &appended{}
	db.appendsMu.Unlock()
	return tx, nil
}

// finish inserts the rows appended in tx and commits it. If the insert
// fails, tx is rolled back: nothing of it is committed.
func (db *DB) finish(tx *sql.Tx) error {
	a := db.end(tx)
	if err := a.insert(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// abort rolls tx back, with the rows appended in it.
func (db *DB) abort(tx *sql.Tx) {
	db.end(tx)
	tx.Rollback()
}

// end forgets tx and returns the rows appended in it.
func (db *DB) end(tx *sql.Tx) *appended {
	db.appendsMu.Lock()
	defer db.appendsMu.Unlock()
	a := db.appends[tx]
	delete(db.appends, tx)
	return a
}

// appended holds the rows appended in one transaction, by table and
// columns, in the order they were appended.
type appended struct {
	mu     sync.Mutex // the writes of a transaction run one after another; this is for safety
	tables []*appendedRows
}

type appendedRows struct {
	table   string
	columns []string
	values  []any // len(columns) per row
}

// maxParams bounds the parameters of one INSERT (PostgreSQL allows 65535).
const maxParams = 16384

// Append adds a row to table in the write transaction tx, to be inserted
// after every write that shares tx has run and just before COMMIT, in one
// INSERT with the rows the other writes appended to the same table and
// columns. Appended rows keep their order. Use it only for rows that
// nothing reads back in the transaction: the row commits with the write
// that appended it, or neither does. tx must be a transaction this DB
// gave to a Write function.
func (db *DB) Append(tx *sql.Tx, table string, columns []string, values ...any) error {
	if len(columns) == 0 || len(values) != len(columns) || len(columns) > maxParams {
		return fmt.Errorf("postgres: appending to %s: %d values for %d columns", table, len(values), len(columns))
	}
	if !identifier(table) || slices.ContainsFunc(columns, func(c string) bool { return !identifier(c) }) {
		return fmt.Errorf("postgres: appending to %q: a table or column name is not a plain identifier", table)
	}
	db.appendsMu.Lock()
	a := db.appends[tx]
	db.appendsMu.Unlock()
	if a == nil {
		return fmt.Errorf("postgres: appending to %s outside a write", table)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var rows *appendedRows
	for _, r := range a.tables {
		if r.table == table && slices.Equal(r.columns, columns) {
			rows = r
			break
		}
	}
	if rows == nil {
		rows = &appendedRows{table: table, columns: slices.Clone(columns)}
		a.tables = append(a.tables, rows)
	}
	rows.values = append(rows.values, values...)
	return nil
}

// insert writes the appended rows, with as few statements as the
// parameter limit allows.
func (a *appended) insert(tx *sql.Tx) error {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.tables {
		n := len(r.columns)
		per := maxParams / n * n
		for vals := r.values; len(vals) > 0; {
			chunk := vals[:min(per, len(vals))]
			vals = vals[len(chunk):]
			if _, err := tx.Exec(insertSQL(r.table, r.columns, len(chunk)/n), chunk...); err != nil {
				return fmt.Errorf("postgres: inserting the rows appended to %s: %w", r.table, err)
			}
		}
	}
	return nil
}

// insertSQL is an INSERT of rows rows into table.
func insertSQL(table string, columns []string, rows int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, strings.Join(columns, ", "))
	p := 1
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range columns {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "$%d", p)
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
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

// identifier reports whether s is a plain lower-case SQL identifier, safe
// to write into a statement as it is.
func identifier(s string) bool {
	for i, r := range s {
		if (r < 'a' || r > 'z') && r != '_' && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return s != "" && len(s) <= 63
}
