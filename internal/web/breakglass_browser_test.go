package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"interlude/internal/auth"
	"interlude/internal/web/browsertest"
)

// TestBrowserBreakGlass walks emergency access in headless Chromium: an
// admin opens a client's record with a reason and a fresh code, sees the
// banner on every page (on a phone too) and ends it from there; the
// client's provider finds the notice on their home page and reviews it.
func TestBrowserBreakGlass(t *testing.T) {
	t.Parallel()
	browsertest.ChromiumPath(t) // skips without Chromium (fails in CI) before any seeding

	// A real clock, and a clinic of an admin and a provider with
	// authenticator apps, and the provider's client.
	h := startHarborSite(t)
	baseURL := h.url
	admin, adminSecret, provider, providerSecret, client := h.admin, h.adminSecret, h.provider, h.providerSecret, h.client

	b := startBrowser(t)
	b.checkCSPDetector(t)

	// 1. The admin signs in and opens the emergency access form from the
	// header.
	ap := b.person(t, "admin", false)
	ap.open(baseURL + "/signin")
	ap.signIn(admin.Email, goodPassword, "/signin/mfa")
	step := auth.TOTPStep(time.Now())
	ap.enterCode(auth.TOTPCode(adminSecret, step))
	ap.wantPath("/people")
	ap.follow("follow the header link", `header a[href="/break-glass"]`)
	ap.wantPath("/break-glass")
	if list := ap.text("main table"); !strings.Contains(list, client.ID) || strings.Contains(list, "Casey") {
		t.Errorf("the client list should hold ids, not names: %q", list)
	}

	// 2. A reason that is too short comes back marked; the browser would
	// hold it back (minlength), so a script sets it, as a password
	// manager might.
	ap.follow("choose the client", `main table a[href^="/break-glass?client="]`)
	if got := ap.value("#client_id"); got != client.ID {
		t.Errorf("choosing the client filled in %q", got)
	}
	ap.do("set a short reason", chromedp.SetValue(chromedp.CSS("#reason"), "urgent"))
	ap.fill("#totp_code", auth.TOTPCode(adminSecret, step+1))
	resp := ap.submit("ask with a short reason", `form[action="/break-glass"]`)
	if resp.Status != 400 {
		t.Errorf("a short reason: status %d, want 400", resp.Status)
	}
	if got := ap.attr("#reason", "aria-invalid"); got != "true" {
		t.Errorf("a short reason: aria-invalid = %q", got)
	}
	ap.shot("break-glass-form-error")

	// 3. A reason and a fresh code open the record.
	ap.fill("#reason", "Pat is on leave and Casey called the front desk in distress; the on-call clinician needs the contact details now.")
	ap.fill("#totp_code", auth.TOTPCode(adminSecret, step+1))
	ap.submit("open emergency access", `form[action="/break-glass"]`)
	grantPath := ap.path()
	if !strings.HasPrefix(grantPath, "/break-glass/") {
		ap.shot("wrong-page")
		t.Fatalf("after opening emergency access: at %s; the page says %.300q", grantPath, ap.text("main"))
	}
	if h := ap.text("#record-h"); h != "Casey Client" {
		t.Errorf("the record's heading is %q", h)
	}
	ap.shot("break-glass-grant")

	// 4. The banner, on every page.
	ap.open(baseURL + "/account")
	banner := ap.text("section.break-glass")
	if !strings.Contains(banner, "Emergency access is open") || !strings.Contains(banner, "minutes") {
		t.Errorf("the banner says %q", banner)
	}
	if n := ap.count(`section.break-glass[aria-labelledby] h2`); n != 1 {
		t.Errorf("%d labelled banner regions", n)
	}
	ap.shot("break-glass-banner")
	ap.do("emulate a phone", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulatePortrait, chromedp.EmulateScale(2)))
	ap.open(baseURL + "/people")
	ap.shot("break-glass-banner-375")
	ap.do("back to a desktop", chromedp.EmulateViewport(1280, 900))

	// 5. The provider sees the notice on their home page and reviews it.
	pp := b.person(t, "provider", false)
	pp.open(baseURL + "/signin")
	pp.signIn(provider.Email, goodPassword, "/signin/mfa")
	pp.enterCode(auth.TOTPCode(providerSecret, auth.TOTPStep(time.Now())))
	pp.wantPath("/clients")
	notice := pp.text("section.review-notices")
	if !strings.Contains(notice, "Emergency access to a client on your care team was opened by an admin, Ana Alvarez,") {
		t.Errorf("the provider's notice says %q", notice)
	}
	pp.shot("break-glass-notice")
	pp.follow("open the review", `section.review-notices a[href^="/break-glass/"]`)
	pp.wantPath(grantPath)
	if reason := pp.text("dd.reason"); !strings.Contains(reason, "on-call clinician") {
		t.Errorf("the review shows the reason %q", reason)
	}
	pp.shot("break-glass-review")
	pp.submit("mark it reviewed", `form[action^="/notices/"]`)
	pp.wantPath("/clients")
	if n := pp.count("section.review-notices"); n != 0 {
		t.Errorf("the notice is still shown after the review")
	}

	// 6. The admin ends it from the banner; the banner goes.
	ap.open(baseURL + "/people")
	ap.submit("end emergency access", `section.break-glass form`)
	ap.wantPath(grantPath)
	if n := ap.count("section.break-glass"); n != 0 {
		t.Errorf("the banner is still shown after the end")
	}
	if h := ap.text("#grant-h"); h != "Closed" {
		t.Errorf("the grant's page says %q after the end", h)
	}
	ap.shot("break-glass-ended")

	b.checkMessages(t)
}
