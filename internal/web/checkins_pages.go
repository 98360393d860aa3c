package web

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// Check-in pages: the client's one-tap prompt on their home page, and the
// check-ins section of the provider's client page (schedule form, recent
// check-ins, missed ones marked).

// checkInPrompt is the open check-in on the client's home page.
type checkInPrompt struct {
	ID      string
	Asked   string // when it was due, in the client's zone
	AskedAt string // the same, RFC 3339
	Moods   []int
}

// clientCheckInPrompt is the client's open check-in, or nil.
func (s *Server) clientCheckInPrompt(r *http.Request, actor care.Actor) (*checkInPrompt, error) {
	c, found, err := s.store.OpenCheckIn(r.Context(), actor)
	if err != nil || !found {
		return nil, err
	}
	return &checkInPrompt{ID: c.ID, Asked: localTime(c.DueAt, actor.TimeZone), AskedAt: c.DueAt.Format(time.RFC3339),
		Moods: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}, nil
}

// POST /checkins/{cid}/answer (mood, text): the client's one tap.
func (s *Server) checkInAnswerForm(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	if err := parseJournalForm(w, r); err != nil {
		return err
	}
	mood, err := strconv.Atoi(r.PostForm.Get("mood"))
	if err != nil {
		return care.FieldError("mood", "is needed: pick a number from 0 to 10")
	}
	e, err := s.store.AnswerCheckIn(r.Context(), actor, actor.UserID, r.PathValue("cid"), mood, r.PostForm.Get("text"))
	if err != nil {
		if care.ErrorCode(err) == care.Conflict {
			return redirect(w, r, "/?done=checkin-closed")
		}
		return err
	}
	return redirect(w, r, "/?done=checkin&saved="+e.ID)
}

// recordCheckIns is the check-ins section of the client page.
type recordCheckIns struct {
	Weekdays []option
	Time     string
	Zone     string // the client's
	Next     string // the next due time, in the client's zone
	Active   bool
	Rows     []checkInRow
	Missed   int // of the rows
}

type checkInRow struct {
	When, WhenISO string // due, in the client's zone
	Status        string // open, answered, missed
	StatusLabel   string
	Mood          *int
}

var checkInStatusLabels = map[care.CheckInStatus]string{
	care.CheckInOpen: "Awaiting an answer", care.CheckInAnswered: "Answered", care.CheckInMissed: "Missed",
}

// recordCheckInsView builds the section from the overview; form holds a
// refused form's values.
func recordCheckInsView(o store.CheckInOverview, form map[string][]string, refusedForm bool) *recordCheckIns {
	v := &recordCheckIns{Zone: o.TimeZone, Active: o.Schedule.Active(), Time: "18:00"}
	if o.Schedule.Version > 0 && o.Schedule.Active() {
		v.Time = o.Schedule.Clock()
	}
	if refusedForm && len(form["time"]) > 0 {
		v.Time = form["time"][0]
	}
	for d := time.Monday; d <= time.Monday+6; d++ {
		wd := d % 7
		code := weekdayCode(wd)
		sel := slices.Contains(o.Schedule.Weekdays, wd)
		if refusedForm {
			sel = slices.Contains(form["weekday"], code)
		}
		v.Weekdays = append(v.Weekdays, option{Value: code, Label: wd.String(), Selected: sel})
	}
	if !o.Next.IsZero() {
		v.Next = localTime(o.Next, o.TimeZone)
	}
	for _, c := range o.CheckIns {
		st := c.Status(o.Now)
		if st == care.CheckInMissed {
			v.Missed++
		}
		v.Rows = append(v.Rows, checkInRow{When: localTime(c.DueAt, o.TimeZone), WhenISO: c.DueAt.Format(time.RFC3339),
			Status: string(st), StatusLabel: checkInStatusLabels[st], Mood: c.Mood})
	}
	return v
}

// POST /clients/{id}/checkins (weekday…, time): a provider sets the
// schedule.
func (s *Server) checkInScheduleForm(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	sch, err := parseSchedule(r.PostForm["weekday"], r.PostForm.Get("time"))
	if err == nil {
		err = s.store.SetCheckInSchedule(r.Context(), actor, r.PathValue("id"), &sch)
	}
	if err != nil {
		return refused(err, "checkins", func(status int, p *formProblem) error { return s.renderClientRecord(w, r, actor, status, p) })
	}
	return redirect(w, r, recordPath(r.PathValue("id"), "checkins", "#checkins"))
}
