package auth

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// phcPattern is AU-04's acceptance check on stored hashes.
var phcPattern = regexp.MustCompile(`^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$`)

func mustHash(t *testing.T, p Params, password string) string {
	t.Helper()
	phc, err := HashPassword(p, password)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	return phc
}

func wantTooLong(t *testing.T, err error) {
	t.Helper()
	var pe *PasswordError
	if !errors.As(err, &pe) || pe.Reason != ReasonTooLong {
		t.Fatalf("got error %v, want a *PasswordError with reason %q", err, ReasonTooLong)
	}
}

// AU-04: the stored form is a PHC string carrying its parameters.
func TestHashPasswordPHCFormatAU04(t *testing.T) {
	t.Parallel()
	p := TestParams()
	phc := mustHash(t, p, "correct horse battery staple")
	if !phcPattern.MatchString(phc) {
		t.Errorf("got %q, want a match for %s", phc, phcPattern)
	}
	if want := "$argon2id$v=19$m=64,t=1,p=1$"; !strings.HasPrefix(phc, want) {
		t.Errorf("got %q, want prefix %q", phc, want)
	}
	parsed, err := parsePHC(phc)
	if err != nil {
		t.Fatalf("parsePHC(%q): %v", phc, err)
	}
	if parsed.params != p {
		t.Errorf("got params %+v, want %+v", parsed.params, p)
	}
	if again := mustHash(t, p, "correct horse battery staple"); again == phc {
		t.Errorf("two hashes of one password are equal (%q): the salt is not random", phc)
	}
}

