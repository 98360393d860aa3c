package web

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// Trackers' JSON API (issue #19). The clinic's library of templates is
// its admins' and providers' (a PUT saves a new version); the care team
// assigns and removes a client's trackers; the client alone writes
// entries, private or shared by the journal's rules: whoever else may
// see the client reads the shared ones and learns nothing of the others.

// maxTrackerBody bounds a tracker request: an entry may hold several long
// texts of up to 10,000 code points each, a template 40 fields.
const maxTrackerBody = 2 << 20

// trackerScheduleJSON is when a tracker is to be filled.
type trackerScheduleJSON struct {
	Kind     string   `json:"kind"`               // daily, weekdays, event
	Weekdays []string `json:"weekdays,omitempty"` // "mon".."sun", for weekdays
	Time     string   `json:"time,omitempty"`     // HH:MM of the client's day; not for event
}

func toTrackerScheduleJSON(s care.TrackerSchedule) trackerScheduleJSON {
	out := trackerScheduleJSON{Kind: string(s.Kind), Time: s.Clock()}
	for _, d := range s.Weekdays {
		out.Weekdays = append(out.Weekdays, weekdayCode(d))
	}
	return out
}

// schedule reads a schedule; its rules are care.TrackerSchedule.Normalize's.
func (j *trackerScheduleJSON) schedule() (care.TrackerSchedule, error) {
	s := care.TrackerSchedule{Kind: care.ScheduleKind(j.Kind)}
	switch s.Kind {
	case care.ScheduleDaily, care.ScheduleWeekdays, care.ScheduleEvent:
	default:
		return s, care.FieldError("schedule.kind", "must be daily, weekdays or event")
	}
	for _, w := range j.Weekdays {
		d, ok := care.ParseWeekday(w)
		if !ok {
			return s, care.FieldError("schedule.weekdays", "must be days of the week such as mon or thu")
		}
		s.Weekdays = append(s.Weekdays, d)
	}
	if s.Kind != care.ScheduleEvent {
		m, ok := care.ParseClock(j.Time)
		if !ok {
			return s, care.FieldError("schedule.time", "must be a time of day as HH:MM")
		}
		s.Minute = m
	}
	return s, nil
}

// trackerFieldJSON is one field of a template.
type trackerFieldJSON struct {
	ID       string   `json:"id"`
	Kind     string   `json:"kind"`
	Label    string   `json:"label,omitempty"`
	Help     string   `json:"help,omitempty"`
	Required bool     `json:"required,omitempty"`
	Main     bool     `json:"main,omitempty"`
	Min      *int     `json:"min,omitempty"`
	Max      *int     `json:"max,omitempty"`
	MinLabel string   `json:"min_label,omitempty"`
	MaxLabel string   `json:"max_label,omitempty"`
	Options  []string `json:"options,omitempty"`
	MaxLen   int      `json:"max_len,omitempty"`
}

// trackerTemplateJSON is one version of a template, as the API answers it.
type trackerTemplateJSON struct {
	ID        string              `json:"id"`
	Key       string              `json:"key,omitempty"`
	Version   int                 `json:"version"`
	Name      string              `json:"name"`
	Explainer string              `json:"explainer"`
	Schedule  trackerScheduleJSON `json:"schedule"`
	Fields    []trackerFieldJSON  `json:"fields"`
	CreatedBy string              `json:"created_by,omitempty"`
	CreatedAt time.Time           `json:"created_at"`
	Retired   bool                `json:"retired"`
}

func toTrackerTemplateJSON(t *care.TrackerTemplate) trackerTemplateJSON {
	out := trackerTemplateJSON{ID: t.ID, Key: t.Key, Version: t.Version, Name: t.Name, Explainer: t.Explainer,
		Schedule: toTrackerScheduleJSON(t.Schedule), Fields: []trackerFieldJSON{}, CreatedBy: t.CreatedBy,
		CreatedAt: t.CreatedAt, Retired: t.Retired()}
	for _, f := range t.Fields {
		j := trackerFieldJSON{ID: f.ID, Kind: string(f.Kind), Label: f.Label, Help: f.Help, Required: f.Required, Main: f.Main,
			MinLabel: f.MinLabel, MaxLabel: f.MaxLabel, Options: f.Options, MaxLen: f.MaxLen}
		if f.Kind == care.FieldRating || (f.Kind == care.FieldCount && f.Max != 0) {
			j.Min, j.Max = new(f.Min), new(f.Max)
		}
		out.Fields = append(out.Fields, j)
	}
	return out
}

