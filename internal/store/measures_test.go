package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// TestMeasures: the care team schedules a PHQ-9; it is due at once on the
// client's home; the client answers, the server scores (bands as
// published), and it falls due again every_days later; the list carries
// the change from baseline (Jacobson–Truax), response and remission.
func TestMeasures(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Measure Clinic")
		prov, client := c.Actor(c.Provider), c.Actor(c.Client)

		m := care.MeasureSchedule{Instrument: "phq9", EveryDays: 7}
		if err := db.Store.ScheduleMeasure(ctx, prov, c.Client.ID, &m); err != nil {
			t.Fatal(err)
		}
		if e := lastEvent(t, db, c.Clinic.ID); e.action != "measure.schedule" || e.outcome != "success" {
			t.Errorf("audit %+v", e)
		}
		due, err := db.Store.MeasuresDue(ctx, client, c.Client.ID)
		if err != nil || len(due) != 1 || due[0].ID != m.ID {
			t.Fatalf("due: %+v, %v", due, err)
		}

		answer := func(answers ...int) *care.MeasureResponse {
			t.Helper()
			r, err := db.Store.AnswerMeasure(ctx, client, c.Client.ID, m.ID, answers, nil)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		r := answer(2, 2, 2, 2, 2, 2, 2, 2, 0) // 16: moderately severe
		if r.Total != 16 || r.Severity != care.ModeratelySevere || r.SafetyFlag {
			t.Errorf("first answer: %+v", r.Score)
		}
		if e := lastEvent(t, db, c.Clinic.ID); e.action != "measure.answer" || e.client != c.Client.ID || e.outcome != "success" {
			t.Errorf("audit %+v", e)
		}
		// Not due again for a week.
		_, err = db.Store.AnswerMeasure(ctx, client, c.Client.ID, m.ID, make([]int, 9), nil)
		wantCode(t, "answering early", err, care.Conflict)
		if due, _ := db.Store.MeasuresDue(ctx, client, c.Client.ID); len(due) != 0 {
			t.Errorf("due right after answering: %+v", due)
		}
		db.Clock.Advance(7 * 24 * time.Hour)
		if due, _ := db.Store.MeasuresDue(ctx, client, c.Client.ID); len(due) != 1 {
			t.Errorf("due a week later: %+v", due)
		}
		answer(1, 1, 1, 1, 1, 1, 1, 0, 0) // 7: mild, reliable improvement (−9), response
		db.Clock.Advance(7 * 24 * time.Hour)
		answer(1, 1, 0, 0, 0, 0, 0, 0, 0) // 2: remission

		list, err := db.Store.Measures(ctx, prov, c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Schedules) != 1 || len(list.Responses) != 3 {
			t.Fatalf("list: %d schedules, %d responses", len(list.Schedules), len(list.Responses))
		}
		got := list.Responses // newest first
		if got[0].Total != 2 || got[1].Total != 7 || got[2].Total != 16 {
			t.Errorf("totals %d %d %d", got[0].Total, got[1].Total, got[2].Total)
		}
		if p := got[2].Progress; p.HasPrevious || p.Change != care.NoReliableChange || p.Response {
			t.Errorf("baseline progress %+v", p)
		}
		if p := got[1].Progress; p.Change != care.ReliableImprovement || !p.Response || p.Remission || p.Delta != -9 {
			t.Errorf("second progress %+v", p)
		}
		if p := got[0].Progress; !p.Remission || !p.Response || p.Delta != -5 {
			t.Errorf("third progress %+v", p)
		}
		if len(got[0].Answers) != 9 || got[0].Answers[0] != 1 {
			t.Errorf("answers %v", got[0].Answers)
		}

		// Stopped: no longer due, its responses stay, answering is a conflict.
		db.Clock.Advance(8 * 24 * time.Hour)
		if err := db.Store.StopMeasure(ctx, prov, c.Client.ID, m.ID); err != nil {
			t.Fatal(err)
		}
		if due, _ := db.Store.MeasuresDue(ctx, client, c.Client.ID); len(due) != 0 {
			t.Errorf("due after stopping: %+v", due)
		}
		_, err = db.Store.AnswerMeasure(ctx, client, c.Client.ID, m.ID, make([]int, 9), nil)
		wantCode(t, "answering a stopped measure", err, care.Conflict)
	})
}

