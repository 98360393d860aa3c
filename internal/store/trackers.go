package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"interlude/internal/care"
)

// Trackers (issue #19). The clinic's library (tracker_templates) is
// clinic content: plain JSON, one row per version, never rewritten. A
// tracker (client_trackers) is a template version assigned to a client by
// the care team; removing it keeps it and its entries. An entry
// (tracker_entries) is the client's: its values and "bring this up" are
// one sealed document under the client's data key, and it is private or
// shared by the rules of journal entries (trackerEntryVisible): anyone
// but the client sees shared entries only, and nothing at all of the
// others, not even that they exist. Only the client writes entries.

// ---- The library ----

// templateDoc is the definition column of a template version.
type templateDoc struct {
	Explainer string      `json:"explainer"`
	Fields    []fieldDoc  `json:"fields"`
	Schedule  scheduleDoc `json:"schedule"`
}

type fieldDoc struct {
	ID       string   `json:"id"`
	Kind     string   `json:"kind"`
	Label    string   `json:"label,omitempty"`
	Help     string   `json:"help,omitempty"`
	Required bool     `json:"required,omitempty"`
	Main     bool     `json:"main,omitempty"`
	Min      int      `json:"min,omitempty"`
	Max      int      `json:"max,omitempty"`
	MinLabel string   `json:"min_label,omitempty"`
	MaxLabel string   `json:"max_label,omitempty"`
	Options  []string `json:"options,omitempty"`
	MaxLen   int      `json:"max_len,omitempty"`
}

type scheduleDoc struct {
	Kind     string `json:"kind"`
	Weekdays int    `json:"weekdays,omitempty"` // a mask, Sunday bit 0
	Minute   int    `json:"minute,omitempty"`
}

func templateDocOf(t *care.TrackerTemplate) templateDoc {
	d := templateDoc{Explainer: t.Explainer, Schedule: scheduleDocOf(t.Schedule), Fields: make([]fieldDoc, len(t.Fields))}
	for i, f := range t.Fields {
		d.Fields[i] = fieldDoc{ID: f.ID, Kind: string(f.Kind), Label: f.Label, Help: f.Help, Required: f.Required, Main: f.Main,
			Min: f.Min, Max: f.Max, MinLabel: f.MinLabel, MaxLabel: f.MaxLabel, Options: f.Options, MaxLen: f.MaxLen}
	}
	return d
}

func (d *templateDoc) fill(t *care.TrackerTemplate) {
	t.Explainer, t.Schedule = d.Explainer, d.Schedule.schedule()
	t.Fields = make([]care.TrackerField, len(d.Fields))
	for i, f := range d.Fields {
		t.Fields[i] = care.TrackerField{ID: f.ID, Kind: care.FieldKind(f.Kind), Label: f.Label, Help: f.Help, Required: f.Required,
			Main: f.Main, Min: f.Min, Max: f.Max, MinLabel: f.MinLabel, MaxLabel: f.MaxLabel, Options: f.Options, MaxLen: f.MaxLen}
	}
}

func scheduleDocOf(s care.TrackerSchedule) scheduleDoc {
	return scheduleDoc{Kind: string(s.Kind), Weekdays: care.CheckInSchedule{Weekdays: s.Weekdays}.WeekdayMask(), Minute: s.Minute}
}

func (d scheduleDoc) schedule() care.TrackerSchedule {
	return care.TrackerSchedule{Kind: care.ScheduleKind(d.Kind), Weekdays: care.WeekdaysFromMask(d.Weekdays), Minute: d.Minute}
}

const templateColumns = `t.id, t.version, t.clinic_id, COALESCE(t.template_key, ''), t.name, t.definition,
	COALESCE(t.created_by, ''), t.created_at, t.retired_at`

// latestTemplate is the SQL condition that template row t is its
// template's latest version.
const latestTemplate = `t.version = (SELECT max(l.version) FROM tracker_templates l WHERE l.id = t.id)`

func scanTemplate(row interface{ Scan(...any) error }, t *care.TrackerTemplate) error {
	var def string
	var created int64
	var retired sql.NullInt64
	if err := row.Scan(&t.ID, &t.Version, &t.ClinicID, &t.Key, &t.Name, &def, &t.CreatedBy, &created, &retired); err != nil {
		return err
	}
	t.CreatedAt, t.RetiredAt = fromMicros(created), time.Time{}
	if retired.Valid {
		t.RetiredAt = fromMicros(retired.Int64)
	}
	var d templateDoc
	if err := json.Unmarshal([]byte(def), &d); err != nil {
		return fmt.Errorf("tracker template %s.%d: the definition is not JSON: %w", t.ID, t.Version, err)
	}
	d.fill(t)
	return nil
}

// libraryReader refuses anyone who does not read the clinic's library:
// its admins and providers do. Clients read the templates of their own
// trackers only, through Trackers.
func libraryReader(actor care.Actor) error {
	if actor.Role != care.RoleAdmin && actor.Role != care.RoleProvider {
		return care.Errorf(care.Forbidden, "only the clinic's staff see its tracker library")
	}
	return nil
}

// TrackerTemplates lists the latest version of each template of the
// actor's clinic's library, by name; retired ones too when retired is
// true. Admins and providers read the library; anyone else gets
// care.Forbidden.
func (s *Store) TrackerTemplates(ctx context.Context, actor care.Actor, retired bool) ([]care.TrackerTemplate, error) {
	out := []care.TrackerTemplate{}
	ev := Event(actor, "tracker_template.list", "tracker_template", "")
	err := s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		if err := libraryReader(actor); err != nil {
			return err
		}
		q := `SELECT ` + templateColumns + ` FROM tracker_templates t WHERE t.clinic_id = $1 AND ` + latestTemplate
		if !retired {
			q += ` AND t.retired_at IS NULL`
		}
		return tx.each(ctx, func(scan func(...any) error) error {
			var t care.TrackerTemplate
			if err := scanTemplate(scanFunc(scan), &t); err != nil {
				return err
			}
			out = append(out, t)
			return nil
		}, q+` ORDER BY t.name, t.id`, actor.ClinicID)
	})
	return out, err
}

