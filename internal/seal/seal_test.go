package seal

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// newTestKeyring creates a keyring file in a temporary directory.
func newTestKeyring(t *testing.T) (*Keyring, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keyring")
	kr, created, err := LoadOrCreate(path)
	if err != nil {
		t.Fatalf("LoadOrCreate: %v", err)
	}
	if !created {
		t.Fatalf("LoadOrCreate of a new path: created = false")
	}
	return kr, path
}

func newTestDataKey(t *testing.T, kr *Keyring, owner string) (DataKey, []byte) {
	t.Helper()
	dk, wrapped, err := kr.NewDataKey(owner)
	if err != nil {
		t.Fatalf("NewDataKey(%q): %v", owner, err)
	}
	return dk, wrapped
}

func wrapVersion(t *testing.T, wrapped []byte) int {
	t.Helper()
	v, err := WrapVersion(wrapped)
	if err != nil {
		t.Fatalf("WrapVersion: %v", err)
	}
	return v
}

var testField = Field{
	Clinic: "clinic-1",
	Client: "client-1",
	Table:  "journal_entries",
	Column: "body",
	Row:    "row-1",
}

// EN-01, EN-02: a new keyring file is private, and loading it again gives
// the same keys.
func TestLoadOrCreate(t *testing.T) {
	t.Parallel()
	kr, path := newTestKeyring(t)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("got mode %v, want 0600", got)
	}
	if got := kr.Current(); got != 1 {
		t.Errorf("got Current %d, want 1", got)
	}
	if got := kr.Versions(); !slices.Equal(got, []int{1}) {
		t.Errorf("got Versions %v, want [1]", got)
	}

	again, created, err := LoadOrCreate(path)
	if err != nil {
		t.Fatalf("LoadOrCreate again: %v", err)
	}
	if created {
		t.Errorf("LoadOrCreate of an existing file: created = true")
	}
	if got, want := again.Index("email", "a@b.org"), kr.Index("email", "a@b.org"); got != want {
		t.Errorf("reloaded Index = %s, want %s", got, want)
	}
	dk, wrapped := newTestDataKey(t, kr, "client-1")
	dk2, err := again.Unwrap("client-1", wrapped)
	if err != nil {
		t.Fatalf("reloaded keyring cannot unwrap: %v", err)
	}
	if _, err := dk2.Open(testField, dk.Seal(testField, []byte("x"))); err != nil {
		t.Errorf("reloaded data key cannot open: %v", err)
	}
}

func TestLoadOrCreateMissingDir(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "no-such-dir", "keyring")
	if _, _, err := LoadOrCreate(path); err == nil {
		t.Fatalf("LoadOrCreate in a missing directory: no error")
	}
}

func TestSealRoundTrip(t *testing.T) {
	t.Parallel()
	kr, _ := newTestKeyring(t)
	dk, _ := newTestDataKey(t, kr, "client-1")
	tests := []struct {
		name      string
		plaintext []byte
	}{
		{"empty", nil},
		{"short", []byte("I slept badly again.")},
		{"unicode", []byte("Ich fühle mich besser 😊")},
		{"binary", []byte{0, 1, 2, 0xff, 0xfe}},
		{"large", bytes.Repeat([]byte("journal "), 1<<16)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed := dk.Seal(testField, tt.plaintext)
			if got, want := len(sealed), 1+12+len(tt.plaintext)+16; got != want {
				t.Errorf("got %d sealed bytes, want %d", got, want)
			}
			if sealed[0] != 1 {
				t.Errorf("got format byte %d, want 1", sealed[0])
			}
			if len(tt.plaintext) >= 8 && bytes.Contains(sealed, tt.plaintext) {
				t.Errorf("sealed value contains the plaintext")
			}
			got, err := dk.Open(testField, sealed)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Errorf("got %q, want %q", got, tt.plaintext)
			}
		})
	}
}

