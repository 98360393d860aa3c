package storetest

import (
	"context"
	"strings"
	"testing"

	"interlude/internal/care"
	"interlude/internal/store"
)

// Clinic is a small clinic for tests: an admin, two providers, and two
// clients, each on one provider's care team.
type Clinic struct {
	Clinic        care.Clinic
	Admin         care.User
	Provider      care.User // Client's provider
	OtherProvider care.User // OtherClient's provider
	Client        care.User
	OtherClient   care.User
}

// SeedClinic creates a Clinic named name. Emails are made unique from the
// name, so several clinics can live in one database.
func SeedClinic(t testing.TB, s *store.Store, name string) *Clinic {
	t.Helper()
	ctx := context.Background()
	c := &Clinic{Clinic: care.Clinic{Name: name}}
	if err := s.CreateClinic(ctx, &c.Clinic); err != nil {
		t.Fatal(err)
	}
	slug := strings.ToLower(strings.NewReplacer(" ", "-").Replace(name))
	for _, p := range []struct {
		u    *care.User
		role care.Role
		who  string
	}{
		{&c.Admin, care.RoleAdmin, "admin"},
		{&c.Provider, care.RoleProvider, "provider"},
		{&c.OtherProvider, care.RoleProvider, "other-provider"},
		{&c.Client, care.RoleClient, "client"},
		{&c.OtherClient, care.RoleClient, "other-client"},
	} {
		*p.u = care.User{ClinicID: c.Clinic.ID, Role: p.role, Email: p.who + "@" + slug + ".test", DisplayName: p.who}
		if err := s.CreateUser(ctx, p.u); err != nil {
			t.Fatal(err)
		}
	}
	admin := c.Actor(c.Admin)
	if err := s.AddToCareTeam(ctx, admin, c.Client.ID, c.Provider.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.AddToCareTeam(ctx, admin, c.OtherClient.ID, c.OtherProvider.ID); err != nil {
		t.Fatal(err)
	}
	return c
}

// Actor returns u as an actor without a session.
func (c *Clinic) Actor(u care.User) care.Actor {
	return care.Actor{UserID: u.ID, ClinicID: u.ClinicID, Role: u.Role}
}

// Staff returns the clinic's admin and providers.
func (c *Clinic) Staff() []care.User { return []care.User{c.Admin, c.Provider, c.OtherProvider} }
