package care

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Actor is who makes a request: a signed-in user, seen through one session.
// Every store method that touches a clinic's data takes the Actor and
// filters by it in its SQL.
type Actor struct {
	UserID    string
	ClinicID  string
	Role      Role
	SessionID string
	Name      string // the user's display name, for the page header
	TimeZone  string // the user's IANA time zone: times show in it
	Language  string // "en" or "es": the language the user reads Interlude in
}

// Invitation lets one person create an account with a given role in a
// clinic. Only a hash of its token is stored.
type Invitation struct {
	ID          string
	ClinicID    string
	Role        Role
	Email       string
	DisplayName string
	InvitedBy   string // "" when an operator created it on the command line
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// Validate checks the invitation's fields and normalizes the email.
func (inv *Invitation) Validate() error {
	u := User{Role: inv.Role, Email: inv.Email, DisplayName: inv.DisplayName}
	if err := u.Validate(); err != nil {
		return err
	}
	inv.Email, inv.DisplayName = u.Email, u.DisplayName
	if inv.DisplayName == "" {
		return FieldError("display_name", "is required")
	}
	return nil
}

// CanInvite reports whether actor may invite someone with the given role:
// admins invite staff, providers invite clients (who join their care team).
// Nobody else invites anyone.
func CanInvite(actor Actor, role Role) bool {
	switch actor.Role {
	case RoleAdmin:
		return role == RoleProvider || role == RoleAdmin
	case RoleProvider:
		return role == RoleClient
	}
	return false
}

// InvitationLifetime is how long an invitation stays valid, by the role it
// grants: staff links are short-lived, a client's lasts until they are home.
type InvitationLifetime struct {
	Staff  time.Duration
	Client time.Duration
}

// DefaultInvitationLifetime is 72 hours for staff and 14 days for clients.
func DefaultInvitationLifetime() InvitationLifetime {
	return InvitationLifetime{Staff: 72 * time.Hour, Client: 14 * 24 * time.Hour}
}

// For returns the lifetime of an invitation to role.
func (l InvitationLifetime) For(role Role) time.Duration {
	if role.Staff() {
		return l.Staff
	}
	return l.Client
}

// Credentials are what signing in checks of a user. They never leave the
// server.
type Credentials struct {
	User          User
	PasswordHash  string
	TOTPSecret    []byte // nil when no authenticator app is set up
	TOTPConfirmed bool   // the user has proved the app works
	TOTPLastStep  int64
	Passkeys      int
	Disabled      bool
}

// HasMFA reports whether signing in needs a second factor.
func (c *Credentials) HasMFA() bool {
	return (c.TOTPSecret != nil && c.TOTPConfirmed) || c.Passkeys > 0
}

// MFARequired reports whether the user's role requires a second factor
// (AU-01): staff always, clients only when they chose one.
func (c *Credentials) MFARequired() bool { return c.User.Role.Staff() || c.HasMFA() }

// Session is one signed-in device.
type Session struct {
	ID         string
	UserID     string
	ClinicID   string
	Kind       string // "web" (cookie) or "api" (bearer)
	Stage      string // "mfa" while a second factor is outstanding, then "full"
	CreatedAt  time.Time
	LastSeenAt time.Time
	AuthAt     time.Time
	MFA        bool
	Device     string
	Current    bool // set when listing: the session of the request
}

// StepUpWindow is how recently a session must have proved its password
// (and second factor) for a sensitive change: a new second factor or
// passkey, new recovery codes, a new password or email, break-glass
// (issue #17, AU-11).
const StepUpWindow = 5 * time.Minute

// Session stages.
const (
	StageMFA  = "mfa"
	StageFull = "full"
)

// SessionPolicy says how long sessions live, enforced on the server
// (AC-07).
type SessionPolicy struct {
	StaffIdle  time.Duration
	ClientIdle time.Duration
	Absolute   time.Duration
	MFAStep    time.Duration // how long a password-only session may wait for its second factor
}

// DefaultSessionPolicy is 15 minutes idle for staff, 30 for clients, 12
// hours in all, and 5 minutes to enter a second factor.
func DefaultSessionPolicy() SessionPolicy {
	return SessionPolicy{
		StaffIdle:  15 * time.Minute,
		ClientIdle: 30 * time.Minute,
		Absolute:   12 * time.Hour,
		MFAStep:    5 * time.Minute,
	}
}

// Expired reports whether a session of a user with the given role has ended
// at now.
func (p SessionPolicy) Expired(s *Session, role Role, now time.Time) bool {
	if s.Stage == StageMFA {
		return now.Sub(s.CreatedAt) > p.MFAStep
	}
	idle := p.ClientIdle
	if role.Staff() {
		idle = p.StaffIdle
	}
	return now.Sub(s.LastSeenAt) > idle || now.Sub(s.CreatedAt) > p.Absolute
}

// DeviceLabel makes a short, PHI-free label for a session from a User-Agent
// header: the browser and platform names only.
func DeviceLabel(userAgent string) string {
	ua := strings.ToLower(userAgent)
	browser := "Unknown browser"
	for _, b := range []struct{ key, name string }{
		{"edg/", "Edge"}, {"firefox/", "Firefox"}, {"chrome/", "Chrome"}, {"chromium", "Chromium"},
		{"safari/", "Safari"}, {"curl/", "curl"}, {"go-http-client", "Go client"},
	} {
		if strings.Contains(ua, b.key) {
			browser = b.name
			break
		}
	}
	platform := ""
	for _, p := range []struct{ key, name string }{
		{"android", "Android"}, {"iphone", "iPhone"}, {"ipad", "iPad"}, {"windows", "Windows"},
		{"mac os", "macOS"}, {"linux", "Linux"},
	} {
		if strings.Contains(ua, p.key) {
			platform = p.name
			break
		}
	}
	if platform == "" {
		return browser
	}
	return browser + " on " + platform
}

// Passkey is a WebAuthn credential registered by a user.
type Passkey struct {
	ID           string
	UserID       string
	CredentialID []byte
	Credential   string // the library's credential record, as JSON
	Name         string
	CreatedAt    time.Time
	LastUsedAt   time.Time
}

// ValidatePasskeyName checks a user's label for a passkey.
func ValidatePasskeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", FieldError("name", "is required")
	}
	if utf8.RuneCountInString(name) > 60 {
		return "", FieldError("name", "must be at most 60 characters")
	}
	return name, nil
}

// ClientSummary is a client as a care-team member sees them in lists.
type ClientSummary struct {
	ID          string
	DisplayName string
	TimeZone    string
	CreatedAt   time.Time
	Need        Need // in the caseload: why the client is where they are
}
