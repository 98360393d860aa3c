package web

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	qrcode "github.com/skip2/go-qrcode"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
)

// inviteCookie carries an invitation token from the link to the form, so
// that the token leaves the address bar at once (AU-12).
const inviteCookie = "__Host-invite"

// formLimit bounds a form body.
const formLimit = 64 << 10

// parseForm reads a urlencoded form body of bounded size.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, formLimit)
	if err := r.ParseForm(); err != nil {
		return care.Errorf(care.Invalid, "the form could not be read")
	}
	return nil
}

// formError turns a user-correctable error into a message for the form
// and the status to answer with; other errors are returned as they are.
func formError(err error) (msg, field string, status int, ok bool) {
	var e *care.Error
	if !errors.As(err, &e) {
		return "", "", 0, false
	}
	switch e.Code {
	case care.Invalid, care.Unauthenticated, care.MFARequired, care.RateLimited, care.Conflict, care.Forbidden:
		msg = e.Message
		// A phrase ("is required") reads after the field's label; a
		// sentence (the password policy's) stands as it is.
		if e.Field != "" && msg != "" && 'a' <= msg[0] && msg[0] <= 'z' {
			msg = fieldLabel(e.Field) + " " + e.Message
		}
		return sentence(msg), e.Field, statusFor[e.Code], true
	}
	return "", "", 0, false
}

// sentence turns a domain error's phrase ("the email or password is not
// correct") into a sentence for a page: a capital first and a full stop.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// fieldLabels name the fields of forms as people read them (issue #18:
// errors written for people, not "occurred_at is required").
var fieldLabels = map[string]string{
	"display_name":     "Your name",
	"time_zone":        "The time zone",
	"starts_at":        "The start time",
	"occurred_at":      "When it happened",
	"due_date":         "The due date",
	"note":             "A note of what you did",
	"reason":           "The reason",
	"sms_keyword":      "The word to text",
	"chat_url":         "The chat address",
	"current_password": "Your current password",
	"new_password":     "The new password",
	"confirm":          "The second password",
	"client_id":        "The client",
	"totp_code":        "The code",
	"code":             "The code",
	"text":             "The message",
	"email":            "The email address",
	"password":         "The password",
	"name":             "The name",
	"q":                "The search",
}

func fieldLabel(f string) string {
	if l, ok := fieldLabels[f]; ok {
		return l
	}
	return strings.ToUpper(f[:1]) + strings.ReplaceAll(f[1:], "_", " ")
}

// redirect sends the browser to to, a path of this site. Every caller
// builds it from a constant path and ids; it is checked all the same, so
// that no caller can make an open redirect of it.
func redirect(w http.ResponseWriter, r *http.Request, to string) error {
	if !localPath(to) {
		return errors.New("web: a redirect's target is not a path of this site")
	}
	http.Redirect(w, r, to, http.StatusSeeOther) //nolint:gosec // G710: to is a local path, checked above
	return nil
}

