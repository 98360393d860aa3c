package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"interlude/internal/store/sqlite"
)

// A backup (#17) is one gzipped tar file: the SQLite database as of one
// commit (a VACUUM INTO snapshot, taken while Interlude serves) and every
// key file a restore needs, which serve would otherwise silently make
// anew: the master key file, the Web Push key (a new one ends every push
// subscription), the audit signing key and its verifier key (a new one
// signs checkpoints the kept verifier key rejects), and the signed
// checkpoints. Its last entry is a manifest with each file's SHA-256. On
// PostgreSQL the database is backed up with pg_dump; the archive then
// carries the files only.

// backupManifestName is the archive's last entry.
const backupManifestName = "interlude-backup.json"

// backupManifest describes a backup archive.
type backupManifest struct {
	Format  int       `json:"format"` // 1
	Engine  string    `json:"engine"` // sqlite: the database is in the archive; postgres: it is not
	Created time.Time `json:"created"`
	// NoMasterKey marks a backup made with --without-master-key: the
	// master key file is kept, and restored, apart.
	NoMasterKey bool         `json:"no_master_key,omitempty"`
	Files       []backupFile `json:"files"`
}

type backupFile struct {
	Name   string `json:"name"` // in the archive, and under --data after a restore
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Names in a backup archive. A restore takes these and no other.
const (
	backupDB        = "interlude.db"
	backupMasterKey = "master.key"
	backupVAPIDKey  = "vapid.key"
	backupSigning   = "audit-signing.key"
	backupVerifier  = "audit-verifier.key"
)

var backupCheckpoint = regexp.MustCompile(`^audit-checkpoints/[0-9]{1,20}\.note$`)

// backupMode is the mode a file of the archive is restored with: secret
// files owner-only, the public verifier key and checkpoints readable.
func backupMode(name string) (fs.FileMode, bool) {
	switch {
	case name == backupDB, name == backupMasterKey, name == backupVAPIDKey, name == backupSigning:
		return 0o600, true
	case name == backupVerifier, backupCheckpoint.MatchString(name):
		return 0o644, true
	}
	return 0, false
}

// backupSources are the files a backup takes, by name, from where this
// configuration keeps them.
func backupSources(db *dbFlags, vapidKeyFile string) map[string]string {
	vapid := vapidKeyFile
	if vapid == "" {
		vapid = filepath.Join(db.data, "vapid.key")
	}
	return map[string]string{
		backupMasterKey: db.keyringPath(),
		backupVAPIDKey:  vapid,
		backupSigning:   filepath.Join(db.data, backupSigning),
		backupVerifier:  filepath.Join(db.data, backupVerifier),
	}
}

// backupCmd is "interlude backup --out FILE".
func backupCmd(ctx context.Context, e *env, args []string) (err error) {
	fset := flag.NewFlagSet("backup", flag.ContinueOnError)
	out := fset.String("out", "", "the backup file to write; it must not exist (mode 0600)")
	withoutMaster := fset.Bool("without-master-key", false, "leave the master key file out, for a backup stored where the key must not be; the restore then needs the key file put back apart")
	vapidKeyFile := fset.String("vapid-key-file", envOr(e, "INTERLUDE_VAPID_KEY_FILE", ""), "the Web Push key file, if serve is given one (env INTERLUDE_VAPID_KEY_FILE; default DATA/vapid.key)")
	var db dbFlags
	db.register(fset, e)
	if err := parseFlags(fset, e, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("backup: --out FILE is required")
	}
	if _, err := os.Lstat(*out); err == nil {
		return fmt.Errorf("backup: %s exists; give a new file", *out)
	}
	if _, err := os.Stat(db.keyringPath()); err != nil {
		return fmt.Errorf("backup: the master key file: %w", err)
	}
	engine := "sqlite"
	if db.databaseURL != "" {
		engine = "postgres"
	} else if _, err := os.Stat(filepath.Join(db.data, backupDB)); err != nil {
		return fmt.Errorf("backup: no database under %s: %w", db.data, err)
	}

	// The archive is written beside --out and linked to its name once
	// complete, so --out is never a partial backup, nor an overwritten file.
	dir := filepath.Dir(*out)
	tmp, err := os.CreateTemp(dir, ".interlude-backup-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	closed := false
	defer func() {
		if !closed {
			err = errors.Join(err, tmp.Close())
		}
		err = errors.Join(err, os.Remove(tmp.Name())) // linked to --out, or a failed attempt
	}()
	staging, err := os.MkdirTemp(dir, ".interlude-backup-db-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer func() { err = errors.Join(err, os.RemoveAll(staging)) }()

	gz := gzip.NewWriter(tmp)
	tw := tar.NewWriter(gz)
	man := backupManifest{Format: 1, Engine: engine, Created: time.Now().UTC(), NoMasterKey: *withoutMaster}
	add := func(name, path string) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close() //nolint:errcheck // only read
		info, err := f.Stat()
		if err != nil {
			return err
		}
		mode, _ := backupMode(name)
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: int64(mode), Size: info.Size(), ModTime: info.ModTime(), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		h := sha256.New()
		if _, err := io.CopyN(io.MultiWriter(tw, h), f, info.Size()); err != nil {
			return fmt.Errorf("%s changed while it was copied: %w", name, err)
		}
		man.Files = append(man.Files, backupFile{Name: name, Size: info.Size(), SHA256: hex.EncodeToString(h.Sum(nil))})
		return nil
	}

	// Keys and checkpoints first, the database after: every checkpoint
	// copied then signs a chain the snapshot contains, so the restored
	// log verifies against each.
	sources := backupSources(&db, *vapidKeyFile)
	for _, name := range []string{backupMasterKey, backupVAPIDKey, backupSigning, backupVerifier} {
		if name == backupMasterKey && *withoutMaster {
			continue
		}
		err := add(name, sources[name])
		if errors.Is(err, fs.ErrNotExist) && name != backupMasterKey {
			continue // not made yet (Web Push off, serve never ran here)
		}
		if err != nil {
			return fmt.Errorf("backup: %s: %w", name, err)
		}
	}
	notes, err := filepath.Glob(filepath.Join(db.data, "audit-checkpoints", "*.note"))
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	sort.Strings(notes)
	for _, p := range notes {
		name := "audit-checkpoints/" + filepath.Base(p)
		if !backupCheckpoint.MatchString(name) {
			continue
		}
		if err := add(name, p); err != nil {
			return fmt.Errorf("backup: %s: %w", name, err)
		}
	}
	if engine == "sqlite" {
		snap := filepath.Join(staging, backupDB)
		if err := snapshotSQLite(ctx, filepath.Join(db.data, backupDB), snap); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		if err := add(backupDB, snap); err != nil {
			return fmt.Errorf("backup: the database snapshot: %w", err)
		}
	}
	b, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: backupManifestName, Mode: 0o600, Size: int64(len(b)), ModTime: man.Created, Typeflag: tar.TypeReg}); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := tw.Write(b); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	closed = true
	if err := errors.Join(tw.Close(), gz.Close(), tmp.Sync(), tmp.Close()); err != nil {
		return fmt.Errorf("backup: writing %s: %w", *out, err)
	}
	if err := os.Link(tmp.Name(), *out); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := syncFolder(dir); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	keyFiles := len(man.Files) - len(notes)
	var msg strings.Builder
	fmt.Fprintf(&msg, "Wrote %s: ", *out)
	if engine == "sqlite" {
		msg.WriteString("the SQLite database as of one commit, ")
		keyFiles--
	} else {
		msg.WriteString("no database (back PostgreSQL up with pg_dump), ")
	}
	fmt.Fprintf(&msg, "%d key files and %d audit checkpoints. ", keyFiles, len(notes))
	if *withoutMaster {
		msg.WriteString("It does not hold the master key: keep a copy of that apart, a restore needs it.\n")
	} else {
		msg.WriteString("It holds the master key: keep it as secret as the records themselves.\n")
	}
	_, err = io.WriteString(e.stdout, msg.String())
	return err
}

