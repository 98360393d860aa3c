package care

import (
	"testing"
	"time"
)

// TestQuietHoursDeliverAt: a notification due in quiet hours waits for
// their end, a wall-clock time in the user's zone, also on the days the
// clocks change; outside quiet hours it goes at once.
func TestQuietHoursDeliverAt(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, ny)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	night := QuietHours{Start: 22 * 60, End: 7 * 60}
	lunch := QuietHours{Start: 12 * 60, End: 13*60 + 30}
	for _, tc := range []struct {
		name string
		q    QuietHours
		due  time.Time
		want time.Time
	}{
		{"no quiet hours", QuietHours{Start: 600, End: 600}, at("2026-12-04 23:00"), at("2026-12-04 23:00")},
		{"before the night", night, at("2026-12-04 21:59"), at("2026-12-04 21:59")},
		{"at its start", night, at("2026-12-04 22:00"), at("2026-12-05 07:00")},
		{"after midnight", night, at("2026-12-05 03:10"), at("2026-12-05 07:00")},
		{"at its end", night, at("2026-12-05 07:00"), at("2026-12-05 07:00")},
		{"spring forward night", night, at("2026-03-07 23:30"), time.Date(2026, 3, 8, 11, 0, 0, 0, time.UTC)},
		{"fall back night", night, at("2026-10-31 23:30"), time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)},
		{"within a day", lunch, at("2026-12-04 12:45"), at("2026-12-04 13:30")},
		{"after it", lunch, at("2026-12-04 13:30"), at("2026-12-04 13:30")},
		{"an end the clocks skip", QuietHours{Start: 60, End: 2*60 + 30}, at("2026-03-08 01:15"), time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.q.DeliverAt(tc.due, ny); !got.Equal(tc.want) {
				t.Errorf("DeliverAt(%s) = %s, want %s", tc.due, got.In(ny), tc.want.In(ny))
			}
		})
	}
}

func TestParseClock(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{"00:00": 0, "07:30": 450, "23:59": 1439} {
		if got, ok := ParseClock(in); !ok || got != want || FormatClock(got) != in {
			t.Errorf("ParseClock(%q) = %d %v", in, got, ok)
		}
	}
	for _, in := range []string{"24:00", "7", "", "12:60", "noon"} {
		if _, ok := ParseClock(in); ok {
			t.Errorf("ParseClock(%q) accepted", in)
		}
	}
}
