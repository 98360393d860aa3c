package auth

import (
	"encoding/base32"
	"net/url"
	"strings"
	"testing"
	"time"
)

// rfcSecret is the SHA-1 key of RFC 4226 Appendix D and RFC 6238 Appendix B.
var rfcSecret = []byte("12345678901234567890")

// RFC 4226 Appendix D: HOTP values for counters 0 to 9.
func TestHOTPVectorsRFC4226(t *testing.T) {
	t.Parallel()
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for counter, w := range want {
		if got := hotp(rfcSecret, uint64(counter), 6); got != w {
			t.Errorf("counter %d: got %s, want %s", counter, got, w)
		}
	}
}

// AU-08: RFC 6238 Appendix B, SHA-1 rows (8 digits there; TOTPCode's 6 are
// the same number modulo 10^6, the last six digits).
func TestTOTPVectorsRFC6238AU08(t *testing.T) {
	t.Parallel()
	tests := []struct {
		unix     int64
		wantStep int64
		want     string
	}{
		{59, 0x1, "94287082"},
		{1111111109, 0x23523EC, "07081804"},
		{1111111111, 0x23523ED, "14050471"},
		{1234567890, 0x273EF07, "89005924"},
		{2000000000, 0x3F940AA, "69279037"},
		{20000000000, 0x27BC86AA, "65353130"},
	}
	for _, tt := range tests {
		now := time.Unix(tt.unix, 0).UTC()
		step := TOTPStep(now)
		if step != tt.wantStep {
			t.Errorf("TOTPStep(%d) = %#x, want %#x", tt.unix, step, tt.wantStep)
		}
		if got := hotp(rfcSecret, uint64(step), 8); got != tt.want {
			t.Errorf("time %d: got %s, want %s", tt.unix, got, tt.want)
		}
		if got, want := TOTPCode(rfcSecret, step), tt.want[2:]; got != want {
			t.Errorf("TOTPCode at %d: got %s, want %s", tt.unix, got, want)
		}
		if got, ok := VerifyTOTP(rfcSecret, tt.want[2:], now, 0); !ok || got != step {
			t.Errorf("VerifyTOTP at %d = %d, %v; want %d, true", tt.unix, got, ok, step)
		}
	}
}

func TestTOTPStep(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ unix, want int64 }{
		{0, 0}, {29, 0}, {30, 1}, {59, 1}, {60, 2}, {-1, -1}, {-30, -1}, {-31, -2},
	} {
		if got := TOTPStep(time.Unix(tt.unix, 0)); got != tt.want {
			t.Errorf("TOTPStep(%d) = %d, want %d", tt.unix, got, tt.want)
		}
	}
	// Sub-second precision and time zones do not matter.
	at := time.Date(2025, 3, 1, 12, 0, 29, 999_999_999, time.FixedZone("x", 5*3600))
	if got, want := TOTPStep(at), at.Unix()/30; got != want {
		t.Errorf("got %d, want %d", got, want)
	}
}

// AU-08: the skew window, single use and monotonic steps, strict format.
func TestVerifyTOTPAU08(t *testing.T) {
	t.Parallel()
	secret := NewTOTPSecret()
	now := time.Date(2025, 6, 1, 9, 30, 10, 0, time.UTC)
	cur := TOTPStep(now)
	code := func(step int64) string { return TOTPCode(secret, step) }
	tests := []struct {
		name     string
		secret   []byte
		code     string
		lastStep int64
		wantStep int64
		wantOK   bool
	}{
		{"current step", secret, code(cur), 0, cur, true},
		{"previous step (skew)", secret, code(cur - 1), 0, cur - 1, true},
		{"next step (skew)", secret, code(cur + 1), 0, cur + 1, true},
		{"T-2 refused", secret, code(cur - 2), 0, 0, false},
		{"T+2 refused", secret, code(cur + 2), 0, 0, false},
		{"replay of the current step refused", secret, code(cur), cur, 0, false},
		{"T-1 after T refused (monotonic)", secret, code(cur - 1), cur, 0, false},
		{"T after T-1 accepted", secret, code(cur), cur - 1, cur, true},
		{"T+1 after T accepted", secret, code(cur + 1), cur, cur + 1, true},
		{"anything after T+1 refused", secret, code(cur + 1), cur + 1, 0, false},
		{"another secret's code refused", NewTOTPSecret(), code(cur), 0, 0, false},
		{"five digits", secret, code(cur)[:5], 0, 0, false},
		{"seven digits", secret, code(cur) + "0", 0, 0, false},
		{"leading space", secret, " " + code(cur)[1:], 0, 0, false},
		{"trailing newline", secret, code(cur)[:5] + "\n", 0, 0, false},
		{"sign", secret, "+" + code(cur)[1:], 0, 0, false},
		{"letter", secret, code(cur)[:5] + "a", 0, 0, false},
		{"fullwidth digits", secret, "１２３４５６", 0, 0, false},
		{"empty", secret, "", 0, 0, false},
		{"empty secret", nil, hotp(nil, uint64(cur), 6), 0, 0, false},
		{"15-byte secret", secret[:15], hotp(secret[:15], uint64(cur), 6), 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, ok := VerifyTOTP(tt.secret, tt.code, now, tt.lastStep)
			if ok != tt.wantOK || step != tt.wantStep {
				t.Errorf("got %d, %v; want %d, %v", step, ok, tt.wantStep, tt.wantOK)
			}
		})
	}
}

