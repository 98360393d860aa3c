package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserPeopleAdmin (issue #17), in headless Chromium on the demo
// clinic, with axe-core at a phone's and a desk's width: the admin invites
// a provider and finds the invitation pending on People, sends it again
// (a new link) and revokes it; opens a client's page from People, corrects
// their name, disables the account with a reason and enables it again,
// and moves the client to another provider.
func TestBrowserPeopleAdmin(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	site := startCareSite(t)
	check := func(p *person, page string) {
		p.t.Helper()
		for _, w := range []int64{phoneWidth, deskWidth} {
			p.emulate(w)
			p.checkA11y(axe, page, w)
		}
	}

	admin := site.signInAdmin(t)
	if admin.count(`nav a[href="/settings"]`) != 1 {
		t.Error("the admin's navigation has no link to the settings")
	}

	// Invitations: made, pending, sent again, revoked.
	first := admin.invite("/people/invite", "Robin Reyes", "robin.reyes@demo.interlude.test", "provider")
	check(admin, "invitation link")
	admin.open(site.url + "/people")
	check(admin, "people with a pending invitation")
	resend := `#pending-h ~ ul form[action$="/resend"]`
	if admin.count(resend) != 1 || !strings.Contains(admin.text("#pending-h ~ ul"), "robin.reyes@demo.interlude.test") {
		t.Fatalf("the invitation is not pending on People: %q", admin.text("main"))
	}
	admin.submit("send the invitation again", resend)
	if !strings.HasPrefix(admin.path(), "/invitation-link/") {
		t.Errorf("sending again shows %s, want the invitation's link", admin.path())
	}
	if second := admin.value("input.link-box"); second == first || !strings.HasPrefix(second, admin.origin()+"/invite/") {
		t.Errorf("sending again gave the same link, or one not of this server")
	}
	admin.open(site.url + "/people")
	admin.submit("revoke the invitation", `#pending-h ~ ul form[action$="/revoke"]`)
	if got := admin.text(".notice"); !strings.Contains(got, "The invitation is revoked") {
		t.Errorf("after revoking: %q", got)
	}
	if admin.count(resend) != 0 {
		t.Error("the revoked invitation is still pending")
	}

	// A client's page, from People.
	admin.follow("open the client", `a[href="/people/`+site.clientID+`"]`)
	admin.wantPath("/people/" + site.clientID)
	check(admin, "a client's page")

	edit := `form[action$="/edit"]`
	admin.fill(edit+" #display_name", "Sam Renamed")
	admin.submit("save the name", edit)
	if got := admin.text("h1"); got != "Sam Renamed" {
		t.Errorf("after renaming, the page is about %q", got)
	}
	if got := admin.text(".notice"); got != "The name and email are saved." {
		t.Errorf("after renaming: %q", got)
	}

	admin.do("open the disable form", chromedp.Click(chromedp.CSS(`details.danger summary`)))
	admin.do("choose a reason", chromedp.SetValue(chromedp.CSS(`#disable-reason`), "on-leave"))
	admin.submit("disable the account", `form[action$="/disable"]`)
	if got := admin.text("#status"); got != "disabled: They are on leave" {
		t.Errorf("after disabling, the status reads %q", got)
	}
	check(admin, "a disabled client's page")
	admin.submit("enable the account", `form[action$="/enable"]`)
	if got := admin.text("#status"); got != "active" {
		t.Errorf("after enabling, the status reads %q", got)
	}

	// Move the client to a provider not on their care team.
	other := run(admin, "find another provider", chromedp.Evaluate[string](
		`[...document.querySelectorAll('#provider_id option')].map(o => o.value).filter(v => v && !document.getElementById('team-' + v))[0] || ''`))
	if other == "" {
		t.Fatal("the demo clinic has no provider off the client's care team")
	}
	team := `form[action$="/care-team"]`
	admin.do("choose the provider", chromedp.SetValue(chromedp.CSS(`#provider_id`), other))
	admin.do("choose to move", chromedp.Click(chromedp.CSS(`#change-move`)))
	admin.submit("move the client", team)
	if got := admin.text(".notice"); !strings.Contains(got, "The client is moved") {
		t.Errorf("after moving: %q", got)
	}
	if admin.count(`.team-list li`) != 1 || admin.count(`#team-`+other) != 1 {
		t.Errorf("the care team after the move: %q", admin.text(".team-list"))
	}
	check(admin, "a client's page after a move")
}