// EN-03: a random nonce per seal, so equal plaintexts give unequal output.
func TestSealTwiceDiffersEN03(t *testing.T) {
	t.Parallel()
	kr, _ := newTestKeyring(t)
	dk, _ := newTestDataKey(t, kr, "client-1")
	a := dk.Seal(testField, []byte("same words"))
	b := dk.Seal(testField, []byte("same words"))
	if bytes.Equal(a, b) {
		t.Fatalf("two seals of the same plaintext are equal")
	}
	if bytes.Equal(a[1:13], b[1:13]) {
		t.Errorf("two seals share a nonce")
	}
}

// IN-01: flipping any bit, cutting or extending a sealed value fails with
// ErrIntegrity.
func TestOpenTamperedIN01(t *testing.T) {
	t.Parallel()
	kr, _ := newTestKeyring(t)
	dk, _ := newTestDataKey(t, kr, "client-1")
	sealed := dk.Seal(testField, []byte("PHICANARY note"))

	for bit := range len(sealed) * 8 {
		bad := slices.Clone(sealed)
		bad[bit/8] ^= 1 << (bit % 8)
		if _, err := dk.Open(testField, bad); !errors.Is(err, ErrIntegrity) {
			t.Errorf("bit %d flipped: got error %v, want ErrIntegrity", bit, err)
		}
	}
	for n := range len(sealed) {
		if _, err := dk.Open(testField, sealed[:n]); !errors.Is(err, ErrIntegrity) {
			t.Errorf("cut to %d bytes: got error %v, want ErrIntegrity", n, err)
		}
	}
	if _, err := dk.Open(testField, append(slices.Clone(sealed), 0)); !errors.Is(err, ErrIntegrity) {
		t.Errorf("one byte added: got error %v, want ErrIntegrity", err)
	}
}

// IN-01: a value sealed for one field does not open in any other field, nor
// under another owner's data key.
func TestOpenElsewhereIN01(t *testing.T) {
	t.Parallel()
	kr, _ := newTestKeyring(t)
	dk, _ := newTestDataKey(t, kr, "client-1")
	other, _ := newTestDataKey(t, kr, "client-2")
	sealed := dk.Seal(testField, []byte("PHICANARY note"))

	with := func(change func(*Field)) Field {
		f := testField
		change(&f)
		return f
	}
	tests := []struct {
		name  string
		key   DataKey
		field Field
	}{
		{"other table", dk, with(func(f *Field) { f.Table = "messages" })},
		{"other column", dk, with(func(f *Field) { f.Column = "tags" })},
		{"other row", dk, with(func(f *Field) { f.Row = "row-2" })},
		{"other clinic", dk, with(func(f *Field) { f.Clinic = "clinic-2" })},
		{"other client", dk, with(func(f *Field) { f.Client = "client-2" })},
		{"no client", dk, with(func(f *Field) { f.Client = "" })},
		{"boundary moved", dk, with(func(f *Field) { f.Table, f.Column = "journal_entriesb", "ody" })},
		{"members swapped", dk, with(func(f *Field) { f.Clinic, f.Client = f.Client, f.Clinic })},
		{"other owner's key", other, testField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.key.Open(tt.field, sealed)
			if !errors.Is(err, ErrIntegrity) {
				t.Fatalf("got error %v, want ErrIntegrity", err)
			}
			if got != nil {
				t.Errorf("got plaintext %q with the error", got)
			}
			if strings.Contains(err.Error(), "PHICANARY") {
				t.Errorf("error %q shows the content", err)
			}
		})
	}
}

