package web

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// The web pages of the treatment plan, sessions and tasks (issue #5): the
// provider's client page /clients/{id} with the plan editor, sessions,
// tasks and plan history; the client's /plan and /tasks; and the "between
// sessions" block of the client's home. Plain forms, no script.

// ---- View models ----

type goalView struct {
	ID              string
	Title           string
	ClinicalWording string
	TargetDate      string // "Fri 31 Jan 2027", or ""
	Status          string
	StatusLabel     string
	Objectives      []objectiveView
	Comments        []commentView
	CommentForm     *commentForm // nil where the viewer may not comment
}

// commentForm is the form under a goal to comment on it.
type commentForm struct {
	ClientID, GoalID, GoalTitle string
	Text                        string // what a refused comment said
	Problem                     *formProblem
}

// withCommentForms gives every goal a comment form; a refused comment's
// problem and text go back under its goal.
func withCommentForms(goals []goalView, clientID string, problem *formProblem, form url.Values) {
	for i := range goals {
		g := &goals[i]
		g.CommentForm = &commentForm{ClientID: clientID, GoalID: g.ID, GoalTitle: g.Title}
		if problem != nil && problem.Section == "goal-"+g.ID {
			g.CommentForm.Problem, g.CommentForm.Text = problem, form.Get("text")
		}
	}
}

type objectiveView struct {
	Text        string
	TargetDate  string
	StatusLabel string
	Done        bool
}

type commentView struct {
	Author  string
	Role    string // "Client", "Care team"
	When    string
	WhenISO string
	Text    string
}

type appointmentRow struct {
	ID          string
	When        string
	WhenISO     string
	Minutes     int
	Status      string
	StatusLabel string
	Provider    string
	CanHold     bool // started, still scheduled
	CanCancel   bool
	CanRestore  bool // cancelled: schedule again
}

type taskView struct {
	ID           string
	Title        string
	Instructions string
	Schedule     string // "Once, on Mon 2 Mar" or "Every day from …"
	GoalTitle    string
	Past         []occurrenceView // occurrences up to today, the latest first
	NextDue      string           // the next occurrence after today, or ""
	Pending      []occurrenceView // occurrences up to today not done, the latest first
}

type occurrenceView struct {
	Day   string // YYYY-MM-DD
	Label string // "Mon 2 Mar"
	Done  bool
	Note  string
	When  string // completed at, in the viewer's zone
	Today bool
}

type versionRow struct {
	Version int
	When    string
	By      string
}

type option struct {
	Value, Label string
	Selected     bool
}

// formProblem is a refused form, shown beside the form it came from.
type formProblem struct {
	Section string // "sessions", "tasks", "goal-{id}" (a comment), "plan"
	Message string
	Field   string
}

var goalStatusLabels = map[care.GoalStatus]string{
	care.GoalActive: "Active", care.GoalAchieved: "Achieved", care.GoalPaused: "Paused", care.GoalDropped: "Dropped",
}

var objectiveStatusLabels = map[care.ObjectiveStatus]string{
	care.ObjectiveOpen: "Open", care.ObjectiveMet: "Met", care.ObjectiveDropped: "Dropped",
}

var sessionStatusLabels = map[care.AppointmentStatus]string{
	care.AppointmentScheduled: "Scheduled", care.AppointmentHeld: "Held", care.AppointmentCancelled: "Cancelled",
}

// dayLabel formats a calendar day for people.
func dayLabel(d care.Day) string { return d.Format("Mon 2 Jan 2006") }

func goalViews(goals []care.Goal, zone string) []goalView {
	out := []goalView{}
	for _, g := range goals {
		v := goalView{ID: g.ID, Title: g.Title, ClinicalWording: g.ClinicalWording, TargetDate: dayLabel(g.TargetDate),
			Status: string(g.Status), StatusLabel: goalStatusLabels[g.Status]}
		for _, o := range g.Objectives {
			v.Objectives = append(v.Objectives, objectiveView{Text: o.Text, TargetDate: dayLabel(o.TargetDate),
				StatusLabel: objectiveStatusLabels[o.Status], Done: o.Status == care.ObjectiveMet})
		}
		for _, c := range g.Comments {
			role := "Care team"
			if c.AuthorRole == care.RoleClient {
				role = "Client"
			}
			v.Comments = append(v.Comments, commentView{Author: c.AuthorName, Role: role, When: localTime(c.CreatedAt, zone),
				WhenISO: c.CreatedAt.Format(time.RFC3339), Text: c.Text})
		}
		out = append(out, v)
	}
	return out
}

func appointmentView(a *care.Appointment, zone string, now time.Time) *appointmentRow {
	if a == nil {
		return nil
	}
	return &appointmentRow{ID: a.ID, When: localTime(a.StartsAt, zone), WhenISO: a.StartsAt.Format(time.RFC3339), Minutes: a.Minutes,
		Status: string(a.Status), StatusLabel: sessionStatusLabels[a.Status], Provider: a.ProviderName,
		CanHold:    a.Status == care.AppointmentScheduled && !a.StartsAt.After(now),
		CanCancel:  a.Status == care.AppointmentScheduled,
		CanRestore: a.Status == care.AppointmentCancelled && a.StartsAt.After(now)}
}

