package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"interlude/internal/care"
)

// Break-glass emergency access (AC-06). An admin sees no client record
// (AC-02) except through a grant: one client, a stated reason, a fixed
// time (care.BreakGlassDuration). visibleClient admits the admin while the
// grant is open; every read through it is audited with the purpose
// care.PurposeBreakGlass and the grant's id as the reason (markBreakGlass).
// Starting a grant notifies, in the same transaction, the client's care
// team and the clinic's other admins, who review it afterwards.

// Grant is a break-glass grant. Its reason is not a field: it may name
// health details, so it is read only by the review, through grantReason.
type Grant struct {
	ID        string
	ClinicID  string
	AdminID   string
	ClientID  string
	StartedAt time.Time
	ExpiresAt time.Time
	EndedAt   time.Time // zero unless ended before it expired
	EndedBy   string    // the admin who ended it early, or ""
}

// Open reports whether the grant gives access at now.
func (g *Grant) Open(now time.Time) bool {
	return g.EndedAt.IsZero() && now.Before(g.ExpiresAt)
}

// Over is when the grant stopped giving access: when it was ended, or when
// it expired.
func (g *Grant) Over() time.Time {
	if !g.EndedAt.IsZero() {
		return g.EndedAt
	}
	return g.ExpiresAt
}

// NoticeBreakGlass is the kind of notice about a break-glass grant; its
// subject is the grant's id.
const NoticeBreakGlass = "break-glass"

// visibleArgs are the arguments $1, $2 and $3 of visibleClient for actor
// in tx: the actor's id, their clinic, and the transaction's time, against
// which break-glass grants expire.
func visibleArgs(tx tx, actor care.Actor, more ...any) []any {
	return append([]any{actor.UserID, actor.ClinicID, micros(tx.now)}, more...)
}

// openGrant is the SQL condition, on a users row aliased c, that admin $1
// of clinic $2 holds a grant for client c that is open at $3.
const openGrant = `EXISTS (SELECT 1 FROM break_glass_grants g
	WHERE g.client_id = c.id AND g.admin_id = $1 AND g.clinic_id = $2 AND g.ended_at IS NULL AND g.expires_at > $3)`

const grantColumns = `g.id, g.clinic_id, g.admin_id, g.client_id, g.started_at, g.expires_at, g.ended_at, COALESCE(g.ended_by, '')`

func scanGrant(row interface{ Scan(...any) error }, g *Grant, trail ...any) error {
	var started, expires int64
	var ended sql.NullInt64
	if err := row.Scan(append([]any{&g.ID, &g.ClinicID, &g.AdminID, &g.ClientID, &started, &expires, &ended, &g.EndedBy}, trail...)...); err != nil {
		return err
	}
	g.StartedAt, g.ExpiresAt = fromMicros(started), fromMicros(expires)
	if ended.Valid {
		g.EndedAt = fromMicros(ended.Int64)
	}
	return nil
}

