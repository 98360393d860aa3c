package main

import (
	"context"
	"flag"
	"fmt"
)

func migrate(ctx context.Context, e *env, args []string) (err error) {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	var db dbFlags
	db.register(fs, e)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	eng, n, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer closeJoined(&err, eng)
	_, err = fmt.Fprintf(e.stdout, "Applied %d migration(s); the %s database is up to date.\n", n, eng.Name())
	return err
}