// EN-05: the owner is bound into the wrap, so a wrapped key copied to another
// owner's row does not unwrap.
func TestUnwrapOtherOwner(t *testing.T) {
	t.Parallel()
	kr, _ := newTestKeyring(t)
	_, wrapped := newTestDataKey(t, kr, "client-1")
	if got := len(wrapped); got != 65 {
		t.Errorf("got %d wrapped bytes, want 65", got)
	}
	if _, err := kr.Unwrap("client-2", wrapped); !errors.Is(err, ErrIntegrity) {
		t.Errorf("Unwrap for another owner: got error %v, want ErrIntegrity", err)
	}
	if _, _, err := kr.Rewrap("client-2", wrapped); !errors.Is(err, ErrIntegrity) {
		t.Errorf("Rewrap for another owner: got error %v, want ErrIntegrity", err)
	}
	for bit := range len(wrapped) * 8 {
		bad := slices.Clone(wrapped)
		bad[bit/8] ^= 1 << (bit % 8)
		_, err := kr.Unwrap("client-1", bad)
		if !errors.Is(err, ErrIntegrity) && !errors.Is(err, ErrUnknownVersion) {
			t.Errorf("bit %d flipped: got error %v, want ErrIntegrity or ErrUnknownVersion", bit, err)
		}
	}
}

func TestEmptyOwner(t *testing.T) {
	t.Parallel()
	kr, _ := newTestKeyring(t)
	if _, _, err := kr.NewDataKey(""); err == nil {
		t.Errorf("NewDataKey with no owner: no error")
	}
	_, wrapped := newTestDataKey(t, kr, "client-1")
	if _, err := kr.Unwrap("", wrapped); err == nil {
		t.Errorf("Unwrap with no owner: no error")
	}
}

// EN-02: after rotation new wraps carry the new version, old wraps still
// unwrap, Rewrap moves them to the new version with the same data key, and
// the file reloads to the same keyring.
func TestRotateEN02(t *testing.T) {
	t.Parallel()
	kr, path := newTestKeyring(t)
	dk, oldWrap := newTestDataKey(t, kr, "client-1")
	sealed := dk.Seal(testField, []byte("before rotation"))
	indexBefore := kr.Index("email", "a@b.org")

	v, err := kr.Rotate(path)
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if v != 2 || kr.Current() != 2 {
		t.Errorf("got Rotate %d and Current %d, want 2 and 2", v, kr.Current())
	}
	if got := kr.Versions(); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("got Versions %v, want [1 2]", got)
	}
	if got := kr.Index("email", "a@b.org"); got != indexBefore {
		t.Errorf("Index changed on rotation")
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("got mode %v after Rotate, want 0600", got)
	}

	_, newWrap := newTestDataKey(t, kr, "client-2")
	if got := wrapVersion(t, newWrap); got != 2 {
		t.Errorf("new wrap has version %d, want 2", got)
	}
	if got := wrapVersion(t, oldWrap); got != 1 {
		t.Errorf("old wrap has version %d, want 1", got)
	}

	opens := func(kr *Keyring, wrapped []byte) {
		t.Helper()
		dk, err := kr.Unwrap("client-1", wrapped)
		if err != nil {
			t.Fatalf("Unwrap: %v", err)
		}
		if got, err := dk.Open(testField, sealed); err != nil || string(got) != "before rotation" {
			t.Errorf("got %q, %v; want the sealed value", got, err)
		}
	}
	opens(kr, oldWrap)

	rewrapped, changed, err := kr.Rewrap("client-1", oldWrap)
	if err != nil || !changed {
		t.Fatalf("Rewrap of a version 1 wrap: changed=%v, err=%v", changed, err)
	}
	if got := wrapVersion(t, rewrapped); got != 2 {
		t.Errorf("rewrapped key has version %d, want 2", got)
	}
	opens(kr, rewrapped)
	same, changed, err := kr.Rewrap("client-1", rewrapped)
	if err != nil || changed || !bytes.Equal(same, rewrapped) {
		t.Errorf("Rewrap of a current wrap: changed=%v, err=%v, same bytes=%v", changed, err, bytes.Equal(same, rewrapped))
	}

	reloaded, created, err := LoadOrCreate(path)
	if err != nil || created {
		t.Fatalf("LoadOrCreate after Rotate: created=%v, err=%v", created, err)
	}
	if got, want := reloaded.Versions(), kr.Versions(); !slices.Equal(got, want) {
		t.Errorf("reloaded Versions %v, want %v", got, want)
	}
	if got := reloaded.Current(); got != 2 {
		t.Errorf("reloaded Current %d, want 2", got)
	}
	if got := reloaded.Index("email", "a@b.org"); got != indexBefore {
		t.Errorf("reloaded Index differs")
	}
	opens(reloaded, oldWrap)
	opens(reloaded, rewrapped)

	if v, err := reloaded.Rotate(path); err != nil || v != 3 {
		t.Errorf("second Rotate: got %d, %v; want 3", v, err)
	}
	left, err := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*"))
	if err != nil || len(left) != 0 {
		t.Errorf("temporary files left behind: %v %v", left, err)
	}
}