// StartBreakGlass opens a grant for admin actor to client clientID, for
// care.BreakGlassDuration, and tells the client's care team and the
// clinic's other admins. The caller has checked a fresh second factor
// (step-up). Anyone but an admin, and a client who is not an active client
// of the admin's clinic, get care.ErrNotFound; a reason outside the bounds
// of care.CheckBreakGlassReason is Invalid; an admin who holds an open
// grant for the client already gets care.Conflict.
func (s *Store) StartBreakGlass(ctx context.Context, actor care.Actor, clientID, reason string) (*Grant, error) {
	ev := Event(actor, "break-glass.start", "break-glass", "")
	ev.ClientID, ev.Purpose = clientID, care.PurposeBreakGlass
	if actor.Role != care.RoleAdmin {
		ev.Outcome = care.OutcomeDenied
		if err := s.Audit(ctx, ev); err != nil {
			return nil, err
		}
		return nil, auditedError{care.ErrNotFound}
	}
	reason, err := care.CheckBreakGlassReason(reason)
	if err != nil {
		return nil, err
	}
	var g Grant
	err = s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		var n int
		if err := tx.QueryRowContext(ctx,
			`SELECT count(*) FROM users c WHERE c.id = $1 AND c.clinic_id = $2 AND c.role = 'client'
			   AND c.disabled_at IS NULL AND c.deleted_at IS NULL`, clientID, actor.ClinicID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return care.ErrNotFound
		}
		if err := tx.QueryRowContext(ctx,
			`SELECT count(*) FROM users c WHERE c.id = $4 AND `+openGrant, visibleArgs(tx, actor, clientID)...).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return care.Errorf(care.Conflict, "you have emergency access to this client already; end it first to start a new one")
		}
		g = Grant{ID: care.NewID(), ClinicID: actor.ClinicID, AdminID: actor.UserID, ClientID: clientID,
			StartedAt: tx.now, ExpiresAt: tx.now.Add(care.BreakGlassDuration)}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO break_glass_grants (id, clinic_id, admin_id, client_id, started_at, expires_at)
			 VALUES ($1, $2, $3, $4, $5, $6)`,
			g.ID, g.ClinicID, g.AdminID, g.ClientID, micros(g.StartedAt), micros(g.ExpiresAt)); err != nil {
			return err
		}
		if err := s.setGrantReason(ctx, tx, &g, reason); err != nil {
			return err
		}
		ev.EntityID, ev.Reason = g.ID, care.GrantAuditReason(g.ID)
		return tx.notifyBreakGlass(ctx, &g)
	})
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// notifyBreakGlass leaves a notice of grant g for every active provider on
// the client's care team and every other active admin of the clinic
// (AC-06: notified at once). A notice holds ids only.
func (tx tx) notifyBreakGlass(ctx context.Context, g *Grant) error {
	rows, err := tx.QueryContext(ctx,
		`SELECT u.id FROM users u
		 WHERE u.clinic_id = $1 AND u.disabled_at IS NULL AND u.deleted_at IS NULL AND u.id <> $3 AND (
		       (u.role = 'provider' AND EXISTS (SELECT 1 FROM care_team t WHERE t.client_id = $2 AND t.provider_id = u.id AND t.clinic_id = $1))
		    OR u.role = 'admin')
		 ORDER BY u.id`, g.ClinicID, g.ClientID, g.AdminID)
	if err != nil {
		return err
	}
	defer rows.Close()
	var to []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		to = append(to, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range to {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO notices (id, clinic_id, user_id, kind, subject_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			care.NewID(), g.ClinicID, id, NoticeBreakGlass, g.ID, micros(tx.now)); err != nil {
			return err
		}
	}
	return nil
}

// setGrantReason and grantReason are the only code that touches the
// reason: it is sealed under the client's data key (EN-01), so deleting
// the client shreds it too.
func (s *Store) setGrantReason(ctx context.Context, tx tx, g *Grant, reason string) error {
	sealed, err := s.sealValue(ctx, tx, grantReasonField(g), []byte(reason))
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE break_glass_grants SET reason_sealed = $1 WHERE id = $2`, sealed, g.ID)
	return err
}

func (s *Store) grantReason(ctx context.Context, tx tx, g *Grant) (string, error) {
	var sealed []byte
	if err := tx.QueryRowContext(ctx, `SELECT reason_sealed FROM break_glass_grants WHERE id = $1`, g.ID).Scan(&sealed); err != nil {
		return "", err
	}
	reason, err := s.openValue(ctx, tx, grantReasonField(g), sealed)
	return string(reason), err
}

func grantReasonField(g *Grant) field {
	return field{clinic: g.ClinicID, client: g.ClientID, owner: g.ClientID, table: "break_glass_grants", column: "reason", row: g.ID}
}

// EndBreakGlass ends a grant before it expires. Any admin of the grant's
// clinic may end it: its holder when done, another admin who reviews it.
// Ending a grant that is over already changes nothing. Anyone else, and a
// grant of another clinic, get care.ErrNotFound.
func (s *Store) EndBreakGlass(ctx context.Context, actor care.Actor, grantID string) error {
	ev := Event(actor, "break-glass.end", "break-glass", grantID)
	ev.Purpose, ev.Reason = care.PurposeBreakGlass, care.GrantAuditReason(grantID)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleAdmin {
			return care.ErrNotFound
		}
		var g Grant
		err := scanGrant(tx.QueryRowContext(ctx,
			`SELECT `+grantColumns+` FROM break_glass_grants g WHERE g.id = $1 AND g.clinic_id = $2`,
			grantID, actor.ClinicID), &g)
		if err != nil {
			return notFound(err)
		}
		ev.ClientID = g.ClientID
		if !g.Open(tx.now) {
			return nil
		}
		_, err = tx.ExecContext(ctx,
			`UPDATE break_glass_grants SET ended_at = $1, ended_by = $2 WHERE id = $3 AND ended_at IS NULL`,
			micros(tx.now), actor.UserID, g.ID)
		return err
	})
}