// trackerTemplateRequest is the body of POST /tracker-templates and PUT
// /tracker-templates/{tid}. On a PUT, version is the version the change
// was made from (optional): another change saved since is a conflict.
type trackerTemplateRequest struct {
	Key       string              `json:"key"`
	Version   int                 `json:"version"`
	Name      string              `json:"name"`
	Explainer string              `json:"explainer"`
	Schedule  trackerScheduleJSON `json:"schedule"`
	Fields    []trackerFieldJSON  `json:"fields"`
}

func (req *trackerTemplateRequest) template() (*care.TrackerTemplate, error) {
	sch, err := req.Schedule.schedule()
	if err != nil {
		return nil, err
	}
	t := &care.TrackerTemplate{Key: req.Key, Name: req.Name, Explainer: req.Explainer, Schedule: sch}
	for _, f := range req.Fields {
		t.Fields = append(t.Fields, care.TrackerField{ID: f.ID, Kind: care.FieldKind(f.Kind), Label: f.Label, Help: f.Help,
			Required: f.Required, Main: f.Main, Min: derefInt(f.Min), Max: derefInt(f.Max), MinLabel: f.MinLabel, MaxLabel: f.MaxLabel,
			Options: f.Options, MaxLen: f.MaxLen})
	}
	return t, nil
}

func derefInt(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// GET /api/v1/tracker-templates?retired=true: the latest version of each
// template of the library.
func (s *Server) apiTrackerTemplates(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	p, err := queryParams(r, "retired")
	if err != nil {
		return err
	}
	retired, err := boolParam(p, "retired")
	if err != nil {
		return err
	}
	list, err := s.store.TrackerTemplates(r.Context(), actor, retired)
	if err != nil {
		return err
	}
	out := struct {
		Templates []trackerTemplateJSON `json:"templates"`
	}{Templates: []trackerTemplateJSON{}}
	for i := range list {
		out.Templates = append(out.Templates, toTrackerTemplateJSON(&list[i]))
	}
	return writeJSON(w, http.StatusOK, out)
}

// boolParam reads an optional query parameter "true" or "false".
func boolParam(p map[string]string, name string) (bool, error) {
	switch p[name] {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, care.FieldError(name, "must be true or false")
}

// POST /api/v1/tracker-templates: a new template, version 1.
func (s *Server) apiCreateTrackerTemplate(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req trackerTemplateRequest
	if err := decodeJSONLimit(w, r, &req, maxTrackerBody); err != nil {
		return err
	}
	if req.Version != 0 {
		return care.FieldError("version", "is given by the server")
	}
	t, err := req.template()
	if err != nil {
		return err
	}
	if err := s.store.CreateTrackerTemplate(r.Context(), actor, t); err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/tracker-templates/"+t.ID)
	return writeJSON(w, http.StatusCreated, toTrackerTemplateJSON(t))
}

// GET /api/v1/tracker-templates/{tid}?version=N: the latest version, or
// version N.
func (s *Server) apiTrackerTemplate(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	p, err := queryParams(r, "version")
	if err != nil {
		return err
	}
	version := 0
	if v := p["version"]; v != "" {
		if version, err = strconv.Atoi(v); err != nil || version < 1 {
			return care.FieldError("version", "must be a version number from 1")
		}
	}
	t, err := s.store.TrackerTemplate(r.Context(), actor, r.PathValue("tid"), version)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toTrackerTemplateJSON(t))
}

// PUT /api/v1/tracker-templates/{tid}: the template's next version. The
// versions before stay, and so do the entries written with them.
func (s *Server) apiUpdateTrackerTemplate(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req trackerTemplateRequest
	if err := decodeJSONLimit(w, r, &req, maxTrackerBody); err != nil {
		return err
	}
	if req.Key != "" {
		return care.FieldError("key", "stays the template's; leave it out")
	}
	t, err := req.template()
	if err != nil {
		return err
	}
	if err := s.store.UpdateTrackerTemplate(r.Context(), actor, r.PathValue("tid"), req.Version, t); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toTrackerTemplateJSON(t))
}

