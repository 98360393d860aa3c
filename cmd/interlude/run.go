package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// exitError ends the program with a status and no further message: the
// command has said what it had to say.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// command is one subcommand of interlude.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a subcommand may touch of the world: nothing global.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

func commands() []command {
	return []command{
		{"serve", "run the web server (and the migrations it needs)", serve},
		{"migrate", "apply the database migrations and exit", migrate},
		{"clinic", "create a clinic and its first admin's invitation (clinic create --help)", clinic},
		{"keys", "rotate the master key and rewrap the data keys (keys rotate)", keys},
		{"audit", "verify the audit log, or print its latest signed checkpoint (audit --help)", auditCmd},
		{"backup", "write the SQLite database and every key file a restore needs into one file, while serving (backup --help)", backupCmd},
		{"restore", "restore a backup into a new data folder (restore --help)", restoreCmd},
		{"export", "write a clinic's records as FHIR R4 bulk NDJSON into a folder (export --help)", exportCmd},
		{"bench", "measure messaging on a temporary database (bench messages --help)", benchCmd},
	}
}

// run is the whole program: main only gives it the process's context,
// arguments, environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := &env{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) < 2 {
		return errors.Join(errors.New("missing command"), usage(stderr))
	}
	name := args[1]
	switch name {
	case "help", "-h", "-help", "--help":
		return usage(stdout)
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, e, args[2:])
		}
	}
	return fmt.Errorf("unknown command %q (run 'interlude help' for the list)", name)
}

// closeJoined closes c when a subcommand returns, for a defer: an error
// closing the database (or whatever c is) joins the subcommand's own
// instead of being dropped.
func closeJoined(err *error, c io.Closer) {
	if cerr := c.Close(); cerr != nil {
		*err = errors.Join(*err, cerr)
	}
}

// usage writes the list of commands to w.
func usage(w io.Writer) error {
	var b strings.Builder
	b.WriteString("Usage: interlude COMMAND [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun 'interlude COMMAND --help' for a command's flags.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// parseFlags parses a subcommand's flags. --help prints the flags to stdout
// and ends the program with status 0; a bad flag is one line of error.
func parseFlags(fs *flag.FlagSet, e *env, args []string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		var b strings.Builder
		fmt.Fprintf(&b, "Usage: interlude %s [flags]\n\nFlags:\n", fs.Name())
		fs.SetOutput(&b)
		fs.PrintDefaults()
		if _, err := io.WriteString(e.stdout, b.String()); err != nil {
			return err
		}
		return exitError{0}
	}
	if err != nil {
		return fmt.Errorf("%s: %v (run 'interlude %s --help')", fs.Name(), err, fs.Name())
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q (run 'interlude %s --help')", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}

// envOr returns the environment variable's value, or def when it is unset.
func envOr(e *env, name, def string) string {
	if v := strings.TrimSpace(e.getenv(name)); v != "" {
		return v
	}
	return def
}

// durationFlag is a positive duration flag with an environment fallback.
type durationFlag struct {
	d   *time.Duration
	env string
}

func (f durationFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.String()
}

func (f durationFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("%q is not a positive duration such as 15m or 72h", s)
	}
	*f.d = d
	return nil
}

// durationFlags registers positive duration flags whose defaults come from
// the environment; apply reads the environment after parsing, for the
// flags not given on the command line.
type durationFlags []struct {
	name string
	flag durationFlag
}

func (ds *durationFlags) register(fs *flag.FlagSet, p *time.Duration, name, env, usage string) {
	f := durationFlag{d: p, env: env}
	fs.Var(f, name, fmt.Sprintf("%s (env %s)", usage, env))
	*ds = append(*ds, struct {
		name string
		flag durationFlag
	}{name, f})
}

func (ds durationFlags) apply(fs *flag.FlagSet, e *env) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, d := range ds {
		if given[d.name] {
			continue
		}
		if v := strings.TrimSpace(e.getenv(d.flag.env)); v != "" {
			if err := d.flag.Set(v); err != nil {
				return fmt.Errorf("%s: %s: %v", fs.Name(), d.flag.env, err)
			}
		}
	}
	return nil
}
