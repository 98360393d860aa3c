package web

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"interlude/internal/auth"
	"interlude/internal/store/storetest"
)

// TestMetricsNeedToken (issue #17; AD-01's "no PHI in metrics" aside, the
// series still describe the service's traffic): /metrics is closed unless
// the operator sets a token, and then answers only a caller that presents
// it as a bearer token.
func TestMetricsNeedToken(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		const token = "metrics-token-for-the-test-0123456789"
		open := func(t *testing.T, metricsToken string) *webEnv {
			t.Helper()
			srv, err := New(Config{Store: db.Store, Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
				BaseURL: "http://interlude.test", Now: db.Clock.Now, Passwords: auth.TestParams(), MetricsToken: metricsToken})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Close)
			return &webEnv{db: db, srv: srv}
		}
		scrape := func(e *webEnv, authz string) (int, string) {
			t.Helper()
			req := envRequest{method: "GET", path: "/metrics"}
			if authz != "" {
				req.header = map[string]string{"Authorization": authz}
			}
			rec := e.send(t, req)
			return rec.Code, rec.Body.String()
		}

		closed := open(t, "")
		for _, authz := range []string{"", "Bearer ", "Bearer " + token} {
			if code, _ := scrape(closed, authz); code != http.StatusNotFound {
				t.Errorf("no token configured, Authorization %q: %d, want 404", authz, code)
			}
		}

		e := open(t, token)
		e.send(t, envRequest{method: "GET", path: "/healthz"})
		for _, authz := range []string{"", "Bearer ", "Bearer wrong", "Bearer " + token + "x", "Basic " + token, token} {
			code, body := scrape(e, authz)
			if code != http.StatusUnauthorized || strings.Contains(body, "interlude_") {
				t.Errorf("Authorization %q: %d, want 401 without metrics", authz, code)
			}
		}
		code, body := scrape(e, "Bearer "+token)
		if code != http.StatusOK || !strings.Contains(body, `interlude_http_requests_total{method="GET",route="GET /healthz",status="200"}`) {
			t.Errorf("the right token: %d\n%.300s", code, body)
		}
	})
}
