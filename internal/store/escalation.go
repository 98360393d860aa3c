package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"interlude/internal/care"
)

// Escalation of safety flags (issue #7). Raising a flag enqueues, in the
// same transaction, its notifications to the care team and its
// escalation job (enqueueFlagJobs). The escalation job runs the clinic's
// escalation time later: if the flag is still open, EscalateSafetyFlag
// marks it escalated and enqueues a notification to the clinic's on-call
// provider, or, with none set (or one no longer active), to each active
// admin of the clinic. The in-app notice of each notification commits
// with its job's end (DeliverSafetyNotice), so it exists exactly once.
// The on-call provider may then see and acknowledge that one flag (not
// the client's record) while it is open: docs/threat-model.md.

// SafetySettings returns the safety settings of the actor's clinic. Staff
// may read them; a client gets care.ErrNotFound.
func (s *Store) SafetySettings(ctx context.Context, actor care.Actor) (care.SafetySettings, error) {
	var set care.SafetySettings
	if actor.Role != care.RoleAdmin && actor.Role != care.RoleProvider {
		return set, care.ErrNotFound
	}
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		var err error
		set, err = tx.safetySettings(ctx, actor.ClinicID)
		return err
	})
	return set, err
}

func (tx tx) safetySettings(ctx context.Context, clinicID string) (care.SafetySettings, error) {
	var set care.SafetySettings
	err := tx.QueryRowContext(ctx, `SELECT escalation_minutes, COALESCE(on_call_provider_id, '') FROM clinics WHERE id = $1`,
		clinicID).Scan(&set.EscalationMinutes, &set.OnCallProviderID)
	return set, notFound(err)
}

// activeProvider is the SQL condition that user u is an active provider
// of clinic $2.
const activeProvider = `u.clinic_id = $2 AND u.role = 'provider' AND u.disabled_at IS NULL AND u.deleted_at IS NULL`

// SetSafetySettings sets the safety settings of the admin's clinic: the
// escalation time (care.SafetySettings.Validate) and the on-call
// provider, an active provider of the clinic or "" for none. It is
// audited; the audit row names the on-call provider by id. Anyone but an
// admin gets care.Forbidden. A flag raised before keeps the escalation
// time it was raised with.
func (s *Store) SetSafetySettings(ctx context.Context, actor care.Actor, set care.SafetySettings) error {
	if err := set.Validate(); err != nil {
		return err
	}
	ev := Event(actor, "clinic.safety_settings", "clinic", actor.ClinicID)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleAdmin {
			return care.Errorf(care.Forbidden, "only an admin sets the clinic's safety settings")
		}
		var onCall any
		if set.OnCallProviderID != "" {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users u WHERE u.id = $1 AND `+activeProvider,
				set.OnCallProviderID, actor.ClinicID).Scan(&n); err != nil {
				return err
			}
			if n != 1 {
				return care.FieldError("on_call_provider_id", "is not an active provider of the clinic")
			}
			onCall = set.OnCallProviderID
			ev.Reason = "on-call " + set.OnCallProviderID
		}
		_, err := tx.ExecContext(ctx, `UPDATE clinics SET escalation_minutes = $1, on_call_provider_id = $2 WHERE id = $3`,
			set.EscalationMinutes, onCall, actor.ClinicID)
		return err
	})
}

// EscalateSafetyFlag does escalation job j (JobSafetyEscalate) in one
// transaction with the job's end: if flag j.RefID is still open and not
// escalated yet, it sets escalated_at (and escalated_to, the on-call
// provider, if the clinic has an active one), audits safety_flag.escalate
// and enqueues a JobSafetyEscalated notification to each recipient: the
// on-call provider, or else every active admin of the clinic. A flag
// acknowledged meanwhile ends the job with nothing sent. It reports
// whether the flag escalated; ErrLeaseLost when j's claim is no longer
// current.
func (s *Store) EscalateSafetyFlag(ctx context.Context, j Job) (escalated bool, err error) {
	ev := care.AuditEvent{Action: "safety_flag.escalate", EntityType: "safety_flag", EntityID: j.RefID,
		ClinicID: j.ClinicID, ClientID: j.ClientID, Outcome: care.OutcomeSuccess, Purpose: care.PurposeEscalation}
	err = s.write(ctx, func(ctx context.Context, tx tx) error {
		escalated = false
		if err := tx.finishJob(ctx, j); err != nil {
			return err
		}
		var acked, esc sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT acknowledged_at, escalated_at FROM safety_flags WHERE id = $1 AND clinic_id = $2`,
			j.RefID, j.ClinicID).Scan(&acked, &esc)
		if errors.Is(err, sql.ErrNoRows) || acked.Valid || esc.Valid {
			return nil // gone, acknowledged in time, or escalated already
		}
		if err != nil {
			return err
		}
		set, err := tx.safetySettings(ctx, j.ClinicID)
		if err != nil {
			return err
		}
		var onCall any
		recipients := []string{}
		if set.OnCallProviderID != "" {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users u WHERE u.id = $1 AND `+activeProvider,
				set.OnCallProviderID, j.ClinicID).Scan(&n); err != nil {
				return err
			}
			if n == 1 {
				onCall = set.OnCallProviderID
				recipients = append(recipients, set.OnCallProviderID)
			}
		}
		if onCall == nil {
			if recipients, err = tx.activeAdmins(ctx, j.ClinicID); err != nil {
				return err
			}
			ev.Reason = "to the clinic's admins: no on-call provider"
		} else {
			ev.Reason = "to the on-call provider " + set.OnCallProviderID
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE safety_flags SET escalated_at = $1, escalated_to = $2 WHERE id = $3 AND acknowledged_at IS NULL AND escalated_at IS NULL`,
			micros(tx.now), onCall, j.RefID); err != nil {
			return err
		}
		for _, u := range recipients {
			if _, err := tx.enqueueJob(ctx, Job{ClinicID: j.ClinicID, Kind: JobSafetyEscalated,
				DedupeKey: JobSafetyEscalated + ":" + j.RefID + ":" + u, ClientID: j.ClientID, UserID: u, RefID: j.RefID, MaxAttempts: 50}); err != nil {
				return err
			}
		}
		escalated = true
		return tx.audit(ctx, ev)
	})
	return escalated, err
}

