package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"interlude/internal/store/storetest"
)

// TestKeysRotateCommand (EN-02): `interlude keys rotate` on a demo database
// adds master-key version 2, rewraps every data key under it, and the demo
// clinic still serves its clients' sealed names afterwards.
func TestKeysRotateCommand(t *testing.T) {
	t.Parallel()
	storetest.Need(t, "sqlite")
	data := t.TempDir()
	s := startServe(t, "--data", data)
	s.waitHealthy(t)
	s.stop(t)

	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"interlude", "keys", "rotate", "--data", data}, noEnv, &out, &errb); err != nil {
		t.Fatalf("keys rotate: %v\n%s%s", err, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "master key version 2 is current") || !strings.Contains(out.String(), "map[2:") {
		t.Fatalf("keys rotate said: %s", out.String())
	}
	key, err := os.ReadFile(filepath.Join(data, "master.key"))
	if err != nil || !strings.Contains(string(key), "master 2 ") {
		t.Fatalf("the key file has no version 2: %v", err)
	}

	// The demo's sign-in still works: the client's sealed email opens
	// through the rewrapped key.
	s = startServe(t, "--data", data)
	s.waitHealthy(t)
	resp, err := s.client.Post(s.base+"/api/v1/sessions", "application/json",
		strings.NewReader(`{"email":"sam@demo.interlude.test","password":"sam-demo-journal-river"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Errorf("the demo client's sign-in after rotation: %d", resp.StatusCode)
	}
	s.stop(t)
}
