package care

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSortCaseload: every criterion of issue #7 outranks all those after
// it, whatever their size, and equal needs keep a stable order by name,
// then id.
func TestSortCaseload(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	later := at.Add(time.Hour)
	worse := []Deterioration{{Instrument: "phq9", Baseline: 5, Latest: 12}}
	overdue := []Overdue{{Instrument: "gad7", DueAt: at.Add(-96 * time.Hour)}}
	// In the order wanted; each need strictly less than the one before.
	want := []ClientSummary{
		{ID: "f2", DisplayName: "flags", Need: Need{OpenFlags: 2}},
		{ID: "f1", DisplayName: "flag", Need: Need{OpenFlags: 1}},
		{ID: "d2", DisplayName: "worse twice", Need: Need{Deteriorations: append(slices.Clone(worse), Deterioration{Instrument: "gad7"})}},
		{ID: "d1", DisplayName: "worse", Need: Need{Deteriorations: worse, UnreadMessages: 50}},
		{ID: "m1", DisplayName: "mood", Need: Need{MoodFall: &MoodFall{From: 8, To: 3}}},
		{ID: "m2", DisplayName: "mood less", Need: Need{MoodFall: &MoodFall{From: 8, To: 6}, MissedCheckIns: 9}},
		{ID: "u1", DisplayName: "unread", Need: Need{UnreadMessages: 3, OverdueMeasures: overdue}},
		{ID: "c1", DisplayName: "missed", Need: Need{MissedCheckIns: 2, NextSession: &at}},
		{ID: "o1", DisplayName: "overdue", Need: Need{OverdueMeasures: overdue}},
		{ID: "s1", DisplayName: "soon", Need: Need{NextSession: &at}},
		{ID: "s2", DisplayName: "later", Need: Need{NextSession: &later}},
		{ID: "n2", DisplayName: "Alma"},
		{ID: "n1", DisplayName: "bea"},
		{ID: "n3", DisplayName: "Bea"},
	}
	for rot := range len(want) {
		list := append(slices.Clone(want[rot:]), want[:rot]...)
		SortCaseload(list)
		var got, exp []string
		for i := range list {
			got, exp = append(got, list[i].ID), append(exp, want[i].ID)
		}
		if !slices.Equal(got, exp) {
			t.Fatalf("rotation %d: order %q, want %q", rot, got, exp)
		}
	}
}

// TestDeteriorationOf: a rise of the total by the reliable change points
// or more, from the baseline or from the previous total, is a
// deterioration; a smaller rise, or any fall, is not.
func TestDeteriorationOf(t *testing.T) {
	t.Parallel()
	for _, in := range Instruments {
		k := ReliableChange{}.Points(in)
		if d := DeteriorationOf(in, k, 5, 5, 5+k); d == nil || d.Baseline != 5 || d.Latest != 5+k || d.Instrument != in.Code || !d.FromBaseline || d.RCI <= 0 {
			t.Errorf("%s: 5 → %d: %+v, want a deterioration", in.Name, 5+k, d)
		}
		for _, latest := range []int{5 + k - 1, 5, 0} {
			if d := DeteriorationOf(in, k, 5, 5, latest); d != nil {
				t.Errorf("%s: 5 → %d: %+v, want none", in.Name, latest, d)
			}
		}
	}
	// The relapse of issue #16: PHQ-9 16, then 4, then 11 a week later.
	d := DeteriorationOf(PHQ9, 6, 16, 4, 11)
	if d == nil || !d.FromPrevious || d.FromBaseline || d.Previous != 4 {
		t.Fatalf("16, 4 → 11: %+v, want a deterioration from the previous total", d)
	}
	want := "PHQ-9 reliably worse: 11, up from 4 the time before (baseline 16)"
	if got := (Need{Deteriorations: []Deterioration{*d}}).ReasonTexts(time.Now()); len(got) != 1 || got[0] != want {
		t.Errorf("reason %q, want %q", got, want)
	}
	// A clinic's own threshold: 4 → 8 is reliable at 4 points, not at 6.
	if DeteriorationOf(PHQ9, 4, 4, 4, 8) == nil || DeteriorationOf(PHQ9, 6, 4, 4, 8) != nil {
		t.Error("4 → 8: reliable at 4 points and not at 6")
	}
}

// TestNeedReasons: the reasons, in order of need, as text and codes.
func TestNeedReasons(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	n := Need{OpenFlags: 1, OpenCrisisFlags: 1, Deteriorations: []Deterioration{{Instrument: "gad7", Baseline: 3, Latest: 9}},
		MoodFall: &MoodFall{From: 7, To: 4, Days: 6}, UnreadMessages: 2, MissedCheckIns: 1,
		OverdueMeasures: []Overdue{{Instrument: "phq9", DueAt: now.Add(-4*24*time.Hour - time.Hour)}}}
	want := []string{"1 open safety flag", "GAD-7 reliably worse: 9 since a baseline of 3", "mood fell from 7.0 to 4.0 over 6 days",
		"2 unread messages", "1 missed check-in", "PHQ-9 overdue by 4 days"}
	if got := n.ReasonTexts(now); !slices.Equal(got, want) {
		t.Errorf("reasons %q\nwant %q", got, want)
	}
	var codes []string
	for _, r := range n.Reasons(now) {
		codes = append(codes, r.Code)
	}
	if want := []string{"safety_flag", "deterioration", "mood_fall", "unread_messages", "missed_check_ins", "overdue_measure"}; !slices.Equal(codes, want) {
		t.Errorf("codes %q, want %q", codes, want)
	}
	if got := (Need{}).ReasonTexts(now); got == nil || len(got) != 0 {
		t.Errorf("no need: %#v, want an empty list", got)
	}
}

