package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
)

// clinic manages clinics: "interlude clinic create" makes a clinic and the
// one-time invitation of its first admin (AC-01: no default accounts).
func clinic(ctx context.Context, e *env, args []string) (err error) {
	if len(args) == 0 || args[0] != "create" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			_, err := fmt.Fprintln(e.stdout, "Usage: interlude clinic create --name NAME --admin-email EMAIL [flags]")
			return err
		}
		return errors.New("clinic: say 'interlude clinic create --name NAME --admin-email EMAIL'")
	}
	fs := flag.NewFlagSet("clinic create", flag.ContinueOnError)
	name := fs.String("name", "", "the clinic's name")
	email := fs.String("admin-email", "", "the email of the clinic's first admin")
	adminName := fs.String("admin-name", "", "the first admin's name (default: the email's local part)")
	baseURL := fs.String("base-url", envOr(e, "INTERLUDE_BASE_URL", "http://127.0.0.1:8080"), "the address users reach Interlude at (env INTERLUDE_BASE_URL)")
	var db dbFlags
	db.register(fs, e)
	if err := parseFlags(fs, e, args[1:]); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" || strings.TrimSpace(*email) == "" {
		return errors.New("clinic create: --name and --admin-email are required")
	}
	if *adminName == "" {
		*adminName, _, _ = strings.Cut(*email, "@")
	}
	st, eng, _, err := db.openStore(ctx, e)
	if err != nil {
		return err
	}
	defer closeJoined(&err, eng)

	c := &care.Clinic{Name: *name}
	inv := &care.Invitation{Role: care.RoleAdmin, Email: *email, DisplayName: *adminName}
	if err := inv.Validate(); err != nil {
		return fmt.Errorf("clinic create: %v", userMessage(err))
	}
	if err := st.CreateClinic(ctx, c); err != nil {
		return fmt.Errorf("clinic create: %v", userMessage(err))
	}
	if _, err := st.SeedTrackerLibrary(ctx, c.ID); err != nil {
		return fmt.Errorf("clinic create: the tracker library: %v", userMessage(err))
	}
	inv.ClinicID = c.ID
	token, hash := auth.NewInvitationToken()
	lifetime := care.DefaultInvitationLifetime().For(care.RoleAdmin)
	if err := st.CreateInvitation(ctx, care.Actor{}, inv, hash, lifetime); err != nil {
		return fmt.Errorf("clinic create: %v", userMessage(err))
	}
	// The link is shown once and only here: if it cannot be written, the
	// command fails (the invitation can be sent again from the clinic).
	_, err = fmt.Fprintf(e.stdout, "Created clinic %q (id %s).\nSend this one-time link to the clinic's first admin; it expires %s:\n%s/invite/%s\n",
		c.Name, c.ID, inv.ExpiresAt.Format(time.RFC3339), strings.TrimSuffix(*baseURL, "/"), token)
	return err
}

// userMessage renders a domain error for the command line: field and
// message, without the code.
func userMessage(err error) string {
	var e *care.Error
	if errors.As(err, &e) {
		switch e.Field {
		case "":
		case "email":
			return "--admin-email " + e.Message
		case "display_name":
			return "--admin-name " + e.Message
		default:
			return "--" + strings.ReplaceAll(strings.TrimPrefix(e.Field, "_"), "_", "-") + " " + e.Message
		}
		return e.Message
	}
	return err.Error()
}
