package auth

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// AU-03: the shipped list is big enough, clean, and what the policy loads.
func TestCommonPasswordListAU03(t *testing.T) {
	t.Parallel()
	p := NewPolicy()
	if got := len(p.common); got < 10000 {
		t.Errorf("got %d common passwords, want at least 10,000", got)
	}
	lines := strings.Split(strings.TrimSuffix(commonPasswordList, "\n"), "\n")
	if len(lines) != len(p.common) {
		t.Errorf("got %d lines and %d distinct entries, want no duplicates or blank lines", len(lines), len(p.common))
	}
	for i, w := range lines {
		if w == "" || w != strings.ToLower(w) || w != strings.TrimSpace(w) {
			t.Errorf("line %d: %q is not a trimmed, lower-case, non-empty entry", i+1, w)
		}
	}
	for _, w := range []string{"password", "123456", "qwertyuiop", "iloveyou", "1qaz2wsx3edc4rfv", "passwordstandard"} {
		if _, ok := p.common[w]; !ok {
			t.Errorf("%q is missing from the list", w)
		}
	}
	if p.maxEntry < 16 {
		t.Errorf("got longest entry %d bytes, want at least 16", p.maxEntry)
	}
}

func TestPolicyCheck(t *testing.T) {
	t.Parallel()
	p := NewPolicy()
	clinic := []string{"Sunrise Counseling", "jane.doe"}
	tests := []struct {
		name       string
		password   string
		hasMFA     bool
		context    []string
		wantReason string // "" for accepted
	}{
		// AU-02: length, in code points after NFKC.
		{"AU-02 14 chars without MFA", "gxqvzmwkpbtrhn", false, nil, ReasonTooShort},
		{"AU-02 15 chars without MFA", "gxqvzmwkpbtrhnl", false, nil, ""},
		{"AU-02 7 chars with MFA", "gxqvzmw", true, nil, ReasonTooShort},
		{"AU-02 8 chars with MFA", "gxqvzmwk", true, nil, ""},
		{"AU-02 14 chars with MFA", "gxqvzmwkpbtrhn", true, nil, ""},
		{"AU-02 200 chars", strings.Repeat("gxqvzmwkpb", 20), false, nil, ""},
		{"AU-02 256 chars", strings.Repeat("gxqvzmwkpbtrhnlf", 16), false, nil, ""},
		{"AU-02 257 chars", strings.Repeat("gxqvzmwkpbtrhnlf", 16) + "y", false, nil, ReasonTooLong},
		{"AU-02 1 MB", strings.Repeat("gxqvzmwkpbtrhnlf", 1<<16), false, nil, ReasonTooLong},
		{"AU-02 15 code points, 30 bytes", "ĝŝĉĵĥŭéèêëàâîïô", false, nil, ""},
		{"AU-02 8 code points of 4 bytes with MFA", "😀🌵🚲🎻🐙🍋🧭🪁", true, nil, ""},
		{"AU-02 15 NFD é count as 15, not 30", strings.Repeat("ge\u0301", 5) + strings.Repeat("qe\u0301", 5) + "xyzwv", false, nil, ""},
		{"AU-02 8 NFD é count as 8, not 16", strings.Repeat("e\u0301", 4) + "gqxz", false, nil, ReasonTooShort},
		// AU-02: no composition rules.
		{"AU-02 Tr0ub4dor&3 style", "Tr0ub4dor&3xyzzy!", false, nil, ""},
		{"AU-02 Tr0ub4dor&3 with MFA", "Tr0ub4dor&3", true, nil, ""},
		{"AU-02 all lower case", "correcthorsebatterystaple", false, nil, ""},
		{"AU-02 spaces allowed", "correct horse battery staple", false, nil, ""},
		{"AU-02 only digits", "849301275563012", false, nil, ""},
		{"AU-02 non-Latin", "горячий чай с лимоном", false, nil, ""},
		// AU-03: common and breached passwords.
		{"AU-03 password1234567", "password1234567", false, nil, ReasonCommon},
		{"AU-03 listed, 16 chars", "1qaz2wsx3edc4rfv", false, nil, ReasonCommon},
		{"AU-03 listed, 15 chars", "qwertyuiop12345", false, nil, ReasonCommon},
		{"AU-03 listed, any case", "PassWordStandard", false, nil, ReasonCommon},
		{"AU-03 listed, fullwidth", "ｐａｓｓｗｏｒｄｓｔａｎｄａｒｄ", false, nil, ReasonCommon},
		{"AU-03 listed, with MFA", "iloveyou", true, nil, ReasonCommon},
		{"AU-03 listed word plus digits, with MFA", "dragon739", true, nil, ReasonCommon},
		{"AU-03 listed word plus digits and symbols", "Sunshine2468!?!?", false, nil, ReasonCommon},
		{"AU-03 listed word plus punctuation", "Dragon!!!!!!!!!!", false, nil, ReasonCommon},
		{"AU-03 listed word plus repeats", "monkeyyyyyyyyyy", false, nil, ReasonCommon},
		{"AU-03 listed word inside a passphrase is fine", "my monkey eats purple bananas", false, nil, ""},
		{"AU-03 listed number inside a long number is fine", "123456907718242", false, nil, ""},
		// AU-03: context words.
		{"AU-03 clinic name + 2025!!!!!!", "Sunrise2025!!!!!!", false, clinic, ReasonContext},
		{"AU-03 whole clinic name + digit", "SunriseCounseling1", false, clinic, ReasonContext},
		{"AU-03 clinic name with space + digits", "sunrise counseling 2025", false, clinic, ReasonContext},
		{"AU-03 clinic word + short rest", "counselingabc123", false, clinic, ReasonContext},
		{"AU-03 email local part", "jane.doe12345678", false, clinic, ReasonContext},
		{"AU-03 email local part without dot", "JaneDoe!!!!!!!!!", false, clinic, ReasonContext},
		{"AU-03 equals a context word, with MFA", "counseling", true, clinic, ReasonContext},
		{"AU-03 product name always", "Interlude2025!!!!", false, nil, ReasonContext},
		{"AU-03 product name, with MFA", "interlude", true, nil, ReasonContext},
		{"AU-03 product name in fullwidth", "ｉｎｔｅｒｌｕｄｅ２０２５！！！", false, nil, ReasonContext},
		{"AU-03 context word inside a passphrase is fine", "my sunrise walk by the sea", false, clinic, ""},
		{"AU-03 product word inside a passphrase is fine", "a quiet interlude between storms", false, nil, ""},
		{"AU-03 context words under 4 code points ignored", "zed-and-the-moonlit-harbor", false, []string{"Zed"}, ""},
		{"AU-03 short email part ignored", "amyamyamy-walks-far", false, []string{"amy"}, ""},
		{"AU-03 empty context word ignored", "gxqvzmwkpbtrhnl", false, []string{"", "  "}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Check(tt.password, tt.hasMFA, tt.context...)
			if tt.wantReason == "" {
				if err != nil {
					t.Fatalf("got %v, want accepted", err)
				}
				return
			}
			var pe *PasswordError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *PasswordError with reason %q", err, tt.wantReason)
			}
			if pe.Reason != tt.wantReason {
				t.Errorf("got reason %q, want %q", pe.Reason, tt.wantReason)
			}
			if pe.Message == "" || pe.Error() != pe.Message {
				t.Errorf("got message %q and Error() %q, want the same non-empty text", pe.Message, pe.Error())
			}
			if strings.Contains(strings.ToLower(pe.Message), strings.ToLower(tt.password)) {
				t.Errorf("message %q echoes the password", pe.Message)
			}
		})
	}
}