// snapshotSQLite copies the database at path to snap as of one commit,
// while other processes write to it.
func snapshotSQLite(ctx context.Context, path, snap string) (err error) {
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	return db.Snapshot(ctx, snap)
}

// restoreCmd is "interlude restore --in FILE": the files of a backup into
// a new data folder (and the master key and Web Push key files where the
// flags put them), never over existing ones.
func restoreCmd(_ context.Context, e *env, args []string) (err error) {
	fset := flag.NewFlagSet("restore", flag.ContinueOnError)
	in := fset.String("in", "", "the backup file written by 'interlude backup'")
	vapidKeyFile := fset.String("vapid-key-file", envOr(e, "INTERLUDE_VAPID_KEY_FILE", ""), "where to put the Web Push key, if serve is given one (env INTERLUDE_VAPID_KEY_FILE; default DATA/vapid.key)")
	var db dbFlags
	db.register(fset, e)
	if err := parseFlags(fset, e, args); err != nil {
		return err
	}
	if *in == "" {
		return errors.New("restore: --in FILE is required")
	}
	switch entries, err := os.ReadDir(db.data); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("restore: %w", err)
	case len(entries) > 0:
		return fmt.Errorf("restore: %s is not empty; restore into a new folder (--data), never over an existing one", db.data)
	}
	for _, p := range []string{db.keyFile, *vapidKeyFile} {
		if _, err := os.Lstat(p); p != "" && err == nil {
			return fmt.Errorf("restore: %s exists; restore never overwrites a key file", p)
		}
	}
	parent := filepath.Dir(filepath.Clean(db.data))
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	staging, err := os.MkdirTemp(parent, ".interlude-restore-*")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, os.RemoveAll(staging))
		}
	}()
	man, err := extractBackup(*in, staging)
	if err != nil {
		return fmt.Errorf("restore: %s: %w", *in, err)
	}
	if man.Engine == "sqlite" && db.databaseURL != "" {
		return errors.New("restore: this backup holds a SQLite database; restore it without --database-url")
	}

	// Key files kept apart from the data folder go where the flags say.
	moves := map[string]string{backupMasterKey: db.keyFile, backupVAPIDKey: *vapidKeyFile}
	for name, to := range moves {
		from := filepath.Join(staging, name)
		if _, err := os.Stat(from); to == "" || errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := copyNew(from, to); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		if err := os.Remove(from); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	// An empty folder given as --data is replaced by the staged one.
	if err := os.Remove(db.data); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(staging, db.data); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := syncFolder(parent); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "Restored %d files of the backup of %s into %s.\n", len(man.Files), man.Created.Format(time.RFC3339), db.data)
	if man.Engine == "postgres" {
		msg.WriteString("The database is not in it: restore it with pg_restore from the pg_dump of the same time.\n")
	}
	if man.NoMasterKey {
		fmt.Fprintf(&msg, "The master key was left out of this backup: put the key file kept apart at %s (mode 0600) before starting Interlude.\n", db.keyringPath())
	}
	msg.WriteString("Then check it: interlude audit verify --checkpoint LATEST.note --verifier-key \"$(cat audit-verifier.key)\" with the newest checkpoint kept off the machine (docs/operations.md).\n")
	_, err = io.WriteString(e.stdout, msg.String())
	return err
}

