package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"interlude/internal/care"
)

// The journal (issue #5). An entry's content is one sealed JSON document
// (entryDoc) under the client's data key; its id, times, version, sharing,
// goal and state are plain. Every query filters by the actor in its SQL:
// the client sees all their entries, tombstones too; anyone else who may
// see the client (their care team, an admin through break-glass) sees
// shared entries that are not deleted, and nothing at all of the others,
// not even that they exist (journalVisible). Only the client writes.

// entryDoc is the sealed content of an entry. The snapshot of a version
// also holds the entry's time and goal as they then were.
type entryDoc struct {
	Mood         *int         `json:"mood,omitempty"`
	Emotions     []string     `json:"emotions,omitempty"`
	Symptoms     *symptomsDoc `json:"symptoms,omitempty"`
	Text         string       `json:"text,omitempty"`
	GoalProgress *int         `json:"goal_progress,omitempty"`
	Discuss      bool         `json:"discuss,omitempty"`
	Tags         []string     `json:"tags,omitempty"`

	OccurredAt int64  `json:"occurred_at,omitempty"` // versions only
	GoalID     string `json:"goal_id,omitempty"`     // versions only
}

type symptomsDoc struct {
	SleepHours   *float64 `json:"sleep_hours,omitempty"`
	SleepQuality *int     `json:"sleep_quality,omitempty"`
	Energy       *int     `json:"energy,omitempty"`
	Anxiety      *int     `json:"anxiety,omitempty"`
	Pain         *int     `json:"pain,omitempty"`
	Appetite     *int     `json:"appetite,omitempty"`
	Irritability *int     `json:"irritability,omitempty"`
}

func docOf(e *care.JournalEntry) entryDoc {
	d := entryDoc{Mood: e.Mood, Emotions: e.Emotions, Text: e.Text, GoalProgress: e.GoalProgress, Discuss: e.Discuss, Tags: e.Tags}
	if !e.Symptoms.Empty() {
		s := e.Symptoms
		d.Symptoms = &symptomsDoc{s.SleepHours, s.SleepQuality, s.Energy, s.Anxiety, s.Pain, s.Appetite, s.Irritability}
	}
	return d
}

func (d *entryDoc) fill(e *care.JournalEntry) {
	e.Mood, e.Emotions, e.Text, e.GoalProgress, e.Discuss, e.Tags = d.Mood, d.Emotions, d.Text, d.GoalProgress, d.Discuss, d.Tags
	e.Symptoms = care.Symptoms{}
	if s := d.Symptoms; s != nil {
		e.Symptoms = care.Symptoms{SleepHours: s.SleepHours, SleepQuality: s.SleepQuality, Energy: s.Energy,
			Anxiety: s.Anxiety, Pain: s.Pain, Appetite: s.Appetite, Irritability: s.Irritability}
	}
}

// entryField is the sealed body of an entry.
func entryField(clinicID, clientID, entryID string) field {
	return field{clinic: clinicID, client: clientID, owner: clientID, table: "journal_entries", column: "body", row: entryID}
}

// versionField is the sealed snapshot of one version of an entry: bound
// to its own row, so that a snapshot cannot pass for the entry or for
// another version.
func versionField(clinicID, clientID, entryID string, version int) field {
	return field{clinic: clinicID, client: clientID, owner: clientID, table: "journal_versions", column: "body",
		row: fmt.Sprintf("%s.%d", entryID, version)}
}

// journalVisible is the SQL condition, on a journal_entries row aliased j
// of a users row c that satisfies visibleClient, that the actor ($1) may
// see the entry: the client sees all their own; anyone else only what is
// shared and not deleted.
const journalVisible = `j.clinic_id = c.clinic_id AND j.client_id = c.id AND (c.id = $1 OR (j.shared = 1 AND j.deleted_at IS NULL))`

// entryColumns are what scanEntry reads, of journal_entries j.
const entryColumns = `j.id, j.clinic_id, j.client_id, j.occurred_at, j.created_at, j.updated_at, j.version, j.shared,
	COALESCE(j.goal_id, ''), j.deleted_at, j.body_sealed`

