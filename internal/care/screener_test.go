package care

import "testing"

// TestTriageASQ checks the ASQ's published triage over every answer
// vector and every acuity answer, and the strict validation.
func TestTriageASQ(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	for v := range 16 {
		answers := []bool{v&1 != 0, v&2 != 0, v&4 != 0, v&8 != 0}
		for _, acuity := range []*bool{nil, &no, &yes} {
			got, err := TriageASQ(answers, acuity)
			var want ScreenerResult
			switch {
			case v == 0 && acuity == nil:
				want = ScreenNegative
			case v == 0 || acuity == nil:
				want = "" // acuity asked without a yes, or missing after one
			case *acuity:
				want = ScreenAcutePositive
			default:
				want = ScreenNonAcutePositive
			}
			if want == "" {
				if ErrorCode(err) != Invalid {
					t.Errorf("%v, acuity %v: %q, %v; want invalid", answers, acuity, got, err)
				}
				continue
			}
			if err != nil || got != want {
				t.Errorf("%v, acuity %v: %q, %v; want %q", answers, acuity, got, err, want)
			}
		}
	}
	for _, answers := range [][]bool{nil, {}, {false, false, false}, {false, false, false, false, false}} {
		if _, err := TriageASQ(answers, nil); ErrorCode(err) != Invalid {
			t.Errorf("%d answers: %v, want invalid", len(answers), err)
		}
	}
	if ScreenAcutePositive.Rank() <= ScreenNonAcutePositive.Rank() || ScreenNonAcutePositive.Rank() <= ScreenNegative.Rank() ||
		ScreenerResult("").Rank() != ScreenNegative.Rank() {
		t.Error("rank: acute > non-acute > negative = none")
	}
	for _, r := range []ScreenerResult{ScreenAcutePositive, ScreenNonAcutePositive} {
		if ScreenerOfRank(r.Rank()) != r {
			t.Errorf("ScreenerOfRank(%d) = %q, want %q", r.Rank(), ScreenerOfRank(r.Rank()), r)
		}
	}
}

// TestParseFormASQ checks the form's strict yes/no fields.
func TestParseFormASQ(t *testing.T) {
	t.Parallel()
	form := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	answers, acuity, err := ParseFormASQ(form(map[string]string{"q1": "no", "q2": "yes", "q3": "no", "q4": "no", "acuity": "no"}))
	if err != nil || len(answers) != 4 || !answers[1] || answers[0] || acuity == nil || *acuity {
		t.Errorf("got %v, %v, %v", answers, acuity, err)
	}
	if _, acuity, err := ParseFormASQ(form(map[string]string{"q1": "no", "q2": "no", "q3": "no", "q4": "no"})); err != nil || acuity != nil {
		t.Errorf("no acuity: %v, %v", acuity, err)
	}
	for _, bad := range []map[string]string{
		{"q1": "no", "q2": "no", "q3": "no"},
		{"q1": "no", "q2": "no", "q3": "no", "q4": "1"},
		{"q1": "No", "q2": "no", "q3": "no", "q4": "no"},
		{"q1": "no", "q2": "no", "q3": "no", "q4": "no", "acuity": "true"},
	} {
		if _, _, err := ParseFormASQ(form(bad)); ErrorCode(err) != Invalid {
			t.Errorf("%v: %v, want invalid", bad, err)
		}
	}
}
