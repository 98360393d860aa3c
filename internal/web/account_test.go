package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone data the binary carries (cmd/interlude)

	"interlude/internal/auth"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestAccountSelfService (issue #17, AU-02, AU-11): a client sets their
// name, time zone and language; changes their password (the current one
// required; their other sessions end) and their email (at once without
// email on the server). Bad input changes nothing.
func TestAccountSelfService(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		ctx := context.Background()
		form := func(path, token string, v url.Values) (int, string, string) {
			rec := e.postForm(t, path, token, v)
			return rec.Code, rec.Header().Get("Location"), rec.Body.String()
		}
		page := e.call(t, "GET", "/account", e.client, nil).Body.String()
		for _, want := range []string{`list="time-zones"`, `<option value="America/Argentina/Buenos_Aires">`, `action="/account/password"`, `autocomplete="new-password"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the account page lacks %s", want)
			}
		}
		if code, _, body := form("/account/profile", e.client, url.Values{"display_name": {"Sam R."}, "time_zone": {"Mars/Olympus"}, "language": {"es"}}); code != http.StatusBadRequest || !strings.Contains(body, "time zone") {
			t.Errorf("an unknown zone: %d", code)
		}
		if code, to, _ := form("/account/profile", e.client, url.Values{"display_name": {"Sam R."}, "time_zone": {"Europe/Madrid"}, "language": {"es"}}); code != http.StatusSeeOther || to != "/account?done=profile#profile" {
			t.Fatalf("saving the profile: %d %s", code, to)
		}
		p, err := db.Store.Profile(ctx, e.c.Actor(e.c.Client))
		if err != nil || p != (store.Profile{DisplayName: "Sam R.", TimeZone: "Europe/Madrid", Language: "es"}) {
			t.Fatalf("profile %+v %v", p, err)
		}

		// The password: the current one, then a second session ends.
		other := e.signIn(t, e.c.Client)
		const next = "a brand new passphrase for me"
		if code, _, body := form("/account/password", e.client, url.Values{"current_password": {"wrong wrong wrong"}, "new_password": {next}, "confirm": {next}}); code != http.StatusBadRequest || !strings.Contains(body, "not your password") {
			t.Errorf("a wrong current password: %d", code)
		}
		if code, _, _ := form("/account/password", e.client, url.Values{"current_password": {goodPassword}, "new_password": {next}, "confirm": {next + "!"}}); code != http.StatusBadRequest {
			t.Errorf("a confirmation that does not match: %d", code)
		}
		if code, _, _ := form("/account/password", e.client, url.Values{"current_password": {goodPassword}, "new_password": {"password"}, "confirm": {"password"}}); code != http.StatusBadRequest {
			t.Errorf("a common password: %d", code)
		}
		if code, to, _ := form("/account/password", e.client, url.Values{"current_password": {goodPassword}, "new_password": {next}, "confirm": {next}}); code != http.StatusSeeOther || to != "/account?done=password#password" {
			t.Fatalf("changing it: %d %s", code, to)
		}
		expect(t, e.call(t, "GET", "/api/v1/me", other, nil), http.StatusUnauthorized, "", "the other session")
		expect(t, e.call(t, "GET", "/api/v1/me", e.client, nil), http.StatusOK, "", "this session")
		expect(t, e.call(t, "POST", "/api/v1/sessions", "", map[string]string{"email": e.c.Client.Email, "password": next}), http.StatusCreated, "", "the new password")

		// The email, at once: not one another account uses.
		if code, _, body := form("/account/email", e.client, url.Values{"email": {e.c.OtherClient.Email}, "password": {next}}); code != http.StatusBadRequest || !strings.Contains(body, "already in use") {
			t.Errorf("another account's address: %d", code)
		}
		if code, to, _ := form("/account/email", e.client, url.Values{"email": {"sam.new@example.org"}, "password": {next}}); code != http.StatusSeeOther || to != "/account?done=email#email" {
			t.Fatalf("changing the email: %d %s", code, to)
		}
		expect(t, e.call(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "sam.new@example.org", "password": next}), http.StatusCreated, "", "the new email")
		if n := e.count(t, "audit_events WHERE action IN ('user.profile', 'user.password', 'user.email') AND client_id = '"+e.c.Client.ID+"'"); n != 3 {
			t.Errorf("%d audit rows of the changes, want 3", n)
		}
	})
}

// TestAccountEmailConfirmed (issue #17, AU-07): with email on, a new
// address is confirmed by a link to it: the answer is the same for an
// address another account uses; opening the link shows a button and
// changes nothing until it is pressed; an address taken meanwhile is
// refused. Staff whose session has not confirmed lately give their code.
func TestAccountEmailConfirmed(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		e.srv.notify.Email = true
		ctx := context.Background()
		db.Clock.Advance(6 * time.Minute)
		if page := e.call(t, "GET", "/account", e.provider, nil).Body.String(); !strings.Contains(page, `id="email-code"`) {
			t.Error("a stale staff session's email form asks for no code")
		}
		expect(t, e.call(t, "POST", "/api/v1/me/email", e.provider, map[string]string{"email": "pat.new@example.org", "password": goodPassword}), http.StatusBadRequest, "invalid", "no code")
		for _, addr := range []string{e.c.OtherProvider.Email, "pat.new@example.org"} {
			rec := e.call(t, "POST", "/api/v1/me/email", e.provider, map[string]string{"email": addr, "password": goodPassword, "totp_code": e.nextCode(t, e.c.Provider.Email)})
			expect(t, rec, http.StatusOK, "", "asking for "+addr)
			if !strings.Contains(rec.Body.String(), "confirmation_sent") {
				t.Errorf("the answer for %s: %s", addr, rec.Body)
			}
		}
		var id string
		if err := db.Engine.SQLDB().QueryRow(`SELECT id FROM email_changes WHERE user_id = $1 AND ended_at IS NULL`, e.c.Provider.ID).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, "jobs WHERE kind = 'notify.email_confirm'"); n != 2 {
			t.Errorf("%d confirmation jobs, want 2", n)
		}
		token, hash := auth.NewInvitationToken()
		to, ok, err := db.Store.IssueEmailChangeToken(ctx, id, hash)
		if err != nil || !ok || to != "pat.new@example.org" {
			t.Fatalf("issuing: %q %v %v", to, ok, err)
		}
		page := e.call(t, "GET", "/email-confirm/"+token, "", nil)
		if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), `action="/email-confirm"`) {
			t.Fatalf("the link's page: %d %s", page.Code, page.Body)
		}
		if creds, _ := db.Store.CredentialsByEmail(ctx, "pat.new@example.org"); creds != nil {
			t.Fatal("opening the link changed the email")
		}
		rec := e.send(t, envRequest{method: "POST", path: "/email-confirm", contentType: "application/x-www-form-urlencoded", body: url.Values{"token": {token}}.Encode()})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/signin?done=email" {
			t.Fatalf("confirming: %d %s %s", rec.Code, rec.Header().Get("Location"), rec.Body)
		}
		if creds, err := db.Store.CredentialsByEmail(ctx, "pat.new@example.org"); err != nil || creds.User.ID != e.c.Provider.ID {
			t.Fatalf("after confirming: %v", err)
		}
		expect(t, e.call(t, "POST", "/api/v1/email-changes/"+token, "", nil), http.StatusNotFound, "not_found", "the link again")
	})
}

// TestTimeZoneList: every zone the account page offers loads, from the
// zone data the binary carries, and the list is sorted without repeats.
func TestTimeZoneList(t *testing.T) {
	t.Parallel()
	if len(allTimeZones) < 300 {
		t.Fatalf("%d zones", len(allTimeZones))
	}
	for i, z := range allTimeZones {
		if _, err := time.LoadLocation(z); err != nil {
			t.Errorf("%s: %v", z, err)
		}
		if i > 0 && allTimeZones[i-1] >= z {
			t.Errorf("%s after %s", z, allTimeZones[i-1])
		}
	}
}
