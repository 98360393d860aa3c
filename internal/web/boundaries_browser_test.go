package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserBoundaries (issue #6), in headless Chromium on the demo
// clinic, with axe-core on each page at a phone's and a desk's width: the
// provider sets office hours on a day that is not today; the client sees
// them beside the compose box, writes out of hours and gets the automatic
// reply with 988, 911 and the clinic's crisis line; writes words of
// crisis and sees the resources at once; the provider finds the flag on
// the client list and page and acknowledges it; the provider pauses
// messaging and the client sees the reason instead of the compose box.
func TestBrowserBoundaries(t *testing.T) {
	axe := axeSource(t)
	site := startCareSite(t)
	check := func(p *person, page string) {
		p.t.Helper()
		for _, w := range []int64{phoneWidth, deskWidth} {
			p.emulate(w)
			p.checkA11y(axe, page, w)
		}
	}

	provider := site.signInProvider(t)
	provider.open(site.url + "/office-hours")
	check(provider, "office hours")
	day := strings.ToLower(time.Now().UTC().AddDate(0, 0, 3).Weekday().String())
	provider.fill("#hours-"+day, "09:00-12:00, 13:00-17:00")
	provider.fill("#response_time", "within 1 business day")
	provider.submit("save the office hours", `form[action="/office-hours"]`)
	if got := provider.text(".notice"); got != "Your office hours are saved." {
		t.Errorf("after saving the hours: %q", got)
	}

	client := site.signInClient(t)
	client.open(site.url + "/messages")
	if got := client.text(".office-hours"); !strings.Contains(got, "answers within 1 business day") || !strings.Contains(got, "13:00–17:00") {
		t.Errorf("the compose box shows %q", got)
	}
	check(client, "messages with office hours")
	client.emulate(phoneWidth)
	client.do("write a message", chromedp.SendKeys("#message-text", "Is our session on Tuesday still on?"))
	client.submit("send a message", `form[action="/messages"]`)
	client.wantPath("/messages")
	auto := client.text(`li.message.auto`)
	for _, want := range []string{"Automatic reply", "988", "911", "within 1 business day"} {
		if !strings.Contains(auto, want) {
			t.Errorf("the automatic reply lacks %q: %q", want, auto)
		}
	}

	client.do("write in crisis", chromedp.SendKeys("#message-text", "I can't do this anymore, I want to end my life"))
	if resp := client.submit("send a message in crisis", `form[action="/messages"]`); resp.Status != http.StatusOK {
		t.Fatalf("sending in crisis: status %d", resp.Status)
	}
	if got := client.text(`.crisis-now[role="alert"]`); !strings.Contains(got, "988") || !strings.Contains(got, "911") {
		t.Errorf("the crisis resources say %q", got)
	}
	if client.attr(`.crisis-now a[href="tel:988"]`, "href") != "tel:988" {
		t.Error("988 is not a link to call")
	}
	check(client, "messages with crisis resources")

	provider.open(site.url + "/clients")
	if got := provider.text(`a.tag.flag`); got != "1 open safety flag" {
		t.Errorf("the client list's flag says %q", got)
	}
	provider.open(site.url + "/clients/" + site.clientID)
	if got := provider.text(`#flags`); !strings.Contains(got, "Crisis language") {
		t.Errorf("the client page's flags: %q", got)
	}
	check(provider, "client page with a flag")
	provider.emulate(deskWidth)
	provider.do("write what was done", chromedp.SendKeys(`#flags textarea[name="note"]`, "Called Sam; safe; safety plan reviewed."))
	provider.submit("acknowledge the flag", `#flags form`)
	if provider.count(`#flags`) != 0 {
		t.Error("the acknowledged flag is still shown")
	}

	provider.open(site.url + "/clients/" + site.clientID + "/messages")
	provider.do("choose paused", chromedp.SetValue(`#mode`, "paused"))
	provider.do("write the reason", chromedp.SendKeys("#reason", "I am away until Monday; for anything urgent call the clinic."))
	provider.submit("pause messaging", `form[action$="/messaging"]`)
	check(provider, "provider's thread")
	client.open(site.url + "/messages")
	if got := client.text(".pause-reason"); got != "I am away until Monday; for anything urgent call the clinic." {
		t.Errorf("the paused page shows %q", got)
	}
	if client.count(`#message-text`) != 0 {
		t.Error("the compose box is shown while paused")
	}
	check(client, "paused messages")
	site.browser.checkMessages(t)
}
