package web

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes declares every route of Interlude, and the middleware around them.
// Patterns use the standard library's method and wildcard syntax; a route
// that is not here does not exist.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()

	// Operations.
	mux.Handle("GET /healthz", s.handle(s.healthz))
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))

	// Web UI.
	mux.Handle("GET /static/{file}", s.handle(s.static))
	mux.Handle("GET /{$}", s.handle(s.home))

	// JSON API.
	mux.Handle("/api/", s.handle(apiNotFound))

	// Anything else is a page that does not exist.
	mux.Handle("/", s.handle(pageNotFound))

	return s.requestID(s.observe(s.recoverPanics(securityHeaders(mux))))
}
