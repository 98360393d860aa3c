package main

import (
	"context"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"interlude/internal/store/storetest"
)

// benchRow is a row of the bench table: idle, senders, messages, msg/s,
// p50, p99, server µs/msg, bench µs/msg, lost, errors.
var benchRow = regexp.MustCompile(`(?m)^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+(\d+|n/a)\s+(\d+|n/a)\s+(\d+)\s+(\d+)\s*$`)

// TestBenchMessages runs "interlude bench messages" for a moment on each
// engine, so that it cannot rot: the real binary starts a real server,
// signs users in (staff with TOTP) and sends messages over HTTP that
// arrive on SSE streams. It asserts the output is sane, never a timing
// (issue #6).
func TestBenchMessages(t *testing.T) {
	t.Parallel()
	var engines [][]string
	if storetest.Enabled("sqlite") {
		engines = append(engines, []string{"--engine", "sqlite"})
	}
	if u := os.Getenv(storetest.PostgresEnv); u != "" && storetest.Enabled("postgres") {
		engines = append(engines, []string{"--engine", "postgres", "--db", u})
	}
	for _, eng := range engines {
		t.Run(eng[1], func(t *testing.T) {
			// Each run measures three messages, however busy the machine
			// (the tests run side by side): a window of fixed length may
			// hold none. The duration only bounds a run that hangs.
			args := append([]string{"bench", "messages", "--count", "3", "--duration", "1m", "--warmup", "100ms",
				"--senders", "1,2", "--idle", "0,3", "--clinic-users", "20"}, eng...)
			out, err := binaryCommand(t, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("bench: %v\n%s", err, out)
			}
			text := string(out)
			if !strings.Contains(text, "and 20 users in all") {
				t.Errorf("the bench does not say it filled the clinic to 20 users:\n%s", text)
			}
			if !strings.Contains(text, eng[1]) || !strings.Contains(text, "audit and encryption on") {
				t.Errorf("the report does not name the engine and safeguards:\n%s", text)
			}
			rows := benchRow.FindAllStringSubmatch(text, -1)
			want := [][2]int{{0, 1}, {0, 2}, {3, 1}, {3, 2}}
			if len(rows) != len(want) {
				t.Fatalf("got %d rows, want %d:\n%s", len(rows), len(want), text)
			}
			for i, r := range rows {
				n := func(j int) float64 {
					v, err := strconv.ParseFloat(r[j], 64)
					if err != nil {
						t.Fatalf("row %q: column %d is %q", r[0], j, r[j])
					}
					return v
				}
				if int(n(1)) != want[i][0] || int(n(2)) != want[i][1] {
					t.Errorf("row %d is for %s idle, %s senders; want %v", i, r[1], r[2], want[i])
				}
				if n(3) < 1 || n(4) < 1 {
					t.Errorf("row %q: no messages measured", r[0])
				}
				if n(5) <= 0 || n(6) < n(5) {
					t.Errorf("row %q: p50 %s ms and p99 %s ms are not sane", r[0], r[5], r[6])
				}
				if _, err := os.Stat("/proc/self/stat"); err == nil && r[7] == "n/a" {
					t.Errorf("row %q: no server CPU time although /proc is there", r[0])
				}
				if r[9] != "0" || r[10] != "0" {
					t.Errorf("row %q: %s messages lost, %s errors", r[0], r[9], r[10])
				}
			}
			for _, s := range []string{"1 senders: throughput with 3 idle recipients is", "2 senders: throughput with 3 idle recipients is"} {
				if !strings.Contains(text, s) {
					t.Errorf("no %q in:\n%s", s, text)
				}
			}
		})
	}
}

// TestBenchMessagesFlags: wrong flags are one line of error, before
// anything starts.
func TestBenchMessagesFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"bench"},
		{"bench", "messages", "--engine", "postgres"},
		{"bench", "messages", "--engine", "mysql"},
		{"bench", "messages", "--db", "postgres://x/y"},
		{"bench", "messages", "--senders", "0"},
		{"bench", "messages", "--idle", "a,b"},
		{"bench", "messages", "--count", "-1"},
	} {
		err := run(context.Background(), append([]string{"interlude"}, args...), noEnv, io.Discard, io.Discard)
		if err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: got %v, want one line of error", args, err)
		}
	}
}

// TestServeProfilerLoopbackOnly: the profiler of "serve --pprof-addr" is
// refused anywhere but on loopback.
func TestServeProfilerLoopbackOnly(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", ":6060", "192.0.2.1:6060", "localhost"} {
		err := run(context.Background(), []string{"interlude", "serve", "--data", t.TempDir(), "--pprof-addr", addr}, noEnv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("--pprof-addr %s: got %v, want a refusal", addr, err)
		}
	}
}

func TestIntList(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in     string
		lowest int
		want   []int // nil: an error
	}{
		{"1,8,32", 1, []int{1, 8, 32}},
		{" 32 , 1 ", 1, []int{32, 1}},
		{"8,8,1,8", 1, []int{8, 1}},
		{"0,500", 0, []int{0, 500}},
		{"10000", 1, []int{10000}},
		{"0", 1, nil},
		{"10001", 0, nil},
		{"-1", 0, nil},
		{"a,b", 0, nil},
		{"1,,2", 1, nil},
		{"", 0, nil},
	} {
		got, err := intList(tc.in, tc.lowest)
		if tc.want == nil {
			if err == nil {
				t.Errorf("intList(%q, %d) = %v, want an error", tc.in, tc.lowest, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("intList(%q, %d) = %v, %v; want %v", tc.in, tc.lowest, got, err, tc.want)
		}
	}
}
