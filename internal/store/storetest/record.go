package storetest

import (
	"context"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// Record is what SeedRecord gave a client.
type Record struct {
	GoalID  string
	Shared  *care.JournalEntry // shared with the care team, with goal progress
	Private *care.JournalEntry // private to the client
}

// SeedRecord gives c.Client a little of everything a record holds: a plan
// with a goal and an objective, a daily task completed once, a held
// session, a shared entry with goal progress and symptoms and a private
// one, a PHQ-9 answered with item 9 above 0 (a safety flag), a GAD-7, and
// a message each way, one second apart.
func SeedRecord(t testing.TB, db *DB, c *Clinic) Record {
	t.Helper()
	ctx := context.Background()
	prov, client := c.Actor(c.Provider), c.Actor(c.Client)
	ptr := func(v int) *int { return &v }
	plan, err := db.Store.SavePlan(ctx, prov, c.Client.ID, []care.Goal{{Title: "Sleep before midnight",
		Objectives: []care.Objective{{Text: "Phone out of the bedroom"}}}}, store.AnyVersion)
	if err != nil {
		t.Fatal(err)
	}
	out := Record{GoalID: plan.Goals[0].ID}
	today := care.DayIn(db.Clock.Now(), c.Client.TimeZone)
	task := &care.Task{Title: "Breathing practice", DueDate: today, Recurrence: "daily", GoalID: out.GoalID}
	if err := db.Store.CreateTask(ctx, prov, c.Client.ID, task); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Store.CompleteTask(ctx, client, c.Client.ID, task.ID, today, "did it"); err != nil {
		t.Fatal(err)
	}
	if err := db.Store.CreateAppointment(ctx, prov, c.Client.ID, &care.Appointment{
		StartsAt: db.Clock.Now().Add(-2 * time.Hour), Status: care.AppointmentHeld}); err != nil {
		t.Fatal(err)
	}
	hours := 6.5
	yes, no := true, false
	out.Shared = &care.JournalEntry{OccurredAt: db.Clock.Now().Add(-time.Hour), Mood: ptr(6), Text: "a shared day",
		Emotions: []string{"hopeful"}, GoalID: out.GoalID, GoalProgress: ptr(4), Discuss: true,
		Symptoms: care.Symptoms{SleepHours: &hours, Anxiety: ptr(3)}}
	if err := db.Store.CreateEntry(ctx, client, c.Client.ID, out.Shared, &yes); err != nil {
		t.Fatal(err)
	}
	out.Private = &care.JournalEntry{OccurredAt: db.Clock.Now().Add(-30 * time.Minute), Mood: ptr(2), Text: "only mine"}
	if err := db.Store.CreateEntry(ctx, client, c.Client.ID, out.Private, &no); err != nil {
		t.Fatal(err)
	}
	// The PHQ-9 with its unscored last question answered ("Somewhat
	// difficult"), the GAD-7 without.
	for _, m := range []struct {
		instrument string
		answers    []int
		difficulty *int
	}{{"phq9", []int{1, 1, 1, 1, 1, 1, 1, 1, 1}, ptr(1)}, {"gad7", []int{2, 2, 1, 1, 0, 0, 1}, nil}} {
		s := &care.MeasureSchedule{Instrument: m.instrument, EveryDays: 14}
		if err := db.Store.ScheduleMeasure(ctx, prov, c.Client.ID, s); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.AnswerMeasure(ctx, client, c.Client.ID, s.ID, m.answers, m.difficulty); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []struct {
		from care.Actor
		text string
	}{{client, "hello"}, {prov, "hello back"}} {
		db.Clock.Advance(time.Second)
		if _, err := db.Store.SendMessage(ctx, m.from, c.Client.ID, &care.Message{Text: m.text}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
