package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"interlude/internal/care"
)

// UserSummary is a user as a clinic admin sees them: no clinical content.
type UserSummary struct {
	care.User
	Disabled bool
	// DisabledReason is why an admin disabled the account, one of
	// DisableReasons; "" when it is active (or was disabled before
	// reasons were kept).
	DisabledReason string
	MFA            bool
}

// Users lists the clinic's users for an admin, oldest first. Anyone else
// gets care.Forbidden.
func (s *Store) Users(ctx context.Context, actor care.Actor) ([]UserSummary, error) {
	var out []UserSummary
	err := s.auditedRead(ctx, Event(actor, "user.list", "user", ""), func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleAdmin {
			return care.Errorf(care.Forbidden, "only a clinic admin manages users")
		}
		rows, err := tx.QueryContext(ctx,
			`SELECT u.id, u.role, u.time_zone, u.created_at, u.disabled_at IS NOT NULL, coalesce(u.disabled_reason, ''),
			        (u.totp_confirmed = 1 OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id)), `+userPersonalColumns+`
			 FROM users u WHERE u.clinic_id = $1 AND u.deleted_at IS NULL ORDER BY u.created_at, u.id`, actor.ClinicID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var us UserSummary
			var role string
			var created int64
			var p personal
			if err := rows.Scan(append([]any{&us.ID, &role, &us.TimeZone, &created, &us.Disabled, &us.DisabledReason, &us.MFA}, p.dest()...)...); err != nil {
				return err
			}
			us.ClinicID, us.Role, us.CreatedAt = actor.ClinicID, care.Role(role), fromMicros(created)
			if err := s.openUser(ctx, tx, &us.User, p); err != nil {
				return err
			}
			out = append(out, us)
		}
		return rows.Err()
	})
	return out, err
}

// visibleClient is the SQL condition, on a users row aliased c, that the
// actor ($1 = user id, $2 = clinic id, $3 = the transaction's time: pass
// visibleArgs) may see client c: the client themself, or a provider on the
// client's care team. Admins see no client record (AC-02): they manage
// users, not care; only an open break-glass grant (AC-06, breakglass.go)
// shows an admin one client, and such reads call markBreakGlass.
const visibleClient = `c.clinic_id = $2 AND c.role = 'client' AND (
	c.id = $1 OR EXISTS (SELECT 1 FROM care_team t WHERE t.client_id = c.id AND t.provider_id = $1 AND t.clinic_id = $2)
	OR ` + openGrant + `)`

