package web

import (
	"context"
	"os"
	"testing"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/demo"
	"interlude/internal/store/storetest"
	"interlude/internal/web/browsertest"
)

// TestMain ends the shared browser and removes the database templates
// after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	browsertest.Shutdown()
	storetest.RemoveTemplates()
	os.Exit(code)
}

// demoTemplate is the demo clinic, seeded once on SQLite with the real
// clock (the browser tests compute TOTP codes that must hold when the
// server checks them) and copied for each test that asks for it. The
// demo provider's office hours are cleared, their response time kept: with
// the real clock, whether a client's message got an automatic reply would
// depend on the hour the tests run (TestDemoOfficeHours checks the demo's
// hours; TestBrowserBoundaries sets its own).
var demoTemplate = storetest.NewTemplate(func(db *storetest.DB) (*demo.Clinic, error) {
	ctx := context.Background()
	d, err := demo.Seed(ctx, db.Store, auth.TestParams())
	if err != nil {
		return nil, err
	}
	creds, err := db.Store.CredentialsByEmail(ctx, "provider@demo.interlude.test")
	if err != nil {
		return nil, err
	}
	provider := care.Actor{UserID: creds.User.ID, ClinicID: creds.User.ClinicID, Role: creds.User.Role}
	if err := db.Store.SetOfficeHours(ctx, provider, &care.OfficeHours{ResponseTime: "within 1 business day"}); err != nil {
		return nil, err
	}
	return d, nil
})
