package care

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Task is between-session homework: assigned by the care team, due on a
// day or recurring (daily, or on given weekdays) from its due date until
// it ends, optionally towards a goal of the plan. Each day a task is due
// is an occurrence, which the client completes once, with an optional
// note.
type Task struct {
	ID             string
	ClientID       string
	GoalID         string // "" when the task serves no particular goal
	GoalTitle      string // the goal's title, when read
	AssignedBy     string
	AssignedByName string
	Title          string
	Instructions   string
	DueDate        Day    // a one-off task's day; a recurring task's first day
	Recurrence     string // "", "daily", or "weekly:1,3,5" (ISO weekdays, Monday 1)
	EndsOn         Day    // a recurring task's last day, or "" for no end
	CreatedAt      time.Time
	Occurrences    []Occurrence // when read: the occurrences in the window asked for
}

// Task limits.
const (
	MaxTaskTitle    = 300
	MaxInstructions = 4000
	MaxNote         = 2000
)

// Occurrence is a day a task is due, and whether it was done.
type Occurrence struct {
	Day         Day
	Done        bool
	CompletedAt time.Time // zero unless done
	Note        string
}

// Completion is a client's completion of one occurrence of a task.
type Completion struct {
	ID          string
	TaskID      string
	Occurrence  Day
	CompletedAt time.Time
	Note        string
}

// DueTask is an occurrence a client should see on their home page: a
// recurring task due that day, or a one-off task not done yet.
type DueTask struct {
	Task    Task // without occurrences
	Day     Day
	Done    bool
	Overdue bool      // a one-off task whose day has passed
	DoneAt  time.Time // when it was marked done; zero unless Done
}

// Validate checks and normalizes a task about to be assigned.
func (t *Task) Validate() error {
	var err error
	if t.Title, err = checkText("title", t.Title, MaxTaskTitle, true); err != nil {
		return err
	}
	if t.Instructions, err = checkText("instructions", t.Instructions, MaxInstructions, false); err != nil {
		return err
	}
	if t.DueDate == "" {
		return FieldError("due_date", "is required")
	}
	if t.DueDate, err = parseOptionalDay("due_date", string(t.DueDate)); err != nil {
		return err
	}
	if t.GoalID != "" && !ValidID(t.GoalID) {
		return FieldError("goal_id", "is not a goal of this client's plan")
	}
	rec, err := parseRecurrence(t.Recurrence)
	if err != nil {
		return err
	}
	t.Recurrence = rec.String()
	if t.EndsOn, err = parseOptionalDay("ends_on", string(t.EndsOn)); err != nil {
		return err
	}
	switch {
	case t.EndsOn != "" && t.Recurrence == "":
		return FieldError("ends_on", "is only for a recurring task")
	case t.EndsOn != "" && t.EndsOn.Before(t.DueDate):
		return FieldError("ends_on", "must not be before the due date")
	}
	return nil
}

// CheckNote trims and checks a completion note.
func CheckNote(note string) (string, error) {
	return checkText("note", note, MaxNote, false)
}

// recurrence is a parsed Task.Recurrence.
type recurrence struct {
	daily    bool
	weekdays []int // ISO: Monday 1 … Sunday 7, sorted
}

func parseRecurrence(s string) (recurrence, error) {
	bad := FieldError("recurrence", `must be "", "daily" or "weekly:" and ISO weekdays (Monday 1 to Sunday 7), e.g. "weekly:1,3,5"`)
	switch {
	case s == "":
		return recurrence{}, nil
	case s == "daily":
		return recurrence{daily: true}, nil
	case !strings.HasPrefix(s, "weekly:") || len(s) > 40:
		return recurrence{}, bad
	}
	var r recurrence
	for part := range strings.SplitSeq(strings.TrimPrefix(s, "weekly:"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 || n > 7 {
			return recurrence{}, bad
		}
		if !slices.Contains(r.weekdays, n) {
			r.weekdays = append(r.weekdays, n)
		}
	}
	slices.Sort(r.weekdays)
	if len(r.weekdays) == 7 {
		return recurrence{daily: true}, nil
	}
	return r, nil
}

func (r recurrence) String() string {
	switch {
	case r.daily:
		return "daily"
	case len(r.weekdays) == 0:
		return ""
	}
	parts := make([]string, len(r.weekdays))
	for i, n := range r.weekdays {
		parts[i] = strconv.Itoa(n)
	}
	return "weekly:" + strings.Join(parts, ",")
}

// isoWeekday is d's ISO weekday: Monday 1 … Sunday 7.
func isoWeekday(d Day) int {
	w := int(d.Weekday())
	if w == 0 {
		return 7
	}
	return w
}

// Recurring reports whether the task recurs.
func (t *Task) Recurring() bool { return t.Recurrence != "" }

// OccursOn reports whether the task is due on day d.
func (t *Task) OccursOn(d Day) bool {
	if d == "" || d.Before(t.DueDate) {
		return false
	}
	r, err := parseRecurrence(t.Recurrence)
	if err != nil {
		return false
	}
	switch {
	case !r.daily && len(r.weekdays) == 0:
		return d == t.DueDate
	case t.EndsOn != "" && t.EndsOn.Before(d):
		return false
	case r.daily:
		return true
	}
	return slices.Contains(r.weekdays, isoWeekday(d))
}

// Days lists the days from from to to (both included) that the task is
// due on, in order.
func (t *Task) Days(from, to Day) []Day {
	if !t.Recurring() {
		if t.OccursOn(t.DueDate) && !t.DueDate.Before(from) && !to.Before(t.DueDate) {
			return []Day{t.DueDate}
		}
		return nil
	}
	if from.Before(t.DueDate) {
		from = t.DueDate
	}
	if t.EndsOn != "" && t.EndsOn.Before(to) {
		to = t.EndsOn
	}
	var out []Day
	for d := from; !to.Before(d); d = d.AddDays(1) {
		if t.OccursOn(d) {
			out = append(out, d)
		}
	}
	return out
}

// weekdayNames are the short names of ISO weekdays 1 to 7.
var weekdayNames = []string{"", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// Schedule describes when the task is due, for people: "Once", "Every
// day", "Every Mon, Wed, Fri".
func (t *Task) Schedule() string {
	r, err := parseRecurrence(t.Recurrence)
	switch {
	case err != nil, !r.daily && len(r.weekdays) == 0:
		return "Once"
	case r.daily:
		return "Every day"
	}
	names := make([]string, len(r.weekdays))
	for i, n := range r.weekdays {
		names[i] = weekdayNames[n]
	}
	return "Every " + strings.Join(names, ", ")
}