// Rotate must not overwrite a key another process added to the file.
func TestRotateRefusesChangedFile(t *testing.T) {
	t.Parallel()
	a, path := newTestKeyring(t)
	b, _, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Rotate(path); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	_, wrapped := newTestDataKey(t, a, "client-1")
	if _, err := b.Rotate(path); err == nil {
		t.Fatalf("Rotate of a stale keyring: no error")
	}
	if got := b.Current(); got != 1 {
		t.Errorf("stale keyring changed to version %d after a failed Rotate", got)
	}
	reloaded, _, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reloaded.Unwrap("client-1", wrapped); err != nil {
		t.Errorf("the file lost version 2: %v", err)
	}
}

// EN-02: a wrapped key that names a missing master version gives
// ErrUnknownVersion, not a panic.
func TestUnknownVersionEN02(t *testing.T) {
	t.Parallel()
	kr, path := newTestKeyring(t)
	old := filepath.Join(filepath.Dir(path), "keyring-before-rotation")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(old, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Rotate(path); err != nil {
		t.Fatal(err)
	}
	stale, _, err := LoadOrCreate(old)
	if err != nil {
		t.Fatal(err)
	}
	_, wrapped := newTestDataKey(t, kr, "client-1")
	forged := slices.Clone(wrapped)
	forged[4] = 7 // version 7

	tests := []struct {
		name    string
		kr      *Keyring
		wrapped []byte
		want    string
	}{
		{"keyring from before rotation", stale, wrapped, "master key version 2 is not in the keyring"},
		{"version never made", kr, forged, "master key version 7 is not in the keyring"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.kr.Unwrap("client-1", tt.wrapped)
			if !errors.Is(err, ErrUnknownVersion) {
				t.Fatalf("Unwrap: got error %v, want ErrUnknownVersion", err)
			}
			if err.Error() != tt.want {
				t.Errorf("got message %q, want %q", err, tt.want)
			}
			if _, _, err := tt.kr.Rewrap("client-1", tt.wrapped); !errors.Is(err, ErrUnknownVersion) {
				t.Errorf("Rewrap: got error %v, want ErrUnknownVersion", err)
			}
		})
	}
}

func TestWrapVersionMalformed(t *testing.T) {
	t.Parallel()
	kr, _ := newTestKeyring(t)
	_, wrapped := newTestDataKey(t, kr, "client-1")
	otherFormat := slices.Clone(wrapped)
	otherFormat[0] = 2
	for name, in := range map[string][]byte{
		"nil":          nil,
		"short":        wrapped[:64],
		"long":         append(slices.Clone(wrapped), 0),
		"other format": otherFormat,
	} {
		if _, err := WrapVersion(in); !errors.Is(err, ErrIntegrity) {
			t.Errorf("%s: got error %v, want ErrIntegrity", name, err)
		}
	}
}

