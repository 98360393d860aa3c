package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// journalDays is how far back the demo journal goes: about six weeks.
const journalDays = 42

// demoNotes are what demo clients write; none is about a real person.
var demoNotes = []string{
	"Hard morning, the alarm went off three times. Felt better after a walk at lunch.",
	"Tried the breathing exercise before the team meeting. It helped a little.",
	"Talked with my sister on the phone for an hour. Felt lighter afterwards.",
	"Couldn't fall asleep until 2. Kept thinking about the deadline.",
	"Good day. Cooked dinner and didn't check email after 8.",
	"Snapped at a coworker and felt bad about it all afternoon.",
	"Went to the gym for the first time in weeks.",
	"Rainy and slow. Stayed in and read.",
	"Noticed the tight chest again on the bus. Named five things I could see, and it eased.",
	"Skipped lunch, had a headache by 4.",
	"Said no to an extra shift, which I never do. Proud of that.",
	"Felt flat most of the day, nothing in particular happened.",
}

// seedJournal writes about six weeks of varied entries for a demo client:
// most days one, some days two, a few none; moods that dip and recover and
// slowly rise; emotions, sleep and symptoms on many; some linked to a goal
// of the client's plan, if the plan has one; some flagged for the next
// session; most shared, a few private. seed makes each client's journal
// its own and the demo the same on every run.
func seedJournal(ctx context.Context, s *store.Store, client care.User, seed uint64, shareByDefault bool) error {
	actor := care.Actor{UserID: client.ID, ClinicID: client.ClinicID, Role: care.RoleClient, TimeZone: client.TimeZone}
	if err := s.SetShareByDefault(ctx, actor, shareByDefault); err != nil {
		return err
	}
	var goals []string
	if plan, err := s.Plan(ctx, actor, client.ID); err == nil {
		for _, g := range plan.Goals {
			goals = append(goals, g.ID)
		}
	}
	loc, err := time.LoadLocation(client.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed)) //nolint:gosec // G404: made-up demo entries, the same for the same seed; nothing secret
	now := s.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	pleasant, hard := care.Emotions[:12], care.Emotions[12:]
	for day := journalDays; day >= 0; day-- {
		n := 1
		switch r := rng.IntN(10); {
		case r == 0:
			n = 0
		case r >= 8:
			n = 2
		}
		for i := range n {
			at := today.AddDate(0, 0, -day).Add(time.Duration(8+rng.IntN(13))*time.Hour + time.Duration(rng.IntN(60))*time.Minute)
			if i == 1 {
				at = at.Add(-3 * time.Hour)
			}
			if at.After(now) {
				continue
			}
			// A slow rise over the weeks, a dip every week, and noise.
			base := 4.0 + 2.5*float64(journalDays-day)/journalDays
			if at.Weekday() == time.Monday {
				base -= 1.5
			}
			mood := min(10, max(0, int(base+rng.NormFloat64()*1.3+0.5)))
			e := &care.JournalEntry{OccurredAt: at, Mood: &mood}
			words := pleasant
			if mood < 5 {
				words = hard
			}
			for range 1 + rng.IntN(3) {
				e.Emotions = append(e.Emotions, words[rng.IntN(len(words))])
			}
			if rng.IntN(8) == 0 {
				e.Emotions = append(e.Emotions, "on edge")
			}
			if i == 0 && rng.IntN(3) > 0 {
				hours := float64(50+rng.IntN(35)) / 10
				quality := min(10, max(0, int(hours)-1+rng.IntN(3)))
				anxiety := min(10, max(0, 9-mood+rng.IntN(3)-1))
				energy := min(10, max(0, mood+rng.IntN(3)-1))
				e.Symptoms = care.Symptoms{SleepHours: &hours, SleepQuality: &quality, Anxiety: &anxiety, Energy: &energy}
			}
			if rng.IntN(2) == 0 {
				e.Text = demoNotes[rng.IntN(len(demoNotes))]
			}
			if len(goals) > 0 && rng.IntN(3) == 0 {
				progress := min(10, max(0, mood-1+rng.IntN(3)))
				e.GoalID, e.GoalProgress = goals[rng.IntN(len(goals))], &progress
			}
			e.Discuss = rng.IntN(9) == 0
			shared := shareByDefault
			if rng.IntN(6) == 0 {
				shared = !shared
			}
			if err := s.CreateEntry(ctx, actor, client.ID, e, &shared); err != nil {
				return fmt.Errorf("demo journal entry: %w", err)
			}
		}
	}
	return nil
}

// seedJournals writes a demo journal for each client of the demo clinic:
// the first shares new entries by default, the others keep them private
// unless they choose. It runs after the plans are seeded, so that entries
// can name goals.
func seedJournals(ctx context.Context, s *store.Store, admin care.Actor) error {
	users, err := s.Users(ctx, admin)
	if err != nil {
		return err
	}
	n := 0
	for _, u := range users {
		if u.Role != care.RoleClient {
			continue
		}
		if err := seedJournal(ctx, s, u.User, uint64(n+1)*7919, n == 0); err != nil {
			return err
		}
		n++
	}
	return nil
}
