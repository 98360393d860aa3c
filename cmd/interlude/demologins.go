package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/demo"
	"interlude/internal/store"
)

// demoLoginsFile is where, in the data folder, `serve --demo` keeps the
// logins of the demo clinic it created, so that a later `serve --demo`
// on the same database prints them again (issue #18). It is written only
// when the demo clinic is created, never for a real clinic, and only its
// owner may read it (0600): it holds the demo's passwords and
// authenticator secrets, which serve prints for anyone to see anyway.
const demoLoginsFile = "demo-logins.json"

// keptDemo is the content of demoLoginsFile.
type keptDemo struct {
	ClinicID   string      `json:"clinic_id"`
	ClinicName string      `json:"clinic_name"`
	Logins     []keptLogin `json:"logins"`
}

type keptLogin struct {
	Role        care.Role `json:"role"`
	DisplayName string    `json:"display_name"`
	Email       string    `json:"email"`
	Password    string    `json:"password"`
	TOTPSecret  string    `json:"totp_secret,omitempty"`
}

// saveDemoLogins writes d's logins to demoLoginsFile in dir, whole or not
// at all: a temporary file, created 0600, renamed into place.
func saveDemoLogins(dir string, d *demo.Clinic) (err error) {
	k := keptDemo{ClinicID: d.Clinic.ID, ClinicName: d.Clinic.Name, Logins: []keptLogin{}}
	for _, l := range d.Logins {
		k.Logins = append(k.Logins, keptLogin(l))
	}
	b, err := json.MarshalIndent(k, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".demo-logins-*")
	if err != nil {
		return fmt.Errorf("demo logins: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(fmt.Errorf("demo logins: %w", err), os.Remove(f.Name()))
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return errors.Join(err, f.Close())
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		return errors.Join(err, f.Close())
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(dir, demoLoginsFile))
}

// keptDemoLogins returns the demo clinic with the logins kept in
// demoLoginsFile in dir when the database holds that very clinic; nil
// when there is no such file or it names a clinic the database does not
// hold (a data folder used with another database).
func keptDemoLogins(ctx context.Context, st *store.Store, dir string) (*demo.Clinic, error) {
	b, err := os.ReadFile(filepath.Join(dir, demoLoginsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("demo logins: %w", err)
	}
	var k keptDemo
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("demo logins: %s: %w", filepath.Join(dir, demoLoginsFile), err)
	}
	clinics, err := st.Clinics(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range clinics {
		if c.ID == k.ClinicID && k.ClinicID != "" {
			d := &demo.Clinic{Clinic: c}
			for _, l := range k.Logins {
				d.Logins = append(d.Logins, demo.Login(l))
			}
			return d, nil
		}
	}
	return nil, nil
}

// printDemo prints the demo clinic's logins: just created, or kept from
// when they were (keptIn names the file). They are shown only here, so
// serve fails if they cannot be written.
func printDemo(w io.Writer, d *demo.Clinic, keptIn string) error {
	var b strings.Builder
	if keptIn == "" {
		fmt.Fprintf(&b, "Created the demo clinic %q. Sign in as:\n", d.Clinic.Name)
	} else {
		fmt.Fprintf(&b, "The database already holds the demo clinic %q; no demo data was added. Sign in as before\n"+
			"(the logins as the demo created them, kept in %s; a password or authenticator changed since is not shown):\n", d.Clinic.Name, keptIn)
	}
	for _, l := range d.Logins {
		fmt.Fprintf(&b, "  %-9s %-18s %-30s password %s\n", l.Role, l.DisplayName, l.Email, l.Password)
		if l.TOTPSecret != "" {
			fmt.Fprintf(&b, "  %-9s %-18s authenticator secret %s (add it to an authenticator app)\n", "", "", l.TOTPSecret)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// printNoDemo says that the database holds a clinic whose demo logins
// serve does not have, and the exact command that starts a fresh demo
// beside it, leaving this database as it is.
func printNoDemo(w io.Writer, db *dbFlags) error {
	var b strings.Builder
	fmt.Fprintf(&b, "The database already holds a clinic; no demo data was added, and no demo logins are kept for it (%s).\n",
		filepath.Join(db.data, demoLoginsFile))
	if db.databaseURL == "" {
		b.WriteString("To start a fresh demo, leaving this one as it is, run Interlude on a new, empty data folder:\n" +
			"  interlude serve --demo --data \"$(mktemp -d)\"\n")
	} else {
		b.WriteString("To start a fresh demo, leaving this one as it is, run Interlude on a new, empty PostgreSQL database and data folder:\n" +
			"  createdb interlude_demo && interlude serve --demo --database-url postgres:///interlude_demo --data \"$(mktemp -d)\"\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// serveDemo creates the demo clinic on an empty database and prints its
// logins, keeping them in the data folder; on a database that holds a
// clinic already, it prints the kept logins again, or how to start afresh.
func serveDemo(ctx context.Context, e *env, st *store.Store, db *dbFlags) error {
	d, err := demo.Seed(ctx, st, auth.DefaultParams())
	if err != nil {
		return err
	}
	if d != nil {
		if err := printDemo(e.stdout, d, ""); err != nil {
			return err
		}
		if err := saveDemoLogins(db.data, d); err != nil {
			//nolint:errcheck // a notice: the logins were printed; a later start says how to start afresh
			fmt.Fprintf(e.stderr, "interlude: the demo logins could not be kept, so a later start cannot print them again: %v\n", err)
		}
		return nil
	}
	kept, err := keptDemoLogins(ctx, st, db.data)
	if err != nil {
		return err
	}
	if kept == nil {
		return printNoDemo(e.stdout, db)
	}
	return printDemo(e.stdout, kept, filepath.Join(db.data, demoLoginsFile))
}