// EN-01: the keyring file must be private to its owner.
func TestLoadRefusesOpenPermissions(t *testing.T) {
	t.Parallel()
	_, path := newTestKeyring(t)
	for _, mode := range []fs.FileMode{0o644, 0o640, 0o604, 0o620, 0o602, 0o660, 0o700 | 0o007} {
		t.Run(mode.String(), func(t *testing.T) {
			if err := os.Chmod(path, mode); err != nil {
				t.Fatal(err)
			}
			_, _, err := LoadOrCreate(path)
			want := fmt.Sprintf("keyring file %s must not be readable by others (chmod 600)", path)
			if err == nil || err.Error() != want {
				t.Errorf("got error %v, want %q", err, want)
			}
		})
	}
	for _, mode := range []fs.FileMode{0o600, 0o400} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if _, _, err := LoadOrCreate(path); err != nil {
			t.Errorf("mode %v: %v", mode, err)
		}
	}
}

// EN-01: a malformed file is refused with its path and line number, and the
// error quotes nothing from the file.
func TestLoadMalformed(t *testing.T) {
	t.Parallel()
	key := func(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }
	short := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 31))
	good := "# keyring\nindex " + key(1) + "\nmaster 1 " + key(2) + "\n"
	tests := []struct {
		name     string
		contents string
		want     string
	}{
		{"unknown entry", good + "bogus entry\n", "line 4:"},
		{"bare key", good + key(3) + "\n", "line 4:"},
		{"master key not base64", good + "master 2 " + key(3)[1:] + "!\n", "line 4:"},
		{"master key 31 bytes", good + "master 2 " + short + "\n", "line 4:"},
		{"master key unpadded", good + "master 2 " + strings.TrimRight(key(3), "=") + "\n", "line 4:"},
		{"version zero", good + "master 0 " + key(3) + "\n", "line 4:"},
		{"version negative", good + "master -2 " + key(3) + "\n", "line 4:"},
		{"version not a number", good + "master two " + key(3) + "\n", "line 4:"},
		{"version too large", good + "master 4294967296 " + key(3) + "\n", "line 4:"},
		{"version twice", good + "\n\nmaster 1 " + key(3) + "\n", "line 6:"},
		{"second index", good + "index " + key(3) + "\n", "line 4:"},
		{"extra field", good + "master 2 " + key(3) + " " + key(4) + "\n", "line 4:"},
		{"index key 31 bytes", "index " + short + "\nmaster 1 " + key(2) + "\n", "line 1:"},
		{"no index", "master 1 " + key(2) + "\n", "has no index entry"},
		{"no master", "index " + key(1) + "\n", "has no master entry"},
		{"empty", "", "has no index entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keyring")
			if err := os.WriteFile(path, []byte(tt.contents), 0o600); err != nil {
				t.Fatal(err)
			}
			_, created, err := LoadOrCreate(path)
			if err == nil || created {
				t.Fatalf("got created=%v, err=%v; want an error", created, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, path) || !strings.Contains(msg, tt.want) {
				t.Errorf("got %q, want the path and %q", msg, tt.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q has more than one line", msg)
			}
			for _, word := range strings.Fields(tt.contents) {
				for i := 0; i+8 <= len(word); i++ {
					if part := word[i : i+8]; strings.Contains(msg, part) {
						t.Fatalf("error %q quotes %q from the file", msg, part)
					}
				}
			}
		})
	}
}

// Blind indexes: keyed, deterministic, separated by kind, stable across loads.
func TestIndex(t *testing.T) {
	t.Parallel()
	kr, _ := newTestKeyring(t)
	other, _ := newTestKeyring(t)
	a := kr.Index("email", "a@b.org")
	if len(a) != 64 {
		t.Errorf("got %d hex digits, want 64", len(a))
	}
	if _, err := hex.DecodeString(a); err != nil {
		t.Errorf("Index is not hex: %v", err)
	}
	if kr.Index("email", "a@b.org") != a {
		t.Errorf("Index is not deterministic")
	}
	differ := []struct {
		name string
		got  string
	}{
		{"other kind", kr.Index("name", "a@b.org")},
		{"other value", kr.Index("email", "c@b.org")},
		{"other keyring", other.Index("email", "a@b.org")},
		{"boundary moved", kr.Index("emaila", "@b.org")},
		{"empty kind", kr.Index("", "email"+"a@b.org")},
	}
	for _, d := range differ {
		if d.got == a {
			t.Errorf("%s: Index is equal", d.name)
		}
	}
}

