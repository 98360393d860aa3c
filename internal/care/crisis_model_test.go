package care

import (
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

var (
	updateCrisisModel = flag.Bool("update-crisis-model", false, "retrain crisis_model.txt on the corpus of testdata/crisis")
	crisisThresholds  = flag.Bool("crisis.thresholds", false, "TestCrisisEvaluation: also report the detector at other thresholds")
)

// crisisTraining is how the scored layer is trained (crisis_model.go): its
// threshold was chosen on the cross-validated predictions that
// TestCrisisEvaluation reports, for recall at specificity of 0.92 or more.
var crisisTraining = struct {
	threshold float64
	minCount  int     // a feature counts when this many statements hold it
	epochs    int     // passes of stochastic gradient descent
	rate      float64 // the learning rate of the first pass
	l2        float64 // weight decay
}{threshold: 0.50, minCount: 2, epochs: 25, rate: 0.2, l2: 1e-2}

// trainCrisisModel trains the scored layer on corpus by stochastic
// gradient descent in a fixed order: the same corpus gives the same
// model.
func trainCrisisModel(d *crisisDetector, corpus []crisisStatement) *crisisModel {
	var cats []CrisisCategory
	for _, c := range CrisisCategories() {
		if slices.ContainsFunc(corpus, func(s crisisStatement) bool { return s.level != CrisisNone && CrisisCategory(s.category) == c }) {
			cats = append(cats, c)
		}
	}
	heads := crisisHeadCat + len(cats)
	type example struct {
		feats []int
		level CrisisLevel
		cat   int
	}
	index := map[string]int{}
	var names []string
	all := make([][]string, len(corpus))
	count := map[string]int{}
	for i, s := range corpus {
		all[i] = d.features(s.text)
		for _, f := range all[i] {
			count[f]++
		}
	}
	examples := make([]example, len(corpus))
	for i, s := range corpus {
		e := example{level: s.level, cat: slices.Index(cats, CrisisCategory(s.category))}
		for _, f := range all[i] {
			if count[f] < crisisTraining.minCount {
				continue
			}
			j, ok := index[f]
			if !ok {
				j = len(names)
				index[f] = j
				names = append(names, f)
			}
			e.feats = append(e.feats, j)
		}
		examples[i] = e
	}
	w := make([]float64, len(names)*heads)
	bias := make([]float64, heads)
	z := make([]float64, heads)
	g := make([]float64, heads)
	p := make([]float64, len(cats))
	rng := rand.New(rand.NewPCG(16, 2026))
	order := make([]int, len(examples))
	for i := range order {
		order[i] = i
	}
	for epoch := range crisisTraining.epochs {
		rate := crisisTraining.rate / (1 + float64(epoch)/5)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			e := examples[i]
			copy(z, bias)
			for _, f := range e.feats {
				for h := range heads {
					z[h] += w[f*heads+h]
				}
			}
			clear(g)
			risky := 0.0
			if e.level != CrisisNone {
				risky = 1
			}
			g[crisisHeadRisk] = sigmoid(z[crisisHeadRisk]) - risky
			if e.level != CrisisNone {
				acute := 0.0
				if e.level == CrisisAcute {
					acute = 1
				}
				g[crisisHeadAcute] = sigmoid(z[crisisHeadAcute]) - acute
				softmax(p, z[crisisHeadCat:])
				for k := range cats {
					g[crisisHeadCat+k] = p[k]
					if k == e.cat {
						g[crisisHeadCat+k] -= 1
					}
				}
			}
			for h := range heads {
				bias[h] -= rate * g[h]
			}
			for _, f := range e.feats {
				for h := range heads {
					v := &w[f*heads+h]
					*v -= rate * (g[h] + crisisTraining.l2**v)
				}
			}
		}
	}
	m := &crisisModel{threshold: crisisTraining.threshold, categories: cats, bias: bias, weights: map[string][]float64{}}
	for j, f := range names {
		m.weights[f] = w[j*heads : (j+1)*heads]
	}
	return m
}

func softmax(p, z []float64) {
	top := slices.Max(z)
	sum := 0.0
	for k, v := range z {
		p[k] = math.Exp(v - top)
		sum += p[k]
	}
	for k := range p {
		p[k] /= sum
	}
}

