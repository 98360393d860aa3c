package care

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

func TestDetectCrisis(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		text string
		want CrisisLevel
	}{
		{"I want to KILL myself.", CrisisAcute},
		{"i dont want to live anymore", CrisisConcern},
		{"I don’t want to be alive", CrisisConcern},
		{"honestly... i've thought about suicide", CrisisAcute},
		{"Thinking of self-harm again", CrisisAcute},
		{"I feel suicidal", CrisisAcute},
		{"everyone would be better off without me", CrisisConcern},
		{"Quiero MORIR", CrisisConcern},
		{"a veces pienso en quitarme la vida", CrisisAcute},
		{"Me quiero suicidar", CrisisAcute},
		{"ganas de hacerme daño", CrisisAcute},
		{"ganas de hacerme dan\u0303o", CrisisAcute}, // decomposed ñ
		{"otra vez la auto-lesión", CrisisAcute},
		{"NO QUIERO VIVIR!!!", CrisisConcern},
		{"I watched Suicide Squad and I want to die", CrisisConcern},
		{"I can't do this anymore, I want to end my life", CrisisAcute},
		{"some days I want to die", CrisisConcern},
		{"I keep thinking about suicide.", CrisisAcute},
		{"ending it all", CrisisAcute},
		{"kms", CrisisAcute},
		{"me quiero matar", CrisisAcute},
		{"go to sleep and never wake up", CrisisConcern},
		{"I'd rather be dead", CrisisConcern},
		{"life isn't worth living", CrisisConcern},
		{"I cut myself last night", CrisisAcute},
		{"I want to die. There are pills in my drawer.", CrisisAcute}, // a means beside ideation

		{"That was a killer deal on shoes", CrisisNone},
		{"This traffic is killing me", CrisisNone},
		{"I'm dying to see the new movie", CrisisNone},
		{"I could kill for a coffee right now", CrisisNone},
		{"dead tired after work", CrisisNone},
		{"We watched Suicide Squad last night", CrisisNone},
		{"me muero de risa", CrisisNone},
		{"el examen me está matando", CrisisNone},
		{"the skill myself and others practiced", CrisisNone}, // "kill myself" inside a word
		{"nonsuicidal, fine today", CrisisNone},
		{"cutting myselfie sticks", CrisisNone}, // "cutting myself" as part of a longer word
		{"I'm not suicidal, just tired", CrisisNone},
		{"I would never kill myself", CrisisNone},
		{"my brother said he wants to die", CrisisNone},
		{"if I ever feel suicidal I'll call 988", CrisisNone},
		{"cut myself shaving", CrisisNone},
		{"I can't go on the trip", CrisisNone},
		{"There are vitamins in my drawer.", CrisisNone},
		// History alone ("I cut myself when I was 15") counts only when
		// the scored layer agrees (crisis.go, detectWhy): the corpus's
		// writers label distanced past as harmless.
		// "There are pills in my drawer." alone raises a crisis flag since
		// the scored layer (3d1165d): the corpus names pills mostly as a
		// stash; the rules alone counted a means only beside another
		// finding (docs/crisis-detection.md, Known limits).
		{"", CrisisNone},
	} {
		got := DetectCrisis(tt.text)
		if got.Level != tt.want {
			t.Errorf("DetectCrisis(%q) = %v %v, want level %v", tt.text, got.Level, got.Categories, tt.want)
		}
		if CrisisLanguage(tt.text) != (tt.want > CrisisNone) {
			t.Errorf("CrisisLanguage(%q) = %v, want %v", tt.text, tt.want <= CrisisNone, tt.want > CrisisNone)
		}
	}
}

func TestCrisisLevel(t *testing.T) {
	t.Parallel()
	for l, want := range map[CrisisLevel]string{CrisisNone: "none", CrisisConcern: "concern", CrisisAcute: "crisis", 7: "CrisisLevel(7)"} {
		if got := l.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(l), got, want)
		}
		if p, ok := ParseCrisisLevel(want); ok != l.Valid() || ok && p != l {
			t.Errorf("ParseCrisisLevel(%q) = %v, %v", want, p, ok)
		}
	}
	if CrisisNone >= CrisisConcern || CrisisConcern >= CrisisAcute {
		t.Error("the levels are not ordered")
	}
	for _, c := range CrisisCategories() {
		if c.Level() == CrisisNone {
			t.Errorf("category %q has no level", c)
		}
	}
}

