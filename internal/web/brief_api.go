package web

import (
	"math"
	"net/http"
	"time"

	"interlude/internal/care"
)

// The pre-session brief in the JSON API (API.md, issue #7):
// GET /api/v1/clients/{id}/brief, for the care team. The web page
// (brief_pages.go) renders the same store read.

type briefJSON struct {
	Client       briefClientJSON     `json:"client"`
	GeneratedAt  time.Time           `json:"generated_at"`
	Since        time.Time           `json:"since"`
	Window       string              `json:"window"` // "since_last_session", or "last_30_days" when none was held
	LastSession  *appointmentJSON    `json:"last_session"`
	NextSession  *appointmentJSON    `json:"next_session"`
	Discuss      []entryJSON         `json:"discuss"`
	SafetyEvents []briefFlagJSON     `json:"safety_events"`
	Entries      []entryJSON         `json:"entries"`
	Trends       []briefSeriesJSON   `json:"trends"`
	Goals        []briefGoalJSON     `json:"goals"`
	Tasks        []briefTaskJSON     `json:"tasks"`
	Measures     []briefMeasureJSON  `json:"measures"`
	Messages     briefMessagesJSON   `json:"messages"`
	CheckIns     briefCheckInsJSON   `json:"check_ins"`
	SafetyPlan   briefSafetyPlanJSON `json:"safety_plan"`
}

// briefSafetyPlanJSON is where the safety plan stands: version 0 is none.
type briefSafetyPlanJSON struct {
	Version   int         `json:"version"`
	UpdatedAt *time.Time  `json:"updated_at"`
	UpdatedBy *personJSON `json:"updated_by"`
	Empty     bool        `json:"empty"`
	// ChangedSinceLastSession: saved in the brief's window.
	ChangedSinceLastSession bool `json:"changed_since_last_session"`
}

type briefClientJSON struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	TimeZone    string `json:"time_zone"`
}

type briefFlagJSON struct {
	ID             string         `json:"id"`
	Kind           string         `json:"kind"`
	Label          string         `json:"label"`
	Source         flagSourceJSON `json:"source"`
	RaisedAt       time.Time      `json:"raised_at"`
	Status         string         `json:"status"` // open, escalated, acknowledged
	AcknowledgedBy *personJSON    `json:"acknowledged_by"`
	AcknowledgedAt *time.Time     `json:"acknowledged_at"`
	Note           string         `json:"note,omitempty"`
	EscalatedAt    *time.Time     `json:"escalated_at"`
	EscalatedTo    *personJSON    `json:"escalated_to"`              // the on-call provider; null if none (then the admins were told)
	ScreenerResult string         `json:"screener_result,omitempty"` // the follow-up screen (issue #16), absent if none
}

type briefSeriesJSON struct {
	Name    string   `json:"name"`
	Unit    string   `json:"unit"`
	Count   int      `json:"count"`
	Average *float64 `json:"average"`
	Lowest  *float64 `json:"lowest"`
	Highest *float64 `json:"highest"`
	// EarlierAverage and LaterAverage are the means of the earlier and
	// later half of the values: the direction of the trend.
	EarlierAverage *float64 `json:"earlier_average"`
	LaterAverage   *float64 `json:"later_average"`
}

type briefGoalJSON struct {
	ID         string  `json:"id"`
	Title      string  `json:"title"`
	Status     string  `json:"status"`
	TargetDate *string `json:"target_date"`
	Ratings    int     `json:"progress_ratings"`
	First      *int    `json:"first_progress"`
	Latest     *int    `json:"latest_progress"`
	TasksDue   int     `json:"tasks_due"`
	TasksDone  int     `json:"tasks_done"`
}

type briefTaskJSON struct {
	ID       string  `json:"id"`
	Title    string  `json:"title"`
	GoalID   *string `json:"goal_id"`
	Schedule string  `json:"schedule"`
	Due      int     `json:"due"`
	Done     int     `json:"done"`
}

type briefTotalJSON struct {
	ID         string    `json:"id"`
	AnsweredAt time.Time `json:"answered_at"`
	Total      int       `json:"total"`
	Severity   string    `json:"severity"`
}

type briefMeasureJSON struct {
	Instrument string           `json:"instrument"`
	Name       string           `json:"name"`
	Baseline   briefTotalJSON   `json:"baseline"`
	Latest     responseJSON     `json:"latest"`
	Responses  []responseJSON   `json:"responses"` // those of the window, oldest first, with change markers
	History    []briefTotalJSON `json:"history"`   // every total, oldest first
}

type briefMessagesJSON struct {
	FromClient int `json:"from_client"`
	ToClient   int `json:"to_client"`
}

type briefCheckInsJSON struct {
	Sent      int      `json:"sent"`
	Answered  int      `json:"answered"`
	Missed    int      `json:"missed"`
	Open      int      `json:"open"`
	Adherence *float64 `json:"adherence"` // answered / (answered + missed), 0..1; null when none was due
}

func optionalFloat(v float64, ok bool) *float64 {
	if !ok {
		return nil
	}
	return &v
}

