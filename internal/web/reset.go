package web

import (
	"html/template"
	"net/http"
	"strings"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
)

// Password recovery (issue #17). Nobody can read a password back, so a
// forgotten one is replaced through a single-use link:
//
//   - always, a reset link that a provider (for a client of their care
//     team) or an admin (for anyone of the clinic) makes and hands over
//     in person, with a QR code, like an invitation;
//   - when the server sends email, "Forgot your password?" on the sign-in
//     page mails one, valid 30 minutes, and answers the same whether or not
//     the address has an account (AU-07).
//
// A reset sets the password and ends every session of the user; it never
// touches the second factor: a staff member who lost theirs asks an admin
// (POST /people/{id}/mfa-reset).

// ResetLinkLifetime is how long a reset link handed over in person works;
// ResetEmailLifetime one sent by email.
const (
	ResetLinkLifetime  = 24 * time.Hour
	ResetEmailLifetime = 30 * time.Minute
)

// How many reset emails a mailbox may be asked for in an hour, and how
// many requests one source address may make.
const (
	resetsPerHour    = 3
	resetsPerAddress = 20
)

// resetCookie holds a reset link's token once opened, so that it leaves
// the address bar (as the invitation's); resetLinkCookie holds a link just
// made, "user id.token", for the page that shows it (post/redirect/get).
const (
	resetCookie     = "__Host-reset"
	resetLinkCookie = "__Host-reset-link"
)

func (s *Server) resetURL(token string) string { return s.baseURL + "/reset/" + token }

// createReset makes a reset link for user id as actor, and its token.
func (s *Server) createReset(r *http.Request, actor care.Actor, id string) (*store.PasswordReset, string, error) {
	token, hash := auth.NewInvitationToken()
	reset, err := s.store.CreatePasswordReset(r.Context(), actor, id, hash, ResetLinkLifetime)
	return reset, token, err
}

