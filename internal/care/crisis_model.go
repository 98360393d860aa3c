package care

import (
	_ "embed"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The scored layer of the crisis detector (issue #16, docs/crisis-
// detection.md). The rules of crisis_rules.txt find what they name and
// say why; they miss what nobody wrote a rule for. This layer reads the
// whole entry as a bag of word features (the canonical words of the
// lexicon, word pairs, word stems, words in the scope of a negation) and
// scores it with a linear model trained on the corpus in testdata/crisis:
//
//   - a risk head: is this crisis language at all (logistic);
//   - a level head, for risk texts: crisis rather than concern (logistic);
//   - a category head, for risk texts: which C-SSRS-informed category
//     (softmax), so that a flag raised by the model still says what kind
//     of statement raised it.
//
// A text counts when the rules find it or when the risk head's score is
// at least the model's threshold; its level is the higher of the two.
// The weights are in crisis_model.txt, written by the test
// TestCrisisModel with -update-crisis-model from the corpus alone, and
// checked by that test to be what training on the corpus gives. Nothing
// a clinician marks in the product (a flag closed as "not a concern")
// changes them.

//go:embed crisis_model.txt
var crisisModelFile string

// crisisModel is a trained linear model over the features of
// crisisDetector.features.
type crisisModel struct {
	threshold  float64              // the risk probability from which a text counts
	categories []CrisisCategory     // the category head's classes
	bias       []float64            // per head: risk, level, then one per category
	weights    map[string][]float64 // a feature → its weight per head
}

// The heads of a crisisModel, in the order of its weights.
const (
	crisisHeadRisk  = 0
	crisisHeadAcute = 1
	crisisHeadCat   = 2 // the first category's
)

// crisisModelScore is what the model says of a text.
type crisisModelScore struct {
	risk     float64 // the probability that the text holds crisis language
	acute    float64 // the probability that it is crisis rather than concern
	category CrisisCategory
}

// score scores the features of a text.
func (m *crisisModel) score(feats []string) crisisModelScore {
	z := slices.Clone(m.bias)
	for _, f := range feats {
		for h, w := range m.weights[f] {
			z[h] += w
		}
	}
	s := crisisModelScore{risk: sigmoid(z[crisisHeadRisk]), acute: sigmoid(z[crisisHeadAcute])}
	if _, ok := slices.BinarySearch(feats, crisisAnchored); !ok {
		s.risk = 0 // no word any rule is anchored on: nothing to go on
	}
	best := math.Inf(-1)
	for i, c := range m.categories {
		// Only a category of the level the level head chose.
		if (c.Level() == CrisisAcute) != (s.acute >= 0.5) {
			continue
		}
		if v := z[crisisHeadCat+i]; v > best {
			best, s.category = v, c
		}
	}
	return s
}

// level is the crisis level the model gives a text: none below its
// threshold, else concern or crisis by its level head.
func (m *crisisModel) level(s crisisModelScore) CrisisLevel {
	switch {
	case s.risk < m.threshold:
		return CrisisNone
	case s.acute >= 0.5:
		return CrisisAcute
	}
	return CrisisConcern
}

// crisisAnchored is the feature of a text that holds a word a rule is
// anchored on: the model counts only such texts.
const crisisAnchored = "a:"

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// features returns the model's features of text, sorted and unique:
//
//	w:WORD    a canonical word of the text, but a common one (the lexicon's stop set)
//	b:W1 W2   two words in a row within a clause
//	s:W1 W3   two words with one between them within a clause
//	p:STEM    the first five letters of a word of six or more
//	n:WORD    a word within three words after a negation (not, never, nunca …)
//	o:WORD    a word within four words after a word about someone else (he, she, my friend …)
//	h:WORD    a word of a sentence told as history ("years ago", "used to")
//	c:better  a sentence says the writer is better now
//	k:CLASS   a class of the lexicon or the rules (a concept: @means, @soon …) matches a sentence
//	kkA B     two classes match one sentence
//	x:CAT     a rule's words are there, but negated, about someone else or in a harmless context
func (d *crisisDetector) features(text string) []string { return d.read(text, true).feats }

// appendFeatures appends the word features of a sentence (features):
// anchored if a rule is anchored on one of its words, better if it says
// the writer is better now.
func (d *crisisDetector) appendFeatures(feats []string, s *crisisSentence, anchored, better bool) []string {
	toks := s.toks
	if anchored {
		feats = append(feats, crisisAnchored)
	}
	if better {
		feats = append(feats, "c:better")
	}
	var ks []string
	for _, p := range d.concepts {
		if len(s.find(p)) > 0 {
			ks = append(ks, p.name)
		}
	}
	for i, a := range ks {
		feats = append(feats, "k:"+a)
		for _, b := range ks[i+1:] {
			feats = append(feats, "kk"+a+" "+b)
		}
	}
	neg, other := 0, 0 // the words left in a negation's or another person's scope
	past := len(s.find(d.distant)) > 0
	clause := make([]string, 0, len(toks))
	flush := func() {
		for i, w := range clause {
			if i+1 < len(clause) {
				feats = append(feats, "b:"+w+" "+clause[i+1])
			}
			if i+2 < len(clause) {
				feats = append(feats, "s:"+w+" "+clause[i+2])
			}
		}
		clause = clause[:0]
	}
	for _, w := range toks[1 : len(toks)-1] {
		if w == "," {
			flush()
			continue
		}
		clause = append(clause, w)
		if !d.sets["stop"][w] {
			feats = append(feats, "w:"+w)
			if past {
				feats = append(feats, "h:"+w)
			}
		}
		if utf8.RuneCountInString(w) >= 6 {
			i := 0
			for n := 0; n < 5; n++ {
				_, size := utf8.DecodeRuneInString(w[i:])
				i += size
			}
			feats = append(feats, "p:"+w[:i])
		}
		if neg > 0 {
			feats = append(feats, "n:"+w)
			neg--
		}
		if other > 0 {
			feats = append(feats, "o:"+w)
			other--
		}
		if d.sets["negator"][w] {
			neg = 3
		}
		if d.sets["other"][w] {
			other = 4
		}
	}
	flush()
	return feats
}

// parseCrisisModel reads a model written by crisisModel.String.
func parseCrisisModel(text string) (*crisisModel, error) {
	m := &crisisModel{weights: map[string][]float64{}}
	heads := 0
	for n, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		where := fmt.Sprintf("crisis_model.txt:%d", n+1)
		key, rest, _ := strings.Cut(line, "\t")
		switch key {
		case "threshold":
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil || v <= 0 || v >= 1 {
				return nil, fmt.Errorf("%s: threshold %q", where, rest)
			}
			m.threshold = v
		case "categories":
			for _, c := range strings.Fields(rest) {
				if CrisisCategory(c).Level() == CrisisNone {
					return nil, fmt.Errorf("%s: category %q", where, c)
				}
				m.categories = append(m.categories, CrisisCategory(c))
			}
			heads = crisisHeadCat + len(m.categories)
		case "bias", "f":
			if heads == 0 {
				return nil, fmt.Errorf("%s: weights before the categories", where)
			}
			name := ""
			if key == "f" {
				name, rest, _ = strings.Cut(rest, "\t")
			}
			ws := make([]float64, heads)
			for _, kv := range strings.Fields(rest) {
				h, v, ok := strings.Cut(kv, "=")
				i, err1 := strconv.Atoi(h)
				w, err2 := strconv.ParseFloat(v, 64)
				if !ok || err1 != nil || err2 != nil || i < 0 || i >= heads {
					return nil, fmt.Errorf("%s: weight %q", where, kv)
				}
				ws[i] = w
			}
			if key == "bias" {
				m.bias = ws
			} else {
				m.weights[name] = ws
			}
		default:
			return nil, fmt.Errorf("%s: unknown line %q", where, key)
		}
	}
	if m.threshold == 0 || m.bias == nil {
		return nil, fmt.Errorf("crisis_model.txt: no threshold or bias")
	}
	return m, nil
}

// String writes the model in the format parseCrisisModel reads: weights
// rounded to two decimals, only those not 0, as "head=weight", features sorted.
func (m *crisisModel) String() string {
	var b strings.Builder
	b.WriteString("# The crisis detector's scored layer (crisis_model.go): trained on the\n")
	b.WriteString("# corpus of testdata/crisis by TestCrisisModel; do not edit, retrain with\n")
	b.WriteString("#   go test ./internal/care -run TestCrisisModel -update-crisis-model\n")
	b.WriteString("# heads: 0 risk, 1 crisis rather than concern, 2… the categories below\n")
	fmt.Fprintf(&b, "threshold\t%g\n", m.threshold)
	b.WriteString("categories\t")
	for i, c := range m.categories {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(string(c))
	}
	b.WriteByte('\n')
	weights := func(ws []float64) string {
		var parts []string
		for h, w := range ws {
			if r := math.Round(w*100) / 100; r != 0 {
				parts = append(parts, strconv.Itoa(h)+"="+strconv.FormatFloat(r, 'f', -1, 64))
			}
		}
		return strings.Join(parts, " ")
	}
	fmt.Fprintf(&b, "bias\t%s\n", weights(m.bias))
	for _, f := range slices.Sorted(func(yield func(string) bool) {
		for k := range m.weights {
			if !yield(k) {
				return
			}
		}
	}) {
		if ws := weights(m.weights[f]); ws != "" {
			fmt.Fprintf(&b, "f\t%s\t%s\n", f, ws)
		}
	}
	return b.String()
}
