package web

import (
	"net/http"
	"strconv"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// The JSON API of the treatment plan, sessions and tasks (issue #5). The
// store decides who may do what, in its SQL; these handlers only read
// requests and write answers.

// ---- JSON shapes ----

type personJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type planJSON struct {
	ClientID  string      `json:"client_id"`
	Version   int         `json:"version"`
	UpdatedAt *time.Time  `json:"updated_at"`
	UpdatedBy *personJSON `json:"updated_by"`
	Goals     []goalJSON  `json:"goals"`
}

type goalJSON struct {
	ID              string          `json:"id"`
	Title           string          `json:"title"`
	ClinicalWording *string         `json:"clinical_wording"`
	TargetDate      *string         `json:"target_date"`
	Status          string          `json:"status"`
	Objectives      []objectiveJSON `json:"objectives"`
	Comments        []commentJSON   `json:"comments,omitempty"`
}

type objectiveJSON struct {
	ID         string  `json:"id"`
	Text       string  `json:"text"`
	TargetDate *string `json:"target_date"`
	Status     string  `json:"status"`
}

type commentJSON struct {
	ID        string     `json:"id"`
	GoalID    string     `json:"goal_id"`
	Author    personJSON `json:"author"`
	Role      care.Role  `json:"author_role"`
	CreatedAt time.Time  `json:"created_at"`
	Text      string     `json:"text"`
}

// optional is s, or nil when it is empty.
func optional[S ~string](s S) *string {
	if s == "" {
		return nil
	}
	v := string(s)
	return &v
}

func toPlanJSON(p *care.Plan, comments bool) planJSON {
	out := planJSON{ClientID: p.ClientID, Version: p.Version, Goals: []goalJSON{}}
	if p.Version > 0 {
		at := p.UpdatedAt
		out.UpdatedAt, out.UpdatedBy = &at, &personJSON{ID: p.UpdatedBy, Name: p.UpdatedByName}
	}
	for _, g := range p.Goals {
		gj := goalJSON{ID: g.ID, Title: g.Title, ClinicalWording: optional(g.ClinicalWording), TargetDate: optional(g.TargetDate),
			Status: string(g.Status), Objectives: []objectiveJSON{}}
		for _, o := range g.Objectives {
			gj.Objectives = append(gj.Objectives, objectiveJSON{ID: o.ID, Text: o.Text, TargetDate: optional(o.TargetDate), Status: string(o.Status)})
		}
		if comments {
			gj.Comments = []commentJSON{}
			for _, c := range g.Comments {
				gj.Comments = append(gj.Comments, toCommentJSON(c))
			}
		}
		out.Goals = append(out.Goals, gj)
	}
	return out
}

func toCommentJSON(c care.GoalComment) commentJSON {
	return commentJSON{ID: c.ID, GoalID: c.GoalID, Author: personJSON{ID: c.AuthorID, Name: c.AuthorName}, Role: c.AuthorRole,
		CreatedAt: c.CreatedAt, Text: c.Text}
}

// planRequest is the body of PUT …/plan. version, when sent, is the
// version the change was made to: a save over a newer one is a conflict.
type planRequest struct {
	Version *int          `json:"version"`
	Goals   []goalRequest `json:"goals"`
}

type goalRequest struct {
	ID              *string            `json:"id"`
	Title           string             `json:"title"`
	ClinicalWording *string            `json:"clinical_wording"`
	TargetDate      *string            `json:"target_date"`
	Status          *string            `json:"status"`
	Objectives      []objectiveRequest `json:"objectives"`
}

type objectiveRequest struct {
	ID         *string `json:"id"`
	Text       string  `json:"text"`
	TargetDate *string `json:"target_date"`
	Status     *string `json:"status"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (req *planRequest) goals() []care.Goal {
	out := make([]care.Goal, 0, len(req.Goals))
	for _, g := range req.Goals {
		goal := care.Goal{ID: deref(g.ID), Title: g.Title, ClinicalWording: deref(g.ClinicalWording),
			TargetDate: care.Day(deref(g.TargetDate)), Status: care.GoalStatus(deref(g.Status))}
		for _, o := range g.Objectives {
			goal.Objectives = append(goal.Objectives, care.Objective{ID: deref(o.ID), Text: o.Text,
				TargetDate: care.Day(deref(o.TargetDate)), Status: care.ObjectiveStatus(deref(o.Status))})
		}
		out = append(out, goal)
	}
	return out
}

type appointmentJSON struct {
	ID        string     `json:"id"`
	ClientID  string     `json:"client_id"`
	Provider  personJSON `json:"provider"`
	StartsAt  time.Time  `json:"starts_at"`
	EndsAt    time.Time  `json:"ends_at"`
	Minutes   int        `json:"minutes"`
	Status    string     `json:"status"`
	UpdatedAt time.Time  `json:"updated_at"`
}

func toAppointmentJSON(a *care.Appointment) *appointmentJSON {
	if a == nil {
		return nil
	}
	return &appointmentJSON{ID: a.ID, ClientID: a.ClientID, Provider: personJSON{ID: a.ProviderID, Name: a.ProviderName},
		StartsAt: a.StartsAt, EndsAt: a.Ends(), Minutes: a.Minutes, Status: string(a.Status), UpdatedAt: a.UpdatedAt}
}

type taskJSON struct {
	ID           string           `json:"id"`
	ClientID     string           `json:"client_id"`
	Title        string           `json:"title"`
	Instructions *string          `json:"instructions"`
	DueDate      string           `json:"due_date"`
	Recurrence   string           `json:"recurrence"`
	EndsOn       *string          `json:"ends_on"`
	GoalID       *string          `json:"goal_id"`
	AssignedBy   personJSON       `json:"assigned_by"`
	CreatedAt    time.Time        `json:"created_at"`
	Occurrences  []occurrenceJSON `json:"occurrences,omitempty"`
}

type occurrenceJSON struct {
	Date        string     `json:"date"`
	Done        bool       `json:"done"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	Note        *string    `json:"note,omitempty"`
}

func toTaskJSON(t *care.Task) taskJSON {
	out := taskJSON{ID: t.ID, ClientID: t.ClientID, Title: t.Title, Instructions: optional(t.Instructions), DueDate: string(t.DueDate),
		Recurrence: t.Recurrence, EndsOn: optional(t.EndsOn), GoalID: optional(t.GoalID),
		AssignedBy: personJSON{ID: t.AssignedBy, Name: t.AssignedByName}, CreatedAt: t.CreatedAt}
	if t.Occurrences != nil {
		out.Occurrences = []occurrenceJSON{}
		for _, o := range t.Occurrences {
			oj := occurrenceJSON{Date: string(o.Day), Done: o.Done}
			if o.Done {
				at := o.CompletedAt
				oj.CompletedAt, oj.Note = &at, optional(o.Note)
			}
			out.Occurrences = append(out.Occurrences, oj)
		}
	}
	return out
}

// queryInt reads an optional non-negative integer query parameter.
func queryInt(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, care.FieldError(name, "must be a whole number")
	}
	return n, nil
}

