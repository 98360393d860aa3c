package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
)

// TestStatementCache: the connections keep prepared statements (issue #6),
// and a cached statement behaves as a fresh one would: the same query run
// again while its rows are still open gets a statement of its own, a
// failed statement runs again cleanly, and statements see schema changes.
func TestStatementCache(t *testing.T) {
	t.Parallel()
	db, _ := open(t)
	ctx := context.Background()
	for i := range 5 {
		if err := db.Write(ctx, insert(fmt.Sprintf("item-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	const all = `SELECT name FROM items ORDER BY id`

	// The same query nested in its own rows, on a reader and in a write.
	nested := func(tx *sql.Tx) error {
		rows, err := tx.Query(all)
		if err != nil {
			return err
		}
		defer rows.Close()
		var pairs []string
		for rows.Next() {
			var outer string
			if err := rows.Scan(&outer); err != nil {
				return err
			}
			n, err := countRows(tx, all)
			if err != nil {
				return err
			}
			pairs = append(pairs, fmt.Sprintf("%s:%d", outer, n))
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if got, want := strings.Join(pairs, " "), "item-0:5 item-1:5 item-2:5 item-3:5 item-4:5"; got != want {
			return fmt.Errorf("nested: got %q, want %q", got, want)
		}
		return nil
	}
	for range 3 {
		if err := db.Read(ctx, nested); err != nil {
			t.Fatal(err)
		}
		if err := db.Write(ctx, nested); err != nil {
			t.Fatal(err)
		}
	}

	// A statement that failed (a unique name taken) runs again cleanly.
	const add = `INSERT INTO items (name) VALUES ($1)`
	for range 3 {
		if err := db.Write(ctx, exec(add, "item-0")); err == nil || !strings.Contains(err.Error(), "UNIQUE") {
			t.Fatalf("duplicate insert: got %v", err)
		}
	}
	if err := db.Write(ctx, exec(add, "item-5")); err != nil {
		t.Fatalf("the insert after failures: %v", err)
	}

	// A cached statement sees a column added since it was prepared.
	const star = `SELECT * FROM items WHERE name = $1`
	columns := func() int {
		t.Helper()
		n := 0
		err := db.Read(ctx, func(tx *sql.Tx) error {
			rows, err := tx.Query(star, "item-5")
			if err != nil {
				return err
			}
			defer rows.Close()
			cols, err := rows.Columns()
			n = len(cols)
			if err != nil {
				return err
			}
			return rows.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := columns()
	if err := db.Write(ctx, exec(`ALTER TABLE items ADD COLUMN note TEXT`)); err != nil {
		t.Fatal(err)
	}
	for range 4 { // every reader connection
		if after := columns(); after != before+1 {
			t.Fatalf("after ALTER TABLE: %d columns, want %d", after, before+1)
		}
	}
	if got := stored(t, db); len(got) != 6 {
		t.Errorf("stored %v, want 6 items", got)
	}
	if err := db.Close(); err != nil {
		t.Errorf("close with cached statements: %v", err)
	}
}

// countRows runs query and counts its rows, closing them before it returns.
func countRows(tx *sql.Tx, query string) (int, error) {
	rows, err := tx.Query(query)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}

// BenchmarkCachedStatement is a write of the store's shape (a savepoint,
// a query, two inserts) through the commit loop, to compare with and
// without the statement cache.
func BenchmarkCachedStatement(b *testing.B) {
	db, err := Open(context.Background(), b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			b.Error(err)
		}
	}()
	ctx := context.Background()
	if err := db.Write(ctx, exec(`CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, at INTEGER NOT NULL) STRICT`)); err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			err := db.Write(ctx, func(tx *sql.Tx) error {
				var n int
				if err := tx.QueryRow(`SELECT count(*) FROM items WHERE id < $1 AND name <> $2`, 10, "x").Scan(&n); err != nil {
					return err
				}
				if _, err := tx.Exec(`INSERT INTO items (name, at) VALUES ($1, $2)`, "bench", n); err != nil {
					return err
				}
				_, err := tx.Exec(`INSERT INTO items (name, at) VALUES ($1, $2)`, "bench2", n)
				return err
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}
