package care

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Tags and journal search (issue #18). A client may put short tags of
// their own on an entry, and search and filter their journal. Tags are
// sealed with the rest of the entry's content, so whatever filters by
// words or tags does so after opening the entries, never in SQL.

// Limits of tags and of a journal search.
const (
	MaxTags      = 10  // tags of one entry
	MaxTagLen    = 30  // code points of one tag
	MaxSearchLen = 100 // code points of a search's words
)

// NormalizeTags checks an entry's tags: each of letters, digits, spaces,
// hyphens and underscores, at most MaxTagLen code points, at most MaxTags
// in all. Tags are lower-cased, their spaces collapsed and repeats
// dropped; empty ones (as from "a,,b") are skipped.
func NormalizeTags(in []string) ([]string, error) {
	var out []string
	for _, t := range in {
		t = NormalizeTag(t)
		if t == "" {
			continue
		}
		if !utf8.ValidString(t) {
			return nil, FieldError("tags", "must be valid UTF-8")
		}
		if utf8.RuneCountInString(t) > MaxTagLen {
			return nil, FieldError("tags", "must each be at most %d characters", MaxTagLen)
		}
		for _, r := range t {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) && r != ' ' && r != '-' && r != '_' {
				return nil, FieldError("tags", "must be words of letters, digits, spaces, hyphens and underscores")
			}
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > MaxTags {
		return nil, FieldError("tags", "must be at most %d", MaxTags)
	}
	return out, nil
}

// NormalizeTag is a tag as stored: lower-case, spaces collapsed, no "#"
// in front.
func NormalizeTag(t string) string {
	t = strings.TrimPrefix(strings.TrimSpace(t), "#")
	return strings.ToLower(strings.Join(strings.Fields(t), " "))
}

// EntryFilter is what a client searches their journal for; its zero value
// matches every entry. Words, mood and tag are matched on the opened
// entries; the rest may be matched in SQL.
type EntryFilter struct {
	Words   string    // every word must be in the text, an emotion or a tag (case- and accent-insensitive)
	MoodMin *int      // mood at least this (an entry without a mood does not match)
	MoodMax *int      // mood at most this
	GoalID  string    // linked to this goal
	Shared  *bool     // shared (true) or private (false)
	From    time.Time // occurred at or after this
	To      time.Time // occurred before this
	Tag     string    // carries this tag
}

// Empty reports whether f matches every entry.
func (f *EntryFilter) Empty() bool {
	return f.Words == "" && f.MoodMin == nil && f.MoodMax == nil && f.GoalID == "" && f.Shared == nil &&
		f.From.IsZero() && f.To.IsZero() && f.Tag == ""
}

// NeedsContent reports whether f matches on an entry's sealed content,
// which only the opened entry tells.
func (f *EntryFilter) NeedsContent() bool {
	return f.Words != "" || f.MoodMin != nil || f.MoodMax != nil || f.Tag != ""
}

// Validate checks and normalizes a filter. Errors name the query
// parameter at fault.
func (f *EntryFilter) Validate() error {
	if !utf8.ValidString(f.Words) {
		return FieldError("q", "must be valid UTF-8")
	}
	f.Words = strings.Join(strings.Fields(f.Words), " ")
	if utf8.RuneCountInString(f.Words) > MaxSearchLen {
		return FieldError("q", "must be at most %d characters", MaxSearchLen)
	}
	if err := rating("mood_min", f.MoodMin); err != nil {
		return err
	}
	if err := rating("mood_max", f.MoodMax); err != nil {
		return err
	}
	if f.MoodMin != nil && f.MoodMax != nil && *f.MoodMin > *f.MoodMax {
		return FieldError("mood_min", "must not be above the highest mood")
	}
	if f.GoalID != "" && !ValidID(f.GoalID) {
		return FieldError("goal", "is not one of your goals")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return FieldError("from", "must be before the end of the period")
	}
	if f.Tag != "" {
		tags, err := NormalizeTags([]string{f.Tag})
		if err != nil {
			return FieldError("tag", "must be a tag of at most %d letters, digits, spaces or hyphens", MaxTagLen)
		}
		f.Tag = ""
		if len(tags) == 1 {
			f.Tag = tags[0]
		}
	}
	return nil
}

// MatchesContent reports whether the opened entry e matches the part of f
// that needs content: its mood range, its tag, and every word of f.Words
// somewhere in e's text, emotions or tags, both folded by NormalizeText
// (any case, any accents: "cafe" finds "Café"). A tombstone never matches.
func (f *EntryFilter) MatchesContent(e *JournalEntry) bool {
	if e.Deleted() {
		return false
	}
	if f.MoodMin != nil && (e.Mood == nil || *e.Mood < *f.MoodMin) {
		return false
	}
	if f.MoodMax != nil && (e.Mood == nil || *e.Mood > *f.MoodMax) {
		return false
	}
	if f.Tag != "" && !slices.Contains(e.Tags, f.Tag) {
		return false
	}
	words := strings.Fields(NormalizeText(f.Words))
	if len(words) == 0 {
		return true
	}
	hay := NormalizeText(e.Text + "\n" + strings.Join(e.Emotions, "\n") + "\n" + strings.Join(e.Tags, "\n"))
	for _, w := range words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}