// AU-02: every password the policy accepts can be hashed.
func TestPolicyFitsHashCap(t *testing.T) {
	t.Parallel()
	longest := strings.Repeat("\U0001F335", MaxPasswordLength) // 256 × 4 bytes
	if err := NewPolicy().Check(longest, false); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if got := len(longest); got > MaxPasswordBytes {
		t.Fatalf("got %d bytes, want at most %d", got, MaxPasswordBytes)
	}
	if _, err := HashPassword(TestParams(), longest); err != nil {
		t.Errorf("HashPassword of an accepted password: %v", err)
	}
}

func TestContextWords(t *testing.T) {
	t.Parallel()
	got := contextWords([]string{"  Sunrise Counseling ", "jane.doe+care", "Bob"})
	want := []string{"sunrise counseling", "sunrisecounseling", "jane.doe+care", "janedoecare", "counseling", "interlude", "sunrise", "jane", "care"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, w := range got {
		if utf8.RuneCountInString(w) < minContextWord {
			t.Errorf("got %q, shorter than %d code points", w, minContextWord)
		}
	}
}

// A Policy is shared between requests (run with -race).
func TestPolicyConcurrentUse(t *testing.T) {
	t.Parallel()
	p := NewPolicy()
	for i := range 4 {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			if err := p.Check("password1234567", false); err == nil {
				t.Errorf("goroutine %d: got nil, want an error", i)
			}
		})
	}
}

// FuzzPolicyCheck checks that Check never panics, refuses only with a known
// reason, and accepts only passwords that HashPassword takes (AU-02, AU-04).
func FuzzPolicyCheck(f *testing.F) {
	f.Add("password1234567", "Sunrise Counseling")
	f.Add("Sunrise2025!!!!!!", "Sunrise Counseling")
	f.Add("correct horse battery staple", "")
	f.Add("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1", "\xff")
	p := NewPolicy()
	f.Fuzz(func(t *testing.T, password, context string) {
		err := p.Check(password, true, context)
		if err == nil {
			if _, herr := HashPassword(TestParams(), password); herr != nil {
				t.Errorf("Check accepted %q but HashPassword refused it: %v", password, herr)
			}
			return
		}
		var pe *PasswordError
		if !errors.As(err, &pe) {
			t.Fatalf("got %v, want a *PasswordError", err)
		}
		switch pe.Reason {
		case ReasonTooShort, ReasonTooLong, ReasonCommon, ReasonContext:
		default:
			t.Errorf("got unknown reason %q", pe.Reason)
		}
	})
}