// scanFunc adapts tx.each's scan to a row's Scan method.
type scanFunc func(...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// TrackerTemplate returns version version of a template of the actor's
// clinic's library, or its latest version when version is 0. Admins and
// providers read the library (anyone else gets care.Forbidden); a
// template of another clinic, or a version that does not exist, is
// care.ErrNotFound.
func (s *Store) TrackerTemplate(ctx context.Context, actor care.Actor, id string, version int) (*care.TrackerTemplate, error) {
	var t care.TrackerTemplate
	ev := Event(actor, "tracker_template.read", "tracker_template", care.AuditID(id))
	err := s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		if err := libraryReader(actor); err != nil {
			return err
		}
		got, err := tx.template(ctx, actor.ClinicID, id, version)
		if err != nil {
			return err
		}
		t = *got
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// template reads a version of a template of clinic clinicID (0: the
// latest).
func (tx tx) template(ctx context.Context, clinicID, id string, version int) (*care.TrackerTemplate, error) {
	if !care.ValidID(id) || version < 0 {
		return nil, care.ErrNotFound
	}
	q := `SELECT ` + templateColumns + ` FROM tracker_templates t WHERE t.id = $1 AND t.clinic_id = $2 AND `
	args := []any{id, clinicID}
	if version == 0 {
		q += latestTemplate
	} else {
		q += `t.version = $3`
		args = append(args, version)
	}
	var t care.TrackerTemplate
	if err := notFound(scanTemplate(tx.QueryRowContext(ctx, q, args...), &t)); err != nil {
		return nil, err
	}
	return &t, nil
}

// TrackerTemplateVersions lists every version of a template of the
// actor's clinic's library, the newest first, for whoever reads the
// library (TrackerTemplate).
func (s *Store) TrackerTemplateVersions(ctx context.Context, actor care.Actor, id string) ([]care.TrackerTemplate, error) {
	out := []care.TrackerTemplate{}
	ev := Event(actor, "tracker_template.versions", "tracker_template", care.AuditID(id))
	err := s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		if err := libraryReader(actor); err != nil {
			return err
		}
		if !care.ValidID(id) {
			return care.ErrNotFound
		}
		if err := tx.each(ctx, func(scan func(...any) error) error {
			var t care.TrackerTemplate
			if err := scanTemplate(scanFunc(scan), &t); err != nil {
				return err
			}
			out = append(out, t)
			return nil
		}, `SELECT `+templateColumns+` FROM tracker_templates t WHERE t.id = $1 AND t.clinic_id = $2 ORDER BY t.version DESC`,
			id, actor.ClinicID); err != nil {
			return err
		}
		if len(out) == 0 {
			return care.ErrNotFound
		}
		return nil
	})
	return out, err
}

// CreateTrackerTemplate adds t to the actor's clinic's library as version
// 1. Admins and providers edit the library (anyone else gets
// care.Forbidden). t is validated (care.TrackerTemplate.Validate); a Key
// another template of the clinic has is care.Conflict, so a seed may run
// again. On success t holds the stored template.
func (s *Store) CreateTrackerTemplate(ctx context.Context, actor care.Actor, t *care.TrackerTemplate) error {
	ev := Event(actor, "tracker_template.create", "tracker_template", "")
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if !care.CanEditTrackerLibrary(actor) {
			return care.Errorf(care.Forbidden, "only the clinic's admins and providers edit its tracker library")
		}
		if err := t.Validate(); err != nil {
			return err
		}
		if t.Key != "" {
			var n int
			if err := tx.QueryRowContext(ctx,
				`SELECT count(*) FROM tracker_templates WHERE clinic_id = $1 AND template_key = $2`,
				actor.ClinicID, t.Key).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return care.Errorf(care.Conflict, "the library has a template with this key already")
			}
		}
		t.ID, t.ClinicID, t.Version, t.CreatedBy, t.CreatedAt, t.RetiredAt = care.NewID(), actor.ClinicID, 1, actor.UserID, tx.now, time.Time{}
		ev.EntityID = t.ID
		return tx.insertTemplate(ctx, t)
	})
}

func (tx tx) insertTemplate(ctx context.Context, t *care.TrackerTemplate) error {
	def, err := json.Marshal(templateDocOf(t))
	if err != nil {
		return err
	}
	var retired any
	if !t.RetiredAt.IsZero() {
		retired = micros(t.RetiredAt)
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO tracker_templates (id, version, clinic_id, template_key, name, definition, created_by, created_at, retired_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		t.ID, t.Version, t.ClinicID, nullString(t.Key), t.Name, string(def), nullString(t.CreatedBy), micros(t.CreatedAt), retired)
	return err
}

// UpdateTrackerTemplate saves t as the next version of template id of the
// actor's clinic's library; the versions before stay as they were, and
// entries keep the version they were written with. baseVersion, when not
// 0, is the version the change was made from: if another change came
// first, it is care.Conflict. A field that keeps its id must keep its
// kind (care.Invalid), so that one id means one kind of answer across
// versions. The key stays the template's. Admins and providers edit the
// library (anyone else gets care.Forbidden); a template of another clinic
// is care.ErrNotFound. On success t holds the new version.
func (s *Store) UpdateTrackerTemplate(ctx context.Context, actor care.Actor, id string, baseVersion int, t *care.TrackerTemplate) error {
	ev := Event(actor, "tracker_template.update", "tracker_template", care.AuditID(id))
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if !care.CanEditTrackerLibrary(actor) {
			return care.Errorf(care.Forbidden, "only the clinic's admins and providers edit its tracker library")
		}
		prev, err := tx.template(ctx, actor.ClinicID, id, 0)
		if err != nil {
			return err
		}
		// Take the latest row's lock, so versions are numbered one at a time.
		if _, err := tx.ExecContext(ctx, `UPDATE tracker_templates SET name = name WHERE id = $1 AND version = $2`, id, prev.Version); err != nil {
			return err
		}
		if prev, err = tx.template(ctx, actor.ClinicID, id, 0); err != nil {
			return err
		}
		if baseVersion != 0 && baseVersion != prev.Version {
			return care.Errorf(care.Conflict, "the template changed meanwhile (now version %d); reload it and edit again", prev.Version)
		}
		t.Key = prev.Key
		if err := t.Validate(); err != nil {
			return err
		}
		for i, f := range t.Fields {
			if old := prev.Field(f.ID); old != nil && old.Kind != f.Kind {
				return care.FieldError(fmt.Sprintf("fields.%d.kind", i),
					"must stay %s: entries may have answered this field; give a new field a new id", old.Kind)
			}
		}
		t.ID, t.ClinicID, t.Version, t.CreatedBy, t.CreatedAt = id, actor.ClinicID, prev.Version+1, actor.UserID, tx.now
		if t.RetiredAt.IsZero() {
			t.RetiredAt = prev.RetiredAt
		}
		return tx.insertTemplate(ctx, t)
	})
}

