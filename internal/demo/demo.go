// Package demo fills an empty database with a demo clinic, so that a new
// user can run one command and click around. Every issue that adds to the
// data model adds its share of demo data here.
package demo

import (
	"context"
	"fmt"

	"interlude/internal/care"
	"interlude/internal/store"
)

// Login is one demo account, printed for the person trying Interlude.
type Login struct {
	Role        care.Role
	DisplayName string
	Email       string
}

// Clinic is what Seed created.
type Clinic struct {
	Clinic care.Clinic
	Logins []Login
}

// Seed creates the demo clinic when the database has no clinic at all, and
// returns nil, nil when it already has one: the demo never touches real data.
func Seed(ctx context.Context, s *store.Store) (*Clinic, error) {
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
	people := []care.User{
		{Role: care.RoleAdmin, Email: "admin@demo.interlude.test", DisplayName: "Avery Admin", TimeZone: "America/Chicago"},
		{Role: care.RoleProvider, Email: "provider@demo.interlude.test", DisplayName: "Dr. Dana Rivera", TimeZone: "America/Chicago"},
		{Role: care.RoleClient, Email: "sam@demo.interlude.test", DisplayName: "Sam Client", TimeZone: "America/Chicago"},
		{Role: care.RoleClient, Email: "alex@demo.interlude.test", DisplayName: "Alex Client", TimeZone: "America/New_York"},
	}
	for _, u := range people {
		u.ClinicID = out.Clinic.ID
		if err := s.CreateUser(ctx, &u); err != nil {
			return nil, fmt.Errorf("demo user: %w", err)
		}
		out.Logins = append(out.Logins, Login{Role: u.Role, DisplayName: u.DisplayName, Email: u.Email})
	}
	return out, nil
}
