package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// Token sizes in random bytes.
const (
	// SessionTokenBytes is the entropy of a session token: 256 bits (SE-01).
	SessionTokenBytes = 32
	// InvitationTokenBytes is the entropy of an invitation or password-reset
	// token: 128 bits, AU-12's minimum. These tokens travel in emailed links,
	// where shorter is kinder, and live under an hour.
	InvitationTokenBytes = 16
)

// Encoded lengths: unpadded base64url of the sizes above.
const (
	sessionTokenLen    = (SessionTokenBytes*8 + 5) / 6    // 43
	invitationTokenLen = (InvitationTokenBytes*8 + 5) / 6 // 22
)

// NewToken returns a new session token and its hash (SE-01): 32 bytes from
// crypto/rand, encoded as unpadded base64url (43 characters) for the cookie,
// and HashToken of it, which is all the server stores. A stolen database row
// thus gives no usable cookie.
func NewToken() (token string, hash []byte) {
	return newToken(SessionTokenBytes)
}

// NewInvitationToken returns a new 128-bit token for invitation and
// password-reset links, and its hash to store (AU-12). It is encoded and
// hashed like NewToken's, in 22 characters.
func NewInvitationToken() (token string, hash []byte) {
	return newToken(InvitationTokenBytes)
}

func newToken(n int) (string, []byte) {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	token := base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken returns the SHA-256 of the token string's bytes, the form in
// which session, invitation and reset tokens are stored and looked up. A
// fast hash is enough: the tokens carry 128 bits or more of entropy, so there
// is nothing to guess offline.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// ValidToken reports whether s has the shape of a token NewToken or
// NewInvitationToken makes: 43 or 22 characters of unpadded base64url,
// canonically encoded. It lets a handler refuse garbage (an empty cookie, a
// mangled link, a megabyte of input) before hashing it or querying the
// database; a valid shape proves nothing else.
func ValidToken(s string) bool {
	var n int
	switch len(s) {
	case sessionTokenLen:
		n = SessionTokenBytes
	case invitationTokenLen:
		n = InvitationTokenBytes
	default:
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	// The last character carries unused low bits, which must be zero for the
	// encoding to be the one NewToken produced.
	var buf [SessionTokenBytes]byte
	got, err := base64.RawURLEncoding.Strict().Decode(buf[:], []byte(s))
	return err == nil && got == n
}
