package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/seal"
	"interlude/internal/store"
	"interlude/internal/store/postgres"
	"interlude/internal/store/sqlite"
	"interlude/internal/store/storetest"
)

// Issue #6, must show: "A restart while check-ins are due: each is sent
// exactly once." Check-in schedules are set with the store's clock six
// days back, so that when the real server starts, six check-ins of each
// client are overdue (the server was "down" through them). The server is
// killed (SIGKILL) as soon as it has fired the first, and started again;
// on PostgreSQL a second instance runs at the same time throughout. In the
// end each due check-in exists once, and the one still open (the others
// closed while the server was down) was sent in the thread once, with one
// real-time event.

// restartEngine is a database the test seeds and the servers share.
type restartEngine struct {
	name    string
	args    []string // the server's flags for it
	dataDir string
	url     string
}

func (e restartEngine) open(t *testing.T) (store.Engine, *store.Store, func(time.Time)) {
	t.Helper()
	ctx := context.Background()
	var eng interface {
		store.Engine
		Migrate(context.Context) (int, error)
	}
	var err error
	if e.url == "" {
		eng, err = sqlite.Open(ctx, filepath.Join(e.dataDir, "interlude.db"))
	} else {
		eng, err = postgres.Open(ctx, e.url)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	kr, _, err := seal.LoadOrCreate(filepath.Join(e.dataDir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	clock := storetest.NewClock(time.Now())
	set := func(t time.Time) { clock.Advance(t.Sub(clock.Now())) }
	return eng, store.New(eng, kr, clock.Now), set
}

// proc is a server process.
type proc struct {
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	exited chan struct{}
}

func startProc(t *testing.T, args ...string) *proc {
	t.Helper()
	p := launchProc(t, args...)
	p.ready(t)
	return p
}

// launchProc starts a server process without waiting for it to listen.
func launchProc(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{stdout: newSyncBuffer(), stderr: newSyncBuffer(), exited: make(chan struct{})}
	p.cmd = binaryCommand(t, append([]string{"serve", "--addr", "127.0.0.1:0", "--job-lease", "3s"}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The exit status is not checked here: kill ends the server with
	// SIGKILL on purpose; stop's callers check what the server wrote.
	go func() { p.cmd.Wait(); close(p.exited) }() //nolint:errcheck // see above
	t.Cleanup(func() { p.kill() })
	return p
}

// ready waits until the server listens.
func (p *proc) ready(t *testing.T) {
	t.Helper()
	if _, err := p.stdout.waitFor(runningAt, p.exited, 60*time.Second); err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, p.stderr)
	}
}

func (p *proc) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL) //nolint:errcheck // it fails only if the process has exited, and <-p.exited waits either way
	<-p.exited
}

// stop ends the server gracefully (SIGTERM) and checks it stops cleanly.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("SIGTERM: %v", err)
	}
	select {
	case <-p.exited:
	case <-time.After(stopTimeout):
		t.Errorf("the server did not stop within %v", stopTimeout)
		p.kill()
	}
}

func newRestartEngine(t *testing.T, name string) restartEngine {
	dir := t.TempDir()
	if name == "sqlite" {
		return restartEngine{name: name, dataDir: dir, args: []string{"--data", dir}}
	}
	url := storetest.PostgresSchema(t)
	return restartEngine{name: name, dataDir: dir, url: url, args: []string{"--data", dir, "--database-url", url}}
}

func TestCheckInsExactlyOnceAcrossRestarts(t *testing.T) {
	t.Parallel()
	for _, name := range storetest.Engines() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkInsAcrossRestarts(t, newRestartEngine(t, name))
		})
	}
}

// seededClient is a client with a schedule, and the due times the test
// expects to have passed.
type seededClient struct {
	actor care.Actor
	due   []time.Time
}

