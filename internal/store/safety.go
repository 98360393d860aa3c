package store

import (
	"context"
	"database/sql"
	"errors"
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

// flagColumns are a flag's columns, for safety_flags aliased f.
const flagColumns = `f.id, f.clinic_id, f.client_id, f.kind, f.source_type, f.source_id, f.raised_at,
	COALESCE(f.acknowledged_by, ''), f.acknowledged_at, f.ack_note_sealed, f.escalated_at, f.level, COALESCE(f.item9, 0), f.not_a_concern, COALESCE(f.screener_result, '')`

// scanFlag scans flagColumns, then trail, into f, and opens the note.
func (s *Store) scanFlag(ctx context.Context, tx tx, row interface{ Scan(...any) error }, f *care.SafetyFlag, trail ...any) error {
	var raised int64
	var acked, escalated sql.NullInt64
	var note []byte
	var level string
	var notConcern int
	if err := row.Scan(append([]any{&f.ID, &f.ClinicID, &f.ClientID, &f.Kind, &f.SourceType, &f.SourceID, &raised,
		&f.AcknowledgedBy, &acked, &note, &escalated, &level, &f.Item9, &notConcern, &f.Screener}, trail...)...); err != nil {
		return err
	}
	f.NotAConcern = notConcern == 1
	f.Level = flagLevelOf(level)
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

// openFlagClientName opens the client's display name, read with a flag
// as c.name_sealed, into f.ClientName.
func (s *Store) openFlagClientName(ctx context.Context, tx tx, f *care.SafetyFlag, sealed []byte) error {
	u := care.User{ID: f.ClientID, ClinicID: f.ClinicID, Role: care.RoleClient}
	name, err := s.openValue(ctx, tx, userField(&u, "display_name"), sealed)
	f.ClientName = string(name)
	return err
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
	if f.Level != care.CrisisConcern {
		f.Level = care.CrisisAcute // a flag is a priority flag unless it says otherwise
	}
	var item9 any
	if f.Item9 != 0 {
		if f.Kind != care.FlagPHQ9Item9 || f.Item9 < 1 || f.Item9 > 3 {
			return false, fmt.Errorf("safety flag: item 9 answer %d on a %s flag", f.Item9, f.Kind)
		}
		item9 = f.Item9
	}
	id := care.NewID()
	res, err := tx.ExecContext(ctx,
		`INSERT INTO safety_flags (id, clinic_id, client_id, kind, source_type, source_id, raised_at, level, item9)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (kind, source_type, source_id) DO NOTHING`,
		id, f.ClinicID, f.ClientID, string(f.Kind), f.SourceType, f.SourceID, micros(tx.now), f.Level.String(), item9)
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
	if err := tx.audit(ctx, ev); err != nil {
		return false, err
	}
	return true, tx.enqueueFlagJobs(ctx, f)
}

// flagLevelOf reads a flag's level column: 'concern', or else a priority
// flag.
func flagLevelOf(s string) care.CrisisLevel {
	if s == care.CrisisConcern.String() {
		return care.CrisisConcern
	}
	return care.CrisisAcute
}

// Jobs of the safety-flag workflow (issue #7), enqueued with the flag and
// carrying ids only: RefID is the flag.
const (
	// JobSafetyNotify tells one provider of the care team (UserID) that
	// flag RefID was raised.
	JobSafetyNotify = "safety.notify"
	// JobSafetyEscalate escalates flag RefID if it is still open when it
	// runs, the clinic's escalation time after the flag was raised.
	JobSafetyEscalate = "safety.escalate"
	// JobSafetyEscalated tells one recipient of an escalation (UserID: the
	// on-call provider, or an admin) that flag RefID escalated to them.
	JobSafetyEscalated = "safety.escalated"
)

// The kinds of in-app notice of the safety workflow; their subject is the
// flag.
const (
	// NoticeSafetyFlag tells a provider of the care team of a new flag.
	NoticeSafetyFlag = "safety-flag"
	// NoticeSafetyEscalated tells the on-call provider, or an admin, of a
	// flag nobody acknowledged in time.
	NoticeSafetyEscalated = "safety-escalated"
)

// enqueueFlagJobs enqueues, in the transaction that raised flag f, its
// notification to each provider of the care team and its escalation,
// due the clinic's escalation time later; at once when the client has no
// care team to tell. Once the flag is committed, neither can be lost.
func (tx tx) enqueueFlagJobs(ctx context.Context, f *care.SafetyFlag) error {
	team, err := tx.threadAudience(ctx, f.ClinicID, f.ClientID) // the client, then the care team
	if err != nil {
		return err
	}
	for _, p := range team[1:] {
		if _, err := tx.enqueueJob(ctx, Job{ClinicID: f.ClinicID, Kind: JobSafetyNotify,
			DedupeKey: JobSafetyNotify + ":" + f.ID + ":" + p, ClientID: f.ClientID, UserID: p, RefID: f.ID, MaxAttempts: 50}); err != nil {
			return err
		}
	}
	set, err := tx.safetySettings(ctx, f.ClinicID)
	if err != nil {
		return err
	}
	due := f.RaisedAt.Add(time.Duration(set.EscalationMinutes) * time.Minute)
	if len(team) == 1 {
		due = f.RaisedAt
	}
	_, err = tx.enqueueJob(ctx, Job{ClinicID: f.ClinicID, Kind: JobSafetyEscalate, DedupeKey: JobSafetyEscalate + ":" + f.ID,
		ClientID: f.ClientID, RefID: f.ID, RefAt: f.RaisedAt, RunAt: due, MaxAttempts: 50})
	return err
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
	var out []care.SafetyFlag
	ev := Event(actor, "safety_flag.list", "safety_flag", "")
	ev.ClientID = clientID
	if err := s.markBreakGlass(ctx, actor, &ev); err != nil {
		return nil, err
	}
	err := s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		var err error
		out, err = s.flagList(ctx, tx, actor, clientID, open)
		return err
	})
	if err != nil {
		return nil, err
	}
	// The on-call provider reads a client's flag outside the care team:
	// one more audit row per such flag names its client.
	for _, f := range out {
		if f.OnCall {
			oc := Event(actor, "safety_flag.read", "safety_flag", f.ID)
			oc.ClientID, oc.Purpose = f.ClientID, care.PurposeOnCall
			if err := s.Audit(ctx, oc); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// flagList reads the safety flags as flags does, in tx, without the
// on-call audit rows, which are flags's to write (ListOpenFlags,
// SafetyFlags, ClientRecord).
func (s *Store) flagList(ctx context.Context, tx tx, actor care.Actor, clientID string, open bool) ([]care.SafetyFlag, error) {
	out := []care.SafetyFlag{}
	if actor.Role == care.RoleClient {
		return nil, care.ErrNotFound
	}
	// Through visibleClient: the care team (and an admin under
	// break-glass). In a provider's list of every open flag, also the
	// open flags escalated to them as the clinic's on-call provider.
	seen := `(` + visibleClient + `)`
	cond := seen
	if open && clientID == "" && actor.Role == care.RoleProvider {
		cond = `(` + seen + ` OR (c.clinic_id = $2 AND c.role = 'client' AND f.escalated_to = $1))`
	}
	q := `SELECT ` + flagColumns + `, COALESCE(f.escalated_to, ''), c.name_sealed, ` + seen + ` FROM users c JOIN safety_flags f ON f.client_id = c.id AND f.clinic_id = c.clinic_id
		WHERE ` + cond + ` AND c.deleted_at IS NULL`
	args := visibleArgs(tx, actor)
	if clientID != "" {
		if err := tx.journalClient(ctx, actor, clientID); err != nil {
			return nil, err
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
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var f care.SafetyFlag
		var team bool
		var name []byte
		if err := s.scanFlag(ctx, tx, rows, &f, &f.EscalatedTo, &name, &team); err != nil {
			return nil, err
		}
		if err := s.openFlagClientName(ctx, tx, &f, name); err != nil {
			return nil, err
		}
		f.OnCall = !team
		out = append(out, f)
	}
	return out, rows.Err()
}

// AcknowledgeFlag closes flag flagID of client clientID with the
// provider's note (care.ValidateAckNote), sealed. A provider of the care
// team may, and so may the on-call provider an open flag escalated to
// (audited with care.PurposeOnCall): that provider sees the flag, not
// the client's record. An admin under break-glass gets care.Forbidden,
// anyone else care.ErrNotFound. A flag acknowledged already is
// care.Conflict and keeps its first note.
func (s *Store) AcknowledgeFlag(ctx context.Context, actor care.Actor, clientID, flagID, note string) (*care.SafetyFlag, error) {
	return s.acknowledgeFlag(ctx, actor, clientID, flagID, note, false)
}

// MarkFlagNotAConcern acknowledges flag flagID of client clientID as a
// false alarm (issue #16), note saying why, as AcknowledgeFlag does
// otherwise. Such flags are counted for the clinic's admins
// (NotAConcernCounts); nothing in Interlude learns from them.
func (s *Store) MarkFlagNotAConcern(ctx context.Context, actor care.Actor, clientID, flagID, note string) (*care.SafetyFlag, error) {
	return s.acknowledgeFlag(ctx, actor, clientID, flagID, note, true)
}

func (s *Store) acknowledgeFlag(ctx context.Context, actor care.Actor, clientID, flagID, note string, notConcern bool) (*care.SafetyFlag, error) {
	ev := Event(actor, "safety_flag.acknowledge", "safety_flag", flagID)
	ev.ClientID = clientID
	if notConcern {
		ev.Reason = "not_a_concern"
	}
	if err := s.markBreakGlass(ctx, actor, &ev); err != nil {
		return nil, err
	}
	var f care.SafetyFlag
	err := s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if actor.Role == care.RoleClient || !care.ValidID(clientID) || !care.ValidID(flagID) {
			return care.ErrNotFound
		}
		cond := visibleClient
		if err := tx.journalClient(ctx, actor, clientID); err != nil {
			if !errors.Is(err, care.ErrNotFound) || actor.Role != care.RoleProvider {
				return err
			}
			// Not on the care team: only as the on-call provider of an
			// open flag escalated to them.
			cond = `c.clinic_id = $2 AND c.role = 'client' AND c.deleted_at IS NULL AND f.escalated_to = $1
				AND f.acknowledged_at IS NULL AND f.escalated_at <= $3`
			ev.Purpose = care.PurposeOnCall
		}
		var name []byte
		row := tx.QueryRowContext(ctx,
			`SELECT `+flagColumns+`, COALESCE(f.escalated_to, ''), c.name_sealed FROM users c JOIN safety_flags f ON f.client_id = c.id AND f.clinic_id = c.clinic_id
			 WHERE `+cond+` AND c.id = $4 AND f.id = $5`, visibleArgs(tx, actor, clientID, flagID)...)
		if err := notFound(s.scanFlag(ctx, tx, row, &f, &f.EscalatedTo, &name)); err != nil {
			return err
		}
		if err := s.openFlagClientName(ctx, tx, &f, name); err != nil {
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
		flag := 0
		if notConcern {
			flag = 1
		}
		res, err := tx.ExecContext(ctx,
			`UPDATE safety_flags SET acknowledged_by = $1, acknowledged_at = $2, ack_note_sealed = $3, not_a_concern = $5
			 WHERE id = $4 AND acknowledged_at IS NULL`, actor.UserID, micros(tx.now), sealed, f.ID, flag)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return care.Errorf(care.Conflict, "this flag was acknowledged already")
		}
		f.AcknowledgedBy, f.AcknowledgedAt, f.Note, f.NotAConcern = actor.UserID, tx.now, note, notConcern
		f.OnCall = ev.Purpose == care.PurposeOnCall
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
	if actor.Role != care.RoleClient {
		return nil
	}
	signal := care.DetectCrisis(m.Text)
	if signal.Level == care.CrisisNone {
		return nil
	}
	m.Crisis = true
	_, err := tx.RaiseSafetyFlag(ctx, actor, &care.SafetyFlag{ClinicID: m.ClinicID, ClientID: m.ClientID,
		Kind: care.FlagCrisisLanguage, Level: signal.Level, SourceType: "message", SourceID: m.ID})
	return err
}

// crisisCheckEntry marks a journal entry whose words hold crisis language,
// so that the client sees crisis resources, and raises a flag for it if
// the care team may see it. A private entry raises nothing and leaves no
// trace beyond the entry itself: the care team never learns that it
// exists (docs/threat-model.md, "Safety flags").
func (tx tx) crisisCheckEntry(ctx context.Context, actor care.Actor, e *care.JournalEntry) error {
	level := care.CrisisNone
	if !e.Deleted() {
		level = e.CrisisSignal().Level
	}
	e.Crisis = level > care.CrisisNone
	if !e.Crisis || !e.Shared {
		return nil
	}
	_, err := tx.RaiseSafetyFlag(ctx, actor, &care.SafetyFlag{ClinicID: e.ClinicID, ClientID: e.ClientID,
		Kind: care.FlagCrisisLanguage, Level: level, SourceType: "journal_entry", SourceID: e.ID})
	return err
}

// NotAConcernCount is how many of a clinic's flags of one kind and level
// its providers closed as "not a concern".
type NotAConcernCount struct {
	Kind  care.FlagKind
	Level care.CrisisLevel
	Count int
}

// NotAConcernCounts counts the actor's clinic's flags that providers
// closed as "not a concern", by kind and level, for an admin: numbers
// only, no client, no note. Anyone but an admin gets care.Forbidden.
func (s *Store) NotAConcernCounts(ctx context.Context, actor care.Actor) ([]NotAConcernCount, error) {
	if actor.Role != care.RoleAdmin {
		return nil, care.Errorf(care.Forbidden, "only an admin sees these counts")
	}
	out := []NotAConcernCount{}
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		rows, err := tx.QueryContext(ctx,
			`SELECT kind, level, count(*) FROM safety_flags WHERE clinic_id = $1 AND not_a_concern = 1
			 GROUP BY kind, level ORDER BY kind, level`, actor.ClinicID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c NotAConcernCount
			var level string
			if err := rows.Scan(&c.Kind, &level, &c.Count); err != nil {
				return err
			}
			c.Level = flagLevelOf(level)
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}
