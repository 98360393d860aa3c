package main

import (
	"bytes"
	"fmt"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Output lines the tests read.
var (
	runningAt = regexp.MustCompile(`Interlude is running at http://([^/\s]+)/`)
	appliedN  = regexp.MustCompile(`Applied (\d+) migration\(s\)`)
)

// noEnv is a getenv that sees no variable at all, so that the environment of
// the test process cannot leak into a command under test.
func noEnv(string) string { return "" }

// syncBuffer is an io.Writer that a running command writes to while the test
// reads it.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed, then replaced, on every write
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{})} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	close(b.changed)
	b.changed = make(chan struct{})
	return n, err
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the output matches re and returns the submatches. It
// gives up when the writer is done (exited is closed) without a match, or
// when timeout passes.
func (b *syncBuffer) waitFor(re *regexp.Regexp, exited <-chan struct{}, timeout time.Duration) ([]string, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		b.mu.Lock()
		m := re.FindStringSubmatch(b.buf.String())
		changed := b.changed
		b.mu.Unlock()
		if m != nil {
			return m, nil
		}
		select {
		case <-changed:
		case <-exited:
			// One last look: the final write may have come just before.
			if m := re.FindStringSubmatch(b.String()); m != nil {
				return m, nil
			}
			return nil, fmt.Errorf("the command ended without printing %q", re)
		case <-timer.C:
			return nil, fmt.Errorf("no %q after %v", re, timeout)
		}
	}
}

// The interlude binary, built once for the tests that need a real process.
var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		if err := os.RemoveAll(built.dir); err != nil {
			fmt.Fprintf(os.Stderr, "removing the test binary's folder: %v\n", err)
		}
	}
	os.Exit(code)
}

// binary builds the interlude command (once per test run) and returns its
// path.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	built.once.Do(func() {
		// The go tool of the toolchain that built this test ($GOROOT, or
		// the toolchain's own root), else the one on PATH.
		goTool := filepath.Join(build.Default.GOROOT, "bin", "go")
		if _, err := os.Stat(goTool); err != nil {
			if goTool, err = exec.LookPath("go"); err != nil {
				built.err = fmt.Errorf("no go tool to build the binary: %v", err)
				return
			}
		}
		if built.dir, built.err = os.MkdirTemp("", "interlude-test-"); built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "interlude")
		cmd := exec.Command(goTool, "build", "-o", built.path, ".")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// binaryCommand prepares the built binary with args and an environment without
// any INTERLUDE_ variable of the test process.
func binaryCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "INTERLUDE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}
