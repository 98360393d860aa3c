package bench

import (
	"context"
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

// TestArrivalsLostMessages (#20): with several messages whose events
// never come, the bench waits its one deadline and counts each as lost,
// instead of waiting for ever after the first; a cancelled run (SIGTERM)
// stops waiting at once.
func TestArrivalsLostMessages(t *testing.T) {
	t.Parallel()
	arrived := &delivery{done: make(chan struct{}), start: time.Unix(0, 0), arrived: time.Unix(0, int64(5*time.Millisecond))}
	close(arrived.done)
	waits := []*delivery{{done: make(chan struct{})}, arrived, {done: make(chan struct{})}, {done: make(chan struct{})}}
	done := make(chan struct{})
	var lat []time.Duration
	var lost int
	go func() {
		lat, lost = arrivals(context.Background(), waits, time.Millisecond)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("waiting for lost messages never ends")
	}
	if lost != 3 || len(lat) != 1 || lat[0] != 5*time.Millisecond {
		t.Errorf("lost %d, latencies %v; want 3 lost and one of 5ms", lost, lat)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, lost := arrivals(ctx, waits[:1], time.Hour); lost != 1 {
		t.Errorf("a cancelled run still waits: lost %d", lost)
	}
}
