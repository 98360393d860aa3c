package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"interlude/internal/auth"
	"interlude/internal/web/browsertest"
)

// TestBrowserAccountRecovery (issue #17) walks recovery in headless
// Chromium, as the people of a clinic meet it:
//
//  1. A client forgot their password: the sign-in page says whom to ask;
//     their provider makes a reset link on the client's page; the client
//     opens it on their phone, sets a new password and signs in with it.
//  2. A provider lost their phone: the admin resets their second step on
//     the provider's page; the provider signs in with their password,
//     sets up a new authenticator app, saves the recovery codes shown
//     once, and is in.
//  3. Every step is in the audit log, and the client's access report
//     shows the link and its use.
//
// Each new page passes axe-core's WCAG 2.2 AA checks.
func TestBrowserAccountRecovery(t *testing.T) {
	t.Parallel()
	browsertest.ChromiumPath(t)
	axe := axeSource(t)

	h := startHarborSite(t)
	st, baseURL, ctx := h.st, h.url, context.Background()
	admin, adminSecret, provider, providerSecret, client := h.admin, h.adminSecret, h.provider, h.providerSecret, h.client

	b := startBrowser(t)
	b.checkCSPDetector(t)

	// 1. The client forgot their password: the sign-in page says whom to
	// ask (this server sends no email).
	cp := b.person(t, "client", true)
	cp.open(baseURL + "/signin")
	cp.follow("follow Forgot your password?", `main a[href="/signin/forgot"]`)
	cp.wantPath("/signin/forgot")
	if txt := cp.text("main"); !strings.Contains(txt, "Your provider") || strings.Contains(txt, "Send me a link") {
		t.Errorf("the forgotten-password page without email: %q", txt)
	}
	cp.checkA11y(axe, "forgot", 390)

	// The provider makes a reset link on the client's page.
	pp := b.person(t, "provider", false)
	pp.open(baseURL + "/signin")
	pp.signIn(provider.Email, goodPassword, "/signin/mfa")
	step := auth.TOTPStep(time.Now())
	pp.enterCode(auth.TOTPCode(providerSecret, step))
	pp.open(baseURL + "/clients/" + client.ID + "#account")
	pp.submit("make a reset link", `form[action="/clients/`+client.ID+`/password-reset"]`)
	pp.wantPath("/password-reset-link/" + client.ID)
	link := pp.value(`input.link-box`)
	if !strings.HasPrefix(link, baseURL+"/reset/") || pp.count(`img[alt="QR code of the password reset link"]`) != 1 {
		t.Fatalf("the reset link page: link %q", link)
	}
	pp.checkA11y(axe, "reset link", 1280)
	pp.shot("reset-link")

	// The client opens it on their phone and sets a new password; the
	// browser's own check holds a short one back, so a script sets a
	// mismatch to see the server's answer.
	const newPassword = "harbor tulip kettle marble"
	cp.open(link)
	cp.wantPath("/reset")
	cp.checkA11y(axe, "reset", 390)
	cp.fill("#password", newPassword)
	cp.fill("#confirm", newPassword+" typo")
	cp.submit("set a mismatched password", `form[action="/reset"]`)
	if e := cp.text(`p.error[role="alert"]`); !strings.Contains(e, "does not match") {
		t.Errorf("a mismatched confirmation says %q", e)
	}
	cp.fill("#password", newPassword)
	cp.fill("#confirm", newPassword)
	cp.submit("set the new password", `form[action="/reset"]`)
	cp.wantPath("/signin")
	if n := cp.text(`.notice[role="status"]`); !strings.Contains(n, "new password is set") {
		t.Errorf("after the reset the notice says %q", n)
	}
	cp.signIn(client.Email, newPassword, "/")
	cp.shot("client-home-after-reset")

	// The same link again: gone.
	cp2 := b.person(t, "someone-else", true)
	if resp := run(cp2, "open the used link", chromedp.NavigateResponse(link)); resp == nil || resp.Status != 404 {
		t.Errorf("the used link answered %v, want 404", resp)
	}
	if txt := cp2.text("main"); !strings.Contains(txt, "expired, was used") {
		t.Errorf("the used link says %q", txt)
	}

	// 2. The provider lost their phone: the admin resets their second
	// step from the provider's page.
	ap := b.person(t, "admin", false)
	ap.open(baseURL + "/signin")
	ap.signIn(admin.Email, goodPassword, "/signin/mfa")
	ap.enterCode(auth.TOTPCode(adminSecret, auth.TOTPStep(time.Now())))
	ap.open(baseURL + "/people")
	ap.follow("open the provider's page", `main a[href="/people/`+provider.ID+`"]`)
	ap.wantPath("/people/" + provider.ID)
	ap.checkA11y(axe, "person", 1280)
	if !ap.eval(`document.querySelector("details.danger").open`) { // checkA11y opened it
		ap.do("open the reset", chromedp.Click(chromedp.CSS(`details.danger summary`)))
	}
	ap.submit("reset the second step", `form[action="/people/`+provider.ID+`/mfa-reset"]`)
	ap.wantPath("/people/" + provider.ID)
	if n := ap.text(`.notice[role="status"]`); !strings.Contains(n, "second step is reset") {
		t.Errorf("after the reset the notice says %q", n)
	}

	// The provider, signed out everywhere, signs in with their password
	// and sets up a new authenticator app.
	pp.open(baseURL + "/signin") // a signed-in browser would be sent on to its home
	pp.wantPath("/signin")
	pp.signIn(provider.Email, goodPassword, "/signin/mfa")
	if pp.count("figure.qr img") != 1 {
		t.Fatal("no enrolment QR code after the reset")
	}
	creds, err := st.CredentialsByEmail(ctx, provider.Email)
	if err != nil || creds.TOTPConfirmed {
		t.Fatalf("credentials after the reset: %v", err)
	}
	pp.fill("#code", auth.TOTPCode(creds.TOTPSecret, auth.TOTPStep(time.Now())))
	pp.submit("enrol the new app", `form[action="/signin/mfa"]`)
	pp.wantPath("/account/new-codes")
	if n := pp.count("ol.codes li code"); n != 10 {
		t.Errorf("%d recovery codes shown, want 10", n)
	}
	pp.checkA11y(axe, "new codes", 1280)
	pp.follow("continue", `main a.button`)
	pp.wantPath("/clients") // a provider's home
	pp.open(baseURL + "/account/new-codes")
	if pp.path() == "/account/new-codes" && pp.count("ol.codes li") > 0 {
		t.Error("the recovery codes are shown a second time")
	}

	// 3. The audit log has every step; the client's access report shows
	// the link and its use.
	ap.open(baseURL + "/audit")
	audit := ap.text("main")
	for _, action := range []string{"password_reset.create", "password_reset.use", "mfa.reset", "mfa.recovery-codes"} {
		if !strings.Contains(audit, action) {
			t.Errorf("the audit log lacks %s", action)
		}
	}
	cp.open(baseURL + "/access-log")
	report := cp.text("main")
	for _, want := range []string{"Pat Provider", "made you a link to set a new password", "set a new password with a reset link"} {
		if !strings.Contains(report, want) {
			t.Errorf("the access report lacks %q: %q", want, report)
		}
	}
	cp.checkA11y(axe, "access report", 390)
}