// localPath reports whether p is a path of this site: it starts with one
// slash, not "//" or "/\" (which browsers read as another host), and holds
// no control character (browsers drop tabs and newlines, which could make
// "/\t/host" into "//host").
func localPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return false
	}
	for _, c := range []byte(p) {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// qrDataURL renders text as a QR code PNG in a data: URL, which the CSP
// allows for images. Only URLs we made are encoded.
func qrDataURL(text string) (template.URL, error) {
	png, err := qrcode.Encode(text, qrcode.Medium, 256)
	if err != nil {
		return "", err
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), nil //nolint:gosec // G203: a constant data: prefix and base64, nothing else
}

// localTime formats t in the viewer's time zone.
func localTime(t time.Time, zone string) string {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 2 Jan 2006, 15:04 MST")
}

// localDate is t's day in the viewer's zone, as a page shows a date
// without its time.
func localDate(t time.Time, zone string) string {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2 Jan 2006")
}

// notices are the fixed confirmations a redirect may ask a page to show.
var notices = map[string]string{
	"signed-out":     "You are signed out.",
	"password-reset": "Your new password is set. Sign in with it.",
	"profile":        "Your name, time zone and language are saved.",
	"password":       "Your password is changed. Your other sessions are signed out.",
	"email":          "Your email is changed.",
	"email-sent":     "We sent a link to the new address: your email changes when you open it (within 24 hours).",
	"mfa-reset":      "Their second step is reset and they are signed out everywhere.",
	"totp":           "Your authenticator app is set up.",
	"session":        "That session is signed out.",
	"others":         "Your other sessions are signed out.",
	"disabled":       "The account is disabled and its sessions have ended.",
	"enabled":        "The account is enabled again.",
	"passkey-del":    "The passkey is removed.",
	"deleted":        "The client's record is deleted: its key is destroyed, and nothing sealed under it can be read again.",
	"retention":      "The retention period is saved.",

	"notifications":    "Your notification settings are saved.",
	"push-on":          "Notifications are on for this browser.",
	"push-off":         "Notifications are off for that browser.",
	"crisis-line":      "The crisis line is saved.",
	"crisis-resources": "The crisis resources are saved.",
	"safety-message":   "The safety message is saved.",
	"safety-settings":  "The escalation settings are saved.",
	"reliable-change":  "The reliable-change thresholds are saved.",
	"office-hours":     "Your office hours are saved.",

	"person-saved":       "The name and email are saved.",
	"person-email-sent":  "The name is saved. The new email takes effect once it is confirmed from the link just sent to it.",
	"care-team-moved":    "The client is moved: the provider you chose is their care team now.",
	"care-team-added":    "The provider is on the care team now.",
	"care-team-removed":  "The provider is off the care team and no longer sees the client's record.",
	"invitation-revoked": "The invitation is revoked: its link no longer works.",
}

func (s *Server) layoutNotice(r *http.Request, title string) Layout {
	l := s.layout(r, title)
	l.Notice = notices[r.URL.Query().Get("done")]
	return l
}

// ---- Start page ----

type homePage struct {
	Layout
	ClinicCount int
}

type clientHomePage struct {
	Layout
	FirstName string
	MFA       bool
	Journal   *journalHome     // quick entry, mood chart, recent entries (journal_pages.go)
	Between   *betweenSessions // next session, tasks due, goals (plan_pages.go)
	CheckIn   *checkInPrompt   // an open check-in (checkins_pages.go)
	Trackers  *trackersHome    // the care team's trackers and what is due today (tracker_pages.go)
	Waiting   []waitingItem    // "Waiting for you", from the above and the unread count (shell.go)
}

// GET /: the landing page when signed out; each role's start otherwise.
func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	if actor, err := signedIn(r); err == nil {
		if hasHeld(r) {
			return redirect(w, r, "/resume") // a form kept while signed out (forms.go)
		}
		switch actor.Role {
		case care.RoleAdmin:
			return redirect(w, r, "/people")
		case care.RoleProvider:
			return redirect(w, r, "/clients")
		}
		if r, err = s.withSavedEntry(r, actor); err != nil {
			return err
		}
		creds, err := s.store.Credentials(r.Context(), actor)
		if err != nil {
			return err
		}
		first, _, _ := strings.Cut(actor.Name, " ")
		journal, err := s.clientJournalHome(r, actor)
		if err != nil {
			return err
		}
		between, err := s.clientBetweenSessions(r, actor)
		if err != nil {
			return err
		}
		checkIn, err := s.clientCheckInPrompt(r, actor)
		if err != nil {
			return err
		}
		trackers, err := s.clientTrackersHome(r, actor)
		if err != nil {
			return err
		}
		l := s.layoutJournal(r, "Home")
		s.renderPage(w, r, http.StatusOK, "client_home", &clientHomePage{
			Layout: l, FirstName: first, MFA: creds.HasMFA(), Journal: journal, Between: between,
			CheckIn: checkIn, Trackers: trackers, Waiting: waitingFor(checkIn, between, l.Tabs),
		})
		return nil
	}
	clinics, err := s.store.Clinics(r.Context())
	if err != nil {
		return err
	}
	s.renderPage(w, r, http.StatusOK, "home", &homePage{Layout: s.layoutNotice(r, "Welcome"), ClinicCount: len(clinics)})
	return nil
}

// ---- Signing in ----

type signinPage struct {
	Layout
	Email string
	Error string
	// Throttled shows the authenticator-code field: during a backoff the
	// password and a code are checked together (AU-05, see checkPassword).
	Throttled bool
	Held      bool // a form was posted after the session ended, and is kept (forms.go)
}

