package main

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"interlude/internal/store/storetest"
)

func TestMigrate(t *testing.T) {
	t.Parallel()
	for _, eng := range engineArgs {
		if !storetest.Enabled(eng.name) {
			continue
		}
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"interlude", "migrate"}, eng.args(t)...)
			migrate := func() int {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				var stdout, stderr bytes.Buffer
				if err := run(ctx, args, noEnv, &stdout, &stderr); err != nil {
					t.Fatalf("migrate: %v\nstderr:\n%s", err, &stderr)
				}
				m := appliedN.FindStringSubmatch(stdout.String())
				if m == nil {
					t.Fatalf("migrate did not say how many migrations it applied:\n%s", &stdout)
				}
				if !bytes.Contains(stdout.Bytes(), []byte("the "+eng.name+" database")) {
					t.Errorf("migrate did not name the %s database:\n%s", eng.name, &stdout)
				}
				n, _ := strconv.Atoi(m[1])
				return n
			}
			if n := migrate(); n < 1 {
				t.Errorf("first migrate applied %d migrations, want at least 1", n)
			}
			if n := migrate(); n != 0 {
				t.Errorf("second migrate applied %d migrations, want 0", n)
			}
		})
	}
}