// AU-04: the production parameters are at least OWASP's minimum, and work.
func TestDefaultParamsAU04(t *testing.T) {
	t.Parallel()
	p := DefaultParams()
	if p.Memory < 19*1024 || p.Time < 2 || p.Threads < 1 || p.KeyLen < 32 || p.SaltLen < 16 {
		t.Errorf("got %+v, want at least m=19456 KiB, t=2, p=1, 32-byte key, 16-byte salt", p)
	}
	if testing.Short() {
		t.Skip("hashing with DefaultParams takes a while")
	}
	phc := mustHash(t, p, "a long and unremarkable passphrase")
	if want := "$argon2id$v=19$m=19456,t=2,p=1$"; !strings.HasPrefix(phc, want) {
		t.Errorf("got %q, want prefix %q", phc, want)
	}
	ok, rehash, err := VerifyPassword(p, phc, "a long and unremarkable passphrase")
	if err != nil || !ok || rehash {
		t.Errorf("VerifyPassword = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
}

// AU-02, AU-04: normalization, no truncation, wrong passwords.
func TestVerifyPassword(t *testing.T) {
	t.Parallel()
	p := TestParams()
	const (
		nfc = "caf\u00e9 au lait, s'il vous pla\u00eet"   // é and î precomposed
		nfd = "cafe\u0301 au lait, s'il vous plai\u0302t" // e, i + combining marks
	)
	long72 := strings.Repeat("A", 72)
	tests := []struct {
		name   string
		stored string // the password hashed
		given  string // the password verified
		wantOK bool
	}{
		{"same password", "correct horse battery staple", "correct horse battery staple", true},
		{"wrong password", "correct horse battery staple", "correct horse battery stapler", false},
		{"case matters", "correct horse battery staple", "Correct horse battery staple", false},
		{"AU-02 NFC stored, NFD given", nfc, nfd, true},
		{"AU-02 NFD stored, NFC given", nfd, nfc, true},
		{"AU-02 compatibility form", "ｐａｓｓ ｐｈｒａｓｅ ｗｏｒｄｓ", "pass phrase words", true},
		{"AU-02 no truncation at 72 bytes (x vs y)", long72 + "x", long72 + "y", false},
		{"AU-02 no truncation at 72 bytes (y vs x)", long72 + "y", long72 + "x", false},
		{"AU-02 no truncation at 1024 bytes", strings.Repeat("b", 1023) + "x", strings.Repeat("b", 1023) + "y", false},
		{"empty password verifies only itself", "", "", true},
		{"empty password vs space", "", " ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			phc := mustHash(t, p, tt.stored)
			ok, rehash, err := VerifyPassword(p, phc, tt.given)
			if err != nil {
				t.Fatalf("VerifyPassword: %v", err)
			}
			if ok != tt.wantOK {
				t.Errorf("got ok %v, want %v", ok, tt.wantOK)
			}
			if rehash {
				t.Errorf("got needsRehash true with unchanged params")
			}
		})
	}
}

// AU-04: after a parameter bump, a successful login reports needsRehash.
func TestVerifyPasswordNeedsRehashAU04(t *testing.T) {
	t.Parallel()
	old := TestParams()
	phc := mustHash(t, old, "correct horse battery staple")
	bump := func(f func(*Params)) Params {
		p := old
		f(&p)
		return p
	}
	tests := []struct {
		name       string
		current    Params
		password   string
		wantOK     bool
		wantRehash bool
	}{
		{"unchanged", old, "correct horse battery staple", true, false},
		{"memory raised", bump(func(p *Params) { p.Memory *= 2 }), "correct horse battery staple", true, true},
		{"time raised", bump(func(p *Params) { p.Time++ }), "correct horse battery staple", true, true},
		{"threads raised", bump(func(p *Params) { p.Threads = 2 }), "correct horse battery staple", true, true},
		{"key length changed", bump(func(p *Params) { p.KeyLen = 64 }), "correct horse battery staple", true, true},
		{"salt length changed", bump(func(p *Params) { p.SaltLen = 32 }), "correct horse battery staple", true, true},
		{"lowered params also differ", bump(func(p *Params) { p.Memory = 32 }), "correct horse battery staple", true, true},
		{"never for a wrong password", bump(func(p *Params) { p.Time++ }), "wrong horse battery staple", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := VerifyPassword(tt.current, phc, tt.password)
			if err != nil {
				t.Fatalf("VerifyPassword: %v", err)
			}
			if ok != tt.wantOK || rehash != tt.wantRehash {
				t.Errorf("got ok=%v needsRehash=%v, want ok=%v needsRehash=%v", ok, rehash, tt.wantOK, tt.wantRehash)
			}
		})
	}
	// The rehash the caller then stores carries the new parameters.
	current := bump(func(p *Params) { p.Time = 3 })
	rehashed := mustHash(t, current, "correct horse battery staple")
	if !strings.Contains(rehashed, ",t=3,") {
		t.Errorf("got %q, want t=3", rehashed)
	}
	if _, rehash, _ := VerifyPassword(current, rehashed, "correct horse battery staple"); rehash {
		t.Errorf("got needsRehash after rehashing with current params")
	}
}

// AU-04: an oversized password is refused with a typed error before any
// hashing. The expensive params make a regression obvious: hashing with them
// would take seconds and 256 MiB.
func TestPasswordTooLongAU04(t *testing.T) {
	t.Parallel()
	expensive := Params{Memory: 256 * 1024, Time: 32, Threads: 1, KeyLen: 32, SaltLen: 16}
	phc := mustHash(t, TestParams(), "correct horse battery staple")
	megabyte := strings.Repeat("a", 1<<20)
	// 40 × U+FDFA is 120 bytes, but its NFKC form is 40 × 18 code points,
	// 1320 bytes: the cap applies after normalization.
	expands := strings.Repeat("\uFDFA", 40)
	for _, tc := range []struct{ name, password string }{
		{"1 MB", megabyte},
		{"1025 bytes", strings.Repeat("a", MaxPasswordBytes+1)},
		{"short input, long after NFKC", expands},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := HashPassword(expensive, tc.password)
			wantTooLong(t, err)
			_, _, err = VerifyPassword(expensive, phc, tc.password)
			wantTooLong(t, err)
			wantTooLong(t, DummyVerify(expensive, tc.password))
			if strings.Contains(err.Error(), tc.password[:8]) {
				t.Errorf("error %q echoes the password", err)
			}
		})
	}
	t.Run("exactly 1024 bytes is accepted", func(t *testing.T) {
		pw := strings.Repeat("a", MaxPasswordBytes)
		phc := mustHash(t, TestParams(), pw)
		if ok, _, err := VerifyPassword(TestParams(), phc, pw); !ok || err != nil {
			t.Errorf("VerifyPassword = %v, %v; want true, nil", ok, err)
		}
	})
}

