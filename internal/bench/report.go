package bench

import (
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// report prints the results as a table, then the throughput with idle
// recipients relative to none.
func (b *bench) report(results []result) error {
	w := &strings.Builder{}
	durability := "synchronous=FULL"
	if b.Engine == "postgres" {
		durability = "synchronous_commit as configured"
	}
	fmt.Fprintf(w, "\ninterlude bench messages: %s (%s), audit and encryption on; %d CPUs (GOMAXPROCS %d); %v measured per run after %v warm-up\n",
		b.Engine, durability, runtime.NumCPU(), runtime.GOMAXPROCS(0), b.Duration, b.Warmup)
	fmt.Fprintln(w, "latency: start of the sender's POST to the event's arrival on the recipient's stream; CPU: the server process's user+system time")
	fmt.Fprintf(w, "%5s %8s %9s %9s %8s %8s %14s %13s %5s %6s\n",
		"idle", "senders", "messages", "msg/s", "p50 ms", "p99 ms", "server µs/msg", "bench µs/msg", "lost", "errors")
	rate := map[[2]int]float64{}
	for _, r := range results {
		mps := float64(r.messages) / r.elapsed.Seconds()
		rate[[2]int{r.idle, r.senders}] = mps
		fmt.Fprintf(w, "%5d %8d %9d %9.0f %8.2f %8.2f %14s %13s %5d %6d\n",
			r.idle, r.senders, r.messages, mps, ms(r.p50), ms(r.p99), perMessage(r.cpu, r.messages), perMessage(r.benchCPU, r.messages), r.lost, r.errors)
	}
	if len(b.Idle) > 1 {
		lo, hi := b.Idle[0], b.Idle[len(b.Idle)-1]
		for _, n := range b.Senders {
			base, with := rate[[2]int{lo, n}], rate[[2]int{hi, n}]
			if base > 0 {
				fmt.Fprintf(w, "%d senders: throughput with %d idle recipients is %.0f%% of that with %d (%+.1f%%)\n",
					n, hi, 100*with/base, lo, 100*(with-base)/base)
			}
		}
	}
	_, err := io.WriteString(b.Stdout, w.String())
	return err
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func perMessage(cpu time.Duration, n int) string {
	if cpu < 0 || n == 0 {
		return "n/a"
	}
	return strconv.FormatFloat(float64(cpu.Microseconds())/float64(n), 'f', 0, 64)
}
