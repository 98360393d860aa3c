package bench

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"none", nil, 0.5, 0},
		{"one, p50", ms(7), 0.5, 7 * time.Millisecond},
		{"one, p99", ms(7), 0.99, 7 * time.Millisecond},
		{"two, p50 is the lower", ms(1, 2), 0.5, 1 * time.Millisecond},
		{"two, p99 is the higher", ms(1, 2), 0.99, 2 * time.Millisecond},
		{"hundred, p50", ms(hundred...), 0.5, 50 * time.Millisecond},
		{"hundred, p99", ms(hundred...), 0.99, 99 * time.Millisecond},
		{"q 0 is the first", ms(3, 4, 5), 0, 3 * time.Millisecond},
		{"q 1 is the last", ms(3, 4, 5), 1, 5 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.sorted, tc.q); got != tc.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tc.sorted, tc.q, got, tc.want)
			}
		})
	}
}
