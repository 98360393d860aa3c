package store_test

import (
	"context"
	"errors"
	"testing"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

func TestClinicsAndUsers(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		s := db.Store
		c := &care.Clinic{Name: "  Riverbend Counseling "}
		if err := s.CreateClinic(ctx, c); err != nil {
			t.Fatal(err)
		}
		if !care.ValidID(c.ID) {
			t.Fatalf("clinic id %q is not a valid id", c.ID)
		}
		got, err := s.Clinic(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Riverbend Counseling" || !got.CreatedAt.Equal(c.CreatedAt) {
			t.Errorf("got %+v, want name trimmed and created_at %v", got, c.CreatedAt)
		}

		u := &care.User{ClinicID: c.ID, Role: care.RoleProvider, Email: "Dana@Example.org", DisplayName: "Dana", TimeZone: "America/Chicago"}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		gu, err := s.User(ctx, c.ID, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if gu.Email != "dana@example.org" || gu.Role != care.RoleProvider || gu.TimeZone != "America/Chicago" {
			t.Errorf("got %+v", gu)
		}

		// Another clinic cannot see the user: not found, as for a missing id.
		other := &care.Clinic{Name: "Elsewhere"}
		if err := s.CreateClinic(ctx, other); err != nil {
			t.Fatal(err)
		}
		if _, err := s.User(ctx, other.ID, u.ID); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("user from another clinic: got %v, want not found", err)
		}
		if _, err := s.Clinic(ctx, care.NewID()); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("missing clinic: got %v, want not found", err)
		}

		// Emails are unique across clinics, whatever their case.
		dup := &care.User{ClinicID: other.ID, Role: care.RoleClient, Email: "DANA@example.org"}
		if err := s.CreateUser(ctx, dup); care.ErrorCode(err) != care.Invalid {
			t.Errorf("duplicate email: got %v, want invalid", err)
		}
		counts, err := s.CountUsers(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if counts[care.RoleProvider] != 1 || counts[care.RoleClient] != 0 {
			t.Errorf("counts = %v", counts)
		}
	})
}

func TestUserValidation(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := &care.Clinic{Name: "Clinic"}
		if err := db.Store.CreateClinic(ctx, c); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name  string
			user  care.User
			field string
		}{
			{"bad role", care.User{Role: "root", Email: "a@example.org"}, "role"},
			{"bad email", care.User{Role: care.RoleClient, Email: "not an email"}, "email"},
			{"named email", care.User{Role: care.RoleClient, Email: "Ann <a@example.org>"}, "email"},
			{"bad zone", care.User{Role: care.RoleClient, Email: "a@example.org", TimeZone: "Mars/Olympus"}, "time_zone"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				u := tc.user
				u.ClinicID = c.ID
				err := db.Store.CreateUser(ctx, &u)
				var e *care.Error
				if !errors.As(err, &e) || e.Field != tc.field {
					t.Fatalf("got %v, want an error on field %q", err, tc.field)
				}
			})
		}
		if counts, _ := db.Store.CountUsers(ctx, c.ID); len(counts) != 0 {
			t.Errorf("invalid users were stored: %v", counts)
		}
	})
}
