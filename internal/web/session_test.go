package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// sessionClockJSON is the answer of POST /api/v1/sessions/current/touch.
type sessionClockJSON struct {
	IdleSeconds      int `json:"idle_seconds"`
	ExpiresInSeconds int `json:"expires_in_seconds"`
}

// TestSessionTouch (issue #18): "Stay signed in" moves the session's
// last-seen time on the server, so a session touched shortly before its
// idle limit is still valid after a time that ends an untouched session
// signed in with it; the answer says how long the session now has left.
// Signed-in pages tell session.js the idle limit of the user's role and
// the time left; signed-out pages tell it nothing.
func TestSessionTouch(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "Touch")
		for _, u := range []care.User{c.Client, c.Provider} {
			e.setPassword(t, u)
		}
		e.enrollTOTP(t, c.Provider)
		policy := care.DefaultSessionPolicy()

		for _, tc := range []struct {
			who  string
			user care.User
			idle time.Duration
		}{
			{"client", c.Client, policy.ClientIdle},
			{"provider", c.Provider, policy.StaffIdle},
		} {
			t.Run(tc.who, func(t *testing.T) {
				touched, untouched := e.signIn(t, tc.user), e.signIn(t, tc.user)
				db.Clock.Advance(tc.idle - time.Minute)
				rec := e.call(t, "POST", "/api/v1/sessions/current/touch", touched, nil)
				expect(t, rec, http.StatusOK, "", "touching a session a minute before its idle limit")
				got := respJSON[sessionClockJSON](t, rec)
				want := sessionClockJSON{IdleSeconds: int(tc.idle / time.Second), ExpiresInSeconds: int(tc.idle / time.Second)}
				if got != want {
					t.Errorf("touch answered %+v, want %+v", got, want)
				}
				db.Clock.Advance(tc.idle - time.Minute) // twice the limit less two minutes since signing in
				expect(t, e.call(t, "GET", "/api/v1/me", touched, nil), http.StatusOK, "",
					"the touched session, idle for less than its limit since the touch")
				expect(t, e.call(t, "GET", "/api/v1/me", untouched, nil), http.StatusUnauthorized, "unauthenticated",
					"the untouched session, idle for longer than its limit")
				db.Clock.Advance(tc.idle + time.Second)
				expect(t, e.call(t, "POST", "/api/v1/sessions/current/touch", touched, nil), http.StatusUnauthorized, "unauthenticated",
					"touching a session that has ended")
			})
		}

		t.Run("absolute limit", func(t *testing.T) {
			tok := e.signIn(t, c.Client)
			for range 23 { // 11.5 hours of activity
				db.Clock.Advance(30 * time.Minute)
				expect(t, e.call(t, "POST", "/api/v1/sessions/current/touch", tok, nil), http.StatusOK, "", "an active session")
			}
			db.Clock.Advance(20 * time.Minute)
			rec := e.call(t, "POST", "/api/v1/sessions/current/touch", tok, nil)
			expect(t, rec, http.StatusOK, "", "an active session ten minutes before 12 hours")
			if got := respJSON[sessionClockJSON](t, rec).ExpiresInSeconds; got != 600 {
				t.Errorf("ten minutes before the absolute limit, the session has %d seconds left, want 600", got)
			}
		})

		t.Run("pages", func(t *testing.T) {
			tok := e.signIn(t, c.Client)
			db.Clock.Advance(10 * time.Second) // less than touchEvery: the page does not move last-seen
			page := e.send(t, envRequest{method: "GET", path: "/", header: map[string]string{"Cookie": cookieName + "=" + tok}})
			expect(t, page, http.StatusOK, "", "the client's home page")
			body := page.Body.String()
			idle := int(policy.ClientIdle / time.Second)
			for _, want := range []string{
				fmt.Sprintf(`data-session-idle="%d" data-session-left="%d"`, idle, idle-10),
				`/static/session.`, `id="session-warning"`, `Stay signed in`, `id="session-ended"`,
			} {
				if !strings.Contains(body, want) {
					t.Errorf("the signed-in home page lacks %q", want)
				}
			}
			signedOut := e.call(t, "GET", "/signin", "", nil).Body.String()
			for _, unwanted := range []string{`data-session-`, `session.js`, `/static/session.`, `id="session-warning"`} {
				if strings.Contains(signedOut, unwanted) {
					t.Errorf("the sign-in page has %q", unwanted)
				}
			}
		})
	})
}
