package care

import (
	"errors"
	"math"
	"strconv"
	"testing"
)

// phq9Band and gad7Band are the published severity bands written a second
// way, as comparisons of the total in a switch, so that the exhaustive
// tests below check the tables of measure.go against an independent
// statement of the same thresholds (Kroenke et al. 2001; Spitzer et al.
// 2006).
func phq9Band(total int) Severity {
	switch {
	case total >= 20:
		return Severe
	case total >= 15:
		return ModeratelySevere
	case total >= 10:
		return Moderate
	case total >= 5:
		return Mild
	}
	return Minimal
}

func gad7Band(total int) Severity {
	switch {
	case total >= 15:
		return Severe
	case total >= 10:
		return Moderate
	case total >= 5:
		return Mild
	}
	return Minimal
}

// exhaust calls f with every answer vector of n items, as the digits of
// code in base 4, and the total computed from code directly (a sum of
// base-4 digits by division, not by the loop Score uses).
func exhaust(n int, f func(code int, answers []int, total int)) {
	answers := make([]int, n)
	limit := 1 << (2 * n)
	for code := range limit {
		total := 0
		for c, i := code, 0; i < n; c, i = c>>2, i+1 {
			answers[i] = c & 3
			total += c % 4
		}
		f(code, answers, total)
	}
}

func TestPHQ9Exhaustive(t *testing.T) {
	t.Parallel()
	seen := map[Severity]int{}
	flagged := 0
	exhaust(9, func(code int, answers []int, total int) {
		s, err := PHQ9.Score(answers)
		if err != nil {
			t.Fatalf("%v: %v", answers, err)
		}
		wantFlag := code>>16&3 != 0 // item 9 is the ninth base-4 digit
		if s.Total != total || s.Severity != phq9Band(total) || s.SafetyFlag != wantFlag {
			t.Fatalf("%v: got %+v, want total %d, %s, flag %v", answers, s, total, phq9Band(total), wantFlag)
		}
		seen[s.Severity]++
		if s.SafetyFlag {
			flagged++
		}
	})
	if got, want := flagged, 3*(1<<16); got != want {
		t.Errorf("flagged vectors: got %d, want %d", got, want)
	}
	if len(seen) != 5 {
		t.Errorf("bands seen: %v", seen)
	}
}

func TestGAD7Exhaustive(t *testing.T) {
	t.Parallel()
	seen := map[Severity]int{}
	exhaust(7, func(code int, answers []int, total int) {
		s, err := GAD7.Score(answers)
		if err != nil {
			t.Fatalf("%v: %v", answers, err)
		}
		if s.Total != total || s.Severity != gad7Band(total) || s.SafetyFlag {
			t.Fatalf("%v: got %+v, want total %d, %s, no flag", answers, s, total, gad7Band(total))
		}
		seen[s.Severity]++
	})
	if len(seen) != 4 || seen[ModeratelySevere] != 0 {
		t.Errorf("bands seen: %v", seen)
	}
}

func TestBandsCoverTotals(t *testing.T) {
	t.Parallel()
	for _, in := range Instruments {
		next := 0
		for _, b := range in.Bands {
			if b.Min != next || b.Max < b.Min {
				t.Errorf("%s: band %+v does not follow %d", in.Code, b, next-1)
			}
			next = b.Max + 1
		}
		if next-1 != in.MaxTotal() {
			t.Errorf("%s: bands end at %d, want %d", in.Code, next-1, in.MaxTotal())
		}
		if in.Severity(-1) != "" || in.Severity(in.MaxTotal()+1) != "" {
			t.Errorf("%s: a total out of range has a band", in.Code)
		}
	}
}

func TestScoreRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      *Instrument
		answers []int
		field   string
	}{
		{PHQ9, nil, "answers"},
		{PHQ9, make([]int, 8), "answers"},
		{PHQ9, make([]int, 10), "answers"},
		{GAD7, make([]int, 9), "answers"},
		{PHQ9, []int{0, 0, 0, 4, 0, 0, 0, 0, 0}, "answers[3]"},
		{GAD7, []int{0, 0, 0, 0, 0, 0, -1}, "answers[6]"},
	} {
		_, err := tc.in.Score(tc.answers)
		var e *Error
		if err == nil || !errors.As(err, &e) || e.Code != Invalid || e.Field != tc.field {
			t.Errorf("%s %v: got %v, want invalid %s", tc.in.Code, tc.answers, err, tc.field)
		}
	}
}

// TestReliableChange checks the Jacobson–Truax figures, the documented
// alternative, against values worked by hand from the published SD and α
// (docs/measures.md), and that change is judged by the threshold given:
// by default NHS Talking Therapies' 6 (PHQ-9) and 4 (GAD-7) points.
func TestReliableChange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in       *Instrument
		sdiff    float64
		jt, nhst int
	}{
		// √2 · 3.52 · √0.13 = 1.7949; 1.96 · 1.7949 = 3.518
		{PHQ9, 1.7949, 4, 6},
		// √2 · 3.41 · √0.11 = 1.5994; 1.96 · 1.5994 = 3.135
		{GAD7, 1.5994, 4, 4},
	} {
		if got := tc.in.Sdiff(); math.Abs(got-tc.sdiff) > 1e-4 {
			t.Errorf("%s Sdiff: got %.5f, want %.4f", tc.in.Code, got, tc.sdiff)
		}
		if got := tc.in.JacobsonTruaxPoints(); got != tc.jt {
			t.Errorf("%s Jacobson–Truax: got %d points, want %d", tc.in.Code, got, tc.jt)
		}
		if got := (ReliableChange{}).Points(tc.in); got != tc.nhst {
			t.Errorf("%s default: got %d points, want %d", tc.in.Code, got, tc.nhst)
		}
		for _, n := range []int{tc.nhst, tc.jt, 3} {
			p := tc.in.ProgressOf([]int{12, 12 - (n - 1), 12 - n, 12 + (n - 1), 12 + n}, n)
			want := []Change{NoReliableChange, NoReliableChange, ReliableImprovement, NoReliableChange, ReliableDeterioration}
			for i := range p {
				if p[i].Change != want[i] {
					t.Errorf("%s at %d points, step %d: got %v, want %v", tc.in.Code, n, i, p[i].Change, want[i])
				}
			}
		}
	}
}