// TestCrisisRules: the embedded lexicon and rules parse, every category
// has rules, and every class is used.
func TestCrisisRules(t *testing.T) {
	t.Parallel()
	d, err := parseCrisisDetector(crisisFile{"crisis_lexicon.txt", crisisLexiconFile}, crisisFile{"crisis_rules.txt", crisisRulesFile}, crisisFile{"crisis_concepts.txt", crisisConceptsFile})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range CrisisCategories() {
		if !slices.ContainsFunc(d.rules, func(r *crisisRule) bool { return r.category == c }) {
			t.Errorf("no rule for %q", c)
		}
	}
	// No rule is indexed by a word most sentences hold: that would make
	// every message pay for it.
	for _, r := range d.rules {
		for _, w := range []string{"i", "a", "the", "to", "and", "my", "me", "not", "no", "it", "is", "de", "que", "y", "la", "el", "en", "^", "$", ","} {
			if slices.Contains(r.anchor, w) {
				t.Errorf("%s: rule anchored on %q: %s", r.where, w, r.src)
			}
		}
	}
	for name, c := range d.classes {
		if !c.compiled {
			t.Errorf("class @%s is never used", name)
		}
	}
	for name, p := range d.excepts {
		if !slices.ContainsFunc(d.rules, func(r *crisisRule) bool { return slices.Contains(r.unless, p) }) && !slices.Contains(d.always, p) {
			t.Errorf("exception %s is never used", name)
		}
	}
	for _, bad := range []string{
		"rule wish_dead: Die",                          // not normalized
		"rule wish_dead: ~2 $",                         // no anchor
		"rule nothing: die",                            // no category
		"rule wish_dead unless=nope: die",              // no exception
		"rule wish_dead: [die",                         // unbalanced
		"rule wish_dead: @nope die",                    // no class
		"rule wish_dead frobnicate: die",               // no flag
		"except x window=-1: die\nrule wish_dead: die", // bad window
	} {
		if _, err := parseCrisisDetector(crisisFile{"crisis_lexicon.txt", crisisLexiconFile}, crisisFile{"bad", bad}); err == nil {
			t.Errorf("%q parses", bad)
		}
	}
}

// crisisStatement is one line of the evaluation corpus.
type crisisStatement struct {
	split, where string
	lang         string
	level        CrisisLevel
	category     string
	text         string
}

// crisisHarmless are the kinds of harmless statement of the corpus.
var crisisHarmless = []string{"negation", "figurative", "accident", "third_party", "news_media", "everyday", "recovered"}

var crisisSplit = flag.String("crisis.split", "*", "the corpus file of testdata/crisis TestCrisisEvaluation reads, without .tsv (dev, heldout); all by default")

func loadCrisisCorpusFrom(t *testing.T, glob string) []crisisStatement {
	t.Helper()
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	var corpus []crisisStatement
	seen := map[string]string{}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		n := 0
		for sc.Scan() {
			n++
			line := sc.Text()
			if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
				continue
			}
			where := fmt.Sprintf("%s:%d", name, n)
			fields := strings.Split(line, "\t")
			if len(fields) != 4 {
				t.Fatalf("%s: %d fields, want lang, level, category, text", where, len(fields))
			}
			s := crisisStatement{split: strings.TrimSuffix(filepath.Base(name), ".tsv"), where: where,
				lang: fields[0], category: fields[2], text: strings.ReplaceAll(fields[3], `\n`, "\n")}
			var ok bool
			if s.level, ok = ParseCrisisLevel(fields[1]); !ok {
				t.Fatalf("%s: level %q", where, fields[1])
			}
			if s.lang != "en" && s.lang != "es" {
				t.Fatalf("%s: language %q", where, s.lang)
			}
			c := CrisisCategory(s.category)
			switch {
			case s.level == CrisisNone && !slices.Contains(crisisHarmless, s.category):
				t.Fatalf("%s: harmless kind %q, want one of %v", where, s.category, crisisHarmless)
			case s.level != CrisisNone && c.Level() == CrisisNone:
				t.Fatalf("%s: category %q", where, s.category)
			case s.level > c.Level():
				t.Fatalf("%s: %s at level %v", where, c, s.level)
			}
			key := NormalizeText(s.text)
			if other, dup := seen[key]; dup {
				t.Fatalf("%s: the statement of %s again", where, other)
			}
			seen[key] = where
			corpus = append(corpus, s)
		}
		f.Close() //nolint:errcheck // read only
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return corpus
}

