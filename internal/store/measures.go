package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"interlude/internal/care"
)

// Standardized measures (issue #7). The care team schedules an instrument
// for a client; the client answers; the server scores. A response's
// answers and score are one sealed document (responseDoc) under the
// client's data key; the schedule and the response's instrument and time
// are plain, so that what is due can be found without opening anything.
// Every query goes through record (visibleClient): the client and their
// care team see the measures, an admin only through break-glass.

// responseDoc is the sealed content of a response.
type responseDoc struct {
	Answers    []int  `json:"answers"`
	Difficulty *int   `json:"difficulty,omitempty"` // the unscored last question, if answered
	Total      int    `json:"total"`
	Severity   string `json:"severity"`
	Flag       bool   `json:"safety_flag,omitempty"`
}

const scheduleColumns = `m.id, m.clinic_id, m.client_id, m.instrument, m.every_days, m.created_by, m.created_at, m.due_at, m.stopped_at,
	(SELECT max(r.answered_at) FROM measure_responses r WHERE r.schedule_id = m.id)`

func scanSchedule(row interface{ Scan(...any) error }, m *care.MeasureSchedule) error {
	var created, due int64
	var stopped, last sql.NullInt64
	if err := row.Scan(&m.ID, &m.ClinicID, &m.ClientID, &m.Instrument, &m.EveryDays, &m.CreatedBy, &created, &due, &stopped, &last); err != nil {
		return err
	}
	m.CreatedAt, m.DueAt = fromMicros(created), fromMicros(due)
	m.StoppedAt, m.LastAt = time.Time{}, time.Time{}
	if stopped.Valid {
		m.StoppedAt = fromMicros(stopped.Int64)
	}
	if last.Valid {
		m.LastAt = fromMicros(last.Int64)
	}
	return nil
}

