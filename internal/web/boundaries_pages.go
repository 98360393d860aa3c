package web

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// Boundaries and safety on the web pages (issue #6): crisis resources
// shown at once after a write with crisis language; the care team's
// office hours beside the client's compose box; the messaging mode (a
// provider's form, and for the client a pause's reason in place of the
// compose box); a provider's office-hours page; the clinic's crisis line
// on the People page; safety flags on the provider's client page and
// list.

type crisisKey struct{}

// crisisBanner is what the layout shows first on a page reached after a
// write whose words held crisis language: where to get help now, and who
// was told.
type crisisBanner struct {
	Resources []care.CrisisResource
	// Told: the care team was told (a message, a shared entry: a safety
	// flag was raised).
	Told bool
	// ShareEntry is the id of a private entry nobody was told of, for the
	// form that shares it; "" when Told.
	ShareEntry string
	// Screener is the id of the flag whose follow-up screener the client
	// may answer (issue #16), "" for none: a link, never in the way.
	Screener string
	// SafetyPlan: the client has a safety plan, linked before the
	// resources.
	SafetyPlan bool
}

// withCrisis returns r carrying banner b, with the clinic's crisis
// resources, for the layout of the page r renders (crisisOf).
func (s *Server) withCrisis(r *http.Request, actor care.Actor, b crisisBanner) (*http.Request, error) {
	resources, err := s.clinicCrisisResources(r, actor)
	if err != nil {
		return r, err
	}
	b.Resources = resources
	if b.SafetyPlan, err = s.hasSafetyPlan(r, actor); err != nil {
		return r, err
	}
	return r.WithContext(context.WithValue(r.Context(), crisisKey{}, &b)), nil
}

// withSavedEntry answers the redirect after a client saved a journal entry
// (?saved=ID, on every save, so that the address tells nothing of what the
// entry says): when the entry is the viewer's own and its words hold
// crisis language, read again from the store, r carries the crisis banner.
// Anyone else's id, a deleted entry or an unknown one adds nothing.
func (s *Server) withSavedEntry(r *http.Request, actor care.Actor) (*http.Request, error) {
	id := r.URL.Query().Get("saved")
	if actor.Role != care.RoleClient || !care.ValidID(id) {
		return r, nil
	}
	e, err := s.store.Entry(r.Context(), actor, actor.UserID, id)
	if care.ErrorCode(err) == care.NotFound {
		return r, nil
	} else if err != nil {
		return r, err
	}
	if e.Deleted() || !e.CrisisLanguage() {
		return r, nil
	}
	b := crisisBanner{Told: e.Shared}
	if !e.Shared {
		b.ShareEntry = e.ID
	} else if b.Screener, err = s.store.ScreenerOffer(r.Context(), actor, "journal_entry", e.ID); err != nil {
		return r, err
	}
	return s.withCrisis(r, actor, b)
}

// crisisOf returns the crisis banner withCrisis put in r's context, or nil.
func crisisOf(r *http.Request) *crisisBanner {
	c, _ := r.Context().Value(crisisKey{}).(*crisisBanner)
	return c
}

// ---- The thread page ----

// teamHoursView is one provider's office hours as the compose box shows
// them.
type teamHoursView struct {
	Name         string
	Zone         string
	Days         []dayHours // days with office hours, Monday first
	ResponseTime string
}

type dayHours struct{ Day, Spans string }

func hoursView(h *care.OfficeHours) teamHoursView {
	v := teamHoursView{Name: cmp.Or(h.ProviderName, "Your provider"), Zone: h.TimeZone, ResponseTime: h.ResponseTime}
	for _, wd := range care.Weekdays {
		if ivs := h.Days[wd]; len(ivs) > 0 {
			v.Days = append(v.Days, dayHours{wd.String(), strings.ReplaceAll(care.FormatIntervals(ivs), "-", "–")})
		}
	}
	return v
}

// modeForm is a provider's form to set a client's messaging mode.
type modeForm struct {
	Action string
	Modes  []option
	Reason string
	Error  string
}

