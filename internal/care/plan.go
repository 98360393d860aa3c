package care

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The treatment plan: goals in the client's own words (with optional
// clinical wording beside them), each with objectives, target dates and a
// status. The care team writes it, the client reads it and comments on
// its goals. Every save keeps a version: who, when, and the whole plan as
// it then was.

// Plan limits.
const (
	MaxGoals           = 20   // goals in a plan
	MaxObjectives      = 20   // objectives of one goal
	MaxGoalTitle       = 300  // characters of a goal's title, and of an objective
	MaxClinicalWording = 1000 // characters of a goal's clinical wording
	MaxComment         = 2000 // characters of a comment on a goal
)

// GoalStatus is where a goal stands.
type GoalStatus string

// The statuses of a goal.
const (
	GoalActive   GoalStatus = "active"
	GoalAchieved GoalStatus = "achieved"
	GoalPaused   GoalStatus = "paused"
	GoalDropped  GoalStatus = "dropped"
)

// GoalStatuses are the statuses of a goal, in the order a form offers them.
var GoalStatuses = []GoalStatus{GoalActive, GoalAchieved, GoalPaused, GoalDropped}

// ObjectiveStatus is where an objective stands.
type ObjectiveStatus string

// The statuses of an objective.
const (
	ObjectiveOpen    ObjectiveStatus = "open"
	ObjectiveMet     ObjectiveStatus = "met"
	ObjectiveDropped ObjectiveStatus = "dropped"
)

// ObjectiveStatuses are the statuses of an objective, in form order.
var ObjectiveStatuses = []ObjectiveStatus{ObjectiveOpen, ObjectiveMet, ObjectiveDropped}

// Plan is a client's treatment plan. Version 0 is a plan never saved.
type Plan struct {
	ClientID      string
	Version       int
	UpdatedAt     time.Time // zero while Version is 0
	UpdatedBy     string    // the user id of who saved it
	UpdatedByName string
	Goals         []Goal
}

// Goal is one goal of a plan, in the client's own words.
type Goal struct {
	ID              string // "" for a goal not saved yet
	Title           string // the client's words
	ClinicalWording string // optional
	TargetDate      Day    // optional
	Status          GoalStatus
	Objectives      []Objective
	Comments        []GoalComment // oldest first; not part of a version
}

// Objective is a measurable step towards a goal.
type Objective struct {
	ID         string
	Text       string
	TargetDate Day
	Status     ObjectiveStatus
}

// GoalComment is a remark on a goal by the client or their care team.
type GoalComment struct {
	ID         string
	GoalID     string
	AuthorID   string
	AuthorName string
	AuthorRole Role
	CreatedAt  time.Time
	Text       string
}

// PlanVersion is one saved state of a plan: who saved it and when. The
// plan as it then was is read with it when asked for.
type PlanVersion struct {
	Version       int
	ChangedAt     time.Time
	ChangedBy     string
	ChangedByName string
}

// Validate checks and normalizes the goals of a plan about to be saved:
// texts are trimmed, missing statuses become active and open. An error
// names the field at fault by its place in the request
// ("goals[1].objectives[0].text").
func (p *Plan) Validate() error {
	if len(p.Goals) > MaxGoals {
		return FieldError("goals", "must hold at most %d goals", MaxGoals)
	}
	seen := map[string]bool{}
	for i := range p.Goals {
		g := &p.Goals[i]
		at := fmt.Sprintf("goals[%d]", i)
		if g.ID != "" && (!ValidID(g.ID) || seen[g.ID]) {
			return FieldError(at+".id", "is not a goal of this plan")
		}
		seen[g.ID] = true
		var err error
		if g.Title, err = checkText(at+".title", g.Title, MaxGoalTitle, true); err != nil {
			return err
		}
		if g.ClinicalWording, err = checkText(at+".clinical_wording", g.ClinicalWording, MaxClinicalWording, false); err != nil {
			return err
		}
		if g.TargetDate, err = parseOptionalDay(at+".target_date", string(g.TargetDate)); err != nil {
			return err
		}
		switch g.Status {
		case "":
			g.Status = GoalActive
		case GoalActive, GoalAchieved, GoalPaused, GoalDropped:
		default:
			return FieldError(at+".status", "must be one of active, achieved, paused, dropped")
		}
		if len(g.Objectives) > MaxObjectives {
			return FieldError(at+".objectives", "must hold at most %d objectives", MaxObjectives)
		}
		for j := range g.Objectives {
			o := &g.Objectives[j]
			oat := fmt.Sprintf("%s.objectives[%d]", at, j)
			if o.ID != "" && (!ValidID(o.ID) || seen[o.ID]) {
				return FieldError(oat+".id", "is not an objective of this plan")
			}
			seen[o.ID] = true
			if o.Text, err = checkText(oat+".text", o.Text, MaxGoalTitle, true); err != nil {
				return err
			}
			if o.TargetDate, err = parseOptionalDay(oat+".target_date", string(o.TargetDate)); err != nil {
				return err
			}
			switch o.Status {
			case "":
				o.Status = ObjectiveOpen
			case ObjectiveOpen, ObjectiveMet, ObjectiveDropped:
			default:
				return FieldError(oat+".status", "must be one of open, met, dropped")
			}
		}
		delete(seen, "")
	}
	return nil
}

// CheckComment trims and checks the text of a comment on a goal.
func CheckComment(text string) (string, error) {
	return checkText("text", text, MaxComment, true)
}

// checkText trims s and checks that it is valid text of at most max
// characters, and not empty when required. Control characters other than
// line breaks and tabs are refused: they have no place in what a person
// writes, and some of them confuse the terminals logs end up in.
func checkText(field, s string, max int, required bool) (string, error) {
	s = strings.TrimSpace(s)
	if required && s == "" {
		return "", FieldError(field, "is required")
	}
	if !utf8.ValidString(s) {
		return "", FieldError(field, "must be valid text")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", FieldError(field, "must be at most %d characters", max)
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' && r != '\r' || r == 0x7f {
			return "", FieldError(field, "must not hold control characters")
		}
	}
	return s, nil
}

// RecordAccess is how an actor stands to a client's record; the store
// finds it in its SQL. The rules:
//
//   - the client and their care team read the plan, the sessions and the
//     tasks; an admin only through an open break-glass grant;
//   - only the care team changes the plan, schedules sessions and assigns
//     tasks;
//   - the client and the care team comment on goals;
//   - only the client completes a task.
//
// Anyone else finds no record at all (ErrNotFound); someone who may read
// it but not make a change gets Forbidden.
type RecordAccess struct {
	Self bool // the actor is the client
	Team bool // the actor is a provider on the client's care team
}

// CanEdit reports whether the actor may change the plan, sessions and
// tasks: the care team.
func (a RecordAccess) CanEdit() bool { return a.Team }

// CanComment reports whether the actor may comment on a goal.
func (a RecordAccess) CanComment() bool { return a.Team || a.Self }

// CanComplete reports whether the actor may complete the client's tasks:
// the client alone.
func (a RecordAccess) CanComplete() bool { return a.Self }
