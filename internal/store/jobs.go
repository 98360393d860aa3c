package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"interlude/internal/care"
)

// Durable background jobs (issue #6). A job is a row of the jobs table,
// written by tx.enqueueJob in the transaction of its cause (a check-in
// schedule, a message), so that it exists exactly when its cause was
// committed. Workers claim due jobs under a lease (ClaimJobs); a claim
// counts an attempt, and the pair (locked_by, attempts) is the claim's
// fencing token: FinishJob and RetryJob change a job only while the token
// still matches, so a worker whose lease expired and whose job another
// worker has claimed since can no longer finish or retry it. A handler
// whose effect is a database change writes it in the same transaction as
// tx.finishJob: the effect is then committed exactly once, whoever runs
// the job and however often. An effect outside the database (an email) is
// at least once: see docs/architecture.md.
//
// A job row holds ids and times only, never PHI; its last_error holds an
// error class (a Go type or a care error code), never an error's text.

// Job is a background job as stored.
type Job struct {
	ID          string
	ClinicID    string // "" for work of no clinic
	Kind        string // what handler runs it
	DedupeKey   string // unique: enqueueing a job whose key exists is a no-op
	ClientID    string
	UserID      string
	RefID       string    // an id the job is about (a schedule, a message)
	RefAt       time.Time // a time the job is about (a check-in's due time)
	RunAt       time.Time // not before
	Attempts    int       // claims so far, this one included
	MaxAttempts int       // after which a failing job is dead
	LastError   string    // the class of the last failure
	LockedBy    string    // the worker holding the lease
	LockedUntil time.Time
	DoneAt      time.Time
	DeadAt      time.Time
	CreatedAt   time.Time
}

// DefaultMaxAttempts is a job's MaxAttempts when enqueued with none.
const DefaultMaxAttempts = 10

// ErrLeaseLost is returned by FinishJob and RetryJob (and by a write that
// calls tx.finishJob) when the caller's claim on the job is no longer
// current: its lease expired and another worker claimed the job, or the
// job was finished or given up meanwhile. The caller must drop the job.
var ErrLeaseLost = errors.New("store: the job's lease was lost")

// Backoff is how long a job waits before attempt n+1 after its n-th
// attempt failed: 5 s doubling each time (5 s, 10 s, 20 s, …), at most an
// hour. It is deterministic, so tests can check it; the poll interval of
// the workers spreads retries enough at this scale.
func Backoff(n int) time.Duration {
	const base, ceiling = 5 * time.Second, time.Hour
	if n < 1 {
		n = 1
	}
	if n > 20 {
		return ceiling
	}
	return min(base<<(n-1), ceiling)
}

const jobColumns = `id, clinic_id, kind, dedupe_key, client_id, user_id, ref_id, ref_at, run_at, attempts, max_attempts,
	last_error, locked_by, locked_until, done_at, dead_at, created_at`

func scanJob(row interface{ Scan(...any) error }, j *Job) error {
	var refAt, runAt, created int64
	var lockedBy sql.NullString
	var lockedUntil, done, dead sql.NullInt64
	if err := row.Scan(&j.ID, &j.ClinicID, &j.Kind, &j.DedupeKey, &j.ClientID, &j.UserID, &j.RefID, &refAt, &runAt,
		&j.Attempts, &j.MaxAttempts, &j.LastError, &lockedBy, &lockedUntil, &done, &dead, &created); err != nil {
		return err
	}
	j.RunAt, j.CreatedAt, j.LockedBy = fromMicros(runAt), fromMicros(created), lockedBy.String
	j.RefAt = time.Time{}
	if refAt != 0 {
		j.RefAt = fromMicros(refAt)
	}
	j.LockedUntil, j.DoneAt, j.DeadAt = optMicros(lockedUntil), optMicros(done), optMicros(dead)
	return nil
}

func optMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicros(v.Int64)
}