// activeAdmins are the ids of the active admins of a clinic.
func (tx tx) activeAdmins(ctx context.Context, clinicID string) ([]string, error) {
	rows, err := tx.QueryContext(ctx,
		`SELECT id FROM users WHERE clinic_id = $1 AND role = 'admin' AND disabled_at IS NULL AND deleted_at IS NULL ORDER BY id`, clinicID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// DeliverSafetyNotice delivers the in-app notice of safety job j
// (JobSafetyNotify or JobSafetyEscalated) to its recipient and finishes
// the job, in one transaction: the notice is committed exactly once,
// however often the job runs (ErrLeaseLost when another worker's claim
// has replaced j's). A recipient who may no longer have it (a provider
// who left the care team, an on-call provider the flag did not go to, a
// disabled admin) gets nothing, and the job ends.
func (s *Store) DeliverSafetyNotice(ctx context.Context, j Job) error {
	return s.write(ctx, func(ctx context.Context, tx tx) error {
		var n int
		kind := NoticeSafetyFlag
		q := `SELECT count(*) FROM care_team WHERE client_id = $1 AND provider_id = $2 AND clinic_id = $3`
		args := []any{j.ClientID, j.UserID, j.ClinicID}
		if j.Kind == JobSafetyEscalated {
			kind = NoticeSafetyEscalated
			q = `SELECT count(*) FROM safety_flags f JOIN users u ON u.id = $2 AND u.clinic_id = f.clinic_id
				WHERE f.id = $1 AND f.clinic_id = $3 AND u.disabled_at IS NULL AND u.deleted_at IS NULL
				  AND ((u.role = 'provider' AND f.escalated_to = u.id) OR (u.role = 'admin' AND f.escalated_to IS NULL))`
			args = []any{j.RefID, j.UserID, j.ClinicID}
		}
		if err := tx.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			return err
		}
		if n == 1 {
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO notices (id, clinic_id, user_id, kind, subject_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				care.NewID(), j.ClinicID, j.UserID, kind, j.RefID, micros(tx.now)); err != nil {
				return err
			}
		}
		return tx.finishJob(ctx, j)
	})
}

// SafetyNotice is an unread in-app notice of the safety workflow: ids and
// times only, no PHI.
type SafetyNotice struct {
	ID        string
	Kind      string // NoticeSafetyFlag or NoticeSafetyEscalated
	FlagID    string
	ClientID  string
	RaisedAt  time.Time
	CreatedAt time.Time
	Open      bool // not acknowledged yet
}

// SafetyNotices returns the actor's unread safety notices, newest first,
// with the flag each is about. They hold ids and times only: the flag
// itself is read through ListOpenFlags, audited.
func (s *Store) SafetyNotices(ctx context.Context, actor care.Actor) ([]SafetyNotice, error) {
	out := []SafetyNotice{}
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		rows, err := tx.QueryContext(ctx,
			`SELECT n.id, n.kind, f.id, f.client_id, f.raised_at, n.created_at, f.acknowledged_at IS NULL
			 FROM notices n JOIN safety_flags f ON f.id = n.subject_id AND f.clinic_id = n.clinic_id
			 WHERE n.user_id = $1 AND n.clinic_id = $2 AND n.read_at IS NULL AND n.kind IN ($3, $4)
			 ORDER BY n.created_at DESC, n.id DESC LIMIT 50`, actor.UserID, actor.ClinicID, NoticeSafetyFlag, NoticeSafetyEscalated)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n SafetyNotice
			var raised, created int64
			if err := rows.Scan(&n.ID, &n.Kind, &n.FlagID, &n.ClientID, &raised, &created, &n.Open); err != nil {
				return err
			}
			n.RaisedAt, n.CreatedAt = fromMicros(raised), fromMicros(created)
			out = append(out, n)
		}
		return rows.Err()
	})
	return out, err
}

// CountOpenFlags counts the open flags a provider may see (care team, and
// escalated to them): a number, no client, for the banner of their home
// page. Anyone else gets 0.
func (s *Store) CountOpenFlags(ctx context.Context, actor care.Actor) (int, error) {
	var n int
	if actor.Role != care.RoleProvider {
		return 0, nil
	}
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		return tx.QueryRowContext(ctx,
			`SELECT count(*) FROM users c JOIN safety_flags f ON f.client_id = c.id AND f.clinic_id = c.clinic_id
			 WHERE ((`+visibleClient+`) OR (c.clinic_id = $2 AND c.role = 'client' AND f.escalated_to = $1))
			   AND c.deleted_at IS NULL AND f.acknowledged_at IS NULL`, visibleArgs(tx, actor)...).Scan(&n)
	})
	return n, err
}