// ---- Trackers of a client ----

const trackerColumns = `tr.id, tr.clinic_id, tr.client_id, tr.template_id, tr.template_version, COALESCE(tr.goal_id, ''),
	tr.schedule_kind, tr.weekdays, tr.minute, tr.reminder, tr.assigned_by, tr.assigned_at, tr.removed_at`

func scanTracker(row interface{ Scan(...any) error }, tr *care.Tracker, trail ...any) error {
	var kind string
	var mask, reminder int
	var assigned int64
	var removed sql.NullInt64
	if err := row.Scan(append([]any{&tr.ID, &tr.ClinicID, &tr.ClientID, &tr.TemplateID, &tr.TemplateVersion, &tr.GoalID,
		&kind, &mask, &tr.Schedule.Minute, &reminder, &tr.AssignedBy, &assigned, &removed}, trail...)...); err != nil {
		return err
	}
	tr.Schedule.Kind, tr.Schedule.Weekdays = care.ScheduleKind(kind), care.WeekdaysFromMask(mask)
	tr.Reminder, tr.AssignedAt, tr.RemovedAt = reminder == 1, fromMicros(assigned), time.Time{}
	if removed.Valid {
		tr.RemovedAt = fromMicros(removed.Int64)
	}
	return nil
}

// AssignTracker assigns the client a tracker made from template
// tr.TemplateID of the clinic's library, at version tr.TemplateVersion
// (0: the latest). Only the client's care team may (anyone else who sees
// the client gets care.Forbidden, everyone else care.ErrNotFound). A
// schedule with no Kind takes the template's; tr.GoalID, if any, must be
// a goal of the client's plan (care.Invalid on goal_id). A retired
// template, or one a client has care.MaxTrackersPerClient trackers
// already, is care.Invalid. On success tr holds the stored tracker with
// its Template.
func (s *Store) AssignTracker(ctx context.Context, actor care.Actor, clientID string, tr *care.Tracker) error {
	ev, err := s.recordEvent(ctx, actor, "tracker.assign", "tracker", "", clientID)
	if err != nil {
		return err
	}
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		rec, err := s.editable(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		if !care.ValidID(tr.TemplateID) {
			return care.FieldError("template_id", "is not a template of the library")
		}
		tmpl, err := tx.template(ctx, rec.ClinicID, tr.TemplateID, tr.TemplateVersion)
		if err != nil {
			if care.ErrorCode(err) == care.NotFound {
				return care.FieldError("template_id", "is not a template of the library")
			}
			return err
		}
		if tmpl.Retired() {
			return care.FieldError("template_id", "is retired from the library")
		}
		if tr.Schedule.Kind == "" {
			tr.Schedule = tmpl.Schedule
			tr.Schedule.Weekdays = slices.Clone(tmpl.Schedule.Weekdays)
		}
		if err := tr.Schedule.Normalize("schedule"); err != nil {
			return err
		}
		if tr.GoalID != "" {
			if !care.ValidID(tr.GoalID) {
				return care.FieldError("goal_id", "is not a goal of this client's plan")
			}
			if err := tx.liveGoal(ctx, rec, tr.GoalID); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return care.FieldError("goal_id", "is not a goal of this client's plan")
				}
				return err
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx,
			`SELECT count(*) FROM client_trackers WHERE client_id = $1 AND clinic_id = $2 AND removed_at IS NULL`,
			rec.ID, rec.ClinicID).Scan(&n); err != nil {
			return err
		}
		if n >= care.MaxTrackersPerClient {
			return care.FieldError("template_id", "this client has %d trackers already; remove one first", n)
		}
		tr.ID, tr.ClinicID, tr.ClientID, tr.TemplateVersion = care.NewID(), rec.ClinicID, rec.ID, tmpl.Version
		tr.AssignedBy, tr.AssignedAt, tr.RemovedAt, tr.Template = actor.UserID, tx.now, time.Time{}, tmpl
		ev.EntityID = tr.ID
		_, err = tx.ExecContext(ctx,
			`INSERT INTO client_trackers (id, clinic_id, client_id, template_id, template_version, goal_id,
			                              schedule_kind, weekdays, minute, reminder, assigned_by, assigned_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			tr.ID, tr.ClinicID, tr.ClientID, tr.TemplateID, tr.TemplateVersion, nullString(tr.GoalID),
			string(tr.Schedule.Kind), scheduleDocOf(tr.Schedule).Weekdays, tr.Schedule.Minute, boolInt(tr.Reminder),
			actor.UserID, micros(tx.now))
		if err != nil {
			return err
		}
		return tx.scheduleTrackerReminder(ctx, tr, rec.TimeZone)
	})
}

// RemoveTracker takes a tracker off the client: it is no longer due, and
// no entry may be added to it; it and its entries stay. Only the care
// team may (care.Forbidden for anyone else who sees the client, else
// care.ErrNotFound). Removing it again changes nothing.
func (s *Store) RemoveTracker(ctx context.Context, actor care.Actor, clientID, trackerID string) error {
	ev, err := s.recordEvent(ctx, actor, "tracker.remove", "tracker", care.AuditID(trackerID), clientID)
	if err != nil {
		return err
	}
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		rec, err := s.editable(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		tr, err := tx.tracker(ctx, rec, trackerID)
		if err != nil {
			return err
		}
		if tr.Removed() {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE client_trackers SET removed_at = $1, removed_by = $2 WHERE id = $3 AND removed_at IS NULL`,
			micros(tx.now), actor.UserID, tr.ID); err != nil {
			return err
		}
		tr.RemovedAt = tx.now
		return tx.scheduleTrackerReminder(ctx, tr, rec.TimeZone) // withdraws its reminder
	})
}

