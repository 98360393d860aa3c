package web

import (
	"net/http"
	"time"

	"interlude/internal/care"
)

// Safety flags and crisis resources in the JSON API (issues #6, #7).

type flagSourceJSON struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type flagJSON struct {
	ID             string         `json:"id"`
	ClientID       string         `json:"client_id"`
	Kind           string         `json:"kind"`
	Level          string         `json:"level"`           // "crisis" or "concern"
	Item9          int            `json:"item9,omitempty"` // a PHQ-9 flag: the item 9 answer, 1 to 3
	Source         flagSourceJSON `json:"source"`
	RaisedAt       time.Time      `json:"raised_at"`
	AcknowledgedBy string         `json:"acknowledged_by,omitempty"`
	AcknowledgedAt *time.Time     `json:"acknowledged_at,omitempty"`
	Note           string         `json:"note,omitempty"`
	EscalatedAt    *time.Time     `json:"escalated_at,omitempty"`
	NotAConcern    bool           `json:"not_a_concern,omitempty"` // acknowledged as a false alarm
	OnCall         bool           `json:"on_call,omitempty"`       // seen as the on-call provider it escalated to, not as the care team
	ScreenerResult *string        `json:"screener_result"`         // the follow-up screen (issue #16): negative, non_acute_positive, acute_positive, or null
}

func toFlagJSON(f *care.SafetyFlag) flagJSON {
	out := flagJSON{ID: f.ID, ClientID: f.ClientID, Kind: string(f.Kind), Level: f.Level.String(), Item9: f.Item9, Source: flagSourceJSON{f.SourceType, f.SourceID},
		RaisedAt: f.RaisedAt, AcknowledgedBy: f.AcknowledgedBy, Note: f.Note, NotAConcern: f.NotAConcern, OnCall: f.OnCall}
	if f.Screener != "" {
		r := string(f.Screener)
		out.ScreenerResult = &r
	}
	if !f.AcknowledgedAt.IsZero() {
		at := f.AcknowledgedAt
		out.AcknowledgedAt = &at
	}
	if !f.EscalatedAt.IsZero() {
		at := f.EscalatedAt
		out.EscalatedAt = &at
	}
	return out
}

func writeFlags(w http.ResponseWriter, flags []care.SafetyFlag) error {
	out := struct {
		Flags []flagJSON `json:"flags"`
	}{Flags: []flagJSON{}}
	for i := range flags {
		out.Flags = append(out.Flags, toFlagJSON(&flags[i]))
	}
	return writeJSON(w, http.StatusOK, out)
}

// GET /api/v1/safety-flags: the open flags of the provider's clients,
// oldest first.
func (s *Server) apiOpenFlags(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if actor.Role != care.RoleProvider {
		return care.Errorf(care.Forbidden, "safety flags are for providers")
	}
	flags, err := s.store.ListOpenFlags(r.Context(), actor, "")
	if err != nil {
		return err
	}
	return writeFlags(w, flags)
}

// GET /api/v1/clients/{id}/safety-flags: every flag of a client, newest
// first, with acknowledgement notes; for the care team.
func (s *Server) apiClientFlags(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	flags, err := s.store.SafetyFlags(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeFlags(w, flags)
}

// POST /api/v1/clients/{id}/safety-flags/{fid}/acknowledge {"note"}
func (s *Server) apiAcknowledgeFlag(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		Note        string `json:"note"`
		NotAConcern bool   `json:"not_a_concern"` // a false alarm: note says why (issue #16)
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	ack := s.store.AcknowledgeFlag
	if req.NotAConcern {
		ack = s.store.MarkFlagNotAConcern
	}
	f, err := ack(r.Context(), actor, r.PathValue("id"), r.PathValue("fid"), req.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toFlagJSON(f))
}

type crisisResourceJSON struct {
	Name       string `json:"name"`
	Detail     string `json:"detail"`
	Tel        string `json:"tel,omitempty"`
	SMS        string `json:"sms,omitempty"`
	SMSBody    string `json:"sms_body,omitempty"`
	ChatURL    string `json:"chat_url,omitempty"`
	Hours      string `json:"hours,omitempty"`
	AlwaysOpen bool   `json:"always_open"`
	Language   string `json:"language,omitempty"`
}

// crisisResources are the crisis resources for the actor's clinic, for a
// response that shows them.
func (s *Server) crisisResources(r *http.Request, actor care.Actor) ([]crisisResourceJSON, error) {
	resources, err := s.clinicCrisisResources(r, actor)
	if err != nil {
		return nil, err
	}
	return toCrisisResourcesJSON(resources), nil
}

// clinicCrisisResources are what the actor's clinic shows its clients:
// the national lines, the clinic's own resources and its legacy line,
// read at once, those in the actor's language first (care.InLanguage).
// Every resource is shown whatever its language, each marked with it.
func (s *Server) clinicCrisisResources(r *http.Request, actor care.Actor) ([]care.CrisisResource, error) {
	line, list, err := s.store.CrisisResourcesOf(r.Context(), actor)
	if err != nil {
		return nil, err
	}
	return care.InLanguage(care.CrisisResources(line, list), actor.Language), nil
}

// toCrisisResourcesJSON is the API's form of crisis resources, the same
// in every answer that carries them.
func toCrisisResourcesJSON(rs []care.CrisisResource) []crisisResourceJSON {
	out := []crisisResourceJSON{}
	for _, c := range rs {
		out = append(out, crisisResourceJSON{Name: c.Name, Detail: c.Detail, Tel: c.Tel, SMS: c.SMS, SMSBody: c.SMSBody,
			ChatURL: c.ChatURL, Hours: c.Hours, AlwaysOpen: c.AlwaysOpen, Language: c.Language})
	}
	return out
}

// crisisFor is crisisResources when crisis is set, else nil.
func (s *Server) crisisFor(r *http.Request, actor care.Actor, crisis bool) ([]crisisResourceJSON, error) {
	if !crisis {
		return nil, nil
	}
	return s.crisisResources(r, actor)
}

// GET /api/v1/clinic/crisis-line: the clinic's crisis line; anyone of the
// clinic may read it.
func (s *Server) apiCrisisLine(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	line, err := s.store.CrisisLine(r.Context(), actor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"crisis_line": line})
}

// PUT /api/v1/clinic/crisis-line {"crisis_line"}: admins.
func (s *Server) apiSetCrisisLine(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		Line *string `json:"crisis_line"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Line == nil {
		return care.FieldError("crisis_line", "is required (\"\" for none)")
	}
	if err := s.store.SetCrisisLine(r.Context(), actor, *req.Line); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"crisis_line": *req.Line})
}
