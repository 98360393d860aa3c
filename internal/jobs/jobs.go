// Package jobs runs Interlude's durable background work: check-ins,
// reminders, notifications. The work itself is rows of the store's jobs
// table, written in the transaction of their cause; a Runner claims the due
// ones under a lease and runs the handler registered for their kind.
//
// # Exactly once, and where it is only at least once
//
// A claim counts an attempt and takes a lease; the pair (worker, attempts)
// fences the claim. A handler whose effect is a database change writes it
// in one transaction with the job's end (the store's tx.finishJob, as
// Store.FireCheckIn does): if the lease was lost meanwhile (another worker
// claimed the expired job), that transaction fails and the effect rolls
// back; if the process dies before the commit, nothing is committed and the
// job is claimed again once its lease expires. The effect is therefore
// committed exactly once. A handler with an effect outside the database
// (an email, a push) cannot commit the effect with the job: if the process
// dies after sending and before FinishJob commits, the job runs again and
// the effect happens twice. Such handlers are at least once, and give
// their receiver a dedupe key (the job's id) where it can use one.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// Handler does one job. Returning nil finishes the job (the Runner calls
// Store.FinishJob, a no-op for a handler that finished it in its own
// write); an error retries it with backoff, and after its last attempt
// gives it up. A handler must not put PHI in its error: the runner logs
// and stores only the error's class, but messages travel further than
// intended. ctx ends a little before the job's lease does.
type Handler func(ctx context.Context, j store.Job) error

// Options tune a Runner. Zero fields take the defaults.
type Options struct {
	Workers int           // jobs run at once (default 4)
	Poll    time.Duration // how often to look for due jobs without a wake-up (default 1 s)
	Lease   time.Duration // how long a claim lasts before another worker may take the job (default 2 min)
	Name    string        // the worker name prefix (default host name and pid)
	Logger  *slog.Logger
}

// Runner claims due jobs and runs their handlers on several goroutines.
type Runner struct {
	st       *store.Store
	opts     Options
	worker   string
	log      *slog.Logger
	mu       sync.Mutex
	handlers map[string]Handler
	started  bool
}

// New returns a Runner over st. Register handlers, then Run it.
func New(st *store.Store, opts Options) *Runner {
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Lease <= 0 {
		opts.Lease = 2 * time.Minute
	}
	if opts.Name == "" {
		host, _ := os.Hostname()
		opts.Name = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	// The worker name is unique per Runner, so that two runners of one
	// process (tests) or a restarted process never share a claim.
	return &Runner{st: st, opts: opts, worker: opts.Name + "-" + care.NewID()[:8], log: opts.Logger, handlers: map[string]Handler{}}
}

// Worker is the name this Runner claims jobs under.
func (r *Runner) Worker() string { return r.worker }

// Register sets the handler of jobs of kind. It panics when called after
// Run started or twice for one kind: both are programming errors.
func (r *Runner) Register(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		panic("jobs: Register after Run")
	}
	if _, dup := r.handlers[kind]; dup {
		panic("jobs: two handlers for kind " + kind)
	}
	r.handlers[kind] = h
}

// Run claims and runs jobs until ctx ends, then waits for the jobs it is
// running to finish (graceful stop: each has at most its lease) and
// returns. A job it does not get to stays in the table for the next start.
func (r *Runner) Run(ctx context.Context) {
	r.mu.Lock()
	r.started = true
	kinds := make([]string, 0, len(r.handlers))
	for k := range r.handlers {
		kinds = append(kinds, k)
	}
	r.mu.Unlock()
	slices.Sort(kinds)
	if len(kinds) == 0 {
		<-ctx.Done()
		return
	}

	var running sync.WaitGroup
	defer running.Wait()
	slots := make(chan struct{}, r.opts.Workers) // a token per running job
	freed := make(chan struct{}, 1)
	tick := time.NewTicker(r.opts.Poll)
	defer tick.Stop()
	backoff := time.Duration(0)
	for {
		free := r.opts.Workers - len(slots)
		full := false
		if free > 0 && ctx.Err() == nil {
			js, err := r.st.ClaimJobs(ctx, r.worker, kinds, free, r.opts.Lease)
			if err != nil && ctx.Err() == nil {
				// The database is away: wait longer each time, up to a minute.
				backoff = min(max(2*backoff, r.opts.Poll), time.Minute)
				r.log.Warn("jobs: claiming failed", "worker", r.worker, "error_class", errClass(err), "retry_in", backoff.String())
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				continue
			}
			backoff = 0
			for _, j := range js {
				slots <- struct{}{}
				running.Add(1)
				go func() {
					defer running.Done()
					r.runOne(ctx, j)
					<-slots
					select {
					case freed <- struct{}{}:
					default:
					}
				}()
			}
			full = len(js) == free
		}
		if full {
			// Every free slot got a job: there may be more due. Claim
			// again as soon as a slot frees.
			select {
			case <-ctx.Done():
				return
			case <-freed:
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-r.st.JobsWake():
		case <-freed:
		}
	}
}

// runOne runs j's handler and records the outcome.
func (r *Runner) runOne(ctx context.Context, j store.Job) {
	r.mu.Lock()
	h := r.handlers[j.Kind]
	r.mu.Unlock()
	// The handler may finish even if the runner is stopping, but not
	// outlive its lease (with a margin for the commit that ends it).
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.Lease*9/10)
	defer cancel()
	err := safely(hctx, h, j)
	// Recording the outcome must happen even while stopping.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer rcancel()
	if err == nil {
		if ferr := r.st.FinishJob(rctx, j); ferr != nil {
			r.log.Warn("jobs: finishing failed", "job", j.ID, "kind", j.Kind, "attempt", j.Attempts, "error_class", errClass(ferr))
		}
		return
	}
	if errors.Is(err, store.ErrLeaseLost) {
		r.log.Warn("jobs: lease lost", "job", j.ID, "kind", j.Kind, "attempt", j.Attempts)
		return
	}
	class := errClass(err)
	dead, rerr := r.st.RetryJob(rctx, j, class)
	switch {
	case rerr != nil:
		r.log.Warn("jobs: recording a failure failed", "job", j.ID, "kind", j.Kind, "attempt", j.Attempts, "error_class", class, "record_error_class", errClass(rerr))
	case dead:
		r.log.Error("jobs: gave up", "job", j.ID, "kind", j.Kind, "attempts", j.Attempts, "error_class", class)
	default:
		r.log.Warn("jobs: attempt failed; will retry", "job", j.ID, "kind", j.Kind, "attempt", j.Attempts, "error_class", class,
			"retry_in", store.Backoff(j.Attempts).String())
	}
}

// safely runs h, turning a panic into an error.
func safely(ctx context.Context, h Handler, j store.Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errPanic
		}
	}()
	return h(ctx, j)
}

var errPanic = errors.New("jobs: the handler panicked")

// errClass names an error without its text (which may hold PHI): a care
// error code, a known sentinel, or the Go type of the innermost error.
func errClass(err error) string {
	switch {
	case errors.Is(err, errPanic):
		return "panic"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, store.ErrLeaseLost):
		return "lease_lost"
	}
	if code := care.ErrorCode(err); code != "" && code != care.Internal {
		return string(code)
	}
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return fmt.Sprintf("%T", err)
		}
		err = u
	}
}