// trackerJSON is a tracker of a client, with the template version it
// asks for.
type trackerJSON struct {
	ID              string              `json:"id"`
	ClientID        string              `json:"client_id"`
	TemplateID      string              `json:"template_id"`
	TemplateVersion int                 `json:"template_version"`
	GoalID          string              `json:"goal_id,omitempty"`
	Schedule        trackerScheduleJSON `json:"schedule"`
	Reminder        bool                `json:"reminder"`
	AssignedBy      string              `json:"assigned_by"`
	AssignedAt      time.Time           `json:"assigned_at"`
	RemovedAt       *time.Time          `json:"removed_at,omitempty"`
	Template        trackerTemplateJSON `json:"template"`
}

func toTrackerJSON(tr *care.Tracker) trackerJSON {
	out := trackerJSON{ID: tr.ID, ClientID: tr.ClientID, TemplateID: tr.TemplateID, TemplateVersion: tr.TemplateVersion,
		GoalID: tr.GoalID, Schedule: toTrackerScheduleJSON(tr.Schedule), Reminder: tr.Reminder, AssignedBy: tr.AssignedBy,
		AssignedAt: tr.AssignedAt, RemovedAt: optTime(tr.RemovedAt)}
	if tr.Template != nil {
		out.Template = toTrackerTemplateJSON(tr.Template)
	}
	return out
}

// GET /api/v1/clients/{id}/trackers?removed=true
func (s *Server) apiTrackers(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	p, err := queryParams(r, "removed")
	if err != nil {
		return err
	}
	removed, err := boolParam(p, "removed")
	if err != nil {
		return err
	}
	list, err := s.store.TrackersOfClient(r.Context(), actor, r.PathValue("id"), removed)
	if err != nil {
		return err
	}
	out := struct {
		Trackers []trackerJSON `json:"trackers"`
	}{Trackers: []trackerJSON{}}
	for i := range list {
		out.Trackers = append(out.Trackers, toTrackerJSON(&list[i]))
	}
	return writeJSON(w, http.StatusOK, out)
}

// POST /api/v1/clients/{id}/trackers {"template_id", "template_version"?,
// "goal_id"?, "schedule"?, "reminder"?}: the care team assigns a tracker;
// without a schedule it takes the template's.
func (s *Server) apiAssignTracker(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		TemplateID      string               `json:"template_id"`
		TemplateVersion int                  `json:"template_version"`
		GoalID          string               `json:"goal_id"`
		Schedule        *trackerScheduleJSON `json:"schedule"`
		Reminder        bool                 `json:"reminder"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.TemplateVersion < 0 {
		return care.FieldError("template_version", "must be a version number from 1")
	}
	tr := &care.Tracker{TemplateID: req.TemplateID, TemplateVersion: req.TemplateVersion, GoalID: req.GoalID, Reminder: req.Reminder}
	if req.Schedule != nil {
		if tr.Schedule, err = req.Schedule.schedule(); err != nil {
			return err
		}
	}
	clientID := r.PathValue("id")
	if err := s.store.AssignTracker(r.Context(), actor, clientID, tr); err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/clients/"+clientID+"/trackers/"+tr.ID)
	return writeJSON(w, http.StatusCreated, toTrackerJSON(tr))
}

// PATCH /api/v1/clients/{id}/trackers/{trid} {"schedule"?, "reminder"?,
// "goal_id"? ("" unlinks), "template_version"?}: the care team changes a
// tracker; moved to a newer template version, entries written before
// keep theirs.
func (s *Server) apiUpdateTracker(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		Schedule        *trackerScheduleJSON `json:"schedule"`
		Reminder        *bool                `json:"reminder"`
		GoalID          *string              `json:"goal_id"`
		TemplateVersion int                  `json:"template_version"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.TemplateVersion < 0 {
		return care.FieldError("template_version", "must be a version number from 1")
	}
	ch := store.TrackerChange{Reminder: req.Reminder, GoalID: req.GoalID, TemplateVersion: req.TemplateVersion}
	if req.Schedule != nil {
		sch, err := req.Schedule.schedule()
		if err != nil {
			return err
		}
		ch.Schedule = &sch
	}
	tr, err := s.store.UpdateTracker(r.Context(), actor, r.PathValue("id"), r.PathValue("trid"), ch)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toTrackerJSON(tr))
}

