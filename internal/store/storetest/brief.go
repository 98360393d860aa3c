package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// BriefNow is when a SeedBrief story ends: Friday 2026-12-04 12:00 UTC.
var BriefNow = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// BriefHeldAt is the start of the story's last held session, which opens
// the brief's window.
var BriefHeldAt = time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)

// BriefSeed names what SeedBrief made, for tests to look for.
type BriefSeed struct {
	SleepGoal, WalkGoal       string
	BreathingTask, DiaryTask  string
	WalkTask                  string
	HeldSession, NextSession  string
	DiscussEntry              string   // shared, "bring this up", in the window
	OldDiscussEntry           string   // shared, "bring this up", before the window
	PrivateEntries            []string // private, some marked "bring this up"
	DeletedEntry              string   // shared, then deleted
	CrisisFlag, MeasureFlag   string   // acknowledged, and open
	PrivateText, DeletedText  string   // words only those entries hold
	SharedEntriesInWindow     int
	CheckInsSent, CheckInsDue int
}

// SeedBrief writes a fixed three-week story of c.Client with c.Provider
// into db, moving db's clock from 2026-11-13 to BriefNow, where it leaves
// it: a plan with two goals, three tasks and their completions, weekly
// PHQ-9 and GAD-7 (four imported, then answered; the last one with item 9
// above 0), sessions (an older held one, the held one of BriefHeldAt, a
// cancelled and a scheduled one), daily shared entries with mood, sleep
// and symptoms, private and deleted ones, messages (one with crisis
// language, its flag acknowledged) and daily check-ins, some missed. The
// client's time zone is UTC. Everything goes through the store's public
// methods, as the users would.
func SeedBrief(t testing.TB, db *DB, c *Clinic) *BriefSeed {
	t.Helper()
	ctx := context.Background()
	st := db.Store
	client, provider := c.Actor(c.Client), c.Actor(c.Provider)
	seed := &BriefSeed{PrivateText: "a private worry nobody else may read", DeletedText: "words the client took back"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	at := func(month time.Month, day, hour, minute int) time.Time {
		return time.Date(2026, month, day, hour, minute, 0, 0, time.UTC)
	}
	setClock := func(t time.Time) { db.Clock.Advance(t.Sub(db.Clock.Now())) }
	ptr := func(v int) *int { return &v }

	setClock(at(11, 13, 9, 0))
	plan, err := st.SavePlan(ctx, provider, c.Client.ID, []care.Goal{
		{Title: "Sleep through the night", TargetDate: "2027-01-31"},
		{Title: "Walk every morning"},
	}, store.AnyVersion)
	must(err)
	seed.SleepGoal, seed.WalkGoal = plan.Goals[0].ID, plan.Goals[1].ID

	// Weekly measures, with four weeks of history from paper.
	phq := &care.MeasureSchedule{Instrument: "phq9", EveryDays: 7}
	gad := &care.MeasureSchedule{Instrument: "gad7", EveryDays: 7}
	must(st.ScheduleMeasure(ctx, provider, c.Client.ID, phq))
	must(st.ScheduleMeasure(ctx, provider, c.Client.ID, gad))
	history := func(m *care.MeasureSchedule, answers ...[]int) {
		var past []store.PastAnswers
		for i, a := range answers {
			past = append(past, store.PastAnswers{At: at(10, 16, 9, 0).AddDate(0, 0, 7*i), Answers: a})
		}
		must(st.ImportMeasureHistory(ctx, client, c.Client.ID, m.ID, past))
	}
	history(phq, []int{2, 2, 2, 2, 2, 2, 2, 2, 0}, []int{2, 2, 2, 2, 2, 2, 2, 1, 0}, []int{2, 2, 2, 2, 2, 1, 2, 1, 0}, []int{2, 2, 2, 1, 2, 1, 2, 1, 0})
	history(gad, []int{2, 2, 2, 2, 2, 1, 1}, []int{2, 2, 2, 2, 2, 1, 1}, []int{2, 2, 2, 2, 1, 1, 1}, []int{2, 2, 2, 1, 1, 1, 1})

	// Sessions: one held this morning, the one of BriefHeldAt (held
	// later), a cancelled one and the next one.
	session := func(starts time.Time, status care.AppointmentStatus) string {
		a := &care.Appointment{StartsAt: starts, Status: status}
		must(st.CreateAppointment(ctx, provider, c.Client.ID, a))
		return a.ID
	}
	session(at(11, 13, 8, 0), care.AppointmentHeld)
	seed.HeldSession = session(BriefHeldAt, care.AppointmentScheduled)
	session(at(12, 1, 15, 0), care.AppointmentCancelled)
	seed.NextSession = session(at(12, 11, 15, 0), care.AppointmentScheduled)

	task := func(tk *care.Task) string {
		must(st.CreateTask(ctx, provider, c.Client.ID, tk))
		return tk.ID
	}
	seed.BreathingTask = task(&care.Task{Title: "Breathing practice, five minutes", GoalID: seed.SleepGoal, DueDate: "2026-11-13", Recurrence: "daily"})
	seed.DiaryTask = task(&care.Task{Title: "Write down what keeps you awake", GoalID: seed.SleepGoal, DueDate: "2026-12-02"})
	seed.WalkTask = task(&care.Task{Title: "Walk around the block", GoalID: seed.WalkGoal, DueDate: "2026-11-13", Recurrence: "weekly:1,3,5"})

	entry := func(e *care.JournalEntry, shared bool) string {
		must(st.CreateEntry(ctx, client, c.Client.ID, e, &shared))
		return e.ID
	}
	send := func(from care.Actor, text string) {
		_, err := st.SendMessage(ctx, from, c.Client.ID, &care.Message{Text: text})
		must(err)
	}

	// Before the window: a shared entry to bring up (it was, at the
	// session), a message, and the PHQ-9 and GAD-7 of 20 November.
	setClock(at(11, 20, 10, 0))
	seed.OldDiscussEntry = entry(&care.JournalEntry{OccurredAt: at(11, 20, 8, 0), Mood: ptr(3), Text: "A bad week at work.", Discuss: true}, true)
	send(client, "Can we move Friday's session?")
	_, err = st.AnswerMeasure(ctx, client, c.Client.ID, phq.ID, []int{2, 1, 2, 1, 2, 1, 1, 1, 0}, nil)
	must(err)
	_, err = st.AnswerMeasure(ctx, client, c.Client.ID, gad.ID, []int{2, 2, 1, 1, 1, 1, 1}, nil)
	must(err)

	// The session of BriefHeldAt is held; daily check-ins start.
	setClock(at(11, 27, 16, 0))
	_, err = st.UpdateAppointment(ctx, provider, c.Client.ID, seed.HeldSession, care.AppointmentChange{Status: ptrStatus(care.AppointmentHeld)})
	must(err)
	must(st.SetCheckInSchedule(ctx, provider, c.Client.ID, &care.CheckInSchedule{
		Weekdays: []time.Weekday{0, 1, 2, 3, 4, 5, 6}, Minute: 18 * 60}))

	moods := []int{6, 5, 7, 4, 6, 7, 5}
	sleep := []float64{6.5, 5, 7.5, 4.5, 6, 7, 6.5}
	anxiety := []int{5, 6, 3, 7, 4, 3, 5}
	answered := map[int]bool{0: true, 1: true, 3: true, 5: true} // check-ins of 27, 28 Nov, 30 Nov, 2 Dec
	breathing := map[int]bool{0: true, 1: true, 3: true, 4: true, 6: true}
	for i := range 7 {
		day := at(11, 27, 0, 0).AddDate(0, 0, i)
		setClock(day.Add(20 * time.Hour)) // 20:00, after the day's check-in
		e := &care.JournalEntry{OccurredAt: day.Add(19 * time.Hour), Mood: ptr(moods[i]),
			Symptoms: care.Symptoms{SleepHours: &sleep[i], Anxiety: ptr(anxiety[i]), Energy: ptr(10 - anxiety[i])}}
		if i%2 == 0 {
			e.GoalID, e.GoalProgress = seed.SleepGoal, ptr(3+i/2)
		}
		if i == 3 {
			e.Text, e.Discuss, e.Emotions = "I want to talk about my sister's visit.", true, []string{"anxious", "hopeful"}
		}
		id := entry(e, true)
		seed.SharedEntriesInWindow++
		if i == 3 {
			seed.DiscussEntry = id
		}
		if i%3 == 1 {
			seed.PrivateEntries = append(seed.PrivateEntries, entry(&care.JournalEntry{OccurredAt: day.Add(19*time.Hour + 30*time.Minute),
				Mood: ptr(1), Text: seed.PrivateText, Discuss: true}, false))
		}
		if breathing[i] {
			_, err := st.CompleteTask(ctx, client, c.Client.ID, seed.BreathingTask, care.DayIn(day, "UTC"), "")
			must(err)
		}
		// The day's check-in, at 18:00.
		jobs, err := st.ClaimJobs(ctx, "seed", []string{store.JobCheckIn}, 10, time.Minute)
		must(err)
		for _, j := range jobs {
			_, err := st.FireCheckIn(ctx, j)
			must(err)
			must(st.FinishJob(ctx, j))
			seed.CheckInsSent++
		}
		if answered[i] {
			open, found, err := st.OpenCheckIn(ctx, client)
			must(err)
			if !found {
				t.Fatalf("no open check-in on day %d", i)
			}
			_, err = st.AnswerCheckIn(ctx, client, c.Client.ID, open.ID, moods[i], "")
			must(err)
			seed.SharedEntriesInWindow++
		}
		if i < 6 {
			seed.CheckInsDue++ // the last one is still open at BriefNow
		}
		switch i {
		case 1:
			send(client, "Thanks for today.")
			send(provider, "Glad it helped. See you on the 11th.")
		case 3:
			send(client, "Some nights I think about suicide.")
		case 4:
			flags, err := st.ListOpenFlags(ctx, provider, c.Client.ID)
			must(err)
			for _, f := range flags {
				_, err := st.AcknowledgeFlag(ctx, provider, c.Client.ID, f.ID, "Called the client; reviewed the safety plan together.")
				must(err)
				seed.CrisisFlag = f.ID
			}
			del := entry(&care.JournalEntry{OccurredAt: day.Add(9 * time.Hour), Mood: ptr(2), Text: seed.DeletedText}, true)
			must(st.DeleteEntry(ctx, client, c.Client.ID, del))
			seed.DeletedEntry = del
		case 5:
			_, err := st.CompleteTask(ctx, client, c.Client.ID, seed.DiaryTask, "", "Mostly worries about money.")
			must(err)
			_, err = st.CompleteTask(ctx, client, c.Client.ID, seed.WalkTask, "2026-12-02", "")
			must(err)
			send(client, "The breathing helps.")
		}
	}

	// This morning's measures: better, but item 9 above 0.
	setClock(at(12, 4, 10, 0))
	_, err = st.AnswerMeasure(ctx, client, c.Client.ID, phq.ID, []int{1, 1, 1, 1, 1, 1, 1, 0, 1}, nil)
	must(err)
	_, err = st.AnswerMeasure(ctx, client, c.Client.ID, gad.ID, []int{1, 1, 1, 1, 1, 1, 0}, nil)
	must(err)
	flags, err := st.ListOpenFlags(ctx, provider, c.Client.ID)
	must(err)
	for _, f := range flags {
		if f.Kind == care.FlagPHQ9Item9 {
			seed.MeasureFlag = f.ID
		}
	}
	setClock(BriefNow)
	return seed
}

func ptrStatus(s care.AppointmentStatus) *care.AppointmentStatus { return &s }

// SeedBriefYear gives c.Client a year of history for the brief's
// benchmark, ending at db's clock: a shared journal entry every day (mood,
// sleep, three symptoms, every third one towards a goal, one in ten marked
// "bring this up"), a PHQ-9 and a GAD-7 every week (52 of each), 500
// messages (two in three from the client), daily tasks, and a held session
// heldDaysAgo days ago. Entries and messages are written by several
// goroutines at once, as many users would.
func SeedBriefYear(t testing.TB, db *DB, c *Clinic, heldDaysAgo int) {
	t.Helper()
	ctx := context.Background()
	st := db.Store
	client, provider := c.Actor(c.Client), c.Actor(c.Provider)
	now := db.Clock.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	plan, err := st.SavePlan(ctx, provider, c.Client.ID, []care.Goal{{Title: "Sleep through the night"}, {Title: "Walk every morning"}}, store.AnyVersion)
	must(err)
	must(st.CreateTask(ctx, provider, c.Client.ID, &care.Task{Title: "Breathing practice", GoalID: plan.Goals[0].ID,
		DueDate: care.DayIn(now.AddDate(0, 0, -360), "UTC"), Recurrence: "daily"}))
	a := &care.Appointment{StartsAt: now.Add(-time.Duration(heldDaysAgo) * 24 * time.Hour), Status: care.AppointmentHeld}
	must(st.CreateAppointment(ctx, provider, c.Client.ID, a))
	for _, in := range []string{"phq9", "gad7"} {
		m := &care.MeasureSchedule{Instrument: in, EveryDays: 7}
		must(st.ScheduleMeasure(ctx, provider, c.Client.ID, m))
		items := len(care.InstrumentByCode(in).Items)
		var past []store.PastAnswers
		for w := range 52 {
			answers := make([]int, items)
			for i := range answers {
				answers[i] = (w*7 + i*3) % 4 * (52 - w) / 52 // improving over the year
			}
			if in == "phq9" {
				answers[8] = 0
			}
			past = append(past, store.PastAnswers{At: now.Add(-time.Duration(52-w)*7*24*time.Hour + time.Hour), Answers: answers})
		}
		must(st.ImportMeasureHistory(ctx, client, c.Client.ID, m.ID, past))
	}
	parallel := func(n int, fn func(i int) error) {
		var wg sync.WaitGroup
		errs := make(chan error, n)
		work := make(chan int)
		for range 8 {
			wg.Go(func() {
				for i := range work {
					if err := fn(i); err != nil {
						errs <- err
					}
				}
			})
		}
		for i := range n {
			work <- i
		}
		close(work)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	shared := true
	parallel(365, func(i int) error {
		v := func(k int) *int { x := (i*k + 3) % 11; return &x }
		h := float64(4+i%5) + 0.5
		e := &care.JournalEntry{OccurredAt: now.Add(-time.Duration(i)*24*time.Hour - time.Hour), Mood: v(7),
			Emotions: []string{"tired", "hopeful"}, Text: "What happened today, in a few sentences of the client's own words.",
			Symptoms: care.Symptoms{SleepHours: &h, Anxiety: v(5), Energy: v(3), SleepQuality: v(2)}, Discuss: i%10 == 0}
		if i%3 == 0 {
			e.GoalID, e.GoalProgress = plan.Goals[0].ID, v(2)
		}
		return st.CreateEntry(ctx, client, c.Client.ID, e, &shared)
	})
	parallel(500, func(i int) error {
		from := client
		if i%3 == 2 {
			from = provider
		}
		_, err := st.SendMessage(ctx, from, c.Client.ID, &care.Message{Text: "A message of a few words about the week."})
		return err
	})
}
