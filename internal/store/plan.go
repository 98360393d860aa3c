package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"interlude/internal/care"
)

// The treatment plan (issue #5). Goals and objectives are rows with sealed
// texts; every save writes the whole plan, sealed, into plan_versions. A
// goal left out of a save is taken out of the plan (removed_at) but kept,
// since tasks, journal entries and comments name it.

// AnyVersion, as the base version of SavePlan, saves whatever the plan's
// current version is.
const AnyVersion = -1

// Plan returns the client's treatment plan, with the comments on each
// goal, to the client, their care team, and an admin with an open
// break-glass grant. Anyone else gets care.ErrNotFound. A plan never
// saved has version 0 and no goals.
func (s *Store) Plan(ctx context.Context, actor care.Actor, clientID string) (*care.Plan, error) {
	ev, err := s.recordEvent(ctx, actor, "plan.read", "plan", clientID, clientID)
	if err != nil {
		return nil, err
	}
	var p *care.Plan
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		p, err = s.loadPlan(ctx, tx, rec)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// SavePlan replaces the client's plan with goals, in their order, and
// keeps the result as a new version. Goals and objectives with an id
// update those of the plan; without one they are new; goals of the plan
// left out are taken out of it, objectives left out are deleted. Only the
// care team may save (others who see the plan get care.Forbidden). When
// base is not AnyVersion and the plan is no longer at version base, the
// save is care.Conflict: someone else saved it meanwhile. Invalid goals
// are care.Invalid naming the field ("goals[1].title"), and nothing is
// stored.
func (s *Store) SavePlan(ctx context.Context, actor care.Actor, clientID string, goals []care.Goal, base int) (*care.Plan, error) {
	ev, err := s.recordEvent(ctx, actor, "plan.write", "plan", clientID, clientID)
	if err != nil {
		return nil, err
	}
	var out *care.Plan
	err = s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		rec, err := s.editable(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		p := &care.Plan{Goals: cloneGoals(goals)}
		if err := p.Validate(); err != nil {
			return err
		}
		if err := tx.lockClient(ctx, rec.ID); err != nil {
			return err
		}
		current, err := tx.planVersion(ctx, rec)
		if err != nil {
			return err
		}
		if base != AnyVersion && base != current {
			return care.Errorf(care.Conflict, "the plan was changed by someone else meanwhile (now version %d): reload it and make your change again", current)
		}
		if err := s.writeGoals(ctx, tx, rec, p.Goals); err != nil {
			return err
		}
		if out, err = s.loadPlan(ctx, tx, rec); err != nil {
			return err
		}
		out.Version, out.UpdatedAt, out.UpdatedBy, out.UpdatedByName = current+1, tx.now, actor.UserID, actor.Name
		snapshot, err := json.Marshal(toSnapshot(out))
		if err != nil {
			return err
		}
		sealed, err := s.sealValue(ctx, tx, rec.field("plan_versions", "snapshot", versionRow(rec.ID, out.Version)), snapshot)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO plan_versions (client_id, version, clinic_id, changed_by, changed_at, snapshot_sealed)
			 VALUES ($1, $2, $3, $4, $5, $6)`,
			rec.ID, out.Version, rec.ClinicID, actor.UserID, micros(tx.now), sealed)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// writeGoals makes the plan's goals and objectives those given, which
// Validate has checked.
func (s *Store) writeGoals(ctx context.Context, tx tx, rec *clientRecord, goals []care.Goal) error {
	// What the client has: goals (taken out or not) and objectives.
	goalIDs, err := tx.ids(ctx, `SELECT id FROM goals WHERE client_id = $1 AND clinic_id = $2`, rec.ID, rec.ClinicID)
	if err != nil {
		return err
	}
	objectiveIDs, err := tx.ids(ctx, `SELECT id FROM objectives WHERE client_id = $1 AND clinic_id = $2`, rec.ID, rec.ClinicID)
	if err != nil {
		return err
	}
	keepGoals, keepObjectives := map[string]bool{}, map[string]bool{}
	for i := range goals {
		g := &goals[i]
		if g.ID != "" && !goalIDs[g.ID] {
			return care.FieldError(fmt.Sprintf("goals[%d].id", i), "is not a goal of this plan")
		}
		for j, o := range g.Objectives {
			if o.ID != "" && !objectiveIDs[o.ID] {
				return care.FieldError(fmt.Sprintf("goals[%d].objectives[%d].id", i, j), "is not an objective of this plan")
			}
		}
	}
	for i := range goals {
		g := &goals[i]
		isNew := g.ID == ""
		if isNew {
			g.ID = care.NewID()
		}
		keepGoals[g.ID] = true
		title, err := s.sealValue(ctx, tx, rec.field("goals", "title", g.ID), []byte(g.Title))
		if err != nil {
			return err
		}
		clinical, err := s.sealText(ctx, tx, rec.field("goals", "clinical_wording", g.ID), g.ClinicalWording)
		if err != nil {
			return err
		}
		if isNew {
			_, err = tx.ExecContext(ctx,
				`INSERT INTO goals (id, clinic_id, client_id, position, title_sealed, clinical_sealed, target_date, status, created_at, updated_at)
				 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
				g.ID, rec.ClinicID, rec.ID, i, title, clinical, string(g.TargetDate), string(g.Status), micros(tx.now))
		} else {
			_, err = tx.ExecContext(ctx,
				`UPDATE goals SET position = $1, title_sealed = $2, clinical_sealed = $3, target_date = $4, status = $5,
				        updated_at = $6, removed_at = NULL
				 WHERE id = $7 AND client_id = $8 AND clinic_id = $9`,
				i, title, clinical, string(g.TargetDate), string(g.Status), micros(tx.now), g.ID, rec.ID, rec.ClinicID)
		}
		if err != nil {
			return err
		}
		for j := range g.Objectives {
			o := &g.Objectives[j]
			isNew := o.ID == ""
			if isNew {
				o.ID = care.NewID()
			}
			keepObjectives[o.ID] = true
			text, err := s.sealValue(ctx, tx, rec.field("objectives", "text", o.ID), []byte(o.Text))
			if err != nil {
				return err
			}
			if isNew {
				_, err = tx.ExecContext(ctx,
					`INSERT INTO objectives (id, clinic_id, client_id, goal_id, position, text_sealed, target_date, status)
					 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
					o.ID, rec.ClinicID, rec.ID, g.ID, j, text, string(o.TargetDate), string(o.Status))
			} else {
				_, err = tx.ExecContext(ctx,
					`UPDATE objectives SET goal_id = $1, position = $2, text_sealed = $3, target_date = $4, status = $5
					 WHERE id = $6 AND client_id = $7 AND clinic_id = $8`,
					g.ID, j, text, string(o.TargetDate), string(o.Status), o.ID, rec.ID, rec.ClinicID)
			}
			if err != nil {
				return err
			}
		}
	}
	for id := range objectiveIDs {
		if !keepObjectives[id] {
			if _, err := tx.ExecContext(ctx, `DELETE FROM objectives WHERE id = $1 AND client_id = $2`, id, rec.ID); err != nil {
				return err
			}
		}
	}
	for id := range goalIDs {
		if !keepGoals[id] {
			if _, err := tx.ExecContext(ctx,
				`UPDATE goals SET removed_at = $1 WHERE id = $2 AND client_id = $3 AND removed_at IS NULL`,
				micros(tx.now), id, rec.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// cloneGoals copies goals deeply, so that validating and saving them
// leaves the caller's slices as they were.
func cloneGoals(goals []care.Goal) []care.Goal {
	out := slices.Clone(goals)
	for i := range out {
		out[i].Objectives = slices.Clone(out[i].Objectives)
		out[i].Comments = nil
	}
	return out
}

// ids runs a query of one id column and returns the ids as a set.
func (tx tx) ids(ctx context.Context, query string, args ...any) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// planVersion is the client's latest plan version, 0 when none.
func (tx tx) planVersion(ctx context.Context, rec *clientRecord) (int, error) {
	var v int
	err := tx.QueryRowContext(ctx,
		`SELECT COALESCE(MAX(version), 0) FROM plan_versions WHERE client_id = $1 AND clinic_id = $2`,
		rec.ID, rec.ClinicID).Scan(&v)
	return v, err
}

func versionRow(clientID string, version int) string { return fmt.Sprintf("%s/%d", clientID, version) }

// loadPlan reads the client's plan: its latest version, its goals (those
// not taken out) with their objectives and comments.
func (s *Store) loadPlan(ctx context.Context, tx tx, rec *clientRecord) (*care.Plan, error) {
	p := &care.Plan{ClientID: rec.ID, Goals: []care.Goal{}}
	var changed sql.NullInt64
	err := tx.QueryRowContext(ctx,
		`SELECT v.version, v.changed_at, v.changed_by, COALESCE(u.display_name, '')
		 FROM plan_versions v LEFT JOIN users u ON u.id = v.changed_by
		 WHERE v.client_id = $1 AND v.clinic_id = $2 ORDER BY v.version DESC LIMIT 1`,
		rec.ID, rec.ClinicID).Scan(&p.Version, &changed, &p.UpdatedBy, &p.UpdatedByName)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, err
	default:
		p.UpdatedAt = fromMicros(changed.Int64)
	}

	type goalRow struct {
		g               care.Goal
		title, clinical []byte
		target, status  string
	}
	var rows []goalRow
	err = tx.each(ctx, func(scan func(...any) error) error {
		var r goalRow
		if err := scan(&r.g.ID, &r.title, &r.clinical, &r.target, &r.status); err != nil {
			return err
		}
		rows = append(rows, r)
		return nil
	}, `SELECT id, title_sealed, clinical_sealed, target_date, status FROM goals
		WHERE client_id = $1 AND clinic_id = $2 AND removed_at IS NULL ORDER BY position, id`, rec.ID, rec.ClinicID)
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	for _, r := range rows {
		g := r.g
		if g.Title, err = s.openText(ctx, tx, rec.field("goals", "title", g.ID), r.title); err != nil {
			return nil, err
		}
		if g.ClinicalWording, err = s.openText(ctx, tx, rec.field("goals", "clinical_wording", g.ID), r.clinical); err != nil {
			return nil, err
		}
		g.TargetDate, g.Status = care.Day(r.target), care.GoalStatus(r.status)
		g.Objectives, g.Comments = []care.Objective{}, []care.GoalComment{}
		index[g.ID] = len(p.Goals)
		p.Goals = append(p.Goals, g)
	}

	type objectiveRow struct {
		o              care.Objective
		goal           string
		text           []byte
		target, status string
	}
	var objectives []objectiveRow
	err = tx.each(ctx, func(scan func(...any) error) error {
		var r objectiveRow
		if err := scan(&r.o.ID, &r.goal, &r.text, &r.target, &r.status); err != nil {
			return err
		}
		objectives = append(objectives, r)
		return nil
	}, `SELECT id, goal_id, text_sealed, target_date, status FROM objectives
		WHERE client_id = $1 AND clinic_id = $2 ORDER BY position, id`, rec.ID, rec.ClinicID)
	if err != nil {
		return nil, err
	}
	for _, r := range objectives {
		i, ok := index[r.goal]
		if !ok {
			continue
		}
		o := r.o
		if o.Text, err = s.openText(ctx, tx, rec.field("objectives", "text", o.ID), r.text); err != nil {
			return nil, err
		}
		o.TargetDate, o.Status = care.Day(r.target), care.ObjectiveStatus(r.status)
		p.Goals[i].Objectives = append(p.Goals[i].Objectives, o)
	}

	comments, err := s.goalComments(ctx, tx, rec)
	if err != nil {
		return nil, err
	}
	for _, c := range comments {
		if i, ok := index[c.GoalID]; ok {
			p.Goals[i].Comments = append(p.Goals[i].Comments, c)
		}
	}
	return p, nil
}

// goalComments reads every comment on the client's goals, oldest first.
func (s *Store) goalComments(ctx context.Context, tx tx, rec *clientRecord) ([]care.GoalComment, error) {
	type commentRow struct {
		c      care.GoalComment
		at     int64
		role   sql.NullString
		sealed []byte
	}
	var rows []commentRow
	err := tx.each(ctx, func(scan func(...any) error) error {
		var r commentRow
		if err := scan(&r.c.ID, &r.c.GoalID, &r.c.AuthorID, &r.at, &r.sealed, &r.role, &r.c.AuthorName); err != nil {
			return err
		}
		rows = append(rows, r)
		return nil
	}, `SELECT m.id, m.goal_id, m.author_id, m.created_at, m.text_sealed, u.role, COALESCE(u.display_name, '')
		FROM goal_comments m LEFT JOIN users u ON u.id = m.author_id AND u.clinic_id = m.clinic_id
		WHERE m.client_id = $1 AND m.clinic_id = $2 ORDER BY m.created_at, m.id`, rec.ID, rec.ClinicID)
	if err != nil {
		return nil, err
	}
	out := make([]care.GoalComment, 0, len(rows))
	var clientName *string
	for _, r := range rows {
		c := r.c
		c.CreatedAt, c.AuthorRole = fromMicros(r.at), care.Role(r.role.String)
		if c.Text, err = s.openText(ctx, tx, rec.field("goal_comments", "text", c.ID), r.sealed); err != nil {
			return nil, err
		}
		if c.AuthorID == rec.ID {
			if clientName == nil {
				n, err := s.clientName(ctx, tx, rec)
				if err != nil {
					return nil, err
				}
				clientName = &n
			}
			c.AuthorName = *clientName
		}
		out = append(out, c)
	}
	return out, nil
}

// each runs query and calls fn with a scan function for every row. fn
// must not query: the rows are still open (on PostgreSQL one connection
// reads one result at a time), so it only scans and keeps what it read.
func (tx tx) each(ctx context.Context, fn func(scan func(...any) error) error, query string, args ...any) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// PlanVersions lists the saved versions of the client's plan, newest
// first: who saved each and when, without the plan itself. before (a
// version number; 0 for the newest) and limit page through them. The care
// team reads them, and an admin with an open break-glass grant; the
// client gets care.Forbidden, anyone else care.ErrNotFound.
func (s *Store) PlanVersions(ctx context.Context, actor care.Actor, clientID string, before, limit int) ([]care.PlanVersion, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	if before <= 0 {
		before = 1 << 30
	}
	ev, err := s.recordEvent(ctx, actor, "plan.history", "plan", clientID, clientID)
	if err != nil {
		return nil, err
	}
	var out []care.PlanVersion
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		if rec.Self {
			return care.Errorf(care.Forbidden, "the plan's history is for the care team")
		}
		out, err = tx.planVersions(ctx, rec, before, limit)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// planVersions lists the saved versions of the client's plan before
// version before, newest first, at most limit (PlanVersions,
// ClientRecord).
func (tx tx) planVersions(ctx context.Context, rec *clientRecord, before, limit int) ([]care.PlanVersion, error) {
	out := []care.PlanVersion{}
	err := tx.each(ctx, func(scan func(...any) error) error {
		var v care.PlanVersion
		var at int64
		if err := scan(&v.Version, &at, &v.ChangedBy, &v.ChangedByName); err != nil {
			return err
		}
		v.ChangedAt = fromMicros(at)
		out = append(out, v)
		return nil
	}, `SELECT v.version, v.changed_at, v.changed_by, COALESCE(u.display_name, '')
		FROM plan_versions v LEFT JOIN users u ON u.id = v.changed_by AND u.clinic_id = v.clinic_id
		WHERE v.client_id = $1 AND v.clinic_id = $2 AND v.version < $3
		ORDER BY v.version DESC LIMIT $4`, rec.ID, rec.ClinicID, before, limit)
	return out, err
}

// PlanVersion returns the client's plan as it was saved in version
// version, without comments, to those who may read PlanVersions. A
// version that does not exist is care.ErrNotFound.
func (s *Store) PlanVersion(ctx context.Context, actor care.Actor, clientID string, version int) (*care.Plan, error) {
	ev, err := s.recordEvent(ctx, actor, "plan.version.read", "plan", clientID, clientID)
	if err != nil {
		return nil, err
	}
	var p *care.Plan
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		if rec.Self {
			return care.Errorf(care.Forbidden, "the plan's history is for the care team")
		}
		var at int64
		var sealed []byte
		p = &care.Plan{ClientID: rec.ID, Version: version}
		err = tx.QueryRowContext(ctx,
			`SELECT v.changed_at, v.changed_by, COALESCE(u.display_name, ''), v.snapshot_sealed
			 FROM plan_versions v LEFT JOIN users u ON u.id = v.changed_by AND u.clinic_id = v.clinic_id
			 WHERE v.client_id = $1 AND v.clinic_id = $2 AND v.version = $3`,
			rec.ID, rec.ClinicID, version).Scan(&at, &p.UpdatedBy, &p.UpdatedByName, &sealed)
		if err != nil {
			return notFound(err)
		}
		p.UpdatedAt = fromMicros(at)
		data, err := s.openValue(ctx, tx, rec.field("plan_versions", "snapshot", versionRow(rec.ID, version)), sealed)
		if err != nil {
			return err
		}
		var snap planSnapshot
		if err := json.Unmarshal(data, &snap); err != nil {
			return fmt.Errorf("plan version %d of %s: %w", version, rec.ID, err)
		}
		p.Goals = snap.goals()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// planSnapshot is the sealed JSON form of a plan version. Its field names
// are stored: change them only with a way to read the old ones.
type planSnapshot struct {
	Goals []snapshotGoal `json:"goals"`
}

type snapshotGoal struct {
	ID              string              `json:"id"`
	Title           string              `json:"title"`
	ClinicalWording string              `json:"clinical_wording,omitempty"`
	TargetDate      string              `json:"target_date,omitempty"`
	Status          string              `json:"status"`
	Objectives      []snapshotObjective `json:"objectives"`
}

type snapshotObjective struct {
	ID         string `json:"id"`
	Text       string `json:"text"`
	TargetDate string `json:"target_date,omitempty"`
	Status     string `json:"status"`
}

func toSnapshot(p *care.Plan) planSnapshot {
	snap := planSnapshot{Goals: []snapshotGoal{}}
	for _, g := range p.Goals {
		sg := snapshotGoal{ID: g.ID, Title: g.Title, ClinicalWording: g.ClinicalWording, TargetDate: string(g.TargetDate),
			Status: string(g.Status), Objectives: []snapshotObjective{}}
		for _, o := range g.Objectives {
			sg.Objectives = append(sg.Objectives, snapshotObjective{ID: o.ID, Text: o.Text, TargetDate: string(o.TargetDate), Status: string(o.Status)})
		}
		snap.Goals = append(snap.Goals, sg)
	}
	return snap
}

func (snap planSnapshot) goals() []care.Goal {
	out := []care.Goal{}
	for _, sg := range snap.Goals {
		g := care.Goal{ID: sg.ID, Title: sg.Title, ClinicalWording: sg.ClinicalWording, TargetDate: care.Day(sg.TargetDate),
			Status: care.GoalStatus(sg.Status), Objectives: []care.Objective{}, Comments: []care.GoalComment{}}
		for _, so := range sg.Objectives {
			g.Objectives = append(g.Objectives, care.Objective{ID: so.ID, Text: so.Text, TargetDate: care.Day(so.TargetDate), Status: care.ObjectiveStatus(so.Status)})
		}
		out = append(out, g)
	}
	return out
}

// AddGoalComment adds the actor's comment to a goal of the client's plan:
// the client and their care team may comment. A goal that is not in the
// client's plan is care.ErrNotFound; an empty or overlong text is
// care.Invalid on "text".
func (s *Store) AddGoalComment(ctx context.Context, actor care.Actor, clientID, goalID, text string) (*care.GoalComment, error) {
	ev, err := s.recordEvent(ctx, actor, "goal-comment.create", "goal", goalID, clientID)
	if err != nil {
		return nil, err
	}
	var c *care.GoalComment
	err = s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		if !rec.CanComment() {
			return care.Errorf(care.Forbidden, "only the client and their care team comment on the plan")
		}
		if err := tx.liveGoal(ctx, rec, goalID); err != nil {
			return notFound(err)
		}
		text, err := care.CheckComment(text)
		if err != nil {
			return err
		}
		c = &care.GoalComment{ID: care.NewID(), GoalID: goalID, AuthorID: actor.UserID, AuthorName: actor.Name,
			AuthorRole: actor.Role, CreatedAt: tx.now, Text: text}
		if rec.Self {
			if c.AuthorName, err = s.clientName(ctx, tx, rec); err != nil {
				return err
			}
		}
		sealed, err := s.sealValue(ctx, tx, rec.field("goal_comments", "text", c.ID), []byte(text))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO goal_comments (id, clinic_id, client_id, goal_id, author_id, created_at, text_sealed)
			 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			c.ID, rec.ClinicID, rec.ID, goalID, actor.UserID, micros(tx.now), sealed)
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// liveGoal checks that goalID is a goal in the client's plan (not taken
// out of it): sql.ErrNoRows if not.
func (tx tx) liveGoal(ctx context.Context, rec *clientRecord, goalID string) error {
	var id string
	return tx.QueryRowContext(ctx,
		`SELECT id FROM goals WHERE id = $1 AND client_id = $2 AND clinic_id = $3 AND removed_at IS NULL`,
		goalID, rec.ID, rec.ClinicID).Scan(&id)
}
