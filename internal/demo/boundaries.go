package demo

import (
	"context"

	"interlude/internal/care"
	"interlude/internal/store"
)

// seedBoundaries gives the demo clinic a crisis line and its provider a
// response time (issue #6). It sets no office hours: with them, whether a
// demo client's message gets an automatic reply would depend on the time
// of day a test runs. The provider sets them on /office-hours.
func seedBoundaries(ctx context.Context, s *store.Store, admin, provider care.Actor) error {
	if err := s.SetCrisisLine(ctx, admin, "Riverbend on-call line: (555) 010-0199"); err != nil {
		return err
	}
	return s.SetOfficeHours(ctx, provider, &care.OfficeHours{ResponseTime: "within 1 business day"})
}
