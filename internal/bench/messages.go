package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/postgres"
)

// Messages is one "interlude bench messages": the command fills it from
// its flags, which it has validated, and calls Run. Every field is
// required but Count and ProfileDir.
type Messages struct {
	// Engine is "sqlite" (a temporary file, synchronous=FULL) or
	// "postgres" (a schema of its own in DatabaseURL, dropped at the end).
	Engine string
	// DatabaseURL is, for Engine "postgres", the postgres://… of a
	// database to work in; empty for "sqlite".
	DatabaseURL string
	// Duration is how long each run is measured, after Warmup of sending.
	Duration, Warmup time.Duration
	// Count, when above 0, ends each run's measurement after that many
	// messages instead of after Duration.
	Count int
	// Senders are the numbers of concurrent senders, one run each.
	Senders []int
	// Idle are the numbers of idle recipients connected on the real-time
	// stream, in increasing order; each runs every number of Senders.
	Idle []int
	// ClinicUsers, when above the users the runs need, fills the clinic
	// with more clients (never signed in) up to that many users, so that
	// the cost of a message can be compared across clinic sizes (#20).
	ClinicUsers int
	// ProfileDir, when set, receives a CPU profile of the server for each
	// run (the server then serves its profiler on loopback).
	ProfileDir string
	// Server is the path of the interlude binary to start as "interlude
	// serve".
	Server string
	// Stdout receives the progress lines and the report.
	Stdout io.Writer
	// OpenStore opens the database in dataDir (SQLite) or at databaseURL
	// (PostgreSQL, when not empty) as "interlude serve" will, migrated and
	// with its master keys, for seeding; the closer closes the engine.
	OpenStore func(ctx context.Context, dataDir, databaseURL string) (*store.Store, io.Closer, error)
}

// password is every bench user's password: one argon2id hash (with the
// server's parameters, so no sign-in rehashes) serves them all.
const password = "bench-messages-lantern-harbor"

// messageText is the text of every bench message: about the length of a
// short real one.
const messageText = "Thanks for today. I tried the breathing exercise twice this morning and it helped a little before work."

// bench is a Messages in progress: its server, users and deliveries.
type bench struct {
	Messages

	base    string // http://127.0.0.1:PORT
	pprof   string // http://127.0.0.1:PORT of the profiler, with ProfileDir
	pid     int
	api     *http.Client // requests
	streams *http.Client // real-time streams

	pairs   []pair
	idlers  []user
	pending sync.Map // message id → *delivery, for the run in progress
}

type user struct {
	id     string
	email  string
	secret []byte // staff: the TOTP secret
	token  string
}

// pair is a sender (a client) and the recipient who watches their thread
// (the provider on their care team).
type pair struct {
	client, provider user
}

// Run seeds the clinic, starts the server, signs everyone in, measures
// each number of idle recipients with each number of senders, and writes
// the report to Stdout. The temporary database is removed, and the server
// stopped, whatever happens.
func (m Messages) Run(ctx context.Context) error {
	if len(m.Senders) == 0 || len(m.Idle) == 0 {
		return errors.New("bench messages: no numbers of senders or idle recipients")
	}
	b := &bench{Messages: m}
	return b.run(ctx)
}

func (b *bench) run(ctx context.Context) (err error) {
	tmp, err := os.MkdirTemp("", "interlude-bench-")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(tmp)) }()
	databaseURL := ""
	if b.Engine == "postgres" {
		u, drop, err := postgres.NewSchema(ctx, b.DatabaseURL, "bench_")
		if err != nil {
			return fmt.Errorf("bench messages: %w", err)
		}
		defer func() { err = errors.Join(err, drop()) }()
		databaseURL = u
	}
	//nolint:errcheck // a progress line; the report at the end is checked
	fmt.Fprintf(b.Stdout, "Seeding a clinic of %d clients with a provider each, %d idle clients and %d users in all (%s)…\n",
		slices.Max(b.Senders), slices.Max(b.Idle), b.clinicUsers(), b.Engine)
	if err := b.seed(ctx, tmp, databaseURL); err != nil {
		return fmt.Errorf("bench messages: seeding: %w", err)
	}
	stop, err := b.startServer(ctx, tmp, databaseURL)
	if err != nil {
		return fmt.Errorf("bench messages: %w", err)
	}
	defer func() { err = errors.Join(err, stop()) }()
	//nolint:errcheck // a progress line; the report at the end is checked
	fmt.Fprintf(b.Stdout, "Signing %d users in over the API…\n", 2*len(b.pairs)+len(b.idlers))
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
	var results []result
	connected := 0
	for _, idle := range b.Idle {
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
		for _, n := range b.Senders {
			r, err := b.measure(ctx, n, idle)
			if err != nil {
				return fmt.Errorf("bench messages: %d senders, %d idle: %w", n, idle, err)
			}
			results = append(results, r)
		}
	}
	return b.report(results)
}

// seed creates the clinic straight through the store, in parallel so that
// the writes share commits.
// clinicUsers is how many users the bench's clinic has: the admin, a
// client and a provider for each sender, the idle clients, and more up to
// ClinicUsers.
func (b *bench) clinicUsers() int {
	return max(1+2*slices.Max(b.Senders)+slices.Max(b.Idle), b.ClinicUsers)
}

func (b *bench) seed(ctx context.Context, dataDir, databaseURL string) (err error) {
	st, eng, err := b.OpenStore(ctx, dataDir, databaseURL)
	if err != nil {
		return err
	}
	// The server opens the database next: a failed close is the seed's.
	defer func() { err = errors.Join(err, eng.Close()) }()
	hash, err := auth.HashPassword(auth.DefaultParams(), password)
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
	newUser := func(role care.Role, email string) (user, error) {
		u := care.User{ClinicID: c.ID, Role: role, Email: email, DisplayName: "Bench " + string(role), TimeZone: "UTC"}
		if err := st.CreateUser(ctx, &u); err != nil {
			return user{}, fmt.Errorf("creating a user: %w", err)
		}
		if err := st.SetPasswordHash(ctx, u.ID, hash); err != nil {
			return user{}, fmt.Errorf("setting a password: %w", err)
		}
		bu := user{id: u.ID, email: u.Email}
		if role.Staff() {
			bu.secret = auth.NewTOTPSecret()
			if err := st.SetTOTP(ctx, care.Actor{UserID: u.ID, ClinicID: c.ID, Role: role}, bu.secret); err != nil {
				return user{}, fmt.Errorf("setting a TOTP secret: %w", err)
			}
			if err := st.ConfirmTOTP(ctx, u.ID); err != nil {
				return user{}, fmt.Errorf("confirming a TOTP secret: %w", err)
			}
		}
		return bu, nil
	}
	b.pairs = make([]pair, slices.Max(b.Senders))
	b.idlers = make([]user, slices.Max(b.Idle))
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
		if j >= len(b.idlers) { // a member who only makes the clinic larger
			u := care.User{ClinicID: c.ID, Role: care.RoleClient, Email: fmt.Sprintf("member-%d@bench.interlude.test", j), DisplayName: "Bench member", TimeZone: "UTC"}
			return st.CreateUser(ctx, &u)
		}
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
	for i := 1; i < b.clinicUsers()-1-len(b.pairs); i++ { // a call makes a pair (two users) or one; the admin is made above
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
