package store_test

import (
	"context"
	"testing"

	"interlude/internal/store/storetest"
)

// BenchmarkBrief reads the pre-session brief (Store.Brief) of a client
// with a year of daily shared entries, 52 PHQ-9 and 52 GAD-7 responses and
// 500 messages, on each engine (SPEC.md "Performance": p95 under 50 ms).
// "week" has the last held session 7 days ago; "year" 364 days ago, so the
// brief holds the whole year. Besides ns/op it reports the 50th and 95th
// percentile of the iterations' latencies, in milliseconds.
//
//	INTERLUDE_TEST_POSTGRES_URL=… go test -run xxx -bench BenchmarkBrief -benchtime 200x ./internal/store/
func BenchmarkBrief(b *testing.B) {
	storetest.EachBriefYear(b, func(b *testing.B, db *storetest.DB, c *storetest.Clinic) {
		ctx := context.Background()
		provider := c.Actor(c.Provider)
		if _, err := db.Store.Brief(ctx, provider, c.Client.ID); err != nil { // warm the key cache
			b.Fatal(err)
		}
		storetest.ReportLatencies(b, func() {
			br, err := db.Store.Brief(ctx, provider, c.Client.ID)
			if err != nil || len(br.Measures) != 2 || len(br.Measures[0].History) != 52 {
				b.Fatalf("brief: %v", err)
			}
		})
	})
}