// Caseload lists the clients on the provider's care teams ordered by need
// (care.SortCaseload), each with its care.Need. Anyone but a provider gets
// an empty list. It is one audited list read: one query counts open safety
// flags, unread messages and missed check-ins and finds the next session
// and the last contact of every client (care.Need.LastContact: a max() of
// plain timestamps per kind of contact, the latest of them taken here);
// one finds the overdue measure schedules; one reads the
// shared journal entries of the window (care.CaseloadWindow), opened only
// for their mood; and one reads the first and the latest response of each
// instrument, opened only for their totals. Nothing else sealed is opened
// but the names.
func (s *Store) Caseload(ctx context.Context, actor care.Actor) ([]care.ClientSummary, error) {
	out := []care.ClientSummary{}
	if actor.Role != care.RoleProvider {
		return out, nil
	}
	err := s.auditedRead(ctx, Event(actor, "client.list", "client", ""), func(ctx context.Context, tx tx) error {
		since := micros(tx.now.Add(-care.CaseloadWindow))
		rows, err := tx.QueryContext(ctx,
			`SELECT c.id, c.time_zone, c.created_at, c.name_sealed,
			        (SELECT count(*) FROM safety_flags f WHERE f.client_id = c.id AND f.clinic_id = c.clinic_id
			           AND f.acknowledged_at IS NULL),
			        (SELECT count(*) FROM safety_flags f WHERE f.client_id = c.id AND f.clinic_id = c.clinic_id
			           AND f.acknowledged_at IS NULL AND f.level = 'crisis'),
			        (SELECT COALESCE(max(CASE f.screener_result WHEN 'acute_positive' THEN 2 WHEN 'non_acute_positive' THEN 1 ELSE 0 END), 0)
			           FROM safety_flags f WHERE f.client_id = c.id AND f.clinic_id = c.clinic_id AND f.acknowledged_at IS NULL),
			        (SELECT count(*) FROM messages m WHERE m.client_id = c.id AND m.sender_role = 'client'
			           AND NOT EXISTS (SELECT 1 FROM message_reads r WHERE r.message_id = m.id AND r.user_id = $1)),
			        (SELECT count(*) FROM check_ins k WHERE k.client_id = c.id AND k.sent_at IS NOT NULL
			           AND k.answered_at IS NULL AND k.closes_at <= $3 AND k.closes_at > $4),
			        (SELECT min(a.starts_at) FROM appointments a WHERE a.client_id = c.id
			           AND a.status = 'scheduled' AND a.starts_at >= $3),
			        (SELECT max(m.sent_at) FROM messages m WHERE m.client_id = c.id AND m.clinic_id = c.clinic_id),
			        (SELECT max(j.created_at) FROM journal_entries j WHERE j.client_id = c.id AND j.clinic_id = c.clinic_id
			           AND j.shared = 1 AND j.deleted_at IS NULL),
			        (SELECT max(k.answered_at) FROM check_ins k WHERE k.client_id = c.id AND k.clinic_id = c.clinic_id),
			        (SELECT max(a.starts_at) FROM appointments a WHERE a.client_id = c.id AND a.clinic_id = c.clinic_id
			           AND a.status = 'held' AND a.starts_at <= $3)
			 FROM users c
			 WHERE `+visibleClient+` AND c.disabled_at IS NULL AND c.deleted_at IS NULL`,
			append(visibleArgs(tx, actor), since)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		names := map[string][]byte{}
		for rows.Next() {
			var cs care.ClientSummary
			var created int64
			var sealed []byte
			var next sql.NullInt64
			var contact [4]sql.NullInt64 // message, shared entry, check-in answer, held session (care.Need.LastContact)
			var screen int
			if err := rows.Scan(&cs.ID, &cs.TimeZone, &created, &sealed, &cs.Need.OpenFlags, &cs.Need.OpenCrisisFlags, &screen, &cs.Need.UnreadMessages, &cs.Need.MissedCheckIns, &next,
				&contact[0], &contact[1], &contact[2], &contact[3]); err != nil {
				return err
			}
			for _, c := range contact {
				if at := fromMicros(c.Int64); c.Valid && (cs.Need.LastContact == nil || at.After(*cs.Need.LastContact)) {
					cs.Need.LastContact = &at
				}
			}
			cs.CreatedAt = fromMicros(created)
			cs.Need.Screener = care.ScreenerOfRank(screen)
			if next.Valid {
				at := fromMicros(next.Int64)
				cs.Need.NextSession = &at
			}
			names[cs.ID] = sealed
			out = append(out, cs)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		moods, err := s.caseloadMoods(ctx, tx, actor, since)
		if err != nil {
			return err
		}
		overdue, err := tx.caseloadOverdue(ctx, actor)
		if err != nil {
			return err
		}
		worse, err := s.caseloadDeteriorations(ctx, tx, actor)
		if err != nil {
			return err
		}
		zones := map[string]string{}
		for _, cs := range out {
			zones[cs.ID] = cs.TimeZone
		}
		missed, err := tx.caseloadMissedTrackers(ctx, actor, zones)
		if err != nil {
			return err
		}
		for i := range out {
			cs := &out[i]
			u := care.User{ID: cs.ID, ClinicID: actor.ClinicID, Role: care.RoleClient}
			name, err := s.openValue(ctx, tx, userField(&u, "display_name"), names[cs.ID])
			if err != nil {
				return err
			}
			cs.DisplayName = string(name)
			cs.Need.MoodFall = care.FallingMood(moods[cs.ID])
			cs.Need.OverdueMeasures = overdue[cs.ID]
			cs.Need.Deteriorations = worse[cs.ID]
			cs.Need.MissedTrackers = missed[cs.ID]
		}
		// Names are sealed, so the database cannot sort by them.
		care.SortCaseload(out)
		return nil
	})
	return out, err
}

// caseloadMoods returns the mood ratings of the shared, live journal
// entries since since of every client on the actor's care teams.
func (s *Store) caseloadMoods(ctx context.Context, tx tx, actor care.Actor, since int64) (map[string][]care.MoodPoint, error) {
	type sealedEntry struct {
		id, client string
		at         int64
		body       []byte
	}
	rows, err := tx.QueryContext(ctx,
		`SELECT j.id, j.client_id, j.occurred_at, j.body_sealed FROM journal_entries j
		 JOIN care_team t ON t.client_id = j.client_id AND t.provider_id = $1 AND t.clinic_id = $2
		 JOIN users c ON c.id = j.client_id AND c.disabled_at IS NULL AND c.deleted_at IS NULL
		 WHERE j.clinic_id = $2 AND j.shared = 1 AND j.deleted_at IS NULL AND j.occurred_at > $3 AND j.occurred_at <= $4`,
		actor.UserID, actor.ClinicID, since, micros(tx.now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var entries []sealedEntry
	for rows.Next() {
		var e sealedEntry
		if err := rows.Scan(&e.id, &e.client, &e.at, &e.body); err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := map[string][]care.MoodPoint{}
	for _, e := range entries {
		plain, err := s.openValue(ctx, tx, entryField(actor.ClinicID, e.client, e.id), e.body)
		if err != nil {
			return nil, err
		}
		var d entryDoc
		if err := json.Unmarshal(plain, &d); err != nil {
			return nil, err
		}
		if d.Mood != nil {
			out[e.client] = append(out[e.client], care.MoodPoint{At: fromMicros(e.at), Mood: *d.Mood})
		}
	}
	return out, nil
}

// Client returns a client's profile if the actor may see it, else
// care.ErrNotFound, exactly as for an id that does not exist (AC-03).
func (s *Store) Client(ctx context.Context, actor care.Actor, clientID string) (*care.User, error) {
	ev := Event(actor, "client.read", "client", clientID)
	ev.ClientID = clientID
	if err := s.markBreakGlass(ctx, actor, &ev); err != nil {
		return nil, err
	}
	var u *care.User
	err := s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		var err error
		u, err = s.readClient(ctx, tx, actor, clientID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// readClient reads a client's profile as Client does, in tx.
func (s *Store) readClient(ctx context.Context, tx tx, actor care.Actor, clientID string) (*care.User, error) {
	var u care.User
	var created int64
	var p personal
	var deleted sql.NullInt64
	err := tx.QueryRowContext(ctx,
		`SELECT c.id, c.clinic_id, c.time_zone, c.created_at, c.deleted_at, c.email, c.display_name, c.email_sealed, c.name_sealed
		 FROM users c WHERE `+visibleClient+` AND c.id = $4`,
		visibleArgs(tx, actor, clientID)...).
		Scan(append([]any{&u.ID, &u.ClinicID, &u.TimeZone, &created, &deleted}, p.dest()...)...)
	if err != nil {
		return nil, notFound(err)
	}
	if deleted.Valid {
		return nil, ErrShredded
	}
	u.Role, u.CreatedAt = care.RoleClient, fromMicros(created)
	if err := s.openUser(ctx, tx, &u, p); err != nil {
		return nil, err
	}
	return &u, nil
}

// AddToCareTeam puts a provider of the admin's clinic on a client's care
// team. Both must be active users of that clinic.
func (s *Store) AddToCareTeam(ctx context.Context, actor care.Actor, clientID, providerID string) error {
	ev := Event(actor, "care-team.add", "care-team", providerID)
	ev.ClientID = clientID
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleAdmin {
			return care.ErrNotFound
		}
		res, err := tx.ExecContext(ctx,
			`INSERT INTO care_team (clinic_id, client_id, provider_id, created_at)
			 SELECT $1, c.id, p.id, $4 FROM users c, users p
			 WHERE c.id = $2 AND c.clinic_id = $1 AND c.role = 'client'
			   AND p.id = $3 AND p.clinic_id = $1 AND p.role = 'provider'
			 ON CONFLICT DO NOTHING`,
			actor.ClinicID, clientID, providerID, micros(tx.now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var on int
			if err := tx.QueryRowContext(ctx,
				`SELECT count(*) FROM care_team WHERE client_id = $1 AND provider_id = $2 AND clinic_id = $3`,
				clientID, providerID, actor.ClinicID).Scan(&on); err != nil {
				return err
			}
			if on == 0 {
				return care.ErrNotFound
			}
		}
		return nil
	})
}

// RemoveFromCareTeam takes a provider off a client's care team; the
// provider loses access at their next request (AC-05), and their
// real-time streams close.
func (s *Store) RemoveFromCareTeam(ctx context.Context, actor care.Actor, clientID, providerID string) error {
	ev := Event(actor, "care-team.remove", "care-team", providerID)
	ev.ClientID = clientID
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleAdmin {
			return care.ErrNotFound
		}
		res, err := tx.ExecContext(ctx,
			`DELETE FROM care_team WHERE client_id = $1 AND provider_id = $2 AND clinic_id = $3`,
			clientID, providerID, actor.ClinicID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return care.ErrNotFound
		}
		return s.revoke(ctx, tx, care.Revocation{UserID: providerID, ClientID: clientID, Reason: care.RevokeCareTeam})
	})
}