// crisisTally counts one group of statements.
type crisisTally struct {
	positives, caught, exact, categorized int // crisis or concern statements
	acute, downgraded                     int // crisis statements; found only as concern
	harmless, quiet                       int // harmless statements; raising nothing
}

func (c *crisisTally) add(s crisisStatement, got CrisisSignal) {
	if s.level == CrisisNone {
		c.harmless++
		if got.Level == CrisisNone {
			c.quiet++
		}
		return
	}
	c.positives++
	if got.Level >= s.level {
		c.caught++
	}
	if got.Level == s.level {
		c.exact++
	}
	if slices.Contains(got.Categories, CrisisCategory(s.category)) {
		c.categorized++
	}
	if s.level == CrisisAcute {
		c.acute++
		if got.Level == CrisisConcern {
			c.downgraded++
		}
	}
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 1
	}
	return float64(n) / float64(d)
}

func (c *crisisTally) recall() float64      { return ratio(c.caught, c.positives) }
func (c *crisisTally) specificity() float64 { return ratio(c.quiet, c.harmless) }

func (c *crisisTally) row(name string) string {
	cell := func(n, d int) string {
		if d == 0 {
			return fmt.Sprintf("%15s", "-")
		}
		return fmt.Sprintf("%4d/%-4d %5.3f", n, d, ratio(n, d))
	}
	return fmt.Sprintf("%-22s %s %s %s %s %s", name, cell(c.caught, c.positives), cell(c.exact, c.positives),
		cell(c.categorized, c.positives), cell(c.downgraded, c.acute), cell(c.quiet, c.harmless))
}

