package web

import (
	"encoding/base64"
	"net/http"
	"time"

	"interlude/internal/care"
)

// Notification settings (issue #6, TS-02): the channels a user is told on
// and their quiet hours, on /account/notifications and in the API; and
// the browser's side of Web Push: push.js subscribes, sw.js (the service
// worker, served from the root so that its scope is the whole site) shows
// what arrives. Notifications carry no PHI; see internal/notify.

// notificationsPage is /account/notifications.
type notificationsPage struct {
	Layout
	Email      string // the address email goes to
	EmailOn    bool
	EmailReady bool // the server can send email
	QuietOn    bool
	QuietStart string // "HH:MM"
	QuietEnd   string
	TimeZone   string
	PushKey    string // the VAPID public key; "" when push is not set up
	Browsers   []pushRow
	Error      string
	Field      string
}

type pushRow struct {
	ID, Device, Added string
}

func (s *Server) notificationsData(r *http.Request, actor care.Actor) (*notificationsPage, error) {
	ctx := r.Context()
	set, err := s.store.NotificationSettings(ctx, actor)
	if err != nil {
		return nil, err
	}
	subs, err := s.store.PushSubscriptions(ctx, actor)
	if err != nil {
		return nil, err
	}
	creds, err := s.store.Credentials(ctx, actor)
	if err != nil {
		return nil, err
	}
	p := &notificationsPage{
		Layout: s.layoutNotice(r, "Notifications"), Email: creds.User.Email,
		EmailOn: set.Email, EmailReady: s.notify.Email, QuietOn: set.Quiet.On(),
		QuietStart: care.FormatClock(set.Quiet.Start), QuietEnd: care.FormatClock(set.Quiet.End),
		TimeZone: actor.TimeZone, PushKey: s.notify.PushPublicKey,
	}
	if !p.QuietOn {
		p.QuietStart, p.QuietEnd = "22:00", "07:00" // what the form suggests
	}
	if p.PushKey != "" {
		p.Scripts = []string{"push.js"}
	}
	for _, sub := range subs {
		p.Browsers = append(p.Browsers, pushRow{ID: sub.ID, Device: sub.Device, Added: localTime(sub.CreatedAt, actor.TimeZone)})
	}
	return p, nil
}

// GET /account/notifications
func (s *Server) notificationSettings(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	p, err := s.notificationsData(r, actor)
	if err != nil {
		return err
	}
	s.renderPage(w, r, http.StatusOK, "notifications", p)
	return nil
}

// POST /account/notifications (email: "on"; quiet: "on"; quiet_start,
// quiet_end: "HH:MM")
func (s *Server) notificationSettingsSubmit(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	set := care.NotificationSettings{Email: f.Get("email") == "on"}
	err = func() error {
		if f.Get("quiet") != "on" {
			return nil
		}
		start, ok := care.ParseClock(f.Get("quiet_start"))
		if !ok {
			return care.FieldError("quiet_start", "must be a time such as 22:00")
		}
		end, ok := care.ParseClock(f.Get("quiet_end"))
		if !ok {
			return care.FieldError("quiet_end", "must be a time such as 07:00")
		}
		if start == end {
			return care.FieldError("quiet_end", "must differ from the start")
		}
		set.Quiet = care.QuietHours{Start: start, End: end}
		return nil
	}()
	if err == nil {
		err = s.store.SetNotificationSettings(r.Context(), actor, set)
	}
	if err != nil {
		msg, field, status, ok := formError(err)
		if !ok {
			return err
		}
		p, perr := s.notificationsData(r, actor)
		if perr != nil {
			return perr
		}
		p.Error, p.Field = msg, field
		p.EmailOn, p.QuietOn, p.QuietStart, p.QuietEnd = set.Email, true, f.Get("quiet_start"), f.Get("quiet_end")
		s.renderPage(w, r, status, "notifications", p)
		return nil
	}
	return redirect(w, r, "/account/notifications?done=notifications")
}

// POST /account/notifications/push/{id}/delete
func (s *Server) pushSubscriptionDeleteForm(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := s.store.DeletePushSubscription(r.Context(), actor, r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, "/account/notifications?done=push-off")
}

// notificationSettingsJSON is a user's notification settings in the API.
type notificationSettingsJSON struct {
	Email      *bool            `json:"email"`
	QuietHours *quietHoursJSON  `json:"quiet_hours"` // null: none
	TimeZone   string           `json:"time_zone,omitempty"`
	Push       *pushServiceJSON `json:"push,omitempty"`
}

type quietHoursJSON struct {
	Start string `json:"start"` // "HH:MM" in the user's zone
	End   string `json:"end"`
}

