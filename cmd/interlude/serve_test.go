package main

import (
	"bufio"
	"context"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"interlude/internal/auth"
	"interlude/internal/store/storetest"
)

// stopTimeout bounds how long a stopping server may take in these tests;
// it is well under the server's own shutdown grace, so a hang fails here
// rather than passing late.
const stopTimeout = 10 * time.Second

// testMetricsToken is the --metrics-token of the end-to-end server.
const testMetricsToken = "end-to-end-metrics-token-0123456789abcdef"

// engineArgs gives, per engine, the flags that select a fresh database.
var engineArgs = []struct {
	name string
	args func(t *testing.T) []string
}{
	{"sqlite", func(t *testing.T) []string { return []string{"--data", t.TempDir()} }},
	{"postgres", func(t *testing.T) []string {
		return []string{"--database-url", storetest.PostgresSchema(t), "--data", t.TempDir()}
	}},
}

func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	for _, eng := range engineArgs {
		if !storetest.Enabled(eng.name) {
			continue
		}
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			dbArgs := eng.args(t)

			s := startServe(t, append(dbArgs, "--metrics-token", testMetricsToken)...)
			if s.engine != eng.name {
				t.Errorf("the server runs on %q, want %q", s.engine, eng.name)
			}
			s.waitHealthy(t)

			t.Run("home", func(t *testing.T) {
				resp, body := s.get(t, "/")
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET /: status %d, want 200", resp.StatusCode)
				}
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
					t.Errorf("GET /: Content-Type %q, want text/html", ct)
				}
				if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src") {
					t.Errorf("GET /: Content-Security-Policy %q, want a policy with default-src", csp)
				}
				if !strings.Contains(strings.ToLower(body), "<html") {
					t.Errorf("GET /: the body is not an HTML page:\n%s", body)
				}
			})

			t.Run("metrics", func(t *testing.T) {
				// Only to the operator's token (issue #17).
				if resp, _ := s.get(t, "/metrics"); resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("GET /metrics without the token: status %d, want 401", resp.StatusCode)
				}
				req, err := http.NewRequest("GET", s.base+"/metrics", nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+testMetricsToken)
				r, err := s.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(r.Body)
				r.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				resp, body := r, string(b)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET /metrics: status %d, want 200", resp.StatusCode)
				}
				// waitHealthy got a 200 from /healthz, so that series exists.
				want := `interlude_http_requests_total{method="GET",route="GET /healthz",status="200"}`
				if !strings.Contains(body, want) {
					t.Errorf("GET /metrics lacks %s:\n%s", want, body)
				}
			})

			t.Run("unknown API route", func(t *testing.T) {
				resp, body := s.get(t, "/api/v1/x")
				if resp.StatusCode != http.StatusNotFound {
					t.Errorf("GET /api/v1/x: status %d, want 404", resp.StatusCode)
				}
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("GET /api/v1/x: Content-Type %q, want application/json", ct)
				}
				var got struct {
					Error struct {
						Code    string `json:"code"`
						Message string `json:"message"`
					} `json:"error"`
				}
				if err := json.Unmarshal([]byte(body), &got); err != nil {
					t.Fatalf("GET /api/v1/x: the body is not the JSON error shape: %v\n%s", err, body)
				}
				if got.Error.Code != "not_found" || got.Error.Message == "" {
					t.Errorf("GET /api/v1/x: error %+v, want code not_found and a message", got.Error)
				}
			})

			t.Run("demo logins", func(t *testing.T) {
				out := s.stdout.String()
				if !strings.Contains(out, "Created the demo clinic") {
					t.Fatalf("the first start did not say it created the demo clinic:\n%s", out)
				}
				// API.md: an admin, a provider and two clients.
				login := regexp.MustCompile(`(?m)^\s+(admin|provider|client)\s+.*\s\S+@\S+\s+password \S+$`)
				roles := map[string]int{}
				for _, m := range login.FindAllStringSubmatch(out, -1) {
					roles[m[1]]++
				}
				if roles["admin"] != 1 || roles["provider"] != 1 || roles["client"] != 2 {
					t.Errorf("demo logins by role: %v, want 1 admin, 1 provider, 2 clients; output:\n%s", roles, out)
				}
			})

			// The printed logins work: each demo person signs in through the
			// API, staff with a code from the printed authenticator secret.
			t.Run("demo sign-in", func(t *testing.T) { demoSignIn(t, s.base, s.stdout.String()) })

			s.stop(t)

			// The logins are kept for the demo, for the owner only.
			data := dbArgs[len(dbArgs)-1]
			kept := filepath.Join(data, demoLoginsFile)
			if fi, err := os.Stat(kept); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("the kept demo logins: %v, %v; want a 0600 file", fi, err)
			}

			// A second start on the same database leaves it as it is and
			// prints the same logins again, which still sign in (issue #18).
			again := startServe(t, dbArgs...)
			again.waitHealthy(t)
			out := again.stdout.String()
			if strings.Contains(out, "Created the demo clinic") {
				t.Errorf("the second start created the demo clinic again:\n%s", out)
			}
			if !strings.Contains(out, "The database already holds the demo clinic \"Riverbend Counseling (demo)\"; no demo data was added.") ||
				!strings.Contains(out, kept) {
				t.Errorf("the second start did not say it left the database alone, with the kept logins:\n%s", out)
			}
			// The same lines the first start printed, which signed in above
			// (a second sign-in might fall in the same TOTP step, a replay).
			loginLines := regexp.MustCompile(`(?m)^ +.*(password|authenticator secret) \S+.*$`)
			if first, second := loginLines.FindAllString(s.stdout.String(), -1), loginLines.FindAllString(out, -1); len(first) != 6 ||
				strings.Join(first, "\n") != strings.Join(second, "\n") {
				t.Errorf("the second start printed logins\n%s\nwant the first start's\n%s", strings.Join(second, "\n"), strings.Join(first, "\n"))
			}
			again.stop(t)

			// Without the kept logins, a third start says how to start a
			// fresh demo.
			if err := os.Remove(kept); err != nil {
				t.Fatal(err)
			}
			third := startServe(t, dbArgs...)
			third.waitHealthy(t)
			third.stop(t)
			out = third.stdout.String()
			want := `interlude serve --demo --data "$(mktemp -d)"`
			if eng.name == "postgres" {
				want = `createdb interlude_demo && interlude serve --demo --database-url postgres:///interlude_demo --data "$(mktemp -d)"`
			}
			if !strings.Contains(out, "The database already holds a clinic; no demo data was added") || !strings.Contains(out, "\n  "+want+"\n") ||
				strings.Contains(out, "password ") {
				t.Errorf("the third start, without kept logins:\n%s", out)
			}
		})
	}
}

