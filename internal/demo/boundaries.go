package demo

import (
	"context"

	"interlude/internal/care"
	"interlude/internal/store"
)

// seedBoundaries gives the demo clinic a crisis line (issue #6).
func seedBoundaries(ctx context.Context, s *store.Store, admin care.Actor) error {
	return s.SetCrisisLine(ctx, admin, "Riverbend on-call line: (555) 010-0199")
}

// demoOfficeHours are the demo provider's office hours, in their own zone
// (America/Chicago): weekdays 09:00 to 17:00, so that a demo client who
// writes in the evening or at the weekend gets the automatic reply
// (issue #18).
func demoOfficeHours() care.OfficeHours {
	h := care.OfficeHours{ResponseTime: "within 1 business day"}
	for _, d := range care.Weekdays[:5] {
		h.Days[d] = []care.Interval{{Start: 9 * 60, End: 17 * 60}}
	}
	return h
}

// seedOfficeHours gives the demo provider office hours and a response
// time. Seed calls it last, after every message it seeds: whether a
// seeded message got an automatic reply would otherwise depend on the
// time of day the demo was created.
func seedOfficeHours(ctx context.Context, s *store.Store, provider care.Actor) error {
	h := demoOfficeHours()
	return s.SetOfficeHours(ctx, provider, &h)
}