// TestMeasureValidationAndAccess: answers are exactly the instrument's
// items, 0..3; only the client answers and only the care team schedules;
// everyone else finds nothing (AC-03).
func TestMeasureValidationAndAccess(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Strict Clinic")
		b := storetest.SeedClinic(t, db.Store, "Elsewhere")
		prov, client := c.Actor(c.Provider), c.Actor(c.Client)

		for _, bad := range []care.MeasureSchedule{{Instrument: "phq8", EveryDays: 7}, {Instrument: "gad7", EveryDays: 0}, {Instrument: "gad7", EveryDays: 400}} {
			err := db.Store.ScheduleMeasure(ctx, prov, c.Client.ID, &bad)
			wantCode(t, "schedule "+bad.Instrument, err, care.Invalid)
		}
		m := care.MeasureSchedule{Instrument: "gad7", EveryDays: 14}
		err := db.Store.ScheduleMeasure(ctx, client, c.Client.ID, &m)
		wantCode(t, "the client schedules", err, care.Forbidden)
		if err := db.Store.ScheduleMeasure(ctx, prov, c.Client.ID, &m); err != nil {
			t.Fatal(err)
		}
		for _, answers := range [][]int{nil, make([]int, 6), make([]int, 9), {0, 0, 0, 0, 0, 0, 4}, {-1, 0, 0, 0, 0, 0, 0}} {
			_, err := db.Store.AnswerMeasure(ctx, client, c.Client.ID, m.ID, answers, nil)
			wantCode(t, "answers", err, care.Invalid)
		}
		_, err = db.Store.AnswerMeasure(ctx, prov, c.Client.ID, m.ID, make([]int, 7), nil)
		wantCode(t, "the provider answers", err, care.Forbidden)
		for _, tt := range []struct {
			name  string
			actor care.Actor
		}{
			{"another team's provider", c.Actor(c.OtherProvider)},
			{"another client", c.Actor(c.OtherClient)},
			{"the admin without a grant", c.Actor(c.Admin)},
			{"another clinic's provider", b.Actor(b.Provider)},
		} {
			if _, err := db.Store.Measures(ctx, tt.actor, c.Client.ID); !errors.Is(err, care.ErrNotFound) || !store.Audited(err) {
				t.Errorf("%s reads: %v", tt.name, err)
			}
			if _, err := db.Store.AnswerMeasure(ctx, tt.actor, c.Client.ID, m.ID, make([]int, 7), nil); !errors.Is(err, care.ErrNotFound) {
				t.Errorf("%s answers: %v", tt.name, err)
			}
			if err := db.Store.ScheduleMeasure(ctx, tt.actor, c.Client.ID, &care.MeasureSchedule{Instrument: "phq9", EveryDays: 7}); !errors.Is(err, care.ErrNotFound) {
				t.Errorf("%s schedules: %v", tt.name, err)
			}
		}
		// Another client's schedule id is not found for this client.
		o := care.MeasureSchedule{Instrument: "phq9", EveryDays: 7}
		if err := db.Store.ScheduleMeasure(ctx, c.Actor(c.OtherProvider), c.OtherClient.ID, &o); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.AnswerMeasure(ctx, client, c.Client.ID, o.ID, make([]int, 9), nil); !errors.Is(err, care.ErrNotFound) {
			t.Errorf("answering another client's schedule: %v", err)
		}
		if n := countRows(t, db, "measure_responses"); n != 0 {
			t.Errorf("%d responses stored after refusals", n)
		}

		// The answers are sealed: the stored body holds neither the answers
		// nor the total in the clear.
		if _, err := db.Store.AnswerMeasure(ctx, client, c.Client.ID, m.ID, []int{3, 3, 3, 3, 3, 3, 2}, nil); err != nil {
			t.Fatal(err)
		}
		var sealed []byte
		if err := db.Engine.SQLDB().QueryRow(`SELECT body_sealed FROM measure_responses`).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		plain, _ := json.Marshal(map[string]any{"answers": []int{3, 3, 3, 3, 3, 3, 2}})
		if bytes.Contains(sealed, []byte("[3,3,3")) || bytes.Contains(sealed, []byte(`"total"`)) || len(sealed) < len(plain) {
			t.Errorf("the body is not sealed: %q", sealed)
		}
	})
}
