package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserClinicResources (issue #16), in headless Chromium on the demo
// clinic, with axe-core at a phone's and a desk's width: the admin adds a
// crisis resource of the clinic's own on the settings page; a phone that is
// not in E.164 is refused beside its field, the values kept; with the
// number written +15550100199 it is saved, and the client's crisis
// resources dial it and say when it is open.
func TestBrowserClinicResources(t *testing.T) {
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
	admin.open(site.url + "/settings")
	check(admin, "settings with the crisis resources")
	add := `form[action="/settings/crisis-resources"]`
	admin.fill(add+" #res-new-name", "Clinic on call")
	admin.fill(add+" #res-new-phone", "555-0100")
	admin.fill(add+" #res-new-hours", "weekdays 8–20")
	admin.submit("add a resource with a bad phone", add)
	if got := admin.attr("#res-new-phone", "aria-invalid"); got != "true" {
		t.Errorf("the phone field's aria-invalid is %q", got)
	}
	if got := admin.text("#res-new-error"); !strings.Contains(got, "international number") {
		t.Errorf("the error beside the phone says %q", got)
	}
	if got := admin.value("#res-new-hours"); got != "weekdays 8–20" {
		t.Errorf("the hours entered are not kept: %q", got)
	}
	check(admin, "settings with a refused resource")
	admin.fill(add+" #res-new-phone", "+15550100199")
	admin.submit("add the resource", add)
	if got := admin.text(".notice"); got != "The crisis resources are saved." {
		t.Errorf("after adding: %q", got)
	}
	if got := admin.value("#res-0-phone"); got != "+15550100199" {
		t.Errorf("the saved resource's phone is %q", got)
	}
	check(admin, "settings with a clinic resource")

	client := site.signInClient(t)
	client.open(site.url + "/messages")
	client.fill("#message-text", "I can't do this anymore, I want to end my life")
	client.do("press Send", chromedp.Click(`form[action="/messages"] button[type="submit"]`))
	client.within(10*time.Second, "crisis resources show", `document.querySelector('.crisis-now[role="alert"]') !== null`)
	if client.attr(`.crisis-now a[href="tel:+15550100199"]`, "href") != "tel:+15550100199" {
		t.Error("the clinic's resource is not a link to call")
	}
	if got := client.text(`.crisis-now[role="alert"]`); !strings.Contains(got, "Clinic on call") || !strings.Contains(got, "Open: weekdays 8–20") {
		t.Errorf("the crisis resources say %q", got)
	}
}
