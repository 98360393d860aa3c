package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// nextOffsetChange is the first local day after from on which zone's UTC
// offset changes (a daylight saving time change), and its noon there.
func nextOffsetChange(t *testing.T, from time.Time, zone string) (care.Day, time.Time) {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	y, m, d := from.In(loc).Date()
	for i := 1; i < 400; i++ {
		start := time.Date(y, m, d+i, 0, 0, 0, 0, loc)
		end := time.Date(y, m, d+i+1, 0, 0, 0, 0, loc)
		if end.Sub(start) != 24*time.Hour {
			return care.DayIn(start, zone), time.Date(y, m, d+i, 12, 0, 0, 0, loc)
		}
	}
	t.Fatalf("%s has no offset change within a year", zone)
	return "", time.Time{}
}

// setClock moves the fake clock forward to at.
func setClock(t *testing.T, db *storetest.DB, at time.Time) {
	t.Helper()
	d := at.Sub(db.Clock.Now())
	if d < 0 {
		t.Fatalf("the clock cannot go back to %s", at)
	}
	db.Clock.Advance(d)
}

// zonedClient is a new client of clinic c living in zone, on the
// Provider's care team.
func zonedClient(t *testing.T, db *storetest.DB, c *storetest.Clinic, zone string) care.User {
	t.Helper()
	u := care.User{ClinicID: c.Clinic.ID, Role: care.RoleClient, Email: "zoned-" + strings.ToLower(strings.ReplaceAll(zone, "/", "-")) + "@" + c.Clinic.ID + ".test",
		DisplayName: "Zoned", TimeZone: zone}
	if err := db.Store.CreateUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	if err := db.Store.AddToCareTeam(context.Background(), c.Actor(c.Admin), u.ID, c.Provider.ID); err != nil {
		t.Fatal(err)
	}
	return u
}

func days(os []care.Occurrence) string {
	var b strings.Builder
	for _, o := range os {
		fmt.Fprintf(&b, "%s", o.Day)
		if o.Done {
			b.WriteString("✓")
		}
		b.WriteString(" ")
	}
	return strings.TrimSpace(b.String())
}

// TestTaskOccurrencesAcrossDST: a daily and a weekly task yield one
// occurrence per calendar day of the client's time zone, through a
// daylight saving time change; "today" is the client's, late at night
// too; each occurrence is completed once.
func TestTaskOccurrencesAcrossDST(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "DST Clinic")
		const zone = "America/New_York"
		u := zonedClient(t, db, c, zone)
		client, provider := c.Actor(u), c.Actor(c.Provider)
		change, noon := nextOffsetChange(t, db.Clock.Now(), zone)
		setClock(t, db, noon.Add(-5*24*time.Hour))

		daily := &care.Task{Title: "Breathe for five minutes", DueDate: change.AddDays(-3), Recurrence: "daily", EndsOn: change.AddDays(3)}
		weekly := &care.Task{Title: "Call a friend", DueDate: change.AddDays(-10), Recurrence: fmt.Sprintf("weekly:%d,%d", isoDay(change), isoDay(change.AddDays(2)))}
		once := &care.Task{Title: "Write a letter", Instructions: "Do not send it", DueDate: change.AddDays(1)}
		for _, task := range []*care.Task{daily, weekly, once} {
			if err := db.Store.CreateTask(ctx, provider, u.ID, task); err != nil {
				t.Fatal(err)
			}
		}
		if e := lastEvent(t, db, c.Clinic.ID); e.action != "task.create" || e.outcome != "success" || e.client != u.ID {
			t.Errorf("audit: %+v", e)
		}
		setClock(t, db, noon)

		list, err := db.Store.Tasks(ctx, provider, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if list.Today != change || list.From != change.AddDays(-7) || list.To != change.AddDays(14) || list.TimeZone != zone {
			t.Fatalf("window: %+v", list)
		}
		byTitle := map[string]care.Task{}
		for _, task := range list.Tasks {
			byTitle[task.Title] = task
		}
		var want []string
		for i := -3; i <= 3; i++ {
			want = append(want, string(change.AddDays(i)))
		}
		if got := days(byTitle[daily.Title].Occurrences); got != strings.Join(want, " ") {
			t.Errorf("daily occurrences across %s: %s, want %s", change, got, strings.Join(want, " "))
		}
		want = nil
		for i := -7; i <= 14; i++ {
			if d := change.AddDays(i); d.Weekday() == change.Weekday() || d.Weekday() == change.AddDays(2).Weekday() {
				want = append(want, string(d))
			}
		}
		if got := days(byTitle[weekly.Title].Occurrences); got != strings.Join(want, " ") {
			t.Errorf("weekly occurrences: %s, want %s", got, strings.Join(want, " "))
		}
		if got := byTitle[once.Title]; days(got.Occurrences) != string(change.AddDays(1)) || got.Instructions != "Do not send it" || got.AssignedBy != c.Provider.ID {
			t.Errorf("one-off task: %+v", got)
		}

		// Late at night on the day of the change, "today" is still that
		// day where the client lives, though it is the next day in UTC.
		late := time.Date(noon.Year(), noon.Month(), noon.Day(), 23, 30, 0, 0, noon.Location())
		setClock(t, db, late)
		done, err := db.Store.CompleteTask(ctx, client, u.ID, daily.ID, "", "  felt calmer  ")
		if err != nil {
			t.Fatal(err)
		}
		if done.Occurrence != change || done.Note != "felt calmer" {
			t.Errorf("completion at 23:30 local on %s: %+v", change, done)
		}
		_, err = db.Store.CompleteTask(ctx, client, u.ID, daily.ID, change, "")
		wantCode(t, "the same occurrence again", err, care.Conflict)
		if _, err := db.Store.CompleteTask(ctx, client, u.ID, daily.ID, change.AddDays(-1), ""); err != nil {
			t.Errorf("yesterday's occurrence, late: %v", err)
		}
		_, err = db.Store.CompleteTask(ctx, client, u.ID, daily.ID, change.AddDays(1), "")
		wantField(t, "tomorrow's occurrence", err, "occurrence")
		_, err = db.Store.CompleteTask(ctx, client, u.ID, daily.ID, change.AddDays(-4), "")
		wantField(t, "a day before the task starts", err, "occurrence")
		_, err = db.Store.CompleteTask(ctx, client, u.ID, weekly.ID, change.AddDays(-1), "")
		wantField(t, "a weekday the task is not due", err, "occurrence")

		// Just after midnight it is the next day.
		setClock(t, db, late.Add(time.Hour))
		done, err = db.Store.CompleteTask(ctx, client, u.ID, daily.ID, "", "")
		if err != nil || done.Occurrence != change.AddDays(1) {
			t.Fatalf("completion at 00:30 local after %s: %+v %v", change, done, err)
		}
		list, err = db.Store.Tasks(ctx, client, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range list.Tasks {
			if task.ID == daily.ID {
				got := days(task.Occurrences)
				exp := strings.Join([]string{string(change.AddDays(-3)), string(change.AddDays(-2)), string(change.AddDays(-1)) + "✓",
					string(change) + "✓", string(change.AddDays(1)) + "✓", string(change.AddDays(2)), string(change.AddDays(3))}, " ")
				if got != exp {
					t.Errorf("daily occurrences after completing: %s, want %s", got, exp)
				}
			}
		}
	})
}

