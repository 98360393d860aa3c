package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"interlude/internal/store/storetest"
)

// TestServeRefusesLostSigningKey (#17): a data folder that holds audit
// checkpoints but lost its signing key (a restore that left it behind)
// does not start with a new key, whose checkpoints the kept verifier key
// would reject: serve says which file is missing.
func TestServeRefusesLostSigningKey(t *testing.T) {
	t.Parallel()
	storetest.Need(t, "sqlite")
	data := t.TempDir()
	s := startServe(t, "--data", data)
	s.waitHealthy(t)
	s.stop(t) // the final seal signs a checkpoint of the demo's audit rows
	notes, err := filepath.Glob(filepath.Join(data, "audit-checkpoints", "*.note"))
	if err != nil || len(notes) == 0 {
		t.Fatalf("no checkpoint after the first run (%v)", err)
	}
	verifier, err := os.ReadFile(filepath.Join(data, "audit-verifier.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(data, "audit-signing.key")); err != nil {
		t.Fatal(err)
	}

	// A server that does start ends with the context, and fails the test.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, errb := newSyncBuffer(), newSyncBuffer()
	err = run(ctx, []string{"interlude", "serve", "--addr", "127.0.0.1:0", "--data", data}, noEnv, out, errb)
	if err == nil || !strings.Contains(err.Error(), "audit-signing.key") || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("serve without its signing key: %v, want an error naming the missing audit-signing.key", err)
	}
	if _, err := os.Stat(filepath.Join(data, "audit-signing.key")); err == nil {
		t.Errorf("serve made a new signing key")
	}
	if again, err := os.ReadFile(filepath.Join(data, "audit-verifier.key")); err != nil || string(again) != string(verifier) {
		t.Errorf("the verifier key changed (%v)", err)
	}
}
