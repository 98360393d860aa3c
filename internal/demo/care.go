package demo

import (
	"context"
	"fmt"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// demoPlans are the demo clients' plans, in their own words, with target
// dates after today; none is about a real person. Client n gets plan
// n % len.
func demoPlans(today care.Day) [][]care.Goal {
	return [][]care.Goal{
		{
			{Title: "Get through a workday without my chest getting tight", ClinicalWording: "Reduce frequency and intensity of panic symptoms (GAD)",
				TargetDate: today.AddDays(70), Objectives: []care.Objective{
					{Text: "Use box breathing when I notice the first signs", Status: care.ObjectiveOpen},
					{Text: "Name five things I can see, four I can hear, when it starts", Status: care.ObjectiveMet},
					{Text: "Take a real lunch break away from my desk three days a week", Status: care.ObjectiveOpen, TargetDate: today.AddDays(28)},
				}},
			{Title: "Sleep at least seven hours most nights", ClinicalWording: "Improve sleep hygiene and sleep continuity",
				TargetDate: today.AddDays(42), Objectives: []care.Objective{
					{Text: "No email after 8 pm", Status: care.ObjectiveOpen},
					{Text: "Same wake-up time every day, weekends too", Status: care.ObjectiveOpen},
				}},
			{Title: "Say no to extra shifts when I am already stretched", Status: care.GoalActive, Objectives: []care.Objective{
				{Text: "Practise one sentence for saying no", Status: care.ObjectiveMet},
			}},
		},
		{
			{Title: "Feel like myself again on weekends", ClinicalWording: "Behavioral activation for depressive symptoms",
				TargetDate: today.AddDays(56), Objectives: []care.Objective{
					{Text: "Plan one thing I enjoy each Saturday", Status: care.ObjectiveOpen},
					{Text: "Go outside before noon on Sundays", Status: care.ObjectiveOpen},
				}},
			{Title: "Call my sister every week", Objectives: []care.Objective{
				{Text: "Put a reminder in my phone for Sunday evening", Status: care.ObjectiveMet},
			}},
		},
	}
}

// seedCare gives each demo client a treatment plan (saved twice, so it has
// a history), about six weeks of weekly sessions (held, one cancelled, the
// next one scheduled), tasks (daily, on weekdays, once) with past
// completions, and a comment on a goal. It runs before the journals, whose
// entries name the plans' goals.
// samSafetyPlan is the short safety plan Sam wrote (issue #16), so that
// the screenshots, the brief and the FHIR golden file show one.
var samSafetyPlan = care.SafetyPlan{
	WarningSigns:  []string{"Lying awake past 2 a.m. several nights in a row", "Cancelling plans with friends"},
	Coping:        []string{"Box breathing for five minutes", "A walk round the block with music"},
	Distraction:   []string{"The climbing gym on Thursdays", "Call my cousin Dee"},
	Help:          []string{"My sister Ngozi"},
	Professionals: []string{"Dr. Rivera, through Interlude messages or the clinic", "988 Suicide & Crisis Lifeline: call or text 988"},
	Environment:   []string{"My sister keeps the spare medication"},
	Reasons:       []string{"My niece and nephew", "Finishing my degree"},
}

func seedCare(ctx context.Context, s *store.Store, admin care.Actor) error {
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
	if provider.UserID == "" {
		return fmt.Errorf("the demo clinic has no provider")
	}
	plans := demoPlans(care.DayIn(s.Now(), "UTC"))
	n := 0
	for _, u := range users {
		if u.Role != care.RoleClient {
			continue
		}
		client := care.Actor{UserID: u.ID, ClinicID: u.ClinicID, Role: u.Role, Name: u.DisplayName, TimeZone: u.TimeZone}
		if err := seedClientCare(ctx, s, provider, client, plans[n%len(plans)]); err != nil {
			return fmt.Errorf("demo plan of client %d: %w", n+1, err)
		}
		if u.Email == "sam@demo.interlude.test" {
			if _, err := s.SaveSafetyPlan(ctx, client, u.ID, samSafetyPlan, 0); err != nil {
				return fmt.Errorf("demo safety plan: %w", err)
			}
		}
		n++
	}
	return nil
}

func seedClientCare(ctx context.Context, s *store.Store, provider, client care.Actor, goals []care.Goal) error {
	id := client.UserID
	// The first version holds the first goal only; the second, all.
	first, err := s.SavePlan(ctx, provider, id, goals[:1], 0)
	if err != nil {
		return err
	}
	rest := append([]care.Goal{first.Goals[0]}, goals[1:]...)
	rest[0].Comments = nil
	plan, err := s.SavePlan(ctx, provider, id, rest, first.Version)
	if err != nil {
		return err
	}
	if _, err := s.AddGoalComment(ctx, client, id, plan.Goals[0].ID, "The breathing helps more in the morning than at night."); err != nil {
		return err
	}

	// Weekly sessions at 17:00 where the client lives: six held, one of
	// them cancelled instead, and the next one in a few days.
	loc := care.Location(client.TimeZone)
	now := s.Now().In(loc)
	next := time.Date(now.Year(), now.Month(), now.Day()+3, 17, 0, 0, 0, loc)
	for week := 6; week >= 0; week-- {
		a := &care.Appointment{StartsAt: next.AddDate(0, 0, -7*week), Minutes: 50, Status: care.AppointmentHeld}
		switch week {
		case 0:
			a.Status = care.AppointmentScheduled
		case 3:
			a.Status = care.AppointmentCancelled
		}
		if err := s.CreateAppointment(ctx, provider, id, a); err != nil {
			return err
		}
	}

	// Tasks, with completions over the past weeks.
	today := care.DayIn(s.Now(), client.TimeZone)
	tasks := []*care.Task{
		{Title: "Box breathing for five minutes", Instructions: "In for four, hold for four, out for four, hold for four. Morning and evening if you can.",
			DueDate: today.AddDays(-20), Recurrence: "daily", GoalID: plan.Goals[0].ID},
		{Title: "Walk at lunch", DueDate: today.AddDays(-20), Recurrence: "weekly:1,3,5", EndsOn: today.AddDays(30)},
		{Title: "Write down three things that went well this week", DueDate: today.AddDays(2)},
	}
	if len(plan.Goals) > 1 {
		tasks[1].GoalID = plan.Goals[1].ID
	}
	for _, t := range tasks {
		if err := s.CreateTask(ctx, provider, id, t); err != nil {
			return err
		}
	}
	notes := []string{"", "Easier today.", "", "Did it twice.", "", "Hard to focus, but I did it."}
	for i, day := range tasks[0].Days(today.AddDays(-20), today.AddDays(-1)) {
		if i%4 == 3 {
			continue // a missed day now and then
		}
		if _, err := s.CompleteTask(ctx, client, id, tasks[0].ID, day, notes[i%len(notes)]); err != nil {
			return err
		}
	}
	for i, day := range tasks[1].Days(today.AddDays(-20), today.AddDays(-1)) {
		if i%3 == 2 {
			continue
		}
		if _, err := s.CompleteTask(ctx, client, id, tasks[1].ID, day, ""); err != nil {
			return err
		}
	}
	return nil
}
