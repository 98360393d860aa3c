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

// The safety plan (issue #16). Every save is a row of
// safety_plan_versions holding the whole plan, sealed; the plan is the
// latest row. The client and their care team write it; an admin with a
// break-glass grant reads it.

// SafetyPlan returns the client's safety plan to the client, their care
// team, and an admin with an open break-glass grant; anyone else gets
// care.ErrNotFound. A plan never saved has version 0 and empty sections.
func (s *Store) SafetyPlan(ctx context.Context, actor care.Actor, clientID string) (*care.SafetyPlan, error) {
	ev, err := s.recordEvent(ctx, actor, "safety-plan.read", "safety-plan", clientID, clientID)
	if err != nil {
		return nil, err
	}
	var p *care.SafetyPlan
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		p, err = s.loadSafetyPlan(ctx, tx, rec)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// SaveSafetyPlan saves plan's sections as the client's safety plan, a new
// version. The client and their care team may save; an admin with a
// grant gets care.Forbidden, anyone else care.ErrNotFound. When base is
// not AnyVersion and the plan is no longer at version base, the save is
// care.Conflict: someone else saved meanwhile. Invalid items are
// care.Invalid naming the field ("coping[2]"), and nothing is stored.
func (s *Store) SaveSafetyPlan(ctx context.Context, actor care.Actor, clientID string, plan care.SafetyPlan, base int) (*care.SafetyPlan, error) {
	ev, err := s.recordEvent(ctx, actor, "safety-plan.write", "safety-plan", clientID, clientID)
	if err != nil {
		return nil, err
	}
	var out *care.SafetyPlan
	err = s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		if !rec.CanWriteSafetyPlan() {
			return care.Errorf(care.Forbidden, "only the client and their care team change the safety plan")
		}
		p := &care.SafetyPlan{}
		for _, info := range care.SafetyPlanSections {
			*p.Items(info.Section) = slices.Clone(*plan.Items(info.Section))
		}
		if err := p.Validate(); err != nil {
			return err
		}
		if err := tx.lockClient(ctx, rec.ID); err != nil {
			return err
		}
		var current int
		if err := tx.QueryRowContext(ctx,
			`SELECT COALESCE(MAX(version), 0) FROM safety_plan_versions WHERE client_id = $1 AND clinic_id = $2`,
			rec.ID, rec.ClinicID).Scan(&current); err != nil {
			return err
		}
		if base != AnyVersion && base != current {
			return care.Errorf(care.Conflict, "the safety plan was changed by someone else meanwhile (now version %d): reload it and make your change again", current)
		}
		p.ClientID, p.Version, p.UpdatedAt, p.UpdatedBy, p.UpdatedByName = rec.ID, current+1, tx.now, actor.UserID, actor.Name
		if rec.Self {
			if p.UpdatedByName, err = s.clientName(ctx, tx, rec); err != nil {
				return err
			}
		}
		body, err := json.Marshal(toSafetyPlanBody(p))
		if err != nil {
			return err
		}
		sealed, err := s.sealValue(ctx, tx, rec.field("safety_plan_versions", "body", versionRow(rec.ID, p.Version)), body)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO safety_plan_versions (client_id, version, clinic_id, changed_by, changed_at, body_sealed)
			 VALUES ($1, $2, $3, $4, $5, $6)`,
			rec.ID, p.Version, rec.ClinicID, actor.UserID, micros(tx.now), sealed); err != nil {
			return err
		}
		out = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SafetyPlanVersions lists the saved versions of the client's safety
// plan, newest first: who saved each and when. Those who read the plan
// read its history.
func (s *Store) SafetyPlanVersions(ctx context.Context, actor care.Actor, clientID string) ([]care.PlanVersion, error) {
	ev, err := s.recordEvent(ctx, actor, "safety-plan.history", "safety-plan", clientID, clientID)
	if err != nil {
		return nil, err
	}
	var out []care.PlanVersion
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		out, err = s.safetyPlanVersions(ctx, tx, rec)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// safetyPlanVersions lists the client's safety plan versions, newest first.
func (s *Store) safetyPlanVersions(ctx context.Context, tx tx, rec *clientRecord) ([]care.PlanVersion, error) {
	type row struct {
		v  care.PlanVersion
		at int64
	}
	var rows []row
	err := tx.each(ctx, func(scan func(...any) error) error {
		var r row
		if err := scan(&r.v.Version, &r.at, &r.v.ChangedBy, &r.v.ChangedByName); err != nil {
			return err
		}
		rows = append(rows, r)
		return nil
	}, `SELECT v.version, v.changed_at, v.changed_by, COALESCE(u.display_name, '')
		FROM safety_plan_versions v LEFT JOIN users u ON u.id = v.changed_by AND u.clinic_id = v.clinic_id AND u.role <> 'client'
		WHERE v.client_id = $1 AND v.clinic_id = $2 ORDER BY v.version DESC`, rec.ID, rec.ClinicID)
	if err != nil {
		return nil, err
	}
	out := make([]care.PlanVersion, 0, len(rows))
	for _, r := range rows {
		v := r.v
		v.ChangedAt = fromMicros(r.at)
		if v.ChangedBy == rec.ID {
			if v.ChangedByName, err = s.clientName(ctx, tx, rec); err != nil {
				return nil, err
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// loadSafetyPlan reads the client's safety plan, its latest version; a
// client without one gets an empty plan of version 0.
func (s *Store) loadSafetyPlan(ctx context.Context, tx tx, rec *clientRecord) (*care.SafetyPlan, error) {
	p := &care.SafetyPlan{ClientID: rec.ID}
	var at int64
	var sealed []byte
	err := tx.QueryRowContext(ctx,
		`SELECT v.version, v.changed_at, v.changed_by, COALESCE(u.display_name, ''), v.body_sealed
		 FROM safety_plan_versions v LEFT JOIN users u ON u.id = v.changed_by AND u.clinic_id = v.clinic_id AND u.role <> 'client'
		 WHERE v.client_id = $1 AND v.clinic_id = $2
		 ORDER BY v.version DESC LIMIT 1`,
		rec.ID, rec.ClinicID).Scan(&p.Version, &at, &p.UpdatedBy, &p.UpdatedByName, &sealed)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		safetyPlanBody{}.into(p)
		return p, nil
	case err != nil:
		return nil, err
	}
	p.UpdatedAt = fromMicros(at)
	data, err := s.openValue(ctx, tx, rec.field("safety_plan_versions", "body", versionRow(rec.ID, p.Version)), sealed)
	if err != nil {
		return nil, err
	}
	var body safetyPlanBody
	if err := json.Unmarshal(data, &body); err != nil {
		return nil, fmt.Errorf("safety plan version %d of %s: %w", p.Version, rec.ID, err)
	}
	body.into(p)
	if p.UpdatedBy == rec.ID {
		if p.UpdatedByName, err = s.clientName(ctx, tx, rec); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// safetyPlanBody is the sealed JSON form of a safety plan version. Its
// field names are stored: change them only with a way to read the old
// ones.
type safetyPlanBody struct {
	Sections map[care.SafetyPlanSection][]string `json:"sections"`
}

func toSafetyPlanBody(p *care.SafetyPlan) safetyPlanBody {
	b := safetyPlanBody{Sections: map[care.SafetyPlanSection][]string{}}
	for _, info := range care.SafetyPlanSections {
		b.Sections[info.Section] = *p.Items(info.Section)
	}
	return b
}

func (b safetyPlanBody) into(p *care.SafetyPlan) {
	for _, info := range care.SafetyPlanSections {
		items := b.Sections[info.Section]
		if items == nil {
			items = []string{}
		}
		*p.Items(info.Section) = items
	}
}