// AU-07: the unknown-user path runs the same hash and reports like the real one.
func TestDummyVerifyAU07(t *testing.T) {
	t.Parallel()
	if err := DummyVerify(TestParams(), "whatever the attacker typed"); err != nil {
		t.Errorf("got %v, want nil", err)
	}
	bad := TestParams()
	bad.Time = 0
	_, _, verr := VerifyPassword(bad, mustHash(t, TestParams(), "x"), "x")
	derr := DummyVerify(bad, "x")
	if verr == nil || derr == nil {
		t.Errorf("got VerifyPassword error %v and DummyVerify error %v with t=0, want both errors", verr, derr)
	}
}

func TestParamsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		p       Params
		wantErr bool
	}{
		{"default", DefaultParams(), false},
		{"test", TestParams(), false},
		{"zero", Params{}, true},
		{"no passes", Params{Memory: 64, Time: 0, Threads: 1, KeyLen: 32, SaltLen: 16}, true},
		{"too many passes", Params{Memory: 64, Time: 33, Threads: 1, KeyLen: 32, SaltLen: 16}, true},
		{"no threads", Params{Memory: 64, Time: 1, Threads: 0, KeyLen: 32, SaltLen: 16}, true},
		{"memory under 8 KiB per thread", Params{Memory: 31, Time: 1, Threads: 4, KeyLen: 32, SaltLen: 16}, true},
		{"memory 8 KiB per thread", Params{Memory: 32, Time: 1, Threads: 4, KeyLen: 32, SaltLen: 16}, false},
		{"memory over 1 GiB", Params{Memory: 1<<20 + 1, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}, true},
		{"short key", Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 15, SaltLen: 16}, true},
		{"long key", Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 65, SaltLen: 16}, true},
		{"short salt", Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 7}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if (err != nil) != tt.wantErr {
				t.Errorf("got %v, want error: %v", err, tt.wantErr)
			}
			if _, herr := HashPassword(tt.p, "x"); (herr != nil) != tt.wantErr {
				t.Errorf("HashPassword: got %v, want error: %v", herr, tt.wantErr)
			}
		})
	}
}

// validPHC is the hash of "password" with TestParams and the salt
// "somesaltsomesalt", made with argon2.IDKey.
const validPHC = "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM"

