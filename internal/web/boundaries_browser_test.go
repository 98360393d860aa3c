package web

import (
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
// crisis and sees the resources first on the page the form redirects to,
// which says the care team was told and which a reload shows again
// without sending; the provider finds the flag on the client list and
// page and acknowledges it, and the message marked in the thread; the provider pauses
// messaging and the client sees the reason instead of the compose box.
func TestBrowserBoundaries(t *testing.T) {
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
	client.fill("#message-text", "Is our session on Tuesday still on?")
	// The thread page sends without a reload (messages.js).
	client.do("press Send", chromedp.Click(`form[action="/messages"] button[type="submit"]`))
	// The thread is swapped in as it changes: check it in one step.
	client.within(10*time.Second, "the automatic reply shows, with when to expect an answer and crisis resources",
		`(() => { const a = document.querySelector("li.message.auto"); if (!a) return false; const t = a.textContent;
		  return ["Automatic reply", "988", "911", "within 1 business day"].every(w => t.includes(w)); })()`)

	client.fill("#message-text", "I can't do this anymore, I want to end my life")
	client.do("press Send", chromedp.Click(`form[action="/messages"] button[type="submit"]`))
	client.within(10*time.Second, "crisis resources show at once", `document.querySelector('.crisis-now[role="alert"]') !== null`)
	// Shown in place, not posted again: the message is in the thread once.
	if n := client.count(`li.message.mine`); n != 2 {
		t.Errorf("the client's thread shows %d of their messages, want 2 (each sent once)", n)
	}
	if got := client.text(`.crisis-now[role="alert"]`); !strings.Contains(got, "988") || !strings.Contains(got, "911") {
		t.Errorf("the crisis resources say %q", got)
	}
	if client.attr(`.crisis-now a[href="tel:988"]`, "href") != "tel:988" {
		t.Error("988 is not a link to call")
	}
	if got := client.text(`.crisis-now[role="alert"]`); !strings.Contains(got, "Your care team has been told and will contact you.") {
		t.Errorf("the crisis resources do not say who was told: %q", got)
	}
	check(client, "messages with crisis resources")
	// Issue #16: the page is a GET; reloading it shows it again and sends nothing.
	client.do("reload", chromedp.Reload())
	client.within(10*time.Second, "crisis resources after a reload", `document.querySelector('.crisis-now[role="alert"]') !== null`)
	if n := client.count(`li.message.mine`); n != 2 {
		t.Errorf("after a reload the thread shows %d of the client's messages, want 2", n)
	}

	provider.open(site.url + "/clients")
	if got := provider.text(`a.tag.flag`); !strings.HasPrefix(got, "1 open safety flag") { // and the demo's screener result, if any
		t.Errorf("the client list's flag says %q", got)
	}
	provider.open(site.url + "/clients/" + site.clientID)
	if got := provider.text(`#flags`); !strings.Contains(got, "Crisis language") {
		t.Errorf("the client page's flags: %q", got)
	}
	check(provider, "client page with a flag")
	provider.emulate(deskWidth)
	provider.fill(`#flags textarea[name="note"]`, "Called Sam; safe; safety plan reviewed.")
	provider.submit("acknowledge the flag", `#flags form`)
	if provider.count(`#flags`) != 0 {
		t.Error("the acknowledged flag is still shown")
	}

	provider.open(site.url + "/clients/" + site.clientID + "/messages")
	// Issue #16: the message that raised the flag is marked, and only it.
	// The thread is swapped in as it changes: check it in one step.
	provider.within(10*time.Second, "the provider's thread marks the crisis message, and only it",
		`(() => { const f = document.querySelectorAll("li.message .tag.flagged");
		  return f.length === 1 && f[0].closest("li.message").querySelector(".text").textContent.includes("end my life"); })()`)
	provider.do("choose paused", chromedp.SetValue(`#mode`, "paused"))
	provider.fill("#reason", "I am away until Monday; for anything urgent call the clinic.")
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