// TestReliableChangeValidate: a clinic's thresholds are whole points from
// 2 to half the instrument's range; zero means the default.
func TestReliableChangeValidate(t *testing.T) {
	t.Parallel()
	for _, ok := range []ReliableChange{{6, 4}, {4, 4}, {2, 2}, {13, 10}} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
	for _, bad := range []struct {
		rc    ReliableChange
		field string
	}{{ReliableChange{1, 4}, "phq9"}, {ReliableChange{14, 4}, "phq9"}, {ReliableChange{0, 4}, "phq9"}, {ReliableChange{6, 11}, "gad7"}, {ReliableChange{6, -1}, "gad7"}} {
		var ce *Error
		if err := bad.rc.Validate(); !errors.As(err, &ce) || ce.Code != Invalid || ce.Field != bad.field {
			t.Errorf("%+v: got %v, want invalid %s", bad.rc, err, bad.field)
		}
	}
	if got := (ReliableChange{GAD7: 5}).Resolved(); got != (ReliableChange{6, 5}) {
		t.Errorf("resolved %+v", got)
	}
}

// TestRelapse: a PHQ-9 of 16 that fell to 4 and rose to 11 in a week is a
// reliable deterioration from the previous total, though it is still
// below the baseline (no reliable change from it).
func TestRelapse(t *testing.T) {
	t.Parallel()
	p := PHQ9.ProgressOf([]int{16, 4, 11}, ReliableChange{}.Points(PHQ9))[2]
	if p.Step != ReliableDeterioration || p.Change != NoReliableChange || !p.Deteriorated() {
		t.Errorf("16, 4, 11: got %+v, want a step deterioration", p)
	}
	if p := PHQ9.ProgressOf([]int{16, 10, 15}, 6)[2]; p.Deteriorated() {
		t.Errorf("16, 10, 15: a rise of 5 is within 6 points: %+v", p)
	}
}

func TestProgress(t *testing.T) {
	t.Parallel()
	p := PHQ9.ProgressOf([]int{16, 9, 8, 4, 0}, 6)
	type want struct {
		delta               int
		response, remission bool
	}
	for i, w := range []want{{0, false, false}, {-7, false, false}, {-1, true, false}, {-4, true, true}, {-4, true, true}} {
		got := p[i]
		if got.Baseline != 16 || got.Delta != w.delta || got.Response != w.response || got.Remission != w.remission || got.HasPrevious != (i > 0) {
			t.Errorf("step %d: got %+v, want %+v", i, got, w)
		}
	}
	// A baseline of 0 has no response to make; a first total under 5 is
	// in remission.
	p = GAD7.ProgressOf([]int{0, 0}, 4)
	if p[1].Response || !p[0].Remission {
		t.Errorf("baseline 0: got %+v", p)
	}
}

func TestParseFormAnswers(t *testing.T) {
	t.Parallel()
	form := map[string]string{}
	for i := 1; i <= 7; i++ {
		form["q"+strconv.Itoa(i)] = strconv.Itoa(i % 4)
	}
	got, err := GAD7.ParseFormAnswers(func(k string) string { return form[k] })
	if err != nil || len(got) != 7 || got[0] != 1 || got[3] != 0 || got[6] != 3 {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{"", "4", "-1", "01", "1.0", " 1", "a"} {
		form["q5"] = bad
		if _, err := GAD7.ParseFormAnswers(func(k string) string { return form[k] }); ErrorCode(err) != Invalid {
			t.Errorf("q5=%q: got %v", bad, err)
		}
	}
}

// FuzzParseFormAnswers: whatever a form holds, the answers that come out
// are exactly the instrument's items, each 0..3, and score without error.
func FuzzParseFormAnswers(f *testing.F) {
	f.Add("0", "1", "2", "3", "0", "1", "2", "3", "1")
	f.Add("3", "3", "3", "3", "3", "3", "3", "3", "3")
	f.Add("", "1", "x", "4", "-0", "10", "2 ", "\x00", "३")
	f.Fuzz(func(t *testing.T, a, b, c, d, e, g, h, i, j string) {
		vals := []string{a, b, c, d, e, g, h, i, j}
		get := func(k string) string {
			n, err := strconv.Atoi(k[1:])
			if err != nil || n < 1 || n > len(vals) {
				return ""
			}
			return vals[n-1]
		}
		for _, in := range Instruments {
			got, err := in.ParseFormAnswers(get)
			if err != nil {
				if ErrorCode(err) != Invalid {
					t.Fatalf("%s: %v", in.Code, err)
				}
				continue
			}
			s, err := in.Score(got)
			if err != nil {
				t.Fatalf("%s: parsed %v but Score refuses: %v", in.Code, got, err)
			}
			sum := 0
			for k := range got {
				if vals[k] != strconv.Itoa(got[k]) {
					t.Fatalf("%s: item %d is %q, parsed %d", in.Code, k+1, vals[k], got[k])
				}
				sum += got[k]
			}
			if s.Total != sum {
				t.Fatalf("%s: total %d, sum %d", in.Code, s.Total, sum)
			}
		}
	})
}
