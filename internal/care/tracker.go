package care

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Trackers (issue #19): the care team assigns a client trackers, each
// made from a template of the clinic's library, so the client knows
// exactly what to notice between sessions and why. A template is clinic
// content (no PHI): a name, a plain-words explainer ("why we track
// this"), a default schedule and typed fields. It is versioned: a change
// makes a new version, and an entry keeps the version it was written
// against, so history is never rewritten. A Tracker is one template
// assigned to one client; a TrackerEntry is the client's answer to it,
// private or shared exactly like a journal entry (CanReadTrackerEntry).

// FieldKind is the kind of a tracker field: what it asks for and the type
// of its value.
type FieldKind string

// The kinds of tracker fields.
const (
	FieldRating      FieldKind = "rating"      // a whole number on a scale Min..Max with anchor labels
	FieldYesNo       FieldKind = "yesno"       // true or false
	FieldCount       FieldKind = "count"       // a non-negative whole number
	FieldDuration    FieldKind = "duration"    // minutes, 0..MaxTrackerDuration
	FieldTime        FieldKind = "time"        // a time of day, HH:MM
	FieldChoice      FieldKind = "choice"      // one of Options
	FieldMultiChoice FieldKind = "multichoice" // some of Options
	FieldText        FieldKind = "text"        // a short text
	FieldLongText    FieldKind = "longtext"    // a long text
	FieldInfo        FieldKind = "info"        // explainer text between fields; takes no value
)

// FieldKinds are all kinds, in the order a form builder offers them.
var FieldKinds = []FieldKind{
	FieldRating, FieldYesNo, FieldCount, FieldDuration, FieldTime,
	FieldChoice, FieldMultiChoice, FieldText, FieldLongText, FieldInfo,
}

// Valid reports whether k is one of FieldKinds.
func (k FieldKind) Valid() bool { return slices.Contains(FieldKinds, k) }

// Chartable reports whether a field of kind k may be a tracker's main
// measure, charted over time.
func (k FieldKind) Chartable() bool {
	return k == FieldRating || k == FieldCount || k == FieldDuration || k == FieldYesNo
}

// Limits of trackers.
const (
	MaxTrackerName       = 120
	MaxTrackerExplainer  = 2000
	MaxTrackerFields     = 40
	MaxTrackerFieldID    = 40
	MaxTrackerLabel      = 200
	MaxTrackerHelp       = 1000
	MaxTrackerAnchor     = 60   // a rating's MinLabel or MaxLabel
	MinTrackerOptions    = 2    // of a choice or multichoice field
	MaxTrackerOptions    = 20   // of a choice or multichoice field
	MaxTrackerOption     = 80   // code points of one option
	MinTrackerRating     = -100 // the lowest a rating scale may start
	MaxTrackerRating     = 100  // the highest a rating scale may end
	MaxTrackerScaleSteps = 100  // Max-Min of a rating scale
	DefaultRatingMax     = 10   // a rating with no scale given is 0..10
	MaxTrackerCount      = 100000
	MaxTrackerDuration   = 1440 * 7 // minutes: a week
	DefaultTextLen       = 500      // a text field's MaxLen when none is given
	MaxTextLen           = 1000     // the most a text field's MaxLen may be
	DefaultLongTextLen   = MaxEntryText
	MaxLongTextLen       = MaxEntryText
	MaxTrackersPerClient = 20 // trackers a client has at once (not removed)
	TrackerEntryPageSize = 50
	MaxTrackerEntryLimit = 200
)

// TrackerTemplate is one version of a template of the clinic's tracker
// library. Templates are clinic content, not PHI. (ID, Version) names one
// version; a change inserts Version+1 and never rewrites an earlier one.
type TrackerTemplate struct {
	ID        string
	ClinicID  string
	Key       string // optional stable key of a seeded template ("dbt_diary_card"), unique in the clinic
	Version   int    // 1 when created, +1 on each change
	Name      string
	Explainer string // "why we track this", in plain words for the client
	Fields    []TrackerField
	Schedule  TrackerSchedule // what a new assignment starts with
	CreatedBy string          // who wrote this version
	CreatedAt time.Time       // when this version was written
	RetiredAt time.Time       // not zero when the template is no longer offered for new assignments
}

// TrackerField is one field of a template. Its ID is a stable key within
// the template ("urge_selfharm"): values of entries are keyed by it, and
// a new version that keeps the ID means the same question.
type TrackerField struct {
	ID       string
	Kind     FieldKind
	Label    string // the question, or an info field's heading
	Help     string // more words under the label; an info field's text
	Required bool   // an entry must give a value (never for info)
	Main     bool   // the tracker's main measure, charted; at most one field, Chartable kinds only

	// Rating: the scale Min..Max with its anchors. Count: Max is an
	// optional upper bound (0: MaxTrackerCount).
	Min, Max           int
	MinLabel, MaxLabel string

	Options []string // choice and multichoice: what may be chosen, in order
	MaxLen  int      // text and longtext: the most code points (0: the kind's default)
}

// TrackerSchedule is when a tracker is to be filled.
type TrackerSchedule struct {
	Kind     ScheduleKind
	Weekdays []time.Weekday // ScheduleWeekdays: sorted, each once
	Minute   int            // ScheduleDaily and ScheduleWeekdays: of the client's local day, 20*60 is 20:00
}

// ScheduleKind is how often a tracker is to be filled.
type ScheduleKind string

// The schedule kinds.
const (
	ScheduleDaily    ScheduleKind = "daily"    // every day at Minute
	ScheduleWeekdays ScheduleKind = "weekdays" // on Weekdays at Minute
	ScheduleEvent    ScheduleKind = "event"    // whenever it happens: an event log, never due
)

// Tracker is a template assigned to a client by the care team. It keeps
// the template version it was assigned with; the care team may move it to
// a newer version. Removing it (RemovedAt) keeps its entries.
type Tracker struct {
	ID              string
	ClinicID        string
	ClientID        string
	TemplateID      string
	TemplateVersion int
	GoalID          string // the plan's goal it serves, or ""
	Schedule        TrackerSchedule
	Reminder        bool // remind the client when due (PHI-free, quiet hours apply)
	AssignedBy      string
	AssignedAt      time.Time
	RemovedAt       time.Time // not zero once removed from the client

	Template *TrackerTemplate // when read: the template at TemplateVersion
}

// Removed reports whether t was removed from its client.
func (t *Tracker) Removed() bool { return !t.RemovedAt.IsZero() }

// TrackerEntry is one filling of a tracker by its client. Values are
// keyed by field ID and read against the template version the entry was
// written with. Values, Discuss and OccurredAt's meaning are the client's:
// the store seals Values and Discuss under the client's data key.
type TrackerEntry struct {
	ID              string
	ClinicID        string
	TrackerID       string
	ClientID        string
	TemplateID      string
	TemplateVersion int
	OccurredAt      time.Time
	Values          map[string]TrackerValue
	Shared          bool // shared with the care team; else private to the client
	Discuss         bool // "bring this up" next session
	CreatedAt       time.Time
	UpdatedAt       time.Time

	// Crisis is set on saving when the entry's text values hold crisis
	// language: the client is shown crisis resources at once. Not stored.
	Crisis bool
}

// TrackerValue is the typed value of one field of an entry. Which member
// holds it depends on Kind: Number for rating, count, duration (minutes)
// and time (minute of the day); Bool for yesno; Text for text and
// longtext; Choices for choice (exactly one) and multichoice.
type TrackerValue struct {
	Kind    FieldKind
	Number  int
	Bool    bool
	Text    string
	Choices []string
}

// JSON returns v as it appears in the API: a number, a boolean, "HH:MM"
// for a time, a string for text and choice, an array for multichoice.
func (v TrackerValue) JSON() any {
	switch v.Kind {
	case FieldYesNo:
		return v.Bool
	case FieldTime:
		return FormatClock(v.Number)
	case FieldText, FieldLongText:
		return v.Text
	case FieldChoice:
		if len(v.Choices) == 1 {
			return v.Choices[0]
		}
		return ""
	case FieldMultiChoice:
		if v.Choices == nil {
			return []string{}
		}
		return v.Choices
	default:
		return v.Number
	}
}

// MarshalJSON encodes v as JSON() does.
func (v TrackerValue) MarshalJSON() ([]byte, error) { return json.Marshal(v.JSON()) }

// Field returns the field of t with id, or nil.
func (t *TrackerTemplate) Field(id string) *TrackerField {
	for i := range t.Fields {
		if t.Fields[i].ID == id {
			return &t.Fields[i]
		}
	}
	return nil
}

// MainField returns t's main measure, or nil when it has none.
func (t *TrackerTemplate) MainField() *TrackerField {
	for i := range t.Fields {
		if t.Fields[i].Main {
			return &t.Fields[i]
		}
	}
	return nil
}

// Retired reports whether t is no longer offered for new assignments.
func (t *TrackerTemplate) Retired() bool { return !t.RetiredAt.IsZero() }

var fieldIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// ValidFieldID reports whether s may be a field's ID: a lower-case letter,
// then lower-case letters, digits and underscores, at most
// MaxTrackerFieldID in all.
func ValidFieldID(s string) bool {
	return len(s) <= MaxTrackerFieldID && fieldIDPattern.MatchString(s)
}

// Validate checks and normalizes a template about to be saved as a new
// version. Errors name the field at fault, as "fields.2.options".
func (t *TrackerTemplate) Validate() error {
	var err error
	if t.Name, err = checkText("name", t.Name, MaxTrackerName, true); err != nil {
		return err
	}
	if strings.ContainsAny(t.Name, "\n\t\r") {
		return FieldError("name", "must be one line")
	}
	if t.Explainer, err = checkText("explainer", t.Explainer, MaxTrackerExplainer, true); err != nil {
		return err
	}
	if t.Key != "" && !ValidFieldID(t.Key) {
		return FieldError("key", "must be lower-case letters, digits and underscores, starting with a letter")
	}
	if err := t.Schedule.Normalize("schedule"); err != nil {
		return err
	}
	if len(t.Fields) == 0 {
		return FieldError("fields", "needs at least one field")
	}
	if len(t.Fields) > MaxTrackerFields {
		return FieldError("fields", "must be at most %d", MaxTrackerFields)
	}
	seen := map[string]bool{}
	mains, answerable := 0, 0
	for i := range t.Fields {
		f := &t.Fields[i]
		name := "fields." + itoa(i)
		if !ValidFieldID(f.ID) {
			return FieldError(name+".id", "must be lower-case letters, digits and underscores, starting with a letter, at most %d", MaxTrackerFieldID)
		}
		if seen[f.ID] {
			return FieldError(name+".id", "is used by another field")
		}
		seen[f.ID] = true
		if err := f.validate(name); err != nil {
			return err
		}
		if f.Main {
			mains++
		}
		if f.Kind != FieldInfo {
			answerable++
		}
	}
	if mains > 1 {
		return FieldError("fields", "may have at most one main measure")
	}
	if answerable == 0 {
		return FieldError("fields", "needs at least one field that takes an answer")
	}
	return nil
}

func (f *TrackerField) validate(name string) error {
	if !f.Kind.Valid() {
		return FieldError(name+".kind", "must be one of rating, yesno, count, duration, time, choice, multichoice, text, longtext, info")
	}
	var err error
	if f.Label, err = checkText(name+".label", f.Label, MaxTrackerLabel, f.Kind != FieldInfo); err != nil {
		return err
	}
	if strings.ContainsAny(f.Label, "\n\t\r") {
		return FieldError(name+".label", "must be one line")
	}
	if f.Help, err = checkText(name+".help", f.Help, MaxTrackerHelp, false); err != nil {
		return err
	}
	if f.Kind == FieldInfo && f.Label == "" && f.Help == "" {
		return FieldError(name+".help", "is required for explainer text")
	}
	if f.Kind == FieldInfo && f.Required {
		return FieldError(name+".required", "explainer text takes no answer")
	}
	if f.Main && !f.Kind.Chartable() {
		return FieldError(name+".main", "must be a rating, yes/no, count or duration field")
	}
	if f.Kind != FieldRating && (f.MinLabel != "" || f.MaxLabel != "") {
		return FieldError(name+".min_label", "is only for rating fields")
	}
	if f.Kind != FieldChoice && f.Kind != FieldMultiChoice && len(f.Options) > 0 {
		return FieldError(name+".options", "are only for choice fields")
	}
	if f.Kind != FieldText && f.Kind != FieldLongText && f.MaxLen != 0 {
		return FieldError(name+".max_len", "is only for text fields")
	}
	if f.Kind != FieldRating && f.Kind != FieldCount && (f.Min != 0 || f.Max != 0) {
		return FieldError(name+".max", "is only for rating and count fields")
	}
	switch f.Kind {
	case FieldRating:
		if f.Min == 0 && f.Max == 0 {
			f.Max = DefaultRatingMax
		}
		switch {
		case f.Min < MinTrackerRating || f.Min > MaxTrackerRating:
			return FieldError(name+".min", "must be from %d to %d", MinTrackerRating, MaxTrackerRating)
		case f.Max < MinTrackerRating || f.Max > MaxTrackerRating:
			return FieldError(name+".max", "must be from %d to %d", MinTrackerRating, MaxTrackerRating)
		case f.Max <= f.Min:
			return FieldError(name+".max", "must be more than min")
		case f.Max-f.Min > MaxTrackerScaleSteps:
			return FieldError(name+".max", "must be at most %d above min", MaxTrackerScaleSteps)
		}
		if f.MinLabel, err = checkText(name+".min_label", f.MinLabel, MaxTrackerAnchor, false); err != nil {
			return err
		}
		if f.MaxLabel, err = checkText(name+".max_label", f.MaxLabel, MaxTrackerAnchor, false); err != nil {
			return err
		}
		if strings.ContainsAny(f.MinLabel+f.MaxLabel, "\n\t\r") {
			return FieldError(name+".min_label", "must be one line")
		}
	case FieldCount:
		if f.Min != 0 {
			return FieldError(name+".min", "a count starts at 0")
		}
		if f.Max < 0 || f.Max > MaxTrackerCount {
			return FieldError(name+".max", "must be from 1 to %d, or 0 for no bound", MaxTrackerCount)
		}
	case FieldChoice, FieldMultiChoice:
		if len(f.Options) < MinTrackerOptions || len(f.Options) > MaxTrackerOptions {
			return FieldError(name+".options", "must be %d to %d choices", MinTrackerOptions, MaxTrackerOptions)
		}
		for j, o := range f.Options {
			o, err := checkText(name+".options", o, MaxTrackerOption, true)
			if err != nil {
				return err
			}
			if strings.ContainsAny(o, "\n\t\r") {
				return FieldError(name+".options", "must each be one line")
			}
			if slices.Contains(f.Options[:j], o) {
				return FieldError(name+".options", "must not repeat a choice")
			}
			f.Options[j] = o
		}
	case FieldText:
		if f.MaxLen == 0 {
			f.MaxLen = DefaultTextLen
		}
		if f.MaxLen < 1 || f.MaxLen > MaxTextLen {
			return FieldError(name+".max_len", "must be from 1 to %d", MaxTextLen)
		}
	case FieldLongText:
		if f.MaxLen == 0 {
			f.MaxLen = DefaultLongTextLen
		}
		if f.MaxLen < 1 || f.MaxLen > MaxLongTextLen {
			return FieldError(name+".max_len", "must be from 1 to %d", MaxLongTextLen)
		}
	}
	return nil
}

// Normalize checks a schedule and sorts its weekdays; field is the name
// errors carry ("schedule"). An event schedule keeps no weekdays and no
// time; a daily one no weekdays.
func (s *TrackerSchedule) Normalize(field string) error {
	switch s.Kind {
	case ScheduleDaily, ScheduleWeekdays:
		if s.Minute < 0 || s.Minute >= 24*60 {
			return FieldError(field+".time", "must be a time of day as HH:MM")
		}
	case ScheduleEvent:
		s.Minute, s.Weekdays = 0, nil
		return nil
	default:
		return FieldError(field+".kind", "must be daily, weekdays or event")
	}
	if s.Kind == ScheduleDaily {
		s.Weekdays = nil
		return nil
	}
	for _, d := range s.Weekdays {
		if d < time.Sunday || d > time.Saturday {
			return FieldError(field+".weekdays", "must be days of the week")
		}
	}
	slices.Sort(s.Weekdays)
	s.Weekdays = slices.Compact(s.Weekdays)
	if len(s.Weekdays) == 0 {
		return FieldError(field+".weekdays", "choose at least one day")
	}
	return nil
}

// Clock is the schedule's local time as HH:MM ("" for an event log).
func (s TrackerSchedule) Clock() string {
	if s.Kind == ScheduleEvent {
		return ""
	}
	return FormatClock(s.Minute)
}

// DueOn reports whether a tracker on schedule s is due on local day d.
// An event log is never due.
func (s TrackerSchedule) DueOn(d Day) bool {
	switch s.Kind {
	case ScheduleDaily:
		return true
	case ScheduleWeekdays:
		return slices.Contains(s.Weekdays, d.Weekday())
	}
	return false
}

// DueDays counts the local days from through to (both included) on which
// s is due.
func (s TrackerSchedule) DueDays(from, to Day) int {
	n := 0
	for d := from; !to.Before(d); d = d.AddDays(1) {
		if s.DueOn(d) {
			n++
		}
	}
	return n
}

// Validate checks an entry about to be saved against tmpl, the template
// version it is written with, with now the time it is saved. Values must
// already be typed (DecodeTrackerValues); they are checked again here, so
// an entry built in code obeys the same rules. Errors name the field at
// fault, as "values.urge_selfharm".
func (e *TrackerEntry) Validate(tmpl *TrackerTemplate, now time.Time) error {
	if e.OccurredAt.IsZero() {
		return FieldError("occurred_at", "is required")
	}
	e.OccurredAt = e.OccurredAt.UTC().Truncate(time.Microsecond)
	if e.OccurredAt.After(now.Add(MaxFutureSkew)) {
		return FieldError("occurred_at", "must not be in the future")
	}
	if e.OccurredAt.Before(now.Add(-MaxBackdate)) {
		return FieldError("occurred_at", "must be within the past year")
	}
	e.TemplateID, e.TemplateVersion = tmpl.ID, tmpl.Version
	for id := range e.Values {
		if tmpl.Field(id) == nil {
			return FieldError("values", "holds an answer to a field this tracker does not have")
		}
	}
	for i := range tmpl.Fields {
		f := &tmpl.Fields[i]
		v, ok := e.Values[f.ID]
		if !ok {
			if f.Required {
				return FieldError("values."+f.ID, "is required")
			}
			continue
		}
		nv, err := f.check(v)
		if err != nil {
			return err
		}
		if (nv.Kind == FieldText || nv.Kind == FieldLongText) && nv.Text == "" {
			delete(e.Values, f.ID) // blank text is no answer
			continue
		}
		e.Values[f.ID] = nv
	}
	if len(e.Values) == 0 {
		return FieldError("values", "needs at least one answer")
	}
	return nil
}

// check checks and normalizes one value of field f.
func (f *TrackerField) check(v TrackerValue) (TrackerValue, error) {
	name := "values." + f.ID
	if f.Kind == FieldInfo {
		return v, FieldError(name, "is explainer text and takes no answer")
	}
	if v.Kind != f.Kind {
		return v, FieldError(name, "must be a %s answer", f.Kind)
	}
	out := TrackerValue{Kind: f.Kind}
	switch f.Kind {
	case FieldRating:
		if v.Number < f.Min || v.Number > f.Max {
			return v, FieldError(name, "must be a whole number from %d to %d", f.Min, f.Max)
		}
		out.Number = v.Number
	case FieldCount:
		limit := f.Max
		if limit == 0 {
			limit = MaxTrackerCount
		}
		if v.Number < 0 || v.Number > limit {
			return v, FieldError(name, "must be a whole number from 0 to %d", limit)
		}
		out.Number = v.Number
	case FieldDuration:
		if v.Number < 0 || v.Number > MaxTrackerDuration {
			return v, FieldError(name, "must be from 0 to %d minutes", MaxTrackerDuration)
		}
		out.Number = v.Number
	case FieldTime:
		if v.Number < 0 || v.Number >= 24*60 {
			return v, FieldError(name, "must be a time of day as HH:MM")
		}
		out.Number = v.Number
	case FieldYesNo:
		out.Bool = v.Bool
	case FieldChoice:
		if len(v.Choices) != 1 || !slices.Contains(f.Options, v.Choices[0]) {
			return v, FieldError(name, "must be one of its choices")
		}
		out.Choices = []string{v.Choices[0]}
	case FieldMultiChoice:
		out.Choices = []string{}
		for _, c := range v.Choices {
			if !slices.Contains(f.Options, c) {
				return v, FieldError(name, "must be among its choices")
			}
			if slices.Contains(out.Choices, c) {
				return v, FieldError(name, "must not repeat a choice")
			}
			out.Choices = append(out.Choices, c)
		}
		// In the template's order, whatever order they came in.
		slices.SortFunc(out.Choices, func(a, b string) int {
			return slices.Index(f.Options, a) - slices.Index(f.Options, b)
		})
	case FieldText, FieldLongText:
		text, err := normalizeTrackerText(name, v.Text, f.MaxLen, f.Kind == FieldLongText)
		if err != nil {
			return v, err
		}
		if text == "" && f.Required {
			return v, FieldError(name, "is required")
		}
		out.Text = text
	}
	return out, nil
}

// normalizeTrackerText checks a text value like a journal entry's text:
// valid UTF-8, line breaks as \n (only in a long text), no other control
// characters, at most max code points after trimming.
func normalizeTrackerText(name, s string, max int, multiline bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", FieldError(name, "must be valid UTF-8")
	}
	s = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"))
	if max <= 0 {
		max = DefaultTextLen
	}
	if utf8.RuneCountInString(s) > max {
		return "", FieldError(name, "must be at most %d characters", max)
	}
	for _, r := range s {
		if r == '\n' && !multiline {
			return "", FieldError(name, "must be one line")
		}
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return "", FieldError(name, "must not contain control characters")
		}
	}
	return s, nil
}