// taskViews shows tasks with their occurrences up to today (done or not)
// and the next one to come, the viewer's times in zone.
func taskViews(list *store.TaskList, zone string) []taskView {
	out := []taskView{}
	for _, t := range list.Tasks {
		v := taskView{ID: t.ID, Title: t.Title, Instructions: t.Instructions, GoalTitle: t.GoalTitle}
		switch {
		case !t.Recurring():
			v.Schedule = "Once, on " + dayLabel(t.DueDate)
		case t.EndsOn != "":
			v.Schedule = fmt.Sprintf("%s, %s to %s", t.Schedule(), dayLabel(t.DueDate), dayLabel(t.EndsOn))
		default:
			v.Schedule = fmt.Sprintf("%s, from %s", t.Schedule(), dayLabel(t.DueDate))
		}
		for i := len(t.Occurrences) - 1; i >= 0; i-- {
			o := t.Occurrences[i]
			ov := occurrenceView{Day: string(o.Day), Label: o.Day.Format("Mon 2 Jan"), Done: o.Done, Note: o.Note, Today: o.Day == list.Today}
			if o.Done {
				ov.When = localTime(o.CompletedAt, zone)
			}
			switch {
			case list.Today.Before(o.Day):
				v.NextDue = ov.Label // the loop runs backwards: the earliest is last
			default:
				v.Past = append(v.Past, ov)
				if !o.Done {
					v.Pending = append(v.Pending, ov)
				}
			}
		}
		out = append(out, v)
	}
	return out
}

// careNotices are the confirmations a redirect may ask these pages to show.
var careNotices = map[string]string{
	"plan":              "The plan is saved.",
	"goal":              "The goal is saved.",
	"removed":           "The goal is taken out of the plan. Its history stays in the plan's versions.",
	"comment":           "Your comment is added.",
	"session":           "The session is saved.",
	"task":              "The task is assigned.",
	"completed":         "Well done. It is marked as done. You can take that back until the end of the day.",
	"undone":            "It is marked as not done.",
	"measure":           "The questionnaire is scheduled. It is due now, and then as often as you chose.",
	"measure-stopped":   "The questionnaire is stopped. Its scores stay.",
	"checkins":          "The check-in schedule is saved.",
	"flag-acknowledged": "The safety flag is acknowledged, with your note.",
	"safety-plan":       "The safety plan is saved.",
}

func (s *Server) careLayout(r *http.Request, title string) Layout {
	l := s.layout(r, title)
	l.Notice = careNotices[r.URL.Query().Get("done")]
	return l
}

// ---- The provider's client page ----

// clientRecordPage is /clients/{id}: a client's plan, sessions, tasks and
// plan history for their care team (and an admin through a break-glass
// grant, read only).
type clientRecordPage struct {
	Layout
	ClientID   string
	ClientName string
	ClientZone string
	CanEdit    bool // the care team; not an admin reading through a grant
	Version    int
	Goals      []goalView
	Last, Next *appointmentRow
	Sessions   []appointmentRow
	Tasks      []taskView
	Today      string // the client's today, YYYY-MM-DD
	Versions   []versionRow
	CheckIns   *recordCheckIns // checkins_pages.go
	Flags      []flagView      // open safety flags, oldest first (boundaries_pages.go)

	// The forms.
	GoalOptions  []option
	Weekdays     []option
	Recurrences  []option
	StartDefault string // datetime-local, in the viewer's zone
	Form         url.Values
	Problem      *formProblem

	// SharedEntries is the client's shared journal timeline, for the
	// journal half of issue #5 to fill (see the "journal timeline"
	// section of client_record.html).
	SharedEntries any

	// Measures are the PHQ-9 and GAD-7 schedules and scores
	// (measures_pages.go).
	Measures *recordMeasures

	// Tab is the one section ?tab= asks for ("" for the whole page), and
	// Sections the links of the section tab bar (#18).
	Tab      string
	Sections []recordTab
}

// recordTab is a link of the client page's tab bar.
type recordTab struct {
	Label, Href string
	Current     bool
}

// recordTabs are the sections of the client page, by ?tab= value: each
// renders only its part of the page, so that it is short. Without ?tab=
// the page opens at the overview; "all" (or a tab not here) renders the
// whole page, as a refused form does, beside its form. Open safety flags
// show on every tab.
var recordTabs = []struct{ Tab, Label string }{
	{"overview", "Overview"},
	{"plan", "Plan & tasks"},
	{"journal", "Journal"},
	{"measures", "Measures & check-ins"},
	{"sessions", "Sessions"},
	{"trackers", "Trackers"}, // a page of its own: /clients/{id}/trackers (tracker_pages.go)
	{"all", "Everything"},
}

// tabParts are the parts of the client page each tab reads (ClientPage);
// the whole page, and an unknown tab, read all (0).
var tabParts = map[string]store.ClientPageParts{
	"overview": store.PagePlan | store.PageTasks | store.PageJournal | store.PageMeasures | store.PageCheckIns,
	"plan":     store.PagePlan | store.PageTasks | store.PageVersions,
	"journal":  store.PagePlan | store.PageJournal, // the goals' titles
	"measures": store.PageMeasures | store.PageCheckIns,
	"sessions": store.PageSessions,
}

