package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

// SE-01 (sessions, 32 bytes) and AU-12 (invitations and resets, 128 bits):
// random, encoded as base64url, stored only as sha256(token).
func TestNewTokenSE01AU12(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		newToken  func() (string, []byte)
		wantBytes int
		wantLen   int
	}{
		{"SE-01 session", NewToken, 32, 43},
		{"AU-12 invitation", NewInvitationToken, 16, 22},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, hash := tt.newToken()
			if len(token) != tt.wantLen {
				t.Errorf("got %d characters, want %d", len(token), tt.wantLen)
			}
			raw, err := base64.RawURLEncoding.DecodeString(token)
			if err != nil || len(raw) != tt.wantBytes {
				t.Errorf("token %q decodes to %d bytes (%v), want %d", token, len(raw), err, tt.wantBytes)
			}
			want := sha256.Sum256([]byte(token))
			if !bytes.Equal(hash, want[:]) {
				t.Errorf("got hash %x, want sha256(token) %x", hash, want)
			}
			if !bytes.Equal(HashToken(token), hash) {
				t.Errorf("HashToken disagrees with the returned hash")
			}
			if !ValidToken(token) {
				t.Errorf("ValidToken(%q) = false", token)
			}
			other, otherHash := tt.newToken()
			if other == token || bytes.Equal(otherHash, hash) {
				t.Errorf("two tokens are equal: %q", token)
			}
		})
	}
}

func TestValidToken(t *testing.T) {
	t.Parallel()
	session, _ := NewToken()
	invite, _ := NewInvitationToken()
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"session", session, true},
		{"invitation", invite, true},
		{"all A, 43", strings.Repeat("A", 43), true},
		{"all A, 22", strings.Repeat("A", 22), true},
		{"empty", "", false},
		{"42 characters", session[:42], false},
		{"44 characters", session + "A", false},
		{"23 characters", invite + "A", false},
		{"padded", invite[:21] + "=", false},
		{"standard alphabet +", "+" + session[1:], false},
		{"standard alphabet /", "/" + session[1:], false},
		{"space", " " + session[1:], false},
		{"newline", "\n" + session[1:], false},
		{"non-ASCII", "é" + session[2:], false},
		// 43 characters carry 258 bits: the last must leave 2 bits zero.
		{"non-canonical session", strings.Repeat("A", 42) + "B", false},
		// 22 characters carry 132 bits: the last must leave 4 bits zero.
		{"non-canonical invitation", strings.Repeat("A", 21) + "B", false},
		{"canonical invitation end", strings.Repeat("A", 21) + "Q", true},
		{"1 MB", strings.Repeat("A", 1<<20), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidToken(tt.s); got != tt.want {
				t.Errorf("ValidToken(%.50q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
}

func TestHashTokenDistinguishes(t *testing.T) {
	t.Parallel()
	a, b := HashToken("abc"), HashToken("abd")
	if bytes.Equal(a, b) || len(a) != sha256.Size {
		t.Errorf("got %x and %x", a, b)
	}
}