func TestParsePHC(t *testing.T) {
	t.Parallel()
	if _, err := parsePHC(validPHC); err != nil {
		t.Fatalf("parsePHC(validPHC): %v", err)
	}
	ok, _, err := VerifyPassword(TestParams(), validPHC, "password")
	if err != nil || !ok {
		t.Fatalf("VerifyPassword(validPHC) = %v, %v; want true, nil", ok, err)
	}
	salt, hash := "c29tZXNhbHRzb21lc2FsdA", "55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM"
	malformed := []struct{ name, phc string }{
		{"empty", ""},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + hash},
		{"argon2d", "$argon2d$v=19$m=64,t=1,p=1$" + salt + "$" + hash},
		{"version 16", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + hash},
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + hash},
		{"params reordered", "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + hash},
		{"leading zero", "$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + hash},
		{"plus sign", "$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + hash},
		{"negative", "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + hash},
		{"memory overflow", "$argon2id$v=19$m=4294967296,t=1,p=1$" + salt + "$" + hash},
		{"memory too big", "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + hash},
		{"zero time", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + hash},
		{"zero threads", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + hash},
		{"threads over 255", "$argon2id$v=19$m=4096,t=1,p=256$" + salt + "$" + hash},
		{"extra param", "$argon2id$v=19$m=64,t=1,p=1,k=2$" + salt + "$" + hash},
		{"missing hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{"empty hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$"},
		{"trailing field", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + hash + "$"},
		{"padded salt", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + hash},
		{"url alphabet", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$_" + hash[1:]},
		{"newline in hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + hash[:10] + "\n" + hash[10:]},
		{"non-canonical last char", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + hash[:len(hash)-1] + "h"},
		{"short salt", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + hash},
		{"short hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$c2hvcnQ"},
		{"leading space", " " + validPHC},
	}
	for _, tt := range malformed {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parsePHC(tt.phc); err == nil {
				t.Errorf("parsePHC(%q) succeeded, want an error", tt.phc)
			}
			ok, rehash, err := VerifyPassword(TestParams(), tt.phc, "password")
			if err == nil || ok || rehash {
				t.Errorf("VerifyPassword = %v, %v, %v; want false, false, error", ok, rehash, err)
			}
		})
	}
}

// FuzzParsePHC checks that the parser never panics and accepts only
// canonical strings: whatever it accepts, formatPHC gives back unchanged.
func FuzzParsePHC(f *testing.F) {
	f.Add(validPHC)
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$$")
	f.Add("$argon2id$v=19$m=,t=,p=$c29tZXNhbHQ$aGFzaA")
	f.Add("$$$$$")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		parsed, err := parsePHC(s)
		if err != nil {
			return
		}
		if got := formatPHC(parsed.params, parsed.salt, parsed.hash); got != s {
			t.Errorf("formatPHC(parsePHC(%q)) = %q", s, got)
		}
		if err := parsed.params.Validate(); err != nil {
			t.Errorf("parsePHC(%q) accepted invalid params: %v", s, err)
		}
		if parsed.params.Memory > 1024 || parsed.params.Time > 2 {
			return // too slow to verify on every input
		}
		if ok, _, err := VerifyPassword(TestParams(), s, "password"); err != nil {
			t.Errorf("VerifyPassword(%q) = %v, %v; want no error for a parsable hash", s, ok, err)
		}
	})
}

// FuzzVerifyPassword checks, for any input, that a password verifies against
// its own hash and not against a one-byte change (AU-02: no truncation, and
// normalization that never merges distinct passwords by accident).
func FuzzVerifyPassword(f *testing.F) {
	f.Add("correct horse battery staple", byte('x'))
	f.Add("caf\u00e9", byte('e'))
	f.Add(strings.Repeat("A", 72), byte('y'))
	f.Add("", byte(0))
	f.Add("\xff\xfe", byte(0x80))
	p := TestParams()
	f.Fuzz(func(t *testing.T, password string, extra byte) {
		phc, err := HashPassword(p, password)
		if err != nil {
			wantTooLong(t, err)
			return
		}
		if !phcPattern.MatchString(phc) {
			t.Fatalf("got %q, want a match for %s", phc, phcPattern)
		}
		if ok, rehash, err := VerifyPassword(p, phc, password); !ok || rehash || err != nil {
			t.Fatalf("VerifyPassword(own hash) = %v, %v, %v; want true, false, nil", ok, rehash, err)
		}
		// Appending an ASCII letter or digit changes the NFKC form; other
		// bytes might combine with what precedes.
		c := "abcdefghijklmnopqrstuvwxyz0123456789"[int(extra)%36]
		other := password + string(c)
		if ok, _, err := VerifyPassword(p, phc, other); ok && err == nil {
			t.Errorf("hash of %q verifies %q", password, other)
		}
	})
}