// Show says whether the page shows section, one of recordTabs.
func (p *clientRecordPage) Show(section string) bool { return p.Tab == "" || p.Tab == section }

// withTabs sets the page's tab from ?tab= and its tab bar.
func (p *clientRecordPage) withTabs(tab string) {
	for _, t := range recordTabs {
		if t.Tab == tab && tab != "all" && tab != "trackers" {
			p.Tab = tab
		}
	}
	for _, t := range recordTabs {
		href := "/clients/" + p.ClientID
		switch t.Tab {
		case "overview":
		case "trackers":
			href += "/trackers"
		default:
			href += "?tab=" + t.Tab
		}
		p.Sections = append(p.Sections, recordTab{Label: t.Label, Href: href, Current: t.Tab == p.Tab || (t.Tab == "all" && p.Tab == "")})
	}
}

// recordPath is where a form of the client page leads back to: the tab of
// the section at anchor ("#tasks"), with the notice done.
func recordPath(clientID, done, anchor string) string {
	tab := "overview"
	switch {
	case anchor == "#plan" || anchor == "#tasks" || anchor == "#history" || strings.HasPrefix(anchor, "#goal-"):
		tab = "plan"
	case anchor == "#measures" || anchor == "#checkins":
		tab = "measures"
	case anchor == "#sessions":
		tab = "sessions"
	case anchor == "#journal" || anchor == "#mood":
		tab = "journal"
	}
	return "/clients/" + clientID + "?tab=" + tab + "&done=" + done + anchor
}

// GET /clients/{id}
func (s *Server) clientRecord(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if actor.Role == care.RoleClient {
		return redirect(w, r, "/plan")
	}
	return s.renderClientRecord(w, r, actor, http.StatusOK, nil)
}

// renderClientRecord renders the client page, with a refused form's
// problem and values when there is one.
func (s *Server) renderClientRecord(w http.ResponseWriter, r *http.Request, actor care.Actor, status int, problem *formProblem) error {
	id := r.PathValue("id")
	tab := ""
	if problem == nil { // a refused form comes back on the whole page, beside its form
		switch tab = r.URL.Query().Get("tab"); tab {
		case "":
			tab = "overview" // short: the page opens at a glance (#18)
		case "all":
			tab = ""
		}
	}
	// One store call, one read transaction, one audit row (#18), of the
	// parts the tab shows (an unknown tab: tabParts 0, all).
	parts, moodSince := tabParts[tab], s.chartSince(r, actor)
	if tab == "overview" {
		moodSince = time.Time{} // the newest entry, no chart
	}
	rec, err := s.store.ClientPage(r.Context(), actor, id, store.ClientPageQuery{
		Parts: parts, Sessions: 20, Versions: 10, Entries: 10, MoodSince: moodSince, CheckIns: 14,
	})
	if err != nil {
		return err
	}
	client, plan, tasks, sessions, versions := rec.Client, rec.Plan, rec.Tasks, rec.Sessions, rec.Versions
	if plan == nil {
		plan = &care.Plan{} // a part the tab does not show
	}
	if tasks == nil {
		tasks = &store.TaskList{}
	}
	read := func(part store.ClientPageParts) bool { return parts == 0 || parts&part != 0 }
	zone, now := actor.TimeZone, s.now()
	p := &clientRecordPage{
		Layout:     s.careLayout(r, client.DisplayName),
		ClientID:   client.ID,
		ClientName: client.DisplayName,
		ClientZone: client.TimeZone,
		CanEdit:    actor.Role == care.RoleProvider, // a provider who reads the record is on the care team
		Version:    plan.Version,
		Goals:      goalViews(plan.Goals, zone),
		Last:       appointmentView(rec.Last, zone, now),
		Next:       appointmentView(rec.Next, zone, now),
		Tasks:      taskViews(tasks, zone),
		Today:      string(tasks.Today),
		Form:       url.Values{},
		Problem:    problem,
	}
	if read(store.PageMeasures) {
		p.Measures = recordMeasuresOf(actor, rec.Measures) // measures_pages.go
	}
	if read(store.PageCheckIns) {
		p.CheckIns = recordCheckInsView(rec.CheckIns, r.PostForm, problem != nil && problem.Section == "checkins")
	}
	p.Flags = flagViews(rec.Flags, id, zone)
	p.withTabs(tab)
	if read(store.PageJournal) {
		p.SharedEntries = s.recordTimeline(r, actor, rec, p.Tab) // journal_pages.go
	}
	for i := range sessions {
		p.Sessions = append(p.Sessions, *appointmentView(&sessions[i], zone, now))
	}
	for _, v := range versions {
		p.Versions = append(p.Versions, versionRow{Version: v.Version, When: localTime(v.ChangedAt, zone), By: v.ChangedByName})
	}
	if problem != nil {
		p.Form = r.PostForm
	}
	if p.CanEdit {
		withCommentForms(p.Goals, client.ID, problem, p.Form)
	}
	p.GoalOptions = []option{{Value: "", Label: "No particular goal"}}
	for _, g := range plan.Goals {
		p.GoalOptions = append(p.GoalOptions, option{Value: g.ID, Label: g.Title, Selected: p.Form.Get("goal_id") == g.ID})
	}
	p.Recurrences = []option{{"once", "Once, on the due date", false}, {"daily", "Every day", false}, {"weekly", "On the weekdays ticked below", false}}
	for i := range p.Recurrences {
		p.Recurrences[i].Selected = p.Recurrences[i].Value == cmp.Or(p.Form.Get("repeat"), "once")
	}
	for n := 1; n <= 7; n++ {
		v := strconv.Itoa(n)
		p.Weekdays = append(p.Weekdays, option{Value: v, Label: time.Weekday(n % 7).String(), Selected: slices.Contains(p.Form["weekday"], v)})
	}
	start := now.In(care.Location(zone)).Add(7 * 24 * time.Hour)
	p.StartDefault = time.Date(start.Year(), start.Month(), start.Day(), start.Hour()+1, 0, 0, 0, start.Location()).Format("2006-01-02T15:04")
	s.renderPage(w, r, status, "client_record", p)
	return nil
}

