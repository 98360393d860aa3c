package web

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"

	"interlude/internal/care"
	"interlude/internal/store"
)

// The safety plan's pages (issue #16): the client's own at /safety-plan,
// linked from every client page's header and first in the crisis banner,
// printable; the care team's at /clients/{id}/safety-plan. Both read it
// and change it through one form of the seven sections.

// safetyPlanPage shows a safety plan, or (Edit) the form that changes it.
type safetyPlanPage struct {
	Layout
	Self       bool   // the client's own page
	ClientID   string // for the care team's page
	ClientName string
	Base       string // "/safety-plan" or "/clients/{id}/safety-plan"
	CanEdit    bool
	Edit       bool
	Version    int
	Updated    string // when and by whom the plan was last saved; "" if never
	Empty      bool
	Sections   []safetyPlanSectionView
	Problem    *formProblem
	History    []string // "Version 2, saved … by …", newest first; on the page that reads the plan
}

// safetyPlanSectionView is one section: its items to read, and its
// fields to change them.
type safetyPlanSectionView struct {
	care.SafetyPlanSectionInfo
	Items   []string
	Fields  []safetyPlanField
	Invalid bool // the problem is with the section as a whole
}

// safetyPlanField is one line of a section's form.
type safetyPlanField struct {
	ID, Name, Value, Label string
	Invalid                bool
}

// blankSafetyPlanLines is how many empty lines the form offers under a
// section's items.
const blankSafetyPlanLines = 2

// sectionViews lays out plan's sections; when values is not nil (a
// refused save), the form shows those values as they were sent.
func sectionViews(plan *care.SafetyPlan, values map[care.SafetyPlanSection][]string, problem *formProblem) []safetyPlanSectionView {
	out := make([]safetyPlanSectionView, 0, len(care.SafetyPlanSections))
	for _, l := range plan.Lists() {
		v := safetyPlanSectionView{SafetyPlanSectionInfo: l.SafetyPlanSectionInfo, Items: l.Items}
		lines := l.Items
		if values != nil {
			lines = values[l.Section]
		}
		n := min(len(lines)+blankSafetyPlanLines, max(care.MaxSafetyPlanItems, len(lines)))
		for i := range n {
			f := safetyPlanField{ID: fmt.Sprintf("sp-%s-%d", l.Section, i), Name: string(l.Section),
				Label: fmt.Sprintf("%s, line %d", l.Title, i+1)}
			if i < len(lines) {
				f.Value = lines[i]
			}
			f.Invalid = problem != nil && problem.Field == fmt.Sprintf("%s[%d]", l.Section, i)
			v.Fields = append(v.Fields, f)
		}
		v.Invalid = problem != nil && problem.Field == string(l.Section)
		if v.Invalid && len(v.Fields) > 0 {
			v.Fields[0].Invalid = true
		}
		out = append(out, v)
	}
	return out
}

// safetyPlanFieldPattern reads a refused item's field ("coping[2]").
var safetyPlanFieldPattern = regexp.MustCompile(`^([a-z_]+)\[(\d+)\]$`)

// safetyPlanProblem says what is wrong with a refused save in words that
// name the section and the line.
func safetyPlanProblem(err error) (*formProblem, int, bool) {
	msg, field, status, ok := formError(err)
	if !ok {
		return nil, 0, false
	}
	var e *care.Error
	if errors.As(err, &e) && e.Code == care.Invalid {
		section, line := field, 0
		if m := safetyPlanFieldPattern.FindStringSubmatch(field); m != nil {
			section = m[1]
			line, _ = strconv.Atoi(m[2])
			line++
		}
		for _, info := range care.SafetyPlanSections {
			if string(info.Section) != section {
				continue
			}
			if line > 0 {
				msg = sentence(fmt.Sprintf("%s, line %d: %s", info.Title, line, e.Message))
			} else {
				msg = sentence(fmt.Sprintf("%s: %s", info.Title, e.Message))
			}
		}
	}
	return &formProblem{Section: "safety-plan", Message: msg, Field: field}, status, true
}

// safetyPlanFromForm reads the form's lines, section by section, as sent
// (blank lines too, so that a refused line's place is its field's).
func safetyPlanFromForm(r *http.Request) (care.SafetyPlan, map[care.SafetyPlanSection][]string) {
	var plan care.SafetyPlan
	values := map[care.SafetyPlanSection][]string{}
	for _, info := range care.SafetyPlanSections {
		lines := r.PostForm[string(info.Section)]
		if len(lines) > care.MaxSafetyPlanItems+blankSafetyPlanLines {
			lines = lines[:care.MaxSafetyPlanItems+blankSafetyPlanLines]
		}
		values[info.Section] = lines
		*plan.Items(info.Section) = lines
	}
	return plan, values
}

