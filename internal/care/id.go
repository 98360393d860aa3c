package care

import (
	"crypto/rand"
	"encoding/base32"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a fresh opaque id: 128 random bits in 26 lower-case base32
// characters. Ids carry no meaning, so they may appear in URLs, logs and
// audit rows.
func NewID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails on supported platforms (Go 1.24+)
	return idEncoding.EncodeToString(b[:])
}

// ValidID reports whether s has the shape of an id made by NewID. Handlers
// check it before a look-up so malformed input answers not found cheaply.
func ValidID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}