// refused re-renders the page of a form with the problem when err is one
// the person can correct, and returns err as it is otherwise.
func refused(err error, section string, render func(status int, p *formProblem) error) error {
	msg, field, status, ok := formError(err)
	if !ok {
		return err
	}
	return render(status, &formProblem{Section: section, Message: msg, Field: field})
}

// ---- Sessions (forms) ----

// POST /clients/{id}/sessions (starts_at as datetime-local in the
// viewer's zone, minutes)
func (s *Server) sessionCreateForm(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	render := func(status int, p *formProblem) error { return s.renderClientRecord(w, r, actor, status, p) }
	a := &care.Appointment{}
	err = func() error {
		at, err := time.ParseInLocation("2006-01-02T15:04", r.PostForm.Get("starts_at"), care.Location(actor.TimeZone))
		if err != nil {
			return care.FieldError("starts_at", "must be a date and time")
		}
		a.StartsAt = at
		if m := strings.TrimSpace(r.PostForm.Get("minutes")); m != "" {
			if a.Minutes, err = strconv.Atoi(m); err != nil || a.Minutes == 0 {
				return care.FieldError("minutes", "must be from %d to %d", care.MinSessionMinutes, care.MaxSessionMinutes)
			}
		}
		return s.store.CreateAppointment(r.Context(), actor, r.PathValue("id"), a)
	}()
	if err != nil {
		return refused(err, "sessions", render)
	}
	return redirect(w, r, recordPath(r.PathValue("id"), "session", "#sessions"))
}

// POST /clients/{id}/sessions/{sid} (status)
func (s *Server) sessionUpdateForm(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	st := care.AppointmentStatus(r.PostForm.Get("status"))
	_, err = s.store.UpdateAppointment(r.Context(), actor, r.PathValue("id"), r.PathValue("sid"), care.AppointmentChange{Status: &st})
	if err != nil {
		return refused(err, "sessions", func(status int, p *formProblem) error { return s.renderClientRecord(w, r, actor, status, p) })
	}
	return redirect(w, r, recordPath(r.PathValue("id"), "session", "#sessions"))
}

// ---- Tasks (forms) ----

// POST /clients/{id}/tasks (title, instructions, due_date, repeat:
// once|daily|weekly, weekday (1–7, several), ends_on, goal_id)
func (s *Server) taskCreateForm(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	t := &care.Task{Title: f.Get("title"), Instructions: f.Get("instructions"), DueDate: care.Day(f.Get("due_date")),
		EndsOn: care.Day(f.Get("ends_on")), GoalID: f.Get("goal_id")}
	switch f.Get("repeat") {
	case "daily":
		t.Recurrence = "daily"
	case "weekly":
		t.Recurrence = "weekly:" + strings.Join(f["weekday"], ",")
	case "", "once":
		t.EndsOn = "" // an end date means nothing for a one-off task
	default:
		t.Recurrence = f.Get("repeat")
	}
	if err := s.store.CreateTask(r.Context(), actor, r.PathValue("id"), t); err != nil {
		if care.ErrorCode(err) == care.Invalid && strings.HasPrefix(t.Recurrence, "weekly:") {
			var e *care.Error
			if errors.As(err, &e) && e.Field == "recurrence" {
				err = care.FieldError("weekday", "tick at least one weekday for a weekly task")
			}
		}
		return refused(err, "tasks", func(status int, p *formProblem) error { return s.renderClientRecord(w, r, actor, status, p) })
	}
	return redirect(w, r, recordPath(r.PathValue("id"), "task", "#tasks"))
}