// enqueueJob adds j to the queue in tx, so that it is committed, or rolled
// back, with the write it belongs to. A job whose DedupeKey exists already
// (pending, done or dead) is not added again: enqueueJob then reports
// false. A zero RunAt means now; zero MaxAttempts DefaultMaxAttempts. j
// must carry ids only: its columns are not sealed.
func (tx tx) enqueueJob(ctx context.Context, j Job) (bool, error) {
	if j.Kind == "" || j.DedupeKey == "" {
		return false, fmt.Errorf("store: a job needs a kind and a dedupe key")
	}
	if j.ID == "" {
		j.ID = care.NewID()
	}
	if j.RunAt.IsZero() {
		j.RunAt = tx.now
	}
	if j.MaxAttempts <= 0 {
		j.MaxAttempts = DefaultMaxAttempts
	}
	var refAt int64
	if !j.RefAt.IsZero() {
		refAt = micros(j.RefAt)
	}
	res, err := tx.ExecContext(ctx,
		`INSERT INTO jobs (id, clinic_id, kind, dedupe_key, client_id, user_id, ref_id, ref_at, run_at, max_attempts, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		 ON CONFLICT (dedupe_key) DO NOTHING`,
		j.ID, j.ClinicID, j.Kind, j.DedupeKey, j.ClientID, j.UserID, j.RefID, refAt, micros(j.RunAt), j.MaxAttempts, micros(tx.now))
	if err != nil {
		return false, fmt.Errorf("enqueueing a %s job: %w", j.Kind, err)
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return false, err
	}
	if tx.enqueued != nil {
		*tx.enqueued = true
	}
	return true, nil
}

// EnqueueJob adds j to the queue on its own, for a caller outside any
// other write; see tx.enqueueJob. It reports whether the job was added
// (false: its dedupe key exists).
func (s *Store) EnqueueJob(ctx context.Context, j Job) (added bool, err error) {
	err = s.write(ctx, func(ctx context.Context, tx tx) error {
		added, err = tx.enqueueJob(ctx, j)
		return err
	})
	return added, err
}

// JobsWake is signalled (without blocking; it holds at most one signal)
// after a write of this Store that enqueued a job commits, so that a
// runner claims it without waiting for its next poll.
func (s *Store) JobsWake() <-chan struct{} { return s.jobWake }

// ClaimJobs claims up to n due jobs of the given kinds for worker, for
// lease: a due job is pending (neither done nor dead), its run_at has
// come, and it is not leased, or its lease has expired (its worker died or
// hung: the job runs again). Each claim counts an attempt. On PostgreSQL
// the candidates are locked with FOR UPDATE SKIP LOCKED, so concurrent
// claimers (other instances) skip each other's rows instead of waiting;
// SQLite has one writer, so its claims never overlap. A job whose lease
// expired on its last allowed attempt is given up (dead) here.
func (s *Store) ClaimJobs(ctx context.Context, worker string, kinds []string, n int, lease time.Duration) ([]Job, error) {
	if worker == "" || len(kinds) == 0 || n <= 0 || lease <= 0 {
		return nil, fmt.Errorf("store: ClaimJobs needs a worker, kinds, n > 0 and a lease")
	}
	var out []Job
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		out = nil
		now := micros(tx.now)
		dead := []any{now}
		if _, err := tx.ExecContext(ctx,
			`UPDATE jobs SET dead_at = $1, last_error = 'lease expired', locked_by = NULL, locked_until = NULL
			 WHERE done_at IS NULL AND dead_at IS NULL AND locked_until IS NOT NULL AND locked_until <= $1
			   AND attempts >= max_attempts AND kind IN (`+inList(&dead, kinds)+`)`, dead...); err != nil {
			return err
		}
		args := []any{worker, micros(tx.now.Add(lease)), now, n}
		kindIn := inList(&args, kinds)
		lock := ""
		if s.Engine() == "postgres" {
			lock = " FOR UPDATE SKIP LOCKED"
		}
		rows, err := tx.QueryContext(ctx,
			`WITH picked AS (
			   SELECT id FROM jobs
			   WHERE done_at IS NULL AND dead_at IS NULL AND run_at <= $3
			     AND (locked_until IS NULL OR locked_until <= $3)
			     AND attempts < max_attempts AND kind IN (`+kindIn+`)
			   ORDER BY run_at, id LIMIT $4`+lock+`)
			 UPDATE jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1
			 WHERE id IN (SELECT id FROM picked)
			 RETURNING `+jobColumns, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var j Job
			if err := scanJob(rows, &j); err != nil {
				return err
			}
			out = append(out, j)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		slices.SortFunc(out, func(a, b Job) int { return a.RunAt.Compare(b.RunAt) })
		return nil
	})
	return out, err
}

