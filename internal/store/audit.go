package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"interlude/internal/audit"
	"interlude/internal/care"
)

// Source is where a request came from, for the audit trail.
type Source struct {
	Addr      string
	RequestID string
}

type sourceKey struct{}

// WithSource returns ctx carrying the request's source; audit rows written
// under ctx record it.
func WithSource(ctx context.Context, src Source) context.Context {
	return context.WithValue(ctx, sourceKey{}, src)
}

func sourceOf(ctx context.Context) Source {
	src, _ := ctx.Value(sourceKey{}).(Source)
	return src
}

// Event starts an audit event of actor doing action to an entity.
func Event(actor care.Actor, action, entityType, entityID string) care.AuditEvent {
	return care.AuditEvent{ActorID: actor.UserID, Role: actor.Role, ClinicID: actor.ClinicID,
		Action: action, EntityType: entityType, EntityID: entityID, Outcome: care.OutcomeSuccess}
}

// auditInsertColumns are the columns of an audit row as a writer inserts
// it: seq and hash are the sealer's.
var auditInsertColumns = []string{"at", "actor_id", "role", "action", "entity_type", "entity_id", "client_id",
	"clinic_id", "outcome", "addr", "request_id", "purpose", "reason"}

var insertAudit = `INSERT INTO audit_events (` + strings.Join(auditInsertColumns, ", ") + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`

// audit appends ev to the trail in tx, unchained: the sealer chains it
// (AD-02: in the transaction of the change it records). On an engine
// that appends (PostgreSQL) the row is inserted just before COMMIT with
// the rows of the other writes sharing tx, in one statement; it commits
// with the change or neither does.
func (tx tx) audit(ctx context.Context, ev care.AuditEvent) error {
	src := sourceOf(ctx)
	if ev.Addr == "" {
		ev.Addr = src.Addr
	}
	if ev.RequestID == "" {
		ev.RequestID = src.RequestID
	}
	if ev.Outcome == "" {
		ev.Outcome = care.OutcomeSuccess
	}
	if !ev.Outcome.Valid() || ev.Action == "" {
		return fmt.Errorf("audit: invalid event %q/%q", ev.Action, ev.Outcome)
	}
	// Ids only, in NewID's form: an id taken from a request that is not
	// one (a path segment of any length and text) is recorded as
	// malformed, so no one can write text into the trail through a URL
	// (issue #17). A route row names the server's own pattern.
	if ev.EntityType != "route" {
		ev.EntityID = care.AuditID(ev.EntityID)
	}
	ev.ClientID = care.AuditID(ev.ClientID)
	values := []any{micros(tx.now), ev.ActorID, string(ev.Role), ev.Action, ev.EntityType, ev.EntityID, ev.ClientID,
		ev.ClinicID, string(ev.Outcome), ev.Addr, ev.RequestID, ev.Purpose, ev.Reason}
	var err error
	if tx.app != nil {
		err = tx.app.Append(tx.Tx, "audit_events", auditInsertColumns, values...)
	} else {
		_, err = tx.ExecContext(ctx, insertAudit, values...)
	}
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// Audit records events that change nothing else: a failed sign-in, a
// denied request. It returns once they are durable.
func (s *Store) Audit(ctx context.Context, evs ...care.AuditEvent) error {
	return s.write(ctx, func(ctx context.Context, tx tx) error {
		for _, ev := range evs {
			if err := tx.audit(ctx, ev); err != nil {
				return err
			}
		}
		return nil
	})
}

// auditedRead runs read in a read transaction and then records ev; the
// data read is only for the caller once ev is durable (AD-02: reads fail
// closed). Reads are not serialized behind the writer to do so. If read
// fails with care.ErrNotFound the event is recorded as denied (AC-03).
func (s *Store) auditedRead(ctx context.Context, ev care.AuditEvent, read func(ctx context.Context, tx tx) error) error {
	err := s.read(ctx, read)
	switch {
	case err == nil:
	case care.ErrorCode(err) == care.NotFound || care.ErrorCode(err) == care.Forbidden:
		ev.Outcome = care.OutcomeDenied
	default:
		return err
	}
	if aerr := s.Audit(ctx, ev); aerr != nil {
		return aerr
	}
	if err != nil {
		return auditedError{err}
	}
	return nil
}

// SealAudit chains up to limit unsealed events, in the order they were
// inserted, after the chain's head, and returns the new head. The head row
// is locked while it runs, so two sealers (even in two processes) never
// interleave; writers that insert events do not wait for it.
func (s *Store) SealAudit(ctx context.Context, limit int) (sealed int, head int64, hash []byte, err error) {
	err = s.write(ctx, func(ctx context.Context, tx tx) error {
		sealed = 0
		if err := tx.QueryRowContext(ctx,
			`UPDATE audit_chain SET seq = seq WHERE one = 1 RETURNING seq, hash`).Scan(&head, &hash); err != nil {
			return fmt.Errorf("audit chain head: %w", err)
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, `+auditColumns+` FROM audit_events
			WHERE seq IS NULL ORDER BY id LIMIT $1`, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		type pending struct {
			id int64
			ev care.AuditEvent
		}
		var todo []pending
		for rows.Next() {
			var p pending
			if err := scanAudit(rows, &p.ev, []any{&p.id}); err != nil {
				return err
			}
			todo = append(todo, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, p := range todo {
			head++
			p.ev.Seq = head
			hash = audit.Link(hash, &p.ev)
			if _, err := tx.ExecContext(ctx,
				`UPDATE audit_events SET seq = $1, hash = $2 WHERE id = $3`, head, hash, p.id); err != nil {
				return err
			}
		}
		sealed = len(todo)
		if sealed == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE audit_chain SET seq = $1, hash = $2 WHERE one = 1`, head, hash)
		return err
	})
	return sealed, head, hash, err
}

// auditColumns are the columns scanAudit reads, after any leading ones.
const auditColumns = `seq, hash, at, actor_id, role, action, entity_type, entity_id, client_id, clinic_id,
	outcome, addr, request_id, purpose, reason`

// scanAudit scans a row of lead columns, then auditColumns, then trail
// columns.
func scanAudit(rows interface{ Scan(...any) error }, ev *care.AuditEvent, lead []any, trail ...any) error {
	var seq sql.NullInt64
	var at int64
	var role, outcome string
	dest := append(lead[:len(lead):len(lead)], &seq, &ev.Hash, &at, &ev.ActorID, &role, &ev.Action, &ev.EntityType, &ev.EntityID,
		&ev.ClientID, &ev.ClinicID, &outcome, &ev.Addr, &ev.RequestID, &ev.Purpose, &ev.Reason)
	if err := rows.Scan(append(dest, trail...)...); err != nil {
		return err
	}
	ev.Seq, ev.At, ev.Role, ev.Outcome = seq.Int64, fromMicros(at), care.Role(role), care.Outcome(outcome)
	return nil
}

// WalkAudit calls fn with every chained event in chain order, until fn
// returns false, and returns how many events are not chained yet. It is
// the operator's verification and sees every clinic.
func (s *Store) WalkAudit(ctx context.Context, fn func(*care.AuditEvent) bool) (unsealed int64, err error) {
	err = s.read(ctx, func(ctx context.Context, tx tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM audit_events WHERE seq IS NULL`).Scan(&unsealed); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_events WHERE seq IS NOT NULL ORDER BY seq`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ev care.AuditEvent
			if err := scanAudit(rows, &ev, nil); err != nil {
				return err
			}
			if !fn(&ev) {
				return nil
			}
		}
		return rows.Err()
	})
	return unsealed, err
}

// AuditFilter selects events in the audit viewer (AD-05). Zero fields
// select everything.
type AuditFilter struct {
	From, To time.Time // at >= From, at < To
	ActorID  string
	ClientID string
	Action   string // exact, or a prefix ending in "." ("signin.")
	Outcome  care.Outcome
	Before   int64 // page: events inserted before this cursor (0: the newest)
	Limit    int
}

// AuditPage is one page of the viewer, newest first.
type AuditPage struct {
	Events []AuditRow
	Next   int64 // the cursor of the next (older) page; 0 when none
}

// AuditRow is an event as the viewer shows it, with the actor's name.
type AuditRow struct {
	care.AuditEvent
	ActorName string
}

// AuditLog is the clinic's audit trail for its admin, filtered and paged.
// Reading it is itself audited (AD-05). Anyone but an admin gets
// care.ErrNotFound.
func (s *Store) AuditLog(ctx context.Context, actor care.Actor, f AuditFilter) (AuditPage, error) {
	var page AuditPage
	ev := Event(actor, "audit.read", "audit", "")
	if actor.Role != care.RoleAdmin {
		ev.Outcome = care.OutcomeDenied
		if err := s.Audit(ctx, ev); err != nil {
			return page, err
		}
		return page, auditedError{care.ErrNotFound} // recorded: the caller must not record it again
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	where := []string{"e.clinic_id = $1"}
	args := []any{actor.ClinicID}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if !f.From.IsZero() {
		add("e.at >= ?", micros(f.From))
	}
	if !f.To.IsZero() {
		add("e.at < ?", micros(f.To))
	}
	if f.ActorID != "" {
		add("e.actor_id = ?", f.ActorID)
	}
	if f.ClientID != "" {
		add("e.client_id = ?", f.ClientID)
		ev.ClientID = f.ClientID
	}
	if !validAction(f.Action) {
		return page, care.FieldError("action", "is not an action name")
	}
	if strings.HasSuffix(f.Action, ".") {
		add("e.action LIKE ?", f.Action+"%")
	} else if f.Action != "" {
		add("e.action = ?", f.Action)
	}
	if f.Outcome != "" {
		add("e.outcome = ?", string(f.Outcome))
	}
	if f.Before > 0 {
		add("e.id < ?", f.Before)
	}
	args = append(args, f.Limit+1)
	q := `SELECT e.id, ` + prefixed("e.", auditColumns) + `, COALESCE(u.display_name, '')
		FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id AND u.clinic_id = e.clinic_id
		WHERE ` + strings.Join(where, " AND ") + fmt.Sprintf(` ORDER BY e.id DESC LIMIT $%d`, len(args))
	err := s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var last int64
		for rows.Next() {
			if len(page.Events) == f.Limit {
				page.Next = last // there is an older page
				break
			}
			var r AuditRow
			if err := scanAudit(rows, &r.AuditEvent, []any{&last}, &r.ActorName); err != nil {
				return err
			}
			page.Events = append(page.Events, r)
		}
		return rows.Err()
	})
	return page, err
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// validAction reports whether s could name an action: lower-case letters,
// dots and dashes (so it is safe in a LIKE pattern).
func validAction(s string) bool {
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '.' && r != '-' {
			return false
		}
	}
	return len(s) <= 64
}

// auditedWrite runs change and records *ev in the same transaction
// (AD-02); change may fill in ev (an id it creates). If change is refused
// with care.ErrNotFound or care.Forbidden, nothing changes and the refusal
// is recorded as denied (AC-03).
func (s *Store) auditedWrite(ctx context.Context, ev *care.AuditEvent, change func(ctx context.Context, tx tx) error) error {
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		if err := change(ctx, tx); err != nil {
			return err
		}
		return tx.audit(ctx, *ev)
	})
	if code := care.ErrorCode(err); code == care.NotFound || code == care.Forbidden {
		denied := *ev
		denied.Outcome = care.OutcomeDenied
		if aerr := s.Audit(ctx, denied); aerr != nil {
			return aerr
		}
		return auditedError{err}
	}
	return err
}

// auditedError is a refusal the store has recorded already.
type auditedError struct{ error }

func (e auditedError) Unwrap() error { return e.error }

// Audited reports whether err is a refusal the store has already recorded
// in the audit trail, so that the caller does not record it twice.
func Audited(err error) bool {
	var a auditedError
	return errors.As(err, &a)
}
