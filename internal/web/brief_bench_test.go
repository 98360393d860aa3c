package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// BenchmarkBriefHTTP is BenchmarkBrief (internal/store) through the whole
// server: the provider's signed-in request for the brief of a client with
// a year of daily shared entries, 52 PHQ-9 and 52 GAD-7 responses and 500
// messages, as JSON (GET /api/v1/clients/{id}/brief) and as the printable
// page with its charts (GET /clients/{id}/brief). Each request passes the
// session check, the care-team check, the audit row of the read, the
// store's read and decryption, and the encoding or rendering. "week" has
// the last held session 7 days ago, "year" 364 days ago. Besides ns/op it
// reports the 50th and 95th percentile in milliseconds and the size of
// the response (SPEC.md "Performance": a brief over a year of daily data
// renders in under 50 ms p95).
//
//	INTERLUDE_TEST_POSTGRES_URL=… go test -run xxx -bench BenchmarkBriefHTTP -benchtime 200x ./internal/web/
func BenchmarkBriefHTTP(b *testing.B) {
	storetest.EachBriefYear(b, func(b *testing.B, db *storetest.DB, c *storetest.Clinic) {
		srv, err := New(Config{
			Store:     db.Store,
			Logger:    slog.New(slog.NewJSONHandler(io.Discard, nil)),
			Registry:  prometheus.NewRegistry(),
			BaseURL:   "http://interlude.test",
			Now:       db.Clock.Now,
			Passwords: auth.TestParams(),
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(srv.Close)
		token, hash := auth.NewToken()
		if err := db.Store.CreateSession(context.Background(), &care.Session{UserID: c.Provider.ID, Kind: "api", Stage: care.StageFull, Device: "bench"}, hash); err != nil {
			b.Fatal(err)
		}
		for _, kind := range []struct {
			name, path, want string
		}{
			{"json", "/api/v1/clients/" + c.Client.ID + "/brief", `"measures"`},
			{"page", "/clients/" + c.Client.ID + "/brief", "Pre-session brief"},
		} {
			b.Run(kind.name, func(b *testing.B) {
				var size int
				get := func() {
					req := httptest.NewRequest("GET", kind.path, nil)
					req.Header.Set("Authorization", "Bearer "+token)
					rec := httptest.NewRecorder()
					srv.Handler().ServeHTTP(rec, req)
					if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), kind.want) {
						b.Fatalf("GET %s: %d %.300s", kind.path, rec.Code, rec.Body)
					}
					size = rec.Body.Len()
				}
				get() // warm the key cache
				storetest.ReportLatencies(b, get)
				b.ReportMetric(float64(size)/1024, "KiB")
			})
		}
	})
}
