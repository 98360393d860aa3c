package storetest

import (
	"slices"
	"testing"
	"time"
)

// ReportLatencies runs fn b.N times and reports, besides ns/op, the 50th
// and 95th percentile of its latencies in milliseconds.
func ReportLatencies(b *testing.B, fn func()) {
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		fn()
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		i := min(len(lat)-1, int(float64(len(lat))*p))
		return float64(lat[i].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
}

// EachBriefYear runs fn, as sub-benchmarks engine/window, on each engine
// for a clinic whose client has a year of history (SeedBriefYear) and a
// last held session 7 days ago ("week") or 364 days ago ("year", so that
// the brief holds the whole year).
func EachBriefYear(b *testing.B, fn func(b *testing.B, db *DB, c *Clinic)) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			for _, window := range []struct {
				name string
				days int
			}{{"week", 7}, {"year", 364}} {
				b.Run(window.name, func(b *testing.B) {
					db := Open(b, engine)
					c := SeedClinic(b, db.Store, "Brief Bench")
					SeedBriefYear(b, db, c, window.days)
					fn(b, db, c)
				})
			}
		})
	}
}
