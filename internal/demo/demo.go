// Package demo fills an empty database with a demo clinic, so that a new
// user can run one command and click around. Every issue that adds to the
// data model adds its share of demo data here.
package demo

import (
	"context"
	"fmt"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
)

// Login is one demo account, printed for the person trying Interlude.
type Login struct {
	Role        care.Role
	DisplayName string
	Email       string
	Password    string
	TOTPSecret  string // base32, for an authenticator app; "" for clients
}

// Clinic is what Seed created.
type Clinic struct {
	Clinic care.Clinic
	Logins []Login
	admin  care.Actor
}

// Seed creates the demo clinic when the database has no clinic at all, and
// returns nil, nil when it already has one: the demo never touches real data.
// Passwords are hashed with params. The demo's passwords and authenticator
// secrets are printed for anyone to see: it is a demo, never real data.
func Seed(ctx context.Context, s *store.Store, params auth.Params) (*Clinic, error) {
	clinics, err := s.Clinics(ctx)
	if err != nil {
		return nil, err
	}
	if len(clinics) > 0 {
		return nil, nil
	}
	out := &Clinic{Clinic: care.Clinic{Name: "Riverbend Counseling (demo)"}}
	if err := s.CreateClinic(ctx, &out.Clinic); err != nil {
		return nil, fmt.Errorf("demo clinic: %w", err)
	}
	if _, err := s.SeedTrackerLibrary(ctx, out.Clinic.ID); err != nil {
		return nil, fmt.Errorf("demo tracker library: %w", err)
	}
	people := []struct {
		user     care.User
		password string
	}{
		{care.User{Role: care.RoleAdmin, Email: "admin@demo.interlude.test", DisplayName: "Avery Admin", TimeZone: "America/Chicago"}, "demo-admin-lantern"},
		{care.User{Role: care.RoleProvider, Email: "provider@demo.interlude.test", DisplayName: "Dr. Dana Rivera", TimeZone: "America/Chicago"}, "demo-provider-harbor"},
		{care.User{Role: care.RoleClient, Email: "sam@demo.interlude.test", DisplayName: "Sam Okafor", TimeZone: "America/Chicago"}, "sam-demo-journal-river"},
		{care.User{Role: care.RoleClient, Email: "alex@demo.interlude.test", DisplayName: "Alex Chen", TimeZone: "America/New_York"}, "alex-demo-journal-meadow"},
	}
	var provider care.User
	for _, p := range people {
		u := p.user
		if err := out.addUser(ctx, s, params, &u, p.password); err != nil {
			return nil, err
		}
		switch u.Role {
		case care.RoleAdmin:
			out.admin = care.Actor{UserID: u.ID, ClinicID: u.ClinicID, Role: u.Role}
		case care.RoleProvider:
			provider = u
		case care.RoleClient:
			if err := s.AddToCareTeam(ctx, out.admin, u.ID, provider.ID); err != nil {
				return nil, err
			}
		}
	}
	// A flag nobody acknowledges escalates after this long (Alex's, raised
	// by seedMeasures, included).
	if err := s.SetSafetySettings(ctx, out.admin, care.SafetySettings{EscalationMinutes: demoEscalationMinutes}); err != nil {
		return nil, fmt.Errorf("demo safety settings: %w", err)
	}
	if err := seedCare(ctx, s, out.admin); err != nil {
		return nil, fmt.Errorf("demo plans, sessions and tasks: %w", err)
	}
	if err := seedMeasures(ctx, s, out.admin); err != nil {
		return nil, fmt.Errorf("demo measures: %w", err)
	}
	// Keep this last: entries link to the goals of the plans seeded above.
	if err := seedJournals(ctx, s, out.admin); err != nil {
		return nil, fmt.Errorf("demo journal: %w", err)
	}
	if err := seedBoundaries(ctx, s, out.admin); err != nil {
		return nil, fmt.Errorf("demo crisis line: %w", err)
	}
	if err := seedCaseload(ctx, s, out.admin, care.Actor{UserID: provider.ID, ClinicID: provider.ClinicID, Role: provider.Role, Name: provider.DisplayName, TimeZone: provider.TimeZone}); err != nil {
		return nil, fmt.Errorf("demo caseload: %w", err)
	}
	if err := seedBrief(ctx, s, out.admin, care.Actor{UserID: provider.ID, ClinicID: provider.ClinicID, Role: provider.Role, Name: provider.DisplayName, TimeZone: provider.TimeZone}); err != nil {
		return nil, fmt.Errorf("demo brief: %w", err)
	}
	// Last, so that the seeding above knows one provider: the clinic's
	// on-call provider, on nobody's care team, to whom Alex's flag
	// escalates if nobody acknowledges it within demoEscalationMinutes.
	// Like the caseload-only clients, they have no login (API.md: the
	// demo's logins are an admin, a provider and two clients); the admin's
	// safety settings and the flag's escalation name them.
	onCall := care.User{ClinicID: out.Clinic.ID, Role: care.RoleProvider, Email: OnCallEmail, DisplayName: "Dr. Priya Shah", TimeZone: "America/Chicago"}
	if err := s.CreateUser(ctx, &onCall); err != nil {
		return nil, fmt.Errorf("demo on-call provider: %w", err)
	}
	if err := s.SetSafetySettings(ctx, out.admin, care.SafetySettings{EscalationMinutes: demoEscalationMinutes, OnCallProviderID: onCall.ID}); err != nil {
		return nil, fmt.Errorf("demo on-call provider: %w", err)
	}
	// The clinic's own line beside the national ones (issue #16), with its
	// hours; 555-01xx numbers are reserved for fiction.
	if err := s.SetClinicResources(ctx, out.admin, []care.ClinicResource{{Name: "Harbor Light after-hours line",
		Phone: "+15550100199", Hours: "weekdays 17–22, weekends 10–18", Language: "en"}}); err != nil {
		return nil, fmt.Errorf("demo crisis resource: %w", err)
	}
	// Last of all, after every seeded message (seedOfficeHours).
	if err := seedOfficeHours(ctx, s, care.Actor{UserID: provider.ID, ClinicID: provider.ClinicID, Role: provider.Role}); err != nil {
		return nil, fmt.Errorf("demo office hours: %w", err)
	}
	return out, nil
}

