package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"

	"interlude/internal/care"
)

// Between-session tasks: assigned by the care team, completed by the
// client, one completion per occurrence (task_completions is unique on
// task and day). Occurrences are computed from the task's due date and
// recurrence, in calendar days of the client's time zone, never stored.

// The window of days Tasks shows occurrences in, around the client's
// today.
const (
	TaskDaysBack  = 7
	TaskDaysAhead = 14
)

// TaskList is a client's tasks with their occurrences from From to To
// (both included). Today is the day it is where the client lives.
type TaskList struct {
	Today, From, To care.Day
	TimeZone        string // the client's
	Tasks           []care.Task
}

const taskColumns = `t.id, t.client_id, COALESCE(t.goal_id, ''), t.assigned_by, COALESCE(p.display_name, ''),
	t.title_sealed, t.instructions_sealed, t.due_date, t.recurrence, t.ends_on, t.created_at,
	g.title_sealed`

const taskFrom = `tasks t
	LEFT JOIN users p ON p.id = t.assigned_by AND p.clinic_id = t.clinic_id
	LEFT JOIN goals g ON g.id = t.goal_id AND g.client_id = t.client_id`

// taskRow is a task as read, before its texts are opened.
type taskRow struct {
	t                         care.Task
	title, instructions, goal []byte
	created                   int64
}

func (r *taskRow) scan(scan func(...any) error) error {
	var due, ends string
	if err := scan(&r.t.ID, &r.t.ClientID, &r.t.GoalID, &r.t.AssignedBy, &r.t.AssignedByName,
		&r.title, &r.instructions, &due, &r.t.Recurrence, &ends, &r.created, &r.goal); err != nil {
		return err
	}
	r.t.DueDate, r.t.EndsOn, r.t.CreatedAt = care.Day(due), care.Day(ends), fromMicros(r.created)
	return nil
}

// openTask opens the sealed texts of a task row.
func (s *Store) openTask(ctx context.Context, tx tx, rec *clientRecord, r *taskRow) (care.Task, error) {
	t := r.t
	var err error
	if t.Title, err = s.openText(ctx, tx, rec.field("tasks", "title", t.ID), r.title); err != nil {
		return t, err
	}
	if t.Instructions, err = s.openText(ctx, tx, rec.field("tasks", "instructions", t.ID), r.instructions); err != nil {
		return t, err
	}
	if t.GoalID != "" {
		if t.GoalTitle, err = s.openText(ctx, tx, rec.field("goals", "title", t.GoalID), r.goal); err != nil {
			return t, err
		}
	}
	return t, nil
}

