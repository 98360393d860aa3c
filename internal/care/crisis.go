package care

import (
	_ "embed"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// Crisis language (issues #6 and #16): DetectCrisis reads a client's
// message or journal entry for statements of suicidal thinking or
// behaviour and self-harm, in English and Spanish, and says how urgent
// they are. It is a small rule engine, not a clinical instrument
// (docs/crisis-detection.md):
//
//  1. The text is cut into sentences at . ! ? ; and line breaks, and into
//     clauses at commas; each piece is folded by NormalizeText.
//  2. Each word is rewritten to canonical words by the lexicon of
//     crisis_lexicon.txt: contractions and slang ("im" → "i am", "wanna"
//     → "want to", "kms" → "kill myself"), misspellings ("suicde"),
//     inflections ("killing", "killed" → "kill"), Spanish clitics
//     ("matarme" → "matar me").
//  3. The rules of crisis_rules.txt are word patterns over those canonical
//     words, with word classes, optional words and bounded gaps (a self
//     reference and a lethal verb within a few words). Each rule names the
//     C-SSRS-informed category it finds (CrisisCategory). The rules of
//     crisis_concepts.txt, in the same syntax, are concept windows: two
//     broad concepts in one sentence, either order ("tonight" and "end
//     it", a bridge and "thinking about").
//  4. A match counts unless it is negated ("I would never kill myself"),
//     about someone else ("my brother said he wants to die"), in a
//     harmless context the rule names ("cut myself shaving", "suicide
//     prevention walk"), or, for some rules, alone in the text (a method
//     noun counts only beside another finding, or beside another such
//     context finding of another category). History ("years ago",
//     "used to") lowers a finding by one level, and by two with recovery
//     in the same sentence ("but I'm in a better place now"), but for an
//     attempt.
//
// Matching is linear in the text: a sentence is matched against the few
// rules whose anchor word it holds, and Go's regexp is linear-time.

//go:embed crisis_lexicon.txt
var crisisLexiconFile string

//go:embed crisis_rules.txt
var crisisRulesFile string

//go:embed crisis_concepts.txt
var crisisConceptsFile string

// CrisisLevel is how urgent the crisis language in a text is:
// CrisisNone < CrisisConcern < CrisisAcute.
type CrisisLevel int

// The crisis levels.
const (
	CrisisNone    CrisisLevel = iota // nothing found
	CrisisConcern                    // passive ideation, wish to be dead, hopelessness, burden: resources and a flag at lower priority
	CrisisAcute                      // active ideation, intent, plan, method, preparation, attempt, recent self-harm: resources and a priority flag
)

// String is the level's name: "none", "concern" or "crisis".
func (l CrisisLevel) String() string {
	switch l {
	case CrisisNone:
		return "none"
	case CrisisConcern:
		return "concern"
	case CrisisAcute:
		return "crisis"
	}
	return "CrisisLevel(" + strconv.Itoa(int(l)) + ")"
}

// Valid reports whether l is one of the three levels.
func (l CrisisLevel) Valid() bool { return l >= CrisisNone && l <= CrisisAcute }

// ParseCrisisLevel is the level named s, as String writes it.
func ParseCrisisLevel(s string) (CrisisLevel, bool) {
	for l := CrisisNone; l <= CrisisAcute; l++ {
		if l.String() == s {
			return l, true
		}
	}
	return CrisisNone, false
}

// CrisisCategory is the kind of statement a finding is, after the
// Columbia Suicide Severity Rating Scale's ideation and behaviour
// categories (Posner et al. 2011), with hopelessness and perceived
// burdensomeness added as concern-level risk statements.
type CrisisCategory string

// The crisis categories; Level gives each one's level.
const (
	CrisisWishDead        CrisisCategory = "wish_dead"        // wish to be dead or not alive: "I want to die", "quiero morir"
	CrisisPassiveIdeation CrisisCategory = "passive_ideation" // wish not to wake up, to disappear, not to exist: "ojalá no despertar"
	CrisisHopelessness    CrisisCategory = "hopelessness"     // no way out, nothing will get better: "no aguanto más"
	CrisisBurden          CrisisCategory = "burden"           // others better off without me: "soy una carga"
	CrisisActiveIdeation  CrisisCategory = "active_ideation"  // thoughts of killing oneself: "I want to kill myself", "kms"
	CrisisMethod          CrisisCategory = "method"           // a means in a self-directed lethal context: pills, rope, bridge, gun
	CrisisIntent          CrisisCategory = "intent"           // a decision or a time: "I'm going to end it tonight"
	CrisisPlan            CrisisCategory = "plan"             // worked-out details: "I have a plan", "I know how I'd do it"
	CrisisPreparatory     CrisisCategory = "preparatory"      // goodbye letter, giving things away, stockpiling, researching how
	CrisisSelfHarm        CrisisCategory = "self_harm"        // current or recent self-injury: "me corté anoche"
	CrisisAttempt         CrisisCategory = "attempt"          // an attempt: "I tried to kill myself last month"
)

// CrisisCategories returns every category, concern ones first.
func CrisisCategories() []CrisisCategory {
	return []CrisisCategory{
		CrisisWishDead, CrisisPassiveIdeation, CrisisHopelessness, CrisisBurden,
		CrisisActiveIdeation, CrisisMethod, CrisisIntent, CrisisPlan, CrisisPreparatory, CrisisSelfHarm, CrisisAttempt,
	}
}

// Level is the level of a current statement of category c: CrisisConcern
// for passive ideation, wish to be dead, hopelessness and burden,
// CrisisAcute for the rest, CrisisNone for an unknown category.
func (c CrisisCategory) Level() CrisisLevel {
	switch c {
	case CrisisWishDead, CrisisPassiveIdeation, CrisisHopelessness, CrisisBurden:
		return CrisisConcern
	case CrisisActiveIdeation, CrisisMethod, CrisisIntent, CrisisPlan, CrisisPreparatory, CrisisSelfHarm, CrisisAttempt:
		return CrisisAcute
	}
	return CrisisNone
}

// CrisisSignal is what DetectCrisis found in a text: the highest level of
// its findings and their categories, sorted and unique. A signal of level
// CrisisNone has no categories.
type CrisisSignal struct {
	Level      CrisisLevel
	Categories []CrisisCategory
}

// DetectCrisis reads text for crisis language. It never fails: text
// without any returns the zero CrisisSignal.
func DetectCrisis(text string) CrisisSignal { return crisisDetectorOnce().detect(text) }

// CrisisLanguage reports whether text holds crisis language of any level
// (DetectCrisis(text).Level > CrisisNone).
func CrisisLanguage(text string) bool { return DetectCrisis(text).Level > CrisisNone }

var crisisDetectorOnce = sync.OnceValue(func() *crisisDetector {
	d, err := parseCrisisDetector(
		crisisFile{"crisis_lexicon.txt", crisisLexiconFile},
		crisisFile{"crisis_rules.txt", crisisRulesFile},
		crisisFile{"crisis_concepts.txt", crisisConceptsFile})
	if err != nil {
		panic("care: " + err.Error()) // the files are embedded; TestCrisisRules keeps them valid
	}
	if d.model, err = parseCrisisModel(crisisModelFile); err != nil {
		panic("care: " + err.Error()) // embedded too; TestCrisisModel keeps it valid
	}
	return d
})

// crisisDetector is the parsed lexicon and rules.
type crisisDetector struct {
	rewrite  map[string][]string        // a normalized word → its canonical words
	sets     map[string]map[string]bool // the named word sets of the lexicon (stop, negator, …)
	classes  map[string]*crisisClass
	rules    []*crisisRule
	byAnchor map[string][]int // a canonical word → the rules anchored on it
	lex      map[string]crisisWord
	vocab    map[string]rune // the words rules name → their runes (words)
	excepts  map[string]*crisisPattern
	always   []*crisisPattern // exceptions for every rule
	distant  *crisisPattern   // history: a finding in its clause is lowered one level
	recent   *crisisPattern   // unless this is in the clause too
	better   *crisisPattern   // and history with this in the sentence is two levels lower
	model    *crisisModel     // the scored layer (crisis_model.go), or nil
	concepts []*crisisPattern // every class, a concept of the scored layer
}

// crisisWord is what a normalized word of a text reads as: its canonical
// words and the rules anchored on them.
type crisisWord struct {
	canon []string
	rules []int
}

// crisisRule is one rule of crisis_rules.txt.
type crisisRule struct {
	crisisPattern
	category CrisisCategory
	negated  bool // the pattern holds its own negation: no negation check
	context  bool // counts only beside another finding in the same text
	anyone   bool // no check of whom it is about
	firm     bool // only the rule's own exceptions apply, not those marked all
	unless   []*crisisPattern
}

// crisisPattern is a compiled word pattern: a regexp over a sentence
// written a rune a word (see words), whose group 1, if any, is the
// anchor.
type crisisPattern struct {
	name   string
	where  string // file:line
	src    string
	re     *regexp.Regexp
	needs  [][]rune // every match holds a word (words) of each, sorted
	anchor []string // the needs entry the rule is indexed by
	window int      // for an exception: how many words from a finding it may be
}

type crisisClass struct {
	src      string
	re       string
	need     []string
	compiled bool
	busy     bool
}

// crisisSets are the word sets the lexicon must define.
var crisisSets = []string{"stop", "negator", "breaker", "first", "other", "preposition", "turn", "end"}

// crisisFile is a named lexicon or rules file.
type crisisFile struct{ name, text string }

func parseCrisisDetector(files ...crisisFile) (*crisisDetector, error) {
	d := &crisisDetector{
		rewrite:  map[string][]string{},
		sets:     map[string]map[string]bool{},
		classes:  map[string]*crisisClass{},
		byAnchor: map[string][]int{},
		vocab:    map[string]rune{"^": crisisFirstWord - 3, "$": crisisFirstWord - 2, ",": crisisFirstWord - 1},
		excepts:  map[string]*crisisPattern{},
	}
	type line struct {
		where string // file:line
		text  string
	}
	var lines []line
	for _, file := range files {
		n := 0
		for l := range strings.Lines(file.text) {
			n++
			trimmed := strings.TrimSpace(l)
			if trimmed == "" || strings.HasPrefix(trimmed, "#") {
				continue
			}
			if l[0] == ' ' || l[0] == '\t' { // a continuation
				if len(lines) == 0 {
					return nil, fmt.Errorf("%s:%d: continuation of nothing", file.name, n)
				}
				lines[len(lines)-1].text += " " + trimmed
				continue
			}
			lines = append(lines, line{fmt.Sprintf("%s:%d", file.name, n), trimmed})
		}
	}
	// Word rewrites, sets and classes first: rules refer to them.
	var later []line
	for _, l := range lines {
		keyword, rest, _ := strings.Cut(l.text, " ")
		rest = strings.TrimSpace(rest)
		var err error
		switch keyword {
		case "word":
			from, to, ok := strings.Cut(rest, "=>")
			if !ok {
				err = fmt.Errorf("want word FROM… => TO…")
				break
			}
			target := strings.Fields(to)
			for _, w := range strings.Fields(from) {
				if NormalizeText(w) != w {
					err = fmt.Errorf("%q is not a normalized word", w)
				} else if _, dup := d.rewrite[w]; dup {
					err = fmt.Errorf("%q rewritten twice", w)
				}
				d.rewrite[w] = target
			}
		case "set":
			name, words, ok := strings.Cut(rest, "=")
			name = strings.TrimSpace(name)
			if !ok || !slices.Contains(crisisSets, name) {
				err = fmt.Errorf("want set NAME = words, NAME one of %v", crisisSets)
				break
			}
			if d.sets[name] == nil {
				d.sets[name] = map[string]bool{}
			}
			for _, w := range strings.Fields(words) {
				d.sets[name][w] = true
			}
		case "class":
			name, body, ok := strings.Cut(rest, "=")
			name = strings.TrimSpace(name)
			if !ok || !strings.HasPrefix(name, "@") || len(name) < 2 {
				err = fmt.Errorf("want class @name = alternative | alternative")
				break
			}
			if d.classes[name[1:]] != nil {
				err = fmt.Errorf("class %s twice", name)
				break
			}
			d.classes[name[1:]] = &crisisClass{src: strings.TrimSpace(body)}
		case "rule", "except":
			later = append(later, l)
		default:
			err = fmt.Errorf("unknown directive %q", keyword)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", l.where, err)
		}
	}
	for _, name := range crisisSets {
		if d.sets[name] == nil {
			return nil, fmt.Errorf("crisis lexicon: no set %q", name)
		}
	}
	for _, l := range later {
		if err := d.parseRule(l.where, l.text); err != nil {
			return nil, fmt.Errorf("%s: %v", l.where, err)
		}
	}
	for name, p := range map[string]**crisisPattern{"distant": &d.distant, "recent": &d.recent, "recovered": &d.better} {
		var err error
		if *p, err = d.compile(name, "", "@"+name, false); err != nil {
			return nil, fmt.Errorf("crisis class @%s: %v", name, err)
		}
	}
	// Every class is a concept of the scored layer (crisis_model.go).
	for _, name := range slices.Sorted(maps.Keys(d.classes)) {
		p, err := d.compile(name, "", "@"+name, false)
		if err != nil {
			return nil, fmt.Errorf("crisis class @%s: %v", name, err)
		}
		d.concepts = append(d.concepts, p)
	}
	if len(d.vocab) > int(crisisLastWord-crisisFirstWord) {
		return nil, fmt.Errorf("crisis rules: %d words, more than %d", len(d.vocab), crisisLastWord-crisisFirstWord)
	}
	for i, r := range d.rules {
		for _, n := range r.unless {
			if n.re == nil {
				return nil, fmt.Errorf("%s: no exception %q", r.where, n.name)
			}
		}
		for _, w := range r.anchor {
			if !slices.Contains(d.byAnchor[w], i) {
				d.byAnchor[w] = append(d.byAnchor[w], i)
			}
		}
	}
	// One look-up a word of a text: its canonical words and their rules.
	d.lex = map[string]crisisWord{}
	for w, canon := range d.rewrite {
		var rules []int
		for _, c := range canon {
			rules = append(rules, d.byAnchor[c]...)
		}
		d.lex[w] = crisisWord{canon, rules}
	}
	for w, rules := range d.byAnchor {
		if _, ok := d.lex[w]; !ok {
			d.lex[w] = crisisWord{[]string{w}, rules}
		}
	}
	return d, nil
}

// parseRule reads "rule CATEGORY [flags]: pattern" or
// "except NAME [all] [window=N]: pattern".
func (d *crisisDetector) parseRule(where, text string) error {
	head, pattern, ok := strings.Cut(text, ":")
	if !ok {
		return fmt.Errorf("no ':' before the pattern")
	}
	fields := strings.Fields(head)
	if len(fields) < 2 {
		return fmt.Errorf("want %s NAME: pattern", fields[0])
	}
	if fields[0] == "except" {
		name := fields[1]
		p := d.excepts[name]
		if p != nil && p.re != nil {
			return fmt.Errorf("exception %q twice", name)
		}
		compiled, err := d.compile(name, where, pattern, false)
		if err != nil {
			return err
		}
		if p == nil { // else a rule before named it: fill it in
			p = &crisisPattern{}
		}
		*p = *compiled
		p.window = 4
		all := false
		for _, f := range fields[2:] {
			if f == "all" {
				all = true
			} else if v, ok := strings.CutPrefix(f, "window="); ok {
				if p.window, err = strconv.Atoi(v); err != nil || p.window < 0 {
					return fmt.Errorf("bad window %q", v)
				}
			} else {
				return fmt.Errorf("unknown flag %q", f)
			}
		}
		d.excepts[name] = p
		if all {
			d.always = append(d.always, p)
		}
		return nil
	}
	r := &crisisRule{category: CrisisCategory(fields[1])}
	if r.category.Level() == CrisisNone {
		return fmt.Errorf("unknown category %q", fields[1])
	}
	for _, f := range fields[2:] {
		switch {
		case f == "negated":
			r.negated = true
		case f == "context":
			r.context = true
		case f == "anyone":
			r.anyone = true
		case f == "firm":
			r.firm = true
		case strings.HasPrefix(f, "unless="):
			for name := range strings.SplitSeq(strings.TrimPrefix(f, "unless="), ",") {
				p := d.excepts[name]
				if p == nil { // defined later in the file: resolved after
					p = &crisisPattern{name: name}
					d.excepts[name] = p
				}
				r.unless = append(r.unless, p)
			}
		default:
			return fmt.Errorf("unknown flag %q", f)
		}
	}
	// Each alternative of a rule is a rule of its own, with its own anchor.
	alts, err := splitAlternatives(pattern)
	if err != nil {
		return err
	}
	for _, alt := range alts {
		p, err := d.compile(fields[1], where, alt, true)
		if err != nil {
			return err
		}
		r := *r
		r.crisisPattern = *p
		d.rules = append(d.rules, &r)
	}
	return nil
}

// A pattern is a sequence of elements separated by spaces:
//
//	word        a canonical word; a|b|c is one of several words
//	@name       one of a class's alternatives
//	[x y|z]     one of several sequences
//	~N          any 0 to N words
//	^ and $     the start and the end of a clause
//	<n>         a number
//
// A ? after a word, a class or a group makes it optional.

// words is the regexp of a sequence of canonical words, each one rune:
// its number in the rules' vocabulary, or crisisNumber for a number.
func (d *crisisDetector) words(ws ...string) string {
	var b strings.Builder
	for _, w := range ws {
		r, ok := d.vocab[w]
		if !ok {
			r = crisisFirstWord + rune(len(d.vocab))
			if isNumber(w) {
				r = crisisNumber
			}
			d.vocab[w] = r
		}
		b.WriteString(regexp.QuoteMeta(string(r)))
	}
	return b.String()
}

// runes are the sorted runes of words.
func (d *crisisDetector) runes(ws []string) []rune {
	rs := make([]rune, 0, len(ws))
	for _, w := range ws {
		d.words(w)
		rs = append(rs, d.vocab[w])
	}
	slices.Sort(rs)
	return slices.Compact(rs)
}

// The runes a sentence is written in for matching: one per word, from
// Unicode's private use area, so that each takes three bytes.
const (
	crisisOther     rune = 0xe000 // a word no rule names
	crisisNumber    rune = 0xe001 // a number
	crisisFirstWord rune = 0xe010 // the first word of the vocabulary
	crisisLastWord  rune = 0xf8ff
	crisisRuneLen        = 3
)

func isNumber(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return w != ""
}

// crisisFrag is a compiled element of a pattern.
type crisisFrag struct {
	re   string
	need []string // a word of which is in every match; nil if none is known
	opt  bool
}

// compile compiles a pattern; with anchored, its anchor (the first of the
// required elements with the fewest stop words) is group 1.
func (d *crisisDetector) compile(name, where, src string, anchored bool) (*crisisPattern, error) {
	var frags []crisisFrag
	alts, err := splitAlternatives(src)
	if err == nil && len(alts) > 1 {
		var f crisisFrag
		f, err = d.compileAlternatives(alts, 0)
		frags = []crisisFrag{f}
	} else if err == nil {
		frags, err = d.compileSeq(src, 0)
	}
	if err != nil {
		return nil, err
	}
	p := &crisisPattern{name: name, where: where, src: strings.TrimSpace(src)}
	anchor, fewest := -1, 0
	for i, f := range frags {
		if f.opt || f.need == nil {
			continue
		}
		p.needs = append(p.needs, d.runes(f.need))
		stops := 0
		for _, w := range f.need {
			if d.sets["stop"][w] {
				stops++
			}
		}
		if anchor < 0 || stops < fewest {
			anchor, fewest = i, stops
		}
	}
	if anchored {
		if anchor < 0 {
			return nil, fmt.Errorf("pattern %q has no anchor: no required word", p.src)
		}
		p.anchor = frags[anchor].need
	}
	var b strings.Builder
	for i, f := range frags {
		if i == anchor && anchored {
			b.WriteString("(" + f.re + ")")
		} else {
			b.WriteString(f.re)
		}
	}
	if p.re, err = regexp.Compile(b.String()); err != nil {
		return nil, err
	}
	return p, nil
}

func (d *crisisDetector) compileSeq(src string, depth int) ([]crisisFrag, error) {
	if depth > 20 {
		return nil, fmt.Errorf("patterns nested too deep")
	}
	items, err := splitPattern(src)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("empty pattern")
	}
	frags := make([]crisisFrag, 0, len(items))
	for _, item := range items {
		var f crisisFrag
		opt := false
		if len(item) > 1 && strings.HasSuffix(item, "?") {
			item, opt = item[:len(item)-1], true
		}
		switch {
		case strings.HasPrefix(item, "~"):
			n, err := strconv.Atoi(item[1:])
			if err != nil || n < 1 || n > 16 || opt {
				return nil, fmt.Errorf("bad gap %q", item)
			}
			f = crisisFrag{re: `.{0,` + strconv.Itoa(n) + `}`, opt: true}
		case item == "^":
			f = crisisFrag{re: "[" + d.words("^", ",") + "]"}
		case item == "$":
			f = crisisFrag{re: "[" + d.words(append([]string{"$", ","}, slices.Sorted(maps.Keys(d.sets["end"]))...)...) + "]"}
		case item == "<n>":
			f = crisisFrag{re: d.words("0")}
		case strings.HasPrefix(item, "["):
			alts, err := splitAlternatives(item[1 : len(item)-1])
			if err != nil {
				return nil, err
			}
			f, err = d.compileAlternatives(alts, depth)
			if err != nil {
				return nil, err
			}
		case strings.HasPrefix(item, "@"):
			c := d.classes[item[1:]]
			if c == nil {
				return nil, fmt.Errorf("no class %s", item)
			}
			if !c.compiled {
				if c.busy {
					return nil, fmt.Errorf("class %s refers to itself", item)
				}
				c.busy = true
				alts, err := splitAlternatives(c.src)
				if err != nil {
					return nil, fmt.Errorf("class %s: %v", item, err)
				}
				cf, err := d.compileAlternatives(alts, depth)
				if err != nil {
					return nil, fmt.Errorf("class %s: %v", item, err)
				}
				c.re, c.need, c.compiled, c.busy = cf.re, cf.need, true, false
			}
			f = crisisFrag{re: c.re, need: c.need}
		default:
			// Words are read as text is: "living" is "live", "gonna" is
			// "going to".
			var res, need []string
			for w := range strings.SplitSeq(item, "|") {
				if w == "" || NormalizeText(w) != w {
					return nil, fmt.Errorf("%q is not a normalized word", w)
				}
				canon := d.appendCanonical(nil, w)
				res = append(res, d.words(canon...))
				i := slices.IndexFunc(canon, func(c string) bool { return !d.sets["stop"][c] })
				need = append(need, canon[max(i, 0)])
			}
			slices.Sort(res)
			slices.Sort(need)
			f = crisisFrag{re: "(?:" + strings.Join(slices.Compact(res), "|") + ")", need: slices.Compact(need)}
		}
		if opt {
			f.opt = true
			f.re = "(?:" + f.re + ")?"
		}
		frags = append(frags, f)
	}
	return frags, nil
}

