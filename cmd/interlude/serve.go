package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"interlude/internal/audit"
	"interlude/internal/care"
	"interlude/internal/jobs"
	"interlude/internal/store"
	"interlude/internal/web"
)

// shutdownGrace is how long a stopping server lets in-flight requests
// finish before it closes their connections.
const shutdownGrace = 30 * time.Second

// minMetricsToken is the shortest --metrics-token serve accepts: a token
// short enough to guess would leave /metrics as open as none.
const minMetricsToken = 32

func serve(ctx context.Context, e *env, args []string) (err error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", envOr(e, "INTERLUDE_ADDR", "127.0.0.1:8080"), "address to listen on (env INTERLUDE_ADDR)")
	withDemo := fs.Bool("demo", false, "on an empty database, create a demo clinic and print its logins (kept in DATA/demo-logins.json, 0600); on that database again, print them again")
	baseURL := fs.String("base-url", envOr(e, "INTERLUDE_BASE_URL", ""), "the address users reach Interlude at, for links in invitations and notifications (env INTERLUDE_BASE_URL; default http://ADDR)")
	sessions, invitations := care.DefaultSessionPolicy(), care.DefaultInvitationLifetime()
	var durations durationFlags
	jobLease := 2 * time.Minute
	durations.register(fs, &jobLease, "job-lease", "INTERLUDE_JOB_LEASE", "a background job whose instance stopped without finishing it runs again after this long")
	durations.register(fs, &sessions.StaffIdle, "staff-idle", "INTERLUDE_STAFF_IDLE", "staff sessions end after this long unused")
	durations.register(fs, &sessions.ClientIdle, "client-idle", "INTERLUDE_CLIENT_IDLE", "client sessions end after this long unused")
	durations.register(fs, &sessions.Absolute, "session-max", "INTERLUDE_SESSION_MAX", "every session ends this long after sign-in")
	durations.register(fs, &invitations.Staff, "staff-invite-ttl", "INTERLUDE_STAFF_INVITE_TTL", "invitations of providers and admins expire after this long")
	durations.register(fs, &invitations.Client, "client-invite-ttl", "INTERLUDE_CLIENT_INVITE_TTL", "invitations of clients expire after this long")
	metricsToken := fs.String("metrics-token", "", "serve /metrics to Prometheus presenting this bearer token, at least 32 characters; empty: /metrics answers 404 (env INTERLUDE_METRICS_TOKEN, better than the flag, which other local users may see)")
	pprofAddr := fs.String("pprof-addr", "", "serve Go's profiler at this loopback address, apart from the site (for interlude bench --profile; off by default)")
	var db dbFlags
	db.register(fs, e)
	var nf notifyFlags
	nf.register(fs, e)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if err := durations.apply(fs, e); err != nil {
		return err
	}
	if *metricsToken == "" {
		// Read after parsing, not as the flag's default, so that -help
		// never prints the token.
		*metricsToken = envOr(e, "INTERLUDE_METRICS_TOKEN", "")
	}
	if *metricsToken != "" && len(*metricsToken) < minMetricsToken {
		return fmt.Errorf("serve: --metrics-token must be at least %d characters (try: openssl rand -hex 32)", minMetricsToken)
	}
	if *pprofAddr != "" {
		stopProfiler, err := serveProfiler(e, *pprofAddr)
		if err != nil {
			return err
		}
		defer stopProfiler()
	}

	log := slog.New(slog.NewJSONHandler(e.stderr, nil))
	st, eng, applied, err := db.openStore(ctx, e)
	if err != nil {
		return err
	}
	defer closeJoined(&err, eng)
	log.Info("database ready", "engine", eng.Name(), "migrations_applied", applied)
	if err := os.MkdirAll(db.data, 0o700); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	signer, err := audit.OpenSigner(db.data)
	if err != nil {
		return err
	}
	sealCtx, stopSealing := context.WithCancel(context.WithoutCancel(ctx))
	sealed := make(chan struct{})
	go func() {
		defer close(sealed)
		(&sealer{store: st, signer: signer, log: log, interval: time.Second, checkpointEvery: time.Minute}).run(sealCtx)
	}()
	defer func() { stopSealing(); <-sealed }() // the final seal and checkpoint

	if *withDemo {
		if err := serveDemo(ctx, e, st, &db); err != nil {
			return err
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if *baseURL == "" {
		*baseURL = defaultBaseURL(ln.Addr())
	}
	notifier, notifyCfg, err := nf.notifier(e, db.data, *baseURL, st, log)
	if err != nil {
		return errors.Join(err, ln.Close())
	}
	srv, err := web.New(web.Config{Store: st, Logger: log, Registry: reg, BaseURL: *baseURL, Now: time.Now,
		Sessions: sessions, Invitations: invitations, Notify: notifyCfg, MetricsToken: *metricsToken})
	if err != nil {
		return errors.Join(err, ln.Close())
	}

	defer srv.Close()
	// Background jobs run until the server has stopped serving; a stopping
	// runner lets its running jobs finish (each at most its lease).
	runner := jobs.New(st, jobs.Options{Logger: log, Lease: jobLease})
	registerJobs(runner, jobDeps{store: st, log: log, notify: notifier})
	registerNotify(runner, st, notifier)
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	jobsDone := make(chan struct{})
	go func() { defer close(jobsDone); runner.Run(jobsCtx) }()
	defer func() { stopJobs(); <-jobsDone }()

	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	//nolint:errcheck // a courtesy line: the server serves whether or not stdout takes it (a supervisor may have closed it), and the log line below says the same
	fmt.Fprintf(e.stdout, "Interlude is running at http://%s/ (%s). Open %s/ in a browser; stop with Ctrl-C.\n", ln.Addr(), eng.Name(), *baseURL)
	log.Info("listening", "addr", ln.Addr().String())

	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	// Stop accepting, let in-flight requests finish, then close.
	log.Info("shutting down", "grace_seconds", shutdownGrace.Seconds())
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("serve: shutting down: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// serveProfiler serves net/http/pprof on its own listener, which must be
// on loopback: profiles show the program's internals, never to be reached
// from elsewhere.
func serveProfiler(e *env, addr string) (stop func(), err error) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("serve: --pprof-addr must be a loopback address such as 127.0.0.1:6060")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve: --pprof-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	//nolint:errcheck // a debugging aid beside the site: it returns ErrServerClosed when stopped, and if it fails the site goes on serving
	go hs.Serve(ln)
	//nolint:errcheck // a courtesy line, as the site's own: the profiler serves whether or not stdout takes it
	fmt.Fprintf(e.stdout, "Profiler at http://%s/debug/pprof/ (loopback only).\n", ln.Addr())
	return func() { hs.Close() }, nil //nolint:errcheck // stopping the profiler as the command ends: it wrote nothing to lose
}

// jobDeps is what the handlers of background jobs use.
type jobDeps struct {
	store  *store.Store
	log    *slog.Logger
	notify jobs.Deliverer // email and web push; delivers nothing when neither is configured
}

// registerJobs sets the handler of every kind of background job.
func registerJobs(r *jobs.Runner, d jobDeps) {
	// A due check-in: its row, its message and the next occurrence commit
	// with the job's end (exactly once); the store delivers the message's
	// event to the real-time streams once committed (store.Live).
	r.Register(store.JobCheckIn, func(ctx context.Context, j store.Job) error {
		_, err := d.store.FireCheckIn(ctx, j)
		return err
	})
	// Measures (#7): reminders of due questionnaires.
	jobs.RegisterMeasures(r, d.store, d.notify)
	// Journaling reminders (#18): a client's own, and their notifications.
	jobs.RegisterJournalReminders(r, d.store, d.notify)
	// Tracker reminders (#19): when a tracker with a reminder falls due.
	jobs.RegisterTrackerReminders(r, d.store, d.notify)
	// FHIR Bulk Data exports (#8): the clients of an export, and its expiry.
	jobs.RegisterBulkExport(r, d.store)
	// Safety flags (#7): notices to the care team, escalation to the
	// on-call provider or the admins.
	jobs.RegisterSafety(r, d.store, d.notify)
}

// defaultBaseURL is the address to put in links when none is configured.
// A loopback address becomes "localhost": browsers allow passkeys and
// Secure cookies there, and WebAuthn refuses IP addresses as its site.
func defaultBaseURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if ok && tcp.IP.IsLoopback() {
		return fmt.Sprintf("http://localhost:%d", tcp.Port)
	}
	return "http://" + addr.String()
}
