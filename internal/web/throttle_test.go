package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"interlude/internal/auth"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestThrottleNoLockoutWithBothFactors (AU-05, issue #17): wrong guesses
// from another address put the provider's account into backoff, yet the
// owner, who has the password and a fresh authenticator code, signs in at
// once, on the API and on the web form. During the backoff a guess is
// answered 429 whatever it holds, so the backoff still tells a guesser
// nothing; only both factors together get past it.
func TestThrottleNoLockoutWithBothFactors(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "Lockout")
		u := c.Provider
		e.setPassword(t, u)
		e.enrollTOTP(t, u)
		const attacker, owner = "203.0.113.66:4000", "198.51.100.7:4000"
		api := func(addr string, body map[string]string) *httptest.ResponseRecorder {
			t.Helper()
			return e.send(t, envRequest{method: "POST", path: "/api/v1/sessions", remoteAddr: addr, body: body})
		}
		web := func(addr string, v url.Values) *httptest.ResponseRecorder {
			t.Helper()
			return e.send(t, envRequest{method: "POST", path: "/signin", remoteAddr: addr,
				body: v.Encode(), contentType: "application/x-www-form-urlencoded"})
		}
		guess := func(n int) {
			t.Helper()
			// Ten wrong guesses over about 65 seconds, as in the report.
			for i := range n {
				api(attacker, map[string]string{"email": u.Email, "password": fmt.Sprintf("guess %d", i)})
				db.Clock.Advance(6500 * time.Millisecond)
			}
			rec := api(attacker, map[string]string{"email": u.Email, "password": "one more guess"})
			expect(t, rec, http.StatusTooManyRequests, "rate_limited", "the guesser")
		}
		guess(10)

		// The guesser's answers during the backoff are the same whatever
		// the guess holds: a wrong code with the right password, or a
		// wrong password with a code, says nothing about the password.
		wrongCode := api(attacker, map[string]string{"email": u.Email, "password": goodPassword, "totp_code": "000000"})
		wrongPassword := api(attacker, map[string]string{"email": u.Email, "password": "nope", "totp_code": "000000"})
		for _, rec := range []*httptest.ResponseRecorder{wrongCode, wrongPassword} {
			expect(t, rec, http.StatusTooManyRequests, "rate_limited", "a guess during the backoff")
		}
		if wrongCode.Body.String() != wrongPassword.Body.String() ||
			wrongCode.Header().Get("Retry-After") != wrongPassword.Header().Get("Retry-After") {
			t.Errorf("the right password with a wrong code answers %s (Retry-After %s), a wrong one %s (Retry-After %s)",
				wrongCode.Body, wrongCode.Header().Get("Retry-After"), wrongPassword.Body, wrongPassword.Header().Get("Retry-After"))
		}
		// A wrong code with the right password counts against the
		// second factor's own counter, so codes cannot be guessed freely
		// during the backoff either; a wrong password moves nothing there.
		var mfaFailures int
		if err := db.Engine.SQLDB().QueryRow(`SELECT failures FROM login_failures WHERE key = $1`,
			store.SecondFactorKey(u.ID)).Scan(&mfaFailures); err != nil || mfaFailures != 1 {
			t.Errorf("second-factor failures %d (%v), want 1", mfaFailures, err)
		}
		// The right password alone is refused during the backoff too.
		expect(t, api(owner, map[string]string{"email": u.Email, "password": goodPassword}),
			http.StatusTooManyRequests, "rate_limited", "the right password without a code")

		// The owner, with both factors: the API...
		rec := api(owner, map[string]string{"email": u.Email, "password": goodPassword, "totp_code": e.nextCode(t, u.Email)})
		expect(t, rec, http.StatusCreated, "", "the owner with password and code on the API")

		// ...and the web form, after a fresh round of guesses: its 429
		// page asks for a code with the password.
		guess(10)
		rec = web(owner, url.Values{"email": {u.Email}, "password": {goodPassword}})
		if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), `name="code"`) {
			t.Errorf("the web form during a backoff: %d, with a code field: %v", rec.Code, strings.Contains(rec.Body.String(), `name="code"`))
		}
		rec = web(owner, url.Values{"email": {u.Email}, "password": {goodPassword}, "code": {e.nextCode(t, u.Email)}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
			t.Fatalf("the owner with password and code on the web form: %d %s %q", rec.Code, rec.Header().Get("Location"),
				strings.TrimSpace(rec.Body.String()))
		}
		token := sessionCookieOf(t, rec)
		got := respJSON[sessionsJSON](t, e.call(t, "GET", "/api/v1/sessions", token, nil))
		for _, s := range got.Sessions {
			if s.Current && !s.MFA {
				t.Errorf("the web session did not pass the second factor: %+v", s)
			}
		}

		// Once the backoff is over, signing in does not renew it: the
		// two-step web form goes through both steps.
		guess(10)
		db.Clock.Advance(auth.MaxBackoff)
		rec = web(owner, url.Values{"email": {u.Email}, "password": {goodPassword}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/signin/mfa" {
			t.Fatalf("the password step after the backoff: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		pending := sessionCookieOf(t, rec)
		rec = e.send(t, envRequest{method: "POST", path: "/signin/mfa", remoteAddr: owner, token: pending,
			body: url.Values{"code": {e.nextCode(t, u.Email)}}.Encode(), contentType: "application/x-www-form-urlencoded"})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
			t.Fatalf("the code step after the backoff: %d %s %q", rec.Code, rec.Header().Get("Location"), strings.TrimSpace(rec.Body.String()))
		}
	})
}

// sessionCookieOf returns the session token a response sets.
func sessionCookieOf(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.Name == cookieName && c.Value != "" {
			return c.Value
		}
	}
	t.Fatalf("no session cookie in %v", rec.Header())
	return ""
}