// POST /clients/{id}/tasks/{tid}/complete (occurrence, note, return_to):
// the client marks a task done.
func (s *Server) taskCompleteForm(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	back := "/tasks"
	if r.PostForm.Get("return_to") == "home" {
		back = "/"
	}
	var day care.Day
	if v := r.PostForm.Get("occurrence"); v != "" {
		if day, err = care.ParseDay(v); err != nil {
			return care.FieldError("occurrence", "must be a date as YYYY-MM-DD")
		}
	}
	_, err = s.store.CompleteTask(r.Context(), actor, r.PathValue("id"), r.PathValue("tid"), day, r.PostForm.Get("note"))
	if err != nil {
		if actor.Role != care.RoleClient || r.PathValue("id") != actor.UserID {
			return err
		}
		return refused(err, "task-"+r.PathValue("tid"), func(status int, p *formProblem) error {
			return s.renderClientTasks(w, r, actor, status, p)
		})
	}
	return redirect(w, r, back+"?done=completed")
}

// POST /clients/{id}/tasks/{tid}/undo (occurrence, return_to): the client
// takes back a "done" of today.
func (s *Server) taskUndoForm(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	back := "/tasks"
	if r.PostForm.Get("return_to") == "home" {
		back = "/"
	}
	day, err := care.ParseDay(r.PostForm.Get("occurrence"))
	if err != nil {
		return care.FieldError("occurrence", "must be a date as YYYY-MM-DD")
	}
	err = s.store.UndoCompletion(r.Context(), actor, r.PathValue("id"), r.PathValue("tid"), day)
	if care.ErrorCode(err) == care.NotFound && actor.Role == care.RoleClient && r.PathValue("id") == actor.UserID {
		err = nil // taken back already: a reload, or a second tab
	}
	if err != nil {
		if actor.Role != care.RoleClient || r.PathValue("id") != actor.UserID {
			return err
		}
		return refused(err, "task-"+r.PathValue("tid"), func(status int, p *formProblem) error {
			return s.renderClientTasks(w, r, actor, status, p)
		})
	}
	return redirect(w, r, back+"?done=undone")
}

// ---- Comments ----

// POST /clients/{id}/plan/goals/{gid}/comments (text): the client and the
// care team comment on a goal.
func (s *Server) goalCommentForm(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, gid := r.PathValue("id"), r.PathValue("gid")
	_, err = s.store.AddGoalComment(r.Context(), actor, id, gid, r.PostForm.Get("text"))
	own := actor.Role == care.RoleClient && actor.UserID == id
	if err != nil {
		return refused(err, "goal-"+gid, func(status int, p *formProblem) error {
			if own {
				return s.renderClientPlan(w, r, actor, status, p)
			}
			return s.renderClientRecord(w, r, actor, status, p)
		})
	}
	if own {
		return redirect(w, r, "/plan?done=comment#goal-"+gid)
	}
	return redirect(w, r, recordPath(id, "comment", "#goal-"+gid))
}

// ---- The plan editor ----

// planEditPage edits one goal of a plan and its objectives, or adds one.
type planEditPage struct {
	Layout
	ClientID   string
	ClientName string
	New        bool
	Version    int
	Goal       goalForm
	Statuses   []option
	Objectives []objectiveForm
	Problem    *formProblem
}

type goalForm struct {
	ID, Title, ClinicalWording, TargetDate string
}

type objectiveForm struct {
	N                      int // its place in the form, from 0
	Number                 int // for people, from 1
	ID, Text, TargetDate   string
	Statuses               []option
	Existing, Remove       bool
	TextField, DateField   string // for aria-invalid: the field a problem names
	StatusField, RemoveFld string
}

// blankObjectives is how many empty objective rows the editor offers.
const blankObjectives = 3

func objectiveStatusOptions(selected care.ObjectiveStatus) []option {
	var out []option
	for _, st := range care.ObjectiveStatuses {
		out = append(out, option{Value: string(st), Label: objectiveStatusLabels[st], Selected: st == selected})
	}
	return out
}

func goalStatusOptions(selected care.GoalStatus) []option {
	var out []option
	for _, st := range care.GoalStatuses {
		out = append(out, option{Value: string(st), Label: goalStatusLabels[st], Selected: st == selected})
	}
	return out
}

func newEditPage(l Layout, client *care.User, version int, g care.Goal, isNew bool) *planEditPage {
	p := &planEditPage{Layout: l, ClientID: client.ID, ClientName: client.DisplayName, New: isNew, Version: version,
		Goal:     goalForm{ID: g.ID, Title: g.Title, ClinicalWording: g.ClinicalWording, TargetDate: string(g.TargetDate)},
		Statuses: goalStatusOptions(cmpOrStatus(g.Status))}
	for _, o := range g.Objectives {
		p.addObjective(o.ID, o.Text, string(o.TargetDate), o.Status, o.ID != "", false)
	}
	for i := 0; i < blankObjectives && len(p.Objectives) < care.MaxObjectives; i++ {
		p.addObjective("", "", "", care.ObjectiveOpen, false, false)
	}
	return p
}

func cmpOrStatus(st care.GoalStatus) care.GoalStatus {
	if st == "" {
		return care.GoalActive
	}
	return st
}

func (p *planEditPage) addObjective(id, text, target string, st care.ObjectiveStatus, existing, remove bool) {
	n := len(p.Objectives)
	p.Objectives = append(p.Objectives, objectiveForm{N: n, Number: n + 1, ID: id, Text: text, TargetDate: target,
		Statuses: objectiveStatusOptions(st), Existing: existing, Remove: remove,
		TextField: fmt.Sprintf("obj-%d-text", n), DateField: fmt.Sprintf("obj-%d-target", n),
		StatusField: fmt.Sprintf("obj-%d-status", n), RemoveFld: fmt.Sprintf("obj-%d-remove", n)})
}