// loadTasks reads the client's current tasks, newest first, without
// occurrences.
func (s *Store) loadTasks(ctx context.Context, tx tx, rec *clientRecord) ([]care.Task, error) {
	var rows []taskRow
	err := tx.each(ctx, func(scan func(...any) error) error {
		var r taskRow
		if err := r.scan(scan); err != nil {
			return err
		}
		rows = append(rows, r)
		return nil
	}, `SELECT `+taskColumns+` FROM `+taskFrom+`
		WHERE t.client_id = $1 AND t.clinic_id = $2 AND t.archived_at IS NULL
		ORDER BY t.created_at DESC, t.id`, rec.ID, rec.ClinicID)
	if err != nil {
		return nil, err
	}
	out := make([]care.Task, 0, len(rows))
	for i := range rows {
		t, err := s.openTask(ctx, tx, rec, &rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// completions reads the completions of the client's tasks with an
// occurrence from from to to, and those of one-off tasks whenever they
// fall, by task and day.
func (s *Store) completions(ctx context.Context, tx tx, rec *clientRecord, from, to care.Day) (map[string]map[care.Day]care.Occurrence, error) {
	type row struct {
		task, day, id string
		at            int64
		note          []byte
	}
	var rows []row
	err := tx.each(ctx, func(scan func(...any) error) error {
		var r row
		if err := scan(&r.id, &r.task, &r.day, &r.at, &r.note); err != nil {
			return err
		}
		rows = append(rows, r)
		return nil
	}, `SELECT k.id, k.task_id, k.occurrence, k.completed_at, k.note_sealed
		FROM task_completions k JOIN tasks t ON t.id = k.task_id AND t.client_id = k.client_id
		WHERE k.client_id = $1 AND k.clinic_id = $2 AND t.archived_at IS NULL
		  AND ((k.occurrence >= $3 AND k.occurrence <= $4) OR t.recurrence = '')`,
		rec.ID, rec.ClinicID, string(from), string(to))
	if err != nil {
		return nil, err
	}
	out := map[string]map[care.Day]care.Occurrence{}
	for _, r := range rows {
		note, err := s.openText(ctx, tx, rec.field("task_completions", "note", r.id), r.note)
		if err != nil {
			return nil, err
		}
		if out[r.task] == nil {
			out[r.task] = map[care.Day]care.Occurrence{}
		}
		out[r.task][care.Day(r.day)] = care.Occurrence{Day: care.Day(r.day), Done: true, CompletedAt: fromMicros(r.at), Note: note}
	}
	return out, nil
}

// Tasks lists the client's tasks, newest first, each with its occurrences
// from TaskDaysBack days before the client's today to TaskDaysAhead days
// after it (a one-off task: its one occurrence, whenever it is), done or
// not. The client and their care team read them, and an admin with an
// open break-glass grant; anyone else gets care.ErrNotFound.
func (s *Store) Tasks(ctx context.Context, actor care.Actor, clientID string) (*TaskList, error) {
	ev, err := s.recordEvent(ctx, actor, "task.list", "task", "", clientID)
	if err != nil {
		return nil, err
	}
	var list TaskList
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		l, err := s.taskList(ctx, tx, rec)
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

// taskList reads the client's tasks with their occurrences around the
// client's today (Tasks, ClientRecord).
func (s *Store) taskList(ctx context.Context, tx tx, rec *clientRecord) (*TaskList, error) {
	var list TaskList
	var err error
	list.Today, list.TimeZone = rec.today(tx), rec.TimeZone
	list.From, list.To = list.Today.AddDays(-TaskDaysBack), list.Today.AddDays(TaskDaysAhead)
	if list.Tasks, err = s.loadTasks(ctx, tx, rec); err != nil {
		return nil, err
	}
	done, err := s.completions(ctx, tx, rec, list.From, list.To)
	if err != nil {
		return nil, err
	}
	for i := range list.Tasks {
		t := &list.Tasks[i]
		days := []care.Day{t.DueDate}
		if t.Recurring() {
			days = t.Days(list.From, list.To)
		}
		t.Occurrences = make([]care.Occurrence, 0, len(days))
		for _, d := range days {
			o, ok := done[t.ID][d]
			if !ok {
				o = care.Occurrence{Day: d}
			}
			t.Occurrences = append(t.Occurrences, o)
		}
	}
	return &list, nil
}

// TasksDue lists what the client has to do on day: each recurring task
// that occurs that day, and each one-off task not done yet (overdue when
// its day has passed) or done but due that day; the earliest first. It is
// for the client's home page, and readable by whoever may read Tasks.
func (s *Store) TasksDue(ctx context.Context, actor care.Actor, clientID string, day care.Day) ([]care.DueTask, error) {
	if _, err := care.ParseDay(string(day)); err != nil {
		return nil, care.FieldError("day", "must be a date as YYYY-MM-DD")
	}
	ev, err := s.recordEvent(ctx, actor, "task.due", "task", "", clientID)
	if err != nil {
		return nil, err
	}
	out := []care.DueTask{}
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		tasks, err := s.loadTasks(ctx, tx, rec)
		if err != nil {
			return err
		}
		done, err := s.completions(ctx, tx, rec, day, day)
		if err != nil {
			return err
		}
		for _, t := range tasks {
			if t.Recurring() {
				if t.OccursOn(day) {
					o, ok := done[t.ID][day]
					out = append(out, care.DueTask{Task: t, Day: day, Done: ok, DoneAt: o.CompletedAt})
				}
				continue
			}
			o, ok := done[t.ID][t.DueDate]
			if !ok || t.DueDate == day {
				out = append(out, care.DueTask{Task: t, Day: t.DueDate, Done: ok, Overdue: !ok && t.DueDate.Before(day), DoneAt: o.CompletedAt})
			}
		}
		slices.SortStableFunc(out, func(a, b care.DueTask) int {
			return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.Task.Title, b.Task.Title))
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CreateTask assigns a task to the client; only their care team may. A
// goal, if named, must be in the client's plan (else care.Invalid on
// goal_id). It fills in t's id, assigner and creation time.
func (s *Store) CreateTask(ctx context.Context, actor care.Actor, clientID string, t *care.Task) error {
	ev, err := s.recordEvent(ctx, actor, "task.create", "task", "", clientID)
	if err != nil {
		return err
	}
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		rec, err := s.editable(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		if err := t.Validate(); err != nil {
			return err
		}
		var goal any
		if t.GoalID != "" {
			if err := tx.liveGoal(ctx, rec, t.GoalID); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return care.FieldError("goal_id", "is not a goal of this client's plan")
				}
				return err
			}
			goal = t.GoalID
		}
		t.ID, t.ClientID, t.AssignedBy, t.AssignedByName, t.CreatedAt = care.NewID(), rec.ID, actor.UserID, actor.Name, tx.now
		ev.EntityID = t.ID
		title, err := s.sealValue(ctx, tx, rec.field("tasks", "title", t.ID), []byte(t.Title))
		if err != nil {
			return err
		}
		instructions, err := s.sealText(ctx, tx, rec.field("tasks", "instructions", t.ID), t.Instructions)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO tasks (id, clinic_id, client_id, goal_id, assigned_by, title_sealed, instructions_sealed,
			                    due_date, recurrence, ends_on, created_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			t.ID, rec.ClinicID, rec.ID, goal, actor.UserID, title, instructions,
			string(t.DueDate), t.Recurrence, string(t.EndsOn), micros(tx.now))
		return err
	})
}

// CompleteTask records that the client did an occurrence of their task,
// with an optional note. Only the client may (their care team gets
// care.Forbidden). occurrence "" is the task's day for a one-off task and
// the client's today for a recurring one; a day the task is not due on,
// or a recurring occurrence still to come, is care.Invalid on
// "occurrence"; an occurrence done already is care.Conflict.
func (s *Store) CompleteTask(ctx context.Context, actor care.Actor, clientID, taskID string, occurrence care.Day, note string) (*care.Completion, error) {
	ev, err := s.recordEvent(ctx, actor, "task.complete", "task", taskID, clientID)
	if err != nil {
		return nil, err
	}
	var c *care.Completion
	err = s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		if !rec.CanComplete() {
			return care.Errorf(care.Forbidden, "only the client completes their tasks")
		}
		var r taskRow
		err = r.scan(tx.QueryRowContext(ctx,
			`SELECT `+taskColumns+` FROM `+taskFrom+`
			 WHERE t.id = $1 AND t.client_id = $2 AND t.clinic_id = $3 AND t.archived_at IS NULL`,
			taskID, rec.ID, rec.ClinicID).Scan)
		if err != nil {
			return notFound(err)
		}
		t := r.t
		today := rec.today(tx)
		switch {
		case occurrence == "" && t.Recurring():
			occurrence = today
		case occurrence == "":
			occurrence = t.DueDate
		}
		if !t.OccursOn(occurrence) {
			return care.FieldError("occurrence", "is not a day this task is due")
		}
		if t.Recurring() && today.Before(occurrence) {
			return care.FieldError("occurrence", "is still to come")
		}
		if note, err = care.CheckNote(note); err != nil {
			return err
		}
		c = &care.Completion{ID: care.NewID(), TaskID: t.ID, Occurrence: occurrence, CompletedAt: tx.now, Note: note}
		sealed, err := s.sealText(ctx, tx, rec.field("task_completions", "note", c.ID), note)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx,
			`INSERT INTO task_completions (id, clinic_id, client_id, task_id, occurrence, completed_at, note_sealed)
			 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (task_id, occurrence) DO NOTHING`,
			c.ID, rec.ClinicID, rec.ID, t.ID, string(occurrence), micros(tx.now), sealed)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return care.Errorf(care.Conflict, "this task is marked done for that day already")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// UndoCompletion takes back the client's "done" on an occurrence of their
// task, on the day they marked it (in their time zone): a tap by mistake
// is undone until the end of that day, and what was done stays done after
// it. Only the client may (their care team gets care.Forbidden); an
// occurrence not marked done is care.ErrNotFound, and one marked on an
// earlier day is care.Conflict. The completion's note goes with it.
func (s *Store) UndoCompletion(ctx context.Context, actor care.Actor, clientID, taskID string, occurrence care.Day) error {
	if _, err := care.ParseDay(string(occurrence)); err != nil {
		return care.FieldError("occurrence", "must be a date as YYYY-MM-DD")
	}
	ev, err := s.recordEvent(ctx, actor, "task.undo", "task", taskID, clientID)
	if err != nil {
		return err
	}
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		if !rec.CanComplete() {
			return care.Errorf(care.Forbidden, "only the client takes back their own tasks")
		}
		var at int64
		err = tx.QueryRowContext(ctx,
			`SELECT k.completed_at FROM task_completions k JOIN tasks t ON t.id = k.task_id AND t.client_id = k.client_id
			 WHERE k.task_id = $1 AND k.client_id = $2 AND k.clinic_id = $3 AND k.occurrence = $4 AND t.archived_at IS NULL`,
			taskID, rec.ID, rec.ClinicID, string(occurrence)).Scan(&at)
		if err != nil {
			return notFound(err)
		}
		if care.DayIn(fromMicros(at), rec.TimeZone) != rec.today(tx) {
			return care.Errorf(care.Conflict, "a task can be marked not done only on the day it was marked done")
		}
		_, err = tx.ExecContext(ctx,
			`DELETE FROM task_completions WHERE task_id = $1 AND client_id = $2 AND clinic_id = $3 AND occurrence = $4`,
			taskID, rec.ID, rec.ClinicID, string(occurrence))
		return err
	})
}