// ActiveBreakGlass lists the admin's open grants, the one that ends first
// first, for the banner every page shows while one is open. Anyone but an
// admin has none.
func (s *Store) ActiveBreakGlass(ctx context.Context, actor care.Actor) ([]Grant, error) {
	out := []Grant{}
	if actor.Role != care.RoleAdmin {
		return out, nil
	}
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		rows, err := tx.QueryContext(ctx,
			`SELECT `+grantColumns+` FROM break_glass_grants g
			 WHERE g.admin_id = $1 AND g.clinic_id = $2 AND g.ended_at IS NULL AND g.expires_at > $3
			 ORDER BY g.expires_at, g.id`, visibleArgs(tx, actor)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var g Grant
			if err := scanGrant(rows, &g); err != nil {
				return err
			}
			out = append(out, g)
		}
		return rows.Err()
	})
	return out, err
}

// markBreakGlass marks ev, an event of actor reading the record of client
// ev.ClientID, as emergency access when actor is an admin: an admin sees a
// client only through a grant, so every such read (and every refused
// attempt) carries care.PurposeBreakGlass, and the reason names the open
// grant, if any. Store methods that read a client's record call it before
// auditedRead.
func (s *Store) markBreakGlass(ctx context.Context, actor care.Actor, ev *care.AuditEvent) error {
	if actor.Role != care.RoleAdmin || ev.ClientID == "" {
		return nil
	}
	ev.Purpose = care.PurposeBreakGlass
	return s.read(ctx, func(ctx context.Context, tx tx) error {
		var id string
		err := tx.QueryRowContext(ctx,
			`SELECT g.id FROM break_glass_grants g
			 WHERE g.admin_id = $1 AND g.clinic_id = $2 AND g.ended_at IS NULL AND g.expires_at > $3 AND g.client_id = $4
			 ORDER BY g.started_at DESC, g.id LIMIT 1`, visibleArgs(tx, actor, ev.ClientID)...).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return err
		}
		ev.Reason = care.GrantAuditReason(id)
		return nil
	})
}

// ClientRef is a client as an admin may see one outside a grant: an id and
// when they joined, no name.
type ClientRef struct {
	ID       string
	JoinedAt time.Time
}

// BreakGlassCandidates lists the active clients of the admin's clinic,
// newest first, to choose one for emergency access. Anyone but an admin
// gets care.ErrNotFound.
func (s *Store) BreakGlassCandidates(ctx context.Context, actor care.Actor) ([]ClientRef, error) {
	out := []ClientRef{}
	ev := Event(actor, "break-glass.candidates", "client", "")
	ev.Purpose = care.PurposeBreakGlass
	err := s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleAdmin {
			return care.ErrNotFound
		}
		rows, err := tx.QueryContext(ctx,
			`SELECT c.id, c.created_at FROM users c
			 WHERE c.clinic_id = $1 AND c.role = 'client' AND c.disabled_at IS NULL AND c.deleted_at IS NULL
			 ORDER BY c.created_at DESC, c.id LIMIT 500`, actor.ClinicID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c ClientRef
			var joined int64
			if err := rows.Scan(&c.ID, &joined); err != nil {
				return err
			}
			c.JoinedAt = fromMicros(joined)
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// Notice is something that needs a user's attention. For a break-glass
// notice, Grant is the grant and AdminName who opened it; the reason is
// not here (see BreakGlassReview).
type Notice struct {
	ID        string
	Kind      string
	SubjectID string
	CreatedAt time.Time
	Grant     *Grant
	AdminName string
}

// Notices lists the actor's unread notices, newest first.
func (s *Store) Notices(ctx context.Context, actor care.Actor) ([]Notice, error) {
	out := []Notice{}
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		rows, err := tx.QueryContext(ctx,
			`SELECT `+grantColumns+`, n.id, n.kind, n.subject_id, n.created_at, COALESCE(a.display_name, '')
			 FROM notices n
			 JOIN break_glass_grants g ON g.id = n.subject_id AND g.clinic_id = n.clinic_id
			 LEFT JOIN users a ON a.id = g.admin_id AND a.clinic_id = g.clinic_id
			 WHERE n.user_id = $1 AND n.clinic_id = $2 AND n.read_at IS NULL AND n.kind = $3
			 ORDER BY n.created_at DESC, n.id DESC LIMIT 50`, actor.UserID, actor.ClinicID, NoticeBreakGlass)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			n := Notice{Grant: new(Grant)}
			var created int64
			if err := scanGrant(rows, n.Grant, &n.ID, &n.Kind, &n.SubjectID, &created, &n.AdminName); err != nil {
				return err
			}
			n.CreatedAt = fromMicros(created)
			out = append(out, n)
		}
		return rows.Err()
	})
	return out, err
}

