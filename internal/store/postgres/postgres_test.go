package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"

	"interlude/internal/store/postgres"
	"interlude/internal/store/storetest"
)

func open(t *testing.T) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), storetest.PostgresSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	if _, err := db.SQLDB().Exec(`CREATE TABLE t (n INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	return db
}

func rows(t *testing.T, db *postgres.DB) map[int]bool {
	t.Helper()
	r, err := db.SQLDB().Query(`SELECT n FROM t`)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := map[int]bool{}
	for r.Next() {
		var n int
		if err := r.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[n] = true
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var errRefused = errors.New("refused")

// TestBatchedWrites: many concurrent writes, some of which fail after
// changing something and one of which panics, share transactions. Each
// write that reports success is committed once, each that reports failure
// left nothing behind, and no write's outcome depends on a neighbour's.
func TestBatchedWrites(t *testing.T) {
	t.Parallel()
	db := open(t)
	const writes = 200
	var wg sync.WaitGroup
	results := make([]error, writes)
	for i := range writes {
		wg.Go(func() {
			results[i] = db.Write(context.Background(), func(tx *sql.Tx) error {
				if _, err := tx.Exec(`INSERT INTO t (n) VALUES ($1)`, i); err != nil {
					return err
				}
				switch {
				case i%7 == 3:
					return errRefused // after its insert: that must be undone
				case i == 100:
					panic("a bad write")
				}
				return nil
			})
		})
	}
	wg.Wait()
	got := rows(t, db)
	for i, err := range results {
		switch {
		case i%7 == 3:
			if !errors.Is(err, errRefused) || got[i] {
				t.Errorf("write %d: %v, stored %v; want refused and nothing stored", i, err, got[i])
			}
		case i == 100:
			if err == nil || got[i] {
				t.Errorf("the panicking write: %v, stored %v", err, got[i])
			}
		default:
			if err != nil || !got[i] {
				t.Errorf("write %d: %v, stored %v; want committed", i, err, got[i])
			}
		}
	}
}

// TestWriteSeesEarlierWritesOfItsBatch: writes that depend on one another
// (a unique key taken by an earlier write) get the outcome they would get
// one after another.
func TestWriteSeesEarlierWritesOfItsBatch(t *testing.T) {
	t.Parallel()
	db := open(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 50 {
		wg.Go(func() {
			err := db.Write(context.Background(), func(tx *sql.Tx) error {
				res, err := tx.Exec(`INSERT INTO t (n) VALUES (1) ON CONFLICT DO NOTHING`)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return errRefused
				}
				return nil
			})
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if !errors.Is(err, errRefused) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Errorf("%d writes took the one key, want exactly 1", ok)
	}
}

// TestWriteAfterClose: a closed database refuses writes, and Close waits
// for those queued.
func TestWriteAfterClose(t *testing.T) {
	t.Parallel()
	db := open(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := db.Write(context.Background(), func(tx *sql.Tx) error {
				_, err := tx.Exec(`INSERT INTO t (n) VALUES ($1)`, i)
				return err
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(rows(t, db)); n != 20 {
		t.Fatalf("%d rows", n)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	err := db.Write(context.Background(), func(*sql.Tx) error { return fmt.Errorf("ran") })
	if !errors.Is(err, postgres.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

// TestAppendedRows: rows appended by concurrent writes, some of which fail
// after appending and some of whose appended rows the database refuses,
// are stored exactly when the write that appended them is committed, in
// the order each write appended them (AD-02: an audit row commits with
// its change or neither does).
func TestAppendedRows(t *testing.T) {
	t.Parallel()
	db := open(t)
	if _, err := db.SQLDB().Exec(`CREATE TABLE log (id BIGINT GENERATED ALWAYS AS IDENTITY, n INTEGER NOT NULL,
		part INTEGER NOT NULL CHECK (part >= 0))`); err != nil {
		t.Fatal(err)
	}
	const writes = 200
	var wg sync.WaitGroup
	results := make([]error, writes)
	for i := range writes {
		wg.Go(func() {
			results[i] = db.Write(context.Background(), func(tx *sql.Tx) error {
				if _, err := tx.Exec(`INSERT INTO t (n) VALUES ($1)`, i); err != nil {
					return err
				}
				for part := range 3 {
					if i%11 == 5 && part == 2 {
						part = -1 // the database refuses this row when it is inserted
					}
					if err := db.Append(tx, "log", []string{"n", "part"}, i, part); err != nil {
						return err
					}
				}
				if i%7 == 3 {
					return errRefused // after appending: the rows must not be stored
				}
				return nil
			})
		})
	}
	wg.Wait()
	got := rows(t, db)
	r, err := db.SQLDB().Query(`SELECT n, part FROM log ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	logged := map[int][]int{}
	for r.Next() {
		var n, part int
		if err := r.Scan(&n, &part); err != nil {
			t.Fatal(err)
		}
		logged[n] = append(logged[n], part)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	for i, err := range results {
		switch {
		case i%7 == 3:
			if !errors.Is(err, errRefused) || got[i] || logged[i] != nil {
				t.Errorf("write %d: %v, stored %v, logged %v; want refused and nothing stored", i, err, got[i], logged[i])
			}
		case i%11 == 5:
			if err == nil || got[i] || logged[i] != nil {
				t.Errorf("write %d whose appended row fails: %v, stored %v, logged %v; want an error and nothing stored", i, err, got[i], logged[i])
			}
		default:
			if err != nil || !got[i] || fmt.Sprint(logged[i]) != "[0 1 2]" {
				t.Errorf("write %d: %v, stored %v, logged %v; want committed with its rows in order", i, err, got[i], logged[i])
			}
		}
	}
}

// TestAppendRefused: Append refuses a transaction that is not a write's,
// and names that are not plain identifiers.
func TestAppendRefused(t *testing.T) {
	t.Parallel()
	db := open(t)
	tx, err := db.SQLDB().Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := db.Append(tx, "t", []string{"n"}, 1); err == nil {
		t.Error("Append outside a write: allowed")
	}
	for _, c := range []struct {
		table  string
		column []string
		values []any
	}{
		{"t; DROP TABLE t", []string{"n"}, []any{1}},
		{"t", []string{"n) VALUES (1); --"}, []any{1}},
		{"t", []string{"n"}, []any{1, 2}},
		{"t", nil, nil},
	} {
		err := db.Write(context.Background(), func(tx *sql.Tx) error {
			return db.Append(tx, c.table, c.column, c.values...)
		})
		if err == nil {
			t.Errorf("Append(%q, %q, %v): allowed", c.table, c.column, c.values)
		}
	}
	if n := len(rows(t, db)); n != 0 {
		t.Errorf("%d rows in t", n)
	}
}
