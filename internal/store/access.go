package store

import (
	"context"
	"fmt"
	"time"

	"interlude/internal/care"
)

// AccessEntry is one access by a staff member to a client's record, as the
// client's access report shows it (AD-05): who, in what role, when, what
// they did and how it ended. It holds no record content.
type AccessEntry struct {
	At        time.Time
	StaffName string // the staff member's display name; "" if the account is gone
	Role      care.Role
	Action    string
	Outcome   care.Outcome
	Purpose   string // care.PurposeBreakGlass for emergency access, else ""
}

// AccessPage is one page of a client's access report, newest first.
type AccessPage struct {
	Entries []AccessEntry
	Next    int64 // the cursor of the next (older) page; 0 when none
}

// accessLogRows are the audit rows (e) about client $1 that their access
// report lists: staff's, the client's own copies of their record, the
// operator's exports, and the resets of their password (issue #17). The report (AccessLog) and the copy of the record
// (ClientRecord) list the same.
const accessLogRows = `((e.actor_id <> $1 AND e.role IN ('provider', 'admin'))
	OR (e.actor_id = $1 AND e.action = '` + care.ActionRecordCopy + `')
	OR (e.actor_id = '' AND e.action = 'bulk.export' AND e.purpose = '` + care.PurposeBulkExport + `')
	OR e.action IN ('password_reset.request', 'password_reset.use'))`

// accessLogLimit is the page size when the caller names none, and
// accessLogMax the largest page.
const (
	accessLogLimit = 50
	accessLogMax   = 200
)

// AccessLog is the client's "who accessed my record" report (AD-05): the
// audited events about the client's record whose actor is a staff member
// of the client's clinic, and the copies of the record the client made
// themself (care.ActionRecordCopy), and the operator's exports of the
// clinic's records that held theirs (`interlude export`: no actor,
// care.PurposeBulkExport), newest first, before the cursor
// before (0: from the newest). Only the client themself may read it; anyone else gets
// care.ErrNotFound, exactly as for a client who does not exist, and the
// refusal is audited (AC-03). Reading it is audited too.
func (s *Store) AccessLog(ctx context.Context, actor care.Actor, clientID string, before int64, limit int) (AccessPage, error) {
	var page AccessPage
	if limit <= 0 || limit > accessLogMax {
		limit = accessLogLimit
	}
	ev := Event(actor, "access-log.read", "client", clientID)
	ev.ClientID = clientID
	// The SQL names the client by the actor's own id: the report is of
	// the caller's record, or of none.
	args := []any{clientID, actor.ClinicID}
	cursor := ""
	if before > 0 {
		args = append(args, before)
		cursor = fmt.Sprintf(" AND e.id < $%d", len(args))
	}
	args = append(args, limit+1)
	q := `SELECT e.id, e.at, e.role, e.action, e.outcome, e.purpose, COALESCE(u.display_name, '')
		FROM audit_events e
		LEFT JOIN users u ON u.id = e.actor_id AND u.clinic_id = e.clinic_id AND u.role = e.role
		WHERE e.client_id = $1 AND e.clinic_id = $2 AND ` + accessLogRows + `
		  AND EXISTS (SELECT 1 FROM users c WHERE c.id = $1 AND c.clinic_id = $2 AND c.role = 'client' AND c.deleted_at IS NULL)` +
		cursor + fmt.Sprintf(` ORDER BY e.id DESC LIMIT $%d`, len(args))
	err := s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		if !care.CanReadAccessLog(actor, clientID) {
			return care.ErrNotFound
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users
			WHERE id = $1 AND clinic_id = $2 AND role = 'client' AND deleted_at IS NULL`, clientID, actor.ClinicID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return care.ErrNotFound
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var last int64
		for rows.Next() {
			if len(page.Entries) == limit {
				page.Next = last // there is an older page
				break
			}
			var e AccessEntry
			var at int64
			var role, outcome string
			if err := rows.Scan(&last, &at, &role, &e.Action, &outcome, &e.Purpose, &e.StaffName); err != nil {
				return err
			}
			e.At, e.Role, e.Outcome = fromMicros(at), care.Role(role), care.Outcome(outcome)
			page.Entries = append(page.Entries, e)
		}
		return rows.Err()
	})
	if err != nil {
		return AccessPage{}, err
	}
	return page, nil
}
