package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"interlude/internal/store/sqlite"
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

// TestBackupRestore (#17): `interlude backup` while the server serves and
// writes, `interlude restore` into a new folder; the restored installation
// has the same rows, its audit log verifies against the checkpoints it
// carries and its key files (master, Web Push, audit signing and verifier)
// are the same bytes. Restore refuses a folder that is not empty. On
// PostgreSQL the archive carries the files only; the database stays.
func TestBackupRestore(t *testing.T) {
	t.Parallel()
	for _, eng := range engineArgs {
		if !storetest.Enabled(eng.name) {
			continue
		}
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			dbArgs := eng.args(t)
			data := parseDBFlags(t, dbArgs).data
			first := startServe(t, dbArgs...)
			first.waitHealthy(t)
			logins := first.stdout.String()
			first.stop(t) // leaves a signed checkpoint
			s := startServe(t, dbArgs...)
			s.waitHealthy(t)
			sam := apiSignIn(t, s, logins, "sam@demo.interlude.test")
			journal := "/api/v1/clients/" + sam.userID + "/journal"

			// Sam writes while the backup runs.
			stop, wrote := make(chan struct{}), make(chan int)
			go func() {
				n := 0
				defer func() { wrote <- n }()
				for {
					select {
					case <-stop:
						return
					default:
					}
					status, body := apiPost(s, sam.token, journal,
						fmt.Sprintf(`{"occurred_at":%q,"text":"A quiet morning walk.","mood":6,"shared":true}`, time.Now().UTC().Format(time.RFC3339)))
					if status != http.StatusCreated {
						t.Errorf("a journal entry during the backup: %d %s", status, body)
						return
					}
					n++
				}
			}()
			archive := filepath.Join(t.TempDir(), "backup.tar.gz")
			var out, errb strings.Builder
			err := run(context.Background(), append([]string{"interlude", "backup", "--out", archive}, dbArgs...), noEnv, &out, &errb)
			close(stop)
			n := <-wrote
			if err != nil {
				t.Fatalf("backup: %v\n%s%s", err, out.String(), errb.String())
			}
			t.Logf("backup: %s(%d journal entries written meanwhile)", out.String(), n)
			if info, err := os.Stat(archive); err != nil || info.Mode().Perm() != 0o600 {
				t.Errorf("the backup file: %v, mode %v, want 0600", err, info.Mode().Perm())
			}
			if err := run(context.Background(), append([]string{"interlude", "backup", "--out", archive}, dbArgs...), noEnv, io.Discard, io.Discard); err == nil {
				t.Errorf("a second backup over the first: no error")
			}
			s.stop(t)

			restored := filepath.Join(t.TempDir(), "restored")
			restoreArgs := []string{"interlude", "restore", "--in", archive, "--data", restored}
			if eng.name == "postgres" {
				restoreArgs = append(restoreArgs, "--database-url", parseDBFlags(t, dbArgs).databaseURL)
			}
			out.Reset()
			if err := run(context.Background(), restoreArgs, noEnv, &out, &errb); err != nil {
				t.Fatalf("restore: %v\n%s", err, errb.String())
			}
			for _, name := range []string{"master.key", "vapid.key", "audit-signing.key", "audit-verifier.key"} {
				want, err := os.ReadFile(filepath.Join(data, name))
				if err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(filepath.Join(restored, name))
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("restored %s differs from the original (%v)", name, err)
				}
			}
			if err := run(context.Background(), restoreArgs, noEnv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "not empty") {
				t.Errorf("a restore over the restored folder: %v, want a refusal", err)
			}

			// The restored installation: the audit log verifies against the
			// checkpoints carried, the rows are there, and it serves.
			restoredArgs := []string{"--data", restored}
			if eng.name == "postgres" {
				restoredArgs = append(restoredArgs, "--database-url", parseDBFlags(t, dbArgs).databaseURL)
			}
			got, err := auditRun(t, append([]string{"verify"}, restoredArgs...)...)
			if err != nil || !strings.Contains(got, "audit log intact") || !strings.Contains(got, "contains the checkpoint") {
				t.Errorf("audit verify of the restored folder: %v\n%s", err, got)
			}
			if eng.name == "sqlite" {
				for _, table := range []string{"users", "data_keys", "clinics", "care_team"} {
					if a, b := countRows(t, filepath.Join(data, "interlude.db"), table), countRows(t, filepath.Join(restored, "interlude.db"), table); a != b {
						t.Errorf("%s: %d rows in the original, %d restored", table, a, b)
					}
				}
				before, after := countRows(t, filepath.Join(data, "interlude.db"), "journal_entries")-n, countRows(t, filepath.Join(restored, "interlude.db"), "journal_entries")
				if after < before || after > before+n {
					t.Errorf("journal entries restored: %d, want from %d to %d", after, before, before+n)
				}
			}
			r := startServe(t, restoredArgs...)
			r.waitHealthy(t)
			sam = apiSignIn(t, r, logins, "sam@demo.interlude.test")
			if status, body, err := apiGet(r, sam.token, journal); err != nil || status != http.StatusOK {
				t.Errorf("Sam's journal from the restored installation: %d %v %s", status, err, body)
			}
			r.stop(t)
			// Its new checkpoints are signed with the same key.
			got, err = auditRun(t, append([]string{"verify"}, restoredArgs...)...)
			if err != nil || !strings.Contains(got, "audit log intact") {
				t.Errorf("audit verify after serving from the restored folder: %v\n%s", err, got)
			}
		})
	}
}

