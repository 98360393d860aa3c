package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"interlude/internal/care"
	"interlude/internal/fhir"
	"interlude/internal/store"
)

// Measures in the JSON API (API.md, issue #7): the care team schedules a
// PHQ-9 or GAD-7, the client answers it, the server scores it.

type scheduleJSON struct {
	ID         string     `json:"id"`
	Instrument string     `json:"instrument"`
	Name       string     `json:"name"`
	EveryDays  int        `json:"every_days"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	DueAt      time.Time  `json:"due_at"`
	Due        bool       `json:"due"`
	LastAt     *time.Time `json:"last_answered_at"`
	StoppedAt  *time.Time `json:"stopped_at"`
}

func toScheduleJSON(m *care.MeasureSchedule, now time.Time) scheduleJSON {
	return scheduleJSON{ID: m.ID, Instrument: m.Instrument, Name: care.InstrumentByCode(m.Instrument).Name, EveryDays: m.EveryDays,
		CreatedBy: m.CreatedBy, CreatedAt: m.CreatedAt, DueAt: m.DueAt, Due: m.Due(now), LastAt: optionalTime(m.LastAt), StoppedAt: optionalTime(m.StoppedAt)}
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// changeJSON is a response's standing against the client's earlier
// responses of the instrument (docs/measures.md).
type changeJSON struct {
	Baseline  int     `json:"baseline"`
	Previous  *int    `json:"previous"`
	Delta     *int    `json:"delta"`
	RCI       float64 `json:"rci"`
	Reliable  string  `json:"reliable_change"`               // from baseline: none, reliable_improvement, reliable_deterioration
	Step      string  `json:"reliable_change_from_previous"` // the same, from the previous total
	Response  bool    `json:"response"`
	Remission bool    `json:"remission"`
}

type responseJSON struct {
	ID         string      `json:"id"`
	ScheduleID string      `json:"schedule_id"`
	Instrument string      `json:"instrument"`
	AnsweredAt time.Time   `json:"answered_at"`
	Answers    []int       `json:"answers"`
	Difficulty *int        `json:"difficulty"` // the unscored last question, 0..3; null if not answered
	Total      int         `json:"total"`
	Severity   string      `json:"severity"`
	SafetyFlag bool        `json:"safety_flag"`
	Change     *changeJSON `json:"change,omitempty"`
}

func toResponseJSON(r *care.MeasureResponse, withChange bool) responseJSON {
	out := responseJSON{ID: r.ID, ScheduleID: r.ScheduleID, Instrument: r.Instrument, AnsweredAt: r.AnsweredAt,
		Answers: r.Answers, Difficulty: r.Difficulty, Total: r.Total, Severity: string(r.Severity), SafetyFlag: r.SafetyFlag}
	if withChange {
		p := r.Progress
		c := &changeJSON{Baseline: p.Baseline, RCI: p.RCI, Reliable: p.Change.String(), Step: p.Step.String(), Response: p.Response, Remission: p.Remission}
		if p.HasPrevious {
			c.Previous, c.Delta = &p.Previous, &p.Delta
		}
		out.Change = c
	}
	return out
}

// GET /api/v1/clients/{id}/measures: the schedules and every response,
// newest first, with change markers.
func (s *Server) apiMeasures(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	list, err := s.store.Measures(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, measuresJSON(list))
}

func measuresJSON(list *store.MeasureList) map[string]any {
	schedules, responses := []scheduleJSON{}, []responseJSON{}
	for i := range list.Schedules {
		schedules = append(schedules, toScheduleJSON(&list.Schedules[i], list.Now))
	}
	for i := range list.Responses {
		responses = append(responses, toResponseJSON(&list.Responses[i], true))
	}
	return map[string]any{"schedules": schedules, "responses": responses}
}

// POST /api/v1/clients/{id}/measures {"instrument", "every_days"}: the
// care team schedules a measure, due at once.
func (s *Server) apiScheduleMeasure(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		Instrument string `json:"instrument"`
		EveryDays  int    `json:"every_days"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	m := &care.MeasureSchedule{Instrument: req.Instrument, EveryDays: req.EveryDays}
	if err := s.store.ScheduleMeasure(r.Context(), actor, r.PathValue("id"), m); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toScheduleJSON(m, s.now()))
}

