package web

import (
	"net/http"
	"time"

	"interlude/internal/care"
)

// screenerRequest is the client's answer to the follow-up screener
// (issue #16): the ASQ's four questions in order, and the acuity
// question, absent or null unless one of them is yes.
type screenerRequest struct {
	Answers []bool `json:"answers"`
	Acuity  *bool  `json:"acuity"`
}

// POST /api/v1/clients/{id}/safety-flags/{fid}/screener
// {"answers": [bool, bool, bool, bool], "acuity": bool|null} → 201 with
// the triage, and the crisis resources the client must see whatever the
// result.
func (s *Server) apiAnswerScreener(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req screenerRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Answers == nil {
		return care.FieldError("answers", "is required")
	}
	resp, err := s.store.AnswerScreener(r.Context(), actor, r.PathValue("id"), r.PathValue("fid"), req.Answers, req.Acuity)
	if err != nil {
		return err
	}
	safety, err := s.safetyView(r, actor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, struct {
		ID         string              `json:"id"`
		FlagID     string              `json:"flag_id"`
		Instrument string              `json:"instrument"`
		AnsweredAt time.Time           `json:"answered_at"`
		Answers    []bool              `json:"answers"`
		Acuity     *bool               `json:"acuity"`
		Result     care.ScreenerResult `json:"result"`
		Crisis     map[string]any      `json:"crisis"`
	}{resp.ID, resp.FlagID, resp.Instrument, resp.AnsweredAt, resp.Answers, resp.Acuity, resp.Result, safety.json()})
}
