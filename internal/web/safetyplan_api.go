package web

import (
	"net/http"
	"time"

	"interlude/internal/care"
)

// The safety plan's JSON API (issue #16): GET and PUT
// /api/v1/clients/{id}/safety-plan. The store decides who may read and
// change it; a PUT names the version it started from, and is a conflict
// when someone saved in between.

type safetyPlanJSON struct {
	ClientID      string      `json:"client_id"`
	Version       int         `json:"version"`
	UpdatedAt     *time.Time  `json:"updated_at"`
	UpdatedBy     *personJSON `json:"updated_by"`
	WarningSigns  []string    `json:"warning_signs"`
	Coping        []string    `json:"coping"`
	Distraction   []string    `json:"distraction"`
	Help          []string    `json:"help"`
	Professionals []string    `json:"professionals"`
	Environment   []string    `json:"environment"`
	Reasons       []string    `json:"reasons"`
}

func toSafetyPlanJSON(p *care.SafetyPlan) safetyPlanJSON {
	out := safetyPlanJSON{ClientID: p.ClientID, Version: p.Version,
		WarningSigns: orEmpty(p.WarningSigns), Coping: orEmpty(p.Coping), Distraction: orEmpty(p.Distraction), Help: orEmpty(p.Help),
		Professionals: orEmpty(p.Professionals), Environment: orEmpty(p.Environment), Reasons: orEmpty(p.Reasons)}
	if p.Version > 0 {
		at := p.UpdatedAt
		out.UpdatedAt, out.UpdatedBy = &at, &personJSON{ID: p.UpdatedBy, Name: p.UpdatedByName}
	}
	return out
}

func orEmpty(items []string) []string {
	if items == nil {
		return []string{}
	}
	return items
}

// safetyPlanRequest is the body of a PUT: the version the change started
// from (0 for a first plan) and every section; a section left out is
// empty.
type safetyPlanRequest struct {
	Version       *int     `json:"version"`
	WarningSigns  []string `json:"warning_signs"`
	Coping        []string `json:"coping"`
	Distraction   []string `json:"distraction"`
	Help          []string `json:"help"`
	Professionals []string `json:"professionals"`
	Environment   []string `json:"environment"`
	Reasons       []string `json:"reasons"`
}

// GET /api/v1/clients/{id}/safety-plan
func (s *Server) apiSafetyPlan(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	p, err := s.store.SafetyPlan(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toSafetyPlanJSON(p))
}

// PUT /api/v1/clients/{id}/safety-plan
func (s *Server) apiSaveSafetyPlan(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req safetyPlanRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Version == nil || *req.Version < 0 {
		return care.FieldError("version", "is required: the version your change started from (0 for a first plan)")
	}
	plan := care.SafetyPlan{WarningSigns: req.WarningSigns, Coping: req.Coping, Distraction: req.Distraction, Help: req.Help,
		Professionals: req.Professionals, Environment: req.Environment, Reasons: req.Reasons}
	p, err := s.store.SaveSafetyPlan(r.Context(), actor, r.PathValue("id"), plan, *req.Version)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toSafetyPlanJSON(p))
}
