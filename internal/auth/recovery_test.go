package auth

import (
	"bytes"
	"crypto/sha256"
	"math"
	"regexp"
	"testing"
)

var recoveryPattern = regexp.MustCompile(`^[a-z2-7]{5}-[a-z2-7]{4}-[a-z2-7]{4}$`)

// AU-10: ten codes of at least 64 bits, each with its hash.
func TestNewRecoveryCodesAU10(t *testing.T) {
	t.Parallel()
	if bits := RecoveryCodeChars * math.Log2(float64(len(recoveryAlphabet))); bits < 64 {
		t.Errorf("got %.0f bits per code, want at least 64", bits)
	}
	codes, hashes := NewRecoveryCodes(10)
	if len(codes) != 10 || len(hashes) != 10 {
		t.Fatalf("got %d codes and %d hashes, want 10 each", len(codes), len(hashes))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if !recoveryPattern.MatchString(c) {
			t.Errorf("code %q does not match %s", c, recoveryPattern)
		}
		if seen[c] {
			t.Errorf("code %q repeated", c)
		}
		seen[c] = true
		if !bytes.Equal(hashes[i], HashRecoveryCode(c)) {
			t.Errorf("hash %d does not match HashRecoveryCode(%q)", i, c)
		}
	}
	if c, h := NewRecoveryCodes(0); c != nil || h != nil {
		t.Errorf("NewRecoveryCodes(0) = %v, %v; want nil, nil", c, h)
	}
}

// AU-10: the characters are spread over the whole alphabet (a bias would
// lower the entropy).
func TestRecoveryCodesUseWholeAlphabet(t *testing.T) {
	t.Parallel()
	codes, _ := NewRecoveryCodes(200) // 2,600 characters; P(some letter unused) < 1e-30
	used := map[rune]bool{}
	for _, c := range codes {
		for _, r := range c {
			used[r] = true
		}
	}
	for _, r := range recoveryAlphabet {
		if !used[r] {
			t.Errorf("character %q never used", r)
		}
	}
}

func TestHashRecoveryCode(t *testing.T) {
	t.Parallel()
	want := sha256.Sum256([]byte("k3q7zmw2afp5x"))
	tests := []struct {
		name  string
		input string
		same  bool
	}{
		{"as shown", "k3q7z-mw2a-fp5x", true},
		{"upper case", "K3Q7Z-MW2A-FP5X", true},
		{"no dashes", "k3q7zmw2afp5x", true},
		{"spaces", " k3q7z mw2a fp5x ", true},
		{"tab and newline", "k3q7z\tmw2a\nfp5x", true},
		{"one character off", "k3q7z-mw2a-fp5y", false},
		{"missing character", "k3q7z-mw2a-fp5", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := HashRecoveryCode(tt.input)
			if bytes.Equal(got, want[:]) != tt.same {
				t.Errorf("HashRecoveryCode(%q) = %x; want equal to the canonical hash: %v", tt.input, got, tt.same)
			}
		})
	}
}
