package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"interlude/internal/store/storetest"
)

// auditRun runs `interlude audit ARGS` and returns its output and error.
func auditRun(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), append([]string{"interlude", "audit"}, args...), noEnv, &out, &errb)
	return out.String() + errb.String(), err
}

// sqlite3 runs the sqlite3 command-line tool on db, as an operator (or an
// intruder) with file access would.
func sqlite3(t *testing.T, db, sql string) {
	t.Helper()
	if out, err := exec.Command("sqlite3", db, sql).CombinedOutput(); err != nil {
		t.Fatalf("sqlite3 %q: %v\n%s", sql, err, out)
	}
}

func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
	return to
}

// TestAuditVerifyCommand (AD-03, AD-04): on a demo database that served
// requests, `interlude audit verify` exits 0. After one audit row is edited
// with the sqlite3 tool (its trigger dropped first) it exits 1 naming that
// row; after the last rows are deleted, the signed checkpoint written at
// shutdown proves the truncation; and the triggers refuse both changes.
func TestAuditVerifyCommand(t *testing.T) {
	t.Parallel()
	storetest.Need(t, "sqlite")
	if _, err := exec.LookPath("sqlite3"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("no sqlite3 tool, and CI is set: install Debian's sqlite3 package (scripts/test.sh does)")
		}
		t.Skip("the sqlite3 command-line tool is not installed")
	}
	data := t.TempDir()
	s := startServe(t, "--data", data)
	s.waitHealthy(t)
	for range 3 { // failed sign-ins are audited
		resp, err := s.client.Post(s.base+"/api/v1/sessions", "application/json",
			strings.NewReader(`{"email":"nobody@example.org","password":"not the password at all"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("sign-in: %d", resp.StatusCode)
		}
	}
	s.stop(t) // seals the rest and signs a checkpoint

	out, err := auditRun(t, "verify", "--data", data)
	if err != nil || !strings.Contains(out, "intact") || !strings.Contains(out, "contains the checkpoint") {
		t.Fatalf("verify on the demo database: %v\n%s", err, out)
	}
	cp, err := auditRun(t, "checkpoint", "--data", data)
	if err != nil || !strings.Contains(cp, "interlude audit log\n") || !strings.Contains(cp, "— interlude-audit ") {
		t.Fatalf("audit checkpoint: %v\n%s", err, cp)
	}
	db := "interlude.db"

	t.Run("the triggers refuse changes", func(t *testing.T) {
		for _, sql := range []string{
			`UPDATE audit_events SET outcome = 'success' WHERE seq = 2`,
			`DELETE FROM audit_events WHERE seq = 2`,
		} {
			out, err := exec.Command("sqlite3", filepath.Join(data, db), sql).CombinedOutput()
			if err == nil || !strings.Contains(string(out), "append-only") {
				t.Errorf("%s: %v %s", sql, err, out)
			}
		}
	})
	t.Run("an edited row is named", func(t *testing.T) {
		dir := copyDir(t, data)
		sqlite3(t, filepath.Join(dir, db), `DROP TRIGGER audit_events_no_update;
			UPDATE audit_events SET actor_id = 'someone-else' WHERE seq = 2`)
		out, err := auditRun(t, "verify", "--data", dir)
		if err == nil || err.(exitError).code != 1 || !strings.Contains(out, "audit row 2:") {
			t.Fatalf("got %v\n%s", err, out)
		}
	})
	t.Run("truncation fails against the checkpoint", func(t *testing.T) {
		// The checkpoint kept off the machine, then the tail deleted.
		offBox := filepath.Join(t.TempDir(), "checkpoint.note")
		if err := os.WriteFile(offBox, []byte(cp), 0o644); err != nil {
			t.Fatal(err)
		}
		dir := copyDir(t, data)
		sqlite3(t, filepath.Join(dir, db), `DROP TRIGGER audit_events_no_delete;
			DELETE FROM audit_events WHERE seq > (SELECT max(seq) - 2 FROM audit_events)`)
		// The intruder also removes the local checkpoints; the copy
		// kept elsewhere still proves the truncation.
		if err := os.RemoveAll(filepath.Join(dir, "audit-checkpoints")); err != nil {
			t.Fatal(err)
		}
		out, err := auditRun(t, "verify", "--data", dir)
		if err != nil {
			t.Fatalf("without a checkpoint, a truncated chain still verifies as a chain: %v\n%s", err, out)
		}
		out, err = auditRun(t, "verify", "--data", dir, "--checkpoint", offBox)
		if err == nil || err.(exitError).code != 1 || !strings.Contains(out, "signed checkpoint covers row") {
			t.Fatalf("got %v\n%s", err, out)
		}
	})
}
