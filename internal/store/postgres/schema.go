package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"

	"interlude/internal/store/schema"
)

// NewSchema creates an empty schema with a random name prefixed by prefix in
// the database at baseURL, and returns a URL whose search_path selects it
// and a function that drops it with everything in it. Tests use it to give
// each test a database of its own on one server.
func NewSchema(ctx context.Context, baseURL, prefix string) (schemaURL string, drop func() error, err error) {
	return newSchema(ctx, baseURL, prefix, "")
}

// NewMigratedSchema is NewSchema with the schema migrated already: it is
// created and given every migration (script, from MigrationScript) in one
// round trip, where Migrate takes a transaction per migration.
func NewMigratedSchema(ctx context.Context, baseURL, prefix, script string) (schemaURL string, drop func() error, err error) {
	return newSchema(ctx, baseURL, prefix, script)
}

// MigrationScript returns the embedded migrations as one script for
// NewMigratedSchema (schema.Script).
func MigrationScript() (string, error) {
	ms, err := migrations()
	if err != nil {
		return "", err
	}
	return schema.Script(ms), nil
}

func newSchema(ctx context.Context, baseURL, prefix, script string) (schemaURL string, drop func() error, err error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return "", nil, fmt.Errorf("postgres: the database URL is malformed: %w", err)
	}
	var b [8]byte
	rand.Read(b[:])
	name := pgx.Identifier{prefix + hex.EncodeToString(b[:])}.Sanitize()
	stmt := `CREATE SCHEMA ` + name
	if script != "" {
		// One simple-protocol query is one implicit transaction: the
		// schema exists migrated, or not at all.
		stmt += `; SET LOCAL search_path TO ` + name + `; ` + script
	}
	if err := execOnce(ctx, baseURL, stmt); err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", prefix+hex.EncodeToString(b[:]))
	u.RawQuery = q.Encode()
	drop = func() error {
		return execOnce(context.Background(), baseURL, `DROP SCHEMA `+name+` CASCADE`)
	}
	return u.String(), drop, nil
}

func execOnce(ctx context.Context, url, stmt string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("postgres: cannot connect: %w", err)
	}
	// The statement has run, in a transaction of its own, when Exec
	// returns: closing only says goodbye to the server.
	defer conn.Close(context.Background()) //nolint:errcheck // see above
	_, err = conn.Exec(ctx, stmt)
	return err
}
