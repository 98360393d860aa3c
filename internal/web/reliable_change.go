package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"interlude/internal/care"
)

// A clinic's reliable-change thresholds (issue #16): the smallest change
// of a PHQ-9 or GAD-7 total that the client page, the brief and the
// caseload call reliable. An admin sets them on /people and in the API;
// staff read them.

// reliableField is one instrument's threshold on the admin's form.
type reliableField struct {
	Code, Name string
	Value      string // as shown: the setting, or what was refused
	Min, Max   int
	Default    int // NHS Talking Therapies'
	JT         int // Jacobson–Truax, the documented alternative
	Invalid    bool
}

// POST /settings/reliable-change {phq9, gad7}
func (s *Server) peopleReliableChange(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	points := func(name string) int {
		n, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get(name)))
		if err != nil {
			return -1 // refused by Validate, with its message
		}
		return n
	}
	rc := care.ReliableChange{PHQ9: points(care.PHQ9.Code), GAD7: points(care.GAD7.Code)}
	if err := s.store.SetReliableChange(r.Context(), actor, rc); err != nil {
		var ce *care.Error
		if !errors.As(err, &ce) || ce.Code != care.Invalid {
			return err
		}
		return s.renderSettings(w, r, http.StatusBadRequest, errorMessage(err), ce.Field, r.PostForm)
	}
	return redirect(w, r, "/settings?done=reliable-change#reliable-h")
}

// reliableChangeJSON is the API's form of the thresholds, in points.
type reliableChangeJSON struct {
	PHQ9 *int `json:"phq9"`
	GAD7 *int `json:"gad7"`
}

func toReliableChangeJSON(rc care.ReliableChange) reliableChangeJSON {
	return reliableChangeJSON{PHQ9: &rc.PHQ9, GAD7: &rc.GAD7}
}

// GET /api/v1/clinic/reliable-change: the clinic's thresholds in points,
// NHS Talking Therapies' (PHQ-9 6, GAD-7 4) unless an admin set others;
// for staff.
func (s *Server) apiReliableChange(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	rc, err := s.store.ReliableChange(r.Context(), actor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toReliableChangeJSON(rc))
}

// PUT /api/v1/clinic/reliable-change {"phq9", "gad7"}: admins; both are
// required, whole points within care.ReliableChange.Validate's bounds.
func (s *Server) apiSetReliableChange(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req reliableChangeJSON
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	switch {
	case req.PHQ9 == nil:
		return care.FieldError("phq9", "is required")
	case req.GAD7 == nil:
		return care.FieldError("gad7", "is required")
	}
	rc := care.ReliableChange{PHQ9: *req.PHQ9, GAD7: *req.GAD7}
	if err := s.store.SetReliableChange(r.Context(), actor, rc); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toReliableChangeJSON(rc))
}