// DecodeTrackerValues reads the JSON values of an entry (field ID → raw
// JSON) against tmpl, strictly: a rating, count and duration is a whole
// JSON number (no fraction, no exponent), a yes/no a boolean, a time a
// string "HH:MM", a choice a string, a multichoice an array of strings, a
// text a string. A null value is no answer. A value of the wrong type or
// an info field with a value is an error naming "values.<id>"; an unknown
// field is an error on "values" that does not repeat the key (it is the
// caller's text, and could be anything). The result still needs Validate
// for bounds.
func DecodeTrackerValues(tmpl *TrackerTemplate, raw map[string]json.RawMessage) (map[string]TrackerValue, error) {
	out := make(map[string]TrackerValue, len(raw))
	// Field order, then unknown ids sorted, so the error named is stable.
	ids := make([]string, 0, len(raw))
	for id := range raw {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if tmpl.Field(id) == nil {
			return nil, FieldError("values", "holds an answer to a field this tracker does not have")
		}
	}
	for i := range tmpl.Fields {
		f := &tmpl.Fields[i]
		msg, ok := raw[f.ID]
		if !ok {
			continue
		}
		msg = bytes.TrimSpace(msg)
		if string(msg) == "null" {
			continue
		}
		name := "values." + f.ID
		v := TrackerValue{Kind: f.Kind}
		switch f.Kind {
		case FieldInfo:
			return nil, FieldError(name, "is explainer text and takes no answer")
		case FieldRating, FieldCount, FieldDuration:
			n, ok := wholeNumber(msg)
			if !ok {
				return nil, FieldError(name, "must be a whole number")
			}
			v.Number = n
		case FieldYesNo:
			if err := json.Unmarshal(msg, &v.Bool); err != nil || (string(msg) != "true" && string(msg) != "false") {
				return nil, FieldError(name, "must be true or false")
			}
		case FieldTime:
			var s string
			if err := json.Unmarshal(msg, &s); err != nil {
				return nil, FieldError(name, "must be a time of day as HH:MM")
			}
			m, ok := parseStrictClock(s)
			if !ok {
				return nil, FieldError(name, "must be a time of day as HH:MM")
			}
			v.Number = m
		case FieldChoice:
			var s string
			if err := json.Unmarshal(msg, &s); err != nil {
				return nil, FieldError(name, "must be one of its choices")
			}
			v.Choices = []string{s}
		case FieldMultiChoice:
			var cs []string
			if len(msg) == 0 || msg[0] != '[' || json.Unmarshal(msg, &cs) != nil {
				return nil, FieldError(name, "must be a list of its choices")
			}
			if len(cs) > MaxTrackerOptions {
				return nil, FieldError(name, "must be among its choices")
			}
			v.Choices = cs
		case FieldText, FieldLongText:
			if len(msg) == 0 || msg[0] != '"' || json.Unmarshal(msg, &v.Text) != nil {
				return nil, FieldError(name, "must be text")
			}
		}
		out[f.ID] = v
	}
	return out, nil
}

