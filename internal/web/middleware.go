package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"interlude/internal/store"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"
)

type ctxKey int

const requestIDKey ctxKey = iota

// requestID gives every request a fresh random id, in its context and in the
// X-Request-Id response header, so that a user's report and the log lines of
// that request can be matched without any PHI. An id sent by the client is
// ignored: it could be chosen to confuse the log.
func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [12]byte
		rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		ctx = store.WithSource(ctx, store.Source{Addr: clientAddr(r), RequestID: id})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// RequestID returns the id of the request that ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flushing for
// server-sent events, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

const routeKey ctxKey = iota + 300

// routeOf returns, for the outer middleware, the pattern that the mux
// matched: the mux sets Pattern on the request it receives, which inner
// middleware may have replaced by a copy.
func routeOf(r *http.Request) string {
	if p, ok := r.Context().Value(routeKey).(*string); ok && *p != "" {
		return *p
	}
	return r.Pattern
}

// recordRoute passes the matched pattern out to routeOf.
func recordRoute(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if p, ok := r.Context().Value(routeKey).(*string); ok {
			*p = r.Pattern
		}
	})
}

// observe logs one line per request and counts it in the metrics. It logs
// the route pattern, never the path or query: a path may hold an invitation
// token, a query may hold anything.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), routeKey, new(string)))
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		elapsed := time.Since(start)
		route := routeOf(r)
		if route == "" {
			route = "unmatched"
		}
		s.metrics.requests.WithLabelValues(r.Method, route, strconv.Itoa(sw.status)).Inc()
		s.metrics.duration.WithLabelValues(r.Method, route).Observe(elapsed.Seconds())
		s.log.LogAttrs(r.Context(), levelFor(sw.status), "request",
			slog.String("request_id", RequestID(r.Context())),
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", sw.status),
			slog.Int("bytes", sw.bytes),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
		)
	})
}

// recoverPanics turns a panic in a handler into a logged internal error, so
// that one bad request cannot take the server down.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p) // the server's own way to abort a response
			}
			s.log.Error("panic",
				"request_id", RequestID(r.Context()),
				"route", routeOf(r),
				"stack", string(debug.Stack()))
			s.renderError(w, r, errors.New("panic"))
		}()
		next.ServeHTTP(w, r)
	})
}

const nonceKey ctxKey = iota + 200

// securityHeaders sets the headers every response carries (WF-02, WF-03).
// Scripts run only from our own files that carry this response's nonce;
// no inline script or style is allowed. Pages that may show PHI must never
// be cached, so no-store is the default; fingerprinted static assets
// override it.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [16]byte
		rand.Read(b[:])
		nonce := base64.RawStdEncoding.EncodeToString(b[:])
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"' 'strict-dynamic'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), nonceKey, nonce)))
	})
}

func nonceOf(r *http.Request) string {
	n, _ := r.Context().Value(nonceKey).(string)
	return n
}

func levelFor(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}