func (d *crisisDetector) compileAlternatives(alts []string, depth int) (crisisFrag, error) {
	var res []string
	var need []string
	known := true
	for _, a := range alts {
		frags, err := d.compileSeq(a, depth+1)
		if err != nil {
			return crisisFrag{}, err
		}
		var b strings.Builder
		for _, f := range frags {
			b.WriteString(f.re)
		}
		res = append(res, b.String())
		n := d.seqNeed(frags)
		if n == nil {
			known = false
		}
		need = append(need, n...)
	}
	f := crisisFrag{re: "(?:" + strings.Join(res, "|") + ")"}
	if known {
		slices.Sort(need)
		f.need = slices.Compact(need)
	}
	return f, nil
}

// seqNeed is the words of which one is in every match of a sequence: those
// of its first required element without stop words, or of its first
// required element.
func (d *crisisDetector) seqNeed(frags []crisisFrag) []string {
	var first []string
	for _, f := range frags {
		if f.opt || f.need == nil {
			continue
		}
		if !slices.ContainsFunc(f.need, func(w string) bool { return d.sets["stop"][w] }) {
			return f.need
		}
		if first == nil {
			first = f.need
		}
	}
	return first
}

// splitPattern splits a pattern at spaces outside brackets.
func splitPattern(src string) ([]string, error) {
	var items []string
	depth, start := 0, -1
	for i, r := range src {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced ] in %q", src)
			}
		}
		if r == ' ' && depth == 0 {
			if start >= 0 {
				items = append(items, src[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced [ in %q", src)
	}
	if start >= 0 {
		items = append(items, src[start:])
	}
	return items, nil
}

// splitAlternatives splits at | outside brackets.
func splitAlternatives(src string) ([]string, error) {
	var alts []string
	depth, start := 0, 0
	for i, r := range src {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
		case '|':
			if depth == 0 {
				alts = append(alts, strings.TrimSpace(src[start:i]))
				start = i + 1
			}
		}
	}
	alts = append(alts, strings.TrimSpace(src[start:]))
	for _, a := range alts {
		if a == "" {
			return nil, fmt.Errorf("empty alternative in %q", src)
		}
	}
	return alts, nil
}

// crisisFinding is one rule's accepted match.
type crisisFinding struct {
	rule     *crisisRule
	level    CrisisLevel
	historic bool // told as history (@distant): lowered, and quiet beside recovery in the entry
}

// crisisVeto is the scored layer's say over the rules: a text whose risk
// the model puts below it raises nothing, whatever rule matched. The
// rules match words; a risk this low means the words stand where the
// training statements never meant harm ("kill me with homework", "to die
// for"). Chosen on the 5-fold cross-validation with the threshold
// (crisisTraining): 0.10 with 0.45 kept recall at 0.95 and brought
// specificity from 0.89 to 0.90 (docs/crisis-detection.md).
const crisisVeto = 0.10

func (d *crisisDetector) detect(text string) CrisisSignal {
	sig, _ := d.detectWhy(text)
	return sig
}

// detectWhy is detect, with the rules behind the signal (file:line), for
// tests and maintenance.
func (d *crisisDetector) detectWhy(text string) (CrisisSignal, []string) {
	rd := d.read(text, d.model != nil)
	found, recovered := rd.found, rd.recovered
	var sig CrisisSignal
	var why []string
	// A context finding counts beside a direct one, or beside a context
	// finding of another rule ("I'm going to do it tonight" and "I have
	// the pills"; "I wrote letters for everyone" and "a list of my
	// passwords"): signals spread over an entry add up.
	direct := slices.ContainsFunc(found, func(f crisisFinding) bool { return !f.rule.context })
	if !direct {
		for _, f := range found {
			direct = direct || f.rule.where != found[0].rule.where
		}
	}
	for _, f := range found {
		if f.rule.context && !direct {
			continue
		}
		level := f.level
		if f.historic && recovered {
			// History in an entry that says the writer is well now ("years
			// ago I tried …. I'm doing really well now") is not a crisis
			// now, an attempt included.
			level = CrisisNone
		}
		if level == CrisisNone {
			continue
		}
		sig.Level = max(sig.Level, level)
		if !slices.Contains(sig.Categories, f.rule.category) {
			sig.Categories = append(sig.Categories, f.rule.category)
		}
		why = append(why, f.rule.where)
	}
	if d.model != nil {
		// The scored layer: what the rules missed (not a higher level for
		// what they found: their level is the more precise); not in an
		// entry that says the writer is better now, which the rules read
		// for history better than a bag of words can. Findings all
		// told as history are ambiguous ("I tried at 16", "I used to
		// cut"): they count only when the model agrees.
		s := d.model.score(rd.feats)
		level := d.model.level(s)
		historic := len(why) > 0 && !slices.ContainsFunc(found, func(f crisisFinding) bool { return !f.historic })
		switch {
		case historic && level == CrisisNone:
			sig, why = CrisisSignal{}, nil
		case s.risk < crisisVeto:
			sig, why = CrisisSignal{}, nil
		case !recovered && sig.Level == CrisisNone && level > CrisisNone:
			sig.Level = level
			if !slices.Contains(sig.Categories, s.category) {
				sig.Categories = append(sig.Categories, s.category)
			}
			why = append(why, fmt.Sprintf("crisis_model.txt: risk %.2f, crisis %.2f", s.risk, s.acute))
		}
	}
	slices.Sort(sig.Categories)
	return sig, why
}

// Sentence and clause boundaries: a sentence ends at a hard boundary; a
// soft one ends a clause, kept as the word ",".
func crisisHardBoundary(r rune) bool {
	switch r {
	case '.', '!', '?', ';', '\n', '\r', '…', '¡', '¿', '•':
		return true
	}
	return false
}

func crisisSoftBoundary(r rune) bool {
	switch r {
	case ',', ':', '(', ')', '"', '“', '”', '«', '»', '–', '—', '/':
		return true
	}
	return false
}

// eachSentence calls f with the canonical words of each sentence of text,
// between "^" and "$", a comma standing for every clause boundary, and
// the rules anchored on them. Words are folded as NormalizeText folds
// them, in one pass over text.
func (d *crisisDetector) eachSentence(text string, f func(toks []string, cands []int)) {
	type span struct {
		from, to int
		before   byte // 0, or the boundary before the word: ',' or '.'
	}
	var b strings.Builder
	b.Grow(len(text))
	words := make([]span, 0, len(text)/5)
	inWord := false
	var pending byte // a boundary since the last word: ',' or '.'
	for _, r := range text {
		var fold string // for a letter or digit that folds to other letters
		sep := false
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
		case 'A' <= r && r <= 'Z':
			r += 'a' - 'A'
		case r == '\'' || r == '`':
			continue // an apostrophe joins
		case r < 0x80:
			sep = true
		case r == '’' || r == 'ʼ' || r == '´' || unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			r = unicode.ToLower(r)
			if f, ok := foldAccent(r); ok {
				fold = f
			}
		default:
			sep = true
		}
		if sep {
			inWord = false
			switch {
			case crisisHardBoundary(r):
				pending = '.'
			case crisisSoftBoundary(r) && pending == 0:
				pending = ','
			}
			continue
		}
		if !inWord {
			words = append(words, span{from: b.Len(), before: pending})
			inWord, pending = true, 0
		}
		switch {
		case fold != "":
			b.WriteString(fold)
		case r < 0x80:
			b.WriteByte(byte(r))
		default:
			b.WriteRune(r)
		}
		words[len(words)-1].to = b.Len()
	}
	folded := b.String()
	toks := make([]string, 1, 32)
	toks[0] = "^"
	var cands []int
	add := func(w string) {
		if e, ok := d.lex[w]; ok {
			toks = append(toks, e.canon...)
			cands = append(cands, e.rules...)
		} else {
			toks = append(toks, w)
		}
	}
	for _, w := range words {
		switch {
		case w.before == '.' && len(toks) > 1:
			f(append(toks, "$"), cands)
			toks, cands = toks[:1], cands[:0]
		case w.before != 0 && len(toks) > 1 && toks[len(toks)-1] != ",":
			toks = append(toks, ",")
		}
		word := squeezeRepeats(folded[w.from:w.to])
		if e, ok := d.lex[word]; ok {
			toks = append(toks, e.canon...)
			cands = append(cands, e.rules...)
		} else if stem, clitics, ok := spanishClitic(word); ok {
			add(stem)
			for _, c := range clitics {
				add(c)
			}
		} else {
			toks = append(toks, word)
		}
	}
	if len(toks) > 1 {
		f(append(toks, "$"), cands)
	}
}

// appendCanonical appends the canonical words of the normalized word w.
// A letter typed three times or more counts once ("dieeee", "sooo").
func (d *crisisDetector) appendCanonical(toks []string, w string) []string {
	w = squeezeRepeats(w)
	if to, ok := d.rewrite[w]; ok {
		return append(toks, to...)
	}
	if stem, clitics, ok := spanishClitic(w); ok {
		if to, ok := d.rewrite[stem]; ok {
			toks = append(toks, to...)
		} else {
			toks = append(toks, stem)
		}
		return append(toks, clitics...)
	}
	return append(toks, w)
}

// squeezeRepeats replaces each run of three or more of the same letter
// by one.
func squeezeRepeats(w string) string {
	run, i := 1, 1
	for ; i < len(w); i++ {
		if w[i] == w[i-1] {
			if run++; run == 3 {
				break
			}
		} else {
			run = 1
		}
	}
	if i == len(w) {
		return w // the common case: nothing to squeeze, no allocation
	}
	rs := []rune(w)
	out := make([]rune, 0, len(rs))
	for j := 0; j < len(rs); {
		k := j
		for k < len(rs) && rs[k] == rs[j] {
			k++
		}
		if k-j >= 3 {
			out = append(out, rs[j])
		} else {
			out = append(out, rs[j:k]...)
		}
		j = k
	}
	return string(out)
}

// spanishClitic splits a Spanish infinitive or gerund from the one or two
// pronouns attached to it: matarme → matar me, cortándome → cortando me,
// tomármelo → tomar me lo. The stem must have four letters or more, so
// that short words ("parte") stay whole; the lexicon keeps others whole
// by naming them ("muerte").
func spanishClitic(w string) (stem string, clitics []string, ok bool) {
	if len(w) < 6 || w[len(w)-1] != 'e' && w[len(w)-1] != 'a' && w[len(w)-1] != 'o' && w[len(w)-1] != 's' {
		return "", nil, false
	}
	for _, c := range []string{"me", "te", "se", "le", "lo", "la", "nos", "les", "los", "las"} {
		s, found := strings.CutSuffix(w, c)
		if !found || len(s) < 4 {
			continue
		}
		if isSpanishVerbStem(s) {
			return s, []string{c}, true
		}
		for _, c1 := range []string{"me", "te", "se", "nos"} {
			if s1, found := strings.CutSuffix(s, c1); found && len(s1) >= 4 && isSpanishVerbStem(s1) {
				return s1, []string{c1, c}, true
			}
		}
	}
	return "", nil, false
}

func isSpanishVerbStem(s string) bool {
	for _, end := range []string{"ar", "er", "ir", "ando", "iendo", "yendo"} {
		if strings.HasSuffix(s, end) {
			return true
		}
	}
	return false
}

// matchSentence appends the findings of one sentence's words.
// crisisReading is what one pass over a text finds: the rules'
// findings, whether it says the writer is better now, and, when asked,
// the scored layer's features.
type crisisReading struct {
	found     []crisisFinding
	recovered bool // a sentence of the entry says the writer is better now
	feats     []string
}

// read reads text sentence by sentence, with the model's features when
// features is set.
func (d *crisisDetector) read(text string, features bool) crisisReading {
	var rd crisisReading
	d.eachSentence(text, func(toks []string, cands []int) {
		s := d.newSentence(toks)
		d.eachCandidate(s, cands, func(r *crisisRule, level CrisisLevel, historic, ok bool) {
			switch {
			case ok:
				rd.found = append(rd.found, crisisFinding{r, level, historic})
			case features:
				rd.feats = append(rd.feats, "x:"+string(r.category))
			}
		})
		better := d.holdsRecovery(s)
		rd.recovered = rd.recovered || better
		if features {
			rd.feats = d.appendFeatures(rd.feats, s, len(cands) > 0, better)
		}
	})
	if features {
		slices.Sort(rd.feats)
		rd.feats = slices.Compact(rd.feats)
	}
	return rd
}

// newSentence is a sentence of canonical words, ready to match.
func (d *crisisDetector) newSentence(toks []string) *crisisSentence {
	s := &crisisSentence{toks: toks, runes: make([]rune, len(toks))}
	for i, w := range toks {
		r, ok := d.vocab[w]
		switch {
		case isNumber(w):
			r = crisisNumber
		case !ok:
			r = crisisOther
		}
		s.runes[i] = r
	}
	return s
}

// eachCandidate calls f with each rule anchored in a sentence whose
// pattern matches it, and whether the match was accepted (not negated,
// about someone else or excepted).
func (d *crisisDetector) eachCandidate(s *crisisSentence, cands []int, f func(r *crisisRule, level CrisisLevel, historic, ok bool)) {
	if len(cands) == 0 {
		return
	}
	slices.Sort(cands) // in file order, once each
	cands = slices.Compact(cands)
	for _, i := range cands {
		r := d.rules[i]
		if !s.holdsAll(r.needs) {
			continue
		}
		if level, historic, ok, matched := d.accept(r, s); matched {
			f(r, level, historic, ok)
		}
	}
}

// crisisSentence is a sentence's canonical words and string.
type crisisSentence struct {
	toks    []string
	runes   []rune // a rune a word, see words
	str     string // string(runes), once a rule is tried
	clauses []int  // clause number of each word
	spans   map[*crisisPattern][][2]int
}

func (s *crisisSentence) holdsAll(needs [][]rune) bool {
	for _, n := range needs {
		if !slices.ContainsFunc(s.runes, func(r rune) bool { _, ok := slices.BinarySearch(n, r); return ok }) {
			return false
		}
	}
	return true
}

// ready makes the sentence's string, once a pattern is tried.
func (s *crisisSentence) ready() {
	if s.spans == nil {
		s.str = string(s.runes)
		s.spans = map[*crisisPattern][][2]int{}
	}
}

// word is the index of the word at byte offset off.
func (s *crisisSentence) word(off int) int { return off / crisisRuneLen }

// find returns the word spans [from, to) of p's matches, one per start.
func (s *crisisSentence) find(p *crisisPattern) [][2]int {
	if spans, ok := s.spans[p]; ok {
		return spans
	}
	if !s.holdsAll(p.needs) {
		return nil
	}
	s.ready()
	var spans [][2]int
	for off := 0; off < len(s.str); {
		m := p.re.FindStringIndex(s.str[off:])
		if m == nil {
			break
		}
		a := s.word(off + m[0])
		spans = append(spans, [2]int{a, s.word(off + m[1])})
		off = (a + 1) * crisisRuneLen
	}
	s.spans[p] = spans
	return spans
}

// accept reports whether rule r has a match in s that is not negated,
// about someone else or excepted, and the finding's level.
func (d *crisisDetector) accept(r *crisisRule, s *crisisSentence) (level CrisisLevel, historic, ok, matched bool) {
	s.ready()
	for off := 0; off < len(s.str); {
		m := r.re.FindStringSubmatchIndex(s.str[off:])
		if m == nil {
			break
		}
		matched = true
		a, b, h := s.word(off+m[0]), s.word(off+m[1]), s.word(off+m[2])
		if d.acceptMatch(r, s, a, b, h) {
			level := r.category.Level()
			historic := d.historic(s, h)
			if r.category != CrisisAttempt && historic {
				level-- // an attempt, at any time, stays acute
				if d.recovered(s) {
					level-- // "I used to …, but I'm in a better place now"
				}
			}
			return level, historic, level > CrisisNone, true
		}
		off = (a + 1) * crisisRuneLen
	}
	return CrisisNone, false, false, matched
}

// holdsRecovery reports whether a sentence says the writer is better now
// (@recovered), for history told in another sentence of the entry.
func (d *crisisDetector) holdsRecovery(s *crisisSentence) bool {
	for _, e := range s.find(d.better) {
		if !d.negated(s.toks, e[0]) { // not "I'm not doing better"
			return true
		}
	}
	return false
}

func (d *crisisDetector) acceptMatch(r *crisisRule, s *crisisSentence, a, b, h int) bool {
	if !r.negated && d.negated(s.toks, h) {
		return false
	}
	if !r.anyone && !d.aboutSelf(s.toks, b, h) {
		return false
	}
	always := d.always
	if r.firm {
		always = nil
	}
	for _, ps := range [][]*crisisPattern{r.unless, always} {
		for _, p := range ps {
			for _, e := range s.find(p) {
				if e[0] <= b+p.window && a <= e[1]+p.window {
					return false
				}
			}
		}
	}
	return true
}

// negated reports whether a negator governs the word at h: one of the
// five words before it, with no clause boundary, breaker ("but", "know",
// "stop") or subject "I" between.
func (d *crisisDetector) negated(toks []string, h int) bool {
	for i := h - 1; i >= 0 && i >= h-5; i-- {
		w := toks[i]
		switch {
		case w == "," || w == "^" || w == "i" || w == "yo" || d.sets["breaker"][w]:
			return false
		case d.sets["negator"][w]:
			return true
		}
	}
	return false
}

// aboutSelf reports whether a match is about the writer: it names them
// after its anchor ("kill myself", "without me"), or the nearest subject
// before the anchor in its clause is the writer or unknown, not someone
// else ("my friend … suicidal").
func (d *crisisDetector) aboutSelf(toks []string, b, h int) bool {
	for i := h; i < b; i++ {
		if d.sets["first"][toks[i]] {
			return true
		}
	}
	for i := h - 1; i >= 0; i-- {
		w := toks[i]
		switch {
		case w == "," || w == "^":
			return true
		case d.sets["first"][w] && !d.object(toks, i):
			return true // "a student in my class" names no subject
		case d.sets["other"][w] && !spanishHaber(toks, i) && !d.object(toks, i):
			return false
		}
	}
	return true
}

// object reports whether the word at i follows a preposition, within
// two words ("a note for my kids"), so is no subject.
func (d *crisisDetector) object(toks []string, i int) bool {
	for j := i - 1; j >= 0 && j >= i-2; j-- {
		if toks[j] == "a" && j == i-1 && toks[i] != "alguien" {
			continue // English "a student", not Spanish "a mi hermano"
		}
		if d.sets["preposition"][toks[j]] {
			return true
		}
	}
	return false
}

// spanishHaber reports whether the word at i is Spanish "he" (I have)
// before a participle ("he pensado", "he estado"), not English "he".
func spanishHaber(toks []string, i int) bool {
	if toks[i] != "he" || i+1 >= len(toks) {
		return false
	}
	next := toks[i+1]
	return next == "estado" || strings.HasSuffix(next, "ado") || strings.HasSuffix(next, "ido") || strings.HasSuffix(next, "cho") || strings.HasSuffix(next, "to")
}

// recovered reports whether a sentence says the writer is better now
// (@recovered).
func (d *crisisDetector) recovered(s *crisisSentence) bool { return len(s.find(d.better)) > 0 }

// historic reports whether the clause of the word at h tells of the past
// (@distant) and not also of now (@recent).
func (d *crisisDetector) historic(s *crisisSentence, h int) bool {
	if s.clauses == nil {
		s.clauses = make([]int, len(s.toks))
		n := 0
		for i, w := range s.toks {
			if w == "," || d.sets["turn"][w] {
				n++
			}
			s.clauses[i] = n
		}
	}
	in := func(p *crisisPattern) bool {
		for _, e := range s.find(p) {
			for i := e[0]; i < e[1] && i < len(s.toks); i++ {
				if s.clauses[i] == s.clauses[h] {
					return true
				}
			}
		}
		return false
	}
	return in(d.distant) && !in(d.recent)
}

// NormalizeText folds text for matching: lower case, accents and other
// combining marks removed (á → a, ñ → n, ß → ss), apostrophes inside words
// dropped (don't → dont), every other run of characters that are not
// letters or digits one space, no space at either end.
func NormalizeText(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	space := true // at the start, or after a separator
	for _, r := range text {
		if r < 0x80 { // the common case, without table look-ups
			switch {
			case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
				b.WriteByte(byte(r))
				space = false
			case 'A' <= r && r <= 'Z':
				b.WriteByte(byte(r) + 'a' - 'A')
				space = false
			case r == '\'' || r == '`':
			default:
				if !space {
					b.WriteByte(' ')
					space = true
				}
			}
			continue
		}
		switch {
		case r == '\'' || r == '’' || r == 'ʼ' || r == '`' || r == '´':
			continue // inside a word or not, an apostrophe joins
		case unicode.Is(unicode.Mn, r):
			continue // a combining mark of decomposed text
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			r = unicode.ToLower(r)
			if f, ok := foldAccent(r); ok {
				b.WriteString(f)
			} else {
				b.WriteRune(r)
			}
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimSuffix(b.String(), " ")
}

// foldAccent maps a lower-case Latin letter with a diacritic to its base
// letters.
func foldAccent(r rune) (string, bool) {
	if r < 0xc0 || r > 0x17f {
		return "", false
	}
	switch r {
	case 'à', 'á', 'â', 'ã', 'ä', 'å', 'ā', 'ă', 'ą':
		return "a", true
	case 'æ':
		return "ae", true
	case 'ç', 'ć', 'č':
		return "c", true
	case 'è', 'é', 'ê', 'ë', 'ē', 'ė', 'ę', 'ě':
		return "e", true
	case 'ì', 'í', 'î', 'ï', 'ī', 'į', 'ı':
		return "i", true
	case 'ñ', 'ń', 'ň':
		return "n", true
	case 'ò', 'ó', 'ô', 'õ', 'ö', 'ø', 'ō', 'ő':
		return "o", true
	case 'œ':
		return "oe", true
	case 'ù', 'ú', 'û', 'ü', 'ū', 'ů', 'ű', 'ų':
		return "u", true
	case 'ý', 'ÿ':
		return "y", true
	case 'ß':
		return "ss", true
	case 'ś', 'š':
		return "s", true
	case 'ź', 'ż', 'ž':
		return "z", true
	case 'ł':
		return "l", true
	case 'ď', 'đ':
		return "d", true
	case 'ř':
		return "r", true
	case 'ť':
		return "t", true
	}
	return "", false
}
