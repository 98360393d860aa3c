package store_test

import (
	"context"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// flagOf returns the open flag the client's message m raised, as the
// provider sees it.
func flagOf(t *testing.T, db *storetest.DB, provider care.Actor, clientID, sourceID string) care.SafetyFlag {
	t.Helper()
	flags, err := db.Store.ListOpenFlags(context.Background(), provider, clientID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range flags {
		if f.SourceID == sourceID {
			return f
		}
	}
	t.Fatalf("no open flag for %s in %+v", sourceID, flags)
	return care.SafetyFlag{}
}

// TestAnswerScreener (issue #16): only the client answers the ASQ after
// their own open flag; the answers are validated; the triage is written on
// the flag in the same transaction, a positive screen making it a crisis
// flag and a negative one leaving its level; the caseload puts an acute
// positive first; the answers are in the client's record, sealed.
func TestAnswerScreener(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Screener")
		client, provider := c.Actor(c.Client), c.Actor(c.Provider)
		yes, no := true, false

		concern, _ := send(t, db, client, c.Client.ID, "honestly I wish I could go to sleep and never wake up")
		f := flagOf(t, db, provider, c.Client.ID, concern.ID)
		if f.Level != care.CrisisConcern || f.Screener != "" {
			t.Fatalf("flag before: %+v", f)
		}
		if id, err := db.Store.ScreenerOffer(ctx, client, "message", concern.ID); err != nil || id != f.ID {
			t.Errorf("offer: %q, %v; want %q", id, err, f.ID)
		}
		if id, err := db.Store.ScreenerOffer(ctx, c.Actor(c.OtherClient), "message", concern.ID); err != nil || id != "" {
			t.Errorf("another client's offer: %q, %v", id, err)
		}
		if _, err := db.Store.ScreenableFlag(ctx, client, c.Client.ID, f.ID); err != nil {
			t.Errorf("screenable: %v", err)
		}

		// Who may answer.
		for name, tc := range map[string]struct {
			actor    care.Actor
			clientID string
			want     care.Code
		}{
			"the provider":               {provider, c.Client.ID, care.Forbidden},
			"another client":             {c.Actor(c.OtherClient), c.Client.ID, care.NotFound},
			"another client, own record": {c.Actor(c.OtherClient), c.OtherClient.ID, care.NotFound},
			"another provider":           {c.Actor(c.OtherProvider), c.Client.ID, care.NotFound},
		} {
			if _, err := db.Store.AnswerScreener(ctx, tc.actor, tc.clientID, f.ID, []bool{false, false, false, false}, nil); care.ErrorCode(err) != tc.want {
				t.Errorf("%s: %v, want %s", name, err, tc.want)
			}
			if _, err := db.Store.ScreenableFlag(ctx, tc.actor, tc.clientID, f.ID); care.ErrorCode(err) != tc.want {
				t.Errorf("%s, screenable: %v, want %s", name, err, tc.want)
			}
		}
		// Strict answers.
		for name, tc := range map[string]struct {
			answers []bool
			acuity  *bool
		}{
			"three answers":         {[]bool{true, false, false}, &no},
			"five answers":          {[]bool{false, false, false, false, false}, nil},
			"acuity without a yes":  {[]bool{false, false, false, false}, &no},
			"no acuity after a yes": {[]bool{false, true, false, false}, nil},
		} {
			if _, err := db.Store.AnswerScreener(ctx, client, c.Client.ID, f.ID, tc.answers, tc.acuity); care.ErrorCode(err) != care.Invalid {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}

		// A non-acute positive makes the concern a crisis flag.
		r, err := db.Store.AnswerScreener(ctx, client, c.Client.ID, f.ID, []bool{true, false, false, false}, &no)
		if err != nil || r.Result != care.ScreenNonAcutePositive || r.FlagID != f.ID {
			t.Fatalf("answer: %+v, %v", r, err)
		}
		if e := lastEvent(t, db, c.Clinic.ID); e.action != "screener.answer" || e.outcome != "success" || e.client != c.Client.ID {
			t.Errorf("audit %+v", e)
		}
		if got := flagOf(t, db, provider, c.Client.ID, concern.ID); got.Level != care.CrisisAcute || got.Screener != care.ScreenNonAcutePositive {
			t.Errorf("flag after a non-acute positive: level %v, screen %q", got.Level, got.Screener)
		}
		if _, err := db.Store.AnswerScreener(ctx, client, c.Client.ID, f.ID, []bool{false, false, false, false}, nil); care.ErrorCode(err) != care.Conflict {
			t.Errorf("a second answer: %v, want conflict", err)
		}
		if got, err := db.Store.ScreenerFor(ctx, client, c.Client.ID, f.ID); err != nil || got.Result != care.ScreenNonAcutePositive {
			t.Errorf("the client reads their answer: %+v, %v", got, err)
		}
		if _, err := db.Store.ScreenerFor(ctx, c.Actor(c.OtherClient), c.Client.ID, f.ID); care.ErrorCode(err) != care.NotFound {
			t.Errorf("another client reads the answer: %v, want not_found", err)
		}
		if id, _ := db.Store.ScreenerOffer(ctx, client, "message", concern.ID); id != "" {
			t.Errorf("offered again after an answer: %q", id)
		}

		// A negative screen never lowers a PHQ-9 (crisis) flag.
		db.Clock.Advance(time.Second)
		m := care.MeasureSchedule{Instrument: "phq9", EveryDays: 14}
		if err := db.Store.ScheduleMeasure(ctx, provider, c.Client.ID, &m); err != nil {
			t.Fatal(err)
		}
		resp, err := db.Store.AnswerMeasure(ctx, client, c.Client.ID, m.ID, []int{1, 1, 1, 1, 1, 1, 1, 1, 2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		pf := flagOf(t, db, provider, c.Client.ID, resp.ID)
		if _, err := db.Store.AnswerScreener(ctx, client, c.Client.ID, pf.ID, []bool{false, false, false, false}, nil); err != nil {
			t.Fatal(err)
		}
		if got := flagOf(t, db, provider, c.Client.ID, resp.ID); got.Level != care.CrisisAcute || got.Screener != care.ScreenNegative || got.Item9 != 2 {
			t.Errorf("PHQ-9 flag after a negative screen: %+v", got)
		}

		// An acute positive puts the client first in the caseload, before
		// a client with more crisis flags; the other client's flag
		// unanswered.
		db.Clock.Advance(time.Second)
		other, _ := send(t, db, c.Actor(c.OtherClient), c.OtherClient.ID, "i have the pills ready and i'm going to take them all tonight")
		of := flagOf(t, db, c.Actor(c.OtherProvider), c.OtherClient.ID, other.ID)
		if _, err := db.Store.AnswerScreener(ctx, c.Actor(c.OtherClient), c.OtherClient.ID, of.ID, []bool{false, false, true, false}, &yes); err != nil {
			t.Fatal(err)
		}
		list, err := db.Store.Caseload(ctx, c.Actor(c.OtherProvider))
		if err != nil || len(list) == 0 || list[0].ID != c.OtherClient.ID || list[0].Need.Screener != care.ScreenAcutePositive {
			t.Errorf("other provider's caseload: %+v, %v", list, err)
		}
		list, _ = db.Store.Caseload(ctx, provider)
		for _, cs := range list {
			if cs.ID == c.Client.ID && cs.Need.Screener != care.ScreenNonAcutePositive {
				t.Errorf("client's caseload screen %q, want the non-acute positive", cs.Need.Screener)
			}
		}

		// An acknowledged flag takes no answer.
		if _, err := db.Store.AcknowledgeFlag(ctx, provider, c.Client.ID, pf.ID, "Called; safe."); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.ScreenableFlag(ctx, client, c.Client.ID, pf.ID); care.ErrorCode(err) != care.Conflict {
			t.Errorf("acknowledged flag screenable: %v, want conflict", err)
		}

		// The record holds the answers, opened.
		rec, err := db.Store.ClientRecord(ctx, client, c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Screeners) != 2 || rec.Screeners[0].Result != care.ScreenNonAcutePositive || rec.Screeners[0].Acuity == nil ||
			*rec.Screeners[0].Acuity || !rec.Screeners[0].Answers[0] || rec.Screeners[1].Acuity != nil {
			t.Errorf("record screeners: %+v", rec.Screeners)
		}
	})
}