// GET /signin
func (s *Server) signinForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := signedIn(r); err == nil {
		return redirect(w, r, "/")
	}
	s.renderPage(w, r, http.StatusOK, "signin", &signinPage{Layout: s.layoutNotice(r, "Sign in"), Held: r.URL.Query().Get("held") == "1" && hasHeld(r)})
	return nil
}

// POST /signin: the password step. Staff, and clients who chose a second
// factor, continue at /signin/mfa with a session that can do nothing else.
func (s *Server) signinSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	email := r.PostForm.Get("email")
	// A code may come with the password: the form shows its field during
	// a backoff, and then the two are checked together, as on the API.
	second := secondFactor{code: r.PostForm.Get("code"), recovery: r.PostForm.Get("recovery_code")}
	creds, keys, mfa, err := s.checkPassword(w, r, email, r.PostForm.Get("password"), second)
	if err == nil && creds.MFARequired() && !mfa && second.given() {
		err = s.checkSecondFactor(w, r, creds, second)
		mfa = err == nil
	}
	if err != nil {
		msg, _, status, ok := formError(err)
		if !ok {
			return err
		}
		s.renderPage(w, r, status, "signin", &signinPage{Layout: s.layout(r, "Sign in"), Email: email, Error: msg,
			Throttled: care.ErrorCode(err) == care.RateLimited || second.given()})
		return nil
	}
	if old := authOf(r); old != nil {
		// The session this browser had ends before another starts; one
		// that ended meanwhile is not found, which is as good.
		if err := s.store.EndSession(r.Context(), old.actor, old.actor.SessionID); err != nil && care.ErrorCode(err) != care.NotFound {
			return err
		}
	}
	if creds.MFARequired() && !mfa {
		token, _, err := s.startSession(r, creds, "web", care.StageMFA, false)
		if err != nil {
			return err
		}
		setSessionCookie(w, token)
		return redirect(w, r, "/signin/mfa")
	}
	if err := s.store.ResetLoginFailures(r.Context(), signedInKeys(keys, creds.User.ID)...); err != nil {
		return err
	}
	token, _, err := s.startSession(r, creds, "web", care.StageFull, mfa)
	if err != nil {
		return err
	}
	setSessionCookie(w, token)
	return redirect(w, r, "/")
}

type mfaPage struct {
	Layout
	Enroll      bool         // the authenticator app is being set up now
	QR          template.URL // enrollment QR code
	Secret      string       // enrollment secret, for typing in
	HasTOTP     bool
	HasPasskeys bool
	Recovery    bool // show the recovery-code field
	Error       string
}

func (s *Server) mfaStage(r *http.Request) (*authInfo, *care.Credentials, error) {
	a := authOf(r)
	if a == nil || a.session.Stage != care.StageMFA {
		return nil, nil, care.Errorf(care.Unauthenticated, "sign in first")
	}
	creds, err := s.store.Credentials(r.Context(), a.actor)
	if err != nil {
		return nil, nil, err
	}
	return a, creds, nil
}

func (s *Server) mfaPageData(r *http.Request, creds *care.Credentials) (*mfaPage, error) {
	p := &mfaPage{
		Layout:      s.layout(r, "Second step"),
		HasTOTP:     creds.TOTPSecret != nil,
		HasPasskeys: creds.Passkeys > 0,
		Recovery:    r.URL.Query().Get("recovery") == "1",
	}
	if p.HasPasskeys {
		p.Scripts = []string{"passkey.js", "account.js"}
	}
	if creds.TOTPSecret != nil && !creds.TOTPConfirmed {
		p.Enroll = true
		p.Secret = auth.EncodeSecret(creds.TOTPSecret)
		qr, err := qrDataURL(auth.TOTPURI("Interlude", creds.User.Email, creds.TOTPSecret))
		if err != nil {
			return nil, err
		}
		p.QR = qr
	}
	return p, nil
}

// GET /signin/mfa
func (s *Server) mfaForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := signedIn(r); err == nil {
		return redirect(w, r, "/")
	}
	_, creds, err := s.mfaStage(r)
	if err != nil {
		return err
	}
	p, err := s.mfaPageData(r, creds)
	if err != nil {
		return err
	}
	s.renderPage(w, r, http.StatusOK, "mfa", p)
	return nil
}

