package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is one run's measurement: a number of senders with a number of
// idle recipients.
type result struct {
	senders, idle int
	messages      int
	elapsed       time.Duration
	p50, p99      time.Duration
	cpu           time.Duration // the server's CPU time in the window
	benchCPU      time.Duration // this process's
	lost, errors  int
}

// measure runs n senders: they send for the warm-up, then for the
// measured window, whose messages are counted, timed and awaited.
func (b *bench) measure(ctx context.Context, n, idle int) (result, error) {
	res := result{senders: n, idle: idle}
	stopCtx, stop := context.WithCancel(ctx)
	defer stop()
	var (
		mu        sync.Mutex
		waits     []*delivery
		completed atomic.Int64
		started   atomic.Int64
		failures  atomic.Int64
		firstErr  atomic.Value
		wg        sync.WaitGroup
		inWindow  atomic.Bool
		windowEnd = make(chan struct{})
		endOnce   sync.Once
	)
	for i := range n {
		p := b.pairs[i]
		path := "/api/v1/clients/" + p.client.id + "/messages"
		body := map[string]string{"text": messageText}
		wg.Go(func() {
			var mine []*delivery
			defer func() {
				mu.Lock()
				waits = append(waits, mine...)
				mu.Unlock()
			}()
			for stopCtx.Err() == nil {
				measured := inWindow.Load()
				if measured && b.Count > 0 && started.Add(1) > int64(b.Count) {
					endOnce.Do(func() { close(windowEnd) })
					return
				}
				start := time.Now()
				var m struct {
					ID string `json:"id"`
				}
				if err := b.call(stopCtx, "POST", path, p.client.token, body, http.StatusCreated, &m); err != nil {
					if stopCtx.Err() != nil {
						return
					}
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					time.Sleep(10 * time.Millisecond)
					continue
				}
				d := b.sent(m.ID, start, measured)
				if measured {
					mine = append(mine, d)
					if inWindow.Load() {
						completed.Add(1)
					}
				}
			}
		})
	}
	profiled := make(chan error, 1)
	select {
	case <-time.After(b.Warmup):
	case <-ctx.Done():
		return res, ctx.Err()
	}
	if b.pprof != "" {
		go func() {
			profiled <- b.profile(ctx, fmt.Sprintf("cpu-%s-senders%d-idle%d.pprof", b.Engine, n, idle))
		}()
	} else {
		profiled <- nil
	}
	cpu0, bench0 := procCPU(b.pid), procCPU(os.Getpid())
	t0 := time.Now()
	inWindow.Store(true)
	select {
	case <-time.After(b.Duration):
	case <-windowEnd:
	case <-ctx.Done():
		return res, ctx.Err()
	}
	inWindow.Store(false)
	res.elapsed = time.Since(t0)
	cpu1, bench1 := procCPU(b.pid), procCPU(os.Getpid())
	res.messages = int(completed.Load())
	if cpu0 >= 0 && cpu1 >= 0 {
		res.cpu, res.benchCPU = cpu1-cpu0, bench1-bench0
	} else {
		res.cpu, res.benchCPU = -1, -1
	}
	stop()
	wg.Wait()
	if err := <-profiled; err != nil {
		return res, err
	}
	res.errors = int(failures.Load())
	if res.errors > 0 && res.messages == 0 {
		return res, fmt.Errorf("every message failed: %v", firstErr.Load())
	}
	// Wait for the measured messages' events, then forget this run's.
	var lat []time.Duration
	lat, res.lost = arrivals(ctx, waits, 10*time.Second)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	b.pending.Clear()
	slices.Sort(lat)
	res.p50, res.p99 = percentile(lat, 0.50), percentile(lat, 0.99)
	if len(waits) > 0 && len(lat) == 0 {
		return res, errors.New("no message reached its recipient's stream")
	}
	return res, nil
}

// arrivals waits up to timeout in all for the deliveries' events and
// returns their latencies, and how many did not arrive. The deadline is
// one for them all and stays passed once it has (a time.After fires once:
// with two lost messages the bench waited for ever, #20); it ends with
// ctx too (SIGTERM).
func arrivals(ctx context.Context, waits []*delivery, timeout time.Duration) (lat []time.Duration, lost int) {
	wait, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, d := range waits {
		select {
		case <-d.done: // arrived (also after the deadline: checked first)
		default:
			select {
			case <-d.done:
			case <-wait.Done():
				lost++
				continue
			}
		}
		lat = append(lat, d.arrived.Sub(d.start))
	}
	return lat, lost
}

// percentile is the q-quantile of sorted (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
