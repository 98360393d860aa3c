package store

import (
	"context"

	"interlude/internal/care"
)

// ClinicResources returns the crisis resources of the actor's clinic, in
// the admin's order; any signed-in member of the clinic may read them, as
// every client is shown them.
func (s *Store) ClinicResources(ctx context.Context, actor care.Actor) ([]care.ClinicResource, error) {
	var rs []care.ClinicResource
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		var err error
		rs, err = tx.clinicResources(ctx, actor.ClinicID)
		return err
	})
	return rs, err
}

// CrisisResourcesOf returns, in one read, what the actor's clinic adds to
// the national crisis lines: its legacy one-line crisis line ("" for none)
// and its list of resources; care.CrisisResources(line, list) is what a
// client is shown.
func (s *Store) CrisisResourcesOf(ctx context.Context, actor care.Actor) (string, []care.ClinicResource, error) {
	var line string
	var rs []care.ClinicResource
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		var err error
		if line, err = tx.crisisLine(ctx, actor.ClinicID); err != nil {
			return err
		}
		rs, err = tx.clinicResources(ctx, actor.ClinicID)
		return err
	})
	return line, rs, err
}

// SetClinicResources replaces the crisis resources of the admin's clinic
// with rs, in one transaction, after checking them
// (care.ValidateClinicResources: nothing changes on an error). Anyone but
// an admin gets care.Forbidden. The audit row names the clinic only.
func (s *Store) SetClinicResources(ctx context.Context, actor care.Actor, rs []care.ClinicResource) error {
	if err := care.ValidateClinicResources(rs); err != nil {
		return err
	}
	return s.UpdateClinicResources(ctx, actor, func([]care.ClinicResource) ([]care.ClinicResource, error) { return rs, nil })
}

// UpdateClinicResources changes the crisis resources of the admin's
// clinic in one transaction: change gets the list as it is and returns
// the new one, or an error that changes nothing (as does an invalid new
// list). Two admins editing at once are taken one after the other, so
// neither's change is lost. Anyone but an admin gets care.Forbidden.
func (s *Store) UpdateClinicResources(ctx context.Context, actor care.Actor, change func([]care.ClinicResource) ([]care.ClinicResource, error)) error {
	ev := Event(actor, "clinic.resources.update", "clinic", actor.ClinicID)
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if actor.Role != care.RoleAdmin {
			return care.Errorf(care.Forbidden, "only an admin sets the clinic's crisis resources")
		}
		// A no-op update takes the clinic row's lock (lockClient): the
		// list is read and written by one admin at a time.
		if _, err := tx.ExecContext(ctx, `UPDATE clinics SET crisis_line = crisis_line WHERE id = $1`, actor.ClinicID); err != nil {
			return err
		}
		old, err := tx.clinicResources(ctx, actor.ClinicID)
		if err != nil {
			return err
		}
		rs, err := change(old)
		if err != nil {
			return err
		}
		if err := care.ValidateClinicResources(rs); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM clinic_resources WHERE clinic_id = $1`, actor.ClinicID); err != nil {
			return err
		}
		for i, r := range rs {
			always := 0
			if r.AlwaysOpen {
				always = 1
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO clinic_resources
				(clinic_id, position, name, phone, sms, sms_keyword, chat_url, hours, always_open, language)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				actor.ClinicID, i, r.Name, r.Phone, r.SMS, r.SMSKeyword, r.ChatURL, r.Hours, always, r.Language); err != nil {
				return err
			}
		}
		return nil
	})
}

func (tx tx) clinicResources(ctx context.Context, clinicID string) ([]care.ClinicResource, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, phone, sms, sms_keyword, chat_url, hours, always_open, language
		FROM clinic_resources WHERE clinic_id = $1 ORDER BY position`, clinicID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var rs []care.ClinicResource
	for rows.Next() {
		var r care.ClinicResource
		var always int
		if err := rows.Scan(&r.Name, &r.Phone, &r.SMS, &r.SMSKeyword, &r.ChatURL, &r.Hours, &always, &r.Language); err != nil {
			return nil, err
		}
		r.AlwaysOpen = always == 1
		rs = append(rs, r)
	}
	return rs, rows.Err()
}