func isoDay(d care.Day) int {
	if w := int(d.Weekday()); w != 0 {
		return w
	}
	return 7
}

// TestTaskRules: who assigns and completes, goals of the client's own
// plan only, validation naming fields, and the home's due list.
func TestTaskRules(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Task Clinic")
		provider, client := c.Actor(c.Provider), c.Actor(c.Client)
		plan, err := db.Store.SavePlan(ctx, provider, c.Client.ID, samplePlan(), 0)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := db.Store.SavePlan(ctx, c.Actor(c.OtherProvider), c.OtherClient.ID, samplePlan(), 0)
		if err != nil {
			t.Fatal(err)
		}
		today := care.DayIn(db.Clock.Now(), "UTC")

		for _, tt := range []struct {
			field string
			task  care.Task
		}{
			{"title", care.Task{DueDate: today}},
			{"title", care.Task{Title: strings.Repeat("t", 301), DueDate: today}},
			{"instructions", care.Task{Title: "ok", DueDate: today, Instructions: strings.Repeat("i", 4001)}},
			{"due_date", care.Task{Title: "ok"}},
			{"due_date", care.Task{Title: "ok", DueDate: "2026-13-01"}},
			{"recurrence", care.Task{Title: "ok", DueDate: today, Recurrence: "monthly"}},
			{"recurrence", care.Task{Title: "ok", DueDate: today, Recurrence: "weekly:0,8"}},
			{"recurrence", care.Task{Title: "ok", DueDate: today, Recurrence: "weekly:"}},
			{"ends_on", care.Task{Title: "ok", DueDate: today, EndsOn: today}},
			{"ends_on", care.Task{Title: "ok", DueDate: today, Recurrence: "daily", EndsOn: today.AddDays(-1)}},
			{"goal_id", care.Task{Title: "ok", DueDate: today, GoalID: theirs.Goals[0].ID}},
			{"goal_id", care.Task{Title: "ok", DueDate: today, GoalID: care.NewID()}},
			{"goal_id", care.Task{Title: "ok", DueDate: today, GoalID: "nope"}},
		} {
			err := db.Store.CreateTask(ctx, provider, c.Client.ID, &tt.task)
			wantField(t, tt.field, err, tt.field)
		}
		if n := countRows(t, db, "tasks"); n != 0 {
			t.Fatalf("%d tasks stored from refused requests", n)
		}

		linked := &care.Task{Title: "Walk task-canary-55", DueDate: today, GoalID: plan.Goals[0].ID, Recurrence: "weekly:3,1,1"}
		if err := db.Store.CreateTask(ctx, provider, c.Client.ID, linked); err != nil {
			t.Fatal(err)
		}
		if linked.Recurrence != "weekly:1,3" {
			t.Errorf("recurrence normalized to %q", linked.Recurrence)
		}
		overdue := &care.Task{Title: "Book the dentist", DueDate: today.AddDays(-2)}
		later := &care.Task{Title: "Read chapter 2", DueDate: today.AddDays(5)}
		daily := &care.Task{Title: "Drink water", DueDate: today.AddDays(-1), Recurrence: "daily"}
		for _, task := range []*care.Task{overdue, later, daily} {
			if err := db.Store.CreateTask(ctx, provider, c.Client.ID, task); err != nil {
				t.Fatal(err)
			}
		}
		if tableHolds(t, db, "tasks", "task-canary-55") {
			t.Error("tasks holds a title in the clear")
		}

		// Completing: the client only.
		_, err = db.Store.CompleteTask(ctx, provider, c.Client.ID, overdue.ID, "", "")
		wantCode(t, "the provider completes", err, care.Forbidden)
		for name, actor := range map[string]care.Actor{"another client": c.Actor(c.OtherClient), "another team's provider": c.Actor(c.OtherProvider), "the admin": c.Actor(c.Admin)} {
			_, err = db.Store.CompleteTask(ctx, actor, c.Client.ID, overdue.ID, "", "")
			wantCode(t, name+" completes", err, care.NotFound)
			_, err = db.Store.Tasks(ctx, actor, c.Client.ID)
			wantCode(t, name+" lists", err, care.NotFound)
			err = db.Store.CreateTask(ctx, actor, c.Client.ID, &care.Task{Title: "x", DueDate: today})
			wantCode(t, name+" assigns", err, care.NotFound)
		}
		err = db.Store.CreateTask(ctx, client, c.Client.ID, &care.Task{Title: "x", DueDate: today})
		wantCode(t, "the client assigns", err, care.Forbidden)
		_, err = db.Store.CompleteTask(ctx, c.Actor(c.OtherClient), c.OtherClient.ID, overdue.ID, "", "")
		wantCode(t, "another client completes the task through their own record", err, care.NotFound)
		_, err = db.Store.CompleteTask(ctx, client, c.Client.ID, daily.ID, "", strings.Repeat("n", 2001))
		wantField(t, "a long note", err, "note")

		// The due list before and after completing.
		due, err := db.Store.TasksDue(ctx, client, c.Client.ID, today)
		if err != nil {
			t.Fatal(err)
		}
		got := func(due []care.DueTask) string {
			var parts []string
			for _, d := range due {
				s := d.Task.Title + "@" + string(d.Day)
				if d.Done {
					s += " done"
				}
				if d.Overdue {
					s += " overdue"
				}
				parts = append(parts, s)
			}
			return strings.Join(parts, "; ")
		}
		want := fmt.Sprintf("Book the dentist@%s overdue; Drink water@%s; ", today.AddDays(-2), today)
		if linked.OccursOn(today) {
			want += fmt.Sprintf("Walk task-canary-55@%s; ", today)
		}
		want += fmt.Sprintf("Read chapter 2@%s", today.AddDays(5))
		if got(due) != want {
			t.Errorf("due:\n got %s\nwant %s", got(due), want)
		}
		if _, err := db.Store.CompleteTask(ctx, client, c.Client.ID, overdue.ID, "", "done at last"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.CompleteTask(ctx, client, c.Client.ID, daily.ID, "", ""); err != nil {
			t.Fatal(err)
		}
		due, _ = db.Store.TasksDue(ctx, client, c.Client.ID, today)
		if s := got(due); strings.Contains(s, "Book the dentist") || !strings.Contains(s, "Drink water@"+string(today)+" done") {
			t.Errorf("due after completing: %s", s)
		}
		list, err := db.Store.Tasks(ctx, provider, c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range list.Tasks {
			switch task.ID {
			case overdue.ID:
				if len(task.Occurrences) != 1 || !task.Occurrences[0].Done || task.Occurrences[0].Note != "done at last" {
					t.Errorf("the provider sees the completion: %+v", task.Occurrences)
				}
			case linked.ID:
				if task.GoalID != plan.Goals[0].ID || task.GoalTitle != planCanary {
					t.Errorf("linked task: %+v", task)
				}
			}
		}
		if e := lastEvent(t, db, c.Clinic.ID); e.action != "task.list" || e.outcome != "success" {
			t.Errorf("audit: %+v", e)
		}
		_, err = db.Store.TasksDue(ctx, client, c.Client.ID, "today")
		wantField(t, "a malformed day", err, "day")
		if list.From != today.AddDays(-store.TaskDaysBack) || list.To != today.AddDays(store.TaskDaysAhead) {
			t.Errorf("window %s to %s", list.From, list.To)
		}
	})
}
