package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// Demo caseload (issue #7): besides Sam and Alex, the demo provider has a
// few clients whose rows show every reason of the caseload's order, one
// each, so that the order is plain to see: Alex's open safety flag (from
// seedMeasures) leads; then Jordan, whose GAD-7 is reliably worse than at
// baseline; Riley, whose shared mood fell; Jamie, with unread messages;
// Morgan, who missed check-ins; Casey, whose PHQ-9 is overdue; then Sam
// and Taylor, with only their next sessions. These clients have no login: they exist
// only to fill the provider's list. Everything goes through the store's
// ordinary, audited methods.

// caseloadDomain marks the caseload-only demo clients' emails.
const caseloadDomain = "@caseload.demo.interlude.test"

// caseloadOnly reports whether email is a caseload-only demo client's.
func caseloadOnly(email string) bool { return strings.HasSuffix(email, caseloadDomain) }

func seedCaseload(ctx context.Context, s *store.Store, admin, provider care.Actor) error {
	// What Alex, and any demo client who answers PHQ-9 item 9 above 0,
	// reads at once beside the crisis resources.
	if err := s.SetSafetyMessage(ctx, admin, "Dr. Rivera or the on-call clinician will call you within one working day. "+
		"If you cannot keep yourself safe, call 988 or 911 now, or go to the nearest emergency room."); err != nil {
		return fmt.Errorf("safety message: %w", err)
	}
	now := s.Now()
	day := 24 * time.Hour
	newClient := func(name, zone string) (care.User, care.Actor, error) {
		u := care.User{ClinicID: admin.ClinicID, Role: care.RoleClient, TimeZone: zone, DisplayName: name,
			Email: strings.ToLower(strings.Fields(name)[0]) + caseloadDomain}
		if err := s.CreateUser(ctx, &u); err != nil {
			return u, care.Actor{}, err
		}
		if err := s.AddToCareTeam(ctx, admin, u.ID, provider.UserID); err != nil {
			return u, care.Actor{}, err
		}
		return u, care.Actor{UserID: u.ID, ClinicID: u.ClinicID, Role: u.Role, Name: u.DisplayName, TimeZone: u.TimeZone}, nil
	}
	// history schedules instrument weekly for the client and imports
	// answers given daysAgo[i] days ago, oldest first.
	history := func(u care.User, client care.Actor, instrument string, daysAgo []int, answers [][]int) error {
		m := &care.MeasureSchedule{Instrument: instrument, EveryDays: 7}
		if err := s.ScheduleMeasure(ctx, provider, u.ID, m); err != nil {
			return err
		}
		past := make([]store.PastAnswers, len(answers))
		for i, a := range answers {
			past[i] = store.PastAnswers{At: now.Add(-time.Duration(daysAgo[i])*day - time.Hour), Answers: a}
		}
		return s.ImportMeasureHistory(ctx, client, u.ID, m.ID, past)
	}

	// Jordan: GAD-7 from 5 to 12 over three weeks, answered yesterday.
	jordan, jordanActor, err := newClient("Jordan Ellis", "America/Chicago")
	if err != nil {
		return err
	}
	if err := history(jordan, jordanActor, "gad7", []int{15, 8, 1},
		[][]int{{1, 1, 1, 1, 0, 1, 0}, {1, 2, 1, 1, 1, 1, 1}, {2, 2, 2, 2, 1, 2, 1}}); err != nil {
		return fmt.Errorf("client Jordan's GAD-7: %w", err)
	}

	// Riley: shared journal entries whose mood falls from 7 to 3 over
	// ten days.
	riley, rileyActor, err := newClient("Riley Park", "America/Denver")
	if err != nil {
		return err
	}
	shared := true
	for i, mood := range []int{7, 7, 6, 5, 4, 3} {
		e := &care.JournalEntry{OccurredAt: now.Add(-time.Duration(10-2*i)*day - 2*time.Hour), Mood: &mood}
		if err := s.CreateEntry(ctx, rileyActor, riley.ID, e, &shared); err != nil {
			return fmt.Errorf("client Riley's journal: %w", err)
		}
	}

	// Jamie: two messages the provider has not read yet.
	jamie, jamieActor, err := newClient("Jamie Ortiz", "America/Chicago")
	if err != nil {
		return err
	}
	for _, text := range []string{
		"Quick question before our next session: can we talk about the new shift pattern?",
		"Also, the breathing exercise worked on the bus today.",
	} {
		if _, err := s.SendMessage(ctx, jamieActor, jamie.ID, &care.Message{Text: text}); err != nil {
			return fmt.Errorf("client Jamie's messages: %w", err)
		}
	}

	// Morgan: daily check-ins at 19:00, the last three left unanswered.
	morgan, _, err := newClient("Morgan Blake", "America/New_York")
	if err != nil {
		return err
	}
	sch := care.CheckInSchedule{Weekdays: []time.Weekday{0, 1, 2, 3, 4, 5, 6}, Minute: 19 * 60}
	if err := s.SetCheckInSchedule(ctx, provider, morgan.ID, &sch); err != nil {
		return fmt.Errorf("client Morgan's check-ins: %w", err)
	}
	if err := s.ImportMissedCheckIns(ctx, provider, morgan.ID, 3); err != nil {
		return fmt.Errorf("client Morgan's check-ins: %w", err)
	}

	// Casey: a weekly PHQ-9 last answered twelve days ago, overdue by five.
	casey, caseyActor, err := newClient("Casey Nguyen", "America/Los_Angeles")
	if err != nil {
		return err
	}
	if err := history(casey, caseyActor, "phq9", []int{19, 12},
		[][]int{{1, 1, 1, 1, 0, 1, 0, 0, 0}, {1, 1, 1, 1, 1, 0, 0, 0, 0}}); err != nil {
		return fmt.Errorf("client Casey's PHQ-9: %w", err)
	}

	// Taylor: nothing waiting, a session next week.
	taylor, _, err := newClient("Taylor Brooks", "America/Chicago")
	if err != nil {
		return err
	}
	next := now.Add(6 * day).Truncate(time.Hour)
	if err := s.CreateAppointment(ctx, provider, taylor.ID, &care.Appointment{StartsAt: next, Minutes: 50}); err != nil {
		return fmt.Errorf("client Taylor's session: %w", err)
	}
	return nil
}
