package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"interlude/internal/store/storetest"
)

// TestStepUp (issue #17, AU-11): a session that signed in more than five
// minutes ago, say a stolen token, can neither enrol an authenticator nor
// mint recovery codes nor remove a passkey until it confirms the password
// (and the authenticator code where there is one); confirming counts for
// five minutes; wrong answers change nothing; the web forms send the
// caller to confirm and back.
func TestStepUp(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		db.Clock.Advance(6 * time.Minute)
		for _, path := range []string{"/api/v1/me/totp", "/api/v1/me/recovery-codes", "/api/v1/me/passkeys/register/begin"} {
			expect(t, e.call(t, "POST", path, e.client, nil), http.StatusForbidden, "step_up_required", "a stale client session: "+path)
		}
		if n := e.count(t, "recovery_codes"); n != 0 {
			t.Fatalf("%d recovery codes after refused requests", n)
		}
		confirm := "/api/v1/sessions/current/confirm"
		expect(t, e.call(t, "POST", confirm, e.client, map[string]string{"password": "not it at all, sorry"}), http.StatusBadRequest, "invalid", "a wrong password")
		expect(t, e.call(t, "POST", "/api/v1/me/totp", e.client, nil), http.StatusForbidden, "step_up_required", "after a wrong password")
		expect(t, e.call(t, "POST", confirm, e.client, map[string]string{"password": goodPassword}), http.StatusNoContent, "", "the client confirms")
		expect(t, e.call(t, "POST", "/api/v1/me/totp", e.client, nil), http.StatusCreated, "", "enrolling after confirming")
		db.Clock.Advance(5*time.Minute + time.Second)
		expect(t, e.call(t, "POST", "/api/v1/me/recovery-codes", e.client, nil), http.StatusForbidden, "step_up_required", "five minutes later")

		// Staff confirm with their authenticator code too.
		expect(t, e.call(t, "POST", confirm, e.provider, map[string]string{"password": goodPassword}), http.StatusBadRequest, "invalid", "staff without a code")
		expect(t, e.call(t, "POST", "/api/v1/me/recovery-codes", e.provider, nil), http.StatusForbidden, "step_up_required", "staff after a refused confirmation")
		expect(t, e.call(t, "POST", confirm, e.provider, map[string]string{"password": goodPassword, "totp_code": e.nextCode(t, e.c.Provider.Email)}),
			http.StatusNoContent, "", "staff confirm with a code")
		expect(t, e.call(t, "POST", "/api/v1/me/recovery-codes", e.provider, nil), http.StatusCreated, "", "staff after confirming")

		// The web form goes to confirm and back.
		db.Clock.Advance(6 * time.Minute)
		rec := e.postForm(t, "/account/recovery-codes", e.provider, url.Values{})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/account/confirm?next=%2Faccount" {
			t.Fatalf("a stale web form: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		page := e.call(t, "GET", "/account/confirm?next=%2Faccount", e.provider, nil)
		if !strings.Contains(page.Body.String(), `name="code"`) || !strings.Contains(page.Body.String(), `value="/account"`) {
			t.Errorf("the confirmation page: %s", page.Body)
		}
		if rec := e.call(t, "GET", "/account/confirm?next=https%3A%2F%2Fevil.example", e.provider, nil); strings.Contains(rec.Body.String(), "evil.example") {
			t.Error("the confirmation page keeps a next address elsewhere")
		}
		rec = e.postForm(t, "/account/confirm", e.provider, url.Values{"password": {goodPassword}, "code": {e.nextCode(t, e.c.Provider.Email)}, "next": {"/account"}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/account" {
			t.Fatalf("confirming on the web: %d %s %s", rec.Code, rec.Header().Get("Location"), rec.Body)
		}
		if rec := e.postForm(t, "/account/recovery-codes", e.provider, url.Values{}); rec.Code != http.StatusOK {
			t.Errorf("the form after confirming: %d", rec.Code)
		}
		if n := e.count(t, "audit_events WHERE action = 'session.step-up'"); n != 3 {
			t.Errorf("%d session.step-up audit rows, want 3", n)
		}
	})
}
