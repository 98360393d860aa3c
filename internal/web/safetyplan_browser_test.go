package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserSafetyPlan (issue #16), in headless Chromium on the demo
// clinic at a phone's width, with axe-core on every page: the client
// opens their safety plan in one tap from another page, changes it with
// the form, lands on the plan saved, reloads and it is still one new
// version; a line too long comes back marked with everything typed kept;
// after a crisis entry the banner's first link is the plan.
func TestBrowserSafetyPlan(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	site := startCareSite(t)
	client := site.signInClient(t)
	client.emulate(phoneWidth)

	// One tap from another page (the tasks), to the plan the demo gave Sam.
	client.open(site.url + "/tasks")
	client.follow("tap My safety plan", `header.site a.safety-plan-link`)
	client.wantPath("/safety-plan")
	if got := client.text("main"); !strings.Contains(got, "Version 1, saved") || !strings.Contains(got, "Box breathing for five minutes") {
		t.Fatalf("the safety plan says %q", got)
	}
	client.checkA11y(axe, "safety plan", phoneWidth)
	client.docShot("safety-plan", phoneWidth)

	// Change it: a line too long first, then right.
	client.follow("open the form", `a[href="/safety-plan/edit"]`)
	client.wantPath("/safety-plan/edit")
	client.checkA11y(axe, "safety plan form", phoneWidth)
	form := `form.safety-plan-form`
	const added = "Text my sister the word 'anchor'"
	client.fill(`#sp-help-1`, added)
	client.fill(`#sp-reasons-2`, strings.Repeat("x", 300)+"y")
	client.submit("save a line too long", form)
	if got := client.text(".error"); !strings.Contains(got, "My reasons for living, line 3") {
		t.Errorf("the refused form says %q", got)
	}
	if client.attr(`#sp-reasons-2`, "aria-invalid") != "true" || client.value(`#sp-help-1`) != added {
		t.Errorf("the refused form does not mark the line or lost what was typed (help: %q)", client.value(`#sp-help-1`))
	}
	client.checkA11y(axe, "safety plan form with a problem", phoneWidth)
	client.fill(`#sp-reasons-2`, "Seeing the ocean again")
	client.submit("save the safety plan", form)
	client.wantPath("/safety-plan")
	check := func(when string) {
		t.Helper()
		got := client.text("main")
		if !strings.Contains(got, "Version 2, saved") || !strings.Contains(got, added) || !strings.Contains(got, "Seeing the ocean again") {
			t.Errorf("%s, the plan says %q", when, got)
		}
	}
	check("after saving")
	if got := client.text(".notice"); got != "The safety plan is saved." {
		t.Errorf("after saving: %q", got)
	}
	client.do("reload", chromedp.Reload())
	check("after a reload")
	client.follow("open the form again", `a[href="/safety-plan/edit"]`)
	if v := client.value(`input[name="version"]`); v != "2" {
		t.Errorf("after a save and a reload the plan is at version %s, want 2", v)
	}

	// A crisis entry: the banner's first link is the plan.
	client.open(site.url + "/")
	quick := `form[action="/journal/quick"]`
	client.do("choose mood 1", chromedp.Click(quick+` label[for="quick-mood-1"]`))
	client.fill(quick+` textarea`, "I want to kill myself tonight")
	client.submit("save the crisis entry", quick)
	if !client.eval(`(() => { const b = document.querySelector('.crisis-now[role="alert"]'); if (!b) return false;
		const first = b.querySelector("a"); return !!first && first.getAttribute("href") === "/safety-plan" && first.textContent.trim() === "Your safety plan" })()`) {
		t.Errorf("the crisis banner's first link is not the safety plan: %q", client.text("main"))
	}
	client.checkA11y(axe, "crisis banner with the safety plan", phoneWidth)
	client.docShot("crisis-with-safety-plan", phoneWidth)
	client.follow("tap Your safety plan", `.crisis-now a[href="/safety-plan"]`)
	client.wantPath("/safety-plan")
	site.browser.checkMessages(t)
}
