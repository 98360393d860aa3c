package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // G505: RFC 6238's HMAC-SHA-1, which every authenticator app computes; HMAC-SHA-1 is not weakened by SHA-1's collisions
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"strings"
	"time"
)

// TOTP parameters (AU-08): RFC 6238 with HMAC-SHA-1, 30-second steps,
// 6 digits, a 160-bit secret, and codes of the neighbouring steps accepted
// for clock skew.
const (
	// TOTPSecretSize is the size of a TOTP secret in bytes (160 bits, the
	// size RFC 4226 recommends for HMAC-SHA-1).
	TOTPSecretSize = 20
	// TOTPPeriod is the length of a TOTP time step.
	TOTPPeriod = 30 * time.Second
	// TOTPDigits is the number of digits of a TOTP code.
	TOTPDigits = 6
	// TOTPSkew is how many steps before and after the current one are
	// accepted.
	TOTPSkew = 1
)

// minTOTPSecret is RFC 4226's minimum secret length (128 bits). VerifyTOTP
// refuses shorter secrets so that an empty secret read back from a broken
// store cannot make every account's codes guessable.
const minTOTPSecret = 16

// NewTOTPSecret returns a new random 160-bit TOTP secret from crypto/rand.
// Store it encrypted (EN-01) and show it to the user once, through TOTPURI.
func NewTOTPSecret() []byte {
	secret := make([]byte, TOTPSecretSize)
	rand.Read(secret) // never fails (crypto/rand, Go 1.24+)
	return secret
}

// TOTPStep returns the RFC 6238 time step of t: the number of whole 30-second
// periods since the Unix epoch. Use the server's clock, never one the client
// sends (AU-08).
func TOTPStep(t time.Time) int64 {
	const period = int64(TOTPPeriod / time.Second)
	s := t.Unix()
	if s < 0 {
		return (s - period + 1) / period // floor, for completeness
	}
	return s / period
}

// TOTPCode returns the 6-digit TOTP code of secret for a time step.
func TOTPCode(secret []byte, step int64) string {
	return hotp(secret, uint64(step), TOTPDigits)
}

// VerifyTOTP reports whether code is the code of secret for the time step of
// now or a step next to it (±1, for clock skew), and which step it matched.
// lastStep is the step the user's last accepted code matched (0 if none):
// only a later step is accepted, so a code works once and an older code stops
// working once a newer one was used (AU-08, RFC 6238 §5.2). On success the
// caller must store the returned step as the new lastStep, atomically with
// the check (for instance with a conditional UPDATE), or two parallel
// requests could both succeed.
//
// code must be exactly six ASCII digits; anything else is refused. Codes are
// compared in constant time.
func VerifyTOTP(secret []byte, code string, now time.Time, lastStep int64) (step int64, ok bool) {
	if len(secret) < minTOTPSecret || !sixDigits(code) {
		return 0, false
	}
	cur := TOTPStep(now)
	// Try every step of the window, and keep the highest that matches: were
	// a code to match two steps by chance (one in a million), accepting the
	// lower would let the same code pass again at the higher.
	for s := cur - TOTPSkew; s <= cur+TOTPSkew; s++ {
		match := subtle.ConstantTimeCompare([]byte(TOTPCode(secret, s)), []byte(code)) == 1
		if match && s > lastStep {
			step, ok = s, true
		}
	}
	return step, ok
}

func sixDigits(code string) bool {
	if len(code) != TOTPDigits {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// hotp is RFC 4226's HOTP with HMAC-SHA-1 and dynamic truncation to digits
// decimal digits (at most 9).
func hotp(secret []byte, counter uint64, digits int) string {
	mac := hmac.New(sha1.New, secret)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	offset := sum[len(sum)-1] & 0x0f
	value := binary.BigEndian.Uint32(sum[offset:offset+4]) & 0x7fffffff
	code := make([]byte, digits)
	for i := digits - 1; i >= 0; i-- {
		code[i] = byte('0' + value%10)
		value /= 10
	}
	return string(code)
}

// EncodeSecret returns secret in upper-case base32 without padding, the form
// authenticator apps expect in a URI and accept when typed by hand.
func EncodeSecret(secret []byte) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
}

// TOTPURI returns the otpauth:// key URI for enrolling secret in an
// authenticator app, usually shown as a QR code, once (AU-08):
//
//	otpauth://totp/<issuer>:<account>?secret=<base32>&issuer=<issuer>&algorithm=SHA1&digits=6&period=30
//
// issuer and account are percent-encoded (every byte but A–Z a–z 0–9 - . _ ~,
// space as %20), so a colon, slash or ampersand in them cannot change the
// URI's structure. With an empty issuer, the label is the account alone and
// there is no issuer parameter.
func TOTPURI(issuer, account string, secret []byte) string {
	var b strings.Builder
	b.WriteString("otpauth://totp/")
	if issuer != "" {
		b.WriteString(uriEscape(issuer))
		b.WriteByte(':')
	}
	b.WriteString(uriEscape(account))
	b.WriteString("?secret=")
	b.WriteString(EncodeSecret(secret))
	if issuer != "" {
		b.WriteString("&issuer=")
		b.WriteString(uriEscape(issuer))
	}
	b.WriteString("&algorithm=SHA1&digits=6&period=30")
	return b.String()
}

// uriEscape percent-encodes every byte of s outside RFC 3986's unreserved
// set.
func uriEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0x0f])
		}
	}
	return b.String()
}
