package seal

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
)

// ErrIntegrity is wrapped by every error from DataKey.Open, and by Unwrap's
// errors for a wrapped key that is malformed or fails to authenticate. It
// means the value was modified, moved to another field or owner, or opened
// with the wrong key: an integrity incident to alert on and audit (IN-01),
// never a value to show as empty.
var ErrIntegrity = errors.New("sealed value failed its integrity check")

// ErrUnknownVersion is wrapped by the error Unwrap and Rewrap return when a
// wrapped data key names a master key version the keyring lacks (EN-02).
// The error's text is "master key version N is not in the keyring".
var ErrUnknownVersion = errors.New("master key version is not in the keyring")

type unknownVersionError struct{ version int }

func (e unknownVersionError) Error() string {
	return fmt.Sprintf("master key version %d is not in the keyring", e.version)
}

func (e unknownVersionError) Unwrap() error { return ErrUnknownVersion }

var errNoOwner = errors.New("seal: data key owner is empty")

// Wrapped data key layout: format(1) | master version(4, big-endian) |
// nonce(12) | encrypted key(32) | tag(16).
const (
	wrapFormat  = 1
	wrapHeader  = 1 + 4
	wrappedSize = wrapHeader + 12 + keySize + 16
)

// wrapDomain starts the associated data of every wrapped data key.
const wrapDomain = "interlude data key v1"

// Sealed value layout: format(1) | nonce(12) | ciphertext | tag(16).
const sealFormat = 1

// DataKey is one owner's 256-bit data key, ready to seal and open fields.
// An owner is a client, or a clinic for staff secrets. Get one from
// NewDataKey or Unwrap; the zero DataKey is unusable. It never prints its
// key: String, LogValue and Format redact it.
type DataKey struct {
	// aead holds the key. Behind an interface, it prints as an address even
	// when fmt reaches it by reflection through an unexported field.
	aead cipher.AEAD
}

// NewDataKey makes a random data key for owner and returns it with its
// wrapped form, encrypted under the current master key version. Store only
// the wrapped form. owner is bound into the wrap, so a wrapped key copied to
// another owner fails to unwrap. An empty owner is an error.
func (k *Keyring) NewDataKey(owner string) (DataKey, []byte, error) {
	if owner == "" {
		return DataKey{}, nil, errNoOwner
	}
	raw := newKey()
	dk, err := newDataKey(raw)
	if err != nil {
		return DataKey{}, nil, err
	}
	// A rotation by another process makes a new current version: wrap
	// under it. If the file cannot be read again, the keys loaded still
	// wrap, and the next rotation rewraps what they wrapped.
	k.Reload() //nolint:errcheck // see above
	return dk, k.state.Load().wrap(owner, raw), nil
}

// Unwrap decrypts a wrapped data key of owner. The error wraps
// ErrUnknownVersion if the keyring lacks the master version the key was
// wrapped under, and ErrIntegrity if the wrapped key is malformed, was
// modified or belongs to another owner. An empty owner is an error.
func (k *Keyring) Unwrap(owner string, wrapped []byte) (DataKey, error) {
	s := k.state.Load()
	raw, _, err := s.unwrap(owner, wrapped)
	if errors.Is(err, ErrUnknownVersion) {
		// Another process may have rotated: the key file has the version.
		// Reload reads the file only if it changed (see Keyring); a
		// concurrent call may have reloaded it already.
		if _, rerr := k.Reload(); rerr != nil {
			return DataKey{}, errors.Join(err, rerr)
		}
		if now := k.state.Load(); now != s {
			raw, _, err = now.unwrap(owner, wrapped)
		}
	}
	if err != nil {
		return DataKey{}, err
	}
	return newDataKey(raw)
}

// Rewrap returns wrapped re-encrypted under the current master key version,
// with changed=true. If wrapped already uses the current version it returns
// wrapped itself and changed=false. The data key inside does not change, so
// values sealed under it need no work (EN-02). Errors are Unwrap's.
func (k *Keyring) Rewrap(owner string, wrapped []byte) (rewrapped []byte, changed bool, err error) {
	s := k.state.Load()
	raw, v, err := s.unwrap(owner, wrapped)
	if err != nil {
		return nil, false, err
	}
	if v == s.current() {
		return wrapped, false, nil
	}
	return s.wrap(owner, raw), true, nil
}

// WrapVersion returns the master key version a wrapped data key uses, so a
// re-wrap job can find keys still on an old version. A malformed input gives
// an error that wraps ErrIntegrity.
func WrapVersion(wrapped []byte) (int, error) {
	if len(wrapped) != wrappedSize || wrapped[0] != wrapFormat {
		return 0, fmt.Errorf("wrapped data key is malformed: %w", ErrIntegrity)
	}
	v := binary.BigEndian.Uint32(wrapped[1:wrapHeader])
	if v > math.MaxInt32 {
		// parse never accepts such a version, and int may be 32 bits.
		return 0, fmt.Errorf("wrapped data key is malformed: %w", ErrIntegrity)
	}
	return int(v), nil
}

