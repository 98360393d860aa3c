package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"

	"modernc.org/sqlite"
)

// Prepared statements are kept per connection, by query text. The store
// runs the same few dozen statements over and over, and without this the
// driver parses each one again on every call: that was a fifth of the
// server's CPU time in "interlude bench messages" (issue #6), most of it
// inside the single writer's commit loop, which bounds throughput.
//
// The connection deliberately implements neither driver.ExecerContext nor
// driver.QueryerContext, so database/sql prepares, runs and closes a
// statement for every call; PrepareContext hands out the cached statement
// and its Close only marks it free. A statement still in use (its rows
// are open while the same query runs again) is not shared: the second use
// gets a statement of its own, finalized when closed.

// maxCachedStmts bounds a connection's cache; queries beyond it are
// prepared for each use, as without a cache.
const maxCachedStmts = 256

// connector opens modernc connections with a statement cache.
type connector struct {
	drv *sqlite.Driver
	dsn string
}

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	inner, ok := conn.(innerConn)
	if !ok {
		return nil, errors.Join(errors.New("sqlite: the driver's connection lacks a context method"), conn.Close())
	}
	return &cachingConn{inner: inner, stmts: map[string]*cachedStmt{}}, nil
}

func (c connector) Driver() driver.Driver { return c.drv }

// innerConn is what the modernc connection offers that we pass on.
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn is a connection with its statement cache. database/sql uses
// a connection from one goroutine at a time, so it needs no lock.
type cachingConn struct {
	inner innerConn
	stmts map[string]*cachedStmt
}

// stmt is what a statement of the driver offers.
type stmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

type cachedStmt struct {
	stmt
	busy bool
}

// Close frees the statement for the next use; the cache finalizes it
// when the connection closes.
func (s *cachedStmt) Close() error {
	s.busy = false
	return nil
}

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if s, ok := c.stmts[query]; ok && !s.busy {
		s.busy = true
		return s, nil
	}
	ds, err := c.inner.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	st, ok := ds.(stmt)
	if !ok || len(c.stmts) >= maxCachedStmts {
		return ds, nil
	}
	if _, cached := c.stmts[query]; cached {
		return ds, nil // the cached one is busy: this one is closed after use
	}
	s := &cachedStmt{stmt: st, busy: true}
	c.stmts[query] = s
	return s, nil
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// Close finalizes the cached statements, then closes the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for q, s := range c.stmts {
		errs = append(errs, s.stmt.Close())
		delete(c.stmts, q)
	}
	return errors.Join(append(errs, c.inner.Close())...)
}

func (c *cachingConn) Begin() (driver.Tx, error) { //nolint:staticcheck // driver.Conn requires it
	return c.inner.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.BeginTx(ctx, opts)
}

func (c *cachingConn) Ping(ctx context.Context) error         { return c.inner.Ping(ctx) }
func (c *cachingConn) ResetSession(ctx context.Context) error { return c.inner.ResetSession(ctx) }
func (c *cachingConn) IsValid() bool                          { return c.inner.IsValid() }
