package store

import (
	"context"
	"encoding/json"
	"slices"

	"interlude/internal/care"
)

// The follow-up screener (issue #16). After a safety flag, its client may
// answer NIMH's ASQ (care.TriageASQ). The answers are sealed under the
// client's data key; the triage is written on the flag in the same
// transaction: a positive screen makes the flag a priority ('crisis')
// flag, a negative one leaves its level as it was. Only the client
// answers; the care team reads the result with the flag.

// screenerDoc is the sealed body of a screener response.
type screenerDoc struct {
	Answers []bool              `json:"answers"`
	Acuity  *bool               `json:"acuity"`
	Result  care.ScreenerResult `json:"result"`
}

// ownFlag reads flag flagID of the client rec, which only the client
// themself answers a screener for: care.ErrNotFound for a flag of
// someone else, care.Forbidden for the care team, care.Conflict for a
// flag acknowledged or screened already.
func (s *Store) ownFlag(ctx context.Context, tx tx, rec *clientRecord, flagID string) (care.SafetyFlag, error) {
	var f care.SafetyFlag
	if !care.ValidID(flagID) {
		return f, care.ErrNotFound
	}
	row := tx.QueryRowContext(ctx, `SELECT `+flagColumns+` FROM safety_flags f WHERE f.id = $1 AND f.client_id = $2 AND f.clinic_id = $3`,
		flagID, rec.ID, rec.ClinicID)
	if err := notFound(s.scanFlag(ctx, tx, row, &f)); err != nil {
		return f, err
	}
	switch {
	case !rec.Self:
		return f, care.Errorf(care.Forbidden, "only the client answers the follow-up questions")
	case !f.Open():
		return f, care.Errorf(care.Conflict, "your care team has already followed up on this")
	case f.Screener != "":
		return f, care.Errorf(care.Conflict, "you have answered these questions already")
	}
	return f, nil
}

// ScreenableFlag returns flag flagID of client clientID if the actor, that
// client, may answer the follow-up screener for it now: their own open
// flag with no screen yet (else care.ErrNotFound, care.Forbidden or
// care.Conflict, as AnswerScreener). It is audited as a read of the flag.
func (s *Store) ScreenableFlag(ctx context.Context, actor care.Actor, clientID, flagID string) (*care.SafetyFlag, error) {
	ev, err := s.recordEvent(ctx, actor, "safety_flag.read", "safety_flag", flagID, clientID)
	if err != nil {
		return nil, err
	}
	var out care.SafetyFlag
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		out, err = s.ownFlag(ctx, tx, rec, flagID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ScreenerOffer returns the id of the open flag, with no screen yet, that
// the actor's own record sourceType/sourceID raised ("message",
// "journal_entry", "measure_response"), for the page after it to offer the
// follow-up screener; "" when there is none or the actor is not a client.
func (s *Store) ScreenerOffer(ctx context.Context, actor care.Actor, sourceType, sourceID string) (string, error) {
	if actor.Role != care.RoleClient || !care.ValidID(sourceID) {
		return "", nil
	}
	var id string
	ev := Event(actor, "safety_flag.read", "safety_flag", "")
	ev.ClientID = actor.UserID
	err := s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		id = ""
		return tx.each(ctx, func(scan func(...any) error) error {
			return scan(&id)
		}, `SELECT f.id FROM safety_flags f WHERE f.client_id = $1 AND f.clinic_id = $2 AND f.source_type = $3 AND f.source_id = $4
			AND f.acknowledged_at IS NULL AND f.screener_result IS NULL ORDER BY f.raised_at, f.id`,
			actor.UserID, actor.ClinicID, sourceType, sourceID)
	})
	return id, err
}

