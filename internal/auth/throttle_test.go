package auth

import (
	"math"
	"testing"
	"time"
)

// AU-05: no wait for failures 1–4, then exponential from the 5th, capped,
// never permanent.
func TestBackoffAU05(t *testing.T) {
	t.Parallel()
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{-1, 0},
		{0, 0},
		{1, 0},
		{4, 0},
		{5, time.Second},
		{6, 2 * time.Second},
		{7, 4 * time.Second},
		{10, 32 * time.Second},
		{14, 512 * time.Second},
		{15, 15 * time.Minute},
		{100, 15 * time.Minute},
		{101, 15 * time.Minute},
		{69, 15 * time.Minute}, // 1 s << 64 would overflow
		{math.MaxInt, 15 * time.Minute},
	}
	for _, tt := range tests {
		if got := Backoff(tt.failures); got != tt.want {
			t.Errorf("Backoff(%d) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}

func TestBackoffMonotonicAndBoundedAU05(t *testing.T) {
	t.Parallel()
	prev := time.Duration(0)
	for n := 0; n <= 1000; n++ {
		d := Backoff(n)
		if d < prev {
			t.Fatalf("Backoff(%d) = %v < Backoff(%d) = %v", n, d, n-1, prev)
		}
		if d > MaxBackoff {
			t.Fatalf("Backoff(%d) = %v, over the cap %v", n, d, MaxBackoff)
		}
		prev = d
	}
}