// TestCrisisEvaluation measures DetectCrisis on the corpus of
// testdata/crisis (docs/crisis-detection.md): recall (a crisis or concern
// statement found at its level or above), exact level, category found,
// crisis statements found only as concern, and specificity (a harmless
// statement raising nothing), overall, per split, language and category.
// It fails below recall 0.95 or specificity 0.90 overall, per language and
// per category of 10 statements or more, or above 5% of crisis statements
// found only as concern. Run with -v for the table and every miss.
// TestCrisisEvaluation reports the detector's recall and specificity on
// the corpus, cross-validated: each statement is read with a scored layer
// trained on the other parts of the corpus (crossValidated).
func TestCrisisEvaluation(t *testing.T) {
	t.Parallel()
	if *crisisThresholds {
		t.Run("thresholds", thresholdReport)
	}
	training := loadCrisisTraining(t)
	predicted := crossValidated(training)
	var corpus []crisisStatement
	var said []CrisisSignal
	for i, s := range training {
		if ok, _ := filepath.Match(*crisisSplit, s.split); ok {
			corpus = append(corpus, s)
			said = append(said, predicted[i])
		}
	}
	all := &crisisTally{}
	groups := map[string]*crisisTally{}
	group := func(name string) *crisisTally {
		if groups[name] == nil {
			groups[name] = &crisisTally{}
		}
		return groups[name]
	}
	for i, s := range corpus {
		got := said[i]
		all.add(s, got)
		level := "level " + s.level.String()
		for _, g := range []string{"split " + s.split, "lang " + s.lang, s.category, s.lang + " " + s.category, level, s.lang + " " + level} {
			group(g).add(s, got)
		}
		if s.level == CrisisNone && got.Level != CrisisNone {
			_, why := crisisDetectorOnce().detectWhy(s.text)
			t.Logf("false alarm %s: %v %v by %v: %s", s.where, got.Level, got.Categories, why, s.text)
		} else if got.Level < s.level {
			t.Logf("missed %s: %v %v, want %v %s: %s", s.where, got.Level, got.Categories, s.level, s.category, s.text)
		}
	}
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-22s %15s %15s %15s %15s %15s\n", "", "recall", "exact level", "category", "crisis→concern", "specificity")
	table.WriteString(all.row("all") + "\n")
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range groups {
			if !yield(k) {
				return
			}
		}
	})
	order := func(prefix string) {
		for _, n := range names {
			if strings.HasPrefix(n, prefix) {
				table.WriteString(groups[n].row(n) + "\n")
			}
		}
	}
	order("split ")
	order("lang ")
	order("level ")
	for _, c := range CrisisCategories() {
		if g := groups[string(c)]; g != nil {
			table.WriteString(g.row(string(c)) + "\n")
		}
	}
	for _, k := range crisisHarmless {
		if g := groups[k]; g != nil {
			table.WriteString(g.row(k) + "\n")
		}
	}
	order("en ")
	order("es ")
	t.Log(table.String())

	// The target of issue #16 is recall 0.95 and specificity 0.90 overall,
	// per language and per category; the log says where it is not met.
	// The test fails where the detector does worse than measured at
	// the last retraining (docs/crisis-detection.md), so that a change cannot make it
	// worse unnoticed.
	short := func(name string, c *crisisTally) {
		if c.positives > 0 && c.recall() < 0.95 {
			t.Logf("below target: %s recall %.3f < 0.95", name, c.recall())
		}
		if c.harmless > 0 && c.specificity() < 0.90 {
			t.Logf("below target: %s specificity %.3f < 0.90", name, c.specificity())
		}
	}
	floor := func(name string, c *crisisTally, recall, specificity float64) {
		if c == nil {
			return
		}
		if c.positives > 0 && c.recall() < recall {
			t.Errorf("%s: recall %.3f, below the %.3f measured with train-6 and train-7 (docs/crisis-detection.md)", name, c.recall(), recall)
		}
		if c.harmless > 0 && c.specificity() < specificity {
			t.Errorf("%s: specificity %.3f, below the %.3f measured with train-6 and train-7 (docs/crisis-detection.md)", name, c.specificity(), specificity)
		}
	}
	short("all", all)
	if r := ratio(all.downgraded, all.acute); r > 0.05 {
		t.Errorf("%d of %d crisis statements (%.3f) found only as concern, more than 5%%", all.downgraded, all.acute, r)
	}
	for _, n := range names {
		g := groups[n]
		if strings.HasPrefix(n, "lang ") || g.positives+g.harmless >= 10 && !strings.HasPrefix(n, "split ") && !strings.Contains(n, " ") {
			short(n, g)
		}
	}
	if *crisisSplit == "*" {
		floor("all", all, 0.935, 0.905)
		floor("lang en", groups["lang en"], 0.93, 0.905)
		floor("lang es", groups["lang es"], 0.935, 0.9)
	}
	// The corpus keeps its shape: size, both languages, both classes.
	if *crisisSplit != "*" {
		return
	}
	if len(corpus) < 300 {
		t.Errorf("%d statements, want 300 or more", len(corpus))
	}
	if es := groups["lang es"]; es == nil || 3*(es.positives+es.harmless) < len(corpus) {
		t.Error("less than a third of the statements are in Spanish")
	}
	if all.harmless < len(corpus)*2/5 {
		t.Errorf("%d harmless statements of %d, want about half", all.harmless, len(corpus))
	}
}

func TestNormalizeText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"  Don't   STOP—now!  ": "dont stop now",
		"Ñandú ÉLAN":            "nandu elan",
		"cafe\u0301":            "cafe",
		"Straße":                "strasse",
		"a\n\tb":                "a b",
		"...":                   "",
		"x-1 2":                 "x 1 2",
	} {
		if got := NormalizeText(in); got != want {
			t.Errorf("NormalizeText(%q) = %q, want %q", in, got, want)
		}
	}
}

