package web

import (
	"net/http"
	"strings"
	"time"

	"interlude/internal/care"
)

// Boundaries in the JSON API (issue #6): a provider's office hours, and a
// client's messaging mode.

type spanJSON struct {
	Start string `json:"start"` // "09:00"
	End   string `json:"end"`   // "17:00", up to "24:00"
}

type officeHoursJSON struct {
	TimeZone     string                `json:"time_zone"`
	ResponseTime string                `json:"response_time"`
	Hours        map[string][]spanJSON `json:"hours"` // by lower-case English weekday
}

func toOfficeHoursJSON(h *care.OfficeHours) officeHoursJSON {
	out := officeHoursJSON{TimeZone: h.TimeZone, ResponseTime: h.ResponseTime, Hours: map[string][]spanJSON{}}
	for _, wd := range care.Weekdays {
		spans := []spanJSON{}
		for _, iv := range h.Days[wd] {
			s, e, _ := strings.Cut(iv.String(), "-")
			spans = append(spans, spanJSON{s, e})
		}
		out.Hours[strings.ToLower(wd.String())] = spans
	}
	return out
}

// GET /api/v1/me/office-hours
func (s *Server) apiOfficeHours(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	h, err := s.store.OfficeHours(r.Context(), actor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toOfficeHoursJSON(h))
}

// PUT /api/v1/me/office-hours {"response_time", "hours": {"monday": [{"start", "end"}], …}}:
// replaces them all; a day left out has none. The time zone is the
// provider's own and is not set here.
func (s *Server) apiSetOfficeHours(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		ResponseTime string                `json:"response_time"`
		Hours        map[string][]spanJSON `json:"hours"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	h := care.OfficeHours{ResponseTime: req.ResponseTime}
	days := map[string]time.Weekday{}
	for _, wd := range care.Weekdays {
		days[strings.ToLower(wd.String())] = wd
	}
	for name, spans := range req.Hours {
		wd, ok := days[name]
		if !ok {
			return care.FieldError("hours", "%q is not a weekday (monday … sunday)", name)
		}
		for _, sp := range spans {
			ivs, err := care.ParseIntervals(sp.Start + "-" + sp.End)
			if err != nil || len(ivs) != 1 {
				return care.FieldError("hours."+name, "each span needs start and end as HH:MM, such as 09:00 and 17:00")
			}
			h.Days[wd] = append(h.Days[wd], ivs[0])
		}
	}
	if err := s.store.SetOfficeHours(r.Context(), actor, &h); err != nil {
		return err
	}
	saved, err := s.store.OfficeHours(r.Context(), actor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toOfficeHoursJSON(saved))
}

type messagingJSON struct {
	Mode   string     `json:"mode"`
	Reason string     `json:"reason,omitempty"`
	SetBy  string     `json:"set_by,omitempty"`
	SetAt  *time.Time `json:"set_at,omitempty"`
}

func toMessagingJSON(m *care.Messaging) messagingJSON {
	out := messagingJSON{Mode: string(m.Mode), Reason: m.Reason, SetBy: m.SetBy}
	if !m.SetAt.IsZero() {
		at := m.SetAt
		out.SetAt = &at
	}
	return out
}

// GET /api/v1/clients/{id}/messaging: how the client may write; the client
// and the care team.
func (s *Server) apiMessaging(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	m, err := s.store.Messaging(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toMessagingJSON(&m))
}

// PUT /api/v1/clients/{id}/messaging {"mode": "open" | "reply_only" | "paused", "reason"}:
// a provider of the care team.
func (s *Server) apiSetMessaging(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		Mode   string `json:"mode"`
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	m := care.Messaging{Mode: care.MessagingMode(req.Mode), Reason: req.Reason}
	if err := s.store.SetMessaging(r.Context(), actor, r.PathValue("id"), &m); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toMessagingJSON(&m))
}