// DELETE /api/v1/clients/{id}/trackers/{trid}: the care team takes a
// tracker off the client; its entries stay.
func (s *Server) apiRemoveTracker(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := s.store.RemoveTracker(r.Context(), actor, r.PathValue("id"), r.PathValue("trid")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// trackerEntryJSON is an entry as the API answers it. Values are keyed
// by field id, each typed as the field's kind asks (care.TrackerValue.JSON).
type trackerEntryJSON struct {
	ID                 string                       `json:"id"`
	ClientID           string                       `json:"client_id"`
	TrackerID          string                       `json:"tracker_id"`
	TemplateID         string                       `json:"template_id"`
	TemplateVersion    int                          `json:"template_version"`
	OccurredAt         time.Time                    `json:"occurred_at"`
	CreatedAt          time.Time                    `json:"created_at"`
	UpdatedAt          time.Time                    `json:"updated_at"`
	Shared             bool                         `json:"shared"`
	DiscussNextSession bool                         `json:"discuss_next_session"`
	Values             map[string]care.TrackerValue `json:"values"`
	// Template, when asked for one entry: the version it was written
	// against, to show it as written.
	Template *trackerTemplateJSON `json:"template,omitempty"`

	CrisisResources []crisisResourceJSON `json:"crisis_resources,omitempty"`
	SafetyPlan      string               `json:"safety_plan,omitempty"`
}

func toTrackerEntryJSON(e *care.TrackerEntry) trackerEntryJSON {
	out := trackerEntryJSON{ID: e.ID, ClientID: e.ClientID, TrackerID: e.TrackerID, TemplateID: e.TemplateID,
		TemplateVersion: e.TemplateVersion, OccurredAt: e.OccurredAt, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
		Shared: e.Shared, DiscussNextSession: e.Discuss, Values: e.Values}
	if out.Values == nil {
		out.Values = map[string]care.TrackerValue{}
	}
	return out
}

// trackerEntryCursor is the "next" of a page of entries: the last entry's
// time in microseconds and its id.
func trackerEntryCursor(e *care.TrackerEntry) string {
	return strconv.FormatInt(e.OccurredAt.UnixMicro(), 10) + "-" + e.ID
}

// GET /api/v1/clients/{id}/trackers/{trid}/entries?before=&limit=&since=
func (s *Server) apiTrackerEntries(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	p, err := queryParams(r, "before", "limit", "since")
	if err != nil {
		return err
	}
	q := store.TrackerEntryQuery{TrackerID: r.PathValue("trid")}
	if v := p["limit"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > care.MaxTrackerEntryLimit {
			return care.FieldError("limit", "must be a whole number from 1 to %d", care.MaxTrackerEntryLimit)
		}
		q.Limit = n
	}
	if v := p["since"]; v != "" {
		if q.Since, err = parseAPITime(v); err != nil {
			return care.FieldError("since", "must be an RFC 3339 time")
		}
	}
	if v := p["before"]; v != "" {
		if us, id, ok := strings.Cut(v, "-"); ok && care.ValidID(id) {
			n, err := strconv.ParseInt(us, 10, 64)
			if err != nil {
				return care.FieldError("before", "must be the next of a page or an RFC 3339 time")
			}
			q.Before, q.BeforeID = time.UnixMicro(n).UTC(), id
		} else if q.Before, err = parseAPITime(v); err != nil {
			return care.FieldError("before", "must be the next of a page or an RFC 3339 time")
		}
	}
	page, err := s.store.TrackerEntries(r.Context(), actor, r.PathValue("id"), q)
	if err != nil {
		return err
	}
	out := struct {
		Entries []trackerEntryJSON `json:"entries"`
		// Templates are the template versions the entries were written
		// against, oldest first, to show each as written.
		Templates []trackerTemplateJSON `json:"templates"`
		Next      string                `json:"next,omitempty"`
	}{Entries: []trackerEntryJSON{}, Templates: []trackerTemplateJSON{}}
	for i := range page.Entries {
		out.Entries = append(out.Entries, toTrackerEntryJSON(&page.Entries[i]))
	}
	refs := make([]store.TemplateRef, 0, len(page.Templates))
	for ref := range page.Templates {
		refs = append(refs, ref)
	}
	slices.SortFunc(refs, func(a, b store.TemplateRef) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Version, b.Version))
	})
	for _, ref := range refs {
		out.Templates = append(out.Templates, toTrackerTemplateJSON(page.Templates[ref]))
	}
	if page.More {
		out.Next = trackerEntryCursor(&page.Entries[len(page.Entries)-1])
	}
	return writeJSON(w, http.StatusOK, out)
}

