package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// BenchmarkWrite compares the store's write path with a bare durable INSERT
// of the same users row, on each engine, with 1 and 32 concurrent writers.
// One op is one row: with 32 writers ns/op is the time per row of the whole
// run, the inverse of throughput, not the latency of one write.
//
//   - bare: a plain INSERT in autocommit through the engine's *sql.DB; on
//     SQLite that is the writer's single connection, so each insert is a
//     commit and an fsync of its own.
//   - store: Store.CreateUser, which validates the client, checks through
//     the keyed email index that the email is free, creates and wraps the
//     client's data key, seals the name and email (AES-256-GCM) and inserts
//     the row, the key and an audit event in one transaction through
//     Engine.Write; on SQLite concurrent writes share a commit.
//
// Run it with:
//
//	INTERLUDE_TEST_POSTGRES_URL=… go test -run xxx -bench BenchmarkWrite -benchtime 2000x ./internal/store/
func BenchmarkWrite(b *testing.B) {
	paths := []struct {
		name   string
		insert func(ctx context.Context, db *storetest.DB, clinicID string, n int64) error
	}{
		{"bare", func(ctx context.Context, db *storetest.DB, clinicID string, n int64) error {
			_, err := db.Engine.SQLDB().ExecContext(ctx,
				`INSERT INTO users (id, clinic_id, role, email, display_name, time_zone, created_at)
				 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				care.NewID(), clinicID, string(care.RoleClient), email(n), "Bench User", "UTC",
				time.Now().UTC().Truncate(time.Microsecond).UnixMicro())
			return err
		}},
		{"store", func(ctx context.Context, db *storetest.DB, clinicID string, n int64) error {
			return db.Store.CreateUser(ctx, &care.User{
				ClinicID:    clinicID,
				Role:        care.RoleClient,
				Email:       email(n),
				DisplayName: "Bench User",
				TimeZone:    "UTC",
			})
		}},
	}
	for _, engine := range storetest.Engines() {
		b.Run(engine, func(b *testing.B) {
			for _, path := range paths {
				b.Run(path.name, func(b *testing.B) {
					for _, writers := range []int{1, 32} {
						b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
							benchmarkInserts(b, engine, writers, path.insert)
						})
					}
				})
			}
		})
	}
}

// benchmarkInserts inserts b.N users into a fresh database from exactly
// writers goroutines, then checks that all b.N rows are there.
func benchmarkInserts(b *testing.B, engine string, writers int, insert func(ctx context.Context, db *storetest.DB, clinicID string, n int64) error) {
	ctx := context.Background()
	db := storetest.Open(b, engine)
	c := &care.Clinic{Name: "Bench Clinic"}
	if err := db.Store.CreateClinic(ctx, c); err != nil {
		b.Fatal(err)
	}

	warm(b, db, writers)

	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range writers {
		wg.Go(func() {
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				if err := insert(ctx, db, c.ID, n); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()

	var rows int
	if err := db.Engine.SQLDB().QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&rows); err != nil {
		b.Fatal(err)
	}
	if rows != b.N {
		b.Errorf("got %d users, want %d", rows, b.N)
	}
}

// email returns the n-th benchmark user's email, distinct for each n.
func email(n int64) string { return fmt.Sprintf("bench%d@example.org", n) }

// warm opens writers connections of the pool before the clock starts, so
// that neither path pays for connecting (a PostgreSQL connection starts a
// server process) inside the measurement.
func warm(b *testing.B, db *storetest.DB, writers int) {
	ctx := context.Background()
	// SQLite's writer pool holds one connection: asking it for more would
	// wait for ever.
	if limit := db.Engine.SQLDB().Stats().MaxOpenConnections; limit > 0 {
		writers = min(writers, limit)
	}
	conns := make([]*sql.Conn, 0, writers)
	for range writers {
		c, err := db.Engine.SQLDB().Conn(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.PingContext(ctx); err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		if err := c.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendMessage measures Store.SendMessage, the store's part of
// "interlude bench messages" (issue #6): the care-team check, the sealed
// text, the message, its event and its audit row in one write. Each of
// the writers is a client writing in their own thread. Profile it with
//
//	go test -run xxx -bench BenchmarkSendMessage/sqlite -cpuprofile cpu.out ./internal/store/
func BenchmarkSendMessage(b *testing.B) {
	for _, engine := range storetest.Engines() {
		b.Run(engine, func(b *testing.B) {
			for _, writers := range []int{1, 32} {
				b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
					ctx := context.Background()
					db := storetest.Open(b, engine)
					c := storetest.SeedClinic(b, db.Store, "Bench Messages")
					admin := c.Actor(c.Admin)
					clients := make([]care.Actor, writers)
					for i := range clients {
						u := care.User{ClinicID: c.Clinic.ID, Role: care.RoleClient, Email: email(int64(i)), DisplayName: "Bench Client"}
						if err := db.Store.CreateUser(ctx, &u); err != nil {
							b.Fatal(err)
						}
						if err := db.Store.AddToCareTeam(ctx, admin, u.ID, c.Provider.ID); err != nil {
							b.Fatal(err)
						}
						clients[i] = c.Actor(u)
					}
					var next atomic.Int64
					var wg sync.WaitGroup
					b.ResetTimer()
					for _, actor := range clients {
						wg.Go(func() {
							for next.Add(1) <= int64(b.N) {
								m := care.Message{Text: "Thanks for today. I tried the breathing exercise twice this morning."}
								ev, err := db.Store.SendMessage(ctx, actor, actor.UserID, &m)
								if err != nil || ev.Seq == 0 {
									b.Error(err)
									return
								}
							}
						})
					}
					wg.Wait()
				})
			}
		})
	}
}