// wholeNumber reads a JSON integer: an optional minus and digits, no
// fraction, no exponent, within ±1e9.
func wholeNumber(msg []byte) (int, bool) {
	s := string(msg)
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || len(digits) > 10 || (len(digits) > 1 && digits[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n > 1e9 {
		return 0, false
	}
	if len(digits) != len(s) {
		n = -n
	}
	return n, true
}

// parseStrictClock reads exactly "HH:MM", 00:00 to 23:59.
func parseStrictClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 23 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}

// CrisisSignal is what DetectCrisis finds in e's text and long-text
// values.
func (e *TrackerEntry) CrisisSignal() CrisisSignal {
	var parts []string
	for _, v := range e.Values {
		if v.Kind == FieldText || v.Kind == FieldLongText {
			parts = append(parts, v.Text)
		}
	}
	slices.Sort(parts) // map order must not change what is found
	return DetectCrisis(strings.Join(parts, "\n"))
}

// MainValue returns the number e holds for tmpl's main measure (a yes/no
// counts 1 for yes, 0 for no), and false when tmpl has no main measure or
// e gave it no value.
func (e *TrackerEntry) MainValue(tmpl *TrackerTemplate) (float64, bool) {
	f := tmpl.MainField()
	if f == nil {
		return 0, false
	}
	v, ok := e.Values[f.ID]
	if !ok || v.Kind != f.Kind {
		return 0, false
	}
	if v.Kind == FieldYesNo {
		if v.Bool {
			return 1, true
		}
		return 0, true
	}
	return float64(v.Number), true
}

// CanReadTrackerEntry reports whether actor may see entry e of a client
// whose record actor may see (the store checks that in its SQL), by the
// rule of CanReadEntry: the client sees all their entries; anyone else
// only shared ones. A private entry is nobody else's business, not even
// its existence.
func CanReadTrackerEntry(actor Actor, e *TrackerEntry) bool {
	if actor.Role == RoleClient && actor.UserID == e.ClientID {
		return true
	}
	return e.Shared
}

// CanWriteTrackerEntry reports whether actor may write or share entries
// of client clientID's trackers: only the client themself.
func CanWriteTrackerEntry(actor Actor, clientID string) bool {
	return CanWriteEntry(actor, clientID)
}

// CanEditTrackerLibrary reports whether actor may add templates to the
// clinic's library or change them: admins and providers.
func CanEditTrackerLibrary(actor Actor) bool {
	return actor.Role == RoleAdmin || actor.Role == RoleProvider
}

// TrackerAdherence is how a tracker was kept over a period: the local days
// it was due and, of those, the days with at least one entry; and the
// entries in all (an event log is never due but has entries).
type TrackerAdherence struct {
	TrackerID string
	DueDays   int
	DoneDays  int
	Entries   int
}

// TrackerMissedWindow is how far back the caseload counts a tracker's
// missed days, in hours: the last week, today left out.
const TrackerMissedWindow = 7 * 24

// AdherenceOf counts the days from to to (each included) on which tracker
// tr of a client in zone was due and those of them it was filled in on
// (done, by the client's day), up to today: days still to come are not
// missed yet. The first day due is the day of the assignment if it was
// made before that day's time, else the next; a removed tracker is due up
// to the day before its removal. ok is false when tr was not assigned in
// the period and has no entries there.
func AdherenceOf(tr *Tracker, zone string, from, to, today Day, done map[Day]bool, entries int) (a TrackerAdherence, ok bool) {
	first, last := from, to
	if today.Before(last) {
		last = today
	}
	assigned := tr.AssignedAt.In(Location(zone))
	d := DayIn(tr.AssignedAt, zone)
	if assigned.Hour()*60+assigned.Minute() > tr.Schedule.Minute {
		d = d.AddDays(1)
	}
	if first.Before(d) {
		first = d
	}
	if tr.Removed() {
		if d := DayIn(tr.RemovedAt, zone).AddDays(-1); d.Before(last) {
			last = d
		}
	}
	a = TrackerAdherence{TrackerID: tr.ID, Entries: entries}
	if last.Before(first) && a.Entries == 0 {
		return a, false
	}
	for d := first; !last.Before(d); d = d.AddDays(1) {
		if tr.Schedule.DueOn(d) {
			a.DueDays++
			if done[d] {
				a.DoneDays++
			}
		}
	}
	return a, true
}

// TrackerPoint is one value of a tracker's main measure at a time, for a
// chart.
type TrackerPoint struct {
	At    time.Time
	Value float64
}

// MainPoints returns the main-measure values of entries, oldest first,
// each read against the template version it was written with (templateOf;
// nil skips the entry): an entry whose version has no main measure, or
// that did not answer it, gives no point. Entries of several trackers
// should be split by TrackerID first.
func MainPoints(entries []TrackerEntry, templateOf func(*TrackerEntry) *TrackerTemplate) []TrackerPoint {
	out := []TrackerPoint{}
	for i := range entries {
		e := &entries[i]
		tmpl := templateOf(e)
		if tmpl == nil {
			continue
		}
		if v, ok := e.MainValue(tmpl); ok {
			out = append(out, TrackerPoint{At: e.OccurredAt, Value: v})
		}
	}
	slices.SortStableFunc(out, func(a, b TrackerPoint) int { return a.At.Compare(b.At) })
	return out
}

// Next returns the first due time of schedule s strictly after after, for
// a client in zone zone (UTC if unknown), by the daylight-saving rule of
// NextCheckIn; false for an event log, which is never due.
func (s TrackerSchedule) Next(zone string, after time.Time) (time.Time, bool) {
	days := s.Weekdays
	switch s.Kind {
	case ScheduleDaily:
		days = []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	case ScheduleWeekdays:
	default:
		return time.Time{}, false
	}
	return NextCheckIn(CheckInSchedule{Weekdays: days, Minute: s.Minute}, zone, after)
}