// ---- Plan ----

// GET /api/v1/clients/{id}/plan
func (s *Server) apiPlan(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	p, err := s.store.Plan(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPlanJSON(p, true))
}

// PUT /api/v1/clients/{id}/plan {version?, goals}
func (s *Server) apiSavePlan(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req planRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Goals == nil {
		return care.FieldError("goals", "is required (an empty list empties the plan)")
	}
	base := store.AnyVersion
	if req.Version != nil {
		base = *req.Version
	}
	p, err := s.store.SavePlan(r.Context(), actor, r.PathValue("id"), req.goals(), base)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPlanJSON(p, true))
}

// GET /api/v1/clients/{id}/plan/versions?before=&limit=
func (s *Server) apiPlanVersions(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	before, err := queryInt(r, "before")
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	vs, err := s.store.PlanVersions(r.Context(), actor, r.PathValue("id"), before, limit)
	if err != nil {
		return err
	}
	type versionJSON struct {
		Version   int        `json:"version"`
		ChangedAt time.Time  `json:"changed_at"`
		ChangedBy personJSON `json:"changed_by"`
	}
	out := []versionJSON{}
	for _, v := range vs {
		out = append(out, versionJSON{Version: v.Version, ChangedAt: v.ChangedAt, ChangedBy: personJSON{ID: v.ChangedBy, Name: v.ChangedByName}})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"versions": out})
}

// GET /api/v1/clients/{id}/plan/versions/{version}
func (s *Server) apiPlanVersion(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	version, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || version <= 0 {
		version = 0 // names no version: not found, after the record's own check
	}
	p, err := s.store.PlanVersion(r.Context(), actor, r.PathValue("id"), version)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPlanJSON(p, false))
}