// POST /api/v1/clients/{id}/trackers/{trid}/entries {"occurred_at",
// "values": {field id: value}, "shared"?, "discuss_next_session"?}: the
// client fills in their tracker. Values are read strictly against the
// tracker's template version.
func (s *Server) apiCreateTrackerEntry(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		OccurredAt         string                     `json:"occurred_at"`
		Values             map[string]json.RawMessage `json:"values"`
		Shared             *bool                      `json:"shared"`
		DiscussNextSession bool                       `json:"discuss_next_session"`
	}
	if err := decodeJSONLimit(w, r, &req, maxTrackerBody); err != nil {
		return err
	}
	in := store.TrackerEntryInput{Values: req.Values, Shared: req.Shared, Discuss: req.DiscussNextSession}
	if in.Values == nil {
		in.Values = map[string]json.RawMessage{}
	}
	if req.OccurredAt == "" {
		return care.FieldError("occurred_at", "is required")
	}
	if in.OccurredAt, err = parseAPITime(req.OccurredAt); err != nil {
		return care.FieldError("occurred_at", "must be an RFC 3339 time, like 2026-11-20T18:30:00Z")
	}
	clientID, trackerID := r.PathValue("id"), r.PathValue("trid")
	e, err := s.store.CreateTrackerEntry(r.Context(), actor, clientID, trackerID, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/clients/"+clientID+"/trackers/"+trackerID+"/entries/"+e.ID)
	out := toTrackerEntryJSON(e)
	if out.CrisisResources, err = s.crisisFor(r, actor, e.Crisis); err != nil {
		return err
	}
	if out.SafetyPlan, err = s.safetyPlanFor(r, actor, e.Crisis); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// GET /api/v1/clients/{id}/trackers/{trid}/entries/{eid}: one entry with
// the template version it was written against.
func (s *Server) apiTrackerEntry(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	got, err := s.store.TrackerEntry(r.Context(), actor, r.PathValue("id"), r.PathValue("trid"), r.PathValue("eid"))
	if err != nil {
		return err
	}
	out := toTrackerEntryJSON(&got.Entry)
	tmpl := toTrackerTemplateJSON(got.Template)
	out.Template = &tmpl
	return writeJSON(w, http.StatusOK, out)
}

// PATCH /api/v1/clients/{id}/trackers/{trid}/entries/{eid} {"shared"?,
// "discuss_next_session"?}: the client shares an entry or takes it back,
// or marks it to bring up. What an entry says is not edited.
func (s *Server) apiUpdateTrackerEntry(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		Shared             *bool `json:"shared"`
		DiscussNextSession *bool `json:"discuss_next_session"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	e, err := s.store.UpdateTrackerEntry(r.Context(), actor, r.PathValue("id"), r.PathValue("trid"), r.PathValue("eid"),
		req.Shared, req.DiscussNextSession)
	if err != nil {
		return err
	}
	out := toTrackerEntryJSON(e)
	if out.CrisisResources, err = s.crisisFor(r, actor, e.Crisis); err != nil {
		return err
	}
	if out.SafetyPlan, err = s.safetyPlanFor(r, actor, e.Crisis); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