// TrackerChange is a change the care team makes to a tracker; a nil
// field, and a TemplateVersion of 0, leave that part as it is.
type TrackerChange struct {
	Schedule *care.TrackerSchedule
	Reminder *bool
	GoalID   *string // "" unlinks the goal
	// TemplateVersion moves the tracker to that version of its template:
	// entries written from then on are written against it, those before
	// keep theirs.
	TemplateVersion int
}

// UpdateTracker changes a tracker of the client: its schedule, reminder,
// goal or template version. Only the care team may (care.Forbidden for
// anyone else who sees the client, else care.ErrNotFound); a removed
// tracker is care.Conflict; a goal not in the client's plan or a version
// the template does not have is care.Invalid. It returns the tracker as
// saved.
func (s *Store) UpdateTracker(ctx context.Context, actor care.Actor, clientID, trackerID string, ch TrackerChange) (*care.Tracker, error) {
	ev, err := s.recordEvent(ctx, actor, "tracker.update", "tracker", care.AuditID(trackerID), clientID)
	if err != nil {
		return nil, err
	}
	var tr *care.Tracker
	err = s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		rec, err := s.editable(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		if tr, err = tx.tracker(ctx, rec, trackerID); err != nil {
			return err
		}
		if tr.Removed() {
			return care.Errorf(care.Conflict, "this tracker was removed; assign it again instead")
		}
		if ch.Schedule != nil {
			sch := *ch.Schedule
			if err := sch.Normalize("schedule"); err != nil {
				return err
			}
			tr.Schedule = sch
		}
		if ch.Reminder != nil {
			tr.Reminder = *ch.Reminder
		}
		if ch.GoalID != nil && *ch.GoalID != tr.GoalID {
			if *ch.GoalID != "" {
				if !care.ValidID(*ch.GoalID) {
					return care.FieldError("goal_id", "is not a goal of this client's plan")
				}
				if err := tx.liveGoal(ctx, rec, *ch.GoalID); err != nil {
					if errors.Is(err, sql.ErrNoRows) {
						return care.FieldError("goal_id", "is not a goal of this client's plan")
					}
					return err
				}
			}
			tr.GoalID = *ch.GoalID
		}
		if ch.TemplateVersion < 0 {
			return care.FieldError("template_version", "is not a version of this template")
		}
		if ch.TemplateVersion != 0 && ch.TemplateVersion != tr.TemplateVersion {
			tmpl, err := tx.template(ctx, rec.ClinicID, tr.TemplateID, ch.TemplateVersion)
			if err != nil {
				if care.ErrorCode(err) == care.NotFound {
					return care.FieldError("template_version", "is not a version of this template")
				}
				return err
			}
			tr.TemplateVersion, tr.Template = tmpl.Version, tmpl
		}
		_, err = tx.ExecContext(ctx,
			`UPDATE client_trackers SET template_version = $1, goal_id = $2, schedule_kind = $3, weekdays = $4, minute = $5, reminder = $6
			 WHERE id = $7 AND removed_at IS NULL`,
			tr.TemplateVersion, nullString(tr.GoalID), string(tr.Schedule.Kind), scheduleDocOf(tr.Schedule).Weekdays,
			tr.Schedule.Minute, boolInt(tr.Reminder), tr.ID)
		if err != nil {
			return err
		}
		return tx.scheduleTrackerReminder(ctx, tr, rec.TimeZone)
	})
	if err != nil {
		return nil, err
	}
	return tr, nil
}

// tracker reads one tracker of the client, removed or not, with its
// template version.
func (tx tx) tracker(ctx context.Context, rec *clientRecord, trackerID string) (*care.Tracker, error) {
	if !care.ValidID(trackerID) {
		return nil, care.ErrNotFound
	}
	var tr care.Tracker
	tmpl := &care.TrackerTemplate{}
	row := tx.QueryRowContext(ctx,
		`SELECT `+trackerColumns+`, `+templateColumns+`
		 FROM client_trackers tr JOIN tracker_templates t ON t.id = tr.template_id AND t.version = tr.template_version
		 WHERE tr.id = $1 AND tr.client_id = $2 AND tr.clinic_id = $3`,
		trackerID, rec.ID, rec.ClinicID)
	if err := notFound(scanTrackerWithTemplate(row, &tr, tmpl)); err != nil {
		return nil, err
	}
	return &tr, nil
}

func scanTrackerWithTemplate(row interface{ Scan(...any) error }, tr *care.Tracker, tmpl *care.TrackerTemplate) error {
	var def string
	var created int64
	var retired sql.NullInt64
	if err := scanTracker(row, tr, &tmpl.ID, &tmpl.Version, &tmpl.ClinicID, &tmpl.Key, &tmpl.Name, &def,
		&tmpl.CreatedBy, &created, &retired); err != nil {
		return err
	}
	tmpl.CreatedAt = fromMicros(created)
	if retired.Valid {
		tmpl.RetiredAt = fromMicros(retired.Int64)
	}
	var d templateDoc
	if err := json.Unmarshal([]byte(def), &d); err != nil {
		return fmt.Errorf("tracker template %s.%d: the definition is not JSON: %w", tmpl.ID, tmpl.Version, err)
	}
	d.fill(tmpl)
	tr.Template = tmpl
	return nil
}

// TrackersOfClient lists the client's trackers, each with its template
// version, the newest assignment first; removed ones too when removed is
// true. The client, their care team and an admin with an open
// break-glass grant read them; anyone else gets care.ErrNotFound.
func (s *Store) TrackersOfClient(ctx context.Context, actor care.Actor, clientID string, removed bool) ([]care.Tracker, error) {
	ev, err := s.recordEvent(ctx, actor, "tracker.list", "tracker", "", clientID)
	if err != nil {
		return nil, err
	}
	out := []care.Tracker{}
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		out, err = tx.trackers(ctx, rec, removed)
		return err
	})
	return out, err
}