// clauseNormalForm is text with each piece between sentence and clause
// boundaries replaced by its NormalizeText, the boundaries kept.
func clauseNormalForm(text string) string {
	var b strings.Builder
	start := 0
	for i, r := range text {
		if crisisHardBoundary(r) || crisisSoftBoundary(r) {
			b.WriteString(" " + NormalizeText(text[start:i]) + " ")
			b.WriteRune(r)
			start = i + len(string(r))
		}
	}
	b.WriteString(" " + NormalizeText(text[start:]))
	return b.String()
}

// FuzzCrisisLanguage: normalizing is idempotent and yields only lower-case
// letters, digits and single inner spaces; DetectCrisis never panics,
// returns a valid level with sorted, unique, known categories, agrees
// with CrisisLanguage, and reads a text as its normal form: the same
// when the text has no sentence or clause punctuation, and always the
// same as its clause-by-clause normal form.
func FuzzCrisisLanguage(f *testing.F) {
	for _, s := range []string{"I want to kill myself", "quiero morir", "killer deal", "Don't", "é\u0301", "suicide squad suicide",
		" - ", "I'm not suicidal, just tired", "me corté anoche. otra vez", "i cut myself when i was 12", "kms", "matarme"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeText(s)
		if NormalizeText(n) != n {
			t.Fatalf("not idempotent: %q → %q → %q", s, n, NormalizeText(n))
		}
		if strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.Contains(n, "  ") {
			t.Fatalf("spaces in %q", n)
		}
		for _, r := range n {
			if r != ' ' && !unicode.IsLetter(r) && !unicode.IsDigit(r) || unicode.ToLower(r) != r {
				t.Fatalf("%q in %q", r, n)
			}
		}
		got := DetectCrisis(s)
		if !got.Level.Valid() || (got.Level == CrisisNone) != (len(got.Categories) == 0) {
			t.Fatalf("DetectCrisis(%q) = %+v", s, got)
		}
		top := CrisisNone
		for i, c := range got.Categories {
			if c.Level() == CrisisNone || i > 0 && got.Categories[i-1] >= c {
				t.Fatalf("DetectCrisis(%q) categories %v", s, got.Categories)
			}
			top = max(top, c.Level())
		}
		if got.Level > top {
			t.Fatalf("DetectCrisis(%q) = %+v: level above its categories'", s, got)
		}
		if CrisisLanguage(s) != (got.Level > CrisisNone) {
			t.Fatalf("CrisisLanguage(%q) disagrees with %+v", s, got)
		}
		if !strings.ContainsFunc(s, func(r rune) bool { return crisisHardBoundary(r) || crisisSoftBoundary(r) }) {
			if gn := DetectCrisis(n); !slices.Equal(gn.Categories, got.Categories) || gn.Level != got.Level {
				t.Fatalf("DetectCrisis(%q) = %+v but of its normal form %q %+v", s, got, n, gn)
			}
		}
		if c := clauseNormalForm(s); !slices.Equal(DetectCrisis(c).Categories, got.Categories) || DetectCrisis(c).Level != got.Level {
			t.Fatalf("DetectCrisis(%q) = %+v but of %q %+v", s, got, c, DetectCrisis(c))
		}
	})
}

// BenchmarkCrisisLanguage: the cost the check adds to sending a message
// of 200 and of 5,000 characters (the longest), without a match, so that
// every word is looked up.
func BenchmarkCrisisLanguage(b *testing.B) {
	for _, n := range []int{200, MaxMessageText} {
		text := strings.Repeat("Today was long; I walked, cooked, and called my sister. ", n/56+1)[:n]
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				if CrisisLanguage(text) {
					b.Fatal("matched")
				}
			}
		})
	}
}

// BenchmarkDetectCrisis: a 5,000-character journal entry full of words
// rules are anchored on, with one crisis sentence in the middle.
func BenchmarkDetectCrisis(b *testing.B) {
	filler := strings.Repeat("I hope the end of the day comes soon; life at work is a lot, I cut the meeting short and my plan is to sleep. ", 23)
	text := filler[:2400] + " I have been thinking about ending my life. " + filler[:2500]
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if DetectCrisis(text).Level != CrisisAcute {
			b.Fatal("not found")
		}
	}
}

