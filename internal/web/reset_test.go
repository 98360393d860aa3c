package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

const newPassword = "harbor tulip kettle marble"

// cookieOf returns the value of the cookie name that rec sets.
func cookieOf(t *testing.T, rec *httptest.ResponseRecorder, name string) string {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	t.Fatalf("no cookie %s in %v", name, rec.Header()["Set-Cookie"])
	return ""
}

var resetLink = regexp.MustCompile(`http://interlude\.test/reset/([A-Za-z0-9_-]+)`)

// TestPasswordResetLink (issue #17, AU-02, AU-07, AU-12): a provider makes
// a reset link for their client and sees it once the form has redirected;
// the client opens it, sets a new password (refused when it does not
// match or is too short), and signs in with it; the link works once,
// the client's sessions end, the old password no longer works, and the
// client's access report shows both steps.
func TestPasswordResetLink(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		id := e.c.Client.ID
		rec := e.postForm(t, "/clients/"+id+"/password-reset", e.provider, url.Values{})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/password-reset-link/"+id {
			t.Fatalf("making the link: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		made := resetLinkCookie + "=" + cookieOf(t, rec, resetLinkCookie)
		page := e.send(t, envRequest{method: "GET", path: "/password-reset-link/" + id, token: e.provider, header: map[string]string{"Cookie": made}})
		expect(t, page, http.StatusOK, "", "the link's page")
		m := resetLink.FindStringSubmatch(page.Body.String())
		if m == nil || !strings.Contains(page.Body.String(), "QR code of the password reset link") {
			t.Fatalf("the link's page has no link or code: %s", page.Body)
		}
		token := m[1]
		if rec := e.send(t, envRequest{method: "GET", path: "/password-reset-link/" + id, token: e.other, header: map[string]string{"Cookie": made}}); rec.Code != http.StatusNotFound {
			t.Errorf("another provider with the maker's cookie: %d", rec.Code)
		}
		if rec := e.postForm(t, "/clients/"+id+"/password-reset", e.other, url.Values{}); rec.Code != http.StatusNotFound {
			t.Errorf("another team's provider making a link: %d", rec.Code)
		}

		// The client opens it: the token leaves the address bar.
		rec = e.send(t, envRequest{method: "GET", path: "/reset/" + token})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/reset" {
			t.Fatalf("opening the link: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		jar := map[string]string{"Cookie": resetCookie + "=" + cookieOf(t, rec, resetCookie)}
		form := e.send(t, envRequest{method: "GET", path: "/reset", header: jar})
		expect(t, form, http.StatusOK, "", "the form")
		if !strings.Contains(form.Body.String(), `minlength="15"`) || !strings.Contains(form.Body.String(), `autocomplete="new-password"`) {
			t.Errorf("the form of a client without a second step: %s", form.Body)
		}
		post := func(password, confirm string) *httptest.ResponseRecorder {
			return e.send(t, envRequest{method: "POST", path: "/reset", header: jar, contentType: "application/x-www-form-urlencoded",
				body: url.Values{"password": {password}, "confirm": {confirm}}.Encode()})
		}
		if rec := post(newPassword, newPassword+"x"); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "does not match") {
			t.Errorf("a confirmation that does not match: %d %s", rec.Code, rec.Body)
		}
		if rec := post("short pass", "short pass"); rec.Code != http.StatusBadRequest {
			t.Errorf("a 10-character password without a second step: %d", rec.Code)
		}
		rec = post(newPassword, newPassword)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/signin?done=password-reset" {
			t.Fatalf("setting it: %d %s %s", rec.Code, rec.Header().Get("Location"), rec.Body)
		}
		if rec := post(newPassword, newPassword); rec.Code != http.StatusNotFound {
			t.Errorf("the link a second time: %d", rec.Code)
		}

		// Signed out everywhere; the new password works, the old does not.
		expect(t, e.call(t, "GET", "/api/v1/me", e.client, nil), http.StatusUnauthorized, "", "the client's session after the reset")
		expect(t, e.call(t, "POST", "/api/v1/sessions", "", map[string]string{"email": e.c.Client.Email, "password": goodPassword}),
			http.StatusUnauthorized, "", "the old password")
		rec = e.call(t, "POST", "/api/v1/sessions", "", map[string]string{"email": e.c.Client.Email, "password": newPassword})
		expect(t, rec, http.StatusCreated, "", "the new password")
		token = respJSON[struct {
			Token string `json:"token"`
		}](t, rec).Token

		// The client's access report shows who made the link and its use.
		report := e.call(t, "GET", "/api/v1/clients/"+id+"/access-log", token, nil)
		expect(t, report, http.StatusOK, "", "the access report")
		for _, action := range []string{"password_reset.create", "password_reset.use"} {
			if !strings.Contains(report.Body.String(), action) {
				t.Errorf("the access report lacks %s: %s", action, report.Body)
			}
		}
	})
}

