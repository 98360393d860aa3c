package web

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// route is one entry of the URL surface.
type route struct {
	pattern string
	handler http.Handler
}

// routeTable declares every route of Interlude. Patterns use the standard
// library's method and wildcard syntax; a route that is not here does not
// exist. Tests walk this table.
func (s *Server) routeTable() []route {
	return []route{
		// Operations.
		{"GET /healthz", s.handle(s.healthz)},
		{"GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})},

		// Web UI.
		{"GET /static/{file}", s.handle(s.static)},
		{"GET /{$}", s.handle(s.home)},

		// JSON API.
		{"/api/", s.handle(apiNotFound)},

		// Anything else is a page that does not exist.
		{"/", s.handle(pageNotFound)},
	}
}

// routes builds the handler: the route table inside the middleware that
// every request passes, outermost first.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routeTable() {
		mux.Handle(rt.pattern, rt.handler)
	}
	return s.requestID(s.observe(s.recoverPanics(securityHeaders(mux))))
}
