package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestReliableChangeSetting: a clinic follows NHS Talking Therapies'
// thresholds (PHQ-9 6, GAD-7 4) until an admin sets its own, within
// bounds; staff read them, a client does not; setting them is audited.
func TestReliableChangeSetting(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Change Clinic")
		admin, prov, client := c.Actor(c.Admin), c.Actor(c.Provider), c.Actor(c.Client)
		if got, err := db.Store.ReliableChange(ctx, prov); err != nil || got != (care.ReliableChange{PHQ9: 6, GAD7: 4}) {
			t.Fatalf("default: %+v, %v", got, err)
		}
		if _, err := db.Store.ReliableChange(ctx, client); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("a client reads the setting: %v", err)
		}
		wantCode(t, "a provider sets it", db.Store.SetReliableChange(ctx, prov, care.ReliableChange{PHQ9: 5, GAD7: 4}), care.Forbidden)
		for _, bad := range []care.ReliableChange{{PHQ9: 1, GAD7: 4}, {PHQ9: 14, GAD7: 4}, {PHQ9: 6, GAD7: 11}, {PHQ9: 6}} {
			wantCode(t, "out of bounds", db.Store.SetReliableChange(ctx, admin, bad), care.Invalid)
		}
		want := care.ReliableChange{PHQ9: 4, GAD7: 3}
		if err := db.Store.SetReliableChange(ctx, admin, want); err != nil {
			t.Fatal(err)
		}
		if e := lastEvent(t, db, c.Clinic.ID); e.action != "clinic.reliable_change" || e.outcome != "success" || e.reason != "phq9 4, gad7 3" {
			t.Errorf("audit %+v", e)
		}
		if got, err := db.Store.ReliableChange(ctx, prov); err != nil || got != want {
			t.Errorf("after setting: %+v, %v", got, err)
		}
		// The other clinic keeps the default.
		o := storetest.SeedClinic(t, db.Store, "Other Change Clinic")
		if got, _ := db.Store.ReliableChange(ctx, o.Actor(o.Provider)); got != (care.ReliableChange{PHQ9: 6, GAD7: 4}) {
			t.Errorf("other clinic: %+v", got)
		}
	})
}

// phqAnswers spreads total over PHQ-9 items 1 to 8 (item 9 stays 0).
func phqAnswers(total int) []int {
	a := make([]int, 9)
	for j := 0; total > 0; j = (j + 1) % 8 {
		a[j]++
		total--
	}
	return a
}

// TestMeasureRelapse: a PHQ-9 of 16 that fell to 4 and rose to 11 a week
// later is reliably worse than the previous total, though not than the
// baseline: the caseload, the client's measures and the brief all say so.
// At the clinic's own threshold of 8 points it is not.
func TestMeasureRelapse(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Relapse Clinic")
		prov, client := c.Actor(c.Provider), c.Actor(c.Client)
		m := care.MeasureSchedule{Instrument: "phq9", EveryDays: 7}
		if err := db.Store.ScheduleMeasure(ctx, prov, c.Client.ID, &m); err != nil {
			t.Fatal(err)
		}
		now := db.Clock.Now()
		if err := db.Store.ImportMeasureHistory(ctx, client, c.Client.ID, m.ID, []store.PastAnswers{
			{At: now.Add(-15 * 24 * time.Hour), Answers: phqAnswers(16)},
			{At: now.Add(-8 * 24 * time.Hour), Answers: phqAnswers(4)},
		}); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(time.Hour)
		if _, err := db.Store.AnswerMeasure(ctx, client, c.Client.ID, m.ID, phqAnswers(11), nil); err != nil {
			t.Fatal(err)
		}
		reasons := func() []string {
			t.Helper()
			list, err := db.Store.Caseload(ctx, prov)
			if err != nil {
				t.Fatal(err)
			}
			for _, cs := range list {
				if cs.ID == c.Client.ID {
					return cs.Need.ReasonTexts(db.Clock.Now())
				}
			}
			t.Fatal("the client is not in the caseload")
			return nil
		}
		want := "PHQ-9 reliably worse: 11, up from 4 the time before (baseline 16)"
		if got := reasons(); len(got) == 0 || got[0] != want {
			t.Errorf("caseload reasons %q, want %q first", got, want)
		}
		list, err := db.Store.Measures(ctx, prov, c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p := list.Responses[0].Progress; p.Step != care.ReliableDeterioration || p.Change != care.NoReliableChange || list.ReliableChange.PHQ9 != 6 {
			t.Errorf("latest progress %+v by %+v", p, list.ReliableChange)
		}
		b, err := db.Store.Brief(ctx, prov, c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Measures) != 1 || !b.Measures[0].Latest().Progress.Deteriorated() || b.ReliableChange.PHQ9 != 6 {
			t.Errorf("brief measures %+v", b.Measures)
		}
		if err := db.Store.SetReliableChange(ctx, c.Actor(c.Admin), care.ReliableChange{PHQ9: 8, GAD7: 4}); err != nil {
			t.Fatal(err)
		}
		for _, r := range reasons() {
			if r == want {
				t.Errorf("at 8 points, still %q", r)
			}
		}
	})
}

// TestMeasureDifficulty: the unscored last question is stored with the
// answers when given, left out when not, and refused outside 0..3; it
// never changes the total.
func TestMeasureDifficulty(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Difficulty Clinic")
		prov, client := c.Actor(c.Provider), c.Actor(c.Client)
		gad := care.MeasureSchedule{Instrument: "gad7", EveryDays: 7}
		if err := db.Store.ScheduleMeasure(ctx, prov, c.Client.ID, &gad); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []int{-1, 4} {
			_, err := db.Store.AnswerMeasure(ctx, client, c.Client.ID, gad.ID, make([]int, 7), &bad)
			var ce *care.Error
			if !errors.As(err, &ce) || ce.Code != care.Invalid || ce.Field != "difficulty" {
				t.Errorf("difficulty %d: got %v, want invalid difficulty", bad, err)
			}
		}
		three := 3
		r, err := db.Store.AnswerMeasure(ctx, client, c.Client.ID, gad.ID, []int{1, 1, 1, 1, 1, 1, 1}, &three)
		if err != nil {
			t.Fatal(err)
		}
		if r.Total != 7 || r.Difficulty == nil || *r.Difficulty != 3 {
			t.Errorf("answered: total %d, difficulty %v", r.Total, r.Difficulty)
		}
		phq := care.MeasureSchedule{Instrument: "phq9", EveryDays: 7}
		if err := db.Store.ScheduleMeasure(ctx, prov, c.Client.ID, &phq); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.AnswerMeasure(ctx, client, c.Client.ID, phq.ID, phqAnswers(5), nil); err != nil {
			t.Fatalf("without the last question: %v", err)
		}
		list, err := db.Store.Measures(ctx, prov, c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range list.Responses {
			switch r.Instrument {
			case "gad7":
				if r.Difficulty == nil || *r.Difficulty != 3 || r.Total != 7 {
					t.Errorf("GAD-7 read back: total %d, difficulty %v", r.Total, r.Difficulty)
				}
			case "phq9":
				if r.Difficulty != nil || r.Total != 5 {
					t.Errorf("PHQ-9 read back: total %d, difficulty %v", r.Total, *r.Difficulty)
				}
			}
		}
	})
}
