package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"interlude/internal/store/storetest"
)

// adminEnv is a planEnv with its admin signed in, and a second clinic.
type adminEnv struct {
	*planEnv
	admin string
	far   *storetest.Clinic
}

func newAdminEnv(t *testing.T, db *storetest.DB) *adminEnv {
	t.Helper()
	e := newPlanEnv(t, db)
	return &adminEnv{planEnv: e, admin: e.signIn(t, e.c.Admin), far: storetest.SeedClinic(t, db.Store, "Far Clinic")}
}

// page GETs path as token and wants 200.
func (e *adminEnv) page(t *testing.T, path, token string) string {
	t.Helper()
	rec := e.call(t, "GET", path, token, nil)
	expect(t, rec, http.StatusOK, "", "GET "+path)
	return rec.Body.String()
}

// TestSettingsPage (#17): the clinic's settings have their own page, in
// the admin's navigation; People keeps the people; the settings forms
// post to /settings/… and come back there.
func TestSettingsPage(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newAdminEnv(t, db)
		people := e.page(t, "/people", e.admin)
		if !strings.Contains(people, `<a href="/settings">Settings</a>`) || strings.Contains(people, `action="/settings/retention"`) ||
			!strings.Contains(people, `id="pending-h"`) {
			t.Errorf("the People page: %s", people)
		}
		settings := e.page(t, "/settings", e.admin)
		for _, want := range []string{`action="/settings/retention"`, `action="/settings/crisis-line"`, `action="/settings/crisis-resources"`,
			`action="/settings/safety-message"`, `action="/settings/safety-settings"`, `action="/settings/reliable-change"`} {
			if !strings.Contains(settings, want) {
				t.Errorf("the settings page lacks %s", want)
			}
		}
		expect(t, e.call(t, "GET", "/settings", e.provider, nil), http.StatusNotFound, "", "a provider's settings page")
		rec := e.postForm(t, "/settings/retention", e.admin, url.Values{"retention_days": {"3000"}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/settings?done=retention" {
			t.Fatalf("saving the retention: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		if body := e.page(t, "/settings?done=retention", e.admin); !strings.Contains(body, "The retention period is saved.") || !strings.Contains(body, `value="3000"`) {
			t.Errorf("after saving: %s", body)
		}
	})
}

