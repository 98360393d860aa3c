package auth

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Password length limits of the policy (AU-02), in Unicode code points after
// NFKC normalization.
const (
	// MinPasswordLength applies when the password is the only factor.
	MinPasswordLength = 15
	// MinPasswordLengthMFA applies when the account always uses a second factor.
	MinPasswordLengthMFA = 8
	// MaxPasswordLength is generous (NIST asks to allow at least 64) and keeps
	// every accepted password within MaxPasswordBytes.
	MaxPasswordLength = 256
)

// The reasons a PasswordError gives. They are stable: the web layer maps them
// to messages and API error details.
const (
	// ReasonTooShort: fewer code points than the minimum for the account.
	ReasonTooShort = "too_short"
	// ReasonTooLong: over MaxPasswordLength code points, or over
	// MaxPasswordBytes bytes when hashing or verifying.
	ReasonTooLong = "too_long"
	// ReasonCommon: a common or breached password, or one barely changed.
	ReasonCommon = "common"
	// ReasonContext: mostly made of the product, clinic or email name.
	ReasonContext = "context"
)

// ProductName is always a context word: a password made mostly of it is
// refused (AU-03).
const ProductName = "interlude"

// minContextWord is the shortest context word, in code points, that counts:
// shorter ones ("Bob", "ACT") are too likely to occur by chance.
const minContextWord = 4

// minRemainder is how many code points must remain once the context words
// are removed from a password for it not to count as mostly made of them.
const minRemainder = 8

// PasswordError says why a password was refused. Reason is one of the Reason
// constants; Message is a sentence fit to show the user. Neither ever
// contains the password.
type PasswordError struct {
	Reason  string
	Message string
}

// Error returns e.Message.
func (e *PasswordError) Error() string { return e.Message }

//go:embed common-passwords.txt
var commonPasswordList string

// Policy checks new passwords (at signup, change and reset) against NIST SP
// 800-63B-4 (AU-02) and the blocklist (AU-03). It holds the parsed
// common-password list; build one with NewPolicy at startup and share it: a
// Policy is read-only and safe for concurrent use.
type Policy struct {
	common   map[string]struct{}
	maxEntry int // length in bytes of the longest common password
}

// NewPolicy parses the embedded list of common passwords: the 30,000 most
// frequent passwords of zxcvbn 4.4.2 (see common-passwords.LICENSE), lower
// case.
func NewPolicy() *Policy {
	p := &Policy{common: make(map[string]struct{}, 30000)}
	for line := range strings.Lines(commonPasswordList) {
		w := strings.TrimSpace(line)
		if w == "" {
			continue
		}
		p.common[w] = struct{}{}
		p.maxEntry = max(p.maxEntry, len(w))
	}
	return p
}

