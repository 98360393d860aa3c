package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"interlude/internal/care"
)

// Safety flags (issues #6 and #7). A flag is raised inside the
// transaction of what raised it (a client's message, a shared journal
// entry, a measure response), with an audit row of its own, so that a
// committed cause always has its flag. Flags are read by the care team
// (visibleClient: an admin only through break-glass) and acknowledged by
// a provider of the care team with a note sealed under the client's key.
// Rows carry ids and times only.

// flagNoteField is the sealed acknowledgement note of a flag.
func flagNoteField(clinicID, clientID, flagID string) field {
	return field{clinic: clinicID, client: clientID, owner: clientID, table: "safety_flags", column: "ack_note", row: flagID}
}

const flagColumns = `f.id, f.clinic_id, f.client_id, f.kind, f.source_type, f.source_id, f.raised_at,
	COALESCE(f.acknowledged_by, ''), f.acknowledged_at, f.ack_note_sealed, f.escalated_at`

func (s *Store) scanFlag(ctx context.Context, tx tx, row interface{ Scan(...any) error }, f *care.SafetyFlag) error {
	var raised int64
	var acked, escalated sql.NullInt64
	var note []byte
	if err := row.Scan(&f.ID, &f.ClinicID, &f.ClientID, &f.Kind, &f.SourceType, &f.SourceID, &raised,
		&f.AcknowledgedBy, &acked, &note, &escalated); err != nil {
		return err
	}
	f.RaisedAt = fromMicros(raised)
	if acked.Valid {
		f.AcknowledgedAt = fromMicros(acked.Int64)
	}
	if escalated.Valid {
		f.EscalatedAt = fromMicros(escalated.Int64)
	}
	if note != nil {
		plain, err := s.openValue(ctx, tx, flagNoteField(f.ClinicID, f.ClientID, f.ID), note)
		if err != nil {
			return err
		}
		f.Note = string(plain)
	}
	return nil
}

// RaiseSafetyFlag raises a flag of f.Kind for client f.ClientID of clinic
// f.ClinicID, caused by the record f.SourceType/f.SourceID, inside the
// transaction that wrote that record, and audits it as done by actor
// (whose action raised it). A source raises a flag of a kind at most once:
// if it has raised one already, RaiseSafetyFlag changes nothing and
// returns false. On success f holds the stored flag.
//
// The caller has checked that the actor may write what raised the flag.
// Call it only for what the care team may see: a client's private journal
// entry never raises a flag (docs/threat-model.md, "Safety flags").
func (tx tx) RaiseSafetyFlag(ctx context.Context, actor care.Actor, f *care.SafetyFlag) (bool, error) {
	if !f.Kind.Valid() || f.SourceType == "" || f.SourceID == "" || f.ClientID == "" || f.ClinicID == "" {
		return false, fmt.Errorf("safety flag: kind %q, source %q/%q, client %q: incomplete", f.Kind, f.SourceType, f.SourceID, f.ClientID)
	}
	id := care.NewID()
	res, err := tx.ExecContext(ctx,
		`INSERT INTO safety_flags (id, clinic_id, client_id, kind, source_type, source_id, raised_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (kind, source_type, source_id) DO NOTHING`,
		id, f.ClinicID, f.ClientID, string(f.Kind), f.SourceType, f.SourceID, micros(tx.now))
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	f.ID, f.RaisedAt = id, tx.now
	f.AcknowledgedBy, f.AcknowledgedAt, f.Note, f.EscalatedAt = "", time.Time{}, "", time.Time{}
	ev := Event(actor, "safety_flag.raise", "safety_flag", f.ID)
	ev.ClientID, ev.ClinicID = f.ClientID, f.ClinicID
	ev.Reason = string(f.Kind)
	return true, tx.audit(ctx, ev)
}

// ListOpenFlags returns the open safety flags the actor may see, oldest
// first: of client clientID, or with clientID "" of every client the actor
// sees (a provider's caseload). It is audited as a read of flag metadata.
// A client the actor may not see is care.ErrNotFound; a client gets
// care.ErrNotFound too: flags are for the care team.
func (s *Store) ListOpenFlags(ctx context.Context, actor care.Actor, clientID string) ([]care.SafetyFlag, error) {
	return s.flags(ctx, actor, clientID, true)
}

// SafetyFlags returns every safety flag of client clientID, open and
// acknowledged (with the note), newest first, for their care team.
func (s *Store) SafetyFlags(ctx context.Context, actor care.Actor, clientID string) ([]care.SafetyFlag, error) {
	if clientID == "" {
		return nil, care.ErrNotFound
	}
	return s.flags(ctx, actor, clientID, false)
}

