package store

import (
	"context"
	"database/sql"

	"interlude/internal/care"
)

// clientRecord is a client's record as a store method of the plan,
// sessions and tasks sees it: who the client is and how the actor stands
// to them, found in one query under visibleClient.
type clientRecord struct {
	ID       string
	ClinicID string
	TimeZone string
	care.RecordAccess

	nameSealed []byte
}

// record finds client clientID for actor in tx: the client themself,
// a provider of their care team, or an admin with an open break-glass
// grant. Anyone else, and an id that names no client, get
// care.ErrNotFound; a crypto-shredded client is ErrShredded.
func (s *Store) record(ctx context.Context, tx tx, actor care.Actor, clientID string) (*clientRecord, error) {
	if !care.ValidID(clientID) {
		return nil, care.ErrNotFound
	}
	rec := &clientRecord{}
	var deleted sql.NullInt64
	err := tx.QueryRowContext(ctx,
		`SELECT c.id, c.clinic_id, c.time_zone, c.deleted_at, c.name_sealed, c.id = $1,
		        EXISTS (SELECT 1 FROM care_team t WHERE t.client_id = c.id AND t.provider_id = $1 AND t.clinic_id = $2)
		 FROM users c WHERE `+visibleClient+` AND c.id = $4`,
		visibleArgs(tx, actor, clientID)...).
		Scan(&rec.ID, &rec.ClinicID, &rec.TimeZone, &deleted, &rec.nameSealed, &rec.Self, &rec.Team)
	if err != nil {
		return nil, notFound(err)
	}
	if deleted.Valid {
		return nil, ErrShredded
	}
	rec.Self = rec.Self && actor.Role == care.RoleClient
	rec.Team = rec.Team && actor.Role == care.RoleProvider
	return rec, nil
}

// editable finds the record as record does, for a change only the care
// team may make; anyone else who sees the record is care.Forbidden.
func (s *Store) editable(ctx context.Context, tx tx, actor care.Actor, clientID string) (*clientRecord, error) {
	rec, err := s.record(ctx, tx, actor, clientID)
	if err != nil {
		return nil, err
	}
	if !rec.CanEdit() {
		return nil, care.Errorf(care.Forbidden, "only the client's care team can change this")
	}
	return rec, nil
}

// field names a sealed column of a row of the client's record, sealed
// under the client's data key.
func (r *clientRecord) field(table, column, row string) field {
	return field{clinic: r.ClinicID, client: r.ID, owner: r.ID, table: table, column: column, row: row}
}

// today is the day it is where the client lives.
func (r *clientRecord) today(tx tx) care.Day { return care.DayIn(tx.now, r.TimeZone) }

// clientName opens the client's display name.
func (s *Store) clientName(ctx context.Context, tx tx, r *clientRecord) (string, error) {
	u := care.User{ID: r.ID, ClinicID: r.ClinicID, Role: care.RoleClient}
	name, err := s.openValue(ctx, tx, userField(&u, "display_name"), r.nameSealed)
	return string(name), err
}

// recordEvent starts the audit event of actor doing action to an entity of
// client clientID's record, marked as break-glass access for an admin.
func (s *Store) recordEvent(ctx context.Context, actor care.Actor, action, entityType, entityID, clientID string) (care.AuditEvent, error) {
	ev := Event(actor, action, entityType, entityID)
	ev.ClientID = clientID
	err := s.markBreakGlass(ctx, actor, &ev)
	return ev, err
}

// sealText seals s for f; "" stays NULL.
func (s *Store) sealText(ctx context.Context, tx tx, f field, text string) ([]byte, error) {
	if text == "" {
		return nil, nil
	}
	return s.sealValue(ctx, tx, f, []byte(text))
}

// openText opens a value sealed by sealText.
func (s *Store) openText(ctx context.Context, tx tx, f field, sealed []byte) (string, error) {
	b, err := s.openValue(ctx, tx, f, sealed)
	return string(b), err
}

// lockClient makes the transaction wait for any other that changes the
// client's plan or tasks (a no-op update takes the row's lock, as
// SealAudit does with the chain's head): version numbers are taken one at
// a time. SQLite has one writer at a time already.
func (tx tx) lockClient(ctx context.Context, clientID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE users SET time_zone = time_zone WHERE id = $1`, clientID)
	return err
}
