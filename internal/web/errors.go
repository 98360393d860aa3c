package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"interlude/internal/care"
	"interlude/internal/fhir"
	"interlude/internal/store"
)

// handlerFunc is the shape of every handler: it writes a response and
// returns nil, or writes nothing and returns an error for renderError.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handlerFunc to http.Handler.
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.deniedLimit(w, r); err != nil {
			s.renderError(w, r, err)
			return
		}
		if err := h(w, r); err != nil {
			s.renderError(w, r, err)
		}
	})
}

// statusFor maps each domain error code to its one HTTP status.
var statusFor = map[care.Code]int{
	care.Invalid:         http.StatusBadRequest,
	care.Unauthenticated: http.StatusUnauthorized,
	care.MFARequired:     http.StatusUnauthorized,
	care.Forbidden:       http.StatusForbidden,
	care.StepUpRequired:  http.StatusForbidden,
	care.NotFound:        http.StatusNotFound,
	care.Conflict:        http.StatusConflict,
	care.RateLimited:     http.StatusTooManyRequests,
	care.Gone:            http.StatusGone,
	care.Integrity:       http.StatusInternalServerError,
	care.Internal:        http.StatusInternalServerError,
}

// apiError is the JSON error shape of API.md.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    care.Code `json:"code"`
	Message string    `json:"message"`
	Field   string    `json:"field,omitempty"`
}

// renderError is the one place where failures become responses. A
// *care.Error is shown as it is (its message is written to be safe); any
// other error is logged with the request id and shown as a generic message,
// since its text may say more than the caller should know.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	var e *care.Error
	if !errors.As(err, &e) {
		s.log.Error("internal error", "request_id", RequestID(r.Context()), "route", r.Pattern, "error", err.Error())
		e = &care.Error{Code: care.Internal, Message: "something went wrong on our side; the request id names it"}
	}
	if !isAPI(r) && !isFHIR(r) && e.Code == care.Unauthenticated && r.Method == http.MethodGet {
		// A page that needs a signed-in user sends a browser to sign in.
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	if e.Code == care.NotFound || e.Code == care.Forbidden {
		if a := authOf(r); a != nil {
			s.denials.count(a.actor.UserID, s.now())
		}
		if !store.Audited(err) {
			s.auditDenied(r)
		}
	}
	status, ok := statusFor[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if se, ok := errors.AsType[*statusError](err); ok {
		status = se.status // 413 and 415 from the JSON decoder
	}
	if isFHIR(r) {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="interlude"`)
		}
		msg := e.Message
		if e.Field != "" { // a FHIR request's field is a parameter: name it
			msg = e.Field + ": " + msg
		}
		writeFHIR(w, status, fhir.OperationOutcome(e.Code, msg)) //nolint:errcheck // the renderer of failures: a failed write means the client has gone, and no one is left to tell
		return
	}
	if isAPI(r) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(apiError{Error: apiErrorBody{Code: e.Code, Message: e.Message, Field: e.Field}}) //nolint:errcheck // as above
		return
	}
	s.renderPage(w, r, status, "error", &errorPage{
		Layout:    s.layout(r, http.StatusText(status)),
		Status:    status,
		Message:   e.Message,
		RequestID: RequestID(r.Context()),
	})
}

// auditDenied records a refusal of a signed-in user's request that the
// store has not recorded (AC-03, AD-01): the route, never the path, which
// may hold ids of records the caller may not see.
func (s *Server) auditDenied(r *http.Request) {
	a := authOf(r)
	if a == nil || r.Pattern == "" || r.Pattern == "/" || r.Pattern == "/api/" || r.Pattern == "/fhir/" {
		return // anonymous, or no such route at all
	}
	ev := store.Event(a.actor, "request.denied", "route", r.Pattern)
	ev.Outcome = care.OutcomeDenied
	if err := s.store.Audit(r.Context(), ev); err != nil {
		s.log.Error("audit write failed", "request_id", RequestID(r.Context()), "error", err.Error())
	}
}

// deniedLimit refuses, with 429, every request of a signed-in user who
// has had too many requests refused this minute (denials.go). Only the
// first request it refuses writes an audit row, request.throttled; the
// others write none, so refusals cannot grow the trail without bound
// (issue #17).
func (s *Server) deniedLimit(w http.ResponseWriter, r *http.Request) error {
	a := authOf(r)
	if a == nil {
		return nil
	}
	wait, first := s.denials.blocked(a.actor.UserID, s.now())
	if wait <= 0 {
		return nil
	}
	if first {
		route := r.Pattern
		if route == "" {
			route = "/"
		}
		ev := store.Event(a.actor, "request.throttled", "route", route)
		ev.Outcome = care.OutcomeDenied
		if err := s.store.Audit(r.Context(), ev); err != nil {
			return err
		}
	}
	return rateLimited(w, wait)
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

func apiNotFound(w http.ResponseWriter, r *http.Request) error {
	return care.Errorf(care.NotFound, "no such API route")
}

func pageNotFound(w http.ResponseWriter, r *http.Request) error {
	return care.Errorf(care.NotFound, "There is no page at this address.")
}