// POST /signin/mfa: the second factor; on success the session gets a new
// token (SE-02) and full rights.
func (s *Server) mfaSubmit(w http.ResponseWriter, r *http.Request) error {
	a, creds, err := s.mfaStage(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	enrolling := creds.TOTPSecret != nil && !creds.TOTPConfirmed
	err = s.checkSecondFactor(w, r, creds, secondFactor{code: r.PostForm.Get("code"), recovery: r.PostForm.Get("recovery_code")})
	if err != nil {
		msg, _, status, ok := formError(err)
		if !ok {
			return err
		}
		p, perr := s.mfaPageData(r, creds)
		if perr != nil {
			return perr
		}
		p.Error = msg
		p.Recovery = r.PostForm.Get("recovery_code") != ""
		s.renderPage(w, r, status, "mfa", p)
		return nil
	}
	if err := s.store.ResetLoginFailures(r.Context(), store.AccountKey(creds.User.Email), store.SecondFactorKey(creds.User.ID)); err != nil {
		return err
	}
	token, hash := auth.NewToken()
	if _, err := s.store.RotateSession(r.Context(), auth.HashToken(a.token), hash, care.StageFull, true); err != nil {
		return err
	}
	setSessionCookie(w, token)
	if enrolling {
		// A new authenticator app (at first sign-in, or after an admin
		// reset the old one): recovery codes, shown once (issue #17).
		return s.firstRecoveryCodes(w, r, care.Actor{UserID: creds.User.ID, ClinicID: creds.User.ClinicID, Role: creds.User.Role}, "/")
	}
	return redirect(w, r, "/")
}

// POST /signout
func (s *Server) signout(w http.ResponseWriter, r *http.Request) error {
	if a := authOf(r); a != nil {
		if err := s.store.EndSession(r.Context(), a.actor, a.actor.SessionID); err != nil && care.ErrorCode(err) != care.NotFound {
			return err
		}
	}
	clearSessionCookie(w)
	w.Header().Set("Clear-Site-Data", `"cache", "cookies", "storage"`)
	return redirect(w, r, "/signin?done=signed-out")
}

// ---- Invitations ----

// GET /invite/{token}: keep the token in a cookie and drop it from the
// address bar, so it is neither in history nor in a Referer.
func (s *Server) inviteLink(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	if _, err := s.openInvitation(r, token); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: inviteCookie, Value: token, Path: "/", MaxAge: 3600,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	return redirect(w, r, "/invite")
}

type invitePage struct {
	Layout
	ClinicName  string
	Role        care.Role
	DisplayName string
	TimeZone    string
	TimeZones   []string
	MinLength   int
	Error       string
	Field       string
}

func (s *Server) invitation(r *http.Request) (string, *care.Invitation, *care.Clinic, error) {
	c, err := r.Cookie(inviteCookie)
	if err != nil {
		return "", nil, nil, errInvitationGone
	}
	inv, err := s.openInvitation(r, c.Value)
	if err != nil {
		return "", nil, nil, err
	}
	clinic, err := s.store.Clinic(r.Context(), inv.ClinicID)
	if err != nil {
		return "", nil, nil, err
	}
	return c.Value, inv, clinic, nil
}

func (s *Server) invitePageData(r *http.Request, inv *care.Invitation, clinic *care.Clinic) *invitePage {
	min := auth.MinPasswordLength
	if inv.Role.Staff() {
		min = auth.MinPasswordLengthMFA
	}
	return &invitePage{
		Layout: s.layout(r, "Create your account"), ClinicName: clinic.Name, Role: inv.Role,
		DisplayName: inv.DisplayName, TimeZone: "America/New_York", TimeZones: timeZones, MinLength: min,
	}
}

// GET /invite
func (s *Server) inviteForm(w http.ResponseWriter, r *http.Request) error {
	_, inv, clinic, err := s.invitation(r)
	if err != nil {
		return err
	}
	s.renderPage(w, r, http.StatusOK, "invite", s.invitePageData(r, inv, clinic))
	return nil
}

// POST /invite: create the account. Staff go on to set up their
// authenticator app; clients are signed in.
func (s *Server) inviteSubmit(w http.ResponseWriter, r *http.Request) error {
	token, inv, clinic, err := s.invitation(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	a, err := s.accept(r, token, f.Get("password"), f.Get("display_name"), f.Get("time_zone"))
	if err != nil {
		msg, field, status, ok := formError(err)
		if !ok {
			return err
		}
		p := s.invitePageData(r, inv, clinic)
		p.DisplayName, p.TimeZone, p.Error, p.Field = f.Get("display_name"), f.Get("time_zone"), msg, field
		s.renderPage(w, r, status, "invite", p)
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: inviteCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	creds := &care.Credentials{User: *a.user}
	stage := care.StageFull
	if a.user.Role.Staff() {
		stage = care.StageMFA
	}
	sessionToken, _, err := s.startSession(r, creds, "web", stage, false)
	if err != nil {
		return err
	}
	setSessionCookie(w, sessionToken)
	if stage == care.StageMFA {
		return redirect(w, r, "/signin/mfa")
	}
	return redirect(w, r, "/")
}

// ---- Account ----

type sessionRow struct {
	ID       string
	Device   string
	Started  string
	LastSeen string
	Current  bool
	MFA      bool
}

type accountPage struct {
	Layout
	Email        string
	TOTP         bool
	TOTPRequired bool
	Enroll       bool
	QR           template.URL
	Secret       string
	Sessions     []sessionRow
	RecoveryLeft int
	NewCodes     []string
	Passkeys     []passkeyRow
	HasMFA       bool
	Error        string
	Client       bool          // a client: their record's downloads (rightofaccess.go)
	Forms        *accountForms // name, time zone, language, password, email (account.go)
}

type passkeyRow struct {
	ID       string
	Name     string
	Added    string
	LastUsed string
}

func (s *Server) accountData(r *http.Request, actor care.Actor) (*accountPage, error) {
	ctx := r.Context()
	creds, err := s.store.Credentials(ctx, actor)
	if err != nil {
		return nil, err
	}
	sessions, err := s.store.Sessions(ctx, actor)
	if err != nil {
		return nil, err
	}
	left, err := s.store.RecoveryCodesLeft(ctx, actor)
	if err != nil {
		return nil, err
	}
	p := &accountPage{
		Layout:       s.layoutNotice(r, "Your account"),
		Email:        creds.User.Email,
		TOTP:         creds.TOTPSecret != nil && creds.TOTPConfirmed,
		TOTPRequired: actor.Role.Staff(),
		RecoveryLeft: left,
		HasMFA:       creds.HasMFA(),
		Client:       actor.Role == care.RoleClient,
	}
	p.Scripts = []string{"passkey.js", "account.js"}
	for _, ss := range sessions {
		p.Sessions = append(p.Sessions, sessionRow{
			ID: ss.ID, Device: ss.Device, Current: ss.Current, MFA: ss.MFA,
			Started: localTime(ss.CreatedAt, actor.TimeZone), LastSeen: localTime(ss.LastSeenAt, actor.TimeZone),
		})
	}
	keys, err := s.passkeyRows(r, actor)
	if err != nil {
		return nil, err
	}
	p.Passkeys = keys
	if p.Forms, err = s.accountForms(r, actor, creds); err != nil {
		return nil, err
	}
	return p, nil
}

// GET /account
func (s *Server) account(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	p, err := s.accountData(r, actor)
	if err != nil {
		return err
	}
	s.renderPage(w, r, http.StatusOK, "account", p)
	return nil
}

// POST /account/sessions/{id}/end
func (s *Server) accountEndSession(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := s.store.EndSession(r.Context(), actor, r.PathValue("id")); err != nil {
		return err
	}
	if r.PathValue("id") == actor.SessionID {
		clearSessionCookie(w)
		return redirect(w, r, "/signin?done=signed-out")
	}
	return redirect(w, r, "/account?done=session")
}

// POST /account/sessions/end-others
func (s *Server) accountEndOthers(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if _, err := s.store.EndAllSessions(r.Context(), actor, true); err != nil {
		return err
	}
	return redirect(w, r, "/account?done=others")
}

// POST /account/totp: start setting up an authenticator app.
func (s *Server) accountTOTPBegin(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if ok, err := s.freshOrConfirm(w, r, "/account"); !ok {
		return err
	}
	creds, err := s.store.Credentials(r.Context(), actor)
	if err != nil {
		return err
	}
	if creds.TOTPConfirmed {
		return care.Errorf(care.Conflict, "your authenticator app is set up already")
	}
	secret := auth.NewTOTPSecret()
	if err := s.store.SetTOTP(r.Context(), actor, secret); err != nil {
		return err
	}
	return s.renderEnroll(w, r, actor, secret, "")
}

func (s *Server) renderEnroll(w http.ResponseWriter, r *http.Request, actor care.Actor, secret []byte, msg string) error {
	p, err := s.accountData(r, actor)
	if err != nil {
		return err
	}
	p.Enroll, p.Secret, p.Error = true, auth.EncodeSecret(secret), msg
	if p.QR, err = qrDataURL(auth.TOTPURI("Interlude", p.Email, secret)); err != nil {
		return err
	}
	status := http.StatusOK
	if msg != "" {
		status = http.StatusBadRequest
	}
	s.renderPage(w, r, status, "account", p)
	return nil
}

// POST /account/totp/confirm
func (s *Server) accountTOTPConfirm(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.confirmTOTP(r, actor, r.PostForm.Get("code")); err != nil {
		msg, _, _, ok := formError(err)
		if !ok {
			return err
		}
		creds, cerr := s.store.Credentials(r.Context(), actor)
		if cerr != nil {
			return cerr
		}
		return s.renderEnroll(w, r, actor, creds.TOTPSecret, msg)
	}
	return s.firstRecoveryCodes(w, r, actor, "/account?done=totp")
}

// POST /account/recovery-codes: show ten new codes, once.
func (s *Server) accountRecoveryCodes(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if ok, err := s.freshOrConfirm(w, r, "/account"); !ok {
		return err
	}
	codes, err := s.newRecoveryCodes(r, actor)
	if err != nil {
		return err
	}
	p, err := s.accountData(r, actor)
	if err != nil {
		return err
	}
	p.NewCodes = codes
	s.renderPage(w, r, http.StatusOK, "account", p)
	return nil
}

// ---- Staff: people and clients ----

type invited struct {
	DisplayName string
	Role        care.Role
	URL         string
	QR          template.URL
	Expires     string
}

type peoplePage struct {
	Layout
	Users   []store.UserSummary
	Reasons []deletionReason
	// Pending are the invitations not yet accepted, each with its forms
	// to send it again or revoke it (issue #17).
	Pending []pendingRow
	Error   string
	Field   string
	Form    url.Values
}

// pendingRow is a pending invitation as the People page lists it.
type pendingRow struct {
	ID, DisplayName, Email string
	Role                   care.Role
	Expires                string
}

// GET /people: the clinic's users and pending invitations, for an admin;
// the clinic's settings are on /settings.
func (s *Server) people(w http.ResponseWriter, r *http.Request) error {
	return s.renderPeople(w, r, http.StatusOK, "", "", nil)
}

func (s *Server) renderPeople(w http.ResponseWriter, r *http.Request, status int, msg, field string, form url.Values) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	users, err := s.store.Users(r.Context(), actor)
	if err != nil {
		return err
	}
	pending, err := s.store.PendingInvitations(r.Context(), actor)
	if err != nil {
		return err
	}
	p := &peoplePage{
		Layout: s.layoutNotice(r, "People"), Users: users, Error: msg, Field: field, Form: form,
		Reasons: deletionReasons(),
	}
	for _, i := range pending {
		p.Pending = append(p.Pending, pendingRow{ID: i.ID, DisplayName: i.DisplayName, Email: i.Email, Role: i.Role,
			Expires: localTime(i.ExpiresAt, actor.TimeZone)})
	}
	s.renderPage(w, r, status, "people", p)
	return nil
}

// inviteFromForm creates an invitation from a staff page's form and
// keeps its link for the page that shows it (invitationLinkPage).
func (s *Server) inviteFromForm(w http.ResponseWriter, r *http.Request, actor care.Actor, role care.Role) (*care.Invitation, error) {
	f := r.PostForm
	inv, token, err := s.invite(r, actor, role, f.Get("email"), f.Get("display_name"))
	if err != nil {
		return nil, err
	}
	setInvitationLinkCookie(w, inv.ID, token)
	return inv, nil
}

// POST /people/invite: an admin invites a staff member; on to the page
// with the link (post/redirect/get). Inviting an email with an invitation
// pending gives that invitation a new link instead.
func (s *Server) peopleInvite(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	inv, err := s.inviteFromForm(w, r, actor, care.Role(r.PostForm.Get("role")))
	if err != nil {
		msg, field, status, ok := formError(err)
		if !ok {
			return err
		}
		return s.renderPeople(w, r, status, msg, field, r.PostForm)
	}
	return redirect(w, r, "/invitation-link/"+inv.ID)
}

// POST /people/{id}/disable {reason} and …/enable: back to the person's
// page, which shows the account's state and why it is disabled.
func (s *Server) peopleSetDisabled(disabled bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		actor, err := signedIn(r)
		if err != nil {
			return err
		}
		id := r.PathValue("id")
		if !disabled {
			if err := s.store.EnableUser(r.Context(), actor, id); err != nil {
				return err
			}
			return redirect(w, r, "/people/"+id+"?done=enabled")
		}
		if err := parseForm(w, r); err != nil {
			return err
		}
		if err := s.store.DisableUser(r.Context(), actor, id, r.PostForm.Get("reason")); err != nil {
			if msg, field, status, ok := formError(err); ok {
				return s.renderPerson(w, r, status, &personForm{Error: msg, Field: field, Form: r.PostForm, Which: "disable"})
			}
			return err
		}
		return redirect(w, r, "/people/"+id+"?done=disabled")
	}
}

type clientsPage struct {
	Layout
	Clients []caseloadRow
	Error   string // of the invitation form
	Field   string
	Form    url.Values
	Find    caseloadFind
}

// caseloadFind is the search, filter and sort form of the caseload
// (issue #18), read from the query so that a view can be bookmarked.
type caseloadFind struct {
	Query, Sort     string
	Flagged, Review bool
	NoContact       string // the no_contact days asked for, "" for none
	Filtered        bool   // a search or filter is on: the page says how many of all match
	Total           int    // the whole caseload
	Error, Field    string
	Sorts           []sortChoice
}

// sortChoice is an order offered in the caseload's sort menu.
type sortChoice struct{ Value, Label string }

// caseloadParams are the query parameters of GET /clients and
// GET /api/v1/clients.
var caseloadParams = []string{"q", "flag", "review", "sort", "no_contact"}

// maxNoContactDays bounds the caseload's no_contact filter: ten years.
const maxNoContactDays = 3650

// caseloadFilter reads the caseload's query parameters: q, part of a name;
// flag and review, true to keep only the clients with an open safety flag
// or with measures to review; no_contact, a number of days, to keep only
// the clients with no contact (care.Need.LastContact) in the days before
// now; sort, one of care.CaseloadSorts.
func caseloadFilter(r *http.Request, now time.Time) (care.CaseloadFilter, error) {
	p, err := queryParams(r, caseloadParams...)
	if err != nil {
		return care.CaseloadFilter{}, err
	}
	f := care.CaseloadFilter{Name: p["q"], Sort: care.CaseloadSort(p["sort"])}
	if v := strings.TrimSpace(p["no_contact"]); v != "" {
		days, err := strconv.Atoi(v)
		if err != nil || days < 1 || days > maxNoContactDays {
			return f, care.FieldError("no_contact", "must be a whole number of days, 1 to %d", maxNoContactDays)
		}
		f.NoContactSince = now.Add(-time.Duration(days) * 24 * time.Hour)
	}
	if utf8.RuneCountInString(f.Name) > 200 {
		return f, care.FieldError("q", "must be at most 200 characters")
	}
	if f.Sort == "" {
		f.Sort = care.SortByNeed
	}
	if !slices.Contains(care.CaseloadSorts, f.Sort) {
		return f, care.FieldError("sort", "must be need, name or session")
	}
	for _, b := range []struct {
		name string
		dst  *bool
	}{{"flag", &f.Flagged}, {"review", &f.Review}} {
		if v := p[b.name]; v != "" {
			if v != "true" && v != "false" {
				return f, care.FieldError(b.name, "must be true or false")
			}
			*b.dst = v == "true"
		}
	}
	return f, nil
}

// caseloadRow is a client in the caseload: why they are where they are.
type caseloadRow struct {
	ID, DisplayName            string
	Reasons                    []care.Reason // in order of need (care.Need.Reasons)
	NextSession, NextSessionAt string        // in the viewer's zone, and as RFC 3339
	LastContact, LastContactAt string        // the same, of care.Need.LastContact; "" for none
}

// GET /clients: the provider's caseload, ordered by need; the provider's home.
func (s *Server) clients(w http.ResponseWriter, r *http.Request) error {
	return s.renderClients(w, r, http.StatusOK, "", "", nil)
}

func (s *Server) renderClients(w http.ResponseWriter, r *http.Request, status int, msg, field string, form url.Values) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if actor.Role != care.RoleProvider {
		return care.ErrNotFound
	}
	find := caseloadFind{Sorts: []sortChoice{{"need", "Need (most first)"}, {"name", "Name"}, {"session", "Next session (soonest first)"}}}
	f, ferr := caseloadFilter(r, s.now())
	if ferr != nil {
		msg, field, code, ok := formError(ferr)
		if !ok {
			return ferr
		}
		if status == http.StatusOK {
			status = code
		}
		find.Error, find.Field, f = msg, field, care.CaseloadFilter{Sort: care.SortByNeed}
	}
	list, err := s.store.Caseload(r.Context(), actor)
	if err != nil {
		return err
	}
	find.Total = len(list)
	find.Query, find.Sort, find.Flagged, find.Review = f.Name, string(f.Sort), f.Flagged, f.Review
	if !f.NoContactSince.IsZero() {
		find.NoContact = strings.TrimSpace(r.URL.Query().Get("no_contact"))
	}
	find.Filtered = f.Name != "" || f.Flagged || f.Review || !f.NoContactSince.IsZero()
	list = care.FilterCaseload(list, f)
	loc, now := zoneOf(actor), s.now()
	rows := make([]caseloadRow, 0, len(list))
	for _, c := range list {
		row := caseloadRow{ID: c.ID, DisplayName: c.DisplayName, Reasons: c.Need.Reasons(now)}
		if n := c.Need.NextSession; n != nil {
			row.NextSession, row.NextSessionAt = n.In(loc).Format("Mon 2 Jan, 15:04"), n.UTC().Format(time.RFC3339)
		}
		if c := c.Need.LastContact; c != nil {
			row.LastContact, row.LastContactAt = c.In(loc).Format("Mon 2 Jan 2006"), c.UTC().Format(time.RFC3339)
		}
		rows = append(rows, row)
	}
	s.renderPage(w, r, status, "clients", &clientsPage{
		Layout: s.layoutNotice(r, "Clients"), Clients: rows, Error: msg, Field: field, Form: form, Find: find,
	})
	return nil
}

