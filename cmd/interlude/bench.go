package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store/postgres"
)

// "interlude bench messages" measures secure messaging end to end (issue
// #6): it starts this same binary as "interlude serve" on a temporary
// database, seeds a clinic straight through the store, signs everyone in
// over the API (staff with their TOTP codes), and drives the server over
// HTTP and Server-Sent Events on loopback. Client i sends to their own
// thread; provider i, on their care team, has the real-time stream open,
// and the latency of a message is from the start of its POST to the
// arrival of its event on that stream. Idle recipients are clients with a
// stream open to whom nothing is sent.
//
// Nothing is weakened for the bench: the server is the production one,
// with synchronous=FULL on SQLite, the audit trail and encryption.

// benchPassword is every bench user's password: one argon2id hash (with
// the server's parameters, so no sign-in rehashes) serves them all.
const benchPassword = "bench-messages-lantern-harbor"

// benchText is the text of every bench message: about the length of a
// short real one.
const benchText = "Thanks for today. I tried the breathing exercise twice this morning and it helped a little before work."

func benchCmd(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "messages" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(e.stdout, "Usage: interlude bench messages [flags] (interlude bench messages --help)")
			return nil
		}
		return errors.New("bench: say 'interlude bench messages' (see --help)")
	}
	fs := flag.NewFlagSet("bench messages", flag.ContinueOnError)
	b := &bench{e: e}
	fs.StringVar(&b.engine, "engine", "sqlite", "database engine: sqlite (a temporary file, synchronous=FULL) or postgres (needs --db)")
	fs.StringVar(&b.dbURL, "db", "", "for --engine postgres: postgres://… of a database to work in; the bench makes a schema of its own there and drops it")
	fs.DurationVar(&b.duration, "duration", 5*time.Second, "how long each run is measured")
	fs.DurationVar(&b.warmup, "warmup", time.Second, "how long each run sends before it is measured")
	fs.IntVar(&b.count, "count", 0, "end each run's measurement after this many messages instead (0: after --duration)")
	senders := fs.String("senders", "1,8,32", "comma-separated numbers of concurrent senders, one run each")
	idle := fs.String("idle", "0,500", "comma-separated numbers of idle recipients connected on the real-time stream")
	fs.StringVar(&b.profileDir, "profile", "", "write a CPU profile of the server for each run into this folder (the server serves its profiler on loopback)")
	fs.StringVar(&b.exe, "server", "", "the interlude binary to start (default: this one)")
	if err := parseFlags(fs, e, args[1:]); err != nil {
		return err
	}
	var err error
	if b.senders, err = intList(*senders, 1); err != nil {
		return fmt.Errorf("bench messages: --senders %v", err)
	}
	if b.idle, err = intList(*idle, 0); err != nil {
		return fmt.Errorf("bench messages: --idle %v", err)
	}
	switch {
	case b.engine == "sqlite" && b.dbURL != "":
		return errors.New("bench messages: --db is for --engine postgres")
	case b.engine == "postgres" && b.dbURL == "":
		return errors.New("bench messages: --engine postgres needs --db postgres://…")
	case b.engine != "sqlite" && b.engine != "postgres":
		return errors.New("bench messages: --engine must be sqlite or postgres")
	case b.count < 0:
		return errors.New("bench messages: --count must not be negative")
	}
	if b.exe == "" {
		if b.exe, err = os.Executable(); err != nil {
			return fmt.Errorf("bench messages: finding this binary: %w", err)
		}
	}
	return b.run(ctx)
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

type bench struct {
	e          *env
	engine     string
	dbURL      string
	duration   time.Duration
	warmup     time.Duration
	count      int
	senders    []int
	idle       []int
	profileDir string
	exe        string

	base    string // http://127.0.0.1:PORT
	pprof   string // http://127.0.0.1:PORT of the profiler, with --profile
	pid     int
	api     *http.Client // requests
	streams *http.Client // real-time streams

	pairs    []benchPair
	idlers   []benchUser
	pending  sync.Map // message id → *delivery, for the run in progress
	measured atomic.Bool
}

type benchUser struct {
	id     string
	email  string
	secret []byte // staff: the TOTP secret
	token  string
}

// benchPair is a sender (a client) and the recipient who watches their
// thread (the provider on their care team).
type benchPair struct {
	client, provider benchUser
}

