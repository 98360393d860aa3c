package care

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
)

// Crisis language (issue #6): a maintained list of words and phrases, in
// English and Spanish, in crisis_phrases.txt (how to maintain it is at
// its top). CrisisLanguage matches them on normalized text, whole words
// only.

//go:embed crisis_phrases.txt
var crisisPhrasesFile string

// phraseList is the parsed list: phrases as words, indexed by their first
// word, so that matching walks the text's words once.
type phraseList struct {
	match  map[string][][]string // first word → phrases starting with it
	except map[string][][]string
	all    []string // the matching phrases, normalized, in file order
}

var crisisPhrases = sync.OnceValue(func() *phraseList { return parsePhrases(crisisPhrasesFile) })

func parsePhrases(file string) *phraseList {
	l := &phraseList{match: map[string][][]string{}, except: map[string][][]string{}}
	for line := range strings.Lines(file) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		index, except := l.match, false
		if rest, ok := strings.CutPrefix(line, "-"); ok {
			line, index, except = rest, l.except, true
		}
		n := NormalizeText(line)
		if n == "" {
			continue
		}
		words := strings.Split(n, " ")
		index[words[0]] = append(index[words[0]], words)
		if !except {
			l.all = append(l.all, n)
		}
	}
	return l
}

// CrisisPhrases returns the normalized phrases of the list (without the
// exceptions), for tests and review.
func CrisisPhrases() []string { return append([]string(nil), crisisPhrases().all...) }

// CrisisLanguage reports whether text holds a phrase of the crisis list,
// after NormalizeText, as whole words, outside the list's exceptions.
func CrisisLanguage(text string) bool {
	l := crisisPhrases()
	words := strings.Fields(NormalizeText(text))
	var covered []bool // words that an exception covers
	for i, w := range words {
		for _, p := range l.except[w] {
			if hasAt(words, i, p) {
				if covered == nil {
					covered = make([]bool, len(words))
				}
				for j := range p {
					covered[i+j] = true
				}
			}
		}
	}
	for i, w := range words {
	phrases:
		for _, p := range l.match[w] {
			if !hasAt(words, i, p) {
				continue
			}
			for j := range p {
				if covered != nil && covered[i+j] {
					continue phrases
				}
			}
			return true
		}
	}
	return false
}

// hasAt reports whether words holds phrase p from position i.
func hasAt(words []string, i int, p []string) bool {
	if i+len(p) > len(words) {
		return false
	}
	for j, w := range p {
		if words[i+j] != w {
			return false
		}
	}
	return true
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
