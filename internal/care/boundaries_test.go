package care

import (
	"testing"
	"time"
)

func weekdays(ivs ...Interval) [7][]Interval {
	var d [7][]Interval
	for wd := time.Monday; wd <= time.Friday; wd++ {
		d[wd] = ivs
	}
	return d
}

func TestOfficeHoursNextOpen(t *testing.T) {
	t.Parallel()
	ny := OfficeHours{TimeZone: "America/New_York", Days: weekdays(Interval{9 * 60, 12 * 60}, Interval{13 * 60, 17 * 60})}
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct{ at, want string }{
		{"2026-12-04T15:00:00Z", "2026-12-04T15:00:00Z"}, // Fri 10:00 EST: open
		{"2026-12-04T17:30:00Z", "2026-12-04T18:00:00Z"}, // Fri 12:30: lunch, back at 13:00
		{"2026-12-04T22:00:00Z", "2026-12-07T14:00:00Z"}, // Fri 17:00: closed (end excluded) until Mon 09:00 EST
		{"2026-12-05T12:00:00Z", "2026-12-07T14:00:00Z"}, // Saturday
		{"2026-10-31T22:00:00Z", "2026-11-02T14:00:00Z"}, // Sat before DST ends: Mon 09:00 is EST (UTC-5)
		{"2026-03-07T22:00:00Z", "2026-03-09T13:00:00Z"}, // Sat before DST starts: Mon 09:00 is EDT (UTC-4)
	} {
		got, ok := ny.NextOpen(at(c.at))
		if !ok || !got.Equal(at(c.want)) {
			t.Errorf("NextOpen(%s) = %s %v, want %s", c.at, got.UTC().Format(time.RFC3339), ok, c.want)
		}
	}
	// Hours running to midnight and on from midnight are one stretch.
	night := OfficeHours{TimeZone: "UTC"}
	night.Days[time.Monday] = []Interval{{20 * 60, 24 * 60}}
	night.Days[time.Tuesday] = []Interval{{0, 60}}
	if !night.Open(at("2026-12-07T23:59:00Z")) || !night.Open(at("2026-12-08T00:30:00Z")) || night.Open(at("2026-12-08T01:00:00Z")) {
		t.Error("overnight hours")
	}
	if _, ok := (&OfficeHours{TimeZone: "UTC"}).NextOpen(at("2026-12-07T10:00:00Z")); ok {
		t.Error("no hours yet open")
	}
	// A team opens when its first provider does.
	la := OfficeHours{ProviderID: "la", TimeZone: "America/Los_Angeles", Days: weekdays(Interval{9 * 60, 17 * 60})}
	ny.ProviderID = "ny"
	next, who, ok := TeamNextOpen([]OfficeHours{la, ny}, at("2026-12-05T12:00:00Z"))
	if !ok || who.ProviderID != "ny" || !next.Equal(at("2026-12-07T14:00:00Z")) {
		t.Errorf("team: %s %v %v", next, who, ok)
	}
	next, who, ok = TeamNextOpen([]OfficeHours{la, ny}, at("2026-12-07T22:30:00Z")) // NY closed, LA open
	if !ok || who.ProviderID != "la" || !next.Equal(at("2026-12-07T22:30:00Z")) {
		t.Errorf("team while LA is open: %s %v %v", next, who, ok)
	}
}

func TestOfficeHoursValidate(t *testing.T) {
	t.Parallel()
	for _, ivs := range [][]Interval{{{600, 600}}, {{-1, 60}}, {{0, 1441}}, {{60, 180}, {120, 240}}} {
		h := OfficeHours{}
		h.Days[time.Monday] = ivs
		if err := h.Validate(); ErrorCode(err) != Invalid {
			t.Errorf("%v: %v", ivs, err)
		}
	}
	h := OfficeHours{ResponseTime: " within 1 business day "}
	h.Days[time.Monday] = []Interval{{780, 1020}, {540, 720}}
	if err := h.Validate(); err != nil || h.Days[time.Monday][0].Start != 540 || h.ResponseTime != "within 1 business day" {
		t.Errorf("valid hours: %v %+v", err, h)
	}
}

func TestParseIntervals(t *testing.T) {
	t.Parallel()
	got, err := ParseIntervals("9:00-12:00, 13:00-24:00")
	if err != nil || FormatIntervals(got) != "09:00-12:00, 13:00-24:00" {
		t.Errorf("parsed %v %v", got, err)
	}
	if got, err := ParseIntervals("  "); err != nil || len(got) != 0 {
		t.Errorf("blank: %v %v", got, err)
	}
	for _, bad := range []string{"9-5", "09:00", "25:00-26:00", "09:60-10:00", "24:30-24:40", "a:bc-d:ef"} {
		if _, err := ParseIntervals(bad); err == nil {
			t.Errorf("ParseIntervals(%q) accepted", bad)
		}
	}
}

// TestCheckClientMessage: the messaging modes, precisely.
func TestCheckClientMessage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		mode MessagingMode
		last Role
		ok   bool
	}{
		{ModeOpen, "", true}, {ModeOpen, RoleClient, true}, {ModeOpen, RoleProvider, true},
		{ModeReplyOnly, "", false}, {ModeReplyOnly, RoleClient, false}, {ModeReplyOnly, RoleProvider, true},
		{ModePaused, "", false}, {ModePaused, RoleProvider, false},
	} {
		err := Messaging{Mode: c.mode}.CheckClientMessage(c.last)
		if (err == nil) != c.ok || err != nil && ErrorCode(err) != Forbidden {
			t.Errorf("%s after %q: %v", c.mode, c.last, err)
		}
	}
	m := Messaging{Mode: ModePaused, Reason: "  "}
	if err := m.Validate(); ErrorCode(err) != Invalid {
		t.Errorf("pause without a reason: %v", err)
	}
	m = Messaging{Mode: ModeReplyOnly, Reason: "dropped"}
	if err := m.Validate(); err != nil || m.Reason != "" {
		t.Errorf("reply-only: %v %q", err, m.Reason)
	}
	if err := (&Messaging{Mode: "closed"}).Validate(); ErrorCode(err) != Invalid {
		t.Errorf("unknown mode: %v", err)
	}
}