// AU-08: a login flow that stores the returned step refuses the replay.
func TestVerifyTOTPReplayAU08(t *testing.T) {
	t.Parallel()
	secret := NewTOTPSecret()
	now := time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC)
	c := TOTPCode(secret, TOTPStep(now))
	last, ok := VerifyTOTP(secret, c, now, 0)
	if !ok {
		t.Fatalf("first use refused")
	}
	for _, later := range []time.Duration{0, 5 * time.Second, 29 * time.Second, 45 * time.Second} {
		if _, ok := VerifyTOTP(secret, c, now.Add(later), last); ok {
			t.Errorf("replay %v later accepted", later)
		}
	}
}

func TestNewTOTPSecretAU08(t *testing.T) {
	t.Parallel()
	a, b := NewTOTPSecret(), NewTOTPSecret()
	if len(a) != 20 {
		t.Errorf("got %d bytes, want 20 (160 bits)", len(a))
	}
	if string(a) == string(b) {
		t.Errorf("two secrets are equal: %x", a)
	}
}

func TestEncodeSecret(t *testing.T) {
	t.Parallel()
	got := EncodeSecret(rfcSecret)
	if want := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	odd := []byte{1, 2, 3}
	enc := EncodeSecret(odd)
	if strings.Contains(enc, "=") {
		t.Errorf("got %q, want no padding", enc)
	}
	dec, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(enc)
	if err != nil || string(dec) != string(odd) {
		t.Errorf("round trip gave %x, %v", dec, err)
	}
}

func TestTOTPURI(t *testing.T) {
	t.Parallel()
	got := TOTPURI("Interlude", "jane@example.com", rfcSecret)
	want := "otpauth://totp/Interlude:jane%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Interlude&algorithm=SHA1&digits=6&period=30"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	if got := TOTPURI("", "jane", rfcSecret); strings.Contains(got, "issuer") || !strings.HasPrefix(got, "otpauth://totp/jane?secret=") {
		t.Errorf("without issuer: got %s", got)
	}

	// Reserved characters in issuer and account cannot change the structure.
	issuer, account := "Sunrise: Care & Co/ü", "a b?c#d:e=f&g"
	raw := TOTPURI(issuer, account, rfcSecret)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("url.Parse(%q): %v", raw, err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Fragment != "" {
		t.Errorf("got scheme %q host %q fragment %q", u.Scheme, u.Host, u.Fragment)
	}
	if got, want := u.Path, "/"+issuer+":"+account; got != want {
		t.Errorf("got label %q, want %q", got, want)
	}
	if n := strings.Count(u.EscapedPath(), ":"); n != 1 {
		t.Errorf("got %d unescaped colons in the label %q, want 1", n, u.EscapedPath())
	}
	q := u.Query()
	if q.Get("issuer") != issuer || q.Get("secret") != EncodeSecret(rfcSecret) || len(q) != 5 {
		t.Errorf("got query %v", q)
	}
	if strings.ContainsAny(raw, " +") {
		t.Errorf("got %q, want spaces as %%20", raw)
	}
}