// TestPasswordResetAPI (issue #17): an admin makes a reset link for a
// staff member; the link says a second step follows and asks for 8
// characters or more; after the reset, signing in still needs the
// authenticator code.
func TestPasswordResetAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		admin := e.signIn(t, e.c.Admin)
		rec := e.call(t, "POST", "/api/v1/users/"+e.c.Provider.ID+"/password-reset", admin, nil)
		expect(t, rec, http.StatusCreated, "", "an admin's link for a provider")
		out := respJSON[struct {
			URL string `json:"url"`
		}](t, rec)
		m := resetLink.FindStringSubmatch(out.URL)
		if m == nil {
			t.Fatalf("url %q", out.URL)
		}
		info := respJSON[struct {
			MinLength int  `json:"min_length"`
			MFA       bool `json:"mfa"`
		}](t, e.call(t, "GET", "/api/v1/password-resets/"+m[1], "", nil))
		if info.MinLength != 8 || !info.MFA {
			t.Errorf("the link of a staff member: %+v", info)
		}
		expect(t, e.call(t, "POST", "/api/v1/password-resets/"+m[1], "", map[string]string{"password": "password"}), http.StatusBadRequest, "invalid", "a common password")
		expect(t, e.call(t, "POST", "/api/v1/password-resets/"+m[1], "", map[string]string{"password": newPassword}), http.StatusNoContent, "", "setting it")
		expect(t, e.call(t, "POST", "/api/v1/sessions", "", map[string]string{"email": e.c.Provider.Email, "password": newPassword}),
			http.StatusUnauthorized, "mfa_required", "the new password without the code")
		code := e.nextCode(t, e.c.Provider.Email)
		expect(t, e.call(t, "POST", "/api/v1/sessions", "", map[string]string{"email": e.c.Provider.Email, "password": newPassword, "totp_code": code}),
			http.StatusCreated, "", "the new password with the code")
		// Without email the server offers no link by email.
		expect(t, e.call(t, "POST", "/api/v1/password-resets", "", map[string]string{"email": e.c.Client.Email}), http.StatusNotFound, "not_found", "by email")
	})
}

