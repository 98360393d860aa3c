package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// MaxPasswordBytes is the largest password, in bytes of UTF-8 after NFKC
// normalization, that HashPassword, VerifyPassword and DummyVerify accept
// (AU-04). Longer input is refused before any hashing, so a megabyte-long
// password costs nothing. The policy's limit of 256 code points always fits.
const MaxPasswordBytes = 1024

// maxRawPasswordBytes bounds the input before normalization, so that an
// absurd input is refused without even being normalized. NFKC shrinks UTF-8
// by a factor of four at most (a 4-byte mathematical letter such as U+1D400
// becomes one ASCII byte; composition and compatibility mappings shrink
// less), so nothing refused here could have fit MaxPasswordBytes once
// normalized.
const maxRawPasswordBytes = 4 * MaxPasswordBytes

// Bounds on argon2id parameters, for our own Params and for parameters read
// back from a stored PHC string: a corrupted or hostile hash must not make a
// login allocate gigabytes or spin for minutes.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 32
	minKeyLen    = 16
	maxKeyLen    = 64
	minSaltLen   = 8
	maxSaltLen   = 64
)

// argon2Version is the only argon2 version we produce and accept (0x13).
const argon2Version = argon2.Version

// Params are argon2id cost parameters and output sizes.
type Params struct {
	Memory  uint32 // memory cost in KiB
	Time    uint32 // number of passes over the memory
	Threads uint8  // degree of parallelism
	KeyLen  uint32 // length of the derived hash in bytes
	SaltLen uint32 // length of the random salt in bytes
}

// DefaultParams returns the production parameters: the OWASP minimum for
// argon2id, m=19456 KiB (19 MiB), t=2, p=1, with a 32-byte hash and a 16-byte
// salt (AU-04). Raise Memory or Time to reach 250–500 ms on the production
// hardware; VerifyPassword then reports needsRehash and logins upgrade the
// stored hashes. It is a function, not a variable, so no caller can change it
// for everyone.
func DefaultParams() Params {
	return Params{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}
}

// TestParams returns parameters cheap enough for tests of other packages
// (64 KiB, one pass). They are far too weak for production.
func TestParams() Params {
	return Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
}

// Validate reports whether p is usable: at least one pass and one thread,
// at least 8 KiB of memory per thread (argon2's minimum, which
// golang.org/x/crypto/argon2 would otherwise raise silently) and at most
// 1 GiB, at most 32 passes, a 16–64-byte hash and an 8–64-byte salt.
func (p Params) Validate() error {
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("auth: argon2 time %d outside [1, %d]", p.Time, maxTime)
	case p.Threads < 1:
		return errors.New("auth: argon2 threads must be at least 1")
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemoryKiB:
		return fmt.Errorf("auth: argon2 memory %d KiB outside [%d, %d]", p.Memory, 8*uint32(p.Threads), maxMemoryKiB)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("auth: argon2 key length %d outside [%d, %d]", p.KeyLen, minKeyLen, maxKeyLen)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("auth: argon2 salt length %d outside [%d, %d]", p.SaltLen, minSaltLen, maxSaltLen)
	}
	return nil
}

// HashPassword returns the argon2id hash of password in PHC string format,
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<threads>$<salt>$<hash>, salt and hash
// in unpadded standard base64 (AU-04). The password is NFKC-normalized first
// (AU-02), so differently encoded forms of the same text hash alike, and it
// is never truncated. A password over MaxPasswordBytes after normalization is
// refused with a *PasswordError of reason ReasonTooLong before any hashing.
//
// HashPassword does not apply the password policy; call Policy.Check first
// for new passwords.
func HashPassword(p Params, password string) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	pw, err := normalizePassword(password)
	if err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLen)
	rand.Read(salt) // never fails (crypto/rand, Go 1.24+)
	key := argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return formatPHC(p, salt, key), nil
}

// VerifyPassword reports whether password matches the PHC string phc, which
// HashPassword produced, comparing in constant time. needsRehash is true when
// the password matched and phc was made with parameters other than p: the
// caller should then store HashPassword(p, password) (AU-04). It is never
// true for a wrong password, so a careless caller cannot overwrite a hash
// with an attacker's guess.
//
// A malformed phc, invalid p or a password over MaxPasswordBytes is an error;
// the last is a *PasswordError of reason ReasonTooLong, returned before any
// hashing. The cost of a call follows the parameters stored in phc.
func VerifyPassword(p Params, phc, password string) (ok, needsRehash bool, err error) {
	if err := p.Validate(); err != nil {
		return false, false, err
	}
	pw, err := normalizePassword(password)
	if err != nil {
		return false, false, err
	}
	stored, err := parsePHC(phc)
	if err != nil {
		return false, false, err
	}
	sp := stored.params
	key := argon2.IDKey(pw, stored.salt, sp.Time, sp.Memory, sp.Threads, sp.KeyLen)
	if subtle.ConstantTimeCompare(key, stored.hash) != 1 {
		return false, false, nil
	}
	return true, sp != p, nil
}

