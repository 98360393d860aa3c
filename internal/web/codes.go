package web

import (
	"net/http"
	"net/url"
	"strings"

	"interlude/internal/auth"
	"interlude/internal/care"
)

// Recovery codes after an enrolment (issue #17): when someone sets up an
// authenticator app, at their first sign-in as staff, after an admin
// reset theirs, or on their account page, they get ten recovery codes,
// shown once on the page the form redirects to. The codes travel to it
// in a short-lived cookie that the page clears (post/redirect/get: a
// reload shows them no more).

const newCodesCookie = "__Host-new-codes"

// firstRecoveryCodes makes the actor's recovery codes when they have none
// and redirects to the page that shows them, then on to next; with codes
// left, it only redirects to next.
func (s *Server) firstRecoveryCodes(w http.ResponseWriter, r *http.Request, actor care.Actor, next string) error {
	left, err := s.store.RecoveryCodesLeft(r.Context(), actor)
	if err != nil {
		return err
	}
	if left > 0 {
		return redirect(w, r, next)
	}
	codes, hashes := auth.NewRecoveryCodes(10)
	if err := s.store.SetRecoveryCodes(r.Context(), actor, hashes); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: newCodesCookie, Value: strings.Join(codes, "."), Path: "/", MaxAge: 600,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return redirect(w, r, "/account/new-codes?next="+url.QueryEscape(safeNext(next)))
}

type newCodesPage struct {
	Layout
	Codes []string
	Next  string
}

// GET /account/new-codes?next=: the recovery codes just made, once.
func (s *Server) newCodes(w http.ResponseWriter, r *http.Request) error {
	if _, err := signedIn(r); err != nil {
		return err
	}
	next := safeNext(r.URL.Query().Get("next"))
	c, err := r.Cookie(newCodesCookie)
	if err != nil || c.Value == "" {
		return redirect(w, r, next)
	}
	http.SetCookie(w, &http.Cookie{Name: newCodesCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.Header().Set("Cache-Control", "no-store")
	s.renderPage(w, r, http.StatusOK, "new_codes", &newCodesPage{Layout: s.layout(r, "Your recovery codes"), Codes: strings.Split(c.Value, "."), Next: next})
	return nil
}
