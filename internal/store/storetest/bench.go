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
