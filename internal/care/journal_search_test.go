package care

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNormalizeTags(t *testing.T) {
	t.Parallel()
	got, err := NormalizeTags([]string{" Work ", "#family", "", "work", "big   day", "été"})
	if want := []string{"work", "family", "big day", "été"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
	for _, bad := range [][]string{
		{strings.Repeat("a", MaxTagLen+1)},
		{"a;b"},
		{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"},
	} {
		if _, err := NormalizeTags(bad); ErrorCode(err) != Invalid {
			t.Errorf("NormalizeTags(%q) = %v, want Invalid", bad, err)
		}
	}
}

func TestEntryFilterValidate(t *testing.T) {
	t.Parallel()
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		f     EntryFilter
		field string
	}{
		{EntryFilter{Words: strings.Repeat("x", MaxSearchLen+1)}, "q"},
		{EntryFilter{MoodMin: ptrTo(11)}, "mood_min"},
		{EntryFilter{MoodMin: ptrTo(6), MoodMax: ptrTo(5)}, "mood_min"},
		{EntryFilter{From: day, To: day}, "from"},
		{EntryFilter{Tag: "a;b"}, "tag"},
		{EntryFilter{GoalID: "not an id"}, "goal"},
	} {
		err := tc.f.Validate()
		var e *Error
		if !errors.As(err, &e) || e.Code != Invalid || e.Field != tc.field {
			t.Errorf("Validate(%+v) = %v, want Invalid on %s", tc.f, err, tc.field)
		}
	}
	f := EntryFilter{Words: "  a   b ", Tag: "#Work"}
	if err := f.Validate(); err != nil || f.Words != "a b" || f.Tag != "work" {
		t.Errorf("normalized = %+v, %v", f, err)
	}
}

// FuzzEntryFilterValidate: any words and tag validate without panic, and
// a valid filter stays valid (Validate is idempotent).
func FuzzEntryFilterValidate(f *testing.F) {
	f.Add("café  work", "#Work")
	f.Add("\xff", "a;b")
	f.Fuzz(func(t *testing.T, words, tag string) {
		ef := EntryFilter{Words: words, Tag: tag}
		if ef.Validate() != nil {
			return
		}
		again := ef
		if err := again.Validate(); err != nil || again != ef {
			t.Errorf("second Validate: %+v, %v; first %+v", again, err, ef)
		}
	})
}

func ptrTo[T any](v T) *T { return &v }

func TestEntryFilterMatchesContent(t *testing.T) {
	t.Parallel()
	e := &JournalEntry{Mood: ptrTo(4), Text: "Coffee at the Café; didn't sleep", Emotions: []string{"on edge"}, Tags: []string{"work"}}
	for words, want := range map[string]bool{"CAFE": true, "café coffee": true, "didnt": true, "didn't": true, "edge": true, "WORK": true, "tea": false, "cafe tea": false} {
		f := EntryFilter{Words: words}
		if got := f.MatchesContent(e); got != want {
			t.Errorf("%q: got %t, want %t", words, got, want)
		}
	}
	if f := (EntryFilter{MoodMin: ptrTo(5)}); f.MatchesContent(e) {
		t.Error("mood 4 matches mood_min 5")
	}
	if f := (EntryFilter{MoodMax: ptrTo(3)}); f.MatchesContent(&JournalEntry{Text: "no mood"}) {
		t.Error("an entry without a mood matches a mood range")
	}
}

// TestCrisisInTags: crisis language in a tag is crisis language.
func TestCrisisInTags(t *testing.T) {
	t.Parallel()
	if e := (&JournalEntry{Mood: ptrTo(2), Tags: []string{"suicidal"}}); !e.CrisisLanguage() {
		t.Error("a tag of crisis language is not found")
	}
}