// POST /clients/invite: a provider invites a client, who joins their care
// team; on to the page with the link and a QR code to scan on the
// client's phone (post/redirect/get).
func (s *Server) clientsInvite(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	inv, err := s.inviteFromForm(w, r, actor, care.RoleClient)
	if err != nil {
		msg, field, status, ok := formError(err)
		if !ok {
			return err
		}
		return s.renderClients(w, r, status, msg, field, r.PostForm)
	}
	return redirect(w, r, "/invitation-link/"+inv.ID)
}

// timeZones are offered when an account is created; the list is short on
// purpose and a user can be given another zone by an admin later.
var timeZones = []string{
	"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
	"America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico", "America/Toronto", "America/Vancouver",
	"America/Mexico_City", "Europe/London", "Europe/Berlin", "UTC",
}

// passkeyRows lists the actor's passkeys for the account page.
func (s *Server) passkeyRows(r *http.Request, actor care.Actor) ([]passkeyRow, error) {
	keys, err := s.store.Passkeys(r.Context(), actor)
	if err != nil {
		return nil, err
	}
	var out []passkeyRow
	for _, k := range keys {
		row := passkeyRow{ID: k.ID, Name: k.Name, Added: localTime(k.CreatedAt, actor.TimeZone)}
		if !k.LastUsedAt.IsZero() {
			row.LastUsed = localTime(k.LastUsedAt, actor.TimeZone)
		}
		out = append(out, row)
	}
	return out, nil
}

// POST /account/passkeys/{id}/delete
func (s *Server) accountDeletePasskey(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if ok, err := s.freshOrConfirm(w, r, "/account"); !ok {
		return err
	}
	if err := s.store.DeletePasskey(r.Context(), actor, r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, "/account?done=passkey-del")
}

// notAConcernRow is one line of the admin's count of flags closed as "not
// a concern".
type notAConcernRow struct {
	Kind, Level string
	Count       int
}
