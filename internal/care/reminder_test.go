package care_test

import (
	"errors"
	"testing"
	"time"

	"interlude/internal/care"
)

// TestJournalReminderNext: a reminder is due at the client's wall-clock
// time on a chosen day, by NextCheckIn's rule across daylight-saving
// changes, and never when off.
func TestJournalReminderNext(t *testing.T) {
	t.Parallel()
	daily := care.DefaultJournalReminder()
	daily.On = true
	at := func(r care.JournalReminder, m int) care.JournalReminder { r.Minute = m; return r }
	for _, tc := range []struct {
		name  string
		rem   care.JournalReminder
		after time.Time
		want  time.Time // zero: none
	}{
		{"off", at(care.DefaultJournalReminder(), 20*60), time.Date(2027, 3, 13, 12, 0, 0, 0, time.UTC), time.Time{}},
		// New York springs forward on 2027-03-14 at 02:00: 02:30 does not
		// exist, and the reminder is due at the jump (03:00 EDT, 07:00 UTC).
		{"spring forward, skipped time", at(daily, 2*60+30), time.Date(2027, 3, 14, 5, 0, 0, 0, time.UTC), time.Date(2027, 3, 14, 7, 0, 0, 0, time.UTC)},
		{"spring forward, 20:00 EDT", at(daily, 20*60), time.Date(2027, 3, 14, 12, 0, 0, 0, time.UTC), time.Date(2027, 3, 15, 0, 0, 0, 0, time.UTC)},
		// It falls back on 2026-11-01: 01:30 happens twice; due at the first.
		{"fall back, repeated time", at(daily, 90), time.Date(2026, 11, 1, 4, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC)},
		{"only Mondays", care.JournalReminder{On: true, Minute: 9 * 60, Weekdays: []time.Weekday{time.Monday}},
			time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC), time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)},
	} {
		got, ok := tc.rem.Next("America/New_York", tc.after)
		if ok != !tc.want.IsZero() || !got.Equal(tc.want) {
			t.Errorf("%s: %s %v, want %s", tc.name, got, ok, tc.want)
		}
	}
}

// TestJournalReminderNormalize: on needs a weekday; the time is of a day;
// the days are sorted, once each.
func TestJournalReminderNormalize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rem   care.JournalReminder
		field string // "" when valid
	}{
		{care.JournalReminder{On: true, Minute: 60}, "weekdays"},
		{care.JournalReminder{On: false, Minute: 60}, ""},
		{care.JournalReminder{On: true, Minute: 1440, Weekdays: []time.Weekday{time.Monday}}, "time"},
		{care.JournalReminder{On: true, Minute: -1, Weekdays: []time.Weekday{time.Monday}}, "time"},
		{care.JournalReminder{On: true, Weekdays: []time.Weekday{7}}, "weekdays"},
		{care.JournalReminder{On: true, Weekdays: []time.Weekday{time.Friday, time.Monday, time.Friday}}, ""},
	} {
		err := tc.rem.Normalize()
		var e *care.Error
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%+v: %v", tc.rem, err)
		case tc.field != "" && (care.ErrorCode(err) != care.Invalid || !errors.As(err, &e) || e.Field != tc.field):
			t.Errorf("%+v: %v, want invalid %s", tc.rem, err, tc.field)
		}
	}
	r := care.JournalReminder{On: true, Weekdays: []time.Weekday{time.Friday, time.Monday, time.Friday}}
	if err := r.Normalize(); err != nil || len(r.Weekdays) != 2 || r.Weekdays[0] != time.Monday || r.WeekdayMask() != 1<<1|1<<5 {
		t.Errorf("normalized %+v, %v", r, err)
	}
}
