package store

import (
	"context"
	"time"

	"interlude/internal/care"
)

// TrackerOverview is what a page shows of a client's trackers over a
// period: the trackers, how often each was filled in on the days it was
// due, and the entries of the period, all as the actor may see them.
type TrackerOverview struct {
	TimeZone string         // the client's
	From, To care.Day       // the period's local days, both included
	Trackers []care.Tracker // not removed, the newest assignment first
	// Adherence by tracker id, over the period while assigned: the care
	// team counts shared entries only (TrackerAdherence).
	Adherence map[string]care.TrackerAdherence
	// Entries of the period, newest first, up to the bound of a chart:
	// the client's all, anyone else's the shared ones only.
	Entries TrackerEntryPage
}

// TrackerOverview reads, in one transaction, the client's trackers, their
// adherence over the local days from since's to now's (in the client's
// time zone), and the entries that occurred since since, as the actor may
// see them: the client everything, the care team (and an admin with an
// open break-glass grant) shared entries only, never a private one nor
// its count. A client the actor may not see is care.ErrNotFound. It is
// what the client's tracker pages, the provider's and the pre-session
// brief show.
func (s *Store) TrackerOverview(ctx context.Context, actor care.Actor, clientID string, since time.Time) (*TrackerOverview, error) {
	ev, err := s.recordEvent(ctx, actor, "tracker.overview", "tracker", "", clientID)
	if err != nil {
		return nil, err
	}
	var out TrackerOverview
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		rec, err := s.record(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		out.TimeZone = rec.TimeZone
		out.From, out.To = care.DayIn(since, rec.TimeZone), care.DayIn(tx.now, rec.TimeZone)
		if out.To.Before(out.From) {
			out.From = out.To
		}
		all, err := tx.trackers(ctx, rec, true)
		if err != nil {
			return err
		}
		out.Entries, err = s.trackerEntryPage(ctx, tx, actor, clientID, TrackerEntryQuery{Since: since, Limit: maxTrackerChartEntries})
		if err != nil {
			return err
		}
		out.Trackers = []care.Tracker{}
		for _, tr := range all {
			if !tr.Removed() {
				out.Trackers = append(out.Trackers, tr)
			}
		}
		out.Adherence = adherenceOf(all, out.Entries.Entries, rec.TimeZone, out.From, out.To)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// adherenceOf is care.AdherenceOf for each tracker, counting the
// entries given (those the actor sees) on the local days from through
// to, up to to as today.
func adherenceOf(trackers []care.Tracker, entries []care.TrackerEntry, zone string, from, to care.Day) map[string]care.TrackerAdherence {
	days := map[string]map[care.Day]bool{}
	counts := map[string]int{}
	for _, e := range entries {
		d := care.DayIn(e.OccurredAt, zone)
		if d.Before(from) || to.Before(d) {
			continue
		}
		if days[e.TrackerID] == nil {
			days[e.TrackerID] = map[care.Day]bool{}
		}
		days[e.TrackerID][d] = true
		counts[e.TrackerID]++
	}
	out := map[string]care.TrackerAdherence{}
	for i := range trackers {
		tr := &trackers[i]
		if a, ok := care.AdherenceOf(tr, zone, from, to, to, days[tr.ID], counts[tr.ID]); ok {
			out[tr.ID] = a
		}
	}
	return out
}

// SeedTrackerLibrary adds the seeded templates (care.TrackerLibrary) to
// clinic clinicID's library, each as version 1 written by nobody, and
// skips any whose key the library has already: it may run again, and a
// clinic that edited a seeded template keeps its edit. It returns how
// many it added. It is for whoever creates a clinic (the command line,
// the demo), not for a signed-in person.
func (s *Store) SeedTrackerLibrary(ctx context.Context, clinicID string) (int, error) {
	added := 0
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		added = 0
		for _, t := range care.TrackerLibrary() {
			if err := t.Validate(); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx,
				`SELECT count(*) FROM tracker_templates WHERE clinic_id = $1 AND template_key = $2`,
				clinicID, t.Key).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			t.ID, t.ClinicID, t.Version, t.CreatedBy, t.CreatedAt = care.NewID(), clinicID, 1, "", tx.now
			if err := tx.insertTemplate(ctx, &t); err != nil {
				return err
			}
			added++
		}
		return nil
	})
	return added, err
}