// Check returns nil if password may be set, or a *PasswordError saying why
// not. hasMFA says whether the account always signs in with a second factor.
// context holds words tied to the account that the password must not be made
// of: the clinic's name and the local part of the user's email address;
// ProductName is always included.
//
// The rules, applied to the NFKC normal form of password, in this order:
//
//  1. Length, in code points: at least MinPasswordLength, or
//     MinPasswordLengthMFA with MFA; at most MaxPasswordLength
//     (ReasonTooShort, ReasonTooLong). There are no composition rules: any
//     characters, including spaces, in any mix.
//  2. Context (ReasonContext). Each context word is lower-cased and
//     NFKC-normalized; the word itself, the word without its spaces and
//     punctuation, and each of its alphanumeric parts count, if at least 4
//     code points long. The password, lower-cased, is refused if it contains
//     a context word and, once every occurrence of every context word is
//     removed (longest first), what remains is fewer than 8 code points, or
//     has no letters (only digits, punctuation, symbols, spaces), or is one
//     code point repeated. So "Sunrise2025!!!!!!" is refused for the clinic
//     "Sunrise Counseling", and "my sunrise walk by the sea" is not.
//  3. Common passwords (ReasonCommon). The password, lower-cased, is refused
//     if it is on the list, or if it contains a listed password that has a
//     letter and what remains once that is removed has no letters or is one
//     code point repeated: "password1234567", "Dragon!!!!!!!!!!" and
//     "monkeyyyyyyyyyy" are refused. Entries without letters ("123456") only
//     count as a whole, so that a long random number is not refused for
//     containing a common one.
func (p *Policy) Check(password string, hasMFA bool, context ...string) error {
	if len(password) > maxRawPasswordBytes {
		return tooLongCodePoints()
	}
	pw := norm.NFKC.String(password)
	n := utf8.RuneCountInString(pw)
	minLen := MinPasswordLength
	if hasMFA {
		minLen = MinPasswordLengthMFA
	}
	if n < minLen {
		return &PasswordError{
			Reason:  ReasonTooShort,
			Message: fmt.Sprintf("The password must be at least %d characters long.", minLen),
		}
	}
	if n > MaxPasswordLength {
		return tooLongCodePoints()
	}
	lower := strings.ToLower(pw)
	if mostlyContext(lower, contextWords(context)) {
		return &PasswordError{
			Reason:  ReasonContext,
			Message: "The password is too close to your email address, your clinic's name or the name of this service.",
		}
	}
	if p.isCommon(lower) {
		return &PasswordError{
			Reason:  ReasonCommon,
			Message: "The password is too common or has appeared in data breaches.",
		}
	}
	return nil
}

func tooLongCodePoints() *PasswordError {
	return &PasswordError{
		Reason:  ReasonTooLong,
		Message: fmt.Sprintf("The password must be at most %d characters long.", MaxPasswordLength),
	}
}

// contextWords returns the context words derived from context and
// ProductName, as described in Policy.Check, longest first.
func contextWords(context []string) []string {
	words := []string{ProductName}
	add := func(w string) {
		if utf8.RuneCountInString(w) >= minContextWord && !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	notAlnum := func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
	for _, c := range context {
		c = strings.ToLower(norm.NFKC.String(strings.TrimSpace(c)))
		add(c)
		parts := strings.FieldsFunc(c, notAlnum)
		add(strings.Join(parts, ""))
		for _, part := range parts {
			add(part)
		}
	}
	slices.SortStableFunc(words, func(a, b string) int { return len(b) - len(a) })
	return words
}

// mostlyContext reports whether lower contains a context word and is mostly
// made of context words (Policy.Check, rule 2).
func mostlyContext(lower string, words []string) bool {
	rest, found := lower, false
	for _, w := range words {
		if strings.Contains(rest, w) {
			found = true
			rest = strings.ReplaceAll(rest, w, "")
		}
	}
	if !found {
		return false
	}
	return utf8.RuneCountInString(rest) < minRemainder || weak(rest)
}

// isCommon applies Policy.Check's rule 3 to a lower-cased password.
func (p *Policy) isCommon(lower string) bool {
	if _, ok := p.common[lower]; ok {
		return true
	}
	// Every substring of at least 4 code points and at most the longest
	// entry: at most 256 × 20 map lookups, without allocating.
	for i := 0; i < len(lower); {
		_, size := utf8.DecodeRuneInString(lower[i:])
		runes := 0
		for j := i; j < len(lower) && j-i < p.maxEntry; {
			_, sz := utf8.DecodeRuneInString(lower[j:])
			j += sz
			runes++
			if runes < 4 || j-i > p.maxEntry {
				continue
			}
			sub := lower[i:j]
			if _, ok := p.common[sub]; ok && strings.ContainsFunc(sub, unicode.IsLetter) &&
				weak(strings.ReplaceAll(lower, sub, "")) {
				return true
			}
		}
		i += size
	}
	return false
}

// weak reports whether s, what remains of a password once a known word is
// removed, adds next to nothing: it has no letters, or it is one code point
// repeated (or empty).
func weak(s string) bool {
	if !strings.ContainsFunc(s, unicode.IsLetter) {
		return true
	}
	first, _ := utf8.DecodeRuneInString(s)
	for _, r := range s {
		if r != first {
			return false
		}
	}
	return true
}