func (tx tx) trackers(ctx context.Context, rec *clientRecord, removed bool) ([]care.Tracker, error) {
	out := []care.Tracker{}
	q := `SELECT ` + trackerColumns + `, ` + templateColumns + `
		FROM client_trackers tr JOIN tracker_templates t ON t.id = tr.template_id AND t.version = tr.template_version
		WHERE tr.client_id = $1 AND tr.clinic_id = $2`
	if !removed {
		q += ` AND tr.removed_at IS NULL`
	}
	err := tx.each(ctx, func(scan func(...any) error) error {
		var tr care.Tracker
		if err := scanTrackerWithTemplate(scanFunc(scan), &tr, &care.TrackerTemplate{}); err != nil {
			return err
		}
		out = append(out, tr)
		return nil
	}, q+` ORDER BY tr.assigned_at DESC, tr.id`, rec.ID, rec.ClinicID)
	return out, err
}

// Tracker returns one tracker of the client, removed or not, with its
// template version, for whoever may read TrackersOfClient.
func (s *Store) Tracker(ctx context.Context, actor care.Actor, clientID, trackerID string) (*care.Tracker, error) {
	ev, err := s.recordEvent(ctx, actor, "tracker.read", "tracker", care.AuditID(trackerID), clientID)
	if err != nil {
		return nil, err
	}
	var tr *care.Tracker
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		tr, err = tx.tracker(ctx, rec, trackerID)
		return err
	})
	return tr, err
}

// ---- Entries ----

// trackerEntryDoc is the sealed content of an entry.
type trackerEntryDoc struct {
	Values  map[string]valueDoc `json:"values"`
	Discuss bool                `json:"discuss,omitempty"`
}

type valueDoc struct {
	K string   `json:"k"`
	N int      `json:"n,omitempty"`
	B bool     `json:"b,omitempty"`
	T string   `json:"t,omitempty"`
	C []string `json:"c,omitempty"`
}

func trackerEntryField(clinicID, clientID, entryID string) field {
	return field{clinic: clinicID, client: clientID, owner: clientID, table: "tracker_entries", column: "body", row: entryID}
}

func (s *Store) sealTrackerEntry(ctx context.Context, tx tx, e *care.TrackerEntry) ([]byte, error) {
	d := trackerEntryDoc{Values: make(map[string]valueDoc, len(e.Values)), Discuss: e.Discuss}
	for id, v := range e.Values {
		d.Values[id] = valueDoc{K: string(v.Kind), N: v.Number, B: v.Bool, T: v.Text, C: v.Choices}
	}
	plain, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	return s.sealValue(ctx, tx, trackerEntryField(e.ClinicID, e.ClientID, e.ID), plain)
}

// trackerEntryVisible is the SQL condition, on a tracker_entries row
// aliased e of a users row c that satisfies visibleClient, that the actor
// ($1) may see the entry: the client all their own, anyone else only
// what is shared (care.CanReadTrackerEntry).
const trackerEntryVisible = `e.clinic_id = c.clinic_id AND e.client_id = c.id AND (c.id = $1 OR e.shared = 1)`

const trackerEntryColumns = `e.id, e.clinic_id, e.client_id, e.tracker_id, e.template_id, e.template_version,
	e.occurred_at, e.created_at, e.updated_at, e.shared, e.body_sealed`

func (s *Store) scanTrackerEntry(ctx context.Context, tx tx, row interface{ Scan(...any) error }, e *care.TrackerEntry) error {
	var occurred, created, updated int64
	var shared int
	var sealed []byte
	if err := row.Scan(&e.ID, &e.ClinicID, &e.ClientID, &e.TrackerID, &e.TemplateID, &e.TemplateVersion,
		&occurred, &created, &updated, &shared, &sealed); err != nil {
		return err
	}
	e.OccurredAt, e.CreatedAt, e.UpdatedAt, e.Shared = fromMicros(occurred), fromMicros(created), fromMicros(updated), shared == 1
	plain, err := s.openValue(ctx, tx, trackerEntryField(e.ClinicID, e.ClientID, e.ID), sealed)
	if err != nil {
		return err
	}
	var d trackerEntryDoc
	if err := json.Unmarshal(plain, &d); err != nil {
		return fmt.Errorf("tracker entry %s: the opened body is not JSON: %w", e.ID, err)
	}
	e.Discuss, e.Values = d.Discuss, make(map[string]care.TrackerValue, len(d.Values))
	for id, v := range d.Values {
		e.Values[id] = care.TrackerValue{Kind: care.FieldKind(v.K), Number: v.N, Bool: v.B, Text: v.T, Choices: v.C}
	}
	return nil
}

// TrackerEntryInput is what a client writes in a tracker.
type TrackerEntryInput struct {
	OccurredAt time.Time
	// Values are the answers as JSON by field id, read strictly against
	// the tracker's template version (care.DecodeTrackerValues). When nil,
	// Typed is used instead (for code that builds entries).
	Values  map[string]json.RawMessage
	Typed   map[string]care.TrackerValue
	Shared  *bool // nil: the client's default (SetShareByDefault), as for the journal
	Discuss bool  // "bring this up" next session
}

// refuseTrackerWrite is the answer to someone who is not the client
// writing in their trackers: care.Forbidden if they may see what they
// tried to change (the client's record, or with entryID the entry), else
// care.ErrNotFound.
func (tx tx) refuseTrackerWrite(ctx context.Context, actor care.Actor, clientID, entryID string) error {
	q := `SELECT count(*) FROM users c WHERE ` + visibleClient + ` AND c.id = $4`
	args := visibleArgs(tx, actor, clientID)
	if entryID != "" {
		q = `SELECT count(*) FROM users c JOIN tracker_entries e ON e.client_id = c.id
		     WHERE ` + visibleClient + ` AND c.id = $4 AND e.id = $5 AND ` + trackerEntryVisible
		args = append(args, entryID)
	}
	var n int
	if err := tx.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return care.ErrNotFound
	}
	return care.Errorf(care.Forbidden, "only the client fills in their trackers")
}

