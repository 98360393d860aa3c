package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// The safety-flag workflow in the UI (issue #7): the alerts on a staff
// member's home page, the provider's page of open flags (the care team's
// and those escalated to them as on-call provider) with the form that
// acknowledges each, and the admin's escalation settings on /people.

// safetyAlerts is the safety section of a staff member's home page: how
// many flags wait for the provider, and their unread safety notices. It
// holds no PHI: counts, times and ids.
type safetyAlerts struct {
	Open    int
	Notices []safetyNoticeItem
}

type safetyNoticeItem struct {
	ID    string
	Text  string
	Links []pageLink
}

type pageLink struct{ URL, Text string }

// safetyLayout fills the safety alerts of a staff member's home page. A
// failure to read them is logged and leaves them out, as breakGlassLayout
// does: the page itself fails closed on its own reads.
func (s *Server) safetyLayout(r *http.Request, l *Layout) {
	actor := *l.User
	if r.Pattern == "" || r.Pattern != staffHome[actor.Role] {
		return
	}
	open, err := s.store.CountOpenFlags(r.Context(), actor)
	if err != nil {
		s.log.Error("counting open safety flags", "request_id", RequestID(r.Context()), "error", err.Error())
	}
	notices, err := s.store.SafetyNotices(r.Context(), actor)
	if err != nil {
		s.log.Error("reading safety notices", "request_id", RequestID(r.Context()), "error", err.Error())
	}
	if open == 0 && len(notices) == 0 {
		return
	}
	a := &safetyAlerts{Open: open}
	now := s.now()
	for _, n := range notices {
		a.Notices = append(a.Notices, safetyNoticeView(actor, &n, now))
	}
	l.SafetyAlerts = a
}

// safetyNoticeView says what a safety notice is about, without naming the
// client: the flag's page, read through the audited store, does.
func safetyNoticeView(actor care.Actor, n *store.SafetyNotice, now time.Time) safetyNoticeItem {
	at := clockTime(n.RaisedAt, now, actor.TimeZone)
	item := safetyNoticeItem{ID: n.ID}
	ack := pageLink{"/safety-flags#flag-" + n.FlagID, "Acknowledge it"}
	switch {
	case n.Kind == store.NoticeSafetyFlag:
		item.Text = "A safety flag was raised at " + at + " for a client on your caseload."
	case actor.Role == care.RoleProvider:
		item.Text = "A client's safety flag raised at " + at + " was not acknowledged in time and was passed to you as the clinic's on-call provider."
	default:
		item.Text = "A client's safety flag raised at " + at + " was not acknowledged in time, and the clinic has no on-call provider. Reach the client's care team."
		ack = pageLink{"/break-glass?client=" + n.ClientID, "Open emergency access"}
		item.Links = append(item.Links, pageLink{"/settings#safety-h", "Choose an on-call provider"})
	}
	if !n.Open {
		item.Text += " It has been acknowledged since."
	} else {
		item.Links = append([]pageLink{ack}, item.Links...)
	}
	return item
}

// openFlagView is an open flag on the provider's page of open flags.
type openFlagView struct {
	flagView
	ClientID, ClientName string
	OnCall               bool   // seen as the on-call provider, outside the care team
	Escalated            string // when it escalated, or ""
}

type safetyFlagsPage struct {
	Layout
	Flags   []openFlagView
	Problem *formProblem
}

// GET /safety-flags: the provider's open flags, oldest first.
func (s *Server) safetyFlagsView(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	return s.renderSafetyFlags(w, r, actor, http.StatusOK, nil)
}

func (s *Server) renderSafetyFlags(w http.ResponseWriter, r *http.Request, actor care.Actor, status int, problem *formProblem) error {
	if actor.Role != care.RoleProvider {
		return care.Errorf(care.NotFound, "There is no page at this address.")
	}
	flags, err := s.store.ListOpenFlags(r.Context(), actor, "")
	if err != nil {
		return err
	}
	p := &safetyFlagsPage{Layout: s.careLayout(r, "Open safety flags"), Problem: problem}
	for _, f := range flags {
		v := openFlagView{flagView: flagViews([]care.SafetyFlag{f}, f.ClientID, actor.TimeZone)[0],
			ClientID: f.ClientID, ClientName: f.ClientName, OnCall: f.OnCall}
		v.Action = "/safety-flags/" + f.ID + "/acknowledge"
		if f.OnCall {
			v.SourceURL = "" // the on-call provider sees the flag, not the record
		}
		if !f.EscalatedAt.IsZero() {
			v.Escalated = localTime(f.EscalatedAt, actor.TimeZone)
		}
		p.Flags = append(p.Flags, v)
	}
	s.renderPage(w, r, status, "safety_flags", p)
	return nil
}

// POST /safety-flags/{fid}/acknowledge {client_id, note}
func (s *Server) safetyFlagAck(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	fid := r.PathValue("fid")
	if err := s.acknowledgeFlag(r, actor, r.PostForm.Get("client_id"), fid); err != nil {
		if care.ErrorCode(err) != care.Invalid {
			return err
		}
		return s.renderSafetyFlags(w, r, actor, http.StatusBadRequest, &formProblem{Section: "flag-" + fid, Field: "note", Message: errorMessage(err)})
	}
	return redirect(w, r, "/safety-flags?done=flag-acknowledged")
}

// POST /settings/safety-settings {escalation_minutes, on_call_provider_id}
func (s *Server) peopleSafetySettings(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	minutes, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("escalation_minutes")))
	if err != nil {
		minutes = -1 // refused by Validate, with its message
	}
	set := care.SafetySettings{EscalationMinutes: minutes, OnCallProviderID: r.PostForm.Get("on_call_provider_id")}
	if err := s.store.SetSafetySettings(r.Context(), actor, set); err != nil {
		if care.ErrorCode(err) != care.Invalid {
			return err
		}
		var ce *care.Error
		field := "escalation_minutes"
		if errors.As(err, &ce) && ce.Field != "" {
			field = ce.Field
		}
		return s.renderSettings(w, r, http.StatusBadRequest, errorMessage(err), field, r.PostForm)
	}
	return redirect(w, r, "/settings?done=safety-settings#safety-h")
}

type safetySettingsJSON struct {
	EscalationMinutes *int    `json:"escalation_minutes"`
	OnCallProviderID  *string `json:"on_call_provider_id"`
}

func toSafetySettingsJSON(set care.SafetySettings) safetySettingsJSON {
	out := safetySettingsJSON{EscalationMinutes: &set.EscalationMinutes}
	if set.OnCallProviderID != "" {
		out.OnCallProviderID = &set.OnCallProviderID
	}
	return out
}

// GET /api/v1/clinic/safety-settings: the escalation time and on-call
// provider (null for none); for staff.
func (s *Server) apiSafetySettings(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	set, err := s.store.SafetySettings(r.Context(), actor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toSafetySettingsJSON(set))
}

// PUT /api/v1/clinic/safety-settings {"escalation_minutes", "on_call_provider_id"}:
// admins; on_call_provider_id null or "" for none.
func (s *Server) apiSetSafetySettings(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req safetySettingsJSON
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.EscalationMinutes == nil {
		return care.FieldError("escalation_minutes", "is required")
	}
	set := care.SafetySettings{EscalationMinutes: *req.EscalationMinutes}
	if req.OnCallProviderID != nil {
		set.OnCallProviderID = *req.OnCallProviderID
	}
	if err := s.store.SetSafetySettings(r.Context(), actor, set); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toSafetySettingsJSON(set))
}