func (p *messagesPage) boundaries(actor care.Actor, page *store.MessagePage) {
	for i := range page.Team {
		if !page.Team[i].Empty() || page.Team[i].ResponseTime != "" {
			p.Team = append(p.Team, hoursView(&page.Team[i]))
		}
	}
	m := page.Messaging
	switch actor.Role {
	case care.RoleClient:
		switch m.Mode {
		case care.ModePaused:
			p.Paused, p.PauseReason, p.CanWrite = true, m.Reason, false
		case care.ModeReplyOnly:
			p.WaitReply = m.CheckClientMessage(page.LastPersonRole) != nil
			p.CanWrite = !p.WaitReply
		}
	case care.RoleProvider:
		f := &modeForm{Action: "/clients/" + p.ClientID + "/messaging", Reason: m.Reason}
		for _, mode := range []care.MessagingMode{care.ModeOpen, care.ModeReplyOnly, care.ModePaused} {
			f.Modes = append(f.Modes, option{Value: string(mode), Label: mode.Label(), Selected: mode == m.Mode})
		}
		p.ModeForm = f
	}
}

// POST /clients/{id}/messaging {mode, reason}: a provider sets how the
// client may write.
func (s *Server) messagingForm(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	m := care.Messaging{Mode: care.MessagingMode(r.PostForm.Get("mode")), Reason: r.PostForm.Get("reason")}
	if err := s.store.SetMessaging(r.Context(), actor, id, &m); err != nil {
		if care.ErrorCode(err) != care.Invalid {
			return err
		}
		return s.renderThread(w, r, actor, id, "/clients/"+id+"/messages", "", modeError{err})
	}
	return redirect(w, r, "/clients/"+id+"/messages")
}

// modeError is a refused messaging-mode form, shown beside that form.
type modeError struct{ error }

func (e modeError) Unwrap() error { return e.error }

// ---- The provider's office hours ----

type officeHoursPage struct {
	Layout
	Zone         string
	Days         []officeDay
	ResponseTime string
	Error        string
}

type officeDay struct {
	Name, Field, Value string
}

// GET /office-hours: a provider's office hours and response time.
func (s *Server) officeHoursView(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if actor.Role != care.RoleProvider {
		return care.Errorf(care.NotFound, "There is no page at this address.")
	}
	h, err := s.store.OfficeHours(r.Context(), actor)
	if err != nil {
		return err
	}
	p := &officeHoursPage{Layout: s.layoutNotice(r, "Office hours"), Zone: h.TimeZone, ResponseTime: h.ResponseTime}
	for _, wd := range care.Weekdays {
		p.Days = append(p.Days, officeDay{wd.String(), strings.ToLower(wd.String()), care.FormatIntervals(h.Days[wd])})
	}
	s.renderPage(w, r, http.StatusOK, "office_hours", p)
	return nil
}

// POST /office-hours {monday … sunday: "09:00-12:00, 13:00-17:00", response_time}
func (s *Server) officeHoursSubmit(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	h := care.OfficeHours{ResponseTime: r.PostForm.Get("response_time")}
	p := &officeHoursPage{Layout: s.layout(r, "Office hours"), Zone: actor.TimeZone, ResponseTime: h.ResponseTime}
	for _, wd := range care.Weekdays {
		field := strings.ToLower(wd.String())
		v := r.PostForm.Get(field)
		p.Days = append(p.Days, officeDay{wd.String(), field, v})
		ivs, perr := care.ParseIntervals(v)
		if perr != nil && err == nil {
			err = care.FieldError("hours."+field, "%s: %s", wd, perr)
		}
		h.Days[wd] = ivs
	}
	if err == nil {
		err = s.store.SetOfficeHours(r.Context(), actor, &h)
	}
	if err != nil {
		if care.ErrorCode(err) != care.Invalid {
			return err
		}
		p.Error = errorMessage(err)
		s.renderPage(w, r, http.StatusBadRequest, "office_hours", p)
		return nil
	}
	return redirect(w, r, "/office-hours?done=office-hours")
}