// scanEntry reads a row of entryColumns and opens its body.
func (s *Store) scanEntry(ctx context.Context, tx tx, row interface{ Scan(...any) error }, e *care.JournalEntry) error {
	var occurred, created, updated int64
	var shared int
	var deleted sql.NullInt64
	var sealed []byte
	if err := row.Scan(&e.ID, &e.ClinicID, &e.ClientID, &occurred, &created, &updated, &e.Version, &shared,
		&e.GoalID, &deleted, &sealed); err != nil {
		return err
	}
	e.OccurredAt, e.CreatedAt, e.UpdatedAt, e.Shared = fromMicros(occurred), fromMicros(created), fromMicros(updated), shared == 1
	e.DeletedAt = time.Time{}
	if deleted.Valid {
		e.DeletedAt = fromMicros(deleted.Int64)
		e.ClearContent()
		return nil
	}
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

// journalClient checks that the actor may see client clientID: a missing
// or hidden client is care.ErrNotFound, a crypto-shredded one ErrShredded.
func (tx tx) journalClient(ctx context.Context, actor care.Actor, clientID string) error {
	var deleted sql.NullInt64
	err := tx.QueryRowContext(ctx,
		`SELECT c.deleted_at FROM users c WHERE `+visibleClient+` AND c.id = $4`,
		visibleArgs(tx, actor, clientID)...).Scan(&deleted)
	if err != nil {
		return notFound(err)
	}
	if deleted.Valid {
		return ErrShredded
	}
	return nil
}

// refuseJournalWrite is the answer to someone who is not the client
// writing in a journal: care.Forbidden if they may see what they tried to
// change (the client's record, or with entryID the entry), else
// care.ErrNotFound, as for something that does not exist.
func (tx tx) refuseJournalWrite(ctx context.Context, actor care.Actor, clientID, entryID string) error {
	q := `SELECT count(*) FROM users c WHERE ` + visibleClient + ` AND c.id = $4`
	args := visibleArgs(tx, actor, clientID)
	if entryID != "" {
		q = `SELECT count(*) FROM users c JOIN journal_entries j ON j.client_id = c.id
		     WHERE ` + visibleClient + ` AND c.id = $4 AND j.id = $5 AND ` + journalVisible
		args = append(args, entryID)
	}
	var n int
	if err := tx.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return care.ErrNotFound
	}
	return care.Errorf(care.Forbidden, "only the client writes in their journal")
}

// checkGoal checks that goalID, if any, is a goal in the client's plan (a
// goal taken out of the plan may no longer be linked to).
func (tx tx) checkGoal(ctx context.Context, clinicID, clientID, goalID string) error {
	if goalID == "" {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx,
		`SELECT count(*) FROM goals WHERE id = $1 AND client_id = $2 AND clinic_id = $3 AND removed_at IS NULL`,
		goalID, clientID, clinicID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return care.FieldError("goal_id", "is not one of your goals")
	}
	return nil
}