// DummyVerify spends as much time and memory as VerifyPassword of a hash
// made with p, and reports nothing. Login calls it when no account has the
// given email, so that an unknown address and a wrong password take the same
// time (AU-07). It returns the same errors as VerifyPassword does for p and
// password (an invalid p, a password over MaxPasswordBytes), so the caller
// answers both paths alike.
func DummyVerify(p Params, password string) error {
	if err := p.Validate(); err != nil {
		return err
	}
	pw, err := normalizePassword(password)
	if err != nil {
		return err
	}
	salt := make([]byte, p.SaltLen)
	want := make([]byte, p.KeyLen)
	key := argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	subtle.ConstantTimeCompare(key, want)
	return nil
}

// normalizePassword returns the NFKC form of password, or a *PasswordError
// of reason ReasonTooLong when the input or its normal form is too long.
func normalizePassword(password string) ([]byte, error) {
	if len(password) > maxRawPasswordBytes {
		return nil, tooLongBytes()
	}
	pw := norm.NFKC.String(password)
	if len(pw) > MaxPasswordBytes {
		return nil, tooLongBytes()
	}
	return []byte(pw), nil
}

func tooLongBytes() *PasswordError {
	return &PasswordError{
		Reason:  ReasonTooLong,
		Message: "The password is too long.",
	}
}

// phc is a parsed argon2id PHC string. params.KeyLen and params.SaltLen are
// the lengths of hash and salt.
type phc struct {
	params Params
	salt   []byte
	hash   []byte
}

// formatPHC encodes an argon2id hash; p.KeyLen and p.SaltLen are ignored in
// favour of the lengths of key and salt.
func formatPHC(p Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// parsePHC parses what formatPHC produces and nothing else: the fields in
// that order, decimal numbers without sign or leading zeros, canonical
// unpadded base64, parameters within Validate's bounds. Being this strict
// makes formatPHC(parsePHC(s)) == s for every accepted s.
func parsePHC(s string) (phc, error) {
	fields := strings.Split(s, "$")
	if len(fields) != 6 || fields[0] != "" || fields[1] != "argon2id" {
		return phc{}, errors.New("auth: malformed password hash: not an argon2id PHC string")
	}
	if fields[2] != "v="+strconv.Itoa(argon2Version) {
		return phc{}, errors.New("auth: malformed password hash: unsupported argon2 version")
	}
	m, t, p, ok := parseCosts(fields[3])
	if !ok {
		return phc{}, errors.New("auth: malformed password hash: bad parameters")
	}
	salt, ok := decodeB64(fields[4])
	if !ok {
		return phc{}, errors.New("auth: malformed password hash: bad salt")
	}
	hash, ok := decodeB64(fields[5])
	if !ok {
		return phc{}, errors.New("auth: malformed password hash: bad hash")
	}
	params := Params{Memory: m, Time: t, Threads: p, KeyLen: uint32(len(hash)), SaltLen: uint32(len(salt))}
	if err := params.Validate(); err != nil {
		return phc{}, fmt.Errorf("auth: malformed password hash: %w", err)
	}
	return phc{params: params, salt: salt, hash: hash}, nil
}

// parseCosts parses "m=<uint>,t=<uint>,p=<uint>".
func parseCosts(s string) (m, t uint32, p uint8, ok bool) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	mv, ok1 := parseField(parts[0], "m=", 1<<32-1)
	tv, ok2 := parseField(parts[1], "t=", 1<<32-1)
	pv, ok3 := parseField(parts[2], "p=", 255)
	if !ok1 || !ok2 || !ok3 {
		return 0, 0, 0, false
	}
	return uint32(mv), uint32(tv), uint8(pv), true
}

// parseField parses prefix followed by a canonical decimal number (no sign,
// no leading zero) of at most max.
func parseField(s, prefix string, max uint64) (uint64, bool) {
	digits, found := strings.CutPrefix(s, prefix)
	if !found || digits == "" || len(digits) > 10 || (digits[0] == '0' && len(digits) > 1) {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || v > max {
		return 0, false
	}
	return v, true
}

// decodeB64 decodes canonical unpadded standard base64. Re-encoding and
// comparing rejects what the decoder tolerates: CR and LF, and non-zero
// trailing bits.
func decodeB64(s string) ([]byte, bool) {
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil || base64.RawStdEncoding.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}