// TestPersonEdit (#17, AU-07, AC-04): an admin corrects a name and an
// email on the person page and through PATCH /api/v1/users/{id}; a refused
// email reads the same whether it is taken here or in another clinic.
func TestPersonEdit(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newAdminEnv(t, db)
		id := e.c.Client.ID
		path := "/people/" + id
		rec := e.postForm(t, path+"/edit", e.admin, url.Values{"display_name": {"Casey Renamed"}, "email": {"casey.new@plan.test"}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != path+"?done=person-saved" {
			t.Fatalf("saving: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		body := e.page(t, path+"?done=person-saved", e.admin)
		if !strings.Contains(body, "<h1>Casey Renamed</h1>") || !strings.Contains(body, "casey.new@plan.test") || !strings.Contains(body, "The name and email are saved.") {
			t.Errorf("the person page after saving: %s", body)
		}

		refusal := func(email string) string {
			t.Helper()
			rec := e.postForm(t, path+"/edit", e.admin, url.Values{"display_name": {"Casey"}, "email": {email}})
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("email %s: %d, want 400", email, rec.Code)
			}
			m := regexp.MustCompile(`<p class="error" role="alert" id="edit-error">([^<]*)</p>`).FindStringSubmatch(rec.Body.String())
			if m == nil || !strings.Contains(rec.Body.String(), `aria-invalid="true"`) || !strings.Contains(rec.Body.String(), `aria-describedby="email-hint edit-error"`) {
				t.Fatalf("email %s: the refusal is not beside the field: %s", email, rec.Body)
			}
			return m[1]
		}
		here, there := refusal(e.c.Provider.Email), refusal(e.far.Provider.Email)
		if here != there || strings.Contains(there, "clinic") {
			t.Errorf("taken here: %q; taken in another clinic: %q; want one answer naming no clinic", here, there)
		}
		refusal("not an email")

		expect(t, e.postForm(t, path+"/edit", e.provider, url.Values{"display_name": {"X"}, "email": {"x@plan.test"}}), http.StatusNotFound, "", "a provider editing")
		e.setPassword(t, e.far.Admin)
		e.enrollTOTP(t, e.far.Admin)
		farAdmin := e.signIn(t, e.far.Admin)
		expect(t, e.postForm(t, path+"/edit", farAdmin, url.Values{"display_name": {"X"}, "email": {"x@plan.test"}}), http.StatusNotFound, "", "another clinic's admin")

		api := "/api/v1/users/" + e.c.Provider.ID
		rec = e.call(t, "PATCH", api, e.admin, map[string]any{"display_name": "Pat Provider"})
		expect(t, rec, http.StatusOK, "", "PATCH")
		got := respJSON[map[string]any](t, rec)
		if got["display_name"] != "Pat Provider" || got["email"] != e.c.Provider.Email {
			t.Errorf("PATCH answered %v", got)
		}
		expect(t, e.call(t, "PATCH", api, e.admin, map[string]any{"role": "admin"}), http.StatusBadRequest, "invalid", "a field that may not be set")
		expect(t, e.call(t, "PATCH", api, e.admin, map[string]any{"email": e.far.Client.Email}), http.StatusBadRequest, "invalid", "another clinic's email")
		expect(t, e.call(t, "PATCH", "/api/v1/users/"+e.far.Client.ID, e.admin, map[string]any{"display_name": "X"}), http.StatusNotFound, "not_found", "another clinic's person")
	})
}

// TestPersonEditConfirmed (#17, AU-07): on a server that sends email, an
// admin's new email for someone waits for its confirmation from the new
// address; the page and the API answer the same whether the address is
// free or another clinic's.
func TestPersonEditConfirmed(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newAdminEnv(t, db)
		e.srv.notify.Email = true
		path := "/people/" + e.c.Client.ID
		for _, email := range []string{e.far.Client.Email, "casey.free@plan.test"} {
			rec := e.postForm(t, path+"/edit", e.admin, url.Values{"display_name": {"Casey Renamed"}, "email": {email}})
			if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != path+"?done=person-email-sent" {
				t.Errorf("%s: %d %s, want the same redirect for both", email, rec.Code, rec.Header().Get("Location"))
			}
		}
		body := e.page(t, path+"?done=person-email-sent", e.admin)
		if !strings.Contains(body, "<h1>Casey Renamed</h1>") || !strings.Contains(body, e.c.Client.Email) || !strings.Contains(body, "once it is confirmed") {
			t.Errorf("the page after a change to confirm: %s", body)
		}
		for _, email := range []string{e.far.Provider.Email, "pat.free@plan.test"} {
			rec := e.call(t, "PATCH", "/api/v1/users/"+e.c.Provider.ID, e.admin, map[string]any{"email": email})
			expect(t, rec, http.StatusOK, "", "PATCH to "+email)
			if got := respJSON[map[string]any](t, rec); got["email_pending"] != true || got["email"] != e.c.Provider.Email {
				t.Errorf("PATCH to %s answered %v", email, got)
			}
		}
	})
}

