package care

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseDay(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"2026-11-20", true}, {"2028-02-29", true},
		{"2027-02-29", false}, {"2026-13-01", false}, {"2026-1-05", false}, {"20261120", false},
		{"2026-11-20T00:00:00Z", false}, {"", false}, {" 2026-11-20", false}, {"1899-12-31", false},
	} {
		_, err := ParseDay(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseDay(%q): %v", tt.in, err)
		}
	}
}

func TestDayArithmeticIgnoresDST(t *testing.T) {
	t.Parallel()
	// 2027-03-14 is 23 hours long in New York, 2027-11-07 is 25.
	for _, d := range []Day{"2027-03-14", "2027-11-07"} {
		if got := d.AddDays(1); got != d.AddDays(2).AddDays(-1) || got == d {
			t.Errorf("%s + 1 = %s", d, got)
		}
	}
	ny := "America/New_York"
	late := time.Date(2027, 3, 14, 23, 30, 0, 0, Location(ny))
	if got := DayIn(late, ny); got != "2027-03-14" {
		t.Errorf("23:30 on the day the clocks go forward is %s", got)
	}
	if got := DayIn(late, "UTC"); got != "2027-03-15" {
		t.Errorf("the same instant in UTC is %s", got)
	}
	if Location("Not/AZone") != time.UTC {
		t.Error("an unknown zone is not UTC")
	}
}

func TestTaskOccurrences(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		task     Task
		from, to Day
		want     string
	}{
		{Task{DueDate: "2027-03-10"}, "2027-03-01", "2027-03-31", "[2027-03-10]"},
		{Task{DueDate: "2027-03-10"}, "2027-03-11", "2027-03-31", "[]"},
		{Task{DueDate: "2027-03-12", Recurrence: "daily", EndsOn: "2027-03-16"}, "2027-03-01", "2027-03-31",
			"[2027-03-12 2027-03-13 2027-03-14 2027-03-15 2027-03-16]"},
		{Task{DueDate: "2027-03-01", Recurrence: "weekly:7,1"}, "2027-03-10", "2027-03-22", "[2027-03-14 2027-03-15 2027-03-21 2027-03-22]"},
		{Task{DueDate: "2027-03-20", Recurrence: "daily"}, "2027-03-18", "2027-03-21", "[2027-03-20 2027-03-21]"},
	} {
		tt.task.Title = "x"
		if err := tt.task.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(tt.task.Days(tt.from, tt.to)); got != tt.want {
			t.Errorf("%+v from %s to %s: %s, want %s", tt.task, tt.from, tt.to, got, tt.want)
		}
	}
}

func TestTaskValidate(t *testing.T) {
	t.Parallel()
	task := Task{Title: " Breathe ", DueDate: "2027-03-01", Recurrence: "weekly:5,1,5,3"}
	if err := task.Validate(); err != nil {
		t.Fatal(err)
	}
	if task.Title != "Breathe" || task.Recurrence != "weekly:1,3,5" || task.Schedule() != "Every Mon, Wed, Fri" {
		t.Errorf("normalized: %+v %q", task, task.Schedule())
	}
	all := Task{Title: "x", DueDate: "2027-03-01", Recurrence: "weekly:1,2,3,4,5,6,7"}
	if err := all.Validate(); err != nil || all.Recurrence != "daily" {
		t.Errorf("every weekday: %q %v", all.Recurrence, err)
	}
	for _, tt := range []struct {
		task  Task
		field string
	}{
		{Task{DueDate: "2027-03-01"}, "title"},
		{Task{Title: "x"}, "due_date"},
		{Task{Title: "x", DueDate: "2027-03-01", Recurrence: "weekly:1,x"}, "recurrence"},
		{Task{Title: "x", DueDate: "2027-03-01", Recurrence: "hourly"}, "recurrence"},
		{Task{Title: "x", DueDate: "2027-03-01", EndsOn: "2027-03-05"}, "ends_on"},
		{Task{Title: "x", DueDate: "2027-03-01", Recurrence: "daily", EndsOn: "2027-02-28"}, "ends_on"},
		{Task{Title: "x", DueDate: "2027-03-01", GoalID: "x"}, "goal_id"},
		{Task{Title: "x\x00", DueDate: "2027-03-01"}, "title"},
	} {
		var e *Error
		if err := tt.task.Validate(); !errors.As(err, &e) || e.Field != tt.field {
			t.Errorf("%+v: %v, want invalid on %s", tt.task, err, tt.field)
		}
	}
}

func TestPlanValidate(t *testing.T) {
	t.Parallel()
	p := Plan{Goals: []Goal{{Title: "  Sleep  ", Objectives: []Objective{{Text: " Walk "}}}}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if g := p.Goals[0]; g.Title != "Sleep" || g.Status != GoalActive || g.Objectives[0].Text != "Walk" || g.Objectives[0].Status != ObjectiveOpen {
		t.Errorf("normalized: %+v", g)
	}
	dup := NewID()
	for _, tt := range []struct {
		goals []Goal
		field string
	}{
		{[]Goal{{Title: "a"}, {Title: "b", TargetDate: "soon"}}, "goals[1].target_date"},
		{[]Goal{{Title: "a", ClinicalWording: strings.Repeat("é", MaxClinicalWording+1)}}, "goals[0].clinical_wording"},
		{[]Goal{{ID: dup, Title: "a"}, {ID: dup, Title: "b"}}, "goals[1].id"},
		{[]Goal{{Title: "a", Objectives: []Objective{{ID: dup, Text: "x"}, {ID: dup, Text: "y"}}}}, "goals[0].objectives[1].id"},
	} {
		var e *Error
		p := Plan{Goals: tt.goals}
		if err := p.Validate(); !errors.As(err, &e) || e.Field != tt.field {
			t.Errorf("%+v: %v, want invalid on %s", tt.goals, err, tt.field)
		}
	}
}

func TestAppointmentValidate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	a := Appointment{StartsAt: now.Add(time.Hour)}
	if err := a.Validate(now); err != nil || a.Minutes != 50 || a.Status != AppointmentScheduled || !a.Ends().Equal(now.Add(110*time.Minute)) {
		t.Errorf("defaults: %+v %v", a, err)
	}
	held := AppointmentHeld
	if err := (AppointmentChange{Status: &held}).Apply(&a, now); err == nil {
		t.Error("a session held before it starts")
	}
	old := Appointment{StartsAt: now.AddDate(-3, 0, 0), Minutes: 50, Status: AppointmentScheduled}
	if err := (AppointmentChange{Status: &held}).Apply(&old, now); err != nil {
		t.Errorf("an old session can still be marked: %v", err)
	}
}