// CreateTrackerEntry writes an entry in tracker trackerID of client
// clientID. Only the client themself may: anyone else who may see the
// client gets care.Forbidden, everyone else care.ErrNotFound. The values
// are read and checked against the tracker's template version; anything
// out of its rules is care.Invalid naming the field ("values.drinks") and
// nothing is stored. A removed tracker takes no more entries
// (care.Conflict). Crisis language in a text value of a shared entry
// raises a safety flag, as in the journal; e.Crisis tells the client's
// screen either way.
func (s *Store) CreateTrackerEntry(ctx context.Context, actor care.Actor, clientID, trackerID string, in TrackerEntryInput) (*care.TrackerEntry, error) {
	ev := Event(actor, "tracker_entry.create", "tracker_entry", "")
	ev.ClientID = clientID
	var e *care.TrackerEntry
	err := s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if !care.CanWriteTrackerEntry(actor, clientID) {
			return tx.refuseTrackerWrite(ctx, actor, clientID, "")
		}
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		tr, err := tx.tracker(ctx, rec, trackerID)
		if err != nil {
			return err
		}
		if tr.Removed() {
			return care.Errorf(care.Conflict, "this tracker was removed; its entries are kept, but it takes no new ones")
		}
		values := maps.Clone(in.Typed) // Validate normalizes in place
		if in.Values != nil {
			if values, err = care.DecodeTrackerValues(tr.Template, in.Values); err != nil {
				return err
			}
		}
		e = &care.TrackerEntry{OccurredAt: in.OccurredAt, Values: values, Discuss: in.Discuss}
		if err := e.Validate(tr.Template, tx.now); err != nil {
			return err
		}
		if in.Shared != nil {
			e.Shared = *in.Shared
		} else if err := tx.QueryRowContext(ctx,
			`SELECT share_by_default = 1 FROM users WHERE id = $1`, rec.ID).Scan(&e.Shared); err != nil {
			return err
		}
		e.ID, e.ClinicID, e.ClientID, e.TrackerID = care.NewID(), rec.ClinicID, rec.ID, tr.ID
		e.CreatedAt, e.UpdatedAt = tx.now, tx.now
		ev.EntityID = e.ID
		sealed, err := s.sealTrackerEntry(ctx, tx, e)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO tracker_entries (id, clinic_id, client_id, tracker_id, template_id, template_version,
			                              occurred_at, created_at, updated_at, shared, body_sealed)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10)`,
			e.ID, e.ClinicID, e.ClientID, e.TrackerID, e.TemplateID, e.TemplateVersion,
			micros(e.OccurredAt), micros(tx.now), boolInt(e.Shared), sealed); err != nil {
			return err
		}
		return tx.crisisCheckTrackerEntry(ctx, actor, e)
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// crisisCheckTrackerEntry is crisisCheckEntry for a tracker entry: crisis
// language in its text values sets e.Crisis, and raises a flag only when
// the entry is shared, since the care team never learns of a private one.
func (tx tx) crisisCheckTrackerEntry(ctx context.Context, actor care.Actor, e *care.TrackerEntry) error {
	level := e.CrisisSignal().Level
	e.Crisis = level > care.CrisisNone
	if !e.Crisis || !e.Shared {
		return nil
	}
	_, err := tx.RaiseSafetyFlag(ctx, actor, &care.SafetyFlag{ClinicID: e.ClinicID, ClientID: e.ClientID,
		Kind: care.FlagCrisisLanguage, Level: level, SourceType: "tracker_entry", SourceID: e.ID})
	return err
}

// UpdateTrackerEntry changes what the client may change of an entry once
// written: whether it is shared (shared, when not nil) and whether to
// bring it up (discuss, when not nil). Sharing an entry with crisis
// language raises a flag then. Only the client may (care.Forbidden for
// anyone who sees the entry, else care.ErrNotFound). trackerID, when not
// "", is the tracker the entry must be of (else care.ErrNotFound).
func (s *Store) UpdateTrackerEntry(ctx context.Context, actor care.Actor, clientID, trackerID, entryID string, shared, discuss *bool) (*care.TrackerEntry, error) {
	ev := Event(actor, "tracker_entry.update", "tracker_entry", care.AuditID(entryID))
	ev.ClientID = clientID
	var e care.TrackerEntry
	err := s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if !care.CanWriteTrackerEntry(actor, clientID) {
			return tx.refuseTrackerWrite(ctx, actor, clientID, entryID)
		}
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		if !care.ValidID(entryID) {
			return care.ErrNotFound
		}
		row := tx.QueryRowContext(ctx,
			`SELECT `+trackerEntryColumns+` FROM tracker_entries e WHERE e.id = $1 AND e.client_id = $2 AND e.clinic_id = $3`,
			entryID, rec.ID, rec.ClinicID)
		if err := notFound(s.scanTrackerEntry(ctx, tx, row, &e)); err != nil {
			return err
		}
		if trackerID != "" && e.TrackerID != trackerID {
			return care.ErrNotFound
		}
		wasShared, wasDiscuss := e.Shared, e.Discuss
		if shared != nil {
			e.Shared = *shared
		}
		if discuss != nil {
			e.Discuss = *discuss
		}
		if e.Shared == wasShared && e.Discuss == wasDiscuss {
			e.Crisis = e.CrisisSignal().Level > care.CrisisNone
			return nil
		}
		e.UpdatedAt = tx.now
		sealed, err := s.sealTrackerEntry(ctx, tx, &e)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE tracker_entries SET shared = $1, updated_at = $2, body_sealed = $3 WHERE id = $4`,
			boolInt(e.Shared), micros(tx.now), sealed, e.ID); err != nil {
			return err
		}
		if e.Shared && !wasShared {
			return tx.crisisCheckTrackerEntry(ctx, actor, &e)
		}
		e.Crisis = e.CrisisSignal().Level > care.CrisisNone
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// TemplateRef names one version of a template.
type TemplateRef struct {
	ID      string
	Version int
}

// TrackerEntryQuery selects entries of a client's trackers. Entries come
// newest first (by the time they tell of, then id).
type TrackerEntryQuery struct {
	TrackerID string    // the entries of this tracker only ("": of all)
	Since     time.Time // entries that occurred at or after this (zero: all)
	Before    time.Time // entries that occurred before this (zero: the newest)
	BeforeID  string    // with Before: also entries at Before whose id sorts before this
	Limit     int       // at most this many (0: care.TrackerEntryPageSize; at most care.MaxTrackerEntryLimit)
}