func checkInsAcrossRestarts(t *testing.T, e restartEngine) {
	ctx := context.Background()
	const clinics = 20 // two clients each
	now := time.Now().UTC()
	// Daily at the minute 12 hours before now (UTC clients): the due times
	// of the last days are now-12h-24h·k, and the next is 12 hours ahead,
	// far from the test's own run.
	const days = 6
	start := now.Add(-days * 24 * time.Hour)
	minute := now.Add(-12*time.Hour).Hour()*60 + now.Add(-12*time.Hour).Minute()
	daily := []time.Weekday{0, 1, 2, 3, 4, 5, 6}

	eng, st, setClock := e.open(t)
	setClock(start)
	var clients []seededClient
	for i := range clinics {
		c := storetest.SeedClinic(t, st, fmt.Sprintf("Restart %d", i))
		for _, pair := range [][2]care.User{{c.Client, c.Provider}, {c.OtherClient, c.OtherProvider}} {
			sch := care.CheckInSchedule{Weekdays: daily, Minute: minute}
			if err := st.SetCheckInSchedule(ctx, c.Actor(pair[1]), pair[0].ID, &sch); err != nil {
				t.Fatal(err)
			}
			sc := seededClient{actor: c.Actor(pair[0])}
			for at := start; ; {
				next, _ := care.NextCheckIn(sch, "UTC", at)
				if next.After(now) {
					break
				}
				sc.due = append(sc.due, next)
				at = next
			}
			if len(sc.due) != days {
				t.Fatalf("expected %d past due times, got %v", days, sc.due)
			}
			clients = append(clients, sc)
		}
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	wantCheckIns := days * len(clients)

	// query counts, on a connection of the test's own.
	peek, _, _ := e.open(t)
	defer peek.Close() //nolint:errcheck // a connection the test only reads through
	query := func(q string, args ...any) int {
		var n int
		if err := peek.Read(ctx, func(tx *sql.Tx) error { return tx.QueryRowContext(ctx, q, args...).Scan(&n) }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	count := func() int { return query(`SELECT count(*) FROM check_ins`) }
	// byProc counts the check-in jobs a server process finished, and those
	// it holds (claimed, not finished): its workers are named after its pid.
	byProc := func(p *proc, done bool) int {
		cond := "done_at IS NULL AND locked_until IS NOT NULL"
		if done {
			cond = "done_at IS NOT NULL"
		}
		return query(`SELECT count(*) FROM jobs WHERE kind = 'checkin' AND locked_by LIKE $1 AND `+cond,
			fmt.Sprintf("%%-%d-%%", p.cmd.Process.Pid))
	}
	waitUntil := func(what string, timeout time.Duration, ok func() bool, procs ...*proc) {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for !ok() {
			if time.Now().After(deadline) {
				for _, p := range procs {
					t.Logf("stderr:\n%s", p.stderr)
				}
				t.Fatalf("no %s after %v (%d check-ins)", what, timeout, count())
			}
			time.Sleep(time.Millisecond)
		}
	}

	// The first instance is killed (SIGKILL) as soon as it has fired a
	// check-in itself. On PostgreSQL a second instance starts at the
	// same time and runs throughout.
	first := launchProc(t, e.args...)
	var other *proc
	if e.name == "postgres" {
		// An instance of its own: its own data folder (audit signing
		// keys), the same database and master key.
		other = launchProc(t, "--data", t.TempDir(), "--database-url", e.url, "--master-key-file", filepath.Join(e.dataDir, "master.key"))
	}
	first.ready(t)
	waitUntil("check-in fired by the first instance", 60*time.Second, func() bool { return byProc(first, true) > 0 }, first)
	first.kill()
	t.Logf("%s: the first instance was killed with %d of %d check-ins in, %d fired by it, %d claimed by it and not finished",
		e.name, count(), wantCheckIns, byProc(first, true), byProc(first, false))

	if other != nil {
		other.ready(t)
	}
	// Second start (PostgreSQL: while the other instance still runs);
	// jobs the killed instance held run again once their 3 s lease ends.
	second := startProc(t, e.args...)
	waitUntil("all check-ins", 60*time.Second, func() bool { return count() >= wantCheckIns }, second)
	if other != nil {
		t.Logf("postgres: check-in jobs finished by the instance that ran throughout: %d, by the restarted one: %d", byProc(other, true), byProc(second, true))
	}
	second.stop(t)
	if other != nil {
		other.stop(t)
	}

	// Each due check-in exists once; the open one was sent once.
	_, st, setClock = e.open(t)
	setClock(time.Now())
	var sent int
	for _, c := range clients {
		o, err := st.CheckIns(ctx, c.actor, c.actor.UserID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(o.CheckIns) != len(c.due) {
			t.Errorf("client %s: %d check-ins, want %d", c.actor.UserID, len(o.CheckIns), len(c.due))
			continue
		}
		for i, k := range o.CheckIns { // newest first
			want := c.due[len(c.due)-1-i]
			if !k.DueAt.Equal(want) {
				t.Errorf("client %s: check-in %d due %v, want %v", c.actor.UserID, i, k.DueAt, want)
			}
			open := i == 0 // the others closed when the next was due
			if (k.MessageID != "") != open {
				t.Errorf("client %s: check-in due %v sent %v (message %q), want sent only if open", c.actor.UserID, k.DueAt, k.SentAt, k.MessageID)
			}
		}
		page, err := st.Messages(ctx, c.actor, c.actor.UserID, store.MessageQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Messages) != 1 || page.Messages[0].Text != care.CheckInPrompt || page.Messages[0].ID != o.CheckIns[0].MessageID {
			t.Errorf("client %s: thread %+v, want the one check-in question", c.actor.UserID, page.Messages)
		}
		evs, err := st.MessageEventsAfter(ctx, c.actor, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].MessageID != o.CheckIns[0].MessageID {
			t.Errorf("client %s: real-time events %+v, want one", c.actor.UserID, evs)
		}
		sent += len(page.Messages)
	}
	if sent != len(clients) {
		t.Errorf("%d check-in messages, want %d", sent, len(clients))
	}
	n, err := st.CountJobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Each client has its next check-in pending, and nothing gave up.
	if n.Pending != int64(len(clients)) || n.Dead != 0 {
		t.Errorf("jobs %+v, want %d pending (the next check-ins) and none dead", n, len(clients))
	}
}
