package care

import (
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The journal (SPEC.md "Domain", issue #5): the client's own record of
// what happens between sessions. An entry is the client's; it is either
// shared with the care team or private, and a private entry is invisible
// to everyone else, down to its existence (CanReadEntry). Editing keeps
// the earlier versions; deleting leaves a tombstone that only the client
// sees.

// Limits of a journal entry.
const (
	MaxEntryText      = 10000 // code points of "what happened"
	MaxEmotions       = 12    // emotions of one entry, vocabulary and own words together
	MaxEmotionLen     = 40    // code points of one emotion word
	MaxFutureSkew     = 5 * time.Minute
	MaxBackdate       = 366 * 24 * time.Hour // an entry may tell of the past year
	MaxSleepHours     = 24
	MaxRating         = 10 // mood, symptom intensities and goal progress are 0..MaxRating
	EntryPageSize     = 50
	MaxEntryPageLimit = 200
)

// Emotions is the fixed vocabulary of emotions a client picks from, in the
// order a form shows them: pleasant ones first. Clients may add their own
// words beside these.
var Emotions = []string{
	"happy", "calm", "hopeful", "grateful", "proud", "content", "relieved", "excited",
	"loved", "confident", "curious", "tired",
	"sad", "lonely", "anxious", "worried", "afraid", "angry", "frustrated", "irritable",
	"ashamed", "guilty", "overwhelmed", "numb", "stressed", "hurt",
}

// IsVocabularyEmotion reports whether w is a word of Emotions.
func IsVocabularyEmotion(w string) bool { return slices.Contains(Emotions, w) }

// Symptoms are the body symptoms of an entry. A nil field was not rated.
type Symptoms struct {
	SleepHours   *float64 // 0..24, in steps of 0.1
	SleepQuality *int     // 0..10, as every rating below
	Energy       *int
	Anxiety      *int
	Pain         *int
	Appetite     *int
	Irritability *int
}

// Empty reports whether no symptom is rated.
func (s Symptoms) Empty() bool {
	return s.SleepHours == nil && s.SleepQuality == nil && s.Energy == nil && s.Anxiety == nil &&
		s.Pain == nil && s.Appetite == nil && s.Irritability == nil
}

// Ratings returns the 0..10 symptom ratings by their API names, in a fixed
// order, with nil for those not rated.
func (s *Symptoms) Ratings() []SymptomRating {
	return []SymptomRating{
		{"sleep_quality", "Sleep quality", &s.SleepQuality},
		{"energy", "Energy", &s.Energy},
		{"anxiety", "Anxiety", &s.Anxiety},
		{"pain", "Pain", &s.Pain},
		{"appetite", "Appetite", &s.Appetite},
		{"irritability", "Irritability", &s.Irritability},
	}
}

// SymptomRating is one 0..10 symptom of Symptoms, by name, for forms and
// validation.
type SymptomRating struct {
	Name  string // the API name, e.g. "sleep_quality"
	Label string // for people
	Value **int  // the field of Symptoms
}

// JournalEntry is one entry of a client's journal. Its content (Mood
// through Discuss) is sealed as one document; the rest is plain.
type JournalEntry struct {
	ID         string
	ClinicID   string
	ClientID   string
	OccurredAt time.Time // when what it tells of happened; may be in the past
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Version    int  // 1 when written, +1 on each edit
	Shared     bool // shared with the care team; else private to the client
	GoalID     string
	DeletedAt  time.Time // not zero for a tombstone, which has no content

	Mood         *int // 0..10
	Emotions     []string
	Symptoms     Symptoms
	Text         string
	GoalProgress *int     // 0..10, only with GoalID
	Discuss      bool     // "bring this up next session"
	Tags         []string // the client's own short labels (NormalizeTags)

	// Crisis is set on saving when the entry's words hold crisis language
	// (CrisisLanguage): the client is shown crisis resources at once. It
	// is not stored.
	Crisis bool
}

// CrisisLanguage reports whether e's words (its text, own emotion words
// and tags) hold crisis language.
func (e *JournalEntry) CrisisLanguage() bool { return e.CrisisSignal().Level > CrisisNone }

// CrisisSignal is what DetectCrisis finds in e's words (its text, own
// emotion words and tags).
func (e *JournalEntry) CrisisSignal() CrisisSignal {
	return DetectCrisis(e.Text + "\n" + strings.Join(e.Emotions, "\n") + "\n" + strings.Join(e.Tags, "\n"))
}

// Deleted reports whether e is a tombstone.
func (e *JournalEntry) Deleted() bool { return !e.DeletedAt.IsZero() }

// ClearContent empties the sealed part of e, as when it is deleted.
func (e *JournalEntry) ClearContent() {
	e.Mood, e.Emotions, e.Symptoms, e.Text, e.GoalProgress, e.Discuss = nil, nil, Symptoms{}, "", nil, false
	e.GoalID, e.Tags = "", nil
}

// Validate checks and normalizes an entry's fields, with now the time it
// is saved. occurredBefore is the entry's time before an edit (zero for a
// new entry): an edit that keeps the time of an entry older than
// MaxBackdate is allowed. Whether GoalID names one of the client's goals is
// for the store to check. Errors name the field at fault.
func (e *JournalEntry) Validate(now time.Time, occurredBefore time.Time) error {
	if e.OccurredAt.IsZero() {
		return FieldError("occurred_at", "is required")
	}
	e.OccurredAt = e.OccurredAt.UTC().Truncate(time.Microsecond)
	if e.OccurredAt.After(now.Add(MaxFutureSkew)) {
		return FieldError("occurred_at", "must not be in the future")
	}
	if !e.OccurredAt.Equal(occurredBefore) && e.OccurredAt.Before(now.Add(-MaxBackdate)) {
		return FieldError("occurred_at", "must be within the past year")
	}
	if err := rating("mood", e.Mood); err != nil {
		return err
	}
	emotions, err := NormalizeEmotions(e.Emotions)
	if err != nil {
		return err
	}
	e.Emotions = emotions
	tags, err := NormalizeTags(e.Tags)
	if err != nil {
		return err
	}
	e.Tags = tags
	if h := e.Symptoms.SleepHours; h != nil {
		switch {
		case math.IsNaN(*h) || *h < 0 || *h > MaxSleepHours:
			return FieldError("symptoms.sleep_hours", "must be between 0 and %d", MaxSleepHours)
		case math.Abs(*h*10-math.Round(*h*10)) > 1e-6:
			return FieldError("symptoms.sleep_hours", "must have at most one decimal")
		}
		v := math.Round(*h*10) / 10
		e.Symptoms.SleepHours = &v
	}
	for _, r := range e.Symptoms.Ratings() {
		if err := rating("symptoms."+r.Name, *r.Value); err != nil {
			return err
		}
	}
	text, err := normalizeText(e.Text)
	if err != nil {
		return err
	}
	e.Text = text
	if e.GoalID != "" && !ValidID(e.GoalID) {
		return FieldError("goal_id", "is not one of your goals")
	}
	if e.GoalProgress != nil {
		if e.GoalID == "" {
			return FieldError("goal_progress", "needs a goal (goal_id)")
		}
		if err := rating("goal_progress", e.GoalProgress); err != nil {
			return err
		}
	}
	if e.Mood == nil && len(e.Emotions) == 0 && e.Symptoms.Empty() && e.Text == "" {
		return FieldError("mood", "is needed unless you add emotions, symptoms or what happened")
	}
	return nil
}

func rating(field string, v *int) error {
	if v != nil && (*v < 0 || *v > MaxRating) {
		return FieldError(field, "must be a whole number from 0 to %d", MaxRating)
	}
	return nil
}

// normalizeText checks "what happened": at most MaxEntryText code points,
// line breaks as \n, no control characters but tab and line break.
// Surrounding white space is dropped.
func normalizeText(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", FieldError("text", "must be valid UTF-8")
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > MaxEntryText {
		return "", FieldError("text", "must be at most %d characters", MaxEntryText)
	}
	for _, r := range s {
		if (unicode.IsControl(r) && r != '\n' && r != '\t') || r == '\u2028' || r == '\u2029' {
			return "", FieldError("text", "must not contain control characters")
		}
	}
	return s, nil
}

// NormalizeEmotions checks a list of emotions: words of Emotions, or the
// client's own words of letters, spaces and hyphens, each at most
// MaxEmotionLen code points, at most MaxEmotions in all. Words are
// lower-cased, their spaces collapsed, and repeats dropped.
func NormalizeEmotions(in []string) ([]string, error) {
	var out []string
	for _, w := range in {
		w = strings.ToLower(strings.Join(strings.Fields(w), " "))
		if w == "" {
			return nil, FieldError("emotions", "must not hold an empty word")
		}
		if utf8.RuneCountInString(w) > MaxEmotionLen {
			return nil, FieldError("emotions", "must be words of at most %d characters", MaxEmotionLen)
		}
		letters := 0
		for _, r := range w {
			switch {
			case unicode.IsLetter(r) || unicode.Is(unicode.Mn, r):
				letters++
			case r == ' ' || r == '-':
			default:
				return nil, FieldError("emotions", "must be words of letters, spaces and hyphens")
			}
		}
		if letters == 0 {
			return nil, FieldError("emotions", "must be words of letters, spaces and hyphens")
		}
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	if len(out) > MaxEmotions {
		return nil, FieldError("emotions", "must be at most %d", MaxEmotions)
	}
	return out, nil
}

// CanReadEntry reports whether actor may see entry e of a client whose
// record actor may see (the store checks that, in its SQL): the client
// sees all their entries, tombstones too; anyone else only shared entries
// that are not deleted. A private entry is nobody else's business, not
// even its existence.
func CanReadEntry(actor Actor, e *JournalEntry) bool {
	if actor.Role == RoleClient && actor.UserID == e.ClientID {
		return true
	}
	return e.Shared && !e.Deleted()
}

// CanWriteEntry reports whether actor may write, edit or delete entries
// in the journal of client clientID: only the client themself.
func CanWriteEntry(actor Actor, clientID string) bool {
	return actor.Role == RoleClient && actor.UserID == clientID
}

// MoodPoint is one mood rating of a client at a time, for a chart.
type MoodPoint struct {
	At   time.Time
	Mood int
}

// MoodSummary sums up mood ratings over a period, for a chart's text
// alternative.
type MoodSummary struct {
	Count               int
	Average             float64
	Lowest, Highest     int
	LowestAt, HighestAt time.Time
	First, Last         time.Time
}

// SummarizeMood sums up points. With no points, Count is 0 and the rest is
// zero.
func SummarizeMood(points []MoodPoint) MoodSummary {
	var s MoodSummary
	total := 0
	for _, p := range points {
		if s.Count == 0 || p.Mood < s.Lowest {
			s.Lowest, s.LowestAt = p.Mood, p.At
		}
		if s.Count == 0 || p.Mood > s.Highest {
			s.Highest, s.HighestAt = p.Mood, p.At
		}
		if s.Count == 0 || p.At.Before(s.First) {
			s.First = p.At
		}
		if s.Count == 0 || p.At.After(s.Last) {
			s.Last = p.At
		}
		total += p.Mood
		s.Count++
	}
	if s.Count > 0 {
		s.Average = float64(total) / float64(s.Count)
	}
	return s
}
