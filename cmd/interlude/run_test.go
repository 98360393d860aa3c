package main

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// unreachablePostgres is a PostgreSQL URL where nothing listens.
const unreachablePostgres = "postgres://nobody@127.0.0.1:1/x?connect_timeout=2"

func TestCommandErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		want    []string // what the message must mention
		notWant []string // what it must not show
	}{
		{"missing command", nil, []string{"missing command"}, nil},
		{"unknown command", []string{"frobnicate"}, []string{`"frobnicate"`, "interlude help"}, nil},
		{"bad flag", []string{"serve", "--nope"}, []string{"serve", "-nope"}, nil},
		{"bad flag value", []string{"serve", "--demo=maybe"}, []string{"serve", "-demo", "maybe"}, nil},
		{"unexpected argument", []string{"serve", "--addr", "127.0.0.1:0", "extra"}, []string{"serve", `"extra"`}, nil},
		{"migrate bad flag", []string{"migrate", "--addr", "x"}, []string{"migrate", "-addr"}, nil},
		{"migrate unexpected argument", []string{"migrate", "now"}, []string{"migrate", `"now"`}, nil},
		{"not postgres", []string{"serve", "--database-url", "mysql://x"}, []string{"--database-url", "postgres://"}, nil},
		{"migrate not postgres", []string{"migrate", "--database-url", "mysql://x"}, []string{"--database-url", "postgres://"}, nil},
		{"malformed postgres URL", []string{"migrate", "--database-url", "postgres://u:s3cret@127.0.0.1:notaport/x"}, []string{"malformed", "port"}, []string{"s3cret"}},
		{"unreachable postgres", []string{"serve", "--database-url", unreachablePostgres}, []string{"postgres", "127.0.0.1:1"}, nil},
		{"migrate unreachable postgres", []string{"migrate", "--database-url", unreachablePostgres}, []string{"postgres", "127.0.0.1:1"}, nil},
		{"bad duration", []string{"serve", "--staff-idle", "0s"}, []string{"-staff-idle", "positive duration"}, nil},
		{"duration not parsed", []string{"serve", "--addr", "127.0.0.1:0", "--client-idle", "forever"}, []string{"-client-idle", "forever"}, nil},
		{"smtp without a sender", []string{"serve", "--addr", "127.0.0.1:0", "--smtp-host", "mx.test"}, []string{"--smtp-from"}, nil},
		{"smtp port", []string{"serve", "--addr", "127.0.0.1:0", "--smtp-host", "mx.test", "--smtp-from", "a@b.test", "--smtp-port", "x"}, []string{"--smtp-port"}, nil},
		{"smtp tls mode", []string{"serve", "--addr", "127.0.0.1:0", "--smtp-host", "mx.test", "--smtp-from", "a@b.test", "--smtp-tls", "ssl"}, []string{`"ssl"`, "starttls"}, nil},
		{"smtp password file", []string{"serve", "--addr", "127.0.0.1:0", "--smtp-host", "mx.test", "--smtp-from", "a@b.test", "--smtp-password-file", "/nonexistent/pw"}, []string{"--smtp-password-file"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// Should a command wrongly go ahead, its SQLite data lands in a
			// temporary folder rather than in the package's.
			data := t.TempDir()
			getenv := func(name string) string {
				if name == "INTERLUDE_DATA" {
					return data
				}
				return ""
			}
			var stdout, stderr bytes.Buffer
			err := run(ctx, append([]string{"interlude"}, tt.args...), getenv, &stdout, &stderr)
			if err == nil {
				t.Fatalf("run %q: no error\nstdout:\n%s", tt.args, &stdout)
			}
			if errors.As(err, new(exitError)) {
				t.Fatalf("run %q: %v, want an error that says what is wrong", tt.args, err)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("run %q: the message is more than one line:\n%s", tt.args, msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("run %q: %q does not mention %q", tt.args, msg, w)
				}
			}
			for _, nw := range tt.notWant {
				if strings.Contains(msg, nw) {
					t.Errorf("run %q: %q shows %q", tt.args, msg, nw)
				}
			}
			for _, trace := range []string{"goroutine ", ".go:", "panic"} {
				if strings.Contains(msg, trace) {
					t.Errorf("run %q: %q looks like it holds a stack trace (%q)", tt.args, msg, trace)
				}
			}
			if stdout.Len() > 0 {
				t.Errorf("run %q failed but printed to stdout:\n%s", tt.args, &stdout)
			}
		})
	}

	// Asking for help is not an error.
	t.Run("serve --help", func(t *testing.T) {
		t.Parallel()
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), []string{"interlude", "serve", "--help"}, noEnv, &stdout, &stderr)
		var exit exitError
		if !errors.As(err, &exit) || exit.code != 0 {
			t.Fatalf("serve --help: %v, want exitError{0}", err)
		}
		for _, flag := range []string{"-addr", "-data", "-database-url", "-demo"} {
			if !strings.Contains(stdout.String(), flag) {
				t.Errorf("serve --help does not list %s:\n%s", flag, &stdout)
			}
		}
	})
	t.Run("migrate --help", func(t *testing.T) {
		t.Parallel()
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), []string{"interlude", "migrate", "-h"}, noEnv, &stdout, &stderr)
		var exit exitError
		if !errors.As(err, &exit) || exit.code != 0 {
			t.Fatalf("migrate -h: %v, want exitError{0}", err)
		}
		if !strings.Contains(stdout.String(), "-database-url") {
			t.Errorf("migrate -h does not list -database-url:\n%s", &stdout)
		}
		if strings.Contains(stdout.String(), "-addr") {
			t.Errorf("migrate -h lists serve's -addr:\n%s", &stdout)
		}
	})
	t.Run("help", func(t *testing.T) {
		t.Parallel()
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), []string{"interlude", "help"}, noEnv, &stdout, &stderr); err != nil {
			t.Fatalf("help: %v", err)
		}
		for _, name := range []string{"serve", "migrate"} {
			if !strings.Contains(stdout.String(), "  "+name+" ") {
				t.Errorf("help does not list %s:\n%s", name, &stdout)
			}
		}
	})
}

// TestErrorExitStatus checks what an operator sees from the real binary
// when the database cannot be reached: one line on stderr, status 1.
func TestErrorExitStatus(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := binaryCommand(t, "serve", "--database-url", unreachablePostgres)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		cmd.Process.Kill() //nolint:errcheck // it fails only if the process has exited, and <-done waits either way
		<-done             //nolint:errcheck // the exit of a process killed as the test fails
		t.Fatal("interlude serve with an unreachable database did not exit within 30s")
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("exit: %v, want exit status 1", err)
	}
	out := stderr.String()
	if !strings.HasPrefix(out, "interlude: ") || !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Errorf("stderr is not one line starting with %q:\n%s", "interlude: ", out)
	}
	if stdout.Len() > 0 {
		t.Errorf("stdout is not empty:\n%s", &stdout)
	}
}
