package web

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"interlude/internal/store"
)

// Config is what a Server needs; all of it is required but Now.
type Config struct {
	Store    *store.Store
	Logger   *slog.Logger
	Registry *prometheus.Registry // the server registers its metrics here and serves it at /metrics
	Now      func() time.Time
}

// Server serves Interlude over HTTP. Build it with New and serve Handler.
type Server struct {
	store   *store.Store
	log     *slog.Logger
	metrics *metrics
	reg     *prometheus.Registry
	pages   *pages
	assets  *assets
	now     func() time.Time
	handler http.Handler
}

// New builds a Server: it parses the templates, fingerprints the assets and
// registers the metrics.
func New(cfg Config) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	as, err := loadAssets()
	if err != nil {
		return nil, err
	}
	ps, err := loadPages(as)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	s := &Server{
		store:   cfg.Store,
		log:     cfg.Logger,
		metrics: m,
		reg:     cfg.Registry,
		pages:   ps,
		assets:  as,
		now:     cfg.Now,
	}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the server's root handler, with all middleware.
func (s *Server) Handler() http.Handler { return s.handler }