// editContext reads what the editor needs: the client, and their plan.
// Only the care team edits: anyone else who sees the plan is Forbidden.
func (s *Server) editContext(r *http.Request, actor care.Actor) (*care.User, *care.Plan, error) {
	client, err := s.store.Client(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	plan, err := s.store.Plan(r.Context(), actor, client.ID)
	if err != nil {
		return nil, nil, err
	}
	if actor.Role != care.RoleProvider {
		return nil, nil, care.Errorf(care.Forbidden, "only the client's care team changes the plan")
	}
	return client, plan, nil
}

// GET /clients/{id}/plan/goals/new and /clients/{id}/plan/goals/{gid}
func (s *Server) planGoalEdit(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	client, plan, err := s.editContext(r, actor)
	if err != nil {
		return err
	}
	gid := r.PathValue("gid")
	if gid == "" {
		s.renderPage(w, r, http.StatusOK, "plan_edit", newEditPage(s.layout(r, "Add a goal"), client, plan.Version, care.Goal{}, true))
		return nil
	}
	for _, g := range plan.Goals {
		if g.ID == gid {
			s.renderPage(w, r, http.StatusOK, "plan_edit", newEditPage(s.layout(r, "Edit a goal"), client, plan.Version, g, false))
			return nil
		}
	}
	return care.Errorf(care.NotFound, "There is no such goal in this plan.")
}

// goalFromForm reads the editor's form into a goal, and which objective
// rows are new blanks to leave out (by their place in the goal).
func goalFromForm(f url.Values, gid string) (g care.Goal, rows []int) {
	g = care.Goal{ID: gid, Title: f.Get("title"), ClinicalWording: f.Get("clinical_wording"),
		TargetDate: care.Day(f.Get("target_date")), Status: care.GoalStatus(f.Get("status"))}
	n, _ := strconv.Atoi(f.Get("objectives"))
	n = min(max(n, 0), care.MaxObjectives+blankObjectives)
	for i := range n {
		key := func(k string) string { return f.Get(fmt.Sprintf("obj-%d-%s", i, k)) }
		id, text := key("id"), key("text")
		if key("remove") != "" || (id == "" && strings.TrimSpace(text) == "") {
			continue
		}
		g.Objectives = append(g.Objectives, care.Objective{ID: id, Text: text, TargetDate: care.Day(key("target")),
			Status: care.ObjectiveStatus(key("status"))})
		rows = append(rows, i)
	}
	return g, rows
}

// goalFieldPattern finds a goal's own field in a plan's field name.
var goalFieldPattern = regexp.MustCompile(`^goals\[(\d+)\]\.(.+)$`)
var objectiveFieldPattern = regexp.MustCompile(`^objectives\[(\d+)\]\.(.+)$`)

// editorProblem turns a refused save into a problem of the editor's
// form: goals[3].objectives[1].text becomes the text of the objective in
// form row rows[1], named for people.
func editorProblem(err error, rows []int) (*formProblem, int, bool) {
	msg, field, status, ok := formError(err)
	if !ok {
		return nil, 0, false
	}
	var e *care.Error
	errors.As(err, &e)
	p := &formProblem{Section: "goal", Message: msg, Field: field}
	if m := goalFieldPattern.FindStringSubmatch(field); m != nil {
		rest := m[2]
		p.Field = rest
		label := map[string]string{"title": "The goal", "clinical_wording": "The clinical wording", "target_date": "The target date",
			"status": "The status", "objectives": "The list of objectives", "id": "The goal"}[rest]
		if om := objectiveFieldPattern.FindStringSubmatch(rest); om != nil {
			j, _ := strconv.Atoi(om[1])
			row := j
			if j < len(rows) {
				row = rows[j]
			}
			part := map[string]string{"text": "text", "target_date": "target", "status": "status", "id": "text"}[om[2]]
			p.Field = fmt.Sprintf("obj-%d-%s", row, part)
			label = fmt.Sprintf("Objective %d", row+1)
		}
		if label != "" {
			p.Message = sentence(label + " " + e.Message)
		}
	}
	return p, status, true
}

// POST /clients/{id}/plan/goals (a new goal) and
// /clients/{id}/plan/goals/{gid} (a change, or remove=1 to take it out)
func (s *Server) planGoalSave(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	client, plan, err := s.editContext(r, actor)
	if err != nil {
		return err
	}
	gid := r.PathValue("gid")
	edited, rows := goalFromForm(r.PostForm, gid)
	remove := r.PostForm.Get("remove") != ""
	goals := make([]care.Goal, 0, len(plan.Goals)+1)
	found := false
	for _, g := range plan.Goals {
		if g.ID == gid {
			found = true
			if remove {
				continue
			}
			g = edited
		}
		goals = append(goals, g)
	}
	if gid == "" {
		goals = append(goals, edited)
	} else if !found {
		return care.Errorf(care.NotFound, "There is no such goal in this plan.")
	}
	base, err := strconv.Atoi(r.PostForm.Get("version"))
	if err != nil {
		base = store.AnyVersion
	}
	saved, err := s.store.SavePlan(r.Context(), actor, client.ID, goals, base)
	if err != nil {
		problem, status, ok := editorProblem(err, rows)
		if !ok {
			return err
		}
		title := "Edit a goal"
		if gid == "" {
			title = "Add a goal"
		}
		p := &planEditPage{Layout: s.layout(r, title), ClientID: client.ID, ClientName: client.DisplayName, New: gid == "",
			Version: base, Goal: goalForm{ID: gid, Title: edited.Title, ClinicalWording: edited.ClinicalWording, TargetDate: string(edited.TargetDate)},
			Statuses: goalStatusOptions(cmpOrStatus(edited.Status)), Problem: problem}
		if care.ErrorCode(err) == care.Conflict {
			p.Version = plan.Version // a second save applies the change over the latest plan
		}
		n, _ := strconv.Atoi(r.PostForm.Get("objectives"))
		n = min(max(n, 0), care.MaxObjectives+blankObjectives)
		for i := range n {
			key := func(k string) string { return r.PostForm.Get(fmt.Sprintf("obj-%d-%s", i, k)) }
			id := key("id")
			p.addObjective(id, key("text"), key("target"), care.ObjectiveStatus(key("status")), id != "", key("remove") != "")
		}
		s.renderPage(w, r, status, "plan_edit", p)
		return nil
	}
	anchor, done := "", "removed"
	if !remove {
		done = "goal"
		for _, g := range saved.Goals {
			if g.ID == gid || (gid == "" && g.Title == strings.TrimSpace(edited.Title)) {
				anchor = "#goal-" + g.ID
			}
		}
	}
	if anchor == "" {
		anchor = "#plan"
	}
	return redirect(w, r, recordPath(client.ID, done, anchor))
}

// ---- Plan history ----

type planVersionPage struct {
	Layout
	ClientID   string
	ClientName string
	Version    int
	When, By   string
	Goals      []goalView
}

// GET /clients/{id}/plan/versions/{version}
func (s *Server) planVersionView(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if actor.Role == care.RoleClient {
		return care.Errorf(care.NotFound, "There is no page at this address.")
	}
	client, err := s.store.Client(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	version, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || version <= 0 {
		version = 0
	}
	p, err := s.store.PlanVersion(r.Context(), actor, client.ID, version)
	if err != nil {
		return err
	}
	s.renderPage(w, r, http.StatusOK, "plan_version", &planVersionPage{
		Layout: s.layout(r, fmt.Sprintf("Plan version %d", version)), ClientID: client.ID, ClientName: client.DisplayName,
		Version: version, When: localTime(p.UpdatedAt, actor.TimeZone), By: p.UpdatedByName, Goals: goalViews(p.Goals, actor.TimeZone),
	})
	return nil
}

// ---- The client's pages ----

// ownRecord is the signed-in client: /plan and /tasks are a client's own
// pages, and not found for anyone else.
func ownRecord(r *http.Request) (care.Actor, error) {
	actor, err := signedIn(r)
	if err != nil {
		return actor, err
	}
	if actor.Role != care.RoleClient {
		return actor, care.Errorf(care.NotFound, "There is no page at this address.")
	}
	return actor, nil
}

// clientPlanPage is /plan: the client's goals in their words, objectives,
// comments and a comment form under each goal.
type clientPlanPage struct {
	Layout
	ClientID string
	Goals    []goalView
	Updated  string
	Problem  *formProblem
	Form     url.Values
}

// GET /plan
func (s *Server) clientPlan(w http.ResponseWriter, r *http.Request) error {
	actor, err := ownRecord(r)
	if err != nil {
		return err
	}
	return s.renderClientPlan(w, r, actor, http.StatusOK, nil)
}

func (s *Server) renderClientPlan(w http.ResponseWriter, r *http.Request, actor care.Actor, status int, problem *formProblem) error {
	plan, err := s.store.Plan(r.Context(), actor, actor.UserID)
	if err != nil {
		return err
	}
	p := &clientPlanPage{Layout: s.careLayout(r, "Your plan"), ClientID: actor.UserID, Goals: goalViews(plan.Goals, actor.TimeZone),
		Problem: problem, Form: url.Values{}}
	if plan.Version > 0 {
		p.Updated = localTime(plan.UpdatedAt, actor.TimeZone)
	}
	if problem != nil {
		p.Form = r.PostForm
	}
	withCommentForms(p.Goals, actor.UserID, problem, p.Form)
	s.renderPage(w, r, status, "client_plan", p)
	return nil
}

// dueView is an occurrence on the client's home and task pages, with the
// form that marks it done.
type dueView struct {
	ClientID     string
	TaskID       string
	Title        string
	Instructions string
	GoalTitle    string
	Day          string
	DayLabel     string
	Done         bool
	Undo         bool // done today: the client may take it back until the day ends
	Overdue      bool
	Today        bool
	ReturnTo     string // "home" or "tasks": where the form leads back to
	Note         string // what a refused completion's note said
	Problem      *formProblem
}

// dueViews shows the occurrences due of a client in zone whose today is
// today; one marked done today may be taken back (Undo) until the day ends.
func dueViews(due []care.DueTask, today care.Day, zone, clientID, returnTo string) []dueView {
	out := []dueView{}
	for _, d := range due {
		out = append(out, dueView{ClientID: clientID, TaskID: d.Task.ID, Title: d.Task.Title, Instructions: d.Task.Instructions,
			GoalTitle: d.Task.GoalTitle, Day: string(d.Day), DayLabel: dayLabel(d.Day), Done: d.Done, Overdue: d.Overdue,
			Undo: d.Done && !d.DoneAt.IsZero() && care.DayIn(d.DoneAt, zone) == today, Today: d.Day == today, ReturnTo: returnTo})
	}
	return out
}

// withProblem puts a refused completion's problem and note back on its
// occurrence.
func withProblem(due []dueView, problem *formProblem, form url.Values) {
	if problem == nil {
		return
	}
	for i := range due {
		if problem.Section == "task-"+due[i].TaskID && form.Get("occurrence") == due[i].Day {
			due[i].Problem, due[i].Note = problem, form.Get("note")
		}
	}
}

// clientTasksPage is /tasks: what is due, with a form to mark each done,
// what was missed this past week, and the whole list.
type clientTasksPage struct {
	Layout
	ClientID string
	Today    string
	Due      []dueView
	Missed   []dueView // recurring occurrences of the past week not done
	Tasks    []taskView
	Problem  *formProblem
	Form     url.Values
}

// GET /tasks
func (s *Server) clientTasks(w http.ResponseWriter, r *http.Request) error {
	actor, err := ownRecord(r)
	if err != nil {
		return err
	}
	return s.renderClientTasks(w, r, actor, http.StatusOK, nil)
}

func (s *Server) renderClientTasks(w http.ResponseWriter, r *http.Request, actor care.Actor, status int, problem *formProblem) error {
	list, err := s.store.Tasks(r.Context(), actor, actor.UserID)
	if err != nil {
		return err
	}
	due, err := s.store.TasksDue(r.Context(), actor, actor.UserID, list.Today)
	if err != nil {
		return err
	}
	p := &clientTasksPage{Layout: s.careLayout(r, "Your tasks"), ClientID: actor.UserID, Today: dayLabel(list.Today),
		Due: dueViews(due, list.Today, list.TimeZone, actor.UserID, "tasks"), Tasks: taskViews(list, actor.TimeZone), Problem: problem, Form: url.Values{}}
	// Occurrences of recurring tasks missed in the past week can still be
	// marked done.
	for _, t := range list.Tasks {
		if !t.Recurring() {
			continue
		}
		for i := len(t.Occurrences) - 1; i >= 0; i-- {
			if o := t.Occurrences[i]; !o.Done && o.Day.Before(list.Today) {
				p.Missed = append(p.Missed, dueViews([]care.DueTask{{Task: t, Day: o.Day}}, list.Today, list.TimeZone, actor.UserID, "tasks")...)
			}
		}
	}
	if problem != nil {
		p.Form = r.PostForm
		withProblem(p.Due, problem, p.Form)
		withProblem(p.Missed, problem, p.Form)
	}
	s.renderPage(w, r, status, "client_tasks", p)
	return nil
}

// betweenSessions is the client home's block of the plan, sessions and
// tasks: the next and last session, what is due today, the plan's goals.
type betweenSessions struct {
	ClientID string
	Next     *appointmentRow
	Last     *appointmentRow
	Due      []dueView
	Goals    []goalView
	Measures []measureDueView // questionnaires due (measures_pages.go)
}

// clientBetweenSessions reads the client home's block.
func (s *Server) clientBetweenSessions(r *http.Request, actor care.Actor) (*betweenSessions, error) {
	ctx := r.Context()
	last, next, err := s.store.SessionSummary(ctx, actor, actor.UserID)
	if err != nil {
		return nil, err
	}
	today := care.DayIn(s.now(), actor.TimeZone)
	due, err := s.store.TasksDue(ctx, actor, actor.UserID, today)
	if err != nil {
		return nil, err
	}
	plan, err := s.store.Plan(ctx, actor, actor.UserID)
	if err != nil {
		return nil, err
	}
	b := &betweenSessions{ClientID: actor.UserID, Next: appointmentView(next, actor.TimeZone, s.now()), Last: appointmentView(last, actor.TimeZone, s.now()),
		Due: dueViews(due, today, actor.TimeZone, actor.UserID, "home")}
	// Home is about today: tasks due later wait on /tasks.
	b.Due = slices.DeleteFunc(b.Due, func(d dueView) bool { return !d.Today && !d.Overdue })
	measures, err := s.store.MeasuresDue(ctx, actor, actor.UserID)
	if err != nil {
		return nil, err
	}
	b.Measures = measureDueViews(measures, actor.TimeZone)
	for _, g := range goalViews(plan.Goals, actor.TimeZone) {
		if g.Status == string(care.GoalActive) || g.Status == string(care.GoalPaused) {
			b.Goals = append(b.Goals, g)
		}
	}
	return b, nil
}
