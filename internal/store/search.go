package store

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// foldSearch folds text for a journal search: lower case, accents dropped
// ("Café" finds "cafe" and "café"). It runs on opened entries in memory;
// nothing folded is ever stored.
func foldSearch(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// searchWords are the folded words of a search, each to be found.
func searchWords(q string) []string {
	var words []string
	for _, w := range strings.Fields(foldSearch(q)) {
		words = append(words, w)
	}
	return words
}