func toBriefJSON(b *care.Brief) briefJSON {
	out := briefJSON{
		Client:      briefClientJSON{ID: b.ClientID, DisplayName: b.ClientName, TimeZone: b.TimeZone},
		GeneratedAt: b.Now, Since: b.Since, Window: "since_last_session",
		LastSession: toAppointmentJSON(b.LastSession), NextSession: toAppointmentJSON(b.NextSession),
		Discuss: []entryJSON{}, SafetyEvents: []briefFlagJSON{}, Entries: []entryJSON{}, Trends: []briefSeriesJSON{},
		Goals: []briefGoalJSON{}, Tasks: []briefTaskJSON{}, Measures: []briefMeasureJSON{},
		Messages: briefMessagesJSON{FromClient: b.Messages.FromClient, ToClient: b.Messages.ToClient},
	}
	if b.LastSession == nil {
		out.Window = "last_30_days"
	}
	for i := range b.Discuss {
		out.Discuss = append(out.Discuss, toEntryJSON(&b.Discuss[i]))
	}
	for i := range b.Flags {
		f := &b.Flags[i]
		j := briefFlagJSON{ID: f.ID, Kind: string(f.Kind), Label: f.Kind.Label(), Source: flagSourceJSON{f.SourceType, f.SourceID},
			RaisedAt: f.RaisedAt, Status: f.Status(), Note: f.Note, ScreenerResult: string(f.Screener),
			AcknowledgedAt: optionalTime(f.AcknowledgedAt), EscalatedAt: optionalTime(f.EscalatedAt)}
		if f.AcknowledgedBy != "" {
			j.AcknowledgedBy = &personJSON{ID: f.AcknowledgedBy, Name: f.AcknowledgedByName}
		}
		if f.EscalatedTo != "" {
			j.EscalatedTo = &personJSON{ID: f.EscalatedTo, Name: f.EscalatedToName}
		}
		out.SafetyEvents = append(out.SafetyEvents, j)
	}
	for i := range b.Entries {
		out.Entries = append(out.Entries, toEntryJSON(&b.Entries[i]))
	}
	for _, s := range care.Trends(b.Entries) {
		j := briefSeriesJSON{Name: s.Name, Unit: s.Unit, Count: s.Count}
		if s.Count > 0 {
			j.Average, j.Lowest, j.Highest = optionalFloat(s.Average, true), optionalFloat(s.Lowest, true), optionalFloat(s.Highest, true)
			j.EarlierAverage, j.LaterAverage = optionalFloat(s.EarlierAverage, s.HasHalves), optionalFloat(s.LaterAverage, s.HasHalves)
		}
		out.Trends = append(out.Trends, j)
	}
	for i := range b.Goals {
		g := &b.Goals[i]
		j := briefGoalJSON{ID: g.GoalID, Title: g.Title, Status: string(g.Status), Ratings: len(g.Ratings),
			First: g.First(), Latest: g.Latest(), TasksDue: g.TasksDue, TasksDone: g.TasksDone}
		if g.TargetDate != "" {
			d := string(g.TargetDate)
			j.TargetDate = &d
		}
		out.Goals = append(out.Goals, j)
	}
	for _, t := range b.Tasks {
		j := briefTaskJSON{ID: t.TaskID, Title: t.Title, Schedule: t.Schedule, Due: t.Due, Done: t.Done}
		if t.GoalID != "" {
			id := t.GoalID
			j.GoalID = &id
		}
		out.Tasks = append(out.Tasks, j)
	}
	total := func(r *care.MeasureResponse) briefTotalJSON {
		return briefTotalJSON{ID: r.ID, AnsweredAt: r.AnsweredAt, Total: r.Total, Severity: string(r.Severity)}
	}
	for i := range b.Measures {
		m := &b.Measures[i]
		j := briefMeasureJSON{Instrument: m.Instrument.Code, Name: m.Instrument.Name, Baseline: total(m.Baseline()),
			Latest: toResponseJSON(m.Latest(), true), Responses: []responseJSON{}, History: []briefTotalJSON{}}
		for k := range m.InWindow {
			j.Responses = append(j.Responses, toResponseJSON(&m.InWindow[k], true))
		}
		for k := range m.History {
			j.History = append(j.History, total(&m.History[k]))
		}
		out.Measures = append(out.Measures, j)
	}
	c := b.CheckIns
	out.CheckIns = briefCheckInsJSON{Sent: c.Sent, Answered: c.Answered, Missed: c.Missed, Open: c.Open}
	if share, ok := c.Adherence(); ok {
		share = math.Round(share*1000) / 1000
		out.CheckIns.Adherence = &share
	}
	sp := b.SafetyPlan
	out.SafetyPlan = briefSafetyPlanJSON{Version: sp.Version, Empty: sp.Empty, ChangedSinceLastSession: sp.Changed}
	if sp.Version > 0 {
		at := sp.UpdatedAt
		out.SafetyPlan.UpdatedAt, out.SafetyPlan.UpdatedBy = &at, &personJSON{ID: sp.UpdatedBy, Name: sp.UpdatedByName}
	}
	return out
}

// GET /api/v1/clients/{id}/brief: the pre-session brief, for the care
// team; anyone else gets 404 as for a client who does not exist.
func (s *Server) apiBrief(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	b, err := s.store.Brief(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toBriefJSON(b))
}