// TestPersonDisable (#17, AC-09): disabling asks for a reason, which the
// page shows; enabling clears it; the API wants the reason too.
func TestPersonDisable(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newAdminEnv(t, db)
		path := "/people/" + e.c.OtherProvider.ID
		rec := e.postForm(t, path+"/disable", e.admin, url.Values{})
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="disable-error"`) || !strings.Contains(rec.Body.String(), "<details class=\"danger\" open>") {
			t.Fatalf("disabling without a reason: %d %s", rec.Code, rec.Body)
		}
		rec = e.postForm(t, path+"/disable", e.admin, url.Values{"reason": {"on-leave"}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != path+"?done=disabled" {
			t.Fatalf("disabling: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		expect(t, e.call(t, "GET", "/api/v1/me", e.other, nil), http.StatusUnauthorized, "", "the disabled provider's session")
		if body := e.page(t, path+"?done=disabled", e.admin); !strings.Contains(body, `<dd id="status">disabled: They are on leave</dd>`) ||
			!strings.Contains(body, `action="`+path+`/enable"`) {
			t.Errorf("the disabled person's page: %s", body)
		}
		rec = e.postForm(t, path+"/enable", e.admin, url.Values{})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != path+"?done=enabled" {
			t.Fatalf("enabling: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		if body := e.page(t, path, e.admin); !strings.Contains(body, `<dd id="status">active</dd>`) {
			t.Errorf("the enabled person's page: %s", body)
		}
		api := "/api/v1/users/" + e.c.OtherProvider.ID + "/disable"
		expect(t, e.call(t, "POST", api, e.admin, map[string]string{}), http.StatusBadRequest, "invalid", "the API without a reason")
		expect(t, e.call(t, "POST", api, e.admin, map[string]string{"reason": "left-clinic"}), http.StatusNoContent, "", "the API with one")
		users := respJSON[struct {
			Users []map[string]any `json:"users"`
		}](t, e.call(t, "GET", "/api/v1/users", e.admin, nil))
		for _, u := range users.Users {
			if u["id"] == e.c.OtherProvider.ID && u["disabled_reason"] != "left-clinic" {
				t.Errorf("the users list: %v", u)
			}
		}
	})
}

// TestPersonCareTeam (#17, AC-05): an admin moves a client to another
// provider, adds one and removes one on the person page; the provider
// taken off loses access at once.
func TestPersonCareTeam(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newAdminEnv(t, db)
		id := e.c.Client.ID
		path := "/people/" + id
		if body := e.page(t, path, e.admin); !strings.Contains(body, `id="team-`+e.c.Provider.ID+`"`) {
			t.Fatalf("the care team is not listed: %s", body)
		}
		rec := e.postForm(t, path+"/care-team", e.admin, url.Values{"provider_id": {e.c.OtherProvider.ID}, "change": {"move"}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != path+"?done=care-team-moved#team-h" {
			t.Fatalf("moving: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		body := e.page(t, path+"?done=care-team-moved", e.admin)
		if strings.Contains(body, `id="team-`+e.c.Provider.ID+`"`) || !strings.Contains(body, `id="team-`+e.c.OtherProvider.ID+`"`) {
			t.Errorf("after the move: %s", body)
		}
		expect(t, e.call(t, "GET", e.base, e.provider, nil), http.StatusNotFound, "not_found", "the former provider reading the client")
		expect(t, e.call(t, "GET", e.base, e.other, nil), http.StatusOK, "", "the new provider reading the client")

		expect(t, e.postForm(t, path+"/care-team", e.admin, url.Values{"provider_id": {e.c.Provider.ID}, "change": {"add"}}), http.StatusSeeOther, "", "adding")
		expect(t, e.call(t, "GET", e.base, e.provider, nil), http.StatusOK, "", "the added provider reading the client")
		expect(t, e.postForm(t, path+"/care-team/"+e.c.OtherProvider.ID+"/remove", e.admin, url.Values{}), http.StatusSeeOther, "", "removing")
		expect(t, e.call(t, "GET", e.base, e.other, nil), http.StatusNotFound, "not_found", "the removed provider reading the client")
		expect(t, e.postForm(t, path+"/care-team", e.admin, url.Values{"change": {"move"}}), http.StatusBadRequest, "", "no provider chosen")
		expect(t, e.postForm(t, path+"/care-team", e.admin, url.Values{"provider_id": {e.far.Provider.ID}, "change": {"move"}}), http.StatusNotFound, "", "another clinic's provider")

		team := respJSON[struct {
			Providers []map[string]string `json:"providers"`
		}](t, e.call(t, "GET", "/api/v1/clients/"+id+"/care-team", e.admin, nil))
		if len(team.Providers) != 1 || team.Providers[0]["id"] != e.c.Provider.ID {
			t.Errorf("the API's care team: %v", team)
		}
		expect(t, e.call(t, "PUT", "/api/v1/clients/"+id+"/care-team", e.admin, map[string]string{"provider_id": e.c.OtherProvider.ID}), http.StatusNoContent, "", "the API's move")
		expect(t, e.call(t, "GET", e.base, e.provider, nil), http.StatusNotFound, "not_found", "the provider moved away from")
	})
}

var invitationLink = regexp.MustCompile(`http://interlude\.test/invite/([A-Za-z0-9_-]+)`)

// TestInvitationAdmin (#17, AU-12): an invitation shows its link after a
// redirect, with the server's base URL; inviting the same email again
// gives the pending invitation a new link; the People page lists it with
// "send again" (the old link stops working) and "revoke".
func TestInvitationAdmin(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newAdminEnv(t, db)
		invite := func() (string, string) {
			t.Helper()
			rec := e.postForm(t, "/people/invite", e.admin, url.Values{"display_name": {"Robin Staff"}, "email": {"robin@plan.test"}, "role": {"provider"}})
			loc := rec.Header().Get("Location")
			if rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/invitation-link/") {
				t.Fatalf("inviting: %d %s", rec.Code, loc)
			}
			return e.linkOf(t, rec, loc)
		}
		id, first := invite()
		again, second := invite()
		if again != id || second == first {
			t.Fatalf("inviting again made %s (token changed: %v), want %s with a new token", again, second != first, id)
		}
		expect(t, e.call(t, "GET", "/api/v1/invitations/"+first, "", nil), http.StatusNotFound, "", "the first link")
		expect(t, e.call(t, "GET", "/api/v1/invitations/"+second, "", nil), http.StatusOK, "", "the second link")

		people := e.page(t, "/people", e.admin)
		if strings.Count(people, `action="/people/invitations/`+id+`/resend"`) != 1 || !strings.Contains(people, "robin@plan.test") {
			t.Fatalf("the pending list: %s", people)
		}
		rec := e.postForm(t, "/people/invitations/"+id+"/resend", e.admin, url.Values{})
		_, third := e.linkOf(t, rec, "/invitation-link/"+id)
		expect(t, e.call(t, "GET", "/api/v1/invitations/"+second, "", nil), http.StatusNotFound, "", "the link before the resend")
		expect(t, e.postForm(t, "/people/invitations/"+id+"/revoke", e.provider, url.Values{}), http.StatusNotFound, "", "a provider revoking the admin's invitation")
		rec = e.postForm(t, "/people/invitations/"+id+"/revoke", e.admin, url.Values{})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/people?done=invitation-revoked#pending-h" {
			t.Fatalf("revoking: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		expect(t, e.call(t, "GET", "/api/v1/invitations/"+third, "", nil), http.StatusNotFound, "", "a revoked link")
		if body := e.page(t, "/people?done=invitation-revoked", e.admin); strings.Contains(body, "robin@plan.test") || !strings.Contains(body, "The invitation is revoked") {
			t.Errorf("after the revoke: %s", body)
		}

		// The API: the provider's own pending invitations, resent and revoked.
		rec = e.call(t, "POST", "/api/v1/invitations", e.provider, map[string]string{"role": "client", "email": "kim@plan.test", "display_name": "Kim"})
		expect(t, rec, http.StatusCreated, "", "the provider's invitation")
		inv := respJSON[map[string]any](t, rec)
		list := respJSON[struct {
			Invitations []map[string]any `json:"invitations"`
		}](t, e.call(t, "GET", "/api/v1/invitations", e.provider, nil))
		if len(list.Invitations) != 1 || list.Invitations[0]["id"] != inv["id"] {
			t.Errorf("the provider's pending list: %v", list)
		}
		rec = e.call(t, "POST", "/api/v1/invitations/"+inv["id"].(string)+"/resend", e.provider, nil)
		expect(t, rec, http.StatusOK, "", "resending by API")
		if resent := respJSON[map[string]any](t, rec); resent["token"] == inv["token"] || !strings.HasPrefix(resent["url"].(string), "http://interlude.test/invite/") {
			t.Errorf("resent: %v", resent)
		}
		expect(t, e.call(t, "DELETE", "/api/v1/invitations/"+inv["id"].(string), e.other, nil), http.StatusNotFound, "not_found", "another provider revoking")
		expect(t, e.call(t, "DELETE", "/api/v1/invitations/"+inv["id"].(string), e.provider, nil), http.StatusNoContent, "", "revoking by API")
	})
}

