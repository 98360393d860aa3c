package care

import (
	"fmt"
	"time"
)

// The safety plan (issue #16), in the structure of Stanley and Brown's
// Safety Planning Intervention (Stanley B, Brown GK. Safety Planning
// Intervention: a brief intervention to mitigate suicide risk. Cognitive
// and Behavioral Practice 2012;19(2):256–264): seven steps, each a short
// list in the client's own words, written by the client alone or with a
// provider in session. Both may change it; every save keeps a version
// (who, when, the whole plan).

// Safety plan limits.
const (
	MaxSafetyPlanItems = 20  // items in one section
	MaxSafetyPlanItem  = 300 // characters of one item
)

// SafetyPlanSection names one of the seven steps of a safety plan. The
// names are stored and are the JSON API's field names.
type SafetyPlanSection string

// The sections of a safety plan, in the order of Stanley and Brown's steps.
const (
	SectionWarningSigns  SafetyPlanSection = "warning_signs"
	SectionCoping        SafetyPlanSection = "coping"
	SectionDistraction   SafetyPlanSection = "distraction"
	SectionHelp          SafetyPlanSection = "help"
	SectionProfessionals SafetyPlanSection = "professionals"
	SectionEnvironment   SafetyPlanSection = "environment"
	SectionReasons       SafetyPlanSection = "reasons"
)

// SafetyPlanSectionInfo is how a section is shown: its heading and the
// question that helps a person fill it in.
type SafetyPlanSectionInfo struct {
	Section SafetyPlanSection
	Step    int
	Title   string
	Prompt  string
}

// SafetyPlanSections are the seven sections, in order, with their
// headings and prompts (after the Stanley–Brown template).
var SafetyPlanSections = []SafetyPlanSectionInfo{
	{SectionWarningSigns, 1, "Warning signs", "Thoughts, images, moods, situations or behaviours that tell me a crisis may be starting."},
	{SectionCoping, 2, "Things I can do on my own", "Things I can do to take my mind off my problems without contacting anyone (relaxing, moving, a hobby)."},
	{SectionDistraction, 3, "People and places that take my mind off things", "People I can be with, and social places I can go to, for distraction."},
	{SectionHelp, 4, "People I can ask for help", "Names and phone numbers of people I can tell that I am struggling."},
	{SectionProfessionals, 5, "Professionals and crisis lines", "My provider, my clinic, an emergency department, and crisis lines such as 988 (call or text)."},
	{SectionEnvironment, 6, "Making my surroundings safe", "What I can do to keep things I could use to hurt myself out of reach."},
	{SectionReasons, 7, "My reasons for living", "The people, things and hopes that matter most to me."},
}

// SafetyPlan is a client's safety plan as it stands. Version 0 is a plan
// never saved.
type SafetyPlan struct {
	ClientID      string
	Version       int
	UpdatedAt     time.Time // zero while Version is 0
	UpdatedBy     string    // the user id of who saved it
	UpdatedByName string

	WarningSigns  []string
	Coping        []string
	Distraction   []string
	Help          []string
	Professionals []string
	Environment   []string
	Reasons       []string
}

// SafetyPlanList is one section of a plan with its items, for showing.
type SafetyPlanList struct {
	SafetyPlanSectionInfo
	Items []string
}

// Items returns the list of section s; nil for a name that is not a section.
func (p *SafetyPlan) Items(s SafetyPlanSection) *[]string {
	switch s {
	case SectionWarningSigns:
		return &p.WarningSigns
	case SectionCoping:
		return &p.Coping
	case SectionDistraction:
		return &p.Distraction
	case SectionHelp:
		return &p.Help
	case SectionProfessionals:
		return &p.Professionals
	case SectionEnvironment:
		return &p.Environment
	case SectionReasons:
		return &p.Reasons
	}
	return nil
}

// Lists returns the seven sections in order, each with its items.
func (p *SafetyPlan) Lists() []SafetyPlanList {
	out := make([]SafetyPlanList, 0, len(SafetyPlanSections))
	for _, info := range SafetyPlanSections {
		out = append(out, SafetyPlanList{SafetyPlanSectionInfo: info, Items: *p.Items(info.Section)})
	}
	return out
}

// Empty reports whether the plan has no item in any section: there is
// nothing to show a person in crisis.
func (p *SafetyPlan) Empty() bool {
	if p == nil {
		return true
	}
	for _, info := range SafetyPlanSections {
		if len(*p.Items(info.Section)) > 0 {
			return false
		}
	}
	return true
}

// Validate checks and normalizes the sections of a plan about to be
// saved: items are trimmed, empty ones dropped (a form offers blank
// lines), and every section becomes a list (never nil). An error names
// the field at fault ("coping[2]").
func (p *SafetyPlan) Validate() error {
	for _, info := range SafetyPlanSections {
		items := p.Items(info.Section)
		out := make([]string, 0, len(*items))
		for i, item := range *items {
			item, err := checkText(fmt.Sprintf("%s[%d]", info.Section, i), item, MaxSafetyPlanItem, false)
			if err != nil {
				return err
			}
			if item != "" {
				out = append(out, item)
			}
		}
		if len(out) > MaxSafetyPlanItems {
			return FieldError(string(info.Section), "must hold at most %d items", MaxSafetyPlanItems)
		}
		*items = out
	}
	return nil
}

// CanWriteSafetyPlan reports whether the actor may change the client's
// safety plan: the client themself and their care team. An admin with a
// break-glass grant reads it and changes nothing, as with the rest of
// the record.
func (a RecordAccess) CanWriteSafetyPlan() bool { return a.Self || a.Team }
