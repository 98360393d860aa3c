// Package schema applies the numbered, forward-only migrations that each
// database engine embeds. It is shared by store/sqlite and store/postgres and
// imports no driver.
package schema

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one numbered SQL file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Load reads the files named NNNN_name.sql in the root of fsys, in order.
// Versions must start at 1 and leave no gaps.
func Load(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, name := range names {
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: path.Base(name), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.Name, i+1)
		}
	}
	return out, nil
}

// Apply runs every migration that the database has not recorded yet, each
// in its own transaction. lockSQL, when not empty, runs first in each
// transaction to keep several instances from migrating at once. A database
// whose schema is newer than the migrations given is refused: this binary
// is older than the data it would touch.
func Apply(ctx context.Context, db *sql.DB, migrations []Migration, lockSQL string) (applied int, err error) {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL
	)`); err != nil {
		return 0, fmt.Errorf("creating schema_migrations: %w", err)
	}
	var current int
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return 0, err
	}
	if current > len(migrations) {
		return 0, fmt.Errorf("the database schema is at version %d, newer than this binary knows (%d): upgrade interlude", current, len(migrations))
	}
	for _, m := range migrations {
		done, err := applyOne(ctx, db, m, lockSQL)
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if done {
			applied++
		}
	}
	return applied, nil
}

func applyOne(ctx context.Context, db *sql.DB, m Migration, lockSQL string) (bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if lockSQL != "" {
		if _, err := tx.ExecContext(ctx, lockSQL); err != nil {
			return false, err
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// Script returns one SQL script that brings an empty database to the end
// of migrations, as Apply would, in a single round trip: the migrations in
// order, and each recorded in schema_migrations. Tests use it to give each
// test a migrated PostgreSQL schema without paying a transaction per
// migration; Apply remains the one path that migrates real databases.
func Script(migrations []Migration) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE schema_migrations (\n\tversion INTEGER PRIMARY KEY,\n\tname TEXT NOT NULL\n);\n")
	for _, m := range migrations {
		b.WriteString(m.SQL)
		fmt.Fprintf(&b, ";\nINSERT INTO schema_migrations (version, name) VALUES (%d, '%s');\n", m.Version, strings.ReplaceAll(m.Name, "'", "''"))
	}
	return b.String()
}
