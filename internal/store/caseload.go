package store

import (
	"context"
	"encoding/json"
	"fmt"

	"interlude/internal/care"
)

// The measure criteria of the caseload (Caseload, issue #7): overdue
// schedules, found from plain columns, and reliable deteriorations, for
// which the first and the latest response of each instrument are opened
// for their totals and nothing else. Both read only the clients of the
// actor's care teams (care_team in the SQL), live and not disabled.

// caseloadOverdue returns, per client of the actor's care teams, the
// active measure schedules due for longer than care.MeasureOverdueGrace,
// the longest overdue first.
func (tx tx) caseloadOverdue(ctx context.Context, actor care.Actor) (map[string][]care.Overdue, error) {
	rows, err := tx.QueryContext(ctx,
		`SELECT m.client_id, m.instrument, m.due_at FROM measure_schedules m
		 JOIN care_team t ON t.client_id = m.client_id AND t.provider_id = $1 AND t.clinic_id = $2
		 JOIN users c ON c.id = m.client_id AND c.disabled_at IS NULL AND c.deleted_at IS NULL
		 WHERE m.clinic_id = $2 AND m.stopped_at IS NULL AND m.due_at <= $3
		 ORDER BY m.client_id, m.due_at, m.id`,
		actor.UserID, actor.ClinicID, micros(tx.now.Add(-care.MeasureOverdueGrace)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]care.Overdue{}
	for rows.Next() {
		var client string
		var o care.Overdue
		var due int64
		if err := rows.Scan(&client, &o.Instrument, &due); err != nil {
			return nil, err
		}
		o.DueAt = fromMicros(due)
		out[client] = append(out[client], o)
	}
	return out, rows.Err()
}

// caseloadDeteriorations returns, per client of the actor's care teams,
// the instruments whose latest total is reliably worse than the first or
// than the one before it (care.DeteriorationOf, by the clinic's
// thresholds), in the order of care.Instruments. Only the first, the one
// before the latest and the latest response of each client and instrument
// are read and opened.
func (s *Store) caseloadDeteriorations(ctx context.Context, tx tx, actor care.Actor) (map[string][]care.Deterioration, error) {
	type sealedResponse struct {
		id, client, instrument string
		at                     int64
		body                   []byte
	}
	rows, err := tx.QueryContext(ctx,
		`SELECT r.id, r.client_id, r.instrument, r.answered_at, r.body_sealed FROM measure_responses r
		 JOIN care_team t ON t.client_id = r.client_id AND t.provider_id = $1 AND t.clinic_id = $2
		 JOIN users c ON c.id = r.client_id AND c.disabled_at IS NULL AND c.deleted_at IS NULL
		 WHERE r.clinic_id = $2 AND (
		   r.answered_at = (SELECT min(x.answered_at) FROM measure_responses x WHERE x.client_id = r.client_id AND x.instrument = r.instrument)
		   OR r.answered_at = (SELECT max(x.answered_at) FROM measure_responses x WHERE x.client_id = r.client_id AND x.instrument = r.instrument)
		   OR r.answered_at = (SELECT max(x.answered_at) FROM measure_responses x WHERE x.client_id = r.client_id AND x.instrument = r.instrument
		     AND x.answered_at < (SELECT max(y.answered_at) FROM measure_responses y WHERE y.client_id = r.client_id AND y.instrument = r.instrument)))
		 ORDER BY r.client_id, r.instrument, r.answered_at, r.id`,
		actor.UserID, actor.ClinicID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	// first, previous and last of each client and instrument, in
	// (answered_at, id) order, as Measures orders a client's responses.
	type pair struct{ first, previous, last *sealedResponse }
	pairs := map[[2]string]*pair{}
	var keys [][2]string
	for rows.Next() {
		r := &sealedResponse{}
		if err := rows.Scan(&r.id, &r.client, &r.instrument, &r.at, &r.body); err != nil {
			return nil, err
		}
		k := [2]string{r.client, r.instrument}
		p := pairs[k]
		if p == nil {
			p = &pair{first: r}
			pairs[k], keys = p, append(keys, k)
		}
		p.previous, p.last = p.last, r
		if p.previous == nil {
			p.previous = r
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	total := func(r *sealedResponse) (int, error) {
		plain, err := s.openValue(ctx, tx, field{clinic: actor.ClinicID, client: r.client, owner: r.client,
			table: "measure_responses", column: "body", row: r.id}, r.body)
		if err != nil {
			return 0, err
		}
		var d responseDoc
		if err := json.Unmarshal(plain, &d); err != nil {
			return 0, fmt.Errorf("measure response %s: the opened body is not JSON: %w", r.id, err)
		}
		return d.Total, nil
	}
	rc, err := tx.reliableChange(ctx, actor.ClinicID)
	if err != nil {
		return nil, err
	}
	out := map[string][]care.Deterioration{}
	for _, in := range care.Instruments {
		for _, k := range keys {
			p := pairs[k]
			if k[1] != in.Code || p.first == p.last {
				continue
			}
			base, err := total(p.first)
			if err != nil {
				return nil, err
			}
			previous, err := total(p.previous)
			if err != nil {
				return nil, err
			}
			latest, err := total(p.last)
			if err != nil {
				return nil, err
			}
			if d := care.DeteriorationOf(in, rc.Points(in), base, previous, latest); d != nil {
				out[k[0]] = append(out[k[0]], *d)
			}
		}
	}
	return out, nil
}