// TrackerEntryPage is one page of entries, with every template version
// they were written against, to read each entry as it was written.
type TrackerEntryPage struct {
	Entries   []care.TrackerEntry
	Templates map[TemplateRef]*care.TrackerTemplate
	More      bool // there are older entries: ask again with the last one's time and id
}

// Template returns the template version e was written against.
func (p *TrackerEntryPage) Template(e *care.TrackerEntry) *care.TrackerTemplate {
	return p.Templates[TemplateRef{e.TemplateID, e.TemplateVersion}]
}

// TrackerEntries lists entries of the client's trackers as the actor may
// see them (trackerEntryVisible): the client all of them, their care
// team (and an admin with an open break-glass grant) the shared ones
// only. A client the actor may not see is care.ErrNotFound, and so is a
// tracker (q.TrackerID) that is not theirs.
func (s *Store) TrackerEntries(ctx context.Context, actor care.Actor, clientID string, q TrackerEntryQuery) (TrackerEntryPage, error) {
	if q.Limit <= 0 {
		q.Limit = care.TrackerEntryPageSize
	}
	q.Limit = min(q.Limit, care.MaxTrackerEntryLimit)
	return s.trackerEntries(ctx, actor, clientID, q)
}

// maxTrackerChartEntries bounds the entries a chart or a brief reads.
const maxTrackerChartEntries = 5000

// TrackerEntriesSince returns the entries of the client's trackers that
// occurred since since, newest first, as the actor may see them
// (TrackerEntries: the care team sees shared entries only), up to the
// bound of a chart rather than of a page: for the pre-session brief and
// the client's charts.
func (s *Store) TrackerEntriesSince(ctx context.Context, actor care.Actor, clientID string, since time.Time) (TrackerEntryPage, error) {
	return s.trackerEntries(ctx, actor, clientID, TrackerEntryQuery{Since: since, Limit: maxTrackerChartEntries})
}

func (s *Store) trackerEntries(ctx context.Context, actor care.Actor, clientID string, q TrackerEntryQuery) (TrackerEntryPage, error) {
	page := TrackerEntryPage{Entries: []care.TrackerEntry{}, Templates: map[TemplateRef]*care.TrackerTemplate{}}
	ev, err := s.recordEvent(ctx, actor, "tracker_entry.list", "tracker_entry", "", clientID)
	if err != nil {
		return page, err
	}
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		var err error
		page, err = s.trackerEntryPage(ctx, tx, actor, clientID, q)
		return err
	})
	return page, err
}

func (s *Store) trackerEntryPage(ctx context.Context, tx tx, actor care.Actor, clientID string, q TrackerEntryQuery) (TrackerEntryPage, error) {
	page := TrackerEntryPage{Entries: []care.TrackerEntry{}, Templates: map[TemplateRef]*care.TrackerTemplate{}}
	rec, err := s.record(ctx, tx, actor, clientID)
	if err != nil {
		return page, err
	}
	if q.TrackerID != "" {
		if _, err := tx.tracker(ctx, rec, q.TrackerID); err != nil {
			return page, err
		}
	}
	sqlq := `SELECT ` + trackerEntryColumns + ` FROM users c JOIN tracker_entries e ON e.client_id = c.id
		WHERE ` + visibleClient + ` AND c.id = $4 AND ` + trackerEntryVisible
	args := visibleArgs(tx, actor, clientID)
	add := func(cond string, vs ...any) {
		for _, v := range vs {
			args = append(args, v)
			cond = strings.Replace(cond, "?", fmt.Sprintf("$%d", len(args)), 1)
		}
		sqlq += " AND " + cond
	}
	if q.TrackerID != "" {
		add("e.tracker_id = ?", q.TrackerID)
	}
	if !q.Since.IsZero() {
		add("e.occurred_at >= ?", micros(q.Since))
	}
	switch {
	case !q.Before.IsZero() && q.BeforeID != "":
		add("(e.occurred_at < ? OR (e.occurred_at = ? AND e.id < ?))", micros(q.Before), micros(q.Before), q.BeforeID)
	case !q.Before.IsZero():
		add("e.occurred_at < ?", micros(q.Before))
	}
	args = append(args, q.Limit+1)
	sqlq += fmt.Sprintf(" ORDER BY e.occurred_at DESC, e.id DESC LIMIT $%d", len(args))
	s.warmKey(ctx, tx, rec.ClinicID, rec.ID)
	// The rows are closed before the templates are read below.
	err = func() error {
		rows, err := tx.QueryContext(ctx, sqlq, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if len(page.Entries) == q.Limit {
				page.More = true
				break
			}
			var e care.TrackerEntry
			if err := s.scanTrackerEntry(ctx, tx, rows, &e); err != nil {
				return err
			}
			page.Entries = append(page.Entries, e)
		}
		return rows.Err()
	}()
	if err != nil {
		return page, err
	}
	for _, e := range page.Entries {
		ref := TemplateRef{e.TemplateID, e.TemplateVersion}
		if page.Templates[ref] != nil {
			continue
		}
		tmpl, err := tx.template(ctx, rec.ClinicID, ref.ID, ref.Version)
		if err != nil {
			return page, err
		}
		page.Templates[ref] = tmpl
	}
	return page, nil
}

// TrackerEntryRead is one entry with the template version it was written
// against, to show it as it was written whatever the template became.
type TrackerEntryRead struct {
	Entry    care.TrackerEntry
	Template *care.TrackerTemplate
}

