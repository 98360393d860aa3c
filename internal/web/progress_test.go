package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// TestProgressPage: the client's "My progress" shows their own mood
// calendar (private entries too) and their PHQ-9 in words and as a chart;
// staff get 404, as for a page that does not exist.
func TestProgressPage(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		id := e.c.Client.ID
		ctx := context.Background()
		private, shared := false, true
		mood := func(n int) *int { return &n }
		sleep := 6.5
		for _, en := range []struct {
			e      care.JournalEntry
			shared *bool
		}{
			{care.JournalEntry{OccurredAt: db.Clock.Now().Add(-time.Hour), Mood: mood(3), Text: "private"}, &private},
			{care.JournalEntry{OccurredAt: db.Clock.Now().Add(-30 * time.Minute), Mood: mood(6), Symptoms: care.Symptoms{SleepHours: &sleep}}, &shared},
		} {
			if err := db.Store.CreateEntry(ctx, e.c.Actor(e.c.Client), id, &en.e, en.shared); err != nil {
				t.Fatalf("an entry: %v", err)
			}
		}
		rec := e.postForm(t, "/clients/"+id+"/measures", e.provider, url.Values{"instrument": {"phq9"}, "every": {"2"}, "unit": {"weeks"}})
		expect(t, rec, http.StatusSeeOther, "", "scheduling")
		list, err := db.Store.Measures(ctx, e.c.Actor(e.c.Provider), id)
		if err != nil || len(list.Schedules) != 1 {
			t.Fatalf("schedules: %+v, %v", list, err)
		}
		v := url.Values{"q9": {"0"}}
		for i := 1; i <= 8; i++ {
			v.Set("q"+strconv.Itoa(i), "2")
		}
		expect(t, e.postForm(t, "/measures/"+list.Schedules[0].ID, e.client, v), http.StatusSeeOther, "", "answering")

		more := e.call(t, "GET", "/more", e.client, nil).Body.String()
		if !strings.Contains(more, `href="/progress"`) {
			t.Errorf("More does not link My progress")
		}
		rec = e.call(t, "GET", "/progress", e.client, nil)
		expect(t, rec, http.StatusOK, "", "the client's progress")
		page := rec.Body.String()
		today := db.Clock.Now().In(viewerZone(e.c.Actor(e.c.Client)))
		// The day's average of a private 3 and a shared 6, in words and
		// in the cell.
		want := today.Format("Monday 2 January") + ": mood 4.5 out of 10, the average of 2 ratings"
		if !strings.Contains(page, want) || !strings.Contains(page, `<td class="mood-b2">`) || !strings.Contains(page, `<span class="cal-mood" aria-hidden="true">4.5</span>`) {
			t.Errorf("the calendar lacks %q: %s", want, page)
		}
		if !strings.Contains(page, "Your PHQ-9 was 16 in "+today.Format("January")) || !strings.Contains(page, `id="chart-phq9"`) {
			t.Errorf("the PHQ-9 summary or chart is missing: %s", page)
		}
		if !strings.Contains(page, `id="chart-sleep_hours"`) || !strings.Contains(page, "Not rated in these weeks: Sleep quality") {
			t.Errorf("the sleep chart is missing: %s", page)
		}
		for _, staff := range []string{e.provider, e.other} {
			expect(t, e.call(t, "GET", "/progress", staff, nil), http.StatusNotFound, "", "staff open /progress")
		}
	})
}

// TestProgressOfMeasure: the totals in plain words, with the reliable
// change judged by the store (Progress.Change).
func TestProgressOfMeasure(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	resp := func(at time.Time, total int, c care.Change) care.MeasureResponse {
		return care.MeasureResponse{Instrument: "phq9", AnsweredAt: at, Score: care.Score{Total: total, Severity: care.Mild}, Progress: care.Progress{Change: c}}
	}
	rc := care.ReliableChange{PHQ9: 6, GAD7: 4}
	for _, tc := range []struct {
		name string
		list []care.MeasureResponse // newest first
		want string
	}{
		{"improvement", []care.MeasureResponse{resp(now, 9, care.ReliableImprovement), resp(now.AddDate(0, -2, 0), 16, care.NoReliableChange)},
			"Your PHQ-9 went from 16 in October to 9 now: that is a reliable improvement."},
		{"no reliable change", []care.MeasureResponse{resp(now, 13, care.NoReliableChange), resp(now.AddDate(-1, 0, 0), 16, care.NoReliableChange)},
			"Your PHQ-9 went from 16 in December 2025 to 13 now: not a reliable change yet. A change of 6 points or more is one."},
		{"one answer", []care.MeasureResponse{resp(now, 9, care.NoReliableChange)}, "Your PHQ-9 was 9 in December."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, ok := progressOfMeasure(care.PHQ9, tc.list, rc, now, time.UTC)
			if !ok || !strings.HasPrefix(m.Sentence, tc.want) {
				t.Errorf("got %q, want %q", m.Sentence, tc.want)
			}
		})
	}
	if _, ok := progressOfMeasure(care.GAD7, []care.MeasureResponse{resp(now, 9, 0)}, rc, now, time.UTC); ok {
		t.Errorf("a GAD-7 summary from PHQ-9 answers")
	}
}

// sampleProgressPage is a full progress page for TestEveryPageTemplate.
func sampleProgressPage(l Layout) *progressPage {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	mood, progress, sleep := 7, 5, 7.5
	entries := []care.JournalEntry{{OccurredAt: now, Mood: &mood, GoalID: "g1", GoalProgress: &progress, Symptoms: care.Symptoms{SleepHours: &sleep}}}
	first := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	m, _ := progressOfMeasure(care.PHQ9, []care.MeasureResponse{{Instrument: "phq9", AnsweredAt: now, Score: care.Score{Total: 9, Severity: care.Mild}}}, care.ReliableChange{PHQ9: 6, GAD7: 4}, now, time.UTC)
	p := &progressPage{Layout: l, Legend: moodBands, Weeks: progressWeeks, Months: moodCalendar(entries, first, now, time.UTC),
		Measures: []progressMeasure{m}, Unrated: []string{"Pain"},
		Goals: goalCharts(entries, goalTitles{"g1": "Sleep better"}, []care.Goal{{ID: "g1", Title: "Sleep better"}}, first, now, time.UTC)}
	for _, sr := range care.Trends(entries)[1:2] {
		p.Charts = append(p.Charts, seriesSummaryChart(sr, first, now, time.UTC))
	}
	return p
}