// POST /clients/{id}/password-reset (a provider, for a client of theirs)
// and POST /people/{id}/password-reset (an admin): make a reset link and
// show it (resetLinkPage).
func (s *Server) resetLinkCreate(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, token, err := s.createReset(r, actor, id); err != nil {
		return err
	} else {
		http.SetCookie(w, &http.Cookie{Name: resetLinkCookie, Value: id + "." + token, Path: "/", MaxAge: 900,
			Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	}
	return redirect(w, r, "/password-reset-link/"+id)
}

type resetLinkPage struct {
	Layout
	Name      string
	URL       string
	QR        template.URL
	Expires   string
	MFA       bool
	Localhost bool // the link names localhost: it works on this computer only
	Back      string
}

// GET /password-reset-link/{id}: the reset link just made for user id, to
// hand over; its token is in the maker's cookie only, never in an address.
func (s *Server) resetLinkPage(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	c, err := r.Cookie(resetLinkCookie)
	user, token, ok := "", "", false
	if err == nil {
		user, token, ok = strings.Cut(c.Value, ".")
	}
	if !ok || user != id || !auth.ValidToken(token) {
		return care.Errorf(care.NotFound, "this reset link is no longer shown here; make a new one")
	}
	reset, err := s.store.OpenPasswordReset(r.Context(), auth.HashToken(token))
	if care.ErrorCode(err) == care.NotFound {
		return care.Errorf(care.NotFound, "this reset link was used or replaced; make a new one")
	} else if err != nil {
		return err
	}
	if reset.UserID != id || reset.ClinicID != actor.ClinicID {
		return care.ErrNotFound
	}
	p := &resetLinkPage{Layout: s.layout(r, "Password reset link"), URL: s.resetURL(token), MFA: reset.MFA,
		Expires: localTime(reset.ExpiresAt, actor.TimeZone), Back: "/people/" + id}
	if actor.Role == care.RoleProvider {
		client, err := s.store.Client(r.Context(), actor, id)
		if err != nil {
			return err
		}
		p.Name, p.Back = client.DisplayName, "/clients/"+id
	} else if u, err := s.store.User(r.Context(), actor.ClinicID, id); err == nil {
		p.Name = u.DisplayName
	} else {
		return err
	}
	if p.QR, err = qrDataURL(p.URL); err != nil {
		return err
	}
	p.Localhost = s.localBaseURL()
	w.Header().Set("Cache-Control", "no-store")
	s.renderPage(w, r, http.StatusOK, "reset_link", p)
	return nil
}

// GET /reset/{token}: keep the token in a cookie and drop it from the
// address bar.
func (s *Server) resetOpen(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	if _, err := s.openReset(r, token); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: resetCookie, Value: token, Path: "/", MaxAge: 1800,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return redirect(w, r, "/reset")
}

var errResetGone = &care.Error{Code: care.NotFound,
	Message: "this password reset link has expired, was used or was replaced by a newer one; ask for a new one"}

func (s *Server) openReset(r *http.Request, token string) (*store.PasswordReset, error) {
	if !auth.ValidToken(token) {
		return nil, errResetGone
	}
	reset, err := s.store.OpenPasswordReset(r.Context(), auth.HashToken(token))
	if care.ErrorCode(err) == care.NotFound {
		return nil, errResetGone
	}
	return reset, err
}

type resetPage struct {
	Layout
	MinLength int
	MFA       bool
	Error     string
}

func (s *Server) resetPageData(r *http.Request, reset *store.PasswordReset) *resetPage {
	p := &resetPage{Layout: s.layout(r, "Set a new password"), MinLength: auth.MinPasswordLength, MFA: reset.MFA || reset.Role.Staff()}
	if p.MFA {
		p.MinLength = auth.MinPasswordLengthMFA
	}
	return p
}

// GET /reset: the form for a new password.
func (s *Server) resetForm(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(resetCookie)
	if err != nil {
		return errResetGone
	}
	reset, err := s.openReset(r, c.Value)
	if err != nil {
		return err
	}
	s.renderPage(w, r, http.StatusOK, "reset", s.resetPageData(r, reset))
	return nil
}

// POST /reset {password, confirm}: set it, and on to sign in.
func (s *Server) resetSubmit(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(resetCookie)
	if err != nil {
		return errResetGone
	}
	reset, err := s.openReset(r, c.Value)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	password := r.PostForm.Get("password")
	if password != r.PostForm.Get("confirm") {
		err = care.FieldError("confirm", "does not match the new password")
	} else {
		err = s.resetPassword(r, c.Value, reset, password)
	}
	if err != nil {
		msg, _, status, ok := formError(err)
		if !ok {
			return err
		}
		p := s.resetPageData(r, reset)
		p.Error = msg
		s.renderPage(w, r, status, "reset", p)
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: resetCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	clearSessionCookie(w)
	return redirect(w, r, "/signin?done=password-reset")
}

// resetPassword checks password against the policy (AU-02, AU-03) and
// uses the reset of token.
func (s *Server) resetPassword(r *http.Request, token string, reset *store.PasswordReset, password string) error {
	clinic, err := s.store.Clinic(r.Context(), reset.ClinicID)
	if err != nil {
		return err
	}
	u, err := s.store.User(r.Context(), reset.ClinicID, reset.UserID)
	if err != nil {
		return err
	}
	local, _, _ := strings.Cut(u.Email, "@")
	if err := s.policy.Check(password, reset.MFA || reset.Role.Staff(), clinic.Name, local); err != nil {
		return care.FieldError("password", "%s", err.Error())
	}
	hash, err := auth.HashPassword(s.passwords, password)
	if err != nil {
		return care.FieldError("password", "cannot be used")
	}
	if _, err := s.store.ResetPassword(r.Context(), auth.HashToken(token), hash); err != nil {
		if care.ErrorCode(err) == care.NotFound {
			return errResetGone
		}
		return err
	}
	return s.store.ResetLoginFailures(r.Context(), store.AccountKey(u.Email))
}

type forgotPage struct {
	Layout
	Email   bool // the server sends email: the form is offered
	Sent    bool
	Address string
	Error   string
}

// GET /signin/forgot: "Forgot your password?"
func (s *Server) forgotForm(w http.ResponseWriter, r *http.Request) error {
	p := &forgotPage{Layout: s.layout(r, "Forgot your password?"), Email: s.notify.Email, Sent: r.URL.Query().Get("done") == "sent"}
	s.renderPage(w, r, http.StatusOK, "forgot", p)
	return nil
}

// POST /signin/forgot {email}: mail a reset link if the address has an
// account; the answer is the same either way (AU-07), and requests are
// throttled per address and per email as sign-in is.
func (s *Server) forgotSubmit(w http.ResponseWriter, r *http.Request) error {
	if !s.notify.Email {
		return care.ErrNotFound
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	if err := s.requestReset(w, r, email); err != nil {
		msg, _, status, ok := formError(err)
		if !ok {
			return err
		}
		s.renderPage(w, r, status, "forgot", &forgotPage{Layout: s.layout(r, "Forgot your password?"), Email: true, Address: email, Error: msg})
		return nil
	}
	return redirect(w, r, "/signin/forgot?done=sent")
}

// requestReset throttles and stores a request for a reset by email.
func (s *Server) requestReset(w http.ResponseWriter, r *http.Request, email string) error {
	if !strings.Contains(email, "@") || len(email) > 320 {
		return care.FieldError("email", "is not an email address")
	}
	// Every request counts, found or not: a mailbox gets at most
	// resetsPerHour links an hour, and an address resetsPerAddress
	// requests, whatever they ask for.
	keys := []string{store.AccountKey("reset:" + strings.ToLower(email)), store.AddressKey("reset:" + clientAddr(r))}
	limits := []int{resetsPerHour, resetsPerAddress}
	_, wait, err := s.store.TakeLoginAttempt(r.Context(), keys, time.Hour, func(i, n int, last time.Time) time.Duration {
		if n < limits[i] {
			return 0
		}
		return max(time.Second, time.Hour-s.now().Sub(last))
	})
	if err != nil {
		return err
	}
	if wait > 0 {
		return rateLimited(w, wait)
	}
	return s.store.RequestPasswordReset(r.Context(), email, ResetEmailLifetime)
}

// POST /people/{id}/mfa-reset: an admin resets a person's second factor;
// they set up a new one at their next sign-in.
func (s *Server) personMFAReset(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := s.store.ResetSecondFactor(r.Context(), actor, id, auth.NewTOTPSecret()); err != nil {
		return err
	}
	return redirect(w, r, "/people/"+id+"?done=mfa-reset")
}

// ---- API ----

// POST /api/v1/users/{id}/password-reset: a reset link for a client of
// the caller's care team (a provider) or anyone of the clinic (an admin);
// 201 {url, expires_at}.
func (s *Server) apiResetLink(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	reset, token, err := s.createReset(r, actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, map[string]any{"url": s.resetURL(token), "expires_at": reset.ExpiresAt})
}

// POST /api/v1/password-resets {email}: mail a reset link when the server
// sends email and the address has an account; 202 either way.
func (s *Server) apiForgot(w http.ResponseWriter, r *http.Request) error {
	if !s.notify.Email {
		return care.Errorf(care.NotFound, "this server does not send email: ask your provider or your clinic's admin for a reset link")
	}
	var req struct {
		Email string `json:"email"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := s.requestReset(w, r, strings.TrimSpace(req.Email)); err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, map[string]any{})
}

// GET /api/v1/password-resets/{token}: what a reset link is for.
func (s *Server) apiReset(w http.ResponseWriter, r *http.Request) error {
	reset, err := s.openReset(r, r.PathValue("token"))
	if err != nil {
		return err
	}
	p := s.resetPageData(r, reset)
	return writeJSON(w, http.StatusOK, map[string]any{"expires_at": reset.ExpiresAt, "min_length": p.MinLength, "mfa": p.MFA})
}

// POST /api/v1/password-resets/{token} {password}: set the new password;
// 204. Every session of the user ends.
func (s *Server) apiResetUse(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	reset, err := s.openReset(r, token)
	if err != nil {
		return err
	}
	var req struct {
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := s.resetPassword(r, token, reset, req.Password); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// POST /api/v1/users/{id}/mfa-reset: an admin resets a person's second
// factor; 204.
func (s *Server) apiMFAReset(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := s.store.ResetSecondFactor(r.Context(), actor, r.PathValue("id"), auth.NewTOTPSecret()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
