package web

import (
	"net/http"
	"net/url"
	"strings"

	"interlude/internal/care"
)

// Step-up for sensitive changes (issue #17, AU-11): adding a second
// factor or a passkey, removing a passkey, new recovery codes, a new
// password or email, and break-glass need the password, and the
// authenticator code where the account has one, entered within the last
// care.StepUpWindow, in this session. A stolen session token alone can
// then neither enrol the thief's authenticator nor mint recovery codes.
// Signing in counts; later, the session confirms again at
// /account/confirm (web) or POST /api/v1/sessions/current/confirm.

// fresh returns nil when the request's session proved its factors within
// care.StepUpWindow, else a care.StepUpRequired error that says how to.
func (s *Server) fresh(r *http.Request) error {
	a := authOf(r)
	if a == nil {
		return care.Errorf(care.Unauthenticated, "sign in first")
	}
	if s.now().Sub(a.session.AuthAt) <= care.StepUpWindow {
		return nil
	}
	return care.Errorf(care.StepUpRequired,
		"this change needs your password (and your authenticator code, if you have one) from the last %d minutes: confirm them first (POST /api/v1/sessions/current/confirm)",
		int(care.StepUpWindow.Minutes()))
}

// freshOrConfirm is fresh for a web form: when the session must confirm
// first, it answers with a redirect to the confirmation page, which comes
// back to next, and reports false.
func (s *Server) freshOrConfirm(w http.ResponseWriter, r *http.Request, next string) (bool, error) {
	err := s.fresh(r)
	if care.ErrorCode(err) != care.StepUpRequired {
		return err == nil, err
	}
	return false, redirect(w, r, "/account/confirm?next="+url.QueryEscape(next))
}

// confirmIdentity checks the signed-in actor's password and, when their
// account has an authenticator app, a fresh code from it, then marks the
// session confirmed now. Wrong answers count towards the account's
// sign-in backoff (AU-05). A passkey-only account confirms with its
// password: a passkey ceremony here is not built yet.
func (s *Server) confirmIdentity(w http.ResponseWriter, r *http.Request, password, code string) error {
	a := authOf(r)
	if a == nil || a.session.Stage != care.StageFull {
		return care.Errorf(care.Unauthenticated, "sign in first")
	}
	creds, err := s.store.Credentials(r.Context(), a.actor)
	if err != nil {
		return err
	}
	totp := creds.TOTPSecret != nil && creds.TOTPConfirmed
	second := secondFactor{}
	if totp {
		second.code = code
	}
	creds, _, checked, err := s.checkPassword(w, r, creds.User.Email, password, second)
	if err != nil {
		if care.ErrorCode(err) == care.Unauthenticated {
			return care.FieldError("password", "is not your password")
		}
		return err
	}
	if totp && !checked {
		if err := s.checkSecondFactor(w, r, creds, second); err != nil {
			if care.ErrorCode(err) == care.MFARequired {
				return care.FieldError("code", "%s", strings.TrimPrefix(err.Error(), "mfa_required: "))
			}
			return err
		}
	}
	return s.store.ConfirmSession(r.Context(), a.actor, a.session.ID)
}

type confirmPage struct {
	Layout
	Next  string
	TOTP  bool
	Error string
	Field string
}

// safeNext is next when it is a local path, else /account.
func safeNext(next string) string {
	if next == "" || !localPath(next) {
		return "/account"
	}
	return next
}

// GET /account/confirm?next=: confirm the password (and code) before a
// sensitive change.
func (s *Server) confirmForm(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	creds, err := s.store.Credentials(r.Context(), actor)
	if err != nil {
		return err
	}
	s.renderPage(w, r, http.StatusOK, "confirm", &confirmPage{Layout: s.layout(r, "Confirm it is you"),
		Next: safeNext(r.URL.Query().Get("next")), TOTP: creds.TOTPSecret != nil && creds.TOTPConfirmed})
	return nil
}

// POST /account/confirm {password, code, next}
func (s *Server) confirmSubmit(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	next := safeNext(r.PostForm.Get("next"))
	if err := s.confirmIdentity(w, r, r.PostForm.Get("password"), r.PostForm.Get("code")); err != nil {
		msg, field, status, ok := formError(err)
		if !ok {
			return err
		}
		creds, cerr := s.store.Credentials(r.Context(), actor)
		if cerr != nil {
			return cerr
		}
		s.renderPage(w, r, status, "confirm", &confirmPage{Layout: s.layout(r, "Confirm it is you"), Next: next,
			TOTP: creds.TOTPSecret != nil && creds.TOTPConfirmed, Error: msg, Field: field})
		return nil
	}
	return redirect(w, r, next)
}

// POST /api/v1/sessions/current/confirm {password, totp_code?}: 204; the
// session may make sensitive changes for care.StepUpWindow.
func (s *Server) apiConfirm(w http.ResponseWriter, r *http.Request) error {
	if _, err := signedIn(r); err != nil {
		return err
	}
	var req struct {
		Password string `json:"password"`
		TOTPCode string `json:"totp_code"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := s.confirmIdentity(w, r, req.Password, req.TOTPCode); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
