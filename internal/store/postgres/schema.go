package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
)

// NewSchema creates an empty schema with a random name prefixed by prefix in
// the database at baseURL, and returns a URL whose search_path selects it
// and a function that drops it with everything in it. Tests use it to give
// each test a database of its own on one server.
func NewSchema(ctx context.Context, baseURL, prefix string) (schemaURL string, drop func() error, err error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return "", nil, fmt.Errorf("postgres: the database URL is malformed: %w", err)
	}
	var b [8]byte
	rand.Read(b[:])
	name := prefix + hex.EncodeToString(b[:])
	if err := execOnce(ctx, baseURL, `CREATE SCHEMA `+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	drop = func() error {
		return execOnce(context.Background(), baseURL, `DROP SCHEMA `+pgx.Identifier{name}.Sanitize()+` CASCADE`)
	}
	return u.String(), drop, nil
}

func execOnce(ctx context.Context, url, stmt string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("postgres: cannot connect: %w", err)
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, stmt)
	return err
}