// TestSecondFactorReset (issue #17): an admin resets a provider's lost
// second factor from their page; the provider is signed out everywhere
// and, signing in with their password, is asked to set up a new
// authenticator app; the reset is in the audit log.
func TestSecondFactorReset(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		admin := e.signIn(t, e.c.Admin)
		page := e.call(t, "GET", "/people/"+e.c.Provider.ID, admin, nil)
		expect(t, page, http.StatusOK, "", "the provider's page")
		if !strings.Contains(page.Body.String(), `action="/people/`+e.c.Provider.ID+`/mfa-reset"`) {
			t.Fatalf("no reset form: %s", page.Body)
		}
		expect(t, e.postForm(t, "/people/"+e.c.Provider.ID+"/mfa-reset", e.provider, url.Values{}), http.StatusNotFound, "", "a provider resetting")
		rec := e.postForm(t, "/people/"+e.c.Provider.ID+"/mfa-reset", admin, url.Values{})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("resetting: %d %s", rec.Code, rec.Body)
		}
		expect(t, e.call(t, "GET", "/api/v1/me", e.provider, nil), http.StatusUnauthorized, "", "the provider's session")
		// The password step leads to enrolling a new app.
		rec = e.send(t, envRequest{method: "POST", path: "/signin", contentType: "application/x-www-form-urlencoded",
			body: url.Values{"email": {e.c.Provider.Email}, "password": {goodPassword}}.Encode()})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/signin/mfa" {
			t.Fatalf("the password step: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		mfa := e.send(t, envRequest{method: "GET", path: "/signin/mfa", header: map[string]string{"Cookie": cookieName + "=" + cookieOf(t, rec, cookieName)}})
		if !strings.Contains(mfa.Body.String(), "QR code") {
			t.Errorf("the second step after a reset does not enroll a new app: %s", mfa.Body)
		}
		creds, err := db.Store.CredentialsByEmail(context.Background(), e.c.Provider.Email)
		if err != nil || creds.TOTPConfirmed || creds.TOTPSecret == nil {
			t.Fatalf("credentials after the reset: %+v %v", creds, err)
		}
		audit := e.call(t, "GET", "/api/v1/audit?action=mfa.reset", admin, nil)
		if !strings.Contains(audit.Body.String(), e.c.Provider.ID) {
			t.Errorf("the audit log lacks the reset: %s", audit.Body)
		}
		_ = care.RoleAdmin
	})
}

// TestForgotPassword (issue #17, AU-07): with email on, asking for a
// reset link answers the same redirect for an address with an account
// and one without, queues one email job only for the account, and is
// throttled per mailbox; without email the form is not offered and the
// page says whom to ask.
func TestForgotPassword(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "Forgot Clinic")
		page := e.call(t, "GET", "/signin/forgot", "", nil)
		if page.Code != http.StatusOK || strings.Contains(page.Body.String(), `action="/signin/forgot"`) || !strings.Contains(page.Body.String(), "your clinic's admin") {
			t.Fatalf("without email: %d %s", page.Code, page.Body)
		}
		e.srv.notify.Email = true
		page = e.call(t, "GET", "/signin/forgot", "", nil)
		if !strings.Contains(page.Body.String(), `action="/signin/forgot"`) {
			t.Fatalf("with email, no form: %s", page.Body)
		}
		ask := func(email, addr string) *httptest.ResponseRecorder {
			return e.send(t, envRequest{method: "POST", path: "/signin/forgot", contentType: "application/x-www-form-urlencoded",
				body: url.Values{"email": {email}}.Encode(), remoteAddr: addr})
		}
		known, unknown := ask(c.Client.Email, "192.0.2.7:1"), ask("nobody@forgot.test", "192.0.2.8:1")
		for _, rec := range []*httptest.ResponseRecorder{known, unknown} {
			if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/signin/forgot?done=sent" || rec.Body.String() != known.Body.String() {
				t.Errorf("answer: %d %s %q", rec.Code, rec.Header().Get("Location"), rec.Body)
			}
		}
		if n := e.count(t, "jobs WHERE kind = 'notify.password_reset'"); n != 1 {
			t.Errorf("%d email jobs, want 1", n)
		}
		// A mailbox gets three links an hour, from any address.
		ask(c.Client.Email, "192.0.2.9:1")
		ask(c.Client.Email, "192.0.2.10:1")
		if rec := ask(c.Client.Email, "192.0.2.11:1"); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
			t.Errorf("the fourth request for one mailbox: %d", rec.Code)
		}
		sent := e.call(t, "GET", "/signin/forgot?done=sent", "", nil)
		if !strings.Contains(sent.Body.String(), "If an Interlude account uses that address") {
			t.Errorf("the page after: %s", sent.Body)
		}
	})
}
