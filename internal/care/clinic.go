package care

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Clinic is the tenant: every row of clinical data belongs to exactly one.
type Clinic struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// Validate checks the clinic's fields.
func (c *Clinic) Validate() error {
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" {
		return FieldError("name", "is required")
	}
	if utf8.RuneCountInString(c.Name) > 200 {
		return FieldError("name", "must be at most 200 characters")
	}
	return nil
}

// Role is what a user is in their clinic.
type Role string

// The roles of SPEC.md.
const (
	RoleClient   Role = "client"
	RoleProvider Role = "provider"
	RoleAdmin    Role = "admin"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	return r == RoleClient || r == RoleProvider || r == RoleAdmin
}

// Staff reports whether r is a clinic staff role (MFA required).
func (r Role) Staff() bool { return r == RoleProvider || r == RoleAdmin }

// User is a person with an account in one clinic.
type User struct {
	ID          string
	ClinicID    string
	Role        Role
	Email       string
	DisplayName string
	TimeZone    string // IANA name, e.g. "America/Chicago"
	CreatedAt   time.Time
}

// Validate checks the user's fields and normalizes the email.
func (u *User) Validate() error {
	if !u.Role.Valid() {
		return FieldError("role", "must be client, provider or admin")
	}
	addr, err := mail.ParseAddress(u.Email)
	if err != nil || addr.Address != strings.TrimSpace(u.Email) || len(u.Email) > 254 {
		return FieldError("email", "must be a plain email address")
	}
	u.Email = strings.ToLower(addr.Address)
	u.DisplayName = strings.TrimSpace(u.DisplayName)
	if utf8.RuneCountInString(u.DisplayName) > 200 {
		return FieldError("display_name", "must be at most 200 characters")
	}
	if u.TimeZone == "" {
		u.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(u.TimeZone); err != nil {
		return FieldError("time_zone", "must be an IANA time zone name")
	}
	return nil
}
