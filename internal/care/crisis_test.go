package care

import (
	"strconv"
	"strings"
	"testing"
	"unicode"
)

func TestCrisisLanguage(t *testing.T) {
	t.Parallel()
	positive := []string{
		"I want to KILL myself.",
		"i dont want to live anymore",
		"I don’t want to be alive",
		"honestly... i've thought about suicide",
		"Thinking of self-harm again",
		"I feel suicidal",
		"everyone would be better off without me",
		"Quiero MORIR",
		"a veces pienso en quitarme la vida",
		"Me quiero suicidar",
		"ganas de hacerme daño",
		"ganas de hacerme dan\u0303o", // decomposed ñ
		"otra vez la auto-lesión",
		"NO QUIERO VIVIR!!!",
		"I watched Suicide Squad and I want to die",
	}
	for _, s := range positive {
		if !CrisisLanguage(s) {
			t.Errorf("CrisisLanguage(%q) = false, want true", s)
		}
	}
	negative := []string{
		"That was a killer deal on shoes",
		"This traffic is killing me",
		"I'm dying to see the new movie",
		"I could kill for a coffee right now",
		"dead tired after work",
		"We watched Suicide Squad last night",
		"me muero de risa",
		"el examen me está matando",
		"the skill myself and others practiced", // "kill myself" inside a word
		"nonsuicidal, fine today",
		"cutting myselfie sticks", // "cutting myself" as part of a longer word
		"",
	}
	for _, s := range negative {
		if CrisisLanguage(s) {
			t.Errorf("CrisisLanguage(%q) = true, want false", s)
		}
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

// TestCrisisPhrases: the list loads, every phrase is normalized already
// and none is listed twice.
func TestCrisisPhrases(t *testing.T) {
	t.Parallel()
	ps := CrisisPhrases()
	if len(ps) < 40 {
		t.Fatalf("%d phrases", len(ps))
	}
	seen := map[string]bool{}
	for _, p := range ps {
		if NormalizeText(p) != p {
			t.Errorf("phrase %q is not normalized", p)
		}
		if seen[p] {
			t.Errorf("phrase %q twice", p)
		}
		seen[p] = true
		if !CrisisLanguage("so " + p + ".") {
			t.Errorf("phrase %q does not match itself", p)
		}
	}
}

// FuzzCrisisLanguage: normalizing is idempotent and yields only lower-case
// letters, digits and single inner spaces; matching a text and matching
// its normalized form agree.
func FuzzCrisisLanguage(f *testing.F) {
	for _, s := range []string{"I want to kill myself", "quiero morir", "killer deal", "Don't", "é\u0301", "suicide squad suicide", " - "} {
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
		if CrisisLanguage(s) != CrisisLanguage(n) {
			t.Fatalf("CrisisLanguage(%q) = %v but of its normal form %q %v", s, CrisisLanguage(s), n, CrisisLanguage(n))
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
