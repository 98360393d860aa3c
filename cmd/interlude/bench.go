package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"interlude/internal/bench"
	"interlude/internal/store"
)

// benchCmd is "interlude bench messages": it parses and checks the flags,
// then runs internal/bench's workload against this same binary, seeding
// through the store as the other subcommands open it.
func benchCmd(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "messages" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			_, err := fmt.Fprintln(e.stdout, "Usage: interlude bench messages [flags] (interlude bench messages --help)")
			return err
		}
		return errors.New("bench: say 'interlude bench messages' (see --help)")
	}
	fs := flag.NewFlagSet("bench messages", flag.ContinueOnError)
	m := bench.Messages{Stdout: e.stdout, OpenStore: quietStore(e)}
	fs.StringVar(&m.Engine, "engine", "sqlite", "database engine: sqlite (a temporary file, synchronous=FULL) or postgres (needs --db)")
	fs.StringVar(&m.DatabaseURL, "db", "", "for --engine postgres: postgres://… of a database to work in; the bench makes a schema of its own there and drops it")
	fs.DurationVar(&m.Duration, "duration", 5*time.Second, "how long each run is measured")
	fs.DurationVar(&m.Warmup, "warmup", time.Second, "how long each run sends before it is measured")
	fs.IntVar(&m.Count, "count", 0, "end each run's measurement after this many messages instead (0: after --duration)")
	senders := fs.String("senders", "1,8,32", "comma-separated numbers of concurrent senders, one run each")
	idle := fs.String("idle", "0,500", "comma-separated numbers of idle recipients connected on the real-time stream")
	fs.IntVar(&m.ClinicUsers, "clinic-users", 0, "fill the clinic with clients up to this many users, to compare a message's cost across clinic sizes (0: only the users the runs need)")
	fs.StringVar(&m.ProfileDir, "profile", "", "write a CPU profile of the server for each run into this folder (the server serves its profiler on loopback)")
	fs.StringVar(&m.Server, "server", "", "the interlude binary to start (default: this one)")
	if err := parseFlags(fs, e, args[1:]); err != nil {
		return err
	}
	var err error
	if m.Senders, err = intList(*senders, 1); err != nil {
		return fmt.Errorf("bench messages: --senders %v", err)
	}
	if m.Idle, err = intList(*idle, 0); err != nil {
		return fmt.Errorf("bench messages: --idle %v", err)
	}
	switch {
	case m.Engine == "sqlite" && m.DatabaseURL != "":
		return errors.New("bench messages: --db is for --engine postgres")
	case m.Engine == "postgres" && m.DatabaseURL == "":
		return errors.New("bench messages: --engine postgres needs --db postgres://…")
	case m.Engine != "sqlite" && m.Engine != "postgres":
		return errors.New("bench messages: --engine must be sqlite or postgres")
	case m.Count < 0:
		return errors.New("bench messages: --count must not be negative")
	}
	if m.Server == "" {
		if m.Server, err = os.Executable(); err != nil {
			return fmt.Errorf("bench messages: finding this binary: %w", err)
		}
	}
	return m.Run(ctx)
}

// quietStore opens the bench's temporary database as every subcommand
// does (dbFlags.openStore), with the master key beside it and the notice
// of its creation discarded: the key dies with the folder.
func quietStore(e *env) func(ctx context.Context, dataDir, databaseURL string) (*store.Store, io.Closer, error) {
	return func(ctx context.Context, dataDir, databaseURL string) (*store.Store, io.Closer, error) {
		db := dbFlags{data: dataDir, databaseURL: databaseURL}
		quiet := &env{getenv: e.getenv, stdout: io.Discard, stderr: io.Discard}
		st, eng, _, err := db.openStore(ctx, quiet)
		if err != nil {
			return nil, nil, err
		}
		return st, eng, nil
	}
}

// intList parses "1,8,32" into distinct numbers of at least lowest, in
// the order given.
func intList(s string, lowest int) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < lowest || n > 10000 {
			return nil, fmt.Errorf("%q: want comma-separated whole numbers from %d to 10000", s, lowest)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}