// POST /api/v1/clients/{id}/plan/goals/{gid}/comments {text}
func (s *Server) apiGoalComment(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		Text string `json:"text"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	c, err := s.store.AddGoalComment(r.Context(), actor, r.PathValue("id"), r.PathValue("gid"), req.Text)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toCommentJSON(*c))
}

// ---- Sessions ----

// GET /api/v1/clients/{id}/sessions?limit=
func (s *Server) apiSessionsOfClient(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	list, err := s.store.Appointments(r.Context(), actor, r.PathValue("id"), limit)
	if err != nil {
		return err
	}
	out := []*appointmentJSON{}
	for i := range list {
		out = append(out, toAppointmentJSON(&list[i]))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
}

// parseInstant reads an RFC 3339 time for field.
func parseInstant(field, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, care.FieldError(field, "must be a time as RFC 3339, e.g. 2026-11-20T18:30:00Z")
	}
	return t, nil
}

// POST /api/v1/clients/{id}/sessions {starts_at, minutes?, status?}
func (s *Server) apiCreateSession(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		StartsAt string  `json:"starts_at"`
		Minutes  *int    `json:"minutes"`
		Status   *string `json:"status"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	a := &care.Appointment{Status: care.AppointmentStatus(deref(req.Status))}
	if req.StartsAt != "" {
		if a.StartsAt, err = parseInstant("starts_at", req.StartsAt); err != nil {
			return err
		}
	}
	if req.Minutes != nil {
		if *req.Minutes == 0 {
			return care.FieldError("minutes", "must be from %d to %d", care.MinSessionMinutes, care.MaxSessionMinutes)
		}
		a.Minutes = *req.Minutes
	}
	if err := s.store.CreateAppointment(r.Context(), actor, r.PathValue("id"), a); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toAppointmentJSON(a))
}

// PATCH /api/v1/clients/{id}/sessions/{sid} {status?, starts_at?, minutes?}
func (s *Server) apiUpdateSession(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		Status   *string `json:"status"`
		StartsAt *string `json:"starts_at"`
		Minutes  *int    `json:"minutes"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	var ch care.AppointmentChange
	if req.Status != nil {
		st := care.AppointmentStatus(*req.Status)
		ch.Status = &st
	}
	if req.StartsAt != nil {
		at, err := parseInstant("starts_at", *req.StartsAt)
		if err != nil {
			return err
		}
		ch.StartsAt = &at
	}
	ch.Minutes = req.Minutes
	a, err := s.store.UpdateAppointment(r.Context(), actor, r.PathValue("id"), r.PathValue("sid"), ch)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toAppointmentJSON(a))
}

// ---- Tasks ----

// GET /api/v1/clients/{id}/tasks: each task with its occurrences from a
// week before the client's today to two weeks after it.
func (s *Server) apiTasks(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	list, err := s.store.Tasks(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := []taskJSON{}
	for i := range list.Tasks {
		out = append(out, toTaskJSON(&list.Tasks[i]))
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"tasks": out, "today": list.Today, "from": list.From, "to": list.To, "time_zone": list.TimeZone,
	})
}

// taskRequest is the body of POST …/tasks.
type taskRequest struct {
	Title        string  `json:"title"`
	Instructions *string `json:"instructions"`
	DueDate      string  `json:"due_date"`
	Recurrence   *string `json:"recurrence"`
	EndsOn       *string `json:"ends_on"`
	GoalID       *string `json:"goal_id"`
}

// POST /api/v1/clients/{id}/tasks
func (s *Server) apiCreateTask(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req taskRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	t := &care.Task{Title: req.Title, Instructions: deref(req.Instructions), DueDate: care.Day(req.DueDate),
		Recurrence: deref(req.Recurrence), EndsOn: care.Day(deref(req.EndsOn)), GoalID: deref(req.GoalID)}
	if err := s.store.CreateTask(r.Context(), actor, r.PathValue("id"), t); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toTaskJSON(t))
}

// POST /api/v1/clients/{id}/tasks/{tid}/complete {occurrence?, note?}
func (s *Server) apiCompleteTask(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		Occurrence *string `json:"occurrence"`
		Note       *string `json:"note"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	var day care.Day
	if req.Occurrence != nil {
		if day, err = care.ParseDay(*req.Occurrence); err != nil {
			return care.FieldError("occurrence", "must be a date as YYYY-MM-DD")
		}
	}
	c, err := s.store.CompleteTask(r.Context(), actor, r.PathValue("id"), r.PathValue("tid"), day, deref(req.Note))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{
		"id": c.ID, "task_id": c.TaskID, "occurrence": c.Occurrence, "completed_at": c.CompletedAt, "note": optional(c.Note),
	})
}

// DELETE /api/v1/clients/{id}/tasks/{tid}/complete/{day}: the client takes
// back the "done" of the occurrence of day (YYYY-MM-DD), on the day they
// marked it; 204.
func (s *Server) apiUndoTask(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	day, err := care.ParseDay(r.PathValue("day"))
	if err != nil {
		return care.FieldError("day", "must be a date as YYYY-MM-DD")
	}
	if err := s.store.UndoCompletion(r.Context(), actor, r.PathValue("id"), r.PathValue("tid"), day); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