// TestCrisisBlind measures the detector on the blind sets of
// testdata/crisis/blind (README there): statements by an author who never
// saw the detector. Its numbers estimate how it does on statements
// written by someone else; they are reported, by language and level, and
// the test fails only when they fall below what was last measured (recall
// 0.595 at b9ccd22, floor 0.59; specificity 0.925, floor 0.92), so that a
// change that makes the detector worse on unseen text is noticed. The target of issue #16
// (recall 0.95, specificity 0.90 on unseen statements) is not met yet.
// TestCrisisBlind reports the detector on the blind sets of
// testdata/crisis/blind, written by authors who never saw it, each file
// apart, and fails below what was measured on them.
func TestCrisisBlind(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/crisis/blind/*.tsv")
	if err != nil || len(files) == 0 {
		t.Fatalf("no blind sets: %v", err)
	}
	type tally struct{ pos, caught, neg, quiet int }
	tallies := map[string]*tally{}
	count := func(key string, want, got CrisisLevel) {
		x := tallies[key]
		if x == nil {
			x = &tally{}
			tallies[key] = x
		}
		if want == CrisisNone {
			x.neg++
			if got == CrisisNone {
				x.quiet++
			}
			return
		}
		x.pos++
		if got >= want {
			x.caught++
		}
	}
	var keys []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".tsv")
		keys = append(keys, name, name+" en", name+" es", name+" crisis", name+" concern")
		for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			p := strings.Split(line, "\t")
			if len(p) != 4 {
				t.Fatalf("%s:%d: want 4 columns", f, i+1)
			}
			want, ok := ParseCrisisLevel(p[1])
			if !ok {
				t.Fatalf("%s:%d: level %q", f, i+1, p[1])
			}
			got := DetectCrisis(strings.ReplaceAll(p[3], `\n`, "\n")).Level
			for _, k := range []string{name, name + " " + p[0], name + " " + p[1]} {
				count(k, want, got)
			}
		}
	}
	for _, k := range keys {
		if x := tallies[k]; x != nil {
			t.Logf("%-22s recall %.3f (%d/%d)  specificity %.3f (%d/%d)", k, ratio(x.caught, x.pos), x.caught, x.pos, ratio(x.quiet, x.neg), x.quiet, x.neg)
		}
	}
	// What was measured, at the commit named, when each set was first
	// read by the detector as it is (docs/crisis-detection.md).
	for name, floor := range map[string]struct {
		recall, specificity float64
		commit              string
	}{
		"blind-c":  {0.970, 0.935, "the scored layer's veto (#16)"}, // its fifth reading (0.595/0.890 on the rules alone, 0.925/0.875 at 3d1165d, 0.920/0.875 at a3048c6, 0.955/0.865 at 33c1d20, 0.975/0.875 after train-6 and train-7)
		"blind-d":  {0.969, 0.907, "the scored layer's veto (#16)"}, // its third (0.685/0.862 on the rules alone at 349b766, 0.929/0.877 at 33c1d20, 0.959/0.871 after train-6 and train-7)
		"blind-e":  {0.944, 0.909, "the scored layer's veto (#16)"}, // its second (0.608/0.879 on the rules alone at 349b766, 0.919/0.864 at d11753b)
		"blind-f":  {0.909, 0.881, "the scored layer's veto (#16)"}, // its first reading as a blind set (hard cases by design)
		"everyday": {0, 0.974, "the scored layer's veto (#16)"},     // its third (1.000 on the rules alone, 0.990 at 33c1d20, 0.979 after train-6 and train-7)
	} {
		x := tallies[name]
		if x == nil {
			t.Errorf("no blind set %s", name)
			continue
		}
		if x.pos > 0 && ratio(x.caught, x.pos) < floor.recall {
			t.Errorf("%s: recall %.3f, below the %.3f measured at %s", name, ratio(x.caught, x.pos), floor.recall, floor.commit)
		}
		if ratio(x.quiet, x.neg) < floor.specificity {
			t.Errorf("%s: specificity %.3f, below the %.3f measured at %s", name, ratio(x.quiet, x.neg), floor.specificity, floor.commit)
		}
	}
}
