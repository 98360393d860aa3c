package sqlite

// These tests are in package sqlite, not sqlite_test, for one reason: to see
// how many writes wait in the commit loop's queue, so that a test can make
// several writes land in one batch without guessing at timing.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// patience bounds every wait in these tests, so that a stuck commit loop
// fails the test instead of hanging it.
const patience = 10 * time.Second

// open opens a fresh database with one table, items, for tests of the
// engine, which need no part of Interlude's schema (and so pay for no
// migration, which the race detector makes slow). It returns the
// database and the path of its file.
func open(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	db := reopen(t, path)
	err := db.Write(context.Background(), exec(`CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE) STRICT`))
	if err != nil {
		t.Fatal(err)
	}
	return db, path
}

// reopen opens the database at path, closed when the test ends.
func reopen(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func exec(query string, args ...any) func(*sql.Tx) error {
	return func(tx *sql.Tx) error {
		_, err := tx.Exec(query, args...)
		return err
	}
}

func insert(name string) func(*sql.Tx) error {
	return exec(`INSERT INTO items (name) VALUES ($1)`, name)
}

// stored returns the names in items, as a reader sees them.
func stored(t *testing.T, db *DB) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	err := db.Read(context.Background(), func(tx *sql.Tx) error {
		rows, err := tx.Query(`SELECT name FROM items`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				return err
			}
			names[name] = true
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// hold keeps the commit loop busy in a write of its own until release is
// called (or the test ends), so that the writes queued meanwhile are
// committed together, in one batch, in the order they were queued.
func hold(t *testing.T, db *DB) (release func()) {
	t.Helper()
	started, unblock := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.Write(context.Background(), func(*sql.Tx) error {
			close(started)
			<-unblock
			return nil
		})
	}()
	select {
	case <-started:
	case <-time.After(patience):
		t.Fatal("the holding write never ran")
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(unblock)
			if err := <-done; err != nil {
				t.Errorf("the holding write: %v", err)
			}
		})
	}
	t.Cleanup(release) // runs before the database's Close
	return release
}

// queue starts a write and returns once it waits in the commit loop's queue.
// Its outcome arrives on the channel returned.
func queue(t *testing.T, db *DB, ctx context.Context, fn func(*sql.Tx) error) <-chan error {
	t.Helper()
	before := len(db.writes)
	done := make(chan error, 1)
	go func() { done <- db.Write(ctx, fn) }()
	deadline := time.Now().Add(patience)
	for len(db.writes) == before {
		if time.Now().After(deadline) {
			t.Fatal("the write was never queued")
		}
		time.Sleep(time.Millisecond)
	}
	return done
}

// outcome waits for a queued write's outcome.
func outcome(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(patience):
		t.Fatal("the write never returned")
		return nil
	}
}