// Keys must never reach output: fmt in every common verb, log/slog, or fmt
// reaching a key by reflection through another struct.
func TestNoKeyBytesInOutput(t *testing.T) {
	t.Parallel()
	kr, path := newTestKeyring(t)
	if _, err := kr.Rotate(path); err != nil {
		t.Fatal(err)
	}
	dk, wrapped := newTestDataKey(t, kr, "client-1")
	s := kr.state.Load()
	dkRaw, _, err := s.unwrap("client-1", wrapped)
	if err != nil {
		t.Fatal(err)
	}
	secrets := [][]byte{s.index, s.masters[1].raw, s.masters[2].raw, dkRaw}

	type holder struct {
		kr *Keyring
		dk DataKey
		Kr *Keyring
		Dk DataKey
	}
	h := holder{kr, dk, kr, dk}
	var outputs []string
	for _, v := range []any{kr, dk, &dk, h, &h} {
		outputs = append(outputs, fmt.Sprintf("%v %+v %#v %s %x %X %q %d", v, v, v, v, v, v, v, v))
	}
	outputs = append(outputs, kr.String(), dk.String(), fmt.Sprint(kr, dk), fmt.Sprintln(kr, dk))
	var buf bytes.Buffer
	for _, handler := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		log := slog.New(handler)
		log.Info("keys", "keyring", kr, "datakey", dk, "holder", h)
		log.Info("keys", slog.Any("keyring", kr), slog.Any("datakey", dk))
	}
	outputs = append(outputs, buf.String())

	if !strings.Contains(kr.String(), "REDACTED") || !strings.Contains(dk.String(), "REDACTED") {
		t.Errorf("String does not say REDACTED: %s, %s", kr, dk)
	}
	if !strings.Contains(kr.String(), "[1 2]") {
		t.Errorf("Keyring.String does not show its versions: %s", kr)
	}
	for _, out := range outputs {
		for i, secret := range secrets {
			forms := []string{
				string(secret),
				hex.EncodeToString(secret),
				strings.ToUpper(hex.EncodeToString(secret)),
				base64.StdEncoding.EncodeToString(secret),
				base64.RawStdEncoding.EncodeToString(secret),
				base64.URLEncoding.EncodeToString(secret),
				base64.RawURLEncoding.EncodeToString(secret),
				fmt.Sprint(secret), //nolint:staticcheck // QF1010: the form checked here is the list of bytes, [12 34 ...]; string(secret) is the first form
				fmt.Sprintf("%q", secret),
			}
			for _, form := range forms {
				if strings.Contains(out, form) {
					t.Errorf("secret %d appears in output %q", i, out)
				}
			}
		}
	}
}

func TestZeroDataKey(t *testing.T) {
	t.Parallel()
	var dk DataKey
	if _, err := dk.Open(testField, []byte{1}); err == nil || errors.Is(err, ErrIntegrity) {
		t.Errorf("Open with the zero DataKey: got %v, want a non-integrity error", err)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("Seal with the zero DataKey did not panic")
		}
	}()
	dk.Seal(testField, []byte("x"))
}

