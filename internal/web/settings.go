package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"interlude/internal/care"
)

// The clinic's settings (issue #17), for an admin, on a page of their own
// beside People: record retention, the crisis line and resources, the
// safety message, safety flag escalation and reliable change. Each form
// posts to /settings/…, which redirects back here with a notice, or
// renders this page with the refusal beside the field.

type settingsPage struct {
	Layout
	Retention  int // days
	CrisisLine string
	// National are the crisis lines every clinic shows; Resources the
	// forms of the clinic's own list, and AddResource the form that adds
	// one (issue #16).
	National      []care.CrisisResource
	Resources     []resourceForm
	AddResource   resourceForm
	MaxResources  int
	SafetyMessage string // told to a client with the crisis resources after a flagged answer
	Safety        care.SafetySettings
	SafetyMin     int
	SafetyMax     int
	SafetyErr     string // a refused escalation setting
	// Providers may be chosen as the on-call provider.
	Providers []care.User
	// NotAConcern counts the flags providers closed as false alarms, by
	// kind and level (issue #16), and NotAConcernTotal adds them up.
	NotAConcern      []notAConcernRow
	NotAConcernTotal int
	// ReliableFields are the clinic's reliable-change thresholds, one per
	// instrument; ReliableErr a refused setting.
	ReliableFields []reliableField
	ReliableErr    string
	Field          string
	Form           url.Values
}

// GET /settings: the clinic's settings, for an admin.
func (s *Server) settings(w http.ResponseWriter, r *http.Request) error {
	return s.renderSettings(w, r, http.StatusOK, "", "", nil)
}

// renderSettings renders the settings page; msg and field are a refused
// form's, form the values it posted.
func (s *Server) renderSettings(w http.ResponseWriter, r *http.Request, status int, msg, field string, form url.Values) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if actor.Role != care.RoleAdmin {
		return care.ErrNotFound
	}
	users, err := s.store.Users(r.Context(), actor)
	if err != nil {
		return err
	}
	days, err := s.store.RetentionDays(r.Context(), actor)
	if err != nil {
		return err
	}
	line, list, err := s.store.CrisisResourcesOf(r.Context(), actor)
	if err != nil {
		return err
	}
	safety, err := s.store.SafetyMessage(r.Context(), actor)
	if err != nil {
		return err
	}
	set, err := s.store.SafetySettings(r.Context(), actor)
	if err != nil {
		return err
	}
	rc, err := s.store.ReliableChange(r.Context(), actor)
	if err != nil {
		return err
	}
	counts, err := s.store.NotAConcernCounts(r.Context(), actor)
	if err != nil {
		return err
	}
	p := &settingsPage{
		Layout: s.layoutNotice(r, "Clinic settings"), Field: field, Form: form,
		Retention: days, CrisisLine: line, SafetyMessage: safety,
		Safety: set, SafetyMin: care.MinEscalationMinutes, SafetyMax: care.MaxEscalationMinutes,
	}
	for _, u := range users {
		if u.Role == care.RoleProvider && !u.Disabled {
			p.Providers = append(p.Providers, u.User)
		}
	}
	p.National, p.MaxResources = care.NationalResources(), care.MaxClinicResources
	p.Resources, p.AddResource = resourceForms(list, field, msg, form)
	for _, c := range counts {
		p.NotAConcern = append(p.NotAConcern, notAConcernRow{Kind: c.Kind.Label(), Level: strings.ToLower((&care.SafetyFlag{Level: c.Level}).LevelLabel()), Count: c.Count})
		p.NotAConcernTotal += c.Count
	}
	reliableForm := field == care.PHQ9.Code || field == care.GAD7.Code
	for _, in := range care.Instruments {
		f := reliableField{Code: in.Code, Name: in.Name, Value: strconv.Itoa(rc.Points(in)), Min: care.MinReliableChange,
			Max: care.MaxReliableChange(in), Default: in.ReliableChange, JT: in.JacobsonTruaxPoints(), Invalid: field == in.Code}
		if reliableForm {
			f.Value = form.Get(in.Code)
		}
		p.ReliableFields = append(p.ReliableFields, f)
	}
	switch {
	case field == "escalation_minutes" || field == "on_call_provider_id":
		p.SafetyErr = msg
	case reliableForm:
		p.ReliableErr = msg
	}
	s.renderPage(w, r, status, "settings", p)
	return nil
}