// DELETE /api/v1/clients/{id}/measures/{mid}: the care team stops a
// schedule; its responses stay.
func (s *Server) apiStopMeasure(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := s.store.StopMeasure(r.Context(), actor, r.PathValue("id"), r.PathValue("mid")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// answerRequest is the body of POST …/measures/{mid}/responses. A total
// the client computed is accepted and ignored: the server scores.
// Difficulty, the unscored last question, is optional: absent or null for
// none, else exactly one of the integers 0 to 3.
type answerRequest struct {
	Answers    []int           `json:"answers"`
	Difficulty json.RawMessage `json:"difficulty"`
	Total      json.RawMessage `json:"total"`
}

// difficulty reads the request's difficulty strictly: 1.0, "1", 4 and
// anything but a bare digit 0..3 or null are care.Invalid.
func (req *answerRequest) difficulty() (*int, error) {
	raw := bytes.TrimSpace(req.Difficulty)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if len(raw) != 1 || raw[0] < '0' || raw[0] > '0'+care.MaxAnswer {
		return nil, care.FieldError("difficulty", "must be a whole number from 0 to %d, or null", care.MaxAnswer)
	}
	d := int(raw[0] - '0')
	return &d, nil
}

// POST /api/v1/clients/{id}/measures/{mid}/responses {"answers": [0, 1, …]}
// → 201 {id, total, severity, safety_flag, …}. When the safety flag is
// raised, the answer carries the crisis resources the client must see.
func (s *Server) apiAnswerMeasure(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req answerRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Answers == nil {
		return care.FieldError("answers", "is required")
	}
	difficulty, err := req.difficulty()
	if err != nil {
		return err
	}
	resp, err := s.store.AnswerMeasure(r.Context(), actor, r.PathValue("id"), r.PathValue("mid"), req.Answers, difficulty)
	if err != nil {
		return err
	}
	out := map[string]any{
		"id": resp.ID, "schedule_id": resp.ScheduleID, "instrument": resp.Instrument, "answered_at": resp.AnsweredAt,
		"answers": resp.Answers, "difficulty": resp.Difficulty, "total": resp.Total, "severity": resp.Severity, "safety_flag": resp.SafetyFlag,
	}
	if resp.SafetyFlag {
		safety, err := s.safetyView(r, actor)
		if err != nil {
			return err
		}
		out["crisis"] = safety.json()
	}
	return writeJSON(w, http.StatusCreated, out)
}

type instrumentJSON struct {
	Code       string    `json:"code"`
	Name       string    `json:"name"`
	Title      string    `json:"title"`
	Stem       string    `json:"stem"`
	Items      []string  `json:"items"`
	Options    []optJSON `json:"options"`
	Difficulty struct {
		Text    string    `json:"text"`
		Options []optJSON `json:"options"`
		LOINC   string    `json:"loinc"`
	} `json:"difficulty"` // the unscored, optional last question
	Attribution string     `json:"attribution"`
	Bands       []bandJSON `json:"bands"`
	SafetyItem  *int       `json:"safety_item"`
	Reliable    struct {
		Points        int     `json:"points"`         // the clinic's threshold
		DefaultPoints int     `json:"default_points"` // NHS Talking Therapies'
		JTPoints      int     `json:"jacobson_truax_points"`
		SD            float64 `json:"sd"`
		Reliability   float64 `json:"reliability"`
		Source        string  `json:"source"` // of SD and reliability
	} `json:"reliable_change"`
	LOINC string `json:"loinc"`
}

type optJSON struct {
	Value int    `json:"value"`
	Label string `json:"label"`
}

type bandJSON struct {
	Min      int    `json:"min"`
	Max      int    `json:"max"`
	Severity string `json:"severity"`
}

// GET /api/v1/instruments: the instruments, their items, answers, bands,
// attribution and reliable-change figures (the clinic's threshold for
// staff, the default for a client). Public knowledge, but only for the
// signed in, like everything else of the API.
func (s *Server) apiInstruments(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var rc care.ReliableChange
	if actor.Role != care.RoleClient {
		if rc, err = s.store.ReliableChange(r.Context(), actor); err != nil {
			return err
		}
	}
	out := []instrumentJSON{}
	for _, in := range care.Instruments {
		j := instrumentJSON{Code: in.Code, Name: in.Name, Title: in.Title, Stem: in.Stem, Items: in.Items, LOINC: in.LOINC, Attribution: care.Attribution}
		for _, o := range care.AnswerOptions {
			j.Options = append(j.Options, optJSON{o.Value, o.Label})
		}
		j.Difficulty.Text, j.Difficulty.LOINC = in.Difficulty, fhir.DifficultyLOINC
		for _, o := range care.DifficultyOptions {
			j.Difficulty.Options = append(j.Difficulty.Options, optJSON{o.Value, o.Label})
		}
		for _, b := range in.Bands {
			j.Bands = append(j.Bands, bandJSON{b.Min, b.Max, string(b.Severity)})
		}
		if in.SafetyItem > 0 {
			n := in.SafetyItem
			j.SafetyItem = &n
		}
		j.Reliable.Points, j.Reliable.DefaultPoints, j.Reliable.JTPoints = rc.Points(in), in.ReliableChange, in.JacobsonTruaxPoints()
		j.Reliable.SD, j.Reliable.Reliability, j.Reliable.Source = in.SD, in.Reliability, in.Source
		out = append(out, j)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"instruments": out})
}