// AnswerScreener records client clientID's answers to the ASQ after
// their flag flagID (answers the four questions in order, acuity the
// acuity answer, nil when not asked; care.TriageASQ validates) and writes
// the triage on the flag, in one transaction: a positive screen makes the
// flag a priority flag, a negative one leaves its level. Only the client
// answers (the care team gets care.Forbidden, anyone else
// care.ErrNotFound); a flag acknowledged or screened already is
// care.Conflict.
func (s *Store) AnswerScreener(ctx context.Context, actor care.Actor, clientID, flagID string, answers []bool, acuity *bool) (*care.ScreenerResponse, error) {
	ev, err := s.recordEvent(ctx, actor, "screener.answer", "screener_response", "", clientID)
	if err != nil {
		return nil, err
	}
	var out *care.ScreenerResponse
	err = s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		out = nil
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		f, err := s.ownFlag(ctx, tx, rec, flagID)
		if err != nil {
			return err
		}
		result, err := care.TriageASQ(answers, acuity)
		if err != nil {
			return err
		}
		r := &care.ScreenerResponse{ID: care.NewID(), ClinicID: rec.ClinicID, ClientID: rec.ID, FlagID: f.ID,
			Instrument: care.InstrumentASQ, AnsweredAt: tx.now, Answers: slices.Clone(answers), Result: result}
		if acuity != nil {
			a := *acuity
			r.Acuity = &a
		}
		ev.EntityID = r.ID
		doc, err := json.Marshal(screenerDoc{Answers: r.Answers, Acuity: r.Acuity, Result: r.Result})
		if err != nil {
			return err
		}
		sealed, err := s.sealValue(ctx, tx, rec.field("screener_responses", "body", r.ID), doc)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO screener_responses (id, clinic_id, client_id, flag_id, instrument, result, answered_at, body_sealed)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			r.ID, r.ClinicID, r.ClientID, r.FlagID, r.Instrument, string(r.Result), micros(r.AnsweredAt), sealed); err != nil {
			return err
		}
		level := f.Level
		if result.Positive() {
			level = care.CrisisAcute
		}
		res, err := tx.ExecContext(ctx,
			`UPDATE safety_flags SET screener_result = $1, level = $2 WHERE id = $3 AND acknowledged_at IS NULL AND screener_result IS NULL`,
			string(result), level.String(), f.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return care.Errorf(care.Conflict, "your care team has already followed up on this")
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// screenerResponses reads the screener responses of client rec, oldest
// first, with their answers opened.
func (s *Store) screenerResponses(ctx context.Context, tx tx, rec *clientRecord) ([]care.ScreenerResponse, error) {
	type row struct {
		r      care.ScreenerResponse
		sealed []byte
	}
	var rows []row
	err := tx.each(ctx, func(scan func(...any) error) error {
		var x row
		var at int64
		if err := scan(&x.r.ID, &x.r.FlagID, &x.r.Instrument, &x.r.Result, &at, &x.sealed); err != nil {
			return err
		}
		x.r.ClinicID, x.r.ClientID, x.r.AnsweredAt = rec.ClinicID, rec.ID, fromMicros(at)
		rows = append(rows, x)
		return nil
	}, `SELECT id, flag_id, instrument, result, answered_at, body_sealed FROM screener_responses
		WHERE client_id = $1 AND clinic_id = $2 ORDER BY answered_at, id`, rec.ID, rec.ClinicID)
	if err != nil {
		return nil, err
	}
	out := make([]care.ScreenerResponse, 0, len(rows))
	for _, x := range rows {
		plain, err := s.openValue(ctx, tx, rec.field("screener_responses", "body", x.r.ID), x.sealed)
		if err != nil {
			return nil, err
		}
		var d screenerDoc
		if err := json.Unmarshal(plain, &d); err != nil {
			return nil, err
		}
		x.r.Answers, x.r.Acuity = d.Answers, d.Acuity
		out = append(out, x.r)
	}
	return out, nil
}

// ScreenerFor returns client clientID's answer to the follow-up screener
// after their flag flagID, for the client (the page after their answer)
// and their care team; care.ErrNotFound when there is none or the actor
// may not see the record.
func (s *Store) ScreenerFor(ctx context.Context, actor care.Actor, clientID, flagID string) (*care.ScreenerResponse, error) {
	ev, err := s.recordEvent(ctx, actor, "screener.read", "safety_flag", flagID, clientID)
	if err != nil {
		return nil, err
	}
	var out *care.ScreenerResponse
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		out = nil
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		all, err := s.screenerResponses(ctx, tx, rec)
		if err != nil {
			return err
		}
		for i := range all {
			if all[i].FlagID == flagID {
				out = &all[i]
				return nil
			}
		}
		return care.ErrNotFound
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