// TestCrisisModel checks that crisis_model.txt is what training on the
// corpus gives (-update-crisis-model writes it), so that the model in the
// binary can be traced to the statements in testdata/crisis.
func TestCrisisModel(t *testing.T) {
	t.Parallel()
	d := crisisDetectorOnce()
	trained := trainCrisisModel(d, loadCrisisTraining(t))
	// What a reader gets back is what was written, rounded.
	again, err := parseCrisisModel(trained.String())
	if err != nil {
		t.Fatal(err)
	}
	if *updateCrisisModel {
		if err := os.WriteFile("crisis_model.txt", []byte(again.String()), 0o644); err != nil { //nolint:gosec // a source file
			t.Fatal(err)
		}
		return
	}
	if again.String() != trained.String() {
		t.Fatal("the model does not read back as written")
	}
	// The committed model is the trained one, but for rounding: floating
	// point may fuse differently on another architecture.
	differ := 0
	for f, ws := range again.weights {
		have := d.model.weights[f]
		for h, v := range ws {
			var u float64
			if h < len(have) {
				u = have[h]
			}
			if math.Abs(u-v) > 0.011 {
				differ++
				if differ <= 5 {
					t.Errorf("feature %q head %d: %g in crisis_model.txt, %g trained; run go test ./internal/care -run TestCrisisModel -update-crisis-model", f, h, u, v)
				}
			}
		}
	}
	for f := range d.model.weights {
		if _, ok := again.weights[f]; !ok {
			differ++
			if differ <= 5 {
				t.Errorf("feature %q in crisis_model.txt but not trained", f)
			}
		}
	}
	if differ > 0 {
		t.Errorf("%d weights differ", differ)
	}
	if d.model.threshold != again.threshold || !slices.Equal(d.model.categories, again.categories) {
		t.Error("threshold or categories differ from training")
	}
}

// loadCrisisTraining is the corpus the model is trained on: every file of
// testdata/crisis (not the blind sets of testdata/crisis/blind).
func loadCrisisTraining(t *testing.T) []crisisStatement {
	t.Helper()
	corpus := loadCrisisCorpusFrom(t, "testdata/crisis/*.tsv")
	if len(corpus) == 0 || !strings.HasPrefix(corpus[0].where, "testdata/crisis/") {
		t.Fatal("no corpus")
	}
	return corpus
}

// crisisFolds is how many parts cross-validation cuts the corpus into.
const crisisFolds = 5

// crossValidated returns, for each statement of corpus, what the detector
// says of it with a model trained on the other parts of the corpus: the
// statement's own part is never seen in training. The rules were written
// on the corpus, so their part of these numbers is not blind (the blind
// sets in testdata/crisis/blind are).
func crossValidated(corpus []crisisStatement) []CrisisSignal {
	d := crisisDetectorOnce()
	got := make([]CrisisSignal, len(corpus))
	for k := range crisisFolds {
		var train []crisisStatement
		for i, s := range corpus {
			if i%crisisFolds != k {
				train = append(train, s)
			}
		}
		fold := *d
		fold.model = trainCrisisModel(d, train)
		for i, s := range corpus {
			if i%crisisFolds == k {
				got[i] = fold.detect(s.text)
			}
		}
	}
	return got
}

// thresholdReport logs the cross-validated recall and specificity of the
// detector at other thresholds of the scored layer, to choose
// crisisTraining.threshold: TestCrisisEvaluation runs it with
// -crisis.thresholds.
func thresholdReport(t *testing.T) {
	corpus := loadCrisisTraining(t)
	d := crisisDetectorOnce()
	rules := *d
	rules.model = nil
	risk := make([]float64, len(corpus))
	for k := range crisisFolds {
		var train []crisisStatement
		for i, s := range corpus {
			if i%crisisFolds != k {
				train = append(train, s)
			}
		}
		m := trainCrisisModel(d, train)
		for i, s := range corpus {
			if i%crisisFolds == k {
				risk[i] = m.score(d.features(s.text)).risk
			}
		}
	}
	report := func(name string, corpus []crisisStatement, risk []float64) {
		for _, th := range []float64{0.3, 0.4, 0.5, 0.6, 0.7, 0.8} {
			var pos, caught, neg, quiet, mpos, mcaught, mquiet int
			for i, s := range corpus {
				byRules := rules.detect(s.text).Level > CrisisNone
				byModel := risk[i] >= th && !d.read(s.text, false).recovered
				if s.level == CrisisNone {
					neg++
					if !byRules && !byModel {
						quiet++
					}
					if !byModel {
						mquiet++
					}
					continue
				}
				pos++
				mpos++
				if byRules || byModel {
					caught++
				}
				if byModel {
					mcaught++
				}
			}
			t.Logf("%s threshold %.1f: rules or model recall %.3f specificity %.3f; model alone recall %.3f specificity %.3f",
				name, th, ratio(caught, pos), ratio(quiet, neg), ratio(mcaught, mpos), ratio(mquiet, neg))
		}
	}
	report("cross-validated", corpus, risk)
}