// demoSignIn signs each demo login printed in out in through the API of
// the server at base, staff with a code from the printed authenticator
// secret.
func demoSignIn(t *testing.T, base, out string) {
	t.Helper()
	login := regexp.MustCompile(`(?m)^\s+(admin|provider|client)\s+.*\s(\S+@\S+)\s+password (\S+)\n(?:\s+authenticator secret (\S+))?`)
	matches := login.FindAllStringSubmatch(out, -1)
	if len(matches) != 4 {
		t.Fatalf("found %d demo logins in:\n%s", len(matches), out)
	}
	for _, m := range matches {
		role, email, password, secret := m[1], m[2], m[3], m[4]
		body := map[string]string{"email": email, "password": password}
		if role != "client" {
			if secret == "" {
				t.Fatalf("no authenticator secret printed for the %s", role)
			}
			key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
			if err != nil {
				t.Fatalf("secret %q: %v", secret, err)
			}
			body["totp_code"] = auth.TOTPCode(key, auth.TOTPStep(time.Now()))
		}
		b, _ := json.Marshal(body)
		resp, err := http.Post(base+"/api/v1/sessions", "application/json", strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Token string `json:"token"`
			User  struct {
				Role string `json:"role"`
			} `json:"user"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Errorf("%s %s: decoding the session: %v", role, email, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || got.Token == "" || got.User.Role != role {
			t.Errorf("%s %s: status %d, role %q", role, email, resp.StatusCode, got.User.Role)
		}
	}
}

// testServe is `interlude serve` running inside the test through run.
type testServe struct {
	base   string // http://127.0.0.1:PORT
	engine string // as the running line names it
	stdout *syncBuffer
	stderr *syncBuffer
	client *http.Client
	cancel context.CancelFunc
	exited chan struct{}
	err    error // what run returned; read it only once exited is closed
}

// startServe runs `interlude serve --addr 127.0.0.1:0 --demo` with the
// extra args and returns once the server said where it listens.
func startServe(t *testing.T, args ...string) *testServe {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServe{
		stdout: newSyncBuffer(),
		stderr: newSyncBuffer(),
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}},
		cancel: cancel,
		exited: make(chan struct{}),
	}
	argv := append([]string{"interlude", "serve", "--addr", "127.0.0.1:0", "--demo"}, args...)
	go func() {
		s.err = run(ctx, argv, noEnv, s.stdout, s.stderr)
		close(s.exited)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.exited:
		case <-time.After(stopTimeout):
			t.Errorf("serve still running %v after the test ended", stopTimeout)
		}
		s.client.CloseIdleConnections()
	})
	m, err := s.stdout.waitFor(regexp.MustCompile(runningAt.String()+` \((\w+)\)`), s.exited, 30*time.Second)
	if err != nil {
		t.Fatalf("%v\nrun: %s\nstderr:\n%s", err, s.result(), s.stderr)
	}
	s.base, s.engine = "http://"+m[1], m[2]
	return s
}

// result describes what run returned, for failure messages.
func (s *testServe) result() string {
	select {
	case <-s.exited:
		return fmt.Sprintf("returned %v", s.err)
	default:
		return "still running"
	}
}

// waitHealthy waits, with a deadline, for GET /healthz to answer 200 "ok".
func (s *testServe) waitHealthy(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var last string
	for {
		resp, err := s.client.Get(s.base + "/healthz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && string(b) == "ok" {
				return
			}
			last = fmt.Sprintf("status %d, body %q", resp.StatusCode, b)
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /healthz never answered 200 ok; last: %s\nrun: %s\nstderr:\n%s", last, s.result(), s.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *testServe) get(t *testing.T, path string) (gotResponse, string) {
	t.Helper()
	resp, err := s.client.Get(s.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", path, err)
	}
	return gotResponse{StatusCode: resp.StatusCode, Header: resp.Header}, string(b)
}

// gotResponse is what get returns of a response whose body it has read
// and closed.
type gotResponse struct {
	StatusCode int
	Header     http.Header
}

// stop cancels run's context and checks that run returns nil in time. The
// client's idle keep-alive connections stay open on purpose: a graceful
// shutdown must not wait for them.
func (s *testServe) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	select {
	case <-s.exited:
		if s.err != nil {
			t.Fatalf("run returned %v after its context was cancelled, want nil\nstderr:\n%s", s.err, s.stderr)
		}
	case <-time.After(stopTimeout):
		t.Fatalf("run did not return within %v of its context being cancelled", stopTimeout)
	}
}

// TestGracefulShutdownSIGTERM checks that the real binary, on SIGTERM,
// stops accepting connections, finishes the request in flight, and exits 0.
//
// The request in flight is one whose headers the server has read and whose
// body is still arriving. A request with only part of its headers sent is
// not in flight as far as net/http is concerned: once Shutdown has begun, a
// connection that completes its headers is closed without an answer
// (net/http's conn.serve checks shuttingDown right after readRequest), and
// one still reading headers is dropped as idle after 5 seconds. Once the
// headers are read, the connection is active and Shutdown waits for it; the
// /healthz handler runs and returns, and net/http then reads the rest of the
// body before it sends the answer on a keep-alive connection. The test
// waits for the server's access log line of that request before sending
// SIGTERM, so the headers were read for sure.
func TestGracefulShutdownSIGTERM(t *testing.T) {
	t.Parallel()
	storetest.Need(t, "sqlite")
	cmd := binaryCommand(t, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir())
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill() //nolint:errcheck // it fails only if the process has exited, and <-exited waits either way
			<-exited
		}
	})
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"\nstdout:\n%s\nstderr:\n%s", append(args, stdout, stderr)...)
	}

	m, err := stdout.waitFor(runningAt, exited, 30*time.Second)
	if err != nil {
		fail("%v", err)
	}
	addr := m[1]

	// Send the headers and part of the body.
	const body = "0123456789"
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		fail("dial: %v", err)
	}
	defer conn.Close() //nolint:errcheck // the test's own client connection, only read after the response was checked
	if err := conn.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		fail("deadline: %v", err)
	}
	if _, err := fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:4]); err != nil {
		fail("writing the first part of the request: %v", err)
	}
	handled := regexp.MustCompile(`"msg":"request".*"route":"GET /healthz"`)
	if _, err := stderr.waitFor(handled, exited, 10*time.Second); err != nil {
		fail("the server did not take up the request: %v", err)
	}

	// SIGTERM, and wait until the server stopped accepting connections.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		fail("SIGTERM: %v", err)
	}
	if _, err := stderr.waitFor(regexp.MustCompile(`"msg":"shutting down"`), exited, 10*time.Second); err != nil {
		fail("after SIGTERM: %v", err)
	}
	if err := waitRefused(addr, 10*time.Second); err != nil {
		fail("after SIGTERM: %v", err)
	}

	// The request in flight still gets its answer.
	if _, err := io.WriteString(conn, body[4:]); err != nil {
		fail("writing the rest of the request: %v", err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		fail("the request in flight got no answer: %v", err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		fail("reading the answer: %v", err)
	}
	if resp.StatusCode != http.StatusOK || string(got) != "ok" {
		fail("the request in flight got %d %q, want 200 \"ok\"", resp.StatusCode, got)
	}
	// A stopping server does not keep the connection alive.
	if n, err := br.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		fail("after the answer: read %d bytes, error %v; want the server to close the connection", n, err)
	}

	select {
	case <-exited:
		if waitErr != nil {
			fail("after SIGTERM the process ended with %v, want exit status 0", waitErr)
		}
	case <-time.After(stopTimeout):
		fail("the process did not exit within %v of SIGTERM", stopTimeout)
	}
	if c, err := net.DialTimeout("tcp", addr, 5*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		if c != nil {
			c.Close() //nolint:errcheck // a connection that should not exist, closed as the test fails
		}
		t.Errorf("dialing %s after exit: %v, want connection refused", addr, err)
	}
}

// waitRefused waits until connections to addr are refused.
func waitRefused(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil
		}
		if c != nil {
			c.Close() //nolint:errcheck // a probe connection, nothing sent on it
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still accepts connections after %v (last dial: %v)", addr, timeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
