package care

import "time"

// Appointment is a therapy session with a provider of the client's care
// team. It is called an appointment in code because a Session is a
// signed-in device. "Since the last session" is measured from the last
// held one.
type Appointment struct {
	ID           string
	ClientID     string
	ProviderID   string
	ProviderName string
	StartsAt     time.Time
	Minutes      int
	Status       AppointmentStatus
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// AppointmentStatus is where a session stands.
type AppointmentStatus string

// The statuses of a session.
const (
	AppointmentScheduled AppointmentStatus = "scheduled"
	AppointmentHeld      AppointmentStatus = "held"
	AppointmentCancelled AppointmentStatus = "cancelled"
)

// Session lengths, in minutes.
const (
	DefaultSessionMinutes = 50
	MinSessionMinutes     = 5
	MaxSessionMinutes     = 480
)

// maxScheduleAhead bounds how far from now a session may be put.
const maxScheduleAhead = 2 * 366 * 24 * time.Hour

// Ends is when the session ends.
func (a *Appointment) Ends() time.Time {
	return a.StartsAt.Add(time.Duration(a.Minutes) * time.Minute)
}

// Validate checks a session about to be stored, at time now: a known
// status (default scheduled), a length of 5 to 480 minutes (default 50),
// a start within two years of now, and no session held before it starts.
func (a *Appointment) Validate(now time.Time) error { return a.validate(now, true) }

// validate is Validate; the start is checked against now only when
// checkStart is set, so that an old session can still be changed.
func (a *Appointment) validate(now time.Time, checkStart bool) error {
	switch a.Status {
	case "":
		a.Status = AppointmentScheduled
	case AppointmentScheduled, AppointmentHeld, AppointmentCancelled:
	default:
		return FieldError("status", "must be one of scheduled, held, cancelled")
	}
	if a.Minutes == 0 {
		a.Minutes = DefaultSessionMinutes
	}
	if a.Minutes < MinSessionMinutes || a.Minutes > MaxSessionMinutes {
		return FieldError("minutes", "must be from %d to %d", MinSessionMinutes, MaxSessionMinutes)
	}
	if a.StartsAt.IsZero() {
		return FieldError("starts_at", "is required")
	}
	if d := a.StartsAt.Sub(now); checkStart && (d > maxScheduleAhead || d < -maxScheduleAhead) {
		return FieldError("starts_at", "must be within two years of today")
	}
	if a.Status == AppointmentHeld && a.StartsAt.After(now) {
		return FieldError("status", "cannot be held before the session starts")
	}
	a.StartsAt = a.StartsAt.UTC().Truncate(time.Second)
	return nil
}

// AppointmentChange is a change to a session; nil fields stay as they are.
type AppointmentChange struct {
	Status   *AppointmentStatus
	StartsAt *time.Time
	Minutes  *int
}

// Apply changes a, then validates it at time now.
func (c AppointmentChange) Apply(a *Appointment, now time.Time) error {
	if c.Status == nil && c.StartsAt == nil && c.Minutes == nil {
		return Errorf(Invalid, "nothing to change: send status, starts_at or minutes")
	}
	if c.Status != nil {
		if *c.Status == "" {
			return FieldError("status", "must be one of scheduled, held, cancelled")
		}
		a.Status = *c.Status
	}
	if c.StartsAt != nil {
		a.StartsAt = *c.StartsAt
	}
	if c.Minutes != nil {
		if *c.Minutes == 0 {
			return FieldError("minutes", "must be from %d to %d", MinSessionMinutes, MaxSessionMinutes)
		}
		a.Minutes = *c.Minutes
	}
	return a.validate(now, c.StartsAt != nil)
}
