package demo

import (
	"context"
	"fmt"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// The demo's pre-session brief (issue #7): Sam's last session was held a
// few days ago (care.go) and his journal goes on since (journal.go); here
// he also writes an entry to bring up, answers this week's GAD-7 (so the brief shows a score
// of the period with its change markers: reliable improvement, response
// and remission; the PHQ-9 stays due), and he has daily check-ins from now on.

// samThisWeek are Sam's answers of this week, given when the demo is made.
// The PHQ-9 stays due: the caseload's browser test has Sam answer it.
var samThisWeek = map[string][]int{
	"gad7": {1, 1, 0, 1, 0, 1, 0},
}

func seedBrief(ctx context.Context, s *store.Store, admin, provider care.Actor) error {
	users, err := s.Users(ctx, admin)
	if err != nil {
		return err
	}
	var sam care.Actor
	for _, u := range users {
		if u.Email == "sam@demo.interlude.test" {
			sam = care.Actor{UserID: u.ID, ClinicID: u.ClinicID, Role: u.Role, Name: u.DisplayName, TimeZone: u.TimeZone}
		}
	}
	if sam.UserID == "" {
		return fmt.Errorf("no demo client Sam")
	}
	// Whatever the journal's random days gave since the session, one
	// shared entry to bring up, an hour ago.
	mood, anxiety, sleep, shared := 5, 6, 6.0, true
	e := &care.JournalEntry{OccurredAt: s.Now().Add(-time.Hour), Mood: &mood, Emotions: []string{"tired", "worried"},
		Symptoms: care.Symptoms{SleepHours: &sleep, Anxiety: &anxiety}, Discuss: true,
		Text: "The evening routine slipped when I stayed late at work twice. Can we talk about how to keep it on busy days?"}
	if err := s.CreateEntry(ctx, sam, sam.UserID, e, &shared); err != nil {
		return fmt.Errorf("client Sam's entry: %w", err)
	}
	due, err := s.MeasuresDue(ctx, sam, sam.UserID)
	if err != nil {
		return err
	}
	somewhat := 1 // the unscored last question: "Somewhat difficult"
	for _, m := range due {
		if answers, ok := samThisWeek[m.Instrument]; ok {
			if _, err := s.AnswerMeasure(ctx, sam, sam.UserID, m.ID, answers, &somewhat); err != nil {
				return fmt.Errorf("client Sam's %s: %w", m.Instrument, err)
			}
		}
	}
	// Daily check-ins from now on (none missed: Sam's place in the
	// caseload is his next session, and his thread is TestBrowserBoundaries').
	sch := care.CheckInSchedule{Weekdays: []time.Weekday{0, 1, 2, 3, 4, 5, 6}, Minute: 20 * 60}
	if err := s.SetCheckInSchedule(ctx, provider, sam.UserID, &sch); err != nil {
		return fmt.Errorf("client Sam's check-ins: %w", err)
	}
	return seedTrackers(ctx, s, admin, provider, sam) // trackers.go
}