// Rotation must not disturb concurrent use (run with -race).
func TestConcurrentUseDuringRotate(t *testing.T) {
	t.Parallel()
	kr, path := newTestKeyring(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			owner := fmt.Sprintf("client-%d", g)
			for range 50 {
				dk, wrapped, err := kr.NewDataKey(owner)
				if err != nil {
					t.Error(err)
					return
				}
				again, err := kr.Unwrap(owner, wrapped)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := again.Open(testField, dk.Seal(testField, []byte("x"))); err != nil {
					t.Error(err)
				}
				if _, _, err := kr.Rewrap(owner, wrapped); err != nil {
					t.Error(err)
				}
				kr.Index("email", owner)
				_ = kr.String()
			}
		})
	}
	for range 5 {
		if _, err := kr.Rotate(path); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if got := kr.Versions(); !slices.Equal(got, []int{1, 2, 3, 4, 5, 6}) {
		t.Errorf("got Versions %v, want 1 to 6", got)
	}
}

// Fixed keys for the fuzz tests, so every fuzz worker process shares them
// and a seed made in one opens in another.
func fixedKeyring(t testing.TB) (*Keyring, []byte) {
	t.Helper()
	key := func(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }
	s, err := parse("fixed", []byte("index "+key(1)+"\nmaster 1 "+key(2)+"\nmaster 3 "+key(3)+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	kr := &Keyring{}
	kr.state.Store(s)
	return kr, bytes.Repeat([]byte{4}, 32)
}

// IN-01: random or mutated sealed bytes never panic and never open, except a
// genuine seal of the one known plaintext.
func FuzzOpen(f *testing.F) {
	_, raw := fixedKeyring(f)
	dk, err := newDataKey(raw)
	if err != nil {
		f.Fatal(err)
	}
	known := []byte("PHICANARY journal entry")
	valid := dk.Seal(testField, known)
	f.Add(valid)
	f.Add(dk.Seal(testField, nil))
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add(valid[:28])
	f.Add(valid[:29])
	f.Add(append([]byte{2}, valid[1:]...))
	f.Fuzz(func(t *testing.T, sealed []byte) {
		got, err := dk.Open(testField, sealed)
		if err != nil {
			if !errors.Is(err, ErrIntegrity) {
				t.Fatalf("got error %v, want ErrIntegrity", err)
			}
			if got != nil {
				t.Fatalf("got plaintext with an error")
			}
			return
		}
		if !bytes.Equal(got, known) && len(got) != 0 {
			t.Fatalf("opened forged input %x to %q", sealed, got)
		}
	})
}

// EN-02: random or mutated wrapped keys and owners never panic, give only the
// documented errors, and never unwrap except for the genuine owner.
func FuzzUnwrap(f *testing.F) {
	kr, raw := fixedKeyring(f)
	dk, err := newDataKey(raw)
	if err != nil {
		f.Fatal(err)
	}
	sealed := dk.Seal(testField, []byte("x"))
	s := kr.state.Load()
	valid := s.wrap("client-1", raw)
	version2 := slices.Clone(valid)
	version2[4] = 2
	f.Add("client-1", valid)
	f.Add("client-2", valid)
	f.Add("", valid)
	f.Add("client-1", version2)
	f.Add("client-1", valid[:64])
	f.Add("client-1", []byte{})
	f.Fuzz(func(t *testing.T, owner string, wrapped []byte) {
		_, _ = WrapVersion(wrapped)
		_, _, rerr := kr.Rewrap(owner, wrapped)
		got, err := kr.Unwrap(owner, wrapped)
		if (err == nil) != (rerr == nil) {
			t.Fatalf("Unwrap error %v but Rewrap error %v", err, rerr)
		}
		if err != nil {
			if !errors.Is(err, ErrIntegrity) && !errors.Is(err, ErrUnknownVersion) && owner != "" {
				t.Fatalf("got error %v, want ErrIntegrity or ErrUnknownVersion", err)
			}
			return
		}
		if owner != "client-1" {
			t.Fatalf("unwrapped for owner %q", owner)
		}
		if _, err := got.Open(testField, sealed); err != nil {
			t.Fatalf("unwrapped a different key: %v", err)
		}
	})
}

// #17: a keyring another process rotated follows its file. Data keys
// wrapped under the new version unwrap, and the keys it makes afterwards
// are wrapped under the new version.
func TestReloadAfterRotationElsewhere(t *testing.T) {
	t.Parallel()
	server, path := newTestKeyring(t)
	_, before := newTestDataKey(t, server, "client-1")
	rotator, _, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rotator.Rotate(path); err != nil {
		t.Fatal(err)
	}
	rewrapped, _, err := rotator.Rewrap("client-1", before)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.Unwrap("client-1", rewrapped); err != nil {
		t.Fatalf("Unwrap of a key rewrapped by another process: %v", err)
	}
	if got := server.Current(); got != 2 {
		t.Errorf("after the reload the current version is %d, want 2", got)
	}

	// NewDataKey alone takes a rotation too: nothing needs to fail first.
	if _, err := rotator.Rotate(path); err != nil {
		t.Fatal(err)
	}
	_, w, err := server.NewDataKey("client-2")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := WrapVersion(w); err != nil || v != 3 {
		t.Errorf("a data key made after another process's rotation is on version %d (%v), want 3", v, err)
	}
}

// #17: a data key on a version the file does not hold either does not make
// each Unwrap read the file: it is read again only when it changed. The
// test overwrites the file in place with garbage of the same size and
// modification time: a keyring that read it would fail to parse it.
func TestReloadOnlyWhenTheFileChanged(t *testing.T) {
	t.Parallel()
	kr, path := newTestKeyring(t)
	_, wrapped := newTestDataKey(t, kr, "client-1")
	forged := slices.Clone(wrapped)
	forged[4] = 9
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(bytes.Repeat([]byte("x"), int(info.Size()))); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_, err := kr.Unwrap("client-1", forged)
		if !errors.Is(err, ErrUnknownVersion) || err.Error() != "master key version 9 is not in the keyring" {
			t.Fatalf("Unwrap of version 9: %v, want only ErrUnknownVersion (the unchanged file not read)", err)
		}
	}
	if _, err := kr.Unwrap("client-1", wrapped); err != nil {
		t.Errorf("a good key after the misses: %v", err)
	}
}

// #17: a key file that lost a version already loaded, or was replaced by
// another keyring, is not taken: the keys in memory stay, and the error
// says why without key material.
func TestReloadRefusesLostKeys(t *testing.T) {
	t.Parallel()
	kr, path := newTestKeyring(t)
	_, wrapped := newTestDataKey(t, kr, "client-1")
	other := filepath.Join(t.TempDir(), "other")
	if _, _, err := LoadOrCreate(other); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	if err := replaceFile(path, data); err != nil {
		t.Fatal(err)
	}
	forged := slices.Clone(wrapped)
	forged[4] = 2
	_, err = kr.Unwrap("client-1", forged)
	if !errors.Is(err, ErrUnknownVersion) || !strings.Contains(err.Error(), "keeping the keys loaded") {
		t.Errorf("Unwrap after the file was replaced: %v, want ErrUnknownVersion and the refused reload", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.Contains(err.Error(), f[len(f)-1]) {
			t.Errorf("the error holds key material: %v", err)
		}
	}
	if _, err := kr.Unwrap("client-1", wrapped); err != nil {
		t.Errorf("the keys loaded no longer unwrap: %v", err)
	}
}

// #17: many requests meet the new version at once; one reads the file and
// every one of them unwraps.
func TestReloadConcurrentMisses(t *testing.T) {
	t.Parallel()
	server, path := newTestKeyring(t)
	rotator, _, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rotator.Rotate(path); err != nil {
		t.Fatal(err)
	}
	_, wrapped := newTestDataKey(t, rotator, "client-1")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := server.Unwrap("client-1", wrapped)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a concurrent Unwrap of a version 2 key: %v", err)
		}
	}
}