// inList appends vals to args and returns their placeholders, "$5, $6".
func inList(args *[]any, vals []string) string {
	in := make([]string, len(vals))
	for i, v := range vals {
		*args = append(*args, v)
		in[i] = fmt.Sprintf("$%d", len(*args))
	}
	return strings.Join(in, ", ")
}

// finishJob marks job j done in tx, if j's claim is still current: the
// write that makes a job's database effect calls it, so that the effect
// and the job's end commit together, exactly once. Otherwise it returns
// ErrLeaseLost, and the write must fail so that its effect rolls back. A
// job this same claim already finished stays finished.
func (tx tx) finishJob(ctx context.Context, j Job) error {
	res, err := tx.ExecContext(ctx,
		`UPDATE jobs SET done_at = COALESCE(done_at, $1), locked_until = NULL
		 WHERE id = $2 AND locked_by = $3 AND attempts = $4 AND dead_at IS NULL`,
		micros(tx.now), j.ID, j.LockedBy, j.Attempts)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// FinishJob marks job j, as claimed, done. It is a no-op for a job its
// handler already finished in its own write (tx.finishJob), and
// ErrLeaseLost when the claim is no longer current.
func (s *Store) FinishJob(ctx context.Context, j Job) error {
	return s.write(ctx, func(ctx context.Context, tx tx) error { return tx.finishJob(ctx, j) })
}

// RetryJob records that the attempt of job j, as claimed, failed with an
// error of class errClass (a type or code: never an error's text, which
// may hold PHI). The job runs again after Backoff(j.Attempts), or, if that
// was its last allowed attempt, is given up (dead). It returns whether the
// job is dead, or ErrLeaseLost when the claim is no longer current.
func (s *Store) RetryJob(ctx context.Context, j Job, errClass string) (dead bool, err error) {
	err = s.write(ctx, func(ctx context.Context, tx tx) error {
		dead = j.Attempts >= j.MaxAttempts
		var res sql.Result
		var err error
		if dead {
			res, err = tx.ExecContext(ctx,
				`UPDATE jobs SET dead_at = $1, last_error = $2, locked_by = NULL, locked_until = NULL
				 WHERE id = $3 AND locked_by = $4 AND attempts = $5 AND done_at IS NULL AND dead_at IS NULL`,
				micros(tx.now), errClass, j.ID, j.LockedBy, j.Attempts)
		} else {
			res, err = tx.ExecContext(ctx,
				`UPDATE jobs SET run_at = $1, last_error = $2, locked_by = NULL, locked_until = NULL
				 WHERE id = $3 AND locked_by = $4 AND attempts = $5 AND done_at IS NULL AND dead_at IS NULL`,
				micros(tx.now.Add(Backoff(j.Attempts))), errClass, j.ID, j.LockedBy, j.Attempts)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrLeaseLost
		}
		return nil
	})
	return dead, err
}

// JobByKey returns the job with the dedupe key, for operators and tests;
// care.ErrNotFound when there is none.
func (s *Store) JobByKey(ctx context.Context, key string) (Job, error) {
	var j Job
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		return notFound(scanJob(tx.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE dedupe_key = $1`, key), &j))
	})
	return j, err
}

// JobCounts counts jobs by state (pending, done, dead) for the metrics.
type JobCounts struct{ Pending, Done, Dead int64 }

// CountJobs counts the jobs of every clinic by state.
func (s *Store) CountJobs(ctx context.Context) (JobCounts, error) {
	var c JobCounts
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		return tx.QueryRowContext(ctx, `SELECT
			COALESCE(SUM(CASE WHEN done_at IS NULL AND dead_at IS NULL THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN done_at IS NOT NULL THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN dead_at IS NOT NULL THEN 1 ELSE 0 END), 0) FROM jobs`).Scan(&c.Pending, &c.Done, &c.Dead)
	})
	return c, err
}