// MarkNoticeRead marks one of the actor's notices read; for a break-glass
// notice that records the review as done. Marking it again changes
// nothing. Another user's notice is care.ErrNotFound.
func (s *Store) MarkNoticeRead(ctx context.Context, actor care.Actor, noticeID string) error {
	ev := Event(actor, "notice.read", "notice", noticeID)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		var kind, subject string
		var read sql.NullInt64
		err := tx.QueryRowContext(ctx,
			`SELECT kind, subject_id, read_at FROM notices WHERE id = $1 AND user_id = $2 AND clinic_id = $3`,
			noticeID, actor.UserID, actor.ClinicID).Scan(&kind, &subject, &read)
		if err != nil {
			return notFound(err)
		}
		if kind == NoticeBreakGlass {
			ev.Reason = care.GrantAuditReason(subject)
		}
		if read.Valid {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE notices SET read_at = $1 WHERE id = $2`, micros(tx.now), noticeID)
		return err
	})
}

// Review is what a reviewer of a break-glass grant sees: the grant, who
// opened it and why, and what its holder did under it (reviews of the grant
// itself left out).
type Review struct {
	Grant       Grant
	AdminName   string
	EndedByName string // who ended it early, or ""
	Reason      string
	NoticeID    string // the reviewer's notice of it, or ""
	NoticeRead  bool
	Events      []care.AuditEvent // under the grant, oldest first
}

// BreakGlassReview returns grant grantID for its review: to the admin who
// holds it and to whoever was notified of it (the client's care team, the
// clinic's other admins). The reason may name health details, so reading
// it is audited as a read of the client's record, with the grant's id.
// Anyone else gets care.ErrNotFound.
func (s *Store) BreakGlassReview(ctx context.Context, actor care.Actor, grantID string) (*Review, error) {
	var rv Review
	ev := Event(actor, "break-glass.review", "break-glass", grantID)
	ev.Reason = care.GrantAuditReason(grantID)
	// The client is named in the event once the grant is found; a refusal
	// names nothing the caller may not know.
	var client string
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		return tx.QueryRowContext(ctx,
			`SELECT g.client_id FROM break_glass_grants g WHERE g.id = $1 AND g.clinic_id = $2 AND (g.admin_id = $3
			   OR EXISTS (SELECT 1 FROM notices n WHERE n.subject_id = g.id AND n.user_id = $3 AND n.kind = $4))`,
			grantID, actor.ClinicID, actor.UserID, NoticeBreakGlass).Scan(&client)
	})
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	ev.ClientID = client
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		var read sql.NullInt64
		var notice sql.NullString
		err := scanGrant(tx.QueryRowContext(ctx,
			`SELECT `+grantColumns+`, COALESCE(a.display_name, ''), COALESCE(e.display_name, ''), n.id, n.read_at
			 FROM break_glass_grants g
			 LEFT JOIN users a ON a.id = g.admin_id AND a.clinic_id = g.clinic_id
			 LEFT JOIN users e ON e.id = g.ended_by AND e.clinic_id = g.clinic_id
			 LEFT JOIN notices n ON n.subject_id = g.id AND n.user_id = $3 AND n.kind = $4
			 WHERE g.id = $1 AND g.clinic_id = $2 AND (g.admin_id = $3 OR n.id IS NOT NULL)`,
			grantID, actor.ClinicID, actor.UserID, NoticeBreakGlass), &rv.Grant, &rv.AdminName, &rv.EndedByName, &notice, &read)
		if err != nil {
			return notFound(err)
		}
		rv.NoticeID, rv.NoticeRead = notice.String, read.Valid
		if rv.Reason, err = s.grantReason(ctx, tx, &rv.Grant); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_events
			WHERE clinic_id = $1 AND reason = $2 AND actor_id = $3 AND action <> 'break-glass.review' ORDER BY id LIMIT 500`,
			actor.ClinicID, care.GrantAuditReason(grantID), rv.Grant.AdminID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e care.AuditEvent
			if err := scanAudit(rows, &e, nil); err != nil {
				return err
			}
			rv.Events = append(rv.Events, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return &rv, nil
}