// CreateEntry writes a new entry in the journal of client clientID. Only
// the client themself may: anyone else who may see the client gets
// care.Forbidden, everyone else care.ErrNotFound. shared nil takes the
// client's default (SetShareByDefault). e is validated (care.JournalEntry.
// Validate) and its goal must be one of the client's (else Invalid on
// goal_id); on success e holds the stored entry.
func (s *Store) CreateEntry(ctx context.Context, actor care.Actor, clientID string, e *care.JournalEntry, shared *bool) error {
	ev := Event(actor, "journal.create", "journal_entry", "")
	ev.ClientID = clientID
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if !care.CanWriteEntry(actor, clientID) {
			return tx.refuseJournalWrite(ctx, actor, clientID, "")
		}
		if err := tx.journalClient(ctx, actor, clientID); err != nil {
			return err
		}
		if err := e.Validate(tx.now, time.Time{}); err != nil {
			return err
		}
		if err := tx.checkGoal(ctx, actor.ClinicID, clientID, e.GoalID); err != nil {
			return err
		}
		if shared != nil {
			e.Shared = *shared
		} else if err := tx.QueryRowContext(ctx,
			`SELECT share_by_default = 1 FROM users WHERE id = $1`, clientID).Scan(&e.Shared); err != nil {
			return err
		}
		e.ID, e.ClinicID, e.ClientID = care.NewID(), actor.ClinicID, clientID
		e.CreatedAt, e.UpdatedAt, e.Version, e.DeletedAt = tx.now, tx.now, 1, time.Time{}
		sealed, err := s.sealEntry(ctx, tx, e)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO journal_entries (id, clinic_id, client_id, occurred_at, created_at, updated_at, version, shared, goal_id, body_sealed)
			 VALUES ($1, $2, $3, $4, $5, $5, 1, $6, $7, $8)`,
			e.ID, e.ClinicID, e.ClientID, micros(e.OccurredAt), micros(tx.now), boolInt(e.Shared), nullString(e.GoalID), sealed); err != nil {
			return err
		}
		ev.EntityID = e.ID
		return tx.crisisCheckEntry(ctx, actor, e)
	})
}

func (s *Store) sealEntry(ctx context.Context, tx tx, e *care.JournalEntry) ([]byte, error) {
	plain, err := json.Marshal(docOf(e))
	if err != nil {
		return nil, err
	}
	return s.sealValue(ctx, tx, entryField(e.ClinicID, e.ClientID, e.ID), plain)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Entry returns one entry of client clientID's journal as the actor may
// see it (journalVisible): a tombstone for the client, care.ErrNotFound for
// anyone else when the entry is private, deleted or missing alike.
func (s *Store) Entry(ctx context.Context, actor care.Actor, clientID, entryID string) (*care.JournalEntry, error) {
	ev := Event(actor, "journal.read", "journal_entry", entryID)
	ev.ClientID = clientID
	if err := s.markBreakGlass(ctx, actor, &ev); err != nil {
		return nil, err
	}
	var e care.JournalEntry
	err := s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		if err := tx.journalClient(ctx, actor, clientID); err != nil {
			return err
		}
		row := tx.QueryRowContext(ctx,
			`SELECT `+entryColumns+` FROM users c JOIN journal_entries j ON j.client_id = c.id
			 WHERE `+visibleClient+` AND c.id = $4 AND j.id = $5 AND `+journalVisible,
			visibleArgs(tx, actor, clientID, entryID)...)
		return notFound(s.scanEntry(ctx, tx, row, &e))
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// EntryQuery selects entries of a journal. Entries come newest first (by
// the time they tell of, then id).
type EntryQuery struct {
	Before   time.Time // entries that occurred before this (zero: the newest)
	BeforeID string    // with Before: also entries at Before whose id sorts before this
	Since    time.Time // entries that occurred at or after this (zero: all)
	Limit    int       // at most this many (0: care.EntryPageSize; at most care.MaxEntryPageLimit)
	Deleted  bool      // the client's tombstones too (nobody else ever sees them)

	// Filter narrows the list (a search): its goal, sharing and period in
	// SQL, its words, mood and tag on the opened entries, so that no
	// plaintext ever reaches an index. A filter never matches a tombstone.
	// The caller validates it (care.EntryFilter.Validate).
	Filter care.EntryFilter
}

// EntryPage is one page of a journal.
type EntryPage struct {
	Entries []care.JournalEntry
	More    bool // there are older entries: ask again with the last one's time and id
}

// Entries lists client clientID's journal as the actor may see it
// (journalVisible): the client all their entries (and with q.Deleted
// their tombstones), anyone else the shared entries only. A client the
// actor may not see is care.ErrNotFound.
func (s *Store) Entries(ctx context.Context, actor care.Actor, clientID string, q EntryQuery) (EntryPage, error) {
	if q.Limit <= 0 {
		q.Limit = care.EntryPageSize
	}
	q.Limit = min(q.Limit, care.MaxEntryPageLimit)
	return s.entries(ctx, actor, clientID, q)
}

// maxChartEntries bounds the entries a chart reads: many a day for 90 days.
const maxChartEntries = 5000

func (s *Store) entries(ctx context.Context, actor care.Actor, clientID string, q EntryQuery) (EntryPage, error) {
	page := EntryPage{Entries: []care.JournalEntry{}}
	ev := Event(actor, "journal.list", "journal_entry", "")
	ev.ClientID = clientID
	if err := s.markBreakGlass(ctx, actor, &ev); err != nil {
		return page, err
	}
	err := s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		var err error
		page, err = s.entryPage(ctx, tx, actor, clientID, q)
		return err
	})
	return page, err
}

// entryPage reads a page of client clientID's journal as entries does,
// in tx (Entries, MoodPoints, ClientRecord).
func (s *Store) entryPage(ctx context.Context, tx tx, actor care.Actor, clientID string, q EntryQuery) (EntryPage, error) {
	page := EntryPage{Entries: []care.JournalEntry{}}
	if err := tx.journalClient(ctx, actor, clientID); err != nil {
		return page, err
	}
	sqlq := `SELECT ` + entryColumns + ` FROM users c JOIN journal_entries j ON j.client_id = c.id
		WHERE ` + visibleClient + ` AND c.id = $4 AND ` + journalVisible
	args := visibleArgs(tx, actor, clientID)
	add := func(cond string, vs ...any) {
		for _, v := range vs {
			args = append(args, v)
			cond = strings.Replace(cond, "?", fmt.Sprintf("$%d", len(args)), 1)
		}
		sqlq += " AND " + cond
	}
	f := &q.Filter
	if !q.Deleted || !f.Empty() {
		add("j.deleted_at IS NULL")
	}
	if !q.Since.IsZero() {
		add("j.occurred_at >= ?", micros(q.Since))
	}
	if !f.From.IsZero() {
		add("j.occurred_at >= ?", micros(f.From))
	}
	if !f.To.IsZero() {
		add("j.occurred_at < ?", micros(f.To))
	}
	if f.GoalID != "" {
		add("j.goal_id = ?", f.GoalID)
	}
	if f.Shared != nil {
		add("j.shared = ?", boolInt(*f.Shared))
	}
	switch {
	case !q.Before.IsZero() && q.BeforeID != "":
		add("(j.occurred_at < ? OR (j.occurred_at = ? AND j.id < ?))", micros(q.Before), micros(q.Before), q.BeforeID)
	case !q.Before.IsZero():
		add("j.occurred_at < ?", micros(q.Before))
	}
	sqlq += " ORDER BY j.occurred_at DESC, j.id DESC"
	content := f.NeedsContent()
	if !content {
		// Else the rows are read until a page of them matches.
		args = append(args, q.Limit+1)
		sqlq += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	s.warmKey(ctx, tx, actor.ClinicID, clientID)
	rows, err := tx.QueryContext(ctx, sqlq, args...)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	for rows.Next() {
		if !content && len(page.Entries) == q.Limit {
			page.More = true
			break
		}
		var e care.JournalEntry
		if err := s.scanEntry(ctx, tx, rows, &e); err != nil {
			return page, err
		}
		if content && !f.MatchesContent(&e) {
			continue
		}
		if len(page.Entries) == q.Limit {
			page.More = true // one more matches
			break
		}
		page.Entries = append(page.Entries, e)
	}
	return page, rows.Err()
}

// UpdateEntry edits an entry of the client's own journal: edit changes a
// copy of the entry as stored, which is then validated (an unchanged
// occurred_at may be older than care.MaxBackdate) and saved as the next
// version; the one before is kept in journal_versions. An edit that
// changes nothing saves nothing. A deleted entry is care.Gone; an entry
// changed meanwhile (by another device) is care.Conflict. Anyone but the
// client gets care.Forbidden for an entry they may see, else
// care.ErrNotFound.
func (s *Store) UpdateEntry(ctx context.Context, actor care.Actor, clientID, entryID string, edit func(*care.JournalEntry) error) (*care.JournalEntry, error) {
	ev := Event(actor, "journal.update", "journal_entry", entryID)
	ev.ClientID = clientID
	var e care.JournalEntry
	err := s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if !care.CanWriteEntry(actor, clientID) {
			return tx.refuseJournalWrite(ctx, actor, clientID, entryID)
		}
		if err := tx.journalClient(ctx, actor, clientID); err != nil {
			return err
		}
		row := tx.QueryRowContext(ctx,
			`SELECT `+entryColumns+` FROM journal_entries j WHERE j.id = $1 AND j.client_id = $2 AND j.clinic_id = $3`,
			entryID, clientID, actor.ClinicID)
		if err := notFound(s.scanEntry(ctx, tx, row, &e)); err != nil {
			return err
		}
		if e.Deleted() {
			return care.Errorf(care.Gone, "this entry was deleted")
		}
		old := e
		old.Emotions, old.Tags = slices.Clone(e.Emotions), slices.Clone(e.Tags)
		if err := edit(&e); err != nil {
			return err
		}
		// What edit may not change.
		e.ID, e.ClinicID, e.ClientID, e.CreatedAt, e.UpdatedAt, e.Version, e.DeletedAt =
			old.ID, old.ClinicID, old.ClientID, old.CreatedAt, old.UpdatedAt, old.Version, old.DeletedAt
		if err := e.Validate(tx.now, old.OccurredAt); err != nil {
			return err
		}
		if e.GoalID != old.GoalID {
			if err := tx.checkGoal(ctx, actor.ClinicID, clientID, e.GoalID); err != nil {
				return err
			}
		}
		before, err := json.Marshal(docOf(&old))
		if err != nil {
			return err
		}
		after, err := json.Marshal(docOf(&e))
		if err != nil {
			return err
		}
		if bytes.Equal(before, after) && e.Shared == old.Shared && e.GoalID == old.GoalID && e.OccurredAt.Equal(old.OccurredAt) {
			return nil // nothing to keep
		}
		snap := docOf(&old)
		snap.OccurredAt, snap.GoalID = micros(old.OccurredAt), old.GoalID
		plain, err := json.Marshal(snap)
		if err != nil {
			return err
		}
		sealedOld, err := s.sealValue(ctx, tx, versionField(old.ClinicID, clientID, entryID, old.Version), plain)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO journal_versions (entry_id, version, clinic_id, client_id, saved_at, shared, body_sealed)
			 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			entryID, old.Version, old.ClinicID, clientID, micros(old.UpdatedAt), boolInt(old.Shared), sealedOld); err != nil {
			return err
		}
		sealed, err := s.sealEntry(ctx, tx, &e)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx,
			`UPDATE journal_entries SET occurred_at = $1, updated_at = $2, version = version + 1, shared = $3, goal_id = $4, body_sealed = $5
			 WHERE id = $6 AND version = $7 AND deleted_at IS NULL`,
			micros(e.OccurredAt), micros(tx.now), boolInt(e.Shared), nullString(e.GoalID), sealed, entryID, old.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return care.Errorf(care.Conflict, "the entry changed meanwhile; reload it and edit again")
		}
		e.Version, e.UpdatedAt = old.Version+1, tx.now
		return tx.crisisCheckEntry(ctx, actor, &e)
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// DeleteEntry deletes an entry of the client's own journal, leaving a
// tombstone: its content and that of every earlier version is erased, its
// id and times stay, and the client sees that it was deleted and when.
// Nobody else sees a deleted entry. Deleting a tombstone again changes
// nothing. Anyone but the client gets care.Forbidden for an entry they may
// see, else care.ErrNotFound.
func (s *Store) DeleteEntry(ctx context.Context, actor care.Actor, clientID, entryID string) error {
	ev := Event(actor, "journal.delete", "journal_entry", entryID)
	ev.ClientID = clientID
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if !care.CanWriteEntry(actor, clientID) {
			return tx.refuseJournalWrite(ctx, actor, clientID, entryID)
		}
		if err := tx.journalClient(ctx, actor, clientID); err != nil {
			return err
		}
		var deleted sql.NullInt64
		if err := tx.QueryRowContext(ctx,
			`SELECT deleted_at FROM journal_entries WHERE id = $1 AND client_id = $2 AND clinic_id = $3`,
			entryID, clientID, actor.ClinicID).Scan(&deleted); err != nil {
			return notFound(err)
		}
		if deleted.Valid {
			return nil
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE journal_entries SET body_sealed = NULL, goal_id = NULL, deleted_at = $1, updated_at = $1 WHERE id = $2`,
			micros(tx.now), entryID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE journal_versions SET body_sealed = NULL WHERE entry_id = $1`, entryID)
		return err
	})
}

// EntryVersion is one version of an entry: the entry as it was saved then.
type EntryVersion struct {
	care.JournalEntry // its Version, UpdatedAt (when saved), Shared, OccurredAt, GoalID and content
	Current           bool
}

// EntryVersions lists the versions of an entry of the client's own
// journal, the current one first. Only the client sees versions: anyone
// else gets care.Forbidden for an entry they may see, else
// care.ErrNotFound. A deleted entry's versions are gone (care.Gone).
func (s *Store) EntryVersions(ctx context.Context, actor care.Actor, clientID, entryID string) ([]EntryVersion, error) {
	var out []EntryVersion
	ev := Event(actor, "journal.versions", "journal_entry", entryID)
	ev.ClientID = clientID
	if err := s.markBreakGlass(ctx, actor, &ev); err != nil {
		return nil, err
	}
	err := s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		if !care.CanWriteEntry(actor, clientID) {
			return tx.refuseJournalWrite(ctx, actor, clientID, entryID)
		}
		if err := tx.journalClient(ctx, actor, clientID); err != nil {
			return err
		}
		var cur care.JournalEntry
		row := tx.QueryRowContext(ctx,
			`SELECT `+entryColumns+` FROM journal_entries j WHERE j.id = $1 AND j.client_id = $2 AND j.clinic_id = $3`,
			entryID, clientID, actor.ClinicID)
		if err := notFound(s.scanEntry(ctx, tx, row, &cur)); err != nil {
			return err
		}
		if cur.Deleted() {
			return care.Errorf(care.Gone, "this entry was deleted, with its earlier versions")
		}
		out = append(out, EntryVersion{JournalEntry: cur, Current: true})
		rows, err := tx.QueryContext(ctx,
			`SELECT version, saved_at, shared, body_sealed FROM journal_versions
			 WHERE entry_id = $1 AND client_id = $2 AND clinic_id = $3 ORDER BY version DESC`,
			entryID, clientID, actor.ClinicID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v := EntryVersion{JournalEntry: care.JournalEntry{ID: cur.ID, ClinicID: cur.ClinicID, ClientID: cur.ClientID, CreatedAt: cur.CreatedAt}}
			var saved int64
			var shared int
			var sealed []byte
			if err := rows.Scan(&v.Version, &saved, &shared, &sealed); err != nil {
				return err
			}
			v.UpdatedAt, v.Shared = fromMicros(saved), shared == 1
			plain, err := s.openValue(ctx, tx, versionField(cur.ClinicID, clientID, entryID, v.Version), sealed)
			if err != nil {
				return err
			}
			var d entryDoc
			if err := json.Unmarshal(plain, &d); err != nil {
				return fmt.Errorf("journal version %s.%d: the opened body is not JSON: %w", entryID, v.Version, err)
			}
			d.fill(&v.JournalEntry)
			v.OccurredAt, v.GoalID = fromMicros(d.OccurredAt), d.GoalID
			out = append(out, v)
		}
		return rows.Err()
	})
	return out, err
}

// ShareByDefault returns whether the client's new entries are shared with
// the care team unless they say otherwise. It is the client's own setting:
// anyone else gets care.Forbidden.
func (s *Store) ShareByDefault(ctx context.Context, actor care.Actor) (bool, error) {
	if actor.Role != care.RoleClient {
		return false, care.Errorf(care.Forbidden, "only clients keep a journal")
	}
	var on bool
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		return notFound(tx.QueryRowContext(ctx,
			`SELECT share_by_default = 1 FROM users WHERE id = $1 AND clinic_id = $2`, actor.UserID, actor.ClinicID).Scan(&on))
	})
	return on, err
}

// SetShareByDefault sets whether the client's new entries are shared with
// the care team unless they say otherwise. Entries written before keep
// their sharing. Anyone but a client gets care.Forbidden.
func (s *Store) SetShareByDefault(ctx context.Context, actor care.Actor, on bool) error {
	ev := Event(actor, "journal.settings", "user", actor.UserID)
	ev.ClientID = actor.UserID
	ev.Reason = fmt.Sprintf("share_by_default=%t", on)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleClient {
			return care.Errorf(care.Forbidden, "only clients keep a journal")
		}
		_, err := tx.ExecContext(ctx, `UPDATE users SET share_by_default = $1 WHERE id = $2 AND clinic_id = $3`,
			boolInt(on), actor.UserID, actor.ClinicID)
		return err
	})
}

// MoodPoints returns the mood ratings of client clientID's journal since
// since, oldest first, as the actor may see them (Entries): for a chart.
func (s *Store) MoodPoints(ctx context.Context, actor care.Actor, clientID string, since time.Time) ([]care.MoodPoint, error) {
	page, err := s.entries(ctx, actor, clientID, EntryQuery{Since: since, Limit: maxChartEntries})
	if err != nil {
		return nil, err
	}
	return moodPoints(page.Entries), nil
}

// EntriesSince returns the entries of client clientID's journal that
// occurred since since, newest first, as the actor may see them (Entries),
// up to the bound of a chart rather than of a page: for the client's
// progress page, whose calendar and charts need every entry of the period.
func (s *Store) EntriesSince(ctx context.Context, actor care.Actor, clientID string, since time.Time) ([]care.JournalEntry, error) {
	page, err := s.entries(ctx, actor, clientID, EntryQuery{Since: since, Limit: maxChartEntries})
	if err != nil {
		return nil, err
	}
	return page.Entries, nil
}
