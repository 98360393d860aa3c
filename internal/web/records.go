package web

import (
	"net/http"
	"strconv"
	"strings"

	"interlude/internal/care"
	"interlude/internal/store"
)

// Retention and deletion of client records (EN-05): an admin sets how
// long the clinic keeps a record after the account is disabled, and once
// that has passed may delete it, which destroys the client's data key.

// DELETE /api/v1/clients/{id} {reason}
func (s *Server) apiDeleteClient(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := s.store.DeleteClient(r.Context(), actor, r.PathValue("id"), req.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// GET /api/v1/clinic/retention
func (s *Server) apiRetention(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	days, err := s.store.RetentionDays(r.Context(), actor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"retention_days": days})
}

// PUT /api/v1/clinic/retention {retention_days}
func (s *Server) apiSetRetention(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		Days *int `json:"retention_days"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Days == nil {
		return care.FieldError("retention_days", "is required")
	}
	if err := s.store.SetRetentionDays(r.Context(), actor, *req.Days); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"retention_days": *req.Days})
}

// POST /people/{id}/delete (reason)
func (s *Server) peopleDelete(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.store.DeleteClient(r.Context(), actor, r.PathValue("id"), r.PostForm.Get("reason")); err != nil {
		return err
	}
	return redirect(w, r, "/people?done=deleted")
}

// POST /settings/retention (retention_days)
func (s *Server) peopleRetention(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	days, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("retention_days")))
	if err != nil {
		return care.FieldError("retention_days", "must be a whole number of days")
	}
	if err := s.store.SetRetentionDays(r.Context(), actor, days); err != nil {
		return err
	}
	return redirect(w, r, "/settings?done=retention")
}

// deletionReason is a choice of the delete form.
type deletionReason struct{ Value, Label string }

// deletionReasons label store.DeletionReasons, in its order.
func deletionReasons() []deletionReason {
	labels := map[string]string{
		"retention-expired": "The retention period has ended",
		"entered-in-error":  "The account was created in error",
		"duplicate-account": "A duplicate of another account",
	}
	var out []deletionReason
	for _, v := range store.DeletionReasons {
		out = append(out, deletionReason{v, labels[v]})
	}
	return out
}