// TestCaseloadFlagLevels (issue #16): a client with one open crisis flag
// comes before a client with more open flags that are all concerns, and
// the reason says which.
func TestCaseloadFlagLevels(t *testing.T) {
	t.Parallel()
	list := []ClientSummary{
		{ID: "c", DisplayName: "concerns", Need: Need{OpenFlags: 2}},
		{ID: "a", DisplayName: "crisis", Need: Need{OpenFlags: 1, OpenCrisisFlags: 1}},
		{ID: "n", DisplayName: "none"},
	}
	SortCaseload(list)
	var got []string
	for _, c := range list {
		got = append(got, c.ID)
	}
	if want := []string{"a", "c", "n"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	if got := list[1].Need.ReasonTexts(now); len(got) != 1 || got[0] != "2 open safety flags (concern)" {
		t.Errorf("concern reasons %q", got)
	}
	if got := list[0].Need.ReasonTexts(now); len(got) != 1 || got[0] != "1 open safety flag" {
		t.Errorf("crisis reasons %q", got)
	}
}

// TestCaseloadScreenerOrder (issue #16): an open flag's acute positive
// follow-up screen comes first, then a non-acute positive, then flags by
// level, and the reason says the screen.
func TestCaseloadScreenerOrder(t *testing.T) {
	t.Parallel()
	list := []ClientSummary{
		{ID: "c", DisplayName: "crises", Need: Need{OpenFlags: 3, OpenCrisisFlags: 3}},
		{ID: "n", DisplayName: "non-acute", Need: Need{OpenFlags: 1, OpenCrisisFlags: 1, Screener: ScreenNonAcutePositive}},
		{ID: "a", DisplayName: "acute", Need: Need{OpenFlags: 1, OpenCrisisFlags: 1, Screener: ScreenAcutePositive}},
	}
	SortCaseload(list)
	var got []string
	for _, c := range list {
		got = append(got, c.ID)
	}
	if want := []string{"a", "n", "c"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	if got := list[0].Need.ReasonTexts(now); len(got) != 1 || got[0] != "1 open safety flag (acute positive screen)" {
		t.Errorf("acute reasons %q", got)
	}
}

// TestFilterCaseload (issue #18): part of a name, whatever its case and
// accents; open flags; measures to review; and the three orders, ties
// kept in need order.
func TestFilterCaseload(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	later, long := at.Add(time.Hour), at.AddDate(0, 0, -30)
	list := []ClientSummary{ // in need order
		{ID: "flag", DisplayName: "Zoë Ångström", Need: Need{OpenFlags: 1, NextSession: &later}},
		{ID: "worse", DisplayName: "José Núñez", Need: Need{Deteriorations: []Deterioration{{Instrument: "phq9"}}, LastContact: &at}},
		{ID: "mood", DisplayName: "Ann-Marie O'Brien", Need: Need{MoodFall: &MoodFall{From: 8, To: 3}, NextSession: &at, LastContact: &long}},
		{ID: "due", DisplayName: "bea", Need: Need{OverdueMeasures: []Overdue{{Instrument: "gad7"}}}},
		{ID: "none", DisplayName: "Alma", Need: Need{NextSession: &later}},
	}
	for _, tc := range []struct {
		name string
		f    CaseloadFilter
		want string
	}{
		{"everyone by need", CaseloadFilter{}, "flag worse mood due none"},
		{"accents in the name", CaseloadFilter{Name: "angst"}, "flag"},
		{"accents in the query", CaseloadFilter{Name: "NÚÑ"}, "worse"},
		{"separators", CaseloadFilter{Name: "ann marie obr"}, "mood"},
		{"no one", CaseloadFilter{Name: "xavier"}, ""},
		{"open flag", CaseloadFilter{Flagged: true}, "flag"},
		{"review", CaseloadFilter{Review: true}, "worse mood due"},
		{"review and name", CaseloadFilter{Review: true, Name: "O"}, "worse mood"},
		{"no contact in 14 days", CaseloadFilter{NoContactSince: at.AddDate(0, 0, -14)}, "flag mood due none"},
		{"no contact since the last one", CaseloadFilter{NoContactSince: at}, "flag mood due none"},
		{"no contact just after it", CaseloadFilter{NoContactSince: at.Add(time.Second)}, "flag worse mood due none"},
		{"by name", CaseloadFilter{Sort: SortByName}, "none mood due worse flag"},
		{"by session", CaseloadFilter{Sort: SortBySession}, "mood flag none worse due"},
	} {
		var got []string
		for _, c := range FilterCaseload(list, tc.f) {
			got = append(got, c.ID)
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, g, tc.want)
		}
	}
	if list[0].ID != "flag" || list[4].ID != "none" {
		t.Errorf("FilterCaseload changed its input: %v", list)
	}
}
