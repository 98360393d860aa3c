package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"interlude/internal/care"
)

// The pre-session brief (issue #7): everything the care team may see of a
// client since the last held session, read in one read transaction and
// audited once, as a read of the brief (ids only). Every query filters by
// the client found under visibleClient (record), and journal entries by
// j.shared = 1 in the SQL: a private entry never reaches the brief, nor
// does a count of them.

// Brief reads client clientID's pre-session brief (care.Brief). Only the
// care team may: a provider of the client's care team, or an admin through
// an open break-glass grant (audited as such). The client themself, and
// anyone else, get care.ErrNotFound, as for a client who does not exist.
func (s *Store) Brief(ctx context.Context, actor care.Actor, clientID string) (*care.Brief, error) {
	ev, err := s.recordEvent(ctx, actor, "brief.read", "client", clientID, clientID)
	if err != nil {
		return nil, err
	}
	var b *care.Brief
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		b = nil
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		if rec.Self {
			return care.ErrNotFound // the brief is for the care team
		}
		// Every value below is sealed under the client's key: load it
		// once, before any result set is open (warmKey).
		s.warmKey(ctx, tx, rec.ClinicID, rec.ID)
		out := &care.Brief{ClientID: rec.ID, TimeZone: rec.TimeZone, Now: tx.now}
		if out.ClientName, err = s.clientName(ctx, tx, rec); err != nil {
			return err
		}
		if out.LastSession, out.NextSession, err = tx.briefSessions(ctx, rec); err != nil {
			return err
		}
		out.Since = care.BriefSince(out.LastSession, tx.now)
		if out.Entries, err = s.briefEntries(ctx, tx, rec, out.Since); err != nil {
			return err
		}
		for _, e := range slices.Backward(out.Entries) {
			if e.Discuss {
				out.Discuss = append(out.Discuss, e)
			}
		}
		if out.Flags, err = s.briefFlags(ctx, tx, rec, out.Since); err != nil {
			return err
		}
		if err := s.briefPlan(ctx, tx, rec, out); err != nil {
			return err
		}
		if err := s.briefMeasures(ctx, tx, rec, out); err != nil {
			return err
		}
		if err := tx.briefCounts(ctx, rec, out); err != nil {
			return err
		}
		plan, err := s.loadSafetyPlan(ctx, tx, rec)
		if err != nil {
			return err
		}
		out.SafetyPlan = care.BriefSafetyPlan{Version: plan.Version, UpdatedAt: plan.UpdatedAt, UpdatedBy: plan.UpdatedBy, UpdatedByName: plan.UpdatedByName,
			Empty: plan.Empty(), Changed: plan.Version > 0 && !plan.UpdatedAt.Before(out.Since)}
		b = out
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// briefSessions finds the last held session and the next scheduled one.
func (tx tx) briefSessions(ctx context.Context, rec *clientRecord) (last, next *care.Appointment, err error) {
	one := func(query string, args ...any) (*care.Appointment, error) {
		var a care.Appointment
		err := scanAppointment(tx.QueryRowContext(ctx, query, args...).Scan, &a)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return &a, err
	}
	if last, err = one(`SELECT `+appointmentColumns+` FROM `+appointmentFrom+`
		WHERE a.client_id = $1 AND a.clinic_id = $2 AND a.status = 'held' AND a.starts_at <= $3
		ORDER BY a.starts_at DESC, a.id LIMIT 1`, rec.ID, rec.ClinicID, micros(tx.now)); err != nil {
		return nil, nil, err
	}
	next, err = one(`SELECT `+appointmentColumns+` FROM `+appointmentFrom+`
		WHERE a.client_id = $1 AND a.clinic_id = $2 AND a.status = 'scheduled'
		  AND a.starts_at + CAST(a.minutes AS BIGINT) * 60000000 > $3
		ORDER BY a.starts_at, a.id LIMIT 1`, rec.ID, rec.ClinicID, micros(tx.now))
	return last, next, err
}

// briefEntries reads the shared, undeleted entries of the window, newest
// first. The rows are read first and opened after, so that no key lookup
// runs while a result set is open.
func (s *Store) briefEntries(ctx context.Context, tx tx, rec *clientRecord, since time.Time) ([]care.JournalEntry, error) {
	type row struct {
		e      care.JournalEntry
		sealed []byte
	}
	var rows []row
	err := tx.each(ctx, func(scan func(...any) error) error {
		var r row
		var occurred, created, updated int64
		if err := scan(&r.e.ID, &occurred, &created, &updated, &r.e.Version, &r.e.GoalID, &r.sealed); err != nil {
			return err
		}
		r.e.ClinicID, r.e.ClientID, r.e.Shared = rec.ClinicID, rec.ID, true
		r.e.OccurredAt, r.e.CreatedAt, r.e.UpdatedAt = fromMicros(occurred), fromMicros(created), fromMicros(updated)
		rows = append(rows, r)
		return nil
	}, `SELECT j.id, j.occurred_at, j.created_at, j.updated_at, j.version, COALESCE(j.goal_id, ''), j.body_sealed
		FROM journal_entries j
		WHERE j.client_id = $1 AND j.clinic_id = $2 AND j.shared = 1 AND j.deleted_at IS NULL
		  AND j.occurred_at >= $3 AND j.occurred_at <= $4
		ORDER BY j.occurred_at DESC, j.id DESC LIMIT $5`,
		rec.ID, rec.ClinicID, micros(since), micros(tx.now.Add(care.MaxFutureSkew)), maxChartEntries)
	if err != nil {
		return nil, err
	}
	out := make([]care.JournalEntry, 0, len(rows))
	for _, r := range rows {
		e := r.e
		if err := s.openEntryBody(ctx, tx, &e, r.sealed); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// openEntryBody opens the sealed body of entry e into e.
func (s *Store) openEntryBody(ctx context.Context, tx tx, e *care.JournalEntry, sealed []byte) error {
	plain, err := s.openValue(ctx, tx, entryField(e.ClinicID, e.ClientID, e.ID), sealed)
	if err != nil {
		return err
	}
	var d entryDoc
	if err := json.Unmarshal(plain, &d); err != nil {
		return fmt.Errorf("journal entry %s: the opened body is not JSON: %w", e.ID, err)
	}
	d.fill(e)
	return nil
}

// briefFlags reads the flags raised in the window and those still open
// from before it, newest first, with the names of the provider who
// acknowledged it and of the on-call provider it was escalated to.
func (s *Store) briefFlags(ctx context.Context, tx tx, rec *clientRecord, since time.Time) ([]care.BriefFlag, error) {
	rows, err := tx.QueryContext(ctx,
		`SELECT `+flagColumns+`, COALESCE(p.display_name, ''), COALESCE(f.escalated_to, ''), COALESCE(o.display_name, '')
		 FROM safety_flags f LEFT JOIN users p ON p.id = f.acknowledged_by AND p.clinic_id = f.clinic_id
		 LEFT JOIN users o ON o.id = f.escalated_to AND o.clinic_id = f.clinic_id
		 WHERE f.client_id = $1 AND f.clinic_id = $2 AND (f.raised_at >= $3 OR f.acknowledged_at IS NULL)
		 ORDER BY f.raised_at DESC, f.id DESC`, rec.ID, rec.ClinicID, micros(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []care.BriefFlag{}
	for rows.Next() {
		var f care.BriefFlag
		// The client's key is warm: opening a note runs no query.
		if err := s.scanFlag(ctx, tx, rows, &f.SafetyFlag, &f.AcknowledgedByName, &f.EscalatedTo, &f.EscalatedToName); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// briefPlan fills in the goals of the plan with their progress ratings of
// the window, and the tasks with their occurrences due and done from the
// window's first day to the client's today.
func (s *Store) briefPlan(ctx context.Context, tx tx, rec *clientRecord, b *care.Brief) error {
	type goalRow struct {
		g      care.GoalProgress
		title  []byte
		target string
	}
	var goals []goalRow
	err := tx.each(ctx, func(scan func(...any) error) error {
		var r goalRow
		var status string
		if err := scan(&r.g.GoalID, &r.title, &r.target, &status); err != nil {
			return err
		}
		r.g.Status, r.g.TargetDate = care.GoalStatus(status), care.Day(r.target)
		goals = append(goals, r)
		return nil
	}, `SELECT id, title_sealed, target_date, status FROM goals
		WHERE client_id = $1 AND clinic_id = $2 AND removed_at IS NULL ORDER BY position, id`, rec.ID, rec.ClinicID)
	if err != nil {
		return err
	}
	index := map[string]int{}
	b.Goals = make([]care.GoalProgress, 0, len(goals))
	for _, r := range goals {
		g := r.g
		if g.Title, err = s.openText(ctx, tx, rec.field("goals", "title", g.GoalID), r.title); err != nil {
			return err
		}
		index[g.GoalID] = len(b.Goals)
		b.Goals = append(b.Goals, g)
	}
	for _, e := range slices.Backward(b.Entries) {
		if i, ok := index[e.GoalID]; ok && e.GoalProgress != nil {
			b.Goals[i].Ratings = append(b.Goals[i].Ratings, care.RatingPoint{At: e.OccurredAt, Value: *e.GoalProgress})
		}
	}

	tasks, err := s.loadTasks(ctx, tx, rec)
	if err != nil {
		return err
	}
	from, today := care.DayIn(b.Since, rec.TimeZone), rec.today(tx)
	done, err := s.completions(ctx, tx, rec, from, today)
	if err != nil {
		return err
	}
	b.Tasks = []care.TaskProgress{}
	for i := range tasks {
		t := &tasks[i]
		days := t.Days(from, today)
		if len(days) == 0 {
			continue
		}
		p := care.TaskProgress{TaskID: t.ID, Title: t.Title, GoalID: t.GoalID, Schedule: t.Schedule(), Due: len(days)}
		for _, d := range days {
			if _, ok := done[t.ID][d]; ok {
				p.Done++
			}
		}
		if gi, ok := index[t.GoalID]; ok {
			b.Goals[gi].TasksDue += p.Due
			b.Goals[gi].TasksDone += p.Done
		}
		b.Tasks = append(b.Tasks, p)
	}
	// In the plan's order of goals (tasks for no goal last), then by title.
	goalOrder := func(id string) int {
		if i, ok := index[id]; ok {
			return i
		}
		return len(index)
	}
	slices.SortStableFunc(b.Tasks, func(x, y care.TaskProgress) int {
		return cmp.Or(cmp.Compare(goalOrder(x.GoalID), goalOrder(y.GoalID)), strings.Compare(x.Title, y.Title), strings.Compare(x.TaskID, y.TaskID))
	})
	return nil
}

// briefMeasures reads every response of the client (the baseline and the
// trend need them all) and keeps, per instrument, those of the window.
func (s *Store) briefMeasures(ctx context.Context, tx tx, rec *clientRecord, b *care.Brief) error {
	all, rc, err := s.responses(ctx, tx, rec) // newest first, with progress
	if err != nil {
		return err
	}
	b.ReliableChange = rc
	b.Measures = []care.MeasureTrend{}
	for _, in := range care.Instruments {
		m := care.MeasureTrend{Instrument: in}
		for _, r := range slices.Backward(all) {
			if r.Instrument != in.Code {
				continue
			}
			m.History = append(m.History, r)
			if !r.AnsweredAt.Before(b.Since) {
				m.InWindow = append(m.InWindow, r)
			}
		}
		if len(m.History) > 0 {
			b.Measures = append(b.Measures, m)
		}
	}
	return nil
}

// briefCounts counts the window's messages by direction and its check-ins
// by outcome, in one query that opens nothing.
func (tx tx) briefCounts(ctx context.Context, rec *clientRecord, b *care.Brief) error {
	since, now := micros(b.Since), micros(tx.now)
	var answered, missed sql.NullInt64
	err := tx.QueryRowContext(ctx,
		`SELECT
		   (SELECT count(*) FROM messages m WHERE m.client_id = $1 AND m.clinic_id = $2 AND m.sent_at >= $3 AND m.sent_at <= $4 AND m.sender_role = 'client'),
		   (SELECT count(*) FROM messages m WHERE m.client_id = $1 AND m.clinic_id = $2 AND m.sent_at >= $3 AND m.sent_at <= $4 AND m.sender_role <> 'client'),
		   (SELECT count(*) FROM check_ins k WHERE k.client_id = $1 AND k.clinic_id = $2 AND k.sent_at >= $3 AND k.sent_at <= $4),
		   (SELECT sum(CASE WHEN k.answered_at IS NOT NULL THEN 1 ELSE 0 END) FROM check_ins k
		     WHERE k.client_id = $1 AND k.clinic_id = $2 AND k.sent_at >= $3 AND k.sent_at <= $4),
		   (SELECT sum(CASE WHEN k.answered_at IS NULL AND k.closes_at <= $4 THEN 1 ELSE 0 END) FROM check_ins k
		     WHERE k.client_id = $1 AND k.clinic_id = $2 AND k.sent_at >= $3 AND k.sent_at <= $4)`,
		rec.ID, rec.ClinicID, since, now).
		Scan(&b.Messages.FromClient, &b.Messages.ToClient, &b.CheckIns.Sent, &answered, &missed)
	if err != nil {
		return err
	}
	b.CheckIns.Answered, b.CheckIns.Missed = int(answered.Int64), int(missed.Int64)
	b.CheckIns.Open = b.CheckIns.Sent - b.CheckIns.Answered - b.CheckIns.Missed
	return nil
}