// OnCallEmail is the demo's on-call provider's email.
const OnCallEmail = "oncall@demo.interlude.test"

// demoEscalationMinutes is the demo clinic's escalation time: short, so
// that a visitor sees a flag escalate.
const demoEscalationMinutes = 15

// addUser creates u in the demo clinic with password, and for staff a
// confirmed authenticator secret, and adds its login to out.Logins.
func (out *Clinic) addUser(ctx context.Context, s *store.Store, params auth.Params, u *care.User, password string) error {
	u.ClinicID = out.Clinic.ID
	if err := s.CreateUser(ctx, u); err != nil {
		return fmt.Errorf("demo user: %w", err)
	}
	hash, err := auth.HashPassword(params, password)
	if err != nil {
		return err
	}
	if err := s.SetPasswordHash(ctx, u.ID, hash); err != nil {
		return err
	}
	login := Login{Role: u.Role, DisplayName: u.DisplayName, Email: u.Email, Password: password}
	if u.Role.Staff() {
		// Staff must use a second factor; the demo prints the secret so
		// that it can be typed into an authenticator app.
		secret := auth.NewTOTPSecret()
		actor := care.Actor{UserID: u.ID, ClinicID: u.ClinicID, Role: u.Role}
		if err := s.SetTOTP(ctx, actor, secret); err != nil {
			return err
		}
		if err := s.ConfirmTOTP(ctx, u.ID); err != nil {
			return err
		}
		login.TOTPSecret = auth.EncodeSecret(secret)
	}
	out.Logins = append(out.Logins, login)
	return nil
}