// extractBackup writes the files of the archive at path into dir and
// checks them against its manifest: the names a backup holds and no
// other, each once, with its SHA-256.
func extractBackup(path, dir string) (*backupManifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // only read
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("not an Interlude backup: %w", err)
	}
	tr := tar.NewReader(gz)
	got := map[string]backupFile{}
	var man *backupManifest
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not an Interlude backup: %w", err)
		}
		if man != nil {
			return nil, errors.New("an entry follows the manifest")
		}
		if h.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("entry %q is not a file", h.Name)
		}
		if h.Name == backupManifestName {
			man = &backupManifest{}
			if err := json.NewDecoder(io.LimitReader(tr, 64<<20)).Decode(man); err != nil || man.Format != 1 {
				return nil, fmt.Errorf("the manifest is unreadable (%v)", err)
			}
			continue
		}
		mode, ok := backupMode(h.Name)
		if !ok {
			return nil, fmt.Errorf("entry %q is no file of an Interlude backup", h.Name)
		}
		if _, dup := got[h.Name]; dup {
			return nil, fmt.Errorf("entry %q appears twice", h.Name)
		}
		to := filepath.Join(dir, filepath.FromSlash(h.Name))
		if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
			return nil, err
		}
		w, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			return nil, err
		}
		hash := sha256.New()
		// As much as the header says, which the archive's manifest then
		// confirms; the archive is the operator's own, so no cap beyond it.
		n, err := io.CopyN(io.MultiWriter(w, hash), tr, h.Size)
		if err == nil {
			err = w.Sync()
		}
		if err := errors.Join(err, w.Close()); err != nil {
			return nil, err
		}
		got[h.Name] = backupFile{Name: h.Name, Size: n, SHA256: hex.EncodeToString(hash.Sum(nil))}
	}
	if man == nil {
		return nil, errors.New("the manifest is missing: the backup is incomplete")
	}
	if len(man.Files) != len(got) {
		return nil, fmt.Errorf("the manifest lists %d files, the archive holds %d", len(man.Files), len(got))
	}
	for _, want := range man.Files {
		if got[want.Name] != want {
			return nil, fmt.Errorf("%s does not match the manifest (damaged or changed)", want.Name)
		}
	}
	if _, ok := got[backupMasterKey]; ok == man.NoMasterKey {
		return nil, errors.New("the master key is missing, or there though the manifest says it was left out")
	}
	switch _, ok := got[backupDB]; {
	case man.Engine == "sqlite" && !ok:
		return nil, errors.New("a SQLite backup without its database")
	case man.Engine == "postgres" && ok:
		return nil, errors.New("a PostgreSQL backup with a SQLite database in it")
	case man.Engine != "sqlite" && man.Engine != "postgres":
		return nil, fmt.Errorf("unknown engine %q", man.Engine)
	}
	if err := syncFolder(dir); err != nil {
		return nil, err
	}
	if err := syncFolder(filepath.Join(dir, "audit-checkpoints")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return man, nil
}

// copyNew copies the file from to a new file to, mode 0600, durably; it
// fails if to exists. A copy, not a rename: the key files kept apart may
// be on another file system.
func copyNew(from, to string) (err error) {
	r, err := os.Open(from)
	if err != nil {
		return err
	}
	defer r.Close() //nolint:errcheck // only read
	w, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	if err == nil {
		err = w.Sync()
	}
	if err = errors.Join(err, w.Close()); err != nil {
		return errors.Join(err, os.Remove(to))
	}
	return syncFolder(filepath.Dir(to))
}

// syncFolder makes the entries of a folder durable.
func syncFolder(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
