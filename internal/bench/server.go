package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var (
	serverRunning  = regexp.MustCompile(`Interlude is running at http://([^/\s]+)/`)
	serverProfiler = regexp.MustCompile(`Profiler at http://([^/\s]+)/`)
)

// startServer starts "interlude serve" on the seeded database and returns
// once it listens; stop ends it gracefully.
func (b *bench) startServer(ctx context.Context, dataDir, databaseURL string) (stop func() error, err error) {
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data", dataDir}
	if databaseURL != "" {
		args = append(args, "--database-url", databaseURL)
	}
	if b.ProfileDir != "" {
		if err := os.MkdirAll(b.ProfileDir, 0o755); err != nil {
			return nil, err
		}
		args = append(args, "--pprof-addr", "127.0.0.1:0")
	}
	cmd := exec.Command(b.Server, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "INTERLUDE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	logFile, err := os.Create(filepath.Join(dataDir, "server.log"))
	if err != nil {
		return nil, err
	}
	// The server writes its log through a descriptor of its own: this
	// process never writes to logFile, so its Close, below, cannot lose a
	// line of it.
	cmd.Stderr = logFile
	out, err := cmd.StdoutPipe()
	if err != nil {
		logFile.Close() //nolint:errcheck // never written here; see above
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logFile.Close() //nolint:errcheck // never written here; see above
		return nil, fmt.Errorf("starting the server: %w", err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	stop = func() error {
		defer logFile.Close() //nolint:errcheck // never written here; see above
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				return fmt.Errorf("the server: %w (its log: %s)", err, tail(logFile.Name()))
			}
			return nil
		case <-time.After(45 * time.Second):
			_ = cmd.Process.Kill()
			<-exited //nolint:errcheck // killed: its exit status only says so
			return errors.New("the server did not stop within 45 s")
		}
	}
	timeout := time.After(2 * time.Minute)
	for b.base == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				err := <-exited
				logFile.Close() //nolint:errcheck // never written here; see above
				return nil, fmt.Errorf("the server ended before it listened (%v): %s", err, tail(logFile.Name()))
			}
			if m := serverProfiler.FindStringSubmatch(line); m != nil {
				b.pprof = "http://" + m[1]
			}
			if m := serverRunning.FindStringSubmatch(line); m != nil {
				b.base = "http://" + m[1]
			}
		case <-timeout:
			_ = stop()
			return nil, errors.New("the server did not listen within 2 minutes")
		case <-ctx.Done():
			_ = stop()
			return nil, ctx.Err()
		}
	}
	go func() { // keep draining stdout
		for range lines {
		}
	}()
	b.pid = cmd.Process.Pid
	tr := &http.Transport{MaxIdleConns: 0, MaxIdleConnsPerHost: 4096, IdleConnTimeout: time.Minute, DisableCompression: true}
	b.api = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	b.streams = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
	return stop, nil
}

// tail is the end of the server's log, for an error message.
func tail(path string) string {
	data, _ := os.ReadFile(path)
	data = bytes.TrimSpace(data)
	if len(data) > 2000 {
		data = data[len(data)-2000:]
	}
	return string(data)
}

// profile fetches a CPU profile of the server over the measured window.
func (b *bench) profile(ctx context.Context, name string) error {
	secs := max(1, int(math.Ceil(b.Duration.Seconds())))
	req, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", b.pprof, secs), nil)
	if err != nil {
		return err
	}
	resp, err := b.streams.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile: %s", resp.Status)
	}
	f, err := os.Create(filepath.Join(b.ProfileDir, name))
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		return errors.Join(err, f.Close())
	}
	return f.Close()
}

// procCPU is the CPU time (user and system) a process has used so far,
// from /proc/PID/stat, or -1 where there is no /proc.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	return parseStatCPU(data)
}

// parseStatCPU reads utime and stime from the contents of /proc/PID/stat,
// or -1 if they are not there.
func parseStatCPU(data []byte) time.Duration {
	// The command name, in parentheses, may hold spaces: count fields
	// after its closing one. utime and stime are fields 14 and 15.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return -1
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	const ticksPerSecond = 100 // USER_HZ, 100 on every Linux Go supports
	return time.Duration(ut+st) * time.Second / ticksPerSecond
}
