package web

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
)

// cookieName is the web session cookie. The __Host- prefix makes browsers
// insist on Secure, Path=/ and no Domain (SE-04).
const cookieName = "__Host-sid"

const actorKey ctxKey = iota + 100

type authInfo struct {
	actor   care.Actor
	session *care.Session
	token   string
}

// sessionToken returns the token a request carries: a bearer token for API
// clients, else the session cookie.
func sessionToken(r *http.Request) (token string, bearer bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok), true
		}
		return "", true
	}
	if c, err := r.Cookie(cookieName); err == nil {
		return c.Value, false
	}
	return "", false
}

// authenticate resolves the request's session, if any, into the context.
// It never refuses a request: handlers say what they need.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, _ := sessionToken(r)
		// /metrics has its own token (metrics.go), never a session's.
		if token == "" || !auth.ValidToken(token) || strings.HasPrefix(r.URL.Path, "/static/") || r.URL.Path == "/healthz" || r.URL.Path == "/metrics" {
			next.ServeHTTP(w, r)
			return
		}
		actor, sess, err := s.store.Authenticate(r.Context(), auth.HashToken(token), s.sessions, true)
		if err != nil {
			if care.ErrorCode(err) != care.Unauthenticated {
				s.renderError(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		ctx := context.WithValue(r.Context(), actorKey, &authInfo{actor: actor, session: sess, token: token})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func authOf(r *http.Request) *authInfo {
	a, _ := r.Context().Value(actorKey).(*authInfo)
	return a
}

// signedIn returns the actor of a fully signed-in session, or an
// Unauthenticated error.
func signedIn(r *http.Request) (care.Actor, error) {
	a := authOf(r)
	if a == nil || a.session.Stage != care.StageFull {
		return care.Actor{}, care.Errorf(care.Unauthenticated, "sign in first")
	}
	return a.actor, nil
}

// setSessionCookie gives the browser its session token.
func setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		Value:    token,
		Path:     "/",
		Secure:   true,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

func clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

// clientAddr is the request's source address, for throttling. Without a
// configured proxy, only the TCP peer is trusted.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// rateLimited answers 429 with a Retry-After header.
func rateLimited(w http.ResponseWriter, wait time.Duration) error {
	secs := int(wait.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return care.Errorf(care.RateLimited, "too many attempts; try again in %d seconds", secs)
}

// sessionClock is what session.js knows of the current session: the idle
// limit of the user's role and how long the session has left, in whole
// seconds. It holds no time of day, so the browser's clock does not
// matter; the server still decides when a session ends (AC-07).
type sessionClock struct {
	IdleSeconds int // the idle limit for the user's role
	LeftSeconds int // until the session ends: idle or absolute limit, whichever is first; rounded up
}

// sessionClockOf measures the session of a, as its last-seen time stands
// after this request's touch (Authenticate).
func (s *Server) sessionClockOf(a *authInfo) *sessionClock {
	idle := s.sessions.ClientIdle
	if a.actor.Role.Staff() {
		idle = s.sessions.StaffIdle
	}
	now := s.now()
	left := idle - now.Sub(a.session.LastSeenAt)
	if abs := s.sessions.Absolute - now.Sub(a.session.CreatedAt); abs < left {
		left = abs
	}
	// Rounded up: the page must not say the session has ended while the
	// server still holds it.
	return &sessionClock{IdleSeconds: int(idle / time.Second), LeftSeconds: max(0, int((left+time.Second-1)/time.Second))}
}

// POST /api/v1/sessions/current/touch: the signed-in person is still
// there (they pressed "Stay signed in", or they are typing), so their
// session's idle time starts again. It answers how long the session now
// has left.
//
// The touch itself is authenticate's: every signed-in request moves the
// session's last-seen time once it is touchEvery old (a sixtieth of the
// idle limit, at most a minute), and session.js calls this at most once a
// minute and when the warning shows, two minutes before the limit, so the
// call always moves it. The absolute limit is not moved by anything.
func (s *Server) apiTouchSession(w http.ResponseWriter, r *http.Request) error {
	if _, err := signedIn(r); err != nil {
		return err
	}
	c := s.sessionClockOf(authOf(r))
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, map[string]any{"idle_seconds": c.IdleSeconds, "expires_in_seconds": c.LeftSeconds})
}