// countRows counts the rows of a table of a SQLite database file.
func countRows(t *testing.T, path, table string) int {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close() //nolint:errcheck // read only
	var n int
	if err := db.SQLDB().QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRestoreRefusesForeignArchives (#17): restore takes only the files a
// backup holds, each matching the manifest, and leaves nothing behind when
// it refuses.
func TestRestoreRefusesForeignArchives(t *testing.T) {
	t.Parallel()
	key := []byte("index x\n")
	sum := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }
	manifest := func(files ...backupFile) []byte {
		b, _ := json.Marshal(backupManifest{Format: 1, Engine: "postgres", Files: files})
		return b
	}
	tests := []struct {
		name    string
		entries [][2]string // name, content
		want    string
	}{
		{"a path out of the folder", [][2]string{{"../evil", "x"}}, "no file of an Interlude backup"},
		{"no manifest", [][2]string{{"master.key", string(key)}}, "manifest is missing"},
		{"a changed file", [][2]string{{"master.key", "index y\n"},
			{backupManifestName, string(manifest(backupFile{Name: "master.key", Size: int64(len(key)), SHA256: sum(key)}))}}, "does not match the manifest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			archive := filepath.Join(dir, "b.tar.gz")
			var buf bytes.Buffer
			gz := gzip.NewWriter(&buf)
			tw := tar.NewWriter(gz)
			for _, e := range tt.entries {
				if err := tw.WriteHeader(&tar.Header{Name: e[0], Mode: 0o600, Size: int64(len(e[1])), Typeflag: tar.TypeReg}); err != nil {
					t.Fatal(err)
				}
				if _, err := tw.Write([]byte(e[1])); err != nil {
					t.Fatal(err)
				}
			}
			if err := errors.Join(tw.Close(), gz.Close(), os.WriteFile(archive, buf.Bytes(), 0o600)); err != nil {
				t.Fatal(err)
			}
			restored := filepath.Join(dir, "restored")
			err := run(context.Background(), []string{"interlude", "restore", "--in", archive, "--data", restored}, noEnv, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("restore: %v, want %q", err, tt.want)
			}
			left, _ := os.ReadDir(dir)
			if len(left) != 1 {
				t.Errorf("restore left files behind: %v", left)
			}
		})
	}
}

// TestBackupWithoutMasterKey (#17): --without-master-key leaves the
// master key out of the archive, and restore says where to put it back.
func TestBackupWithoutMasterKey(t *testing.T) {
	t.Parallel()
	storetest.Need(t, "sqlite")
	data := t.TempDir()
	s := startServe(t, "--data", data)
	s.waitHealthy(t)
	s.stop(t)
	archive := filepath.Join(t.TempDir(), "backup.tar.gz")
	var out strings.Builder
	if err := run(context.Background(), []string{"interlude", "backup", "--without-master-key", "--out", archive, "--data", data}, noEnv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "does not hold the master key") {
		t.Errorf("backup said: %s", out.String())
	}
	restored := filepath.Join(t.TempDir(), "restored")
	out.Reset()
	if err := run(context.Background(), []string{"interlude", "restore", "--in", archive, "--data", restored}, noEnv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(restored, "master.key")); err == nil || !strings.Contains(out.String(), "put the key file kept apart at "+filepath.Join(restored, "master.key")) {
		t.Errorf("restore without the master key: stat %v; said: %s", err, out.String())
	}
	if got, err := auditRun(t, "verify", "--data", restored); err != nil || !strings.Contains(got, "intact") {
		t.Errorf("audit verify of the restored folder: %v %s", err, got)
	}

	// A whole backup restored with the master key kept elsewhere: the key
	// goes there, and never over a file.
	whole := filepath.Join(t.TempDir(), "whole.tar.gz")
	if err := run(context.Background(), []string{"interlude", "backup", "--out", whole, "--data", data}, noEnv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "keys", "master.key")
	if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
		t.Fatal(err)
	}
	apart := filepath.Join(t.TempDir(), "apart")
	restoreApart := []string{"interlude", "restore", "--in", whole, "--data", apart, "--master-key-file", keyFile}
	if err := run(context.Background(), restoreApart, noEnv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(data, "master.key"))
	got, err := os.ReadFile(keyFile)
	if info, serr := os.Stat(keyFile); err != nil || serr != nil || !bytes.Equal(got, want) || info.Mode().Perm() != 0o600 {
		t.Errorf("the master key restored to --master-key-file: %v %v, or it differs, or its mode is not 0600", err, serr)
	}
	if _, err := os.Stat(filepath.Join(apart, "master.key")); err == nil {
		t.Errorf("the master key was restored into the data folder too")
	}
	again := filepath.Join(t.TempDir(), "again")
	restoreApart[5] = again
	if err := run(context.Background(), restoreApart, noEnv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "never overwrites") {
		t.Errorf("a restore over an existing master key file: %v, want a refusal", err)
	}
}
