package bench

import (
	"os"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		stat string
		want time.Duration
	}{
		// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
		{"plain", "4242 (interlude) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 8 0", 3250 * time.Millisecond},
		{"a name with spaces and parentheses", "4242 (a (b) c) R 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0", 30 * time.Millisecond},
		{"cut short", "4242 (interlude) S 1 4242", -1},
		{"no name", "4242 interlude S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75", -1},
		{"not a number", "4242 (interlude) S 1 4242 4242 0 -1 4194560 100 0 0 0 x 75 0 0", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseStatCPU([]byte(tc.stat)); got != tc.want {
				t.Errorf("parseStatCPU(%q) = %v, want %v", tc.stat, got, tc.want)
			}
		})
	}
}

// TestProcCPU: this process has a CPU time, where there is /proc, and a
// process that is not there has none.
func TestProcCPU(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	if got := procCPU(os.Getpid()); got < 0 {
		t.Errorf("procCPU(this process) = %v, want a CPU time", got)
	}
	if got := procCPU(-1); got != -1 {
		t.Errorf("procCPU(-1) = %v, want -1", got)
	}
}
