package care

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Notifications (issue #6, TS-02): each user chooses the channels they are
// told on (email; web push per browser they subscribe) and quiet hours in
// their own time zone. A notification carries no PHI: it says that
// something waits in Interlude, and links to it.

// NotificationSettings are one user's choices. The zero value is not the
// default: see DefaultNotificationSettings.
type NotificationSettings struct {
	Email bool       // send email notifications
	Quiet QuietHours // when nothing is sent; what falls due then waits
}

// DefaultNotificationSettings are a user's settings until they choose:
// email on, no quiet hours.
func DefaultNotificationSettings() NotificationSettings {
	return NotificationSettings{Email: true}
}

// QuietHours is a daily span in the user's zone, in minutes after local
// midnight, from Start (included) to End (excluded). A span with End
// before Start wraps past midnight (22:00–07:00); Start == End means no
// quiet hours.
type QuietHours struct {
	Start, End int
}

// On reports whether there are quiet hours.
func (q QuietHours) On() bool { return q.Start != q.End }

// Validate checks that both ends are times of day.
func (q QuietHours) Validate() error {
	for _, f := range []struct {
		name string
		m    int
	}{{"quiet_start", q.Start}, {"quiet_end", q.End}} {
		if f.m < 0 || f.m >= 24*60 {
			return FieldError(f.name, "must be a time of day, 00:00 to 23:59")
		}
	}
	return nil
}

// DeliverAt returns when a notification due at t may be delivered to a
// user in zone loc: t itself outside quiet hours, else the end of the
// quiet hours that t falls in. The end is a wall-clock time of that day in
// loc, so it is right across daylight-saving changes; an end that a
// change skips (02:30 on the night clocks go from 02:00 to 03:00) is the
// same length of time after the previous midnight as it would have been,
// so 03:30.
func (q QuietHours) DeliverAt(t time.Time, loc *time.Location) time.Time {
	if !q.On() {
		return t
	}
	local := t.In(loc)
	m := local.Hour()*60 + local.Minute()
	y, mo, d := local.Date()
	endOn := func(day int) time.Time {
		end := time.Date(y, mo, day, q.End/60, q.End%60, 0, 0, loc)
		if wall := end.Hour()*60 + end.Minute(); wall != q.End {
			// time.Date picked the offset after the change: move on by
			// the wall time the clocks skipped.
			end = end.Add(time.Duration((q.End-wall+24*60)%(24*60)) * time.Minute)
		}
		return end
	}
	switch {
	case q.Start < q.End && m >= q.Start && m < q.End:
		return endOn(d)
	case q.Start > q.End && m >= q.Start:
		return endOn(d + 1)
	case q.Start > q.End && m < q.End:
		return endOn(d)
	}
	return t
}

// ParseClock parses a time of day "HH:MM" (24-hour) into minutes after
// midnight.
func ParseClock(s string) (int, bool) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// FormatClock formats minutes after midnight as "HH:MM".
func FormatClock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// PushSubscription is one browser's Web Push subscription (RFC 8030,
// RFC 8291): where to post, and the keys that encrypt what is posted. It
// is the user's own, stored sealed.
type PushSubscription struct {
	ID        string
	UserID    string
	Endpoint  string // the push service URL (https)
	P256dh    []byte // the browser's P-256 public key, uncompressed (65 bytes)
	Auth      []byte // the authentication secret (16 bytes)
	Device    string // a description of the browser, from its User-Agent
	CreatedAt time.Time
}

// Limits of a push subscription.
const (
	MaxPushEndpoint      = 2048
	MaxPushSubscriptions = 10 // per user; a new one beyond replaces the oldest
)

// Validate checks a subscription as a browser sent it: an https endpoint
// and keys of the right sizes. The P-256 point itself is checked where it
// is used (notify); here its form.
func (p *PushSubscription) Validate() error {
	u, err := url.Parse(p.Endpoint)
	switch {
	case p.Endpoint == "" || len(p.Endpoint) > MaxPushEndpoint:
		return FieldError("endpoint", "must be a push service URL of at most %d characters", MaxPushEndpoint)
	case err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "":
		return FieldError("endpoint", "must be an https URL")
	case len(p.P256dh) != 65 || p.P256dh[0] != 4:
		return FieldError("keys.p256dh", "must be an uncompressed P-256 public key")
	case len(p.Auth) != 16:
		return FieldError("keys.auth", "must be 16 bytes")
	}
	return nil
}

// NotifyRecipient is what delivering a notification to one user needs:
// where to send it, and the user's choices. It holds the user's email,
// which for a client is PHI: only the notifier sees it, to send.
type NotifyRecipient struct {
	UserID   string
	ClinicID string
	Role     Role
	Disabled bool
	Email    string
	TimeZone string
	Settings NotificationSettings
	Push     []PushSubscription
}

// Location returns the recipient's time zone, UTC if it does not load.
func (r *NotifyRecipient) Location() *time.Location {
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}
