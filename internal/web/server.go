package web

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
)

// Config is what a Server needs. Store, Logger, Registry and BaseURL are
// required; the rest have defaults.
type Config struct {
	Store    *store.Store
	Logger   *slog.Logger
	Registry *prometheus.Registry // the server registers its metrics here and serves it at /metrics, to MetricsToken
	BaseURL  string               // how users reach the server, e.g. https://care.example.org; links in invitations use it
	Now      func() time.Time     // the clock; time.Now outside tests

	Sessions    care.SessionPolicy      // zero: care.DefaultSessionPolicy()
	Invitations care.InvitationLifetime // zero: care.DefaultInvitationLifetime()
	Passwords   auth.Params             // zero: auth.DefaultParams
	Notify      NotifyConfig            // which notification channels the server can send on
	DeniedLimit int                     // refused requests a user may make a minute before 429; zero: 60 (denials.go)
	// MetricsToken is the bearer token /metrics asks for; "" closes
	// /metrics (it answers 404).
	MetricsToken string
}

// NotifyConfig says which notification channels are set up, for the
// settings page (internal/notify sends them).
type NotifyConfig struct {
	Email         bool   // an SMTP server is configured
	PushPublicKey string // the VAPID public key (base64url); "" when Web Push is off
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

	baseURL     string
	sessions    care.SessionPolicy
	invitations care.InvitationLifetime
	passwords   auth.Params
	policy      *auth.Policy
	notify      NotifyConfig

	live      *broker       // real-time thread events (events.go)
	liveCheck time.Duration // how often a stream re-checks its session
	stopLive  func()        // ends the store's delivery to live

	fileChecks chan struct{} // uploaded files being checked (message_files.go)
	denials    *denials      // refused requests per user (denials.go)

	metricsToken string // "" closes /metrics (metrics.go)
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

		baseURL:     strings.TrimSuffix(cfg.BaseURL, "/"),
		sessions:    cfg.Sessions,
		invitations: cfg.Invitations,
		passwords:   cfg.Passwords,
		policy:      auth.NewPolicy(),
		notify:      cfg.Notify,
		live:        newBroker(64),
		liveCheck:   15 * time.Second,
		fileChecks:  make(chan struct{}, maxFileChecks),
		denials:     newDenials(cfg.DeniedLimit),

		metricsToken: cfg.MetricsToken,
	}
	if s.sessions == (care.SessionPolicy{}) {
		s.sessions = care.DefaultSessionPolicy()
	}
	if s.invitations == (care.InvitationLifetime{}) {
		s.invitations = care.DefaultInvitationLifetime()
	}
	if s.passwords == (auth.Params{}) {
		s.passwords = auth.DefaultParams()
	}
	lctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.stopLive, err = s.store.Live(lctx, store.LiveHandler{
		Message: s.live.publish,
		Revoke:  s.live.revoke,
		Lost: func(err error) {
			s.log.Warn("live: listening for real-time events failed; retrying", "err", err)
		},
	})
	if err != nil {
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// Close stops the delivery of real-time events to the server's streams.
// The store's engine, which the caller closes, ends the PostgreSQL
// listening connection.
func (s *Server) Close() { s.stopLive() }

// Handler returns the server's root handler, with all middleware.
func (s *Server) Handler() http.Handler { return s.handler }