func (s *Store) flags(ctx context.Context, actor care.Actor, clientID string, open bool) ([]care.SafetyFlag, error) {
	out := []care.SafetyFlag{}
	ev := Event(actor, "safety_flag.list", "safety_flag", "")
	ev.ClientID = clientID
	if err := s.markBreakGlass(ctx, actor, &ev); err != nil {
		return nil, err
	}
	err := s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		if actor.Role == care.RoleClient {
			return care.ErrNotFound
		}
		q := `SELECT ` + flagColumns + ` FROM users c JOIN safety_flags f ON f.client_id = c.id AND f.clinic_id = c.clinic_id
			WHERE ` + visibleClient + ` AND c.deleted_at IS NULL`
		args := visibleArgs(tx, actor)
		if clientID != "" {
			if err := tx.journalClient(ctx, actor, clientID); err != nil {
				return err
			}
			args = append(args, clientID)
			q += ` AND c.id = $4`
		}
		if open {
			q += ` AND f.acknowledged_at IS NULL ORDER BY f.raised_at, f.id`
		} else {
			q += ` ORDER BY f.raised_at DESC, f.id DESC`
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var f care.SafetyFlag
			if err := s.scanFlag(ctx, tx, rows, &f); err != nil {
				return err
			}
			out = append(out, f)
		}
		return rows.Err()
	})
	return out, err
}

// AcknowledgeFlag closes flag flagID of client clientID with the
// provider's note (care.ValidateAckNote), sealed. Only a provider of the
// care team may: an admin under break-glass gets care.Forbidden, anyone
// else care.ErrNotFound. A flag acknowledged already is care.Conflict and
// keeps its first note.
func (s *Store) AcknowledgeFlag(ctx context.Context, actor care.Actor, clientID, flagID, note string) (*care.SafetyFlag, error) {
	ev := Event(actor, "safety_flag.acknowledge", "safety_flag", flagID)
	ev.ClientID = clientID
	if err := s.markBreakGlass(ctx, actor, &ev); err != nil {
		return nil, err
	}
	var f care.SafetyFlag
	err := s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if actor.Role == care.RoleClient {
			return care.ErrNotFound
		}
		if err := tx.journalClient(ctx, actor, clientID); err != nil {
			return err
		}
		row := tx.QueryRowContext(ctx,
			`SELECT `+flagColumns+` FROM users c JOIN safety_flags f ON f.client_id = c.id AND f.clinic_id = c.clinic_id
			 WHERE `+visibleClient+` AND c.id = $4 AND f.id = $5`, visibleArgs(tx, actor, clientID, flagID)...)
		if err := notFound(s.scanFlag(ctx, tx, row, &f)); err != nil {
			return err
		}
		if !care.CanAcknowledgeFlag(actor) {
			return care.Errorf(care.Forbidden, "only a provider of the care team acknowledges a safety flag")
		}
		if !f.Open() {
			return care.Errorf(care.Conflict, "this flag was acknowledged already")
		}
		if err := care.ValidateAckNote(note); err != nil {
			return err
		}
		sealed, err := s.sealValue(ctx, tx, flagNoteField(f.ClinicID, f.ClientID, f.ID), []byte(note))
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx,
			`UPDATE safety_flags SET acknowledged_by = $1, acknowledged_at = $2, ack_note_sealed = $3
			 WHERE id = $4 AND acknowledged_at IS NULL`, actor.UserID, micros(tx.now), sealed, f.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return care.Errorf(care.Conflict, "this flag was acknowledged already")
		}
		f.AcknowledgedBy, f.AcknowledgedAt, f.Note = actor.UserID, tx.now, note
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// crisisCheckMessage raises a crisis-language flag for a client's message
// that holds crisis language, in the transaction that writes it, and marks
// m so that the sender sees crisis resources. The message is delivered
// whatever it says. The care team's own messages raise nothing.
func (tx tx) crisisCheckMessage(ctx context.Context, actor care.Actor, m *care.Message) error {
	m.Crisis = false
	if actor.Role != care.RoleClient || !care.CrisisLanguage(m.Text) {
		return nil
	}
	m.Crisis = true
	_, err := tx.RaiseSafetyFlag(ctx, actor, &care.SafetyFlag{ClinicID: m.ClinicID, ClientID: m.ClientID,
		Kind: care.FlagCrisisLanguage, SourceType: "message", SourceID: m.ID})
	return err
}

// crisisCheckEntry marks a journal entry whose words hold crisis language,
// so that the client sees crisis resources, and raises a flag for it if
// the care team may see it. A private entry raises nothing and leaves no
// trace beyond the entry itself: the care team never learns that it
// exists (docs/threat-model.md, "Safety flags").
func (tx tx) crisisCheckEntry(ctx context.Context, actor care.Actor, e *care.JournalEntry) error {
	e.Crisis = !e.Deleted() && e.CrisisLanguage()
	if !e.Crisis || !e.Shared {
		return nil
	}
	_, err := tx.RaiseSafetyFlag(ctx, actor, &care.SafetyFlag{ClinicID: e.ClinicID, ClientID: e.ClientID,
		Kind: care.FlagCrisisLanguage, SourceType: "journal_entry", SourceID: e.ID})
	return err
}
