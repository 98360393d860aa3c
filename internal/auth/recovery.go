package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"strings"
	"unicode"
)

// recoveryAlphabet is lower-case RFC 4648 base32: no 0, 1, 8 or 9 to
// confuse with o, l, b or g.
const recoveryAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// RecoveryCodeChars is the number of base32 characters of a recovery code:
// 13 × 5 = 65 bits of entropy, over AU-10's 64.
const RecoveryCodeChars = 13

// NewRecoveryCodes returns n new recovery codes and, at the same index, the
// hash of each to store (AU-10). A code looks like "k3q7z-mw2a-fp5x": 13
// random base32 characters in groups of 5, 4 and 4, lower case. Show the
// codes once; each is single use, which the caller enforces by deleting or
// marking the hash it matched. n <= 0 gives none.
func NewRecoveryCodes(n int) (codes []string, hashes [][]byte) {
	if n <= 0 {
		return nil, nil
	}
	codes = make([]string, n)
	hashes = make([][]byte, n)
	raw := make([]byte, RecoveryCodeChars)
	for i := range n {
		rand.Read(raw) // never fails (crypto/rand, Go 1.24+)
		var b strings.Builder
		for j, x := range raw {
			if j == 5 || j == 9 {
				b.WriteByte('-')
			}
			// 256 is a multiple of 32, so the low five bits are uniform.
			b.WriteByte(recoveryAlphabet[x&31])
		}
		codes[i] = b.String()
		hashes[i] = HashRecoveryCode(codes[i])
	}
	return codes, hashes
}

// HashRecoveryCode returns the SHA-256 of code once normalized: lower-cased,
// with dashes and white space removed, so that "K3Q7Z MW2A FP5X" matches
// "k3q7z-mw2a-fp5x". A fast hash is enough, unlike for passwords: a code has
// 65 random bits, so a stolen hash cannot be reversed by guessing, and online
// guesses are throttled.
func HashRecoveryCode(code string) []byte {
	normal := strings.Map(func(r rune) rune {
		if r == '-' || unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, code)
	h := sha256.Sum256([]byte(normal))
	return h[:]
}