// delivery matches a message's POST with its event on the stream, in
// either order.
type delivery struct {
	mu       sync.Mutex
	start    time.Time // the POST began
	arrived  time.Time // the event reached the recipient
	counted  bool
	measured bool
	done     chan struct{} // closed once both are known
}

func (b *bench) run(ctx context.Context) (err error) {
	tmp, err := os.MkdirTemp("", "interlude-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	db := dbFlags{data: tmp}
	if b.engine == "postgres" {
		u, drop, err := postgres.NewSchema(ctx, b.dbURL, "bench_")
		if err != nil {
			return fmt.Errorf("bench messages: %w", err)
		}
		defer func() { err = errors.Join(err, drop()) }()
		db.databaseURL = u
	}
	fmt.Fprintf(b.e.stdout, "Seeding a clinic of %d clients with a provider each and %d idle clients (%s)…\n",
		slices.Max(b.senders), slices.Max(b.idle), b.engine)
	if err := b.seed(ctx, &db); err != nil {
		return fmt.Errorf("bench messages: seeding: %w", err)
	}
	stop, err := b.startServer(ctx, &db, tmp)
	if err != nil {
		return fmt.Errorf("bench messages: %w", err)
	}
	defer func() { err = errors.Join(err, stop()) }()
	fmt.Fprintf(b.e.stdout, "Signing %d users in over the API…\n", 2*len(b.pairs)+len(b.idlers))
	if err := b.signIn(ctx); err != nil {
		return fmt.Errorf("bench messages: signing in: %w", err)
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var readers sync.WaitGroup
	defer readers.Wait()
	defer cancel()
	for i := range b.pairs {
		if err := b.openStream(rctx, &readers, b.pairs[i].provider.token, true); err != nil {
			return fmt.Errorf("bench messages: a recipient's stream: %w", err)
		}
	}
	var results []benchResult
	connected := 0
	for _, idle := range b.idle {
		for connected < idle {
			if err := b.openStream(rctx, &readers, b.idlers[connected].token, false); err != nil {
				return fmt.Errorf("bench messages: an idle stream: %w", err)
			}
			connected++
		}
		// A run with fewer idle streams than the last needs a fresh
		// server; runs go in the order given, so ask for 0 before 500.
		if connected > idle {
			return errors.New("bench messages: give --idle in increasing order")
		}
		for _, n := range b.senders {
			r, err := b.measure(ctx, n, idle)
			if err != nil {
				return fmt.Errorf("bench messages: %d senders, %d idle: %w", n, idle, err)
			}
			results = append(results, r)
		}
	}
	b.report(results)
	return nil
}

// seed creates the clinic straight through the store, in parallel so that
// the writes share commits.
func (b *bench) seed(ctx context.Context, db *dbFlags) error {
	quiet := &env{getenv: b.e.getenv, stdout: io.Discard, stderr: io.Discard}
	st, eng, _, err := db.openStore(ctx, quiet)
	if err != nil {
		return err
	}
	defer eng.Close()
	hash, err := auth.HashPassword(auth.DefaultParams(), benchPassword)
	if err != nil {
		return err
	}
	c := &care.Clinic{Name: "Bench Clinic"}
	if err := st.CreateClinic(ctx, c); err != nil {
		return err
	}
	admin := care.User{ClinicID: c.ID, Role: care.RoleAdmin, Email: "admin@bench.interlude.test", DisplayName: "Bench Admin"}
	if err := st.CreateUser(ctx, &admin); err != nil {
		return err
	}
	adminActor := care.Actor{UserID: admin.ID, ClinicID: c.ID, Role: care.RoleAdmin}
	newUser := func(role care.Role, email string) (benchUser, error) {
		u := care.User{ClinicID: c.ID, Role: role, Email: email, DisplayName: "Bench " + string(role), TimeZone: "UTC"}
		if err := st.CreateUser(ctx, &u); err != nil {
			return benchUser{}, fmt.Errorf("creating a user: %w", err)
		}
		if err := st.SetPasswordHash(ctx, u.ID, hash); err != nil {
			return benchUser{}, fmt.Errorf("setting a password: %w", err)
		}
		bu := benchUser{id: u.ID, email: u.Email}
		if role.Staff() {
			bu.secret = auth.NewTOTPSecret()
			if err := st.SetTOTP(ctx, care.Actor{UserID: u.ID, ClinicID: c.ID, Role: role}, bu.secret); err != nil {
				return benchUser{}, fmt.Errorf("setting a TOTP secret: %w", err)
			}
			if err := st.ConfirmTOTP(ctx, u.ID); err != nil {
				return benchUser{}, fmt.Errorf("confirming a TOTP secret: %w", err)
			}
		}
		return bu, nil
	}
	b.pairs = make([]benchPair, slices.Max(b.senders))
	b.idlers = make([]benchUser, slices.Max(b.idle))
	one := func(i int) error {
		if i < len(b.pairs) {
			p := &b.pairs[i]
			var err error
			if p.client, err = newUser(care.RoleClient, fmt.Sprintf("client-%d@bench.interlude.test", i)); err != nil {
				return err
			}
			if p.provider, err = newUser(care.RoleProvider, fmt.Sprintf("provider-%d@bench.interlude.test", i)); err != nil {
				return err
			}
			return st.AddToCareTeam(ctx, adminActor, p.client.id, p.provider.id)
		}
		j := i - len(b.pairs)
		var err error
		b.idlers[j], err = newUser(care.RoleClient, fmt.Sprintf("idle-%d@bench.interlude.test", j))
		return err
	}
	// The first provider's TOTP secret creates the clinic's data key;
	// created by concurrent transactions, it would be created twice.
	if err := one(0); err != nil {
		return err
	}
	jobs := make(chan int)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range jobs {
				if err := one(i); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for i := 1; i < len(b.pairs)+len(b.idlers); i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

var (
	benchRunning  = regexp.MustCompile(`Interlude is running at http://([^/\s]+)/`)
	benchProfiler = regexp.MustCompile(`Profiler at http://([^/\s]+)/`)
)

// startServer starts "interlude serve" on the seeded database and returns
// once it listens; stop ends it gracefully.
func (b *bench) startServer(ctx context.Context, db *dbFlags, tmp string) (stop func() error, err error) {
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data", db.data}
	if db.databaseURL != "" {
		args = append(args, "--database-url", db.databaseURL)
	}
	if b.profileDir != "" {
		if err := os.MkdirAll(b.profileDir, 0o755); err != nil {
			return nil, err
		}
		args = append(args, "--pprof-addr", "127.0.0.1:0")
	}
	cmd := exec.Command(b.exe, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "INTERLUDE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	logFile, err := os.Create(filepath.Join(tmp, "server.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logFile
	out, err := cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
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
		defer logFile.Close()
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				return fmt.Errorf("the server: %w (its log: %s)", err, tail(logFile.Name()))
			}
			return nil
		case <-time.After(45 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			return errors.New("the server did not stop within 45 s")
		}
	}
	timeout := time.After(2 * time.Minute)
	for b.base == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				err := <-exited
				logFile.Close()
				return nil, fmt.Errorf("the server ended before it listened (%v): %s", err, tail(logFile.Name()))
			}
			if m := benchProfiler.FindStringSubmatch(line); m != nil {
				b.pprof = "http://" + m[1]
			}
			if m := benchRunning.FindStringSubmatch(line); m != nil {
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

// signIn signs every bench user in through POST /api/v1/sessions, a few
// at a time (sign-in is deliberately slow: argon2id).
func (b *bench) signIn(ctx context.Context) error {
	var users []*benchUser
	for i := range b.pairs {
		users = append(users, &b.pairs[i].client, &b.pairs[i].provider)
	}
	for i := range b.idlers {
		users = append(users, &b.idlers[i])
	}
	jobs := make(chan *benchUser)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for u := range jobs {
				if err := b.signInOne(ctx, u); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for _, u := range users {
		jobs <- u
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

func (b *bench) signInOne(ctx context.Context, u *benchUser) error {
	req := map[string]string{"email": u.email, "password": benchPassword}
	if u.secret != nil {
		req["totp_code"] = auth.TOTPCode(u.secret, auth.TOTPStep(time.Now()))
	}
	var resp struct {
		Token string `json:"token"`
	}
	if err := b.call(ctx, "POST", "/api/v1/sessions", "", req, http.StatusCreated, &resp); err != nil {
		return err
	}
	u.token = resp.Token
	return nil
}

// call makes one API request and decodes its answer.
func (b *bench) call(ctx context.Context, method, path, token string, body any, want int, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := b.api.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(answer))
	}
	if out != nil {
		return json.Unmarshal(answer, out)
	}
	return nil
}

// openStream opens a real-time stream with token and reads it until ctx
// ends. A recipient's stream records its message events' arrival.
func (b *bench) openStream(ctx context.Context, wg *sync.WaitGroup, token string, recipient bool) error {
	req, err := http.NewRequestWithContext(ctx, "GET", b.base+"/api/v1/events", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := b.streams.Do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return fmt.Errorf("GET /api/v1/events: %s", resp.Status)
	}
	wg.Go(func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		kind := ""
		for sc.Scan() {
			line := sc.Bytes()
			switch {
			case bytes.HasPrefix(line, []byte("event: ")):
				kind = string(line[len("event: "):])
			case bytes.HasPrefix(line, []byte("data: ")) && kind == "message" && recipient:
				now := time.Now()
				var ev struct {
					MessageID string `json:"message_id"`
				}
				if json.Unmarshal(line[len("data: "):], &ev) == nil {
					b.delivered(ev.MessageID, now)
				}
			case len(line) == 0:
				kind = ""
			}
		}
	})
	return nil
}

func (b *bench) entry(id string) *delivery {
	d, _ := b.pending.LoadOrStore(id, &delivery{done: make(chan struct{})})
	return d.(*delivery)
}

// delivered records the arrival of message id's event.
func (b *bench) delivered(id string, at time.Time) {
	d := b.entry(id)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.arrived.IsZero() {
		d.arrived = at
		if !d.start.IsZero() {
			close(d.done)
		}
	}
}

// sent records that message id's POST began at start.
func (b *bench) sent(id string, start time.Time, measured bool) *delivery {
	d := b.entry(id)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.start, d.measured = start, measured
	if !d.arrived.IsZero() {
		close(d.done)
	}
	return d
}

type benchResult struct {
	senders, idle int
	messages      int
	elapsed       time.Duration
	p50, p99      time.Duration
	cpu           time.Duration // the server's CPU time in the window
	benchCPU      time.Duration // this process's
	lost, errors  int
}

// measure runs n senders: they send for the warm-up, then for the
// measured window, whose messages are counted, timed and awaited.
func (b *bench) measure(ctx context.Context, n, idle int) (benchResult, error) {
	res := benchResult{senders: n, idle: idle}
	stopCtx, stop := context.WithCancel(ctx)
	defer stop()
	var (
		mu        sync.Mutex
		waits     []*delivery
		completed atomic.Int64
		started   atomic.Int64
		failures  atomic.Int64
		firstErr  atomic.Value
		wg        sync.WaitGroup
		inWindow  atomic.Bool
		windowEnd = make(chan struct{})
		endOnce   sync.Once
	)
	for i := range n {
		p := b.pairs[i]
		path := "/api/v1/clients/" + p.client.id + "/messages"
		body := map[string]string{"text": benchText}
		wg.Go(func() {
			var mine []*delivery
			defer func() {
				mu.Lock()
				waits = append(waits, mine...)
				mu.Unlock()
			}()
			for stopCtx.Err() == nil {
				measured := inWindow.Load()
				if measured && b.count > 0 && started.Add(1) > int64(b.count) {
					endOnce.Do(func() { close(windowEnd) })
					return
				}
				start := time.Now()
				var m struct {
					ID string `json:"id"`
				}
				if err := b.call(stopCtx, "POST", path, p.client.token, body, http.StatusCreated, &m); err != nil {
					if stopCtx.Err() != nil {
						return
					}
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					time.Sleep(10 * time.Millisecond)
					continue
				}
				d := b.sent(m.ID, start, measured)
				if measured {
					mine = append(mine, d)
					if inWindow.Load() {
						completed.Add(1)
					}
				}
			}
		})
	}
	profiled := make(chan error, 1)
	select {
	case <-time.After(b.warmup):
	case <-ctx.Done():
		return res, ctx.Err()
	}
	if b.pprof != "" {
		go func() {
			profiled <- b.profile(ctx, fmt.Sprintf("cpu-%s-senders%d-idle%d.pprof", b.engine, n, idle))
		}()
	} else {
		profiled <- nil
	}
	cpu0, bench0 := procCPU(b.pid), procCPU(os.Getpid())
	t0 := time.Now()
	inWindow.Store(true)
	select {
	case <-time.After(b.duration):
	case <-windowEnd:
	case <-ctx.Done():
		return res, ctx.Err()
	}
	inWindow.Store(false)
	res.elapsed = time.Since(t0)
	cpu1, bench1 := procCPU(b.pid), procCPU(os.Getpid())
	res.messages = int(completed.Load())
	if cpu0 >= 0 && cpu1 >= 0 {
		res.cpu, res.benchCPU = cpu1-cpu0, bench1-bench0
	} else {
		res.cpu, res.benchCPU = -1, -1
	}
	stop()
	wg.Wait()
	if err := <-profiled; err != nil {
		return res, err
	}
	res.errors = int(failures.Load())
	if res.errors > 0 && res.messages == 0 {
		return res, fmt.Errorf("every message failed: %v", firstErr.Load())
	}
	// Wait for the measured messages' events, then forget this run's.
	var lat []time.Duration
	deadline := time.After(10 * time.Second)
	for _, d := range waits {
		select {
		case <-d.done:
			lat = append(lat, d.arrived.Sub(d.start))
		case <-deadline:
			res.lost++
		}
	}
	b.pending.Clear()
	slices.Sort(lat)
	res.p50, res.p99 = percentile(lat, 0.50), percentile(lat, 0.99)
	if len(waits) > 0 && len(lat) == 0 {
		return res, errors.New("no message reached its recipient's stream")
	}
	return res, nil
}

// profile fetches a CPU profile of the server over the measured window.
func (b *bench) profile(ctx context.Context, name string) error {
	secs := max(1, int(math.Ceil(b.duration.Seconds())))
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
	f, err := os.Create(filepath.Join(b.profileDir, name))
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// percentile is the q-quantile of sorted (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// procCPU is the CPU time (user and system) a process has used so far,
// from /proc/PID/stat, or -1 where there is no /proc.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
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

// report prints the results as a table, then the throughput with idle
// recipients relative to none.
func (b *bench) report(results []benchResult) {
	w := b.e.stdout
	durability := "synchronous=FULL"
	if b.engine == "postgres" {
		durability = "synchronous_commit as configured"
	}
	fmt.Fprintf(w, "\ninterlude bench messages: %s (%s), audit and encryption on; %d CPUs (GOMAXPROCS %d); %v measured per run after %v warm-up\n",
		b.engine, durability, runtime.NumCPU(), runtime.GOMAXPROCS(0), b.duration, b.warmup)
	fmt.Fprintln(w, "latency: start of the sender's POST to the event's arrival on the recipient's stream; CPU: the server process's user+system time")
	fmt.Fprintf(w, "%5s %8s %9s %9s %8s %8s %14s %13s %5s %6s\n",
		"idle", "senders", "messages", "msg/s", "p50 ms", "p99 ms", "server µs/msg", "bench µs/msg", "lost", "errors")
	rate := map[[2]int]float64{}
	for _, r := range results {
		mps := float64(r.messages) / r.elapsed.Seconds()
		rate[[2]int{r.idle, r.senders}] = mps
		fmt.Fprintf(w, "%5d %8d %9d %9.0f %8.2f %8.2f %14s %13s %5d %6d\n",
			r.idle, r.senders, r.messages, mps, ms(r.p50), ms(r.p99), perMessage(r.cpu, r.messages), perMessage(r.benchCPU, r.messages), r.lost, r.errors)
	}
	if len(b.idle) > 1 {
		lo, hi := b.idle[0], b.idle[len(b.idle)-1]
		for _, n := range b.senders {
			base, with := rate[[2]int{lo, n}], rate[[2]int{hi, n}]
			if base > 0 {
				fmt.Fprintf(w, "%d senders: throughput with %d idle recipients is %.0f%% of that with %d (%+.1f%%)\n",
					n, hi, 100*with/base, lo, 100*(with-base)/base)
			}
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func perMessage(cpu time.Duration, n int) string {
	if cpu < 0 || n == 0 {
		return "n/a"
	}
	return strconv.FormatFloat(float64(cpu.Microseconds())/float64(n), 'f', 0, 64)
}