type pushServiceJSON struct {
	PublicKey string `json:"public_key"` // the VAPID key, for applicationServerKey
}

// GET /api/v1/me/notification-settings
func (s *Server) apiNotificationSettings(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	set, err := s.store.NotificationSettings(r.Context(), actor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.settingsJSON(actor, set))
}

func (s *Server) settingsJSON(actor care.Actor, set care.NotificationSettings) notificationSettingsJSON {
	out := notificationSettingsJSON{Email: &set.Email, TimeZone: actor.TimeZone}
	if set.Quiet.On() {
		out.QuietHours = &quietHoursJSON{Start: care.FormatClock(set.Quiet.Start), End: care.FormatClock(set.Quiet.End)}
	}
	if s.notify.PushPublicKey != "" {
		out.Push = &pushServiceJSON{PublicKey: s.notify.PushPublicKey}
	}
	return out
}

// PUT /api/v1/me/notification-settings {email, quiet_hours}
func (s *Server) apiSetNotificationSettings(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		Email      *bool           `json:"email"`
		QuietHours *quietHoursJSON `json:"quiet_hours"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Email == nil {
		return care.FieldError("email", "is required: true or false")
	}
	set := care.NotificationSettings{Email: *req.Email}
	if q := req.QuietHours; q != nil {
		start, ok := care.ParseClock(q.Start)
		if !ok {
			return care.FieldError("quiet_hours.start", "must be a time HH:MM")
		}
		end, ok := care.ParseClock(q.End)
		if !ok || end == start {
			return care.FieldError("quiet_hours.end", "must be a time HH:MM other than the start")
		}
		set.Quiet = care.QuietHours{Start: start, End: end}
	}
	if err := s.store.SetNotificationSettings(r.Context(), actor, set); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.settingsJSON(actor, set))
}

// pushSubscriptionJSON is a browser's subscription as push.js posts it
// (PushSubscription.toJSON() without expirationTime), and as listed
// (id, device and created_at only: the endpoint and keys are not shown
// again).
type pushSubscriptionJSON struct {
	ID        string    `json:"id,omitempty"`
	Endpoint  string    `json:"endpoint,omitempty"`
	Keys      *pushKeys `json:"keys,omitempty"`
	Device    string    `json:"device,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

type pushKeys struct {
	P256dh string `json:"p256dh"` // base64url
	Auth   string `json:"auth"`
}

// GET /api/v1/me/push-subscriptions
func (s *Server) apiPushSubscriptions(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	subs, err := s.store.PushSubscriptions(r.Context(), actor)
	if err != nil {
		return err
	}
	out := []pushSubscriptionJSON{}
	for _, sub := range subs {
		out = append(out, pushSubscriptionJSON{ID: sub.ID, Device: sub.Device, CreatedAt: sub.CreatedAt})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"subscriptions": out})
}

// POST /api/v1/me/push-subscriptions {endpoint, keys: {p256dh, auth}}
func (s *Server) apiAddPushSubscription(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req pushSubscriptionJSON
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.ID != "" || req.Device != "" || !req.CreatedAt.IsZero() {
		return care.Errorf(care.Invalid, "send only endpoint and keys")
	}
	if req.Keys == nil {
		return care.FieldError("keys", "is required")
	}
	sub := care.PushSubscription{Endpoint: req.Endpoint, Device: care.DeviceLabel(r.UserAgent())}
	if sub.P256dh, err = base64.RawURLEncoding.DecodeString(trimPad(req.Keys.P256dh)); err != nil {
		return care.FieldError("keys.p256dh", "must be base64url")
	}
	if sub.Auth, err = base64.RawURLEncoding.DecodeString(trimPad(req.Keys.Auth)); err != nil {
		return care.FieldError("keys.auth", "must be base64url")
	}
	if err := s.store.AddPushSubscription(r.Context(), actor, &sub); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, pushSubscriptionJSON{ID: sub.ID, Device: sub.Device, CreatedAt: sub.CreatedAt})
}

// trimPad drops base64 padding, which some browsers add.
func trimPad(s string) string {
	for len(s) > 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
	}
	return s
}

// DELETE /api/v1/me/push-subscriptions/{id}
func (s *Server) apiDeletePushSubscription(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := s.store.DeletePushSubscription(r.Context(), actor, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// GET /sw.js: the service worker. It is served from the root, unhashed,
// so that its scope is the whole site; like every page it is no-store,
// so browsers fetch it afresh when they check it for updates.
func (s *Server) serviceWorker(w http.ResponseWriter, r *http.Request) error {
	b, err := staticFiles.ReadFile("static/sw.js")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Write(b) //nolint:errcheck // a failed write to a response means the client has gone: the status is sent, and no one is left to tell
	return nil
}
