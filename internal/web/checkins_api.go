package web

import (
	"net/http"
	"strings"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// Check-ins (API.md: GET/PUT /api/v1/clients/{id}/checkins, the
// schedule; the project adds the list of recent check-ins to the GET and
// POST …/checkins/{cid}/answer for the client's one-tap answer).

// maxCheckInBody bounds a check-in request (an answer's text is up to
// 10,000 code points).
const maxCheckInBody = 2 << 20

type checkInScheduleJSON struct {
	Weekdays  []string   `json:"weekdays"` // "mon".."sun"
	Time      string     `json:"time"`     // HH:MM in the client's zone
	TimeZone  string     `json:"time_zone"`
	Version   int        `json:"version"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
	SetBy     string     `json:"set_by,omitempty"`
}

type checkInJSON struct {
	ID         string     `json:"id"`
	DueAt      time.Time  `json:"due_at"`
	ClosesAt   time.Time  `json:"closes_at"`
	Status     string     `json:"status"` // open, answered, missed
	SentAt     *time.Time `json:"sent_at,omitempty"`
	MessageID  string     `json:"message_id,omitempty"`
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
	EntryID    string     `json:"entry_id,omitempty"`
	Mood       *int       `json:"mood,omitempty"`
}

type checkInsJSON struct {
	Schedule  checkInScheduleJSON `json:"schedule"`
	NextDueAt *time.Time          `json:"next_due_at,omitempty"`
	CheckIns  []checkInJSON       `json:"checkins"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func weekdayCode(d time.Weekday) string { return strings.ToLower(d.String()[:3]) }

func toCheckInsJSON(o store.CheckInOverview) checkInsJSON {
	out := checkInsJSON{
		Schedule: checkInScheduleJSON{Weekdays: []string{}, Time: o.Schedule.Clock(), TimeZone: o.TimeZone, Version: o.Schedule.Version,
			UpdatedAt: optTime(o.Schedule.UpdatedAt), SetBy: o.Schedule.SetBy},
		NextDueAt: optTime(o.Next),
		CheckIns:  []checkInJSON{},
	}
	for _, d := range o.Schedule.Weekdays {
		out.Schedule.Weekdays = append(out.Schedule.Weekdays, weekdayCode(d))
	}
	for _, c := range o.CheckIns {
		out.CheckIns = append(out.CheckIns, checkInJSON{ID: c.ID, DueAt: c.DueAt, ClosesAt: c.ClosesAt, Status: string(c.Status(o.Now)),
			SentAt: optTime(c.SentAt), MessageID: c.MessageID, AnsweredAt: optTime(c.AnsweredAt), EntryID: c.EntryID, Mood: c.Mood})
	}
	return out
}

// parseSchedule reads weekdays (names or three-letter codes) and a time
// HH:MM into a schedule.
func parseSchedule(days []string, clock string) (care.CheckInSchedule, error) {
	var sch care.CheckInSchedule
	for _, s := range days {
		d, ok := care.ParseWeekday(s)
		if !ok {
			return sch, care.FieldError("weekdays", "must be days of the week such as mon or thu")
		}
		sch.Weekdays = append(sch.Weekdays, d)
	}
	if len(sch.Weekdays) == 0 && strings.TrimSpace(clock) == "" {
		return sch, nil // no check-ins
	}
	m, ok := care.ParseClock(clock)
	if !ok {
		return sch, care.FieldError("time", "must be a time of day as HH:MM")
	}
	sch.Minute = m
	return sch, nil
}

// GET /api/v1/clients/{id}/checkins: the schedule and the recent check-ins.
func (s *Server) apiCheckIns(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	o, err := s.store.CheckIns(r.Context(), actor, r.PathValue("id"), 30)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toCheckInsJSON(o))
}

// PUT /api/v1/clients/{id}/checkins {"weekdays": ["mon", "thu"], "time": "18:00"}:
// a provider of the care team sets the schedule; no weekdays stops check-ins.
func (s *Server) apiSetCheckIns(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		Weekdays []string `json:"weekdays"`
		Time     string   `json:"time"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	sch, err := parseSchedule(req.Weekdays, req.Time)
	if err != nil {
		return err
	}
	if err := s.store.SetCheckInSchedule(r.Context(), actor, r.PathValue("id"), &sch); err != nil {
		return err
	}
	o, err := s.store.CheckIns(r.Context(), actor, r.PathValue("id"), 30)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toCheckInsJSON(o))
}

// POST /api/v1/clients/{id}/checkins/{cid}/answer {"mood": 0..10, "text"?}:
// the client's answer, which becomes a journal entry shared with the care
// team; 201 with the entry, with the crisis resources (and the safety
// plan's address) when its words hold crisis language.
func (s *Server) apiAnswerCheckIn(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		Mood *int   `json:"mood"`
		Text string `json:"text"`
	}
	if err := decodeJSONLimit(w, r, &req, maxCheckInBody); err != nil {
		return err
	}
	if req.Mood == nil {
		return care.FieldError("mood", "is needed: a number from 0 to 10")
	}
	e, err := s.store.AnswerCheckIn(r.Context(), actor, r.PathValue("id"), r.PathValue("cid"), *req.Mood, req.Text)
	if err != nil {
		return err
	}
	out := toEntryJSON(e)
	if out.CrisisResources, err = s.crisisFor(r, actor, e.Crisis); err != nil {
		return err
	}
	if out.SafetyPlan, err = s.safetyPlanFor(r, actor, e.Crisis); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, struct {
		CheckInID string    `json:"checkin_id"`
		Entry     entryJSON `json:"entry"`
	}{r.PathValue("cid"), out})
}
