package demo

import (
	"context"
	"fmt"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// The demo's trackers (issue #19): Sam's provider assigned him the sleep
// diary of the seeded library, for his sleep goal if his plan has one, a
// few days ago; he filled it in most mornings since, shared, and kept
// one morning private. Today's is still due, so his Home shows it.

// samSleep are Sam's mornings, the oldest first: into bed, out of bed,
// minutes to fall asleep, awakenings, quality (1–5), shared.
var samSleep = []struct {
	bed, up, latency, wakes, quality int
	shared                           bool
}{
	{23*60 + 40, 7 * 60, 45, 3, 2, true},
	{23*60 + 10, 6*60 + 50, 30, 2, 3, true},
	{23*60 + 55, 7*60 + 15, 50, 4, 2, false},
	{22*60 + 50, 6*60 + 45, 20, 1, 4, true},
}

func seedTrackers(ctx context.Context, s *store.Store, admin, provider care.Actor, sam care.Actor) error {
	tmpls, err := s.TrackerTemplates(ctx, provider, false)
	if err != nil {
		return err
	}
	tr := &care.Tracker{}
	for _, t := range tmpls {
		if t.Key == care.TrackerKeySleepDiary {
			tr.TemplateID = t.ID
		}
	}
	if tr.TemplateID == "" {
		return fmt.Errorf("no sleep diary in the demo library")
	}
	plan, err := s.Plan(ctx, provider, sam.UserID)
	if err != nil {
		return err
	}
	if len(plan.Goals) > 0 {
		tr.GoalID = plan.Goals[0].ID
	}
	tr.Reminder = true
	if err := s.AssignTracker(ctx, provider, sam.UserID, tr); err != nil {
		return fmt.Errorf("client Sam's sleep diary: %w", err)
	}
	// The mornings before today, at 8 o'clock his time.
	loc := care.Location(sam.TimeZone)
	today := s.Now().In(loc)
	for i, m := range samSleep {
		d := today.AddDate(0, 0, i-len(samSleep))
		at := time.Date(d.Year(), d.Month(), d.Day(), 8, 0, 0, 0, loc)
		shared := m.shared
		values := map[string]care.TrackerValue{
			"into_bed":               {Kind: care.FieldTime, Number: m.bed},
			"out_of_bed":             {Kind: care.FieldTime, Number: m.up},
			"minutes_to_fall_asleep": {Kind: care.FieldDuration, Number: m.latency},
			"awakenings":             {Kind: care.FieldCount, Number: m.wakes},
			"quality":                {Kind: care.FieldRating, Number: m.quality},
		}
		if i == len(samSleep)-1 {
			values["note"] = care.TrackerValue{Kind: care.FieldText, Text: "No screens after ten, as we planned. Fell asleep much faster."}
		}
		if _, err := s.CreateTrackerEntry(ctx, sam, sam.UserID, tr.ID, store.TrackerEntryInput{OccurredAt: at, Typed: values,
			Shared: &shared, Discuss: i == len(samSleep)-1}); err != nil {
			return fmt.Errorf("client Sam's sleep diary, morning %d: %w", i+1, err)
		}
	}
	return nil
}