// errorMessage is what a refused form says: the message of a care.Error,
// with the field it names.
func errorMessage(err error) string {
	var ce *care.Error
	if !errors.As(err, &ce) {
		return "Something went wrong."
	}
	if ce.Field != "" {
		return strings.ReplaceAll(ce.Field, "_", " ") + " " + ce.Message
	}
	return ce.Message
}

// ---- The clinic's crisis line ----

// POST /settings/crisis-line {crisis_line}: an admin sets the clinic's crisis line.
func (s *Server) peopleCrisisLine(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.store.SetCrisisLine(r.Context(), actor, strings.TrimSpace(r.PostForm.Get("crisis_line"))); err != nil {
		return err
	}
	return redirect(w, r, "/settings?done=crisis-line")
}

// ---- Safety flags on the provider's pages ----

// flagView is an open safety flag as the client page shows it.
type flagView struct {
	ID, Level, Kind, When, WhenISO, Source, SourceURL, Action string
	Screener                                                  string // the follow-up screen's result (issue #16), "" if none
	ScreenerClass                                             string // "acute", "positive" or "negative", for the tag
}

// screenerClass is the tag class of a screen's result.
func screenerClass(r care.ScreenerResult) string {
	switch r {
	case care.ScreenAcutePositive:
		return "acute"
	case care.ScreenNonAcutePositive:
		return "positive"
	}
	return "negative"
}

// flagKindText is what raised a flag, for people; a PHQ-9 flag says the
// item 9 answer.
func flagKindText(f *care.SafetyFlag) string {
	if a := f.Item9Answer(); a != "" {
		return f.Kind.Label() + ", answered “" + a + "”"
	}
	return f.Kind.Label()
}

func flagViews(flags []care.SafetyFlag, clientID, zone string) []flagView {
	var out []flagView
	for _, f := range flags {
		v := flagView{ID: f.ID, Level: f.LevelLabel(), Kind: flagKindText(&f), When: localTime(f.RaisedAt, zone), WhenISO: f.RaisedAt.Format(time.RFC3339),
			Action: "/clients/" + clientID + "/safety-flags/" + f.ID + "/acknowledge", Screener: f.Screener.Label(), ScreenerClass: screenerClass(f.Screener)}
		switch f.SourceType {
		case "message":
			v.Source, v.SourceURL = "a message", "/clients/"+clientID+"/messages#m-"+f.SourceID
		case "journal_entry":
			v.Source, v.SourceURL = "a shared journal entry", "/clients/"+clientID+"/journal#entry-"+f.SourceID
		case "measure_response":
			v.Source, v.SourceURL = "a PHQ-9 answer", "/clients/"+clientID+"#measures"
		default:
			v.Source = strings.ReplaceAll(f.SourceType, "_", " ")
		}
		out = append(out, v)
	}
	return out
}

// acknowledgeFlag acknowledges a flag from a form: as "not a concern"
// when the form's box says so (issue #16), the note then saying why.
func (s *Server) acknowledgeFlag(r *http.Request, actor care.Actor, clientID, flagID string) error {
	note := r.PostForm.Get("note")
	if r.PostForm.Get("not_a_concern") == "1" {
		_, err := s.store.MarkFlagNotAConcern(r.Context(), actor, clientID, flagID, note)
		return err
	}
	_, err := s.store.AcknowledgeFlag(r.Context(), actor, clientID, flagID, note)
	return err
}

// POST /clients/{id}/safety-flags/{fid}/acknowledge {note, not_a_concern}
func (s *Server) flagAckForm(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := s.acknowledgeFlag(r, actor, id, r.PathValue("fid")); err != nil {
		if care.ErrorCode(err) != care.Invalid {
			return err
		}
		return s.renderClientRecord(w, r, actor, http.StatusBadRequest, &formProblem{Section: "flag-" + r.PathValue("fid"), Field: "note", Message: errorMessage(err)})
	}
	return redirect(w, r, recordPath(id, "flag-acknowledged", "#flags"))
}