// safetyPlanTarget is whose plan a request is about: the signed-in
// client's own (/safety-plan), or a client's for the care team
// (/clients/{id}/safety-plan; an admin through a grant reads it). A
// client on the care team's address finds nothing.
func (s *Server) safetyPlanTarget(r *http.Request) (actor care.Actor, page *safetyPlanPage, err error) {
	actor, err = signedIn(r)
	if err != nil {
		return actor, nil, err
	}
	id := r.PathValue("id")
	if id == "" {
		if actor, err = ownRecord(r); err != nil {
			return actor, nil, err
		}
		return actor, &safetyPlanPage{Self: true, ClientID: actor.UserID, Base: "/safety-plan", CanEdit: true}, nil
	}
	if actor.Role == care.RoleClient {
		return actor, nil, care.Errorf(care.NotFound, "There is no page at this address.")
	}
	client, err := s.store.Client(r.Context(), actor, id)
	if err != nil {
		return actor, nil, err
	}
	return actor, &safetyPlanPage{ClientID: client.ID, ClientName: client.DisplayName, Base: "/clients/" + client.ID + "/safety-plan",
		CanEdit: actor.Role == care.RoleProvider}, nil
}

// renderSafetyPlan fills page with the plan and renders it.
func (s *Server) renderSafetyPlan(w http.ResponseWriter, r *http.Request, actor care.Actor, page *safetyPlanPage, plan *care.SafetyPlan,
	status int, values map[care.SafetyPlanSection][]string) {
	title := "My safety plan"
	if !page.Self {
		title = "Safety plan of " + page.ClientName
	}
	if page.Edit {
		title = "Change " + map[bool]string{true: "my safety plan", false: "the safety plan"}[page.Self]
	}
	page.Layout = s.careLayout(r, title)
	page.Empty = plan.Empty()
	if plan.Version > 0 {
		page.Updated = localTime(plan.UpdatedAt, actor.TimeZone)
		if plan.UpdatedByName != "" {
			page.Updated += " by " + plan.UpdatedByName
		}
	}
	if values == nil {
		page.Version = plan.Version
	}
	page.Sections = sectionViews(plan, values, page.Problem)
	if !page.Edit && !page.Empty {
		page.Scripts = append(page.Scripts, "brief.js") // the Print button
	}
	s.renderPage(w, r, status, "safety_plan", page)
}

// GET /safety-plan, /safety-plan/edit, /clients/{id}/safety-plan and
// /clients/{id}/safety-plan/edit
func (s *Server) safetyPlanView(edit bool) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		actor, page, err := s.safetyPlanTarget(r)
		if err != nil {
			return err
		}
		plan, err := s.store.SafetyPlan(r.Context(), actor, page.ClientID)
		if err != nil {
			return err
		}
		if edit && !page.CanEdit {
			return care.Errorf(care.Forbidden, "Only the client and their care team change the safety plan.")
		}
		page.Edit = edit
		if !edit && plan.Version > 1 {
			versions, err := s.store.SafetyPlanVersions(r.Context(), actor, page.ClientID)
			if err != nil {
				return err
			}
			for _, v := range versions {
				h := fmt.Sprintf("Version %d, saved %s", v.Version, localTime(v.ChangedAt, actor.TimeZone))
				if v.ChangedByName != "" {
					h += " by " + v.ChangedByName
				}
				page.History = append(page.History, h)
			}
		}
		s.renderSafetyPlan(w, r, actor, page, plan, http.StatusOK, nil)
		return nil
	}
}

// POST /safety-plan and /clients/{id}/safety-plan: save the form, then
// back to the plan. A refused save shows the form again with every line
// as it was sent.
func (s *Server) safetyPlanSave(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	actor, page, err := s.safetyPlanTarget(r)
	if err != nil {
		return err
	}
	plan, values := safetyPlanFromForm(r)
	base, err := strconv.Atoi(r.PostForm.Get("version"))
	if err != nil || base < 0 {
		base = store.AnyVersion
	}
	if _, err := s.store.SaveSafetyPlan(r.Context(), actor, page.ClientID, plan, base); err != nil {
		problem, status, ok := safetyPlanProblem(err)
		if !ok {
			return err
		}
		current, rerr := s.store.SafetyPlan(r.Context(), actor, page.ClientID)
		if rerr != nil {
			return rerr
		}
		page.Edit, page.Problem, page.Version = true, problem, base
		if care.ErrorCode(err) == care.Conflict {
			page.Version = current.Version // a second save applies these lines over the latest plan
		}
		s.renderSafetyPlan(w, r, actor, page, current, status, values)
		return nil
	}
	return redirect(w, r, page.Base+"?done=safety-plan")
}

// safetyPlanFor is, in the answer to a client's write whose words hold
// crisis language, the API address of their safety plan when it has
// something in it; "" otherwise.
func (s *Server) safetyPlanFor(r *http.Request, actor care.Actor, crisis bool) (string, error) {
	if !crisis {
		return "", nil
	}
	has, err := s.hasSafetyPlan(r, actor)
	if !has || err != nil {
		return "", err
	}
	return "/api/v1/clients/" + actor.UserID + "/safety-plan", nil
}

// hasSafetyPlan reports whether the signed-in client has a safety plan
// with something in it, for the crisis banner's first link.
func (s *Server) hasSafetyPlan(r *http.Request, actor care.Actor) (bool, error) {
	if actor.Role != care.RoleClient {
		return false, nil
	}
	p, err := s.store.SafetyPlan(r.Context(), actor, actor.UserID)
	if err != nil {
		return false, err
	}
	return !p.Empty(), nil
}