// TrackerEntry returns one entry of the client's trackers with its
// template version, as the actor may see it (trackerEntryVisible):
// care.ErrNotFound for anyone but the client when it is private, as when
// it does not exist. trackerID, when not "", is the tracker the entry
// must be of (else care.ErrNotFound).
func (s *Store) TrackerEntry(ctx context.Context, actor care.Actor, clientID, trackerID, entryID string) (*TrackerEntryRead, error) {
	ev, err := s.recordEvent(ctx, actor, "tracker_entry.read", "tracker_entry", care.AuditID(entryID), clientID)
	if err != nil {
		return nil, err
	}
	var out TrackerEntryRead
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		if !care.ValidID(entryID) {
			return care.ErrNotFound
		}
		row := tx.QueryRowContext(ctx,
			`SELECT `+trackerEntryColumns+` FROM users c JOIN tracker_entries e ON e.client_id = c.id
			 WHERE `+visibleClient+` AND c.id = $4 AND e.id = $5 AND `+trackerEntryVisible,
			visibleArgs(tx, actor, clientID, entryID)...)
		if err := notFound(s.scanTrackerEntry(ctx, tx, row, &out.Entry)); err != nil {
			return err
		}
		if trackerID != "" && out.Entry.TrackerID != trackerID {
			return care.ErrNotFound
		}
		out.Template, err = tx.template(ctx, rec.ClinicID, out.Entry.TemplateID, out.Entry.TemplateVersion)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// TrackerAdherence counts, for each of the client's trackers assigned
// during the local days from through to (both included, in the client's
// time zone), the days it was due (while assigned, from the first due
// time after its assignment, and up to the client's today: a day to come
// is not missed), the due days with an entry, and the entries in all, as
// the actor may see them: the care team
// counts shared entries only, never a private one, so that adherence
// tells nothing of what the client kept to themself. The order is
// TrackersOfClient's, removed trackers included while they overlap the
// period.
func (s *Store) TrackerAdherence(ctx context.Context, actor care.Actor, clientID string, from, to care.Day) ([]care.TrackerAdherence, error) {
	if _, err := care.ParseDay(string(from)); err != nil {
		return nil, care.FieldError("from", "must be a date as YYYY-MM-DD")
	}
	if _, err := care.ParseDay(string(to)); err != nil {
		return nil, care.FieldError("to", "must be a date as YYYY-MM-DD")
	}
	if to.Before(from) || from.AddDays(400).Before(to) {
		return nil, care.FieldError("to", "must be after from, within 400 days")
	}
	ev, err := s.recordEvent(ctx, actor, "tracker.adherence", "tracker", "", clientID)
	if err != nil {
		return nil, err
	}
	out := []care.TrackerAdherence{}
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		trackers, err := tx.trackers(ctx, rec, true)
		if err != nil {
			return err
		}
		loc := care.Location(rec.TimeZone)
		start := from.Time()
		start = time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, loc)
		end := to.AddDays(1).Time()
		end = time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, loc)
		// Only the entries' tracker and time are read: nothing is opened.
		days := map[string]map[care.Day]bool{}
		counts := map[string]int{}
		err = tx.each(ctx, func(scan func(...any) error) error {
			var id string
			var at int64
			if err := scan(&id, &at); err != nil {
				return err
			}
			if days[id] == nil {
				days[id] = map[care.Day]bool{}
			}
			days[id][care.DayIn(fromMicros(at), rec.TimeZone)] = true
			counts[id]++
			return nil
		}, `SELECT e.tracker_id, e.occurred_at FROM users c JOIN tracker_entries e ON e.client_id = c.id
			WHERE `+visibleClient+` AND c.id = $4 AND `+trackerEntryVisible+` AND e.occurred_at >= $5 AND e.occurred_at < $6`,
			visibleArgs(tx, actor, clientID, micros(start), micros(end))...)
		if err != nil {
			return err
		}
		today := rec.today(tx)
		for i := range trackers {
			a, ok := care.AdherenceOf(&trackers[i], rec.TimeZone, from, to, today, days[trackers[i].ID], counts[trackers[i].ID])
			if !ok {
				continue // not assigned during the period
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

// caseloadMissedTrackers counts, for each client of the provider's care
// teams, the days of the last week (care.TrackerMissedWindow, today left
// out: it is not over) a tracker was due and no shared entry of it came:
// the care team counts only what it may see, as TrackerAdherence does for
// it. Two queries, nothing opened: the active trackers, and the shared
// entries' tracker and time.
func (tx tx) caseloadMissedTrackers(ctx context.Context, actor care.Actor, zones map[string]string) (map[string]int, error) {
	var trackers []care.Tracker
	err := tx.each(ctx, func(scan func(...any) error) error {
		var tr care.Tracker
		if err := scanTracker(scanFunc(scan), &tr); err != nil {
			return err
		}
		trackers = append(trackers, tr)
		return nil
	}, `SELECT `+trackerColumns+` FROM client_trackers tr
		JOIN care_team ct ON ct.client_id = tr.client_id AND ct.clinic_id = tr.clinic_id AND ct.provider_id = $1
		WHERE tr.clinic_id = $2 AND tr.removed_at IS NULL`, actor.UserID, actor.ClinicID)
	if err != nil || len(trackers) == 0 {
		return nil, err
	}
	since := tx.now.Add(-(care.TrackerMissedWindow + 24) * time.Hour)
	done := map[string]map[care.Day]bool{}
	err = tx.each(ctx, func(scan func(...any) error) error {
		var client, tracker string
		var at int64
		if err := scan(&client, &tracker, &at); err != nil {
			return err
		}
		if done[tracker] == nil {
			done[tracker] = map[care.Day]bool{}
		}
		done[tracker][care.DayIn(fromMicros(at), zones[client])] = true
		return nil
	}, `SELECT e.client_id, e.tracker_id, e.occurred_at FROM tracker_entries e
		JOIN care_team ct ON ct.client_id = e.client_id AND ct.clinic_id = e.clinic_id AND ct.provider_id = $1
		WHERE e.clinic_id = $2 AND e.shared = 1 AND e.occurred_at >= $3`, actor.UserID, actor.ClinicID, micros(since))
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for i := range trackers {
		tr := &trackers[i]
		zone, ok := zones[tr.ClientID]
		if !ok {
			continue // a client the caseload does not list (disabled)
		}
		today := care.DayIn(tx.now, zone)
		a, ok := care.AdherenceOf(tr, zone, today.AddDays(-care.TrackerMissedWindow/24), today.AddDays(-1), today, done[tr.ID], 0)
		if ok {
			out[tr.ClientID] += a.DueDays - a.DoneDays
		}
	}
	return out, nil
}