// linkOf follows an invitation form's redirect to loc with its cookie and
// returns the invitation's id and token from the page.
func (e *adminEnv) linkOf(t *testing.T, rec *httptest.ResponseRecorder, loc string) (string, string) {
	t.Helper()
	res := rec.Result()
	defer res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != loc {
		t.Fatalf("got %d to %s, want a redirect to %s", res.StatusCode, res.Header.Get("Location"), loc)
	}
	var cookie string
	for _, c := range res.Cookies() {
		if c.Name == invitationLinkCookie {
			cookie = c.Name + "=" + c.Value
			if !c.HttpOnly || !c.Secure || c.MaxAge <= 0 {
				t.Errorf("the link's cookie %+v is not short-lived, HttpOnly and Secure", c)
			}
		}
	}
	page := e.send(t, envRequest{method: "GET", path: loc, token: e.admin, header: map[string]string{"Cookie": cookie}})
	expect(t, page, http.StatusOK, "", "the invitation's page")
	m := invitationLink.FindStringSubmatch(page.Body.String())
	if m == nil || !strings.Contains(page.Body.String(), "QR code of the invitation link") || strings.Contains(page.Body.String(), "localhost") {
		t.Fatalf("the invitation's page: %s", page.Body)
	}
	if other := e.send(t, envRequest{method: "GET", path: loc, token: e.admin}); other.Code != http.StatusNotFound {
		t.Errorf("the page without the cookie: %d", other.Code)
	}
	return strings.TrimPrefix(loc, "/invitation-link/"), m[1]
}

// TestLocalBaseURL: links made with a localhost base URL are flagged.
func TestLocalBaseURL(t *testing.T) {
	t.Parallel()
	for base, want := range map[string]bool{
		"http://localhost:8080": true, "http://127.0.0.1:8080": true, "http://[::1]:8080": true,
		"https://care.example.org": false, "http://interlude.test": false,
	} {
		if got := (&Server{baseURL: base}).localBaseURL(); got != want {
			t.Errorf("%s: got %v, want %v", base, got, want)
		}
	}
}
