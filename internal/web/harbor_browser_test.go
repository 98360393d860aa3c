package web

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// harborSite is a server on a real clock, for browser tests whose
// authenticator codes must hold when the server checks them, with the
// clinic "Harbor Light Counseling": an admin and a provider with working
// authenticator apps and the provider's client, all with goodPassword.
type harborSite struct {
	url                         string
	st                          *store.Store
	admin, provider, client     care.User
	adminSecret, providerSecret []byte
}

func startHarborSite(t *testing.T) *harborSite {
	t.Helper()
	db := storetest.Open(t, "sqlite")
	st := store.New(db.Engine, db.Keyring, time.Now)
	ctx := context.Background()
	srv := httptest.NewUnstartedServer(nil)
	h := &harborSite{url: "http://" + srv.Listener.Addr().String(), st: st}
	logs := &syncBuffer{}
	s, err := New(Config{Store: st, Logger: slog.New(slog.NewJSONHandler(logs, nil)), Registry: prometheus.NewRegistry(),
		BaseURL: h.url, Passwords: auth.TestParams()})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})

	clinic := &care.Clinic{Name: "Harbor Light Counseling"}
	if err := st.CreateClinic(ctx, clinic); err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword(auth.TestParams(), goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	newUser := func(role care.Role, email, name string) (care.User, []byte) {
		t.Helper()
		u := care.User{ClinicID: clinic.ID, Role: role, Email: email, DisplayName: name, TimeZone: "UTC"}
		if err := st.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		if err := st.SetPasswordHash(ctx, u.ID, hash); err != nil {
			t.Fatal(err)
		}
		if !role.Staff() {
			return u, nil
		}
		secret := auth.NewTOTPSecret()
		if err := st.SetTOTP(ctx, actorOf(u), secret); err != nil {
			t.Fatal(err)
		}
		if err := st.ConfirmTOTP(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		return u, secret
	}
	h.admin, h.adminSecret = newUser(care.RoleAdmin, "ana.admin@harbor.test", "Ana Alvarez")
	h.provider, h.providerSecret = newUser(care.RoleProvider, "pat.provider@harbor.test", "Pat Provider")
	h.client, _ = newUser(care.RoleClient, "casey@example.test", "Casey Client")
	if err := st.AddToCareTeam(ctx, actorOf(h.admin), h.client.ID, h.provider.ID); err != nil {
		t.Fatal(err)
	}
	return h
}
