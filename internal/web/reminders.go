package web

import (
	"net/http"
	"strings"
	"time"

	"interlude/internal/care"
)

// A client's journaling reminder (issue #18): on /journal/settings and
// at /api/v1/me/journal-reminder. The client chooses weekdays and a time
// of their own day; the store fires it (jobs) and the notifier tells them,
// PHI-free.

// reminderForm is the reminder section of the journal settings page.
type reminderForm struct {
	On       bool
	Time     string // "HH:MM", or what the client typed after an error
	Days     []reminderDay
	TimeZone string
	Error    string
	Field    string // "time" or "weekdays" when Error is about it
}

// reminderDay is one weekday's checkbox.
type reminderDay struct {
	Value, Name string // "mon", "Monday"
	Checked     bool
}

// reminderWeekdays are the form's days, Monday first.
var reminderWeekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// weekdayValue is a weekday as the form and the API name it: "mon".
func weekdayValue(d time.Weekday) string { return strings.ToLower(d.String()[:3]) }

func newReminderForm(rem care.JournalReminder, zone string) reminderForm {
	f := reminderForm{On: rem.On, Time: rem.Clock(), TimeZone: zone}
	chosen := map[time.Weekday]bool{}
	for _, d := range rem.Weekdays {
		chosen[d] = true
	}
	for _, d := range reminderWeekdays {
		f.Days = append(f.Days, reminderDay{Value: weekdayValue(d), Name: d.String(), Checked: chosen[d]})
	}
	return f
}

// POST /journal/settings/reminder (reminder: "on"; time: "HH:MM";
// weekday: "mon".."sun", repeated)
func (s *Server) journalReminderSubmit(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	rem := care.JournalReminder{On: f.Get("reminder") == "on"}
	err = func() error {
		for _, v := range f["weekday"] {
			d, ok := care.ParseWeekday(v)
			if !ok {
				return care.FieldError("weekdays", "must be days of the week")
			}
			rem.Weekdays = append(rem.Weekdays, d)
		}
		m, ok := care.ParseClock(f.Get("time"))
		if !ok {
			return care.FieldError("time", "must be a time of day such as 20:00")
		}
		rem.Minute = m
		return s.store.SetJournalReminder(r.Context(), actor, &rem)
	}()
	if err != nil {
		msg, field, status, ok := formError(err)
		if !ok {
			return err
		}
		p, perr := s.journalSettingsData(r, actor)
		if perr != nil {
			return perr
		}
		// The form shows what was sent, with the error; nothing is saved.
		form := newReminderForm(rem, actor.TimeZone)
		form.Time, form.Error, form.Field = f.Get("time"), msg, field
		p.Reminder = form
		s.renderPage(w, r, status, "journal_settings", p)
		return nil
	}
	return redirect(w, r, "/journal/settings?done=journal-reminder")
}

// journalReminderJSON is a client's reminder in the API.
type journalReminderJSON struct {
	On       *bool    `json:"on"`
	Time     string   `json:"time"`     // "HH:MM" in the client's time zone
	Weekdays []string `json:"weekdays"` // "mon".."sun"
	TimeZone string   `json:"time_zone,omitempty"`
}

func reminderJSON(rem care.JournalReminder, zone string) journalReminderJSON {
	on := rem.On
	out := journalReminderJSON{On: &on, Time: rem.Clock(), Weekdays: []string{}, TimeZone: zone}
	for _, d := range rem.Weekdays {
		out.Weekdays = append(out.Weekdays, weekdayValue(d))
	}
	return out
}

// GET /api/v1/me/journal-reminder
func (s *Server) apiJournalReminder(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	rem, err := s.store.JournalReminder(r.Context(), actor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, reminderJSON(rem, actor.TimeZone))
}

// PUT /api/v1/me/journal-reminder {on, time, weekdays}
func (s *Server) apiSetJournalReminder(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req journalReminderJSON
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.On == nil {
		return care.FieldError("on", "is required: true or false")
	}
	rem := care.JournalReminder{On: *req.On}
	m, ok := care.ParseClock(req.Time)
	if !ok {
		return care.FieldError("time", "must be a time HH:MM")
	}
	rem.Minute = m
	for _, v := range req.Weekdays {
		d, ok := care.ParseWeekday(v)
		if !ok {
			return care.FieldError("weekdays", "must be days of the week: mon, tue, wed, thu, fri, sat, sun")
		}
		rem.Weekdays = append(rem.Weekdays, d)
	}
	if err := s.store.SetJournalReminder(r.Context(), actor, &rem); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, reminderJSON(rem, actor.TimeZone))
}
