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

// BenchmarkClientPageHTTP is the provider's client page (GET
// /clients/{id}) through the whole server, for a client with a year of
// daily shared entries, 52 PHQ-9 and 52 GAD-7 responses and 500 messages
// (storetest.EachBriefYear): the session check, the store's read with its
// audit row(s), decryption and rendering. It measures what #18 changed:
// the page read in one store call, one transaction and one audit row
// instead of one per part of the page; and its tabs (?tab=), which read
// only the parts they show. Besides ns/op it reports the 50th and 95th
// percentile in milliseconds and the size of the page.
//
//	go test -run xxx -bench BenchmarkClientPageHTTP -benchtime 100x ./internal/web/
func BenchmarkClientPageHTTP(b *testing.B) {
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
		// "all" is the whole page (before #18's tabs, the page had only
		// that, whatever ?tab= said).
		for _, tab := range []string{"all", "overview", "journal", "sessions"} {
			path := "/clients/" + c.Client.ID + "?tab=" + tab
			b.Run(tab, func(b *testing.B) {
				var size int
				get := func() {
					req := httptest.NewRequest("GET", path, nil)
					req.Header.Set("Authorization", "Bearer "+token)
					rec := httptest.NewRecorder()
					srv.Handler().ServeHTTP(rec, req)
					if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Pre-session brief") {
						b.Fatalf("GET %s: %d %.300s", path, rec.Code, rec.Body)
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
