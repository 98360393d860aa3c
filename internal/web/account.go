package web

import (
	"net/http"
	"strings"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
)

// Self-service on the account page (issue #17): a person's name, time
// zone and language; their password (the current one required); their
// email, confirmed from the new address when the server sends email.
// Changing the password or the email is a sensitive change: the form asks
// for the current password, and the authenticator code when the session
// has not confirmed it in the last minutes (stepup.go).

// EmailChangeLifetime is how long the link that confirms a new email
// address works.
const EmailChangeLifetime = 24 * time.Hour

// languageNames name the languages in themselves.
var languageNames = map[string]string{"en": "English", "es": "Español (Spanish)"}

type languageOption struct{ Code, Name string }

func languageOptions() []languageOption {
	var out []languageOption
	for _, c := range store.Languages {
		out = append(out, languageOption{c, languageNames[c]})
	}
	return out
}

// accountForms is the account page's self-service part.
type accountForms struct {
	Profile   store.Profile
	TimeZones []string
	Languages []languageOption
	AskCode   bool   // the password and email forms need an authenticator code: the session has not confirmed lately
	EmailOn   bool   // a new email is confirmed by a link to it
	Form      string // the form an error is about: profile, password, email
	FormError string
	Field     string
	NewEmail  string
}

// accountForms fills the self-service part of the account page.
func (s *Server) accountForms(r *http.Request, actor care.Actor, creds *care.Credentials) (*accountForms, error) {
	p, err := s.store.Profile(r.Context(), actor)
	if err != nil {
		return nil, err
	}
	return &accountForms{Profile: p, TimeZones: allTimeZones, Languages: languageOptions(), EmailOn: s.notify.Email,
		AskCode: creds.TOTPSecret != nil && creds.TOTPConfirmed && s.fresh(r) != nil}, nil
}

// renderAccountForm renders the account page with a refused form's error
// and what was typed in it (never a password).
func (s *Server) renderAccountForm(w http.ResponseWriter, r *http.Request, actor care.Actor, form string, err error, keep func(f *accountForms)) error {
	msg, field, status, ok := formError(err)
	if !ok {
		return err
	}
	p, perr := s.accountData(r, actor)
	if perr != nil {
		return perr
	}
	p.Forms.Form, p.Forms.FormError, p.Forms.Field = form, msg, field
	if keep != nil {
		keep(p.Forms)
	}
	s.renderPage(w, r, status, "account", p)
	return nil
}

// checkCurrent checks the password a sensitive form carries: with the
// authenticator code too when the session has not confirmed lately
// (confirmIdentity, which then marks it confirmed), alone otherwise.
func (s *Server) checkCurrent(w http.ResponseWriter, r *http.Request, password, code string) error {
	if s.fresh(r) != nil {
		return s.confirmIdentity(w, r, password, code)
	}
	a := authOf(r)
	creds, err := s.store.Credentials(r.Context(), a.actor)
	if err != nil {
		return err
	}
	if _, _, _, err := s.checkPassword(w, r, creds.User.Email, password, secondFactor{}); err != nil {
		if care.ErrorCode(err) == care.Unauthenticated {
			return care.FieldError("password", "is not your password")
		}
		return err
	}
	return nil
}

// POST /account/profile {display_name, time_zone, language}
func (s *Server) accountProfile(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	p := store.Profile{DisplayName: f.Get("display_name"), TimeZone: strings.TrimSpace(f.Get("time_zone")), Language: f.Get("language")}
	if err := s.store.UpdateProfile(r.Context(), actor, p); err != nil {
		return s.renderAccountForm(w, r, actor, "profile", err, func(a *accountForms) { a.Profile = p })
	}
	return redirect(w, r, "/account?done=profile#profile")
}

// changePassword checks the current password (and code), the new one
// against the policy (AU-02, AU-03), and sets it; the caller's other
// sessions end.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, actor care.Actor, current, code, next, confirm string) error {
	if next != confirm {
		return care.FieldError("confirm", "does not match the new password")
	}
	if err := s.checkCurrent(w, r, current, code); err != nil {
		if e, ok := err.(*care.Error); ok && e.Field == "password" {
			return care.FieldError("current_password", "is not your password")
		}
		return err
	}
	creds, err := s.store.Credentials(r.Context(), actor)
	if err != nil {
		return err
	}
	clinic, err := s.store.Clinic(r.Context(), actor.ClinicID)
	if err != nil {
		return err
	}
	local, _, _ := strings.Cut(creds.User.Email, "@")
	if err := s.policy.Check(next, creds.MFARequired(), clinic.Name, local); err != nil {
		return care.FieldError("new_password", "%s", err.Error())
	}
	hash, err := auth.HashPassword(s.passwords, next)
	if err != nil {
		return care.FieldError("new_password", "cannot be used")
	}
	return s.store.ChangePassword(r.Context(), actor, hash)
}

