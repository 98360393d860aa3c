package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"interlude/internal/care"
)

// The whole record at once (issue #8): for FHIR's Patient/$everything,
// the client's right of access and exports. One read transaction, one
// audit row (care.ActionRecordReadAll, ids only). Every part is read under
// the same rule as its own store method: record (visibleClient) decides
// who sees the client at all, journalVisible which entries, and only the
// client gets their access log.

// ClientRecord reads client clientID's whole record as the actor may see
// it: the client themself (everything, private entries and the access log
// too), a provider of the care team, or an admin with an open break-glass
// grant (shared entries only, no access log). Anyone else gets
// care.ErrNotFound, exactly as for a client who does not exist, and the
// refusal is audited (AC-03); a crypto-shredded client is ErrShredded.
func (s *Store) ClientRecord(ctx context.Context, actor care.Actor, clientID string) (*care.Record, error) {
	ev, err := s.recordEvent(ctx, actor, care.ActionRecordReadAll, "client", clientID, clientID)
	if err != nil {
		return nil, err
	}
	var out *care.Record
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		out, err = s.wholeRecord(ctx, tx, actor, rec)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// wholeRecord reads the record of rec, whom the caller has authorized
// actor to see, as actor may see it.
func (s *Store) wholeRecord(ctx context.Context, tx tx, actor care.Actor, rec *clientRecord) (*care.Record, error) {
	r := &care.Record{ReadAt: tx.now, Actor: actor, Self: rec.Self}
	var created int64
	err := tx.QueryRowContext(ctx, `SELECT id, name, created_at FROM clinics WHERE id = $1`, rec.ClinicID).
		Scan(&r.Clinic.ID, &r.Clinic.Name, &created)
	if err != nil {
		return nil, err
	}
	r.Clinic.CreatedAt = fromMicros(created)

	// The client.
	var p personal
	u := care.User{Role: care.RoleClient}
	err = tx.QueryRowContext(ctx,
		`SELECT u.id, u.clinic_id, u.time_zone, u.created_at, `+userPersonalColumns+` FROM users u WHERE u.id = $1 AND u.clinic_id = $2`,
		rec.ID, rec.ClinicID).Scan(append([]any{&u.ID, &u.ClinicID, &u.TimeZone, &created}, p.dest()...)...)
	if err != nil {
		return nil, err
	}
	u.CreatedAt = fromMicros(created)
	if err := s.openUser(ctx, tx, &u, p); err != nil {
		return nil, err
	}
	r.Client = u

	// The care team.
	r.CareTeam = []care.User{}
	err = tx.each(ctx, func(scan func(...any) error) error {
		u := care.User{ClinicID: rec.ClinicID, Role: care.RoleProvider}
		var created int64
		if err := scan(&u.ID, &u.DisplayName, &u.TimeZone, &created); err != nil {
			return err
		}
		u.CreatedAt = fromMicros(created)
		r.CareTeam = append(r.CareTeam, u)
		return nil
	}, `SELECT u.id, u.display_name, u.time_zone, u.created_at
		FROM care_team t JOIN users u ON u.id = t.provider_id AND u.clinic_id = t.clinic_id
		WHERE t.client_id = $1 AND t.clinic_id = $2 ORDER BY u.id`, rec.ID, rec.ClinicID)
	if err != nil {
		return nil, err
	}

	// The plan, tasks with every completion, sessions.
	if r.Plan, err = s.loadPlan(ctx, tx, rec); err != nil {
		return nil, err
	}
	if r.SafetyPlan, err = s.loadSafetyPlan(ctx, tx, rec); err != nil {
		return nil, err
	}
	if r.Tasks, err = s.loadTasks(ctx, tx, rec); err != nil {
		return nil, err
	}
	slices.Reverse(r.Tasks) // oldest first
	done, err := s.completions(ctx, tx, rec, "0001-01-01", "9999-12-31")
	if err != nil {
		return nil, err
	}
	for i := range r.Tasks {
		t := &r.Tasks[i]
		t.Occurrences = []care.Occurrence{}
		for _, o := range done[t.ID] {
			t.Occurrences = append(t.Occurrences, o)
		}
		slices.SortFunc(t.Occurrences, func(a, b care.Occurrence) int { return strings.Compare(string(a.Day), string(b.Day)) })
	}
	r.Appointments = []care.Appointment{}
	err = tx.each(ctx, func(scan func(...any) error) error {
		var a care.Appointment
		if err := scanAppointment(scan, &a); err != nil {
			return err
		}
		r.Appointments = append(r.Appointments, a)
		return nil
	}, `SELECT `+appointmentColumns+` FROM `+appointmentFrom+`
		WHERE a.client_id = $1 AND a.clinic_id = $2 ORDER BY a.starts_at, a.id`, rec.ID, rec.ClinicID)
	if err != nil {
		return nil, err
	}

	// The journal as the actor may see it.
	r.Entries = []care.JournalEntry{}
	s.warmKey(ctx, tx, rec.ClinicID, rec.ID)
	// rec is authorized by the caller (record, or a bulk export's own
	// checks, BulkClientRecord): the client sees every entry, anyone else
	// the shared ones only (journalVisible's rule).
	rows, err := tx.QueryContext(ctx,
		`SELECT `+entryColumns+` FROM users c JOIN journal_entries j ON j.client_id = c.id AND j.clinic_id = c.clinic_id
		 WHERE c.id = $1 AND c.clinic_id = $2 AND (j.shared = 1 OR $3 = 1) AND j.deleted_at IS NULL
		 ORDER BY j.occurred_at, j.id`, rec.ID, rec.ClinicID, boolInt(rec.Self))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e care.JournalEntry
		if err := s.scanEntry(ctx, tx, rows, &e); err != nil {
			return nil, err
		}
		r.Entries = append(r.Entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	moods := map[string]*int{}
	for _, e := range r.Entries {
		moods[e.ID] = e.Mood
	}

	// Check-ins, with the mood of answers the actor sees.
	if r.CheckInSchedule, err = tx.checkInSchedule(ctx, rec.ID); err != nil {
		return nil, err
	}
	r.CheckIns = []care.CheckIn{}
	err = tx.each(ctx, func(scan func(...any) error) error {
		var c care.CheckIn
		if err := scanCheckIn(scanner(scan), &c); err != nil {
			return err
		}
		c.Mood = moods[c.EntryID]
		r.CheckIns = append(r.CheckIns, c)
		return nil
	}, `SELECT `+checkInColumns+` FROM check_ins k WHERE k.client_id = $1 AND k.clinic_id = $2 ORDER BY k.due_at, k.id`,
		rec.ID, rec.ClinicID)
	if err != nil {
		return nil, err
	}

	// Measures.
	if r.Measures, err = tx.schedules(ctx, rec, false); err != nil {
		return nil, err
	}
	if r.Responses, _, err = s.responses(ctx, tx, rec); err != nil {
		return nil, err
	}
	slices.Reverse(r.Responses) // oldest first

	// The thread.
	r.Messages = []care.Message{}
	rows, err = tx.QueryContext(ctx,
		`SELECT `+messageColumns+` FROM messages m WHERE m.client_id = $1 AND m.clinic_id = $2 ORDER BY m.sent_at, m.id`,
		rec.ID, rec.ClinicID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var m care.Message
		if err := s.scanMessage(ctx, tx, rows, &m); err != nil {
			return nil, err
		}
		r.Messages = append(r.Messages, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.listAttachments(ctx, tx, rec.ID, r.Messages); err != nil {
		return nil, err
	}

	// Safety flags. The client's own copy holds them too: they are part of
	// the record the right of access covers.
	r.Flags = []care.SafetyFlag{}
	rows, err = tx.QueryContext(ctx,
		`SELECT `+flagColumns+` FROM safety_flags f WHERE f.client_id = $1 AND f.clinic_id = $2 ORDER BY f.raised_at, f.id`,
		rec.ID, rec.ClinicID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var flags []care.SafetyFlag
	var sealedNotes [][]byte
	for rows.Next() {
		// Scan first, open after: one statement at a time on a connection.
		var f care.SafetyFlag
		var raised int64
		var acked, escalated sql.NullInt64
		var note []byte
		var level string
		var notConcern int
		if err := rows.Scan(&f.ID, &f.ClinicID, &f.ClientID, &f.Kind, &f.SourceType, &f.SourceID, &raised,
			&f.AcknowledgedBy, &acked, &note, &escalated, &level, &f.Item9, &notConcern, &f.Screener); err != nil {
			return nil, err
		}
		f.NotAConcern = notConcern == 1
		f.Level = flagLevelOf(level)
		f.RaisedAt, f.AcknowledgedAt, f.EscalatedAt = fromMicros(raised), optMicros(acked), optMicros(escalated)
		flags, sealedNotes = append(flags, f), append(sealedNotes, note)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, f := range flags {
		if sealedNotes[i] != nil {
			if f.Note, err = s.openText(ctx, tx, flagNoteField(f.ClinicID, f.ClientID, f.ID), sealedNotes[i]); err != nil {
				return nil, err
			}
		}
		r.Flags = append(r.Flags, f)
	}
	if r.Screeners, err = s.screenerResponses(ctx, tx, rec); err != nil {
		return nil, err
	}

	// The access log, for the client only (AD-05).
	r.AccessLog = []care.AuditEvent{}
	if rec.Self {
		err = tx.each(ctx, func(scan func(...any) error) error {
			e := care.AuditEvent{ClientID: rec.ID, ClinicID: rec.ClinicID}
			var at int64
			var role, outcome string
			if err := scan(&e.Seq, &at, &e.ActorID, &role, &e.Action, &e.EntityType, &e.EntityID, &outcome, &e.Purpose); err != nil {
				return err
			}
			e.At, e.Role, e.Outcome = fromMicros(at), care.Role(role), care.Outcome(outcome)
			r.AccessLog = append(r.AccessLog, e)
			return nil
		}, `SELECT e.id, e.at, e.actor_id, e.role, e.action, e.entity_type, e.entity_id, e.outcome, e.purpose
			FROM audit_events e
			WHERE e.client_id = $1 AND e.clinic_id = $2 AND `+accessLogRows+`
			ORDER BY e.id`, rec.ID, rec.ClinicID)
		if err != nil {
			return nil, err
		}
	}

	// Staff the record names beyond the care team.
	named := map[string]bool{}
	note := func(id string) {
		if id != "" && id != rec.ID && r.Person(id) == nil {
			named[id] = true
		}
	}
	if r.SafetyPlan != nil {
		note(r.SafetyPlan.UpdatedBy)
	}
	if r.Plan != nil {
		note(r.Plan.UpdatedBy)
		for _, g := range r.Plan.Goals {
			for _, c := range g.Comments {
				note(c.AuthorID)
			}
		}
	}
	for _, t := range r.Tasks {
		note(t.AssignedBy)
	}
	for _, a := range r.Appointments {
		note(a.ProviderID)
	}
	for _, m := range r.Measures {
		note(m.CreatedBy)
	}
	for _, m := range r.Messages {
		if m.SenderRole != care.RoleSystem {
			note(m.SenderID)
		}
	}
	for _, f := range r.Flags {
		note(f.AcknowledgedBy)
	}
	for _, e := range r.AccessLog {
		note(e.ActorID)
	}
	note(r.CheckInSchedule.SetBy)
	// Trackers (#19): every one assigned, removed ones too (their entries
	// stay), the entries the actor may see (the care team the shared
	// ones, as the journal's), oldest first, and each template version
	// either was written against.
	if r.Trackers, err = tx.trackers(ctx, rec, true); err != nil {
		return nil, err
	}
	slices.Reverse(r.Trackers) // by assignment, oldest first
	// rec is authorized by the caller, as for the journal above: the
	// client sees every entry, anyone else the shared ones only
	// (trackerEntryVisible's rule).
	r.TrackerEntries = []care.TrackerEntry{}
	err = tx.each(ctx, func(scan func(...any) error) error {
		var e care.TrackerEntry
		if err := s.scanTrackerEntry(ctx, tx, scanner(scan), &e); err != nil {
			return err
		}
		r.TrackerEntries = append(r.TrackerEntries, e)
		return nil
	}, `SELECT `+trackerEntryColumns+` FROM tracker_entries e
		WHERE e.client_id = $1 AND e.clinic_id = $2 AND (e.shared = 1 OR $3 = 1)
		ORDER BY e.occurred_at, e.id`, rec.ID, rec.ClinicID, boolInt(rec.Self))
	if err != nil {
		return nil, err
	}
	versions := map[TemplateRef]bool{}
	addVersion := func(t *care.TrackerTemplate) {
		if t != nil && !versions[TemplateRef{t.ID, t.Version}] {
			versions[TemplateRef{t.ID, t.Version}] = true
			r.TrackerTemplates = append(r.TrackerTemplates, *t)
		}
	}
	for _, tr := range r.Trackers {
		note(tr.AssignedBy)
		addVersion(tr.Template)
	}
	for _, e := range r.TrackerEntries {
		if !versions[TemplateRef{e.TemplateID, e.TemplateVersion}] {
			t, err := tx.template(ctx, rec.ClinicID, e.TemplateID, e.TemplateVersion)
			if err != nil {
				return nil, err
			}
			addVersion(t)
		}
	}
	slices.SortFunc(r.TrackerTemplates, func(a, b care.TrackerTemplate) int {
		return cmp.Or(strings.Compare(a.ID, b.ID), cmp.Compare(a.Version, b.Version))
	})
	r.Staff = []care.User{}
	if len(named) > 0 {
		err = tx.each(ctx, func(scan func(...any) error) error {
			u := care.User{ClinicID: rec.ClinicID}
			var created int64
			var role string
			if err := scan(&u.ID, &role, &u.DisplayName, &u.TimeZone, &created); err != nil {
				return err
			}
			u.Role, u.CreatedAt = care.Role(role), fromMicros(created)
			if named[u.ID] {
				r.Staff = append(r.Staff, u)
			}
			return nil
		}, `SELECT u.id, u.role, u.display_name, u.time_zone, u.created_at FROM users u
			WHERE u.clinic_id = $1 AND u.role IN ('provider', 'admin') ORDER BY u.id`, rec.ClinicID)
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

// scanner adapts a scan function to what scanCheckIn reads from.
type scanner func(...any) error

func (f scanner) Scan(dest ...any) error { return f(dest...) }

// recordTables are the tables whose rows belong to one client's record,
// each with id, client_id and clinic_id columns.
var recordTables = []string{
	"goals", "tasks", "appointments", "journal_entries", "check_ins",
	"measure_schedules", "measure_responses", "messages", "safety_flags",
	"screener_responses",
}

// RecordOf returns the id of the client whose record holds the row with
// id rowID, of the actor's clinic: a client's own id names their record.
// An id of no row is care.ErrNotFound. It says nothing about whether the
// actor may see that record, and reads nothing of it: the caller passes
// the id on to ClientRecord, which decides and audits (FHIR reads by a
// resource's id).
func (s *Store) RecordOf(ctx context.Context, actor care.Actor, rowID string) (string, error) {
	if !care.ValidID(rowID) || actor.ClinicID == "" {
		return "", care.ErrNotFound
	}
	var clientID string
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE id = $1 AND clinic_id = $2 AND role = 'client'`,
			rowID, actor.ClinicID).Scan(&clientID)
		if err == nil || !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		for _, table := range recordTables {
			err := tx.QueryRowContext(ctx, `SELECT client_id FROM `+table+` WHERE id = $1 AND clinic_id = $2`,
				rowID, actor.ClinicID).Scan(&clientID)
			if err == nil || !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		return care.ErrNotFound
	})
	return clientID, err
}

// StaffMember returns a provider or admin of the actor's clinic by id,
// with their name (staff names are not PHI, personal.go) and without
// their email; anyone else, a client included, is care.ErrNotFound.
func (s *Store) StaffMember(ctx context.Context, actor care.Actor, id string) (*care.User, error) {
	if !care.ValidID(id) || actor.ClinicID == "" {
		return nil, care.ErrNotFound
	}
	u := care.User{ID: id, ClinicID: actor.ClinicID}
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		var role string
		var created int64
		err := tx.QueryRowContext(ctx, `SELECT role, display_name, time_zone, created_at FROM users
			WHERE id = $1 AND clinic_id = $2 AND role IN ('provider', 'admin')`, id, actor.ClinicID).
			Scan(&role, &u.DisplayName, &u.TimeZone, &created)
		u.Role, u.CreatedAt = care.Role(role), fromMicros(created)
		return notFound(err)
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}
