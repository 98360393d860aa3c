package web

import (
	"context"
	"os"
	"testing"

	"interlude/internal/auth"
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
// server checks them) and copied for each test that asks for it.
var demoTemplate = storetest.NewTemplate(func(db *storetest.DB) (*demo.Clinic, error) {
	return demo.Seed(context.Background(), db.Store, auth.TestParams())
})
