package demo

import (
	"context"
	"fmt"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// Demo measures (issue #7): a weekly PHQ-9 and GAD-7 for each client with
// six weeks of history. Sam improves steadily (a reliable improvement and,
// on the PHQ-9, a response); Alex worsens, and answers this week's PHQ-9,
// now, with item 9 above 0: the safety flag, its notification and the
// crisis resources all go through the real path (AnswerMeasure).

// demoAnswers are each client's weekly answers, oldest first: per
// instrument, one answer vector per week.
var demoAnswers = map[string]map[string][][]int{
	"sam": {
		"phq9": {{2, 2, 2, 2, 1, 2, 2, 1, 0}, {2, 2, 2, 1, 1, 2, 1, 1, 0}, {2, 1, 2, 1, 1, 1, 1, 1, 0}, {1, 1, 2, 1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 0, 1, 1, 0, 0}, {1, 1, 1, 0, 0, 1, 0, 0, 0}},
		"gad7": {{2, 2, 2, 2, 1, 2, 1}, {2, 2, 2, 1, 1, 2, 1}, {2, 1, 2, 1, 1, 1, 1}, {1, 1, 2, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 0}, {1, 1, 1, 1, 0, 1, 0}},
	},
	"alex": {
		"phq9": {{1, 1, 1, 1, 0, 1, 1, 0, 0}, {1, 1, 1, 1, 1, 1, 1, 0, 0}, {1, 2, 1, 1, 1, 1, 1, 1, 0}, {2, 2, 1, 2, 1, 1, 1, 1, 0}, {2, 2, 2, 2, 1, 2, 1, 1, 0}},
		"gad7": {{1, 1, 1, 1, 0, 1, 0}, {1, 1, 1, 1, 1, 1, 0}, {1, 2, 1, 1, 1, 1, 1}, {2, 2, 1, 1, 1, 1, 1}, {2, 2, 2, 1, 1, 2, 1}, {2, 2, 2, 2, 1, 2, 1}},
	},
}

// alexNow is the PHQ-9 Alex answers when the demo is made: item 9 is 1
// ("several days"), which raises the safety flag.
var alexNow = []int{2, 2, 2, 2, 1, 2, 2, 1, 1}

func seedMeasures(ctx context.Context, s *store.Store, admin care.Actor) error {
	users, err := s.Users(ctx, admin)
	if err != nil {
		return err
	}
	var provider care.Actor
	for _, u := range users {
		if u.Role == care.RoleProvider {
			provider = care.Actor{UserID: u.ID, ClinicID: u.ClinicID, Role: u.Role, Name: u.DisplayName, TimeZone: u.TimeZone}
			break
		}
	}
	for _, u := range users {
		if u.Role != care.RoleClient {
			continue
		}
		who := "sam"
		if u.Email == "alex@demo.interlude.test" {
			who = "alex"
		}
		client := care.Actor{UserID: u.ID, ClinicID: u.ClinicID, Role: u.Role, Name: u.DisplayName, TimeZone: u.TimeZone}
		for _, in := range care.Instruments {
			weeks := demoAnswers[who][in.Code]
			m := &care.MeasureSchedule{Instrument: in.Code, EveryDays: 7}
			if err := s.ScheduleMeasure(ctx, provider, u.ID, m); err != nil {
				return err
			}
			// Weekly, ending a week ago: this week's falls due now.
			past := make([]store.PastAnswers, len(weeks))
			for i, a := range weeks {
				past[i] = store.PastAnswers{At: s.Now().Add(-time.Duration(len(weeks)-i)*7*24*time.Hour - time.Hour), Answers: a}
			}
			if err := s.ImportMeasureHistory(ctx, client, u.ID, m.ID, past); err != nil {
				return fmt.Errorf("%s history: %w", in.Name, err)
			}
			if who == "alex" && in == care.PHQ9 {
				resp, err := s.AnswerMeasure(ctx, client, u.ID, m.ID, alexNow, nil)
				if err != nil {
					return fmt.Errorf("%s now: %w", in.Name, err)
				}
				// Alex then answers the follow-up screener the page offers
				// (NIMH's ASQ, issue #16): a wish to be dead in the past
				// weeks, no thoughts of it now, a non-acute positive screen
				// that the flag shows.
				flagID, err := s.ScreenerOffer(ctx, client, "measure_response", resp.ID)
				if err != nil || flagID == "" {
					return fmt.Errorf("the screener after %s: %q, %v", in.Name, flagID, err)
				}
				no := false
				if _, err := s.AnswerScreener(ctx, client, u.ID, flagID, []bool{true, false, false, false}, &no); err != nil {
					return fmt.Errorf("the screener after %s: %w", in.Name, err)
				}
			}
		}
	}
	return nil
}