// POST /account/password {current_password, code?, new_password, confirm}
func (s *Server) accountPassword(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	if err := s.changePassword(w, r, actor, f.Get("current_password"), f.Get("code"), f.Get("new_password"), f.Get("confirm")); err != nil {
		return s.renderAccountForm(w, r, actor, "password", err, nil)
	}
	return redirect(w, r, "/account?done=password#password")
}

// changeEmail checks the password (and code) and changes the email: at
// once without email, else by a link to the new address. It reports
// whether a link was sent.
func (s *Server) changeEmail(w http.ResponseWriter, r *http.Request, actor care.Actor, email, password, code string) (bool, error) {
	if err := s.checkCurrent(w, r, password, code); err != nil {
		return false, err
	}
	if s.notify.Email {
		return true, s.store.RequestEmailChange(r.Context(), actor, email, EmailChangeLifetime)
	}
	return false, s.store.SetEmail(r.Context(), actor, email)
}

// POST /account/email {email, password, code?}
func (s *Server) accountEmail(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	sent, err := s.changeEmail(w, r, actor, f.Get("email"), f.Get("password"), f.Get("code"))
	if err != nil {
		return s.renderAccountForm(w, r, actor, "email", err, func(a *accountForms) { a.NewEmail = f.Get("email") })
	}
	if sent {
		return redirect(w, r, "/account?done=email-sent#email")
	}
	return redirect(w, r, "/account?done=email#email")
}

type emailConfirmPage struct {
	Layout
	Token string
}

// GET /email-confirm/{token}: a page with a button, so that a link
// scanner opening the email's link changes nothing.
func (s *Server) emailConfirmForm(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	if !auth.ValidToken(token) {
		return errEmailLinkGone
	}
	w.Header().Set("Cache-Control", "no-store")
	s.renderPage(w, r, http.StatusOK, "email_confirm", &emailConfirmPage{Layout: s.layout(r, "Confirm your new email"), Token: token})
	return nil
}

var errEmailLinkGone = &care.Error{Code: care.NotFound,
	Message: "this link has expired, was used or was replaced by a newer one; change your email again from your account page"}

// confirmEmail uses an email confirmation token.
func (s *Server) confirmEmail(r *http.Request, token string) error {
	if !auth.ValidToken(token) {
		return errEmailLinkGone
	}
	err := s.store.ConfirmEmailChange(r.Context(), auth.HashToken(token))
	if care.ErrorCode(err) == care.NotFound {
		return errEmailLinkGone
	}
	return err
}

// POST /email-confirm {token}
func (s *Server) emailConfirmSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.confirmEmail(r, r.PostForm.Get("token")); err != nil {
		return err
	}
	if _, err := signedIn(r); err == nil {
		return redirect(w, r, "/account?done=email#email")
	}
	return redirect(w, r, "/signin?done=email")
}

// ---- API ----

// PATCH /api/v1/me {display_name?, time_zone?, language?}: the caller's
// own profile; 200 with it.
func (s *Server) apiUpdateMe(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		DisplayName *string `json:"display_name"`
		TimeZone    *string `json:"time_zone"`
		Language    *string `json:"language"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	p, err := s.store.Profile(r.Context(), actor)
	if err != nil {
		return err
	}
	for _, set := range []struct {
		to   *string
		from *string
	}{{&p.DisplayName, req.DisplayName}, {&p.TimeZone, req.TimeZone}, {&p.Language, req.Language}} {
		if set.from != nil {
			*set.to = *set.from
		}
	}
	if err := s.store.UpdateProfile(r.Context(), actor, p); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"display_name": p.DisplayName, "time_zone": p.TimeZone, "language": p.Language})
}

// POST /api/v1/me/password {current_password, new_password, totp_code?}:
// 204; the caller's other sessions end.
func (s *Server) apiChangePassword(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		Current  string `json:"current_password"`
		New      string `json:"new_password"`
		TOTPCode string `json:"totp_code"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := s.changePassword(w, r, actor, req.Current, req.TOTPCode, req.New, req.New); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// POST /api/v1/me/email {email, password, totp_code?}: 200
// {"status": "changed"} without email, {"status": "confirmation_sent"}
// when a link went to the new address.
func (s *Server) apiChangeEmail(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		TOTPCode string `json:"totp_code"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	sent, err := s.changeEmail(w, r, actor, req.Email, req.Password, req.TOTPCode)
	if err != nil {
		return err
	}
	status := "changed"
	if sent {
		status = "confirmation_sent"
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": status})
}

// POST /api/v1/email-changes/{token}: confirm a new email address; 204.
func (s *Server) apiConfirmEmail(w http.ResponseWriter, r *http.Request) error {
	if err := s.confirmEmail(r, r.PathValue("token")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
