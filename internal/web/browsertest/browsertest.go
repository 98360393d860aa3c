// Package browsertest holds the headless Chromium that a test binary's
// browser tests share: one process, started at the first test that asks
// for it and ended by Shutdown from TestMain, in which each person of each
// test gets a browser context of their own (an incognito profile: cookies,
// storage and cache of its own). Starting Chromium costs about a second and
// a hundred megabytes; a context costs milliseconds.
//
// Screenshots are taken only when asked: -screenshots DIR (after -args)
// writes the pictures the documentation shows into DIR, which is how
// docs/screenshots is refreshed:
//
//	go test ./internal/web -run Browser -args -screenshots "$PWD/docs/screenshots"
//
// It imports nothing of Interlude's, so that any package's tests may use it.
package browsertest

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// screenshots is the -screenshots flag: where the documentation's
// screenshots go; empty takes none.
var screenshots = flag.String("screenshots", "", "write the documentation's screenshots into this folder (docs/screenshots refreshes them)")

// ScreenshotsDir returns the folder of -screenshots, or "" when no
// screenshot was asked for.
func ScreenshotsDir() string { return *screenshots }

// maxTests bounds how many tests use the browser at once: each of them
// renders pages on the machine's few cores, and a step that waits too
// long for a core fails.
const maxTests = 3

// shared is the one browser of the test binary.
var shared struct {
	once   sync.Once
	ctx    context.Context // the browser's first tab
	cancel func()
	err    error
	dir    string        // the profile's folder
	slots  chan struct{} // maxTests

	mu      sync.Mutex
	holding map[testing.TB]bool // the tests that hold a place
}

// ChromiumPath finds the browser. Without one the test skips on a
// developer's machine and fails in CI, so that CI never passes without it.
func ChromiumPath(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium binary, and CI is set: install Debian's chromium package (scripts/test.sh does)")
	}
	t.Skip("no chromium binary: install Debian's chromium package, or run scripts/test.sh")
	return ""
}

// Start returns the context of the shared browser's first tab, starting
// the browser at the first call, and holds one of its places for the
// test until it ends (a test holds one place however often it calls
// Start). New browser contexts are made from it with
// chromedp.NewContext(ctx, chromedp.WithNewBrowserContext()).
func Start(t testing.TB) context.Context {
	t.Helper()
	execPath := ChromiumPath(t)
	shared.once.Do(func() { start(execPath) })
	if shared.err != nil {
		t.Fatalf("starting %s: %v", execPath, shared.err)
	}
	shared.mu.Lock()
	held := shared.holding[t]
	shared.mu.Unlock()
	if held {
		return shared.ctx
	}
	select {
	case shared.slots <- struct{}{}:
	case <-time.After(10 * time.Minute):
		t.Fatal("no place in the shared browser within 10 minutes")
	}
	shared.mu.Lock()
	shared.holding[t] = true
	shared.mu.Unlock()
	t.Cleanup(func() {
		shared.mu.Lock()
		delete(shared.holding, t)
		shared.mu.Unlock()
		<-shared.slots
	})
	return shared.ctx
}

func start(execPath string) {
	shared.slots = make(chan struct{}, maxTests)
	shared.holding = map[testing.TB]bool{}
	shared.dir, shared.err = os.MkdirTemp("", "interlude-chromium-")
	if shared.err != nil {
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root in CI
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(shared.dir, "profile")),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	// The first Do starts the browser and binds its life to ctx, which has
	// no deadline; each step of a test gets its own.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		shared.err = err
		return
	}
	shared.ctx = ctx
	shared.cancel = func() { cancel(); cancelAlloc() }
}

// Shutdown ends the shared browser, if one started, and removes its
// profile. TestMain calls it after the tests.
func Shutdown() {
	if shared.cancel != nil {
		shared.cancel()
	}
	if shared.dir != "" {
		// Chromium's helpers may still write to the profile for a moment
		// after the browser exits.
		for range 50 {
			if os.RemoveAll(shared.dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