func TestConcurrentWritesAllCommit(t *testing.T) {
	t.Parallel()
	const writers, perWriter = 64, 20
	db, _ := open(t)

	// With automatic checkpoints off, the WAL only grows from empty, and each
	// commit appends at least one frame to it. Fewer frames than writes at
	// the end therefore means fewer commits than writes.
	if _, err := db.writer.Exec(`PRAGMA wal_autocheckpoint = 0`); err != nil {
		t.Fatal(err)
	}
	busy, frames := walCheckpoint(t, db, "TRUNCATE")
	if busy != 0 || frames != 0 {
		t.Fatalf("after a TRUNCATE checkpoint: busy %d, %d frames in the WAL; want 0, 0", busy, frames)
	}

	errs := make(chan error, writers*perWriter)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				errs <- db.Write(context.Background(), insert(fmt.Sprintf("w%02d-%02d", w, i)))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("write: %v", err)
		}
	}

	var n int
	err := db.Read(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT count(*) FROM items`).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != writers*perWriter {
		t.Errorf("got %d rows, want %d", n, writers*perWriter)
	}
	_, frames = walCheckpoint(t, db, "PASSIVE")
	t.Logf("%d writes wrote %d WAL frames", writers*perWriter, frames)
	if frames >= writers*perWriter {
		t.Errorf("%d writes wrote %d WAL frames, so at least as many commits: want fewer (group commit)", writers*perWriter, frames)
	}
}

// walCheckpoint runs a checkpoint of the given mode on the writer's
// connection and returns whether it was blocked and how many frames the WAL
// holds.
func walCheckpoint(t *testing.T, db *DB, mode string) (busy, frames int) {
	t.Helper()
	var checkpointed int
	err := db.writer.QueryRow(`PRAGMA wal_checkpoint(`+mode+`)`).Scan(&busy, &frames, &checkpointed)
	if err != nil {
		t.Fatal(err)
	}
	return busy, frames
}

func TestQueuedWritesShareOneTransaction(t *testing.T) {
	t.Parallel()
	const k = 50
	db, _ := open(t)
	release := hold(t, db)
	var mu sync.Mutex
	var seen []int // committed rows each write saw through a reader
	var dones []<-chan error
	for i := range k {
		dones = append(dones, queue(t, db, context.Background(), func(tx *sql.Tx) error {
			var committed int
			err := db.Read(context.Background(), func(rtx *sql.Tx) error {
				return rtx.QueryRow(`SELECT count(*) FROM items`).Scan(&committed)
			})
			if err != nil {
				return err
			}
			mu.Lock()
			seen = append(seen, committed)
			mu.Unlock()
			return insert(fmt.Sprint(i))(tx)
		}))
	}
	release()
	for _, done := range dones {
		if err := outcome(t, done); err != nil {
			t.Fatal(err)
		}
	}
	// Had each write been committed on its own, the last would have seen the
	// k-1 before it.
	for i, n := range seen {
		if n != 0 {
			t.Errorf("write %d saw %d committed rows, want 0: the writes were not committed together", i, n)
		}
	}
	if got := len(stored(t, db)); got != k {
		t.Errorf("got %d rows, want %d", got, k)
	}
}

var errRefused = errors.New("refused by the test")

func TestFailingWriteRollsBackOnlyItsOwnChanges(t *testing.T) {
	t.Parallel()
	db, _ := open(t)
	release := hold(t, db)
	ctx := context.Background()
	a := queue(t, db, ctx, insert("a"))
	refused := queue(t, db, ctx, func(tx *sql.Tx) error {
		if err := insert("refused")(tx); err != nil {
			return err
		}
		return errRefused
	})
	duplicate := queue(t, db, ctx, func(tx *sql.Tx) error {
		if err := insert("duplicate")(tx); err != nil {
			return err
		}
		return insert("a")(tx) // violates UNIQUE
	})
	b := queue(t, db, ctx, insert("b"))
	release()

	if err := outcome(t, a); err != nil {
		t.Errorf("a: %v", err)
	}
	if err := outcome(t, refused); err != errRefused {
		t.Errorf("refused: got %v, want fn's error as is", err)
	}
	if err := outcome(t, duplicate); err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Errorf("duplicate: got %v, want a UNIQUE constraint error", err)
	}
	if err := outcome(t, b); err != nil {
		t.Errorf("b: %v", err)
	}
	want := map[string]bool{"a": true, "b": true}
	if got := stored(t, db); !maps.Equal(got, want) {
		t.Errorf("stored %v, want %v", got, want)
	}
}

func TestPanickingWrite(t *testing.T) {
	t.Parallel()
	db, _ := open(t)
	release := hold(t, db)
	ctx := context.Background()
	a := queue(t, db, ctx, insert("a"))
	panics := queue(t, db, ctx, func(tx *sql.Tx) error {
		if err := insert("panics")(tx); err != nil {
			return err
		}
		panic("fn is broken")
	})
	// A panic in the middle of a query leaves its rows open.
	panicsMidQuery := queue(t, db, ctx, func(tx *sql.Tx) error {
		if err := insert("panics mid-query")(tx); err != nil {
			return err
		}
		rows, err := tx.Query(`SELECT name FROM items`) //nolint:rowserrcheck,sqlclosecheck // left open on purpose: what a panic leaves is what is tested
		if err != nil {
			return err
		}
		rows.Next()
		panic("fn is broken mid-query")
	})
	b := queue(t, db, ctx, insert("b"))
	release()

	if err := outcome(t, a); err != nil {
		t.Errorf("a: %v", err)
	}
	for name, done := range map[string]<-chan error{"panics": panics, "panics mid-query": panicsMidQuery} {
		if err := outcome(t, done); err == nil || !strings.Contains(err.Error(), "panicked") {
			t.Errorf("%s: got %v, want an error that says it panicked", name, err)
		}
	}
	if err := outcome(t, b); err != nil {
		t.Errorf("b: %v", err)
	}
	// The engine still works.
	if err := db.Write(ctx, insert("after")); err != nil {
		t.Fatalf("a write after the panics: %v", err)
	}
	want := map[string]bool{"a": true, "b": true, "after": true}
	if got := stored(t, db); !maps.Equal(got, want) {
		t.Errorf("stored %v, want %v", got, want)
	}
}

func TestCancelledWriteIsNotRun(t *testing.T) {
	t.Parallel()
	t.Run("before Write", func(t *testing.T) {
		db, _ := open(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ran := false
		err := db.Write(ctx, func(tx *sql.Tx) error {
			ran = true
			return insert("cancelled")(tx)
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want %v", err, context.Canceled)
		}
		if ran {
			t.Error("fn ran")
		}
		if got := stored(t, db); len(got) != 0 {
			t.Errorf("stored %v, want nothing", got)
		}
	})
	t.Run("while queued", func(t *testing.T) {
		db, _ := open(t)
		release := hold(t, db)
		bg := context.Background()
		ctx, cancel := context.WithCancel(bg)
		a := queue(t, db, bg, insert("a"))
		ran := make(chan struct{}, 1)
		cancelled := queue(t, db, ctx, func(tx *sql.Tx) error {
			ran <- struct{}{}
			return insert("cancelled")(tx)
		})
		b := queue(t, db, bg, insert("b"))
		cancel()
		release()

		if err := outcome(t, cancelled); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled: got %v, want %v", err, context.Canceled)
		}
		for name, done := range map[string]<-chan error{"a": a, "b": b} {
			if err := outcome(t, done); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		if len(ran) != 0 {
			t.Error("the cancelled write's fn ran")
		}
		want := map[string]bool{"a": true, "b": true}
		if got := stored(t, db); !maps.Equal(got, want) {
			t.Errorf("stored %v, want %v", got, want)
		}
	})
}

// endless is a write statement that runs until it is interrupted. An
// interrupted write statement makes SQLite roll back the whole transaction,
// and with it every write of the batch that ran before.
const endless = `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n)
	INSERT INTO items (name) SELECT 'never' FROM n WHERE x < 0`

// TestInterruptedWrite checks that a write whose ctx ends while its
// statement runs, which costs the batch its transaction, leaves no write
// reported committed that is not, nor reported failed that is.
func TestInterruptedWrite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		swallow bool // fn ignores the interrupted statement's error
	}{
		{"fn returns the error", false},
		{"fn ignores the error", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := open(t)
			release := hold(t, db)
			bg := context.Background()
			a := queue(t, db, bg, insert("a"))
			interrupted := queue(t, db, bg, func(tx *sql.Tx) error {
				if err := insert("interrupted")(tx); err != nil {
					return err
				}
				// The cancel must come while the statement runs: one that
				// comes first (a busy machine can hold this goroutine back
				// past it) makes database/sql refuse the statement unrun,
				// and nothing is interrupted. So an attempt that reaches
				// the statement late is not made, and tried again.
				var err error
				for range 50 {
					ctx, cancel := context.WithCancel(bg)
					t0 := time.Now()
					timer := time.AfterFunc(50*time.Millisecond, cancel)
					if time.Since(t0) > 25*time.Millisecond {
						timer.Stop()
						cancel()
						continue
					}
					_, err = tx.ExecContext(ctx, endless)
					cancel()
					break
				}
				if err == nil {
					t.Error("the endless statement ended without error")
				}
				if tc.swallow {
					return nil
				}
				return err
			})
			b := queue(t, db, bg, insert("b"))
			release()

			errs := map[string]error{}
			for name, done := range map[string]<-chan error{"a": a, "interrupted": interrupted, "b": b} {
				errs[name] = outcome(t, done)
			}
			if errs["interrupted"] == nil {
				t.Error("interrupted: got no error")
			}
			got := stored(t, db)
			for name, err := range errs {
				switch {
				case err == nil && !got[name]:
					t.Errorf("%s: reported committed, but is not stored", name)
				case err != nil && got[name]:
					t.Errorf("%s: reported failed (%v), but is stored", name, err)
				}
			}
			if got["never"] {
				t.Error("the interrupted statement's rows are stored")
			}
			if err := db.Write(bg, insert("after")); err != nil {
				t.Fatalf("a write after the interruption: %v", err)
			}
			if !stored(t, db)["after"] {
				t.Error("the write after the interruption is not stored")
			}
		})
	}
}

func TestCommittedWritesSurviveReopen(t *testing.T) {
	t.Parallel()
	db, path := open(t)
	ctx := context.Background()
	for _, name := range []string{"a", "b"} {
		if err := db.Write(ctx, insert(name)); err != nil {
			t.Fatal(err)
		}
	}
	// Writes still queued when Close is called are committed before it
	// returns.
	release := hold(t, db)
	c := queue(t, db, ctx, insert("c"))
	d := queue(t, db, ctx, insert("d"))
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	waitClosing(t, db)
	release()
	for name, done := range map[string]<-chan error{"c": c, "d": d} {
		if err := outcome(t, done); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := outcome(t, closed); err != nil {
		t.Fatalf("Close: %v", err)
	}

	db = reopen(t, path)
	want := map[string]bool{"a": true, "b": true, "c": true, "d": true}
	if got := stored(t, db); !maps.Equal(got, want) {
		t.Errorf("after reopening: stored %v, want %v", got, want)
	}
}

// waitClosing waits until Close has begun.
func waitClosing(t *testing.T, db *DB) {
	t.Helper()
	select {
	case <-db.closing:
	case <-time.After(patience):
		t.Fatal("Close never began")
	}
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	db, _ := open(t)
	ctx := context.Background()
	want := []struct {
		pragma string
		writer string
		reader string
	}{
		{"journal_mode", "wal", "wal"},
		{"synchronous", "2", "2"}, // FULL
		{"foreign_keys", "1", "1"},
		{"busy_timeout", "10000", "10000"},
		{"query_only", "0", "1"},
		{"temp_store", "2", "0"}, // MEMORY on the writer, for savepoints
	}
	check := func(t *testing.T, tx *sql.Tx, reader bool) {
		for _, p := range want {
			var got string
			if err := tx.QueryRow(`PRAGMA ` + p.pragma).Scan(&got); err != nil {
				t.Errorf("%s: %v", p.pragma, err)
				continue
			}
			w := p.writer
			if reader {
				w = p.reader
			}
			if got != w {
				t.Errorf("%s = %s, want %s", p.pragma, got, w)
			}
		}
	}

	t.Run("writer", func(t *testing.T) {
		err := db.Write(ctx, func(tx *sql.Tx) error {
			check(t, tx, false)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Foreign keys are enforced, not only switched on.
		err = db.Write(ctx, exec(`CREATE TABLE owners (id TEXT PRIMARY KEY) STRICT;
			CREATE TABLE pets (id TEXT PRIMARY KEY, owner_id TEXT NOT NULL REFERENCES owners (id)) STRICT`))
		if err != nil {
			t.Fatal(err)
		}
		err = db.Write(ctx, exec(`INSERT INTO pets (id, owner_id) VALUES ('p', 'no such owner')`))
		if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
			t.Errorf("a row naming a missing parent: got %v, want a FOREIGN KEY error", err)
		}
	})

	t.Run("readers", func(t *testing.T) {
		// Hold four reads open at once, so that four connections of the pool
		// are checked, not one four times.
		const n = 4
		var all sync.WaitGroup
		all.Add(n)
		errs := make(chan error, n)
		for range n {
			go func() {
				errs <- db.Read(ctx, func(tx *sql.Tx) error {
					check(t, tx, true)
					if _, err := tx.Exec(`INSERT INTO items (name) VALUES ('through a reader')`); err == nil {
						t.Error("a reader wrote")
					}
					all.Done()
					all.Wait()
					return nil
				})
			}()
		}
		for range n {
			if err := outcome(t, errs); err != nil {
				t.Error(err)
			}
		}
		if stored(t, db)["through a reader"] {
			t.Error("a write through a reader is stored")
		}
	})
}

func TestWriteAfterClose(t *testing.T) {
	t.Parallel()
	db, _ := open(t)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Many times, since a write that slipped into the queue after the commit
	// loop stopped would hang only some of the time.
	for range 100 {
		done := make(chan error, 1)
		go func() { done <- db.Write(context.Background(), insert("late")) }()
		if err := outcome(t, done); !errors.Is(err, ErrClosed) {
			t.Fatalf("got %v, want %v", err, ErrClosed)
		}
	}
	if err := db.Close(); err != nil {
		t.Errorf("closing again: %v", err)
	}
}

// TestWritesRacingClose checks that writes that race with Close all return,
// either committed for good or with ErrClosed.
func TestWritesRacingClose(t *testing.T) {
	t.Parallel()
	const writers = 16
	db, path := open(t)
	var mu sync.Mutex
	outcomes := map[string]error{}
	var committed atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := 0; ; i++ {
				name := fmt.Sprintf("w%02d-%04d", w, i)
				err := db.Write(context.Background(), insert(name))
				mu.Lock()
				outcomes[name] = err
				mu.Unlock()
				if err != nil {
					return
				}
				committed.Add(1)
			}
		})
	}
	// Close while the writers are in full flow.
	deadline := time.Now().Add(patience)
	for committed.Load() < 100 {
		if time.Now().After(deadline) {
			t.Fatal("the writers never got going")
		}
		time.Sleep(time.Millisecond)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	returned := make(chan struct{})
	go func() { wg.Wait(); close(returned) }()
	select {
	case <-returned:
	case <-time.After(patience):
		t.Fatal("writes racing with Close never returned")
	}

	got := stored(t, reopen(t, path))
	for name, err := range outcomes {
		switch {
		case err == nil:
			if !got[name] {
				t.Errorf("%s: reported committed, but is not stored", name)
			}
		case errors.Is(err, ErrClosed):
			if got[name] {
				t.Errorf("%s: reported closed, but is stored", name)
			}
		default:
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestOpenPathWithURICharacters checks that a path with the characters that
// an SQLite URI gives a meaning to opens the file at that very path.
func TestOpenPathWithURICharacters(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "clinic #2 ?100% sure")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "interlude.db")
	db := reopen(t, path)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database is not at %s: %v", path, err)
	}
	// The readers open the same file as the writer.
	var n int
	err := db.Read(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n)
	})
	if err != nil || n == 0 {
		t.Errorf("the readers see %d migrations (%v), want those the writer applied", n, err)
	}
}
