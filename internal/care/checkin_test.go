package care

import (
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestNextCheckInDST: due times keep the client's wall-clock time across
// the spring-forward and fall-back days of America/New_York (2026-03-08,
// 2026-11-01) and Europe/Berlin (2026-03-29, 2026-10-25); a time the
// clocks skip is due when they jump, a time they repeat is due once, at
// its first occurrence.
func TestNextCheckInDST(t *testing.T) {
	t.Parallel()
	sun := []time.Weekday{time.Sunday}
	every := []time.Weekday{0, 1, 2, 3, 4, 5, 6}
	tests := []struct {
		name     string
		zone     string
		days     []time.Weekday
		clock    string
		after    string
		want     string
		wantWall string // the due time on the client's clock
	}{
		{"NY before spring forward", "America/New_York", sun, "18:00", "2026-03-01T00:00:00Z", "2026-03-01T23:00:00Z", "18:00 EST"},
		{"NY spring forward day", "America/New_York", sun, "18:00", "2026-03-02T00:00:00Z", "2026-03-08T22:00:00Z", "18:00 EDT"},
		{"NY daily across spring forward", "America/New_York", every, "18:00", "2026-03-07T23:00:00Z", "2026-03-08T22:00:00Z", "18:00 EDT"},
		{"NY skipped 02:30 is due at the jump", "America/New_York", sun, "02:30", "2026-03-07T12:00:00Z", "2026-03-08T07:00:00Z", "03:00 EDT"},
		{"NY 02:00 exactly is skipped too", "America/New_York", sun, "02:00", "2026-03-07T12:00:00Z", "2026-03-08T07:00:00Z", "03:00 EDT"},
		{"NY 03:00 after the jump", "America/New_York", sun, "03:00", "2026-03-07T12:00:00Z", "2026-03-08T07:00:00Z", "03:00 EDT"},
		{"NY the next week after the gap", "America/New_York", sun, "02:30", "2026-03-08T07:00:00Z", "2026-03-15T06:30:00Z", "02:30 EDT"},
		{"NY repeated 01:30: the first", "America/New_York", sun, "01:30", "2026-10-31T12:00:00Z", "2026-11-01T05:30:00Z", "01:30 EDT"},
		{"NY repeated 01:30: not again an hour later", "America/New_York", sun, "01:30", "2026-11-01T05:30:00Z", "2026-11-08T06:30:00Z", "01:30 EST"},
		{"NY daily across fall back", "America/New_York", every, "18:00", "2026-10-31T22:00:00Z", "2026-11-01T23:00:00Z", "18:00 EST"},
		{"Berlin skipped 02:30 is due at the jump", "Europe/Berlin", sun, "02:30", "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z", "03:00 CEST"},
		{"Berlin daily across spring forward", "Europe/Berlin", every, "18:00", "2026-03-28T17:00:00Z", "2026-03-29T16:00:00Z", "18:00 CEST"},
		{"Berlin repeated 02:30: the first", "Europe/Berlin", sun, "02:30", "2026-10-24T12:00:00Z", "2026-10-25T00:30:00Z", "02:30 CEST"},
		{"Berlin repeated 02:30: once", "Europe/Berlin", sun, "02:30", "2026-10-25T00:30:00Z", "2026-11-01T01:30:00Z", "02:30 CET"},
		{"Berlin daily across fall back", "Europe/Berlin", every, "18:00", "2026-10-24T16:00:00Z", "2026-10-25T17:00:00Z", "18:00 CET"},
		{"Mon and Thu", "America/Chicago", []time.Weekday{time.Monday, time.Thursday}, "18:00", "2026-12-04T00:00:00Z", "2026-12-08T00:00:00Z", "18:00 CST"},
		{"unknown zone is UTC", "Nowhere/Else", every, "09:15", "2026-12-04T10:00:00Z", "2026-12-05T09:15:00Z", "09:15 UTC"},
		{"strictly after", "UTC", every, "09:15", "2026-12-04T09:15:00Z", "2026-12-05T09:15:00Z", "09:15 UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, okc := ParseClock(tt.clock)
			if !okc {
				t.Fatal(tt.clock)
			}
			got, ok := NextCheckIn(CheckInSchedule{Weekdays: tt.days, Minute: m}, tt.zone, utc(tt.after))
			if !ok || !got.Equal(utc(tt.want)) {
				t.Fatalf("NextCheckIn after %s = %v, %v; want %s", tt.after, got, ok, tt.want)
			}
			if wall := got.In(Location(tt.zone)).Format("15:04 MST"); wall != tt.wantWall {
				t.Errorf("due at %s on the client's clock, want %s", wall, tt.wantWall)
			}
		})
	}
}

// TestNextCheckInYear: over a year of daily check-ins in zones with DST,
// each local day has exactly one due time, at the scheduled wall time
// except on a skipped hour.
func TestNextCheckInYear(t *testing.T) {
	t.Parallel()
	for _, zone := range []string{"America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "UTC"} {
		for _, clock := range []string{"00:00", "01:30", "02:30", "18:00", "23:59"} {
			m, _ := ParseClock(clock)
			s := CheckInSchedule{Weekdays: []time.Weekday{0, 1, 2, 3, 4, 5, 6}, Minute: m}
			loc := Location(zone)
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, loc).Add(-time.Minute)
			days := map[string]bool{}
			for range 365 {
				next, ok := NextCheckIn(s, zone, at)
				if !ok || !next.After(at) {
					t.Fatalf("%s %s: after %v got %v", zone, clock, at, next)
				}
				day := next.In(loc).Format("2006-01-02")
				if days[day] {
					t.Fatalf("%s %s: two check-ins on %s", zone, clock, day)
				}
				days[day] = true
				if w := next.In(loc).Format("15:04"); w != clock {
					// Only a skipped time moves, and only forward, by less
					// than an hour.
					if _, off1 := next.Add(-2 * time.Hour).In(loc).Zone(); off1 == offsetAt(next, loc) {
						t.Errorf("%s %s: due at %s on %s, not on a DST day", zone, clock, w, day)
					}
				}
				at = next
			}
		}
	}
}

func TestCheckInStatus(t *testing.T) {
	t.Parallel()
	due := utc("2026-12-01T18:00:00Z")
	c := CheckIn{DueAt: due, ClosesAt: CheckInClosesAt(due, due.Add(72*time.Hour))}
	if c.ClosesAt != due.Add(CheckInWindow) {
		t.Errorf("closes %v", c.ClosesAt)
	}
	if c.Status(due) != CheckInOpen || c.Status(c.ClosesAt) != CheckInMissed {
		t.Errorf("status at due %s, at close %s", c.Status(due), c.Status(c.ClosesAt))
	}
	if got := CheckInClosesAt(due, due.Add(time.Hour)); !got.Equal(due.Add(time.Hour)) {
		t.Errorf("closes %v, want at the next due time", got)
	}
	c.AnsweredAt = due.Add(time.Minute)
	if c.Status(due.Add(100*time.Hour)) != CheckInAnswered {
		t.Error("an answered check-in is answered")
	}
}