// wrap encrypts raw for owner under the current master key version.
func (s *keyState) wrap(owner string, raw []byte) []byte {
	v := s.current()
	out := make([]byte, wrapHeader, wrappedSize)
	out[0] = wrapFormat
	binary.BigEndian.PutUint32(out[1:], uint32(v))
	// A nil nonce is how cipher.NewGCMWithRandomNonce (newAEAD) is used: it
	// draws a fresh random 96-bit nonce for every Seal and writes it before
	// the ciphertext, so a master key safely wraps many data keys (up to
	// the 2^32 bound of random nonces).
	return s.masters[v].aead.Seal(out, nil, raw, wrapAD(owner)) //nolint:gosec // G407: the nonce is random, not fixed; see above
}

// unwrap returns the raw data key inside wrapped and its master version.
func (s *keyState) unwrap(owner string, wrapped []byte) ([]byte, int, error) {
	if owner == "" {
		return nil, 0, errNoOwner
	}
	v, err := WrapVersion(wrapped)
	if err != nil {
		return nil, 0, err
	}
	m, ok := s.masters[v]
	if !ok {
		return nil, 0, unknownVersionError{v}
	}
	raw, err := m.aead.Open(nil, nil, wrapped[wrapHeader:], wrapAD(owner))
	if err != nil {
		return nil, 0, fmt.Errorf("unwrap data key: %w", ErrIntegrity)
	}
	return raw, v, nil
}

func wrapAD(owner string) []byte {
	return lengthPrefixed([]byte(wrapDomain), owner)
}

func newDataKey(raw []byte) (DataKey, error) {
	aead, err := newAEAD(raw)
	if err != nil {
		return DataKey{}, err
	}
	return DataKey{aead: aead}, nil
}

// Field names the place a sealed value lives. All of it is bound as
// associated data, so a value sealed for one field opens only there (IN-01).
type Field struct {
	Clinic string // the tenant
	Client string // the client the value is about; empty for staff secrets
	Table  string // for example "journal_entries"
	Column string // for example "body"
	Row    string // the row's id
}

// ad returns the associated data for f: a length-prefixed encoding of the
// format tag and every member, so no two fields share it.
func (f Field) ad() []byte {
	return lengthPrefixed(nil, "v1", f.Table, f.Column, f.Row, f.Clinic, f.Client)
}

// Seal encrypts plaintext for field f with AES-256-GCM and a random 96-bit
// nonce, so sealing the same plaintext twice gives different output (EN-03).
// The output is a format byte (1), the nonce, then the ciphertext and tag.
// Keep a data key under 2^32 seals, the bound for random nonces.
// Seal panics on the zero DataKey.
func (d DataKey) Seal(f Field, plaintext []byte) []byte {
	if d.aead == nil {
		panic("seal: Seal with the zero DataKey")
	}
	out := make([]byte, 1, 1+d.aead.Overhead()+len(plaintext))
	out[0] = sealFormat
	// nil: the AEAD draws the random nonce itself (cipher.NewGCMWithRandomNonce).
	return d.aead.Seal(out, nil, plaintext, f.ad()) //nolint:gosec // G407: the nonce is random, not fixed; see above
}

// Open decrypts a value Seal made for field f. Every failure (wrong key,
// wrong field, a changed byte, short input, unknown format) gives an error
// that wraps ErrIntegrity and says nothing about the content. The zero
// DataKey gives a different error: it is a bug, not an incident.
func (d DataKey) Open(f Field, sealed []byte) ([]byte, error) {
	if d.aead == nil {
		return nil, errors.New("seal: Open with the zero DataKey")
	}
	if len(sealed) == 0 || sealed[0] != sealFormat {
		return nil, fmt.Errorf("open %s.%s: %w", f.Table, f.Column, ErrIntegrity)
	}
	plaintext, err := d.aead.Open(nil, nil, sealed[1:], f.ad())
	if err != nil {
		return nil, fmt.Errorf("open %s.%s: %w", f.Table, f.Column, ErrIntegrity)
	}
	return plaintext, nil
}

// String describes the data key without its key bytes.
func (d DataKey) String() string {
	if d.aead == nil {
		return "seal.DataKey{}"
	}
	return "seal.DataKey{REDACTED}"
}

// Format prints String for every verb, so %v, %+v, %#v, %x and the rest
// never show key bytes.
func (d DataKey) Format(f fmt.State, verb rune) {
	io.WriteString(f, d.String()) //nolint:errcheck // fmt.State writes to fmt's own buffer, which never fails
}

// LogValue describes the data key to log/slog without its key bytes.
func (d DataKey) LogValue() slog.Value { return slog.StringValue(d.String()) }