// schedules lists the client's measure schedules, oldest first; with
// active, only those not stopped.
func (tx tx) schedules(ctx context.Context, rec *clientRecord, active bool) ([]care.MeasureSchedule, error) {
	q := `SELECT ` + scheduleColumns + ` FROM measure_schedules m WHERE m.client_id = $1 AND m.clinic_id = $2`
	if active {
		q += ` AND m.stopped_at IS NULL`
	}
	rows, err := tx.QueryContext(ctx, q+` ORDER BY m.created_at, m.id`, rec.ID, rec.ClinicID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []care.MeasureSchedule{}
	for rows.Next() {
		var m care.MeasureSchedule
		if err := scanSchedule(rows, &m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MeasureList is a client's measures: the schedules, and every response,
// newest first, each with its progress against the earlier responses of
// its instrument.
type MeasureList struct {
	Schedules      []care.MeasureSchedule
	Responses      []care.MeasureResponse
	ReliableChange care.ReliableChange // the clinic's thresholds the progress was judged by
	Now            time.Time           // the time it was read, for "due"
}

// Measures reads client clientID's measure schedules and responses. The
// client and their care team may, and an admin with an open break-glass
// grant; anyone else gets care.ErrNotFound.
func (s *Store) Measures(ctx context.Context, actor care.Actor, clientID string) (*MeasureList, error) {
	ev, err := s.recordEvent(ctx, actor, "measure.list", "measure", "", clientID)
	if err != nil {
		return nil, err
	}
	var list MeasureList
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		l, err := s.measureList(ctx, tx, rec)
		if err != nil {
			return err
		}
		list = *l
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &list, nil
}

// measureList reads the client's measure schedules and responses
// (Measures, ClientRecord).
func (s *Store) measureList(ctx context.Context, tx tx, rec *clientRecord) (*MeasureList, error) {
	list := MeasureList{Now: tx.now}
	var err error
	if list.Schedules, err = tx.schedules(ctx, rec, false); err != nil {
		return nil, err
	}
	if list.Responses, list.ReliableChange, err = s.responses(ctx, tx, rec); err != nil {
		return nil, err
	}
	return &list, nil
}

// responses reads all of the client's responses, opens them, and returns
// them newest first with their progress, judged by the clinic's
// reliable-change thresholds, which it returns too.
func (s *Store) responses(ctx context.Context, tx tx, rec *clientRecord) ([]care.MeasureResponse, care.ReliableChange, error) {
	rc, err := tx.reliableChange(ctx, rec.ClinicID)
	if err != nil {
		return nil, rc, err
	}
	out, err := s.openResponses(ctx, tx, rec)
	if err != nil {
		return nil, rc, err
	}
	// Progress per instrument, oldest first; then newest first overall.
	for _, in := range care.Instruments {
		var idx, totals []int
		for i, r := range out {
			if r.Instrument == in.Code {
				idx, totals = append(idx, i), append(totals, r.Total)
			}
		}
		for k, p := range in.ProgressOf(totals, rc.Points(in)) {
			out[idx[k]].Progress = p
		}
	}
	slices.Reverse(out)
	return out, rc, nil
}

// openResponses reads and opens all of the client's responses, oldest
// first.
func (s *Store) openResponses(ctx context.Context, tx tx, rec *clientRecord) ([]care.MeasureResponse, error) {
	rows, err := tx.QueryContext(ctx,
		`SELECT id, schedule_id, instrument, answered_at, body_sealed FROM measure_responses
		 WHERE client_id = $1 AND clinic_id = $2 ORDER BY answered_at, id`, rec.ID, rec.ClinicID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []care.MeasureResponse{}
	for rows.Next() {
		r := care.MeasureResponse{ClinicID: rec.ClinicID, ClientID: rec.ID}
		var at int64
		var sealed []byte
		if err := rows.Scan(&r.ID, &r.ScheduleID, &r.Instrument, &at, &sealed); err != nil {
			return nil, err
		}
		r.AnsweredAt = fromMicros(at)
		plain, err := s.openValue(ctx, tx, rec.field("measure_responses", "body", r.ID), sealed)
		if err != nil {
			return nil, err
		}
		var d responseDoc
		if err := json.Unmarshal(plain, &d); err != nil {
			return nil, fmt.Errorf("measure response %s: the opened body is not JSON: %w", r.ID, err)
		}
		r.Answers, r.Difficulty, r.Total, r.Severity, r.SafetyFlag = d.Answers, d.Difficulty, d.Total, care.Severity(d.Severity), d.Flag
		out = append(out, r)
	}
	return out, rows.Err()
}

// MeasuresDue lists the client's active schedules that are due now, the
// longest due first: what the client's home page shows. It opens nothing
// sealed.
func (s *Store) MeasuresDue(ctx context.Context, actor care.Actor, clientID string) ([]care.MeasureSchedule, error) {
	ev, err := s.recordEvent(ctx, actor, "measure.due", "measure", "", clientID)
	if err != nil {
		return nil, err
	}
	var out []care.MeasureSchedule
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		all, err := tx.schedules(ctx, rec, true)
		if err != nil {
			return err
		}
		out = []care.MeasureSchedule{}
		for _, m := range all {
			if m.Due(tx.now) {
				out = append(out, m)
			}
		}
		slices.SortStableFunc(out, func(a, b care.MeasureSchedule) int { return a.DueAt.Compare(b.DueAt) })
		return nil
	})
	return out, err
}

// ScheduleMeasure has the client answer m.Instrument every m.EveryDays
// days, due at once; only the care team may. It fills in m's id, creator
// and times.
func (s *Store) ScheduleMeasure(ctx context.Context, actor care.Actor, clientID string, m *care.MeasureSchedule) error {
	ev, err := s.recordEvent(ctx, actor, "measure.schedule", "measure", "", clientID)
	if err != nil {
		return err
	}
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		rec, err := s.editable(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		if err := m.Validate(); err != nil {
			return err
		}
		m.ID, m.ClinicID, m.ClientID, m.CreatedBy = care.NewID(), rec.ClinicID, rec.ID, actor.UserID
		m.CreatedAt, m.DueAt, m.StoppedAt, m.LastAt = tx.now, tx.now, time.Time{}, time.Time{}
		ev.EntityID = m.ID
		_, err = tx.ExecContext(ctx,
			`INSERT INTO measure_schedules (id, clinic_id, client_id, instrument, every_days, created_by, created_at, due_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			m.ID, m.ClinicID, m.ClientID, m.Instrument, m.EveryDays, m.CreatedBy, micros(m.CreatedAt), micros(m.DueAt))
		if err != nil {
			return err
		}
		return s.measureBecameDue(ctx, tx, m)
	})
}

// StopMeasure stops schedule scheduleID of the client; only the care team
// may. Its responses stay. Stopping a stopped schedule changes nothing.
func (s *Store) StopMeasure(ctx context.Context, actor care.Actor, clientID, scheduleID string) error {
	ev, err := s.recordEvent(ctx, actor, "measure.stop", "measure", scheduleID, clientID)
	if err != nil {
		return err
	}
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		rec, err := s.editable(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx,
			`UPDATE measure_schedules SET stopped_at = COALESCE(stopped_at, $1) WHERE id = $2 AND client_id = $3 AND clinic_id = $4`,
			micros(tx.now), scheduleID, rec.ID, rec.ClinicID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return care.ErrNotFound
		}
		return nil
	})
}

// AnswerMeasure records the client's answers to schedule scheduleID and
// returns the response, scored by the server. Only the client may answer
// (their care team gets care.Forbidden); the answers must be exactly the
// instrument's items, each 0..3 (care.Invalid); difficulty, the answer to
// the unscored last question, is nil when not given, else 0..3
// (care.CheckDifficulty); a stopped schedule, or one
// not due yet, is care.Conflict. The schedule falls due again EveryDays
// later. An answer that raises the safety flag (PHQ-9 item 9 above 0)
// raises it for the care team in the same transaction.
func (s *Store) AnswerMeasure(ctx context.Context, actor care.Actor, clientID, scheduleID string, answers []int, difficulty *int) (*care.MeasureResponse, error) {
	ev, err := s.recordEvent(ctx, actor, "measure.answer", "measure_response", "", clientID)
	if err != nil {
		return nil, err
	}
	var out *care.MeasureResponse
	err = s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		out = nil
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		m, err := s.answerableSchedule(ctx, tx, rec, scheduleID)
		if err != nil {
			return err
		}
		in := care.InstrumentByCode(m.Instrument)
		score, err := in.Score(answers)
		if err != nil {
			return err
		}
		if err := care.CheckDifficulty(difficulty); err != nil {
			return err
		}
		switch {
		case !m.StoppedAt.IsZero():
			return care.Errorf(care.Conflict, "this measure is no longer scheduled")
		case m.DueAt.After(tx.now):
			return care.Errorf(care.Conflict, "this measure is not due until %s", m.DueAt.Format(time.RFC3339))
		}
		r := &care.MeasureResponse{ID: care.NewID(), ClinicID: rec.ClinicID, ClientID: rec.ID, ScheduleID: m.ID,
			Instrument: m.Instrument, AnsweredAt: tx.now, Answers: slices.Clone(answers), Score: score}
		if difficulty != nil {
			d := *difficulty
			r.Difficulty = &d
		}
		ev.EntityID = r.ID
		doc, err := json.Marshal(responseDoc{Answers: r.Answers, Difficulty: r.Difficulty, Total: r.Total, Severity: string(r.Severity), Flag: r.SafetyFlag})
		if err != nil {
			return err
		}
		sealed, err := s.sealValue(ctx, tx, rec.field("measure_responses", "body", r.ID), doc)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO measure_responses (id, clinic_id, client_id, schedule_id, instrument, answered_at, body_sealed)
			 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			r.ID, r.ClinicID, r.ClientID, r.ScheduleID, r.Instrument, micros(r.AnsweredAt), sealed); err != nil {
			return err
		}
		m.LastAt = tx.now
		m.DueAt = m.NextDue(m.CreatedAt, m.LastAt)
		if _, err := tx.ExecContext(ctx, `UPDATE measure_schedules SET due_at = $1 WHERE id = $2`, micros(m.DueAt), m.ID); err != nil {
			return err
		}
		if err := s.measureBecameDue(ctx, tx, &m); err != nil {
			return err
		}
		if r.SafetyFlag {
			if err := s.measureSafetyEvent(ctx, tx, actor, rec, r); err != nil {
				return err
			}
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// JobMeasureDue reminds the client, PHI-free, that a measure fell due:
// RefID is the schedule, RefAt the due time it was enqueued for. It is
// durable, in the transaction of its cause (jobs.go), and carries ids
// only. The jobs of a safety flag are in safety.go.
const JobMeasureDue = "measure.due"

// measureBecameDue enqueues the PHI-free reminder for when schedule m
// next falls due. Its dedupe key names the due time, so a schedule has one
// reminder per time it falls due.
func (s *Store) measureBecameDue(ctx context.Context, tx tx, m *care.MeasureSchedule) error {
	_, err := tx.enqueueJob(ctx, Job{ClinicID: m.ClinicID, Kind: JobMeasureDue,
		DedupeKey: fmt.Sprintf("%s:%s:%d", JobMeasureDue, m.ID, micros(m.DueAt)),
		ClientID:  m.ClientID, UserID: m.ClientID, RefID: m.ID, RefAt: m.DueAt, RunAt: m.DueAt})
	return err
}

// answerableSchedule is schedule scheduleID of rec, which only the client
// themself answers: care.ErrNotFound for a schedule of someone else,
// care.Forbidden for anyone but the client.
func (s *Store) answerableSchedule(ctx context.Context, tx tx, rec *clientRecord, scheduleID string) (care.MeasureSchedule, error) {
	var m care.MeasureSchedule
	err := scanSchedule(tx.QueryRowContext(ctx,
		`SELECT `+scheduleColumns+` FROM measure_schedules m WHERE m.id = $1 AND m.client_id = $2 AND m.clinic_id = $3`,
		scheduleID, rec.ID, rec.ClinicID), &m)
	if err != nil {
		return m, notFound(err)
	}
	if !rec.Self {
		return m, care.Errorf(care.Forbidden, "only the client answers their measures")
	}
	return m, nil
}

// measureSafetyEvent raises, in the transaction of the answer, the
// priority flag for response r, whose safety item was answered above 0;
// raising it enqueues its notifications and escalation (safety.go), so
// that once committed none can be lost.
func (s *Store) measureSafetyEvent(ctx context.Context, tx tx, actor care.Actor, rec *clientRecord, r *care.MeasureResponse) error {
	item9 := 0
	if in := care.InstrumentByCode(r.Instrument); in != nil && in.SafetyItem > 0 && in.SafetyItem <= len(r.Answers) {
		item9 = r.Answers[in.SafetyItem-1]
	}
	_, err := tx.RaiseSafetyFlag(ctx, actor, &care.SafetyFlag{ClinicID: rec.ClinicID, ClientID: rec.ID,
		Kind: care.FlagPHQ9Item9, Level: care.CrisisAcute, Item9: item9, SourceType: "measure_response", SourceID: r.ID})
	return err
}

// MeasureReminderDue reports whether the reminder job j (JobMeasureDue)
// should still be sent: its schedule is active and still due at the time
// the job was enqueued for (not answered, nor stopped, since).
func (s *Store) MeasureReminderDue(ctx context.Context, j Job) (bool, error) {
	var due bool
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		var n int
		err := tx.QueryRowContext(ctx,
			`SELECT count(*) FROM measure_schedules WHERE id = $1 AND clinic_id = $2 AND stopped_at IS NULL AND due_at = $3 AND due_at <= $4`,
			j.RefID, j.ClinicID, micros(j.RefAt), micros(tx.now)).Scan(&n)
		due = n == 1
		return err
	})
	return due, err
}

// PastAnswers is one earlier response to import: when it was given, the
// answers, and the answer to the difficulty question, if any.
type PastAnswers struct {
	At         time.Time
	Answers    []int
	Difficulty *int
}

// ImportMeasureHistory records a client's earlier responses to schedule
// scheduleID, as when moving a record from paper or another system, or
// seeding the demo: the client's own answers (only the client may),
// oldest first, each in the past and after the one before, scored by the
// server. The schedule then counts from its first import and falls due
// EveryDays after the last. Imported answers raise no safety notification:
// they are history, not news; an answer given now goes through
// AnswerMeasure.
func (s *Store) ImportMeasureHistory(ctx context.Context, actor care.Actor, clientID, scheduleID string, past []PastAnswers) error {
	ev, err := s.recordEvent(ctx, actor, "measure.import", "measure", scheduleID, clientID)
	if err != nil {
		return err
	}
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		m, err := s.answerableSchedule(ctx, tx, rec, scheduleID)
		if err != nil {
			return err
		}
		in := care.InstrumentByCode(m.Instrument)
		last := m.LastAt
		for i, p := range past {
			if !p.At.Before(tx.now) || (!last.IsZero() && !p.At.After(last)) {
				return care.FieldError(fmt.Sprintf("past[%d].at", i), "must be in the past and after the response before it")
			}
			score, err := in.Score(p.Answers)
			if err != nil {
				return err
			}
			if err := care.CheckDifficulty(p.Difficulty); err != nil {
				return err
			}
			id := care.NewID()
			doc, err := json.Marshal(responseDoc{Answers: p.Answers, Difficulty: p.Difficulty, Total: score.Total, Severity: string(score.Severity), Flag: score.SafetyFlag})
			if err != nil {
				return err
			}
			sealed, err := s.sealValue(ctx, tx, rec.field("measure_responses", "body", id), doc)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO measure_responses (id, clinic_id, client_id, schedule_id, instrument, answered_at, body_sealed)
				 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				id, rec.ClinicID, rec.ID, m.ID, m.Instrument, micros(p.At), sealed); err != nil {
				return err
			}
			last = p.At
		}
		if len(past) == 0 {
			return nil
		}
		m.DueAt = m.NextDue(m.CreatedAt, last)
		if _, err := tx.ExecContext(ctx, `UPDATE measure_schedules SET due_at = $1, created_at = CASE WHEN created_at > $3 THEN $3 ELSE created_at END WHERE id = $2`,
			micros(m.DueAt), m.ID, micros(past[0].At)); err != nil {
			return err
		}
		return s.measureBecameDue(ctx, tx, &m)
	})
}
