package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// TestInvitationDoesNotRevealMembership (AU-07, issue #17): inviting an
// email that already has an account in the clinic (a client of another
// care team, say) answers exactly as inviting a new one, on the API and the
// web form. Accepting such an invitation answers as an expired link, and
// the existing account is left as it was.
func TestInvitationDoesNotRevealMembership(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "Members")
		e.setPassword(t, c.OtherClient)
		provider := e.signInWithTOTP(t, c.Provider)
		ids := regexp.MustCompile(`[A-Za-z0-9_-]{22,}`) // ids and tokens
		invite := func(email string) (*invitationJSON, string) {
			t.Helper()
			rec := e.call(t, "POST", "/api/v1/invitations", provider, map[string]string{
				"role": "client", "email": email, "display_name": "Someone"})
			expect(t, rec, http.StatusCreated, "", "inviting "+email)
			inv := respJSON[invitationJSON](t, rec)
			return &inv, ids.ReplaceAllString(rec.Body.String(), "ID")
		}
		existing, existingBody := invite(c.OtherClient.Email)
		fresh, freshBody := invite("new.person@members.test")
		if existingBody != freshBody {
			t.Errorf("inviting an existing account answers %s, a new email %s", existingBody, freshBody)
		}

		// The web form answers alike too: a redirect to the page with the
		// link (its QR code and the email typed differ, so compare what
		// it says).
		for _, email := range []string{c.OtherClient.Email, "another.person@members.test"} {
			rec := e.postForm(t, "/clients/invite", provider, url.Values{"email": {email}, "display_name": {"Someone"}})
			loc := rec.Header().Get("Location")
			if rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/invitation-link/") {
				t.Errorf("web form, inviting %s: %d to %q, want a redirect to the link's page", email, rec.Code, loc)
				continue
			}
			page := e.send(t, envRequest{method: "GET", path: loc, token: provider,
				header: map[string]string{"Cookie": invitationLinkCookie + "=" + cookieOf(t, rec, invitationLinkCookie)}})
			body := page.Body.String()
			if page.Code != http.StatusOK || !strings.Contains(body, "/invite/") || strings.Contains(body, "already") {
				t.Errorf("web form, inviting %s: %d, with a link: %v, says already: %v", email, page.Code,
					strings.Contains(body, "/invite/"), strings.Contains(body, "already"))
			}
		}

		// Accepting: the existing account's invitation is as a dead link.
		gone := e.call(t, "POST", "/api/v1/invitations/"+care.NewID()+care.NewID()+"/accept", "",
			map[string]string{"password": "a brand new passphrase 7731"})
		dead := e.call(t, "POST", "/api/v1/invitations/"+existing.Token+"/accept", "",
			map[string]string{"password": "a brand new passphrase 7731"})
		if dead.Code != gone.Code || dead.Body.String() != gone.Body.String() {
			t.Errorf("accepting an existing account's invitation: %d %s; a dead link: %d %s", dead.Code, dead.Body, gone.Code, gone.Body)
		}
		expect(t, e.call(t, "POST", "/api/v1/invitations/"+fresh.Token+"/accept", "",
			map[string]string{"password": "a brand new passphrase 7731"}), http.StatusCreated, "", "accepting a new email's invitation")
		// The existing account still signs in with its own password.
		e.signIn(t, c.OtherClient)
	})
}
