package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestHotQueriesByKey (#20): the statements every message runs read rows
// by key, never a whole table, so that a message's cost does not grow
// with the size of its clinic. SQLite's query plan must search, not scan,
// each table; PostgreSQL's, with sequential scans priced out, must still
// find an index path for each (on the small tables of a test its planner
// would rightly prefer a scan).
func TestHotQueriesByKey(t *testing.T) {
	t.Parallel()
	// Each statement, and the tables it must reach by their primary key
	// (an index on the clinic would read every row of the clinic).
	hot := map[string]struct {
		sql   string
		byKey []string
	}{
		"notifiableMembers": {store.NotifiableMembersSQL, []string{"users"}},
	}
	// How each engine names a primary-key look-up of table t.
	usesTable := map[string]func(line, t string) bool{
		"sqlite": func(line, t string) bool {
			return strings.Contains(line, " "+t+" ") || strings.HasPrefix(line, "SEARCH "+t[:1]+" ")
		},
		"postgres": func(line, t string) bool { return strings.Contains(line, " on "+t+" ") },
	}
	byKey := map[string]func(line, t string) bool{
		"sqlite":   func(line, t string) bool { return strings.Contains(line, "sqlite_autoindex_"+t+"_1 (id=?)") },
		"postgres": func(line, t string) bool { return strings.Contains(line, t+"_pkey") },
	}
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		conn, err := db.Engine.SQLDB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := conn.Close(); err != nil {
				t.Error(err)
			}
		})
		explain, scan := "EXPLAIN QUERY PLAN ", regexp.MustCompile(`^SCAN (\w+)$|^SCAN (\w+) `)
		if db.Name == "postgres" {
			if _, err := conn.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
				t.Fatal(err)
			}
			explain, scan = "EXPLAIN ", regexp.MustCompile(`Seq Scan on (\w+)`)
		}
		for name, h := range hot {
			plan := queryPlan(t, conn, explain+h.sql, "clinic", "client", "except")
			t.Logf("%s:\n%s", name, strings.Join(plan, "\n"))
			for _, line := range plan {
				if m := scan.FindStringSubmatch(line); m != nil && !strings.Contains(line, "CONSTANT ROW") && m[1] != "m" && m[2] != "m" {
					t.Errorf("%s scans a whole table (%q); plan:\n%s", name, line, strings.Join(plan, "\n"))
				}
				for _, table := range h.byKey {
					if usesTable[db.Name](line, table) && !byKey[db.Name](line, table) {
						t.Errorf("%s reads %s other than by its key (%q)", name, table, line)
					}
				}
			}
		}
	})
}

// queryPlan reads an EXPLAIN's lines (the last column of each row).
func queryPlan(t *testing.T, conn interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, q string, args ...any) []string {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		line := vals[len(vals)-1]
		if b, ok := line.([]byte); ok {
			line = string(b)
		}
		plan = append(plan, strings.TrimSpace(fmt.Sprint(line)))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}
