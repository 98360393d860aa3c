package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// keySize is the size of every key in the package: 256 bits.
const keySize = 32

// maxKeyringFile caps how much of a keyring file is read. A real one is a few
// hundred bytes per master version.
const maxKeyringFile = 1 << 20

// Keyring holds the master key versions and the blind-index key, loaded from
// a file; get one from LoadOrCreate. It is safe for concurrent use,
// including while Rotate runs.
// It never prints its keys: String, LogValue and Format redact them.
//
// A keyring loaded from a file follows that file: another process's
// `interlude keys rotate` adds a version to it and rewraps the data keys
// under it, and a running server must not fail on them (#17). So Unwrap,
// meeting a version it lacks, and NewDataKey, before it wraps under the
// current version, look whether the file changed (one stat: its inode,
// size and modification time) and read it again only then. A data key on
// a version that is nowhere (a damaged row) costs each request a stat,
// never a read. A file that no longer holds every key already loaded is
// not taken: the keys in memory stay.
type Keyring struct {
	mu    sync.Mutex               // serializes Rotate and reloading
	state atomic.Pointer[keyState] // replaced whole, never changed in place
	path  string                   // the file it was loaded from; "" for none
	seen  os.FileInfo              // that file as last read, under mu
}

// keyState is one immutable snapshot of the keyring.
type keyState struct {
	index    []byte
	masters  map[int]masterKey
	versions []int // ascending; the last is current
}

type masterKey struct {
	raw  []byte
	aead cipher.AEAD
}

func (s *keyState) current() int { return s.versions[len(s.versions)-1] }

// withMaster returns a copy of s with master key version v added.
func (s *keyState) withMaster(v int, raw []byte) (*keyState, error) {
	aead, err := newAEAD(raw)
	if err != nil {
		return nil, err
	}
	n := &keyState{
		index:    s.index,
		masters:  make(map[int]masterKey, len(s.masters)+1),
		versions: append(slices.Clone(s.versions), v),
	}
	for ver, m := range s.masters {
		n.masters[ver] = m
	}
	n.masters[v] = masterKey{raw: raw, aead: aead}
	slices.Sort(n.versions)
	return n, nil
}

// newAEAD returns AES-256-GCM under key, with a random 96-bit nonce that Seal
// prepends and Open reads back (EN-03). It is the FIPS 140-3 approved form.
func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(block)
}

func newKey() []byte {
	b := make([]byte, keySize)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return b
}

// LoadOrCreate reads the keyring file at path. If the file does not exist it
// creates it, with mode 0600, master key version 1 and a fresh index key, and
// returns created=true; the parent directory must exist. A file that group or
// others may access is refused. Errors name the path, and the line number for
// a malformed line, but never contain key material.
func LoadOrCreate(path string) (kr *Keyring, created bool, err error) {
	kr, err = load(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return kr, false, err
	}
	s := &keyState{index: newKey()}
	if s, err = s.withMaster(1, newKey()); err != nil {
		return nil, false, err
	}
	switch err := createFile(path, s.encode()); {
	case errors.Is(err, fs.ErrExist):
		// Another process created it first: use theirs.
		kr, err = load(path)
		return kr, false, err
	case err != nil:
		return nil, false, fmt.Errorf("create keyring file: %w", err)
	}
	kr = &Keyring{path: path}
	kr.state.Store(s)
	// The file as created; if it cannot be seen, the first reload reads it.
	kr.seen, _ = os.Stat(path) //nolint:errcheck // see above
	return kr, true, nil
}

// load reads and parses the keyring file. A missing file gives an error
// that wraps fs.ErrNotExist.
func load(path string) (*Keyring, error) {
	s, info, err := readFile(path)
	if err != nil {
		return nil, err
	}
	kr := &Keyring{path: path, seen: info}
	kr.state.Store(s)
	return kr, nil
}

// readFile reads and parses the keyring file, and returns it with the
// file's information as it was read.
func readFile(path string) (*keyState, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open keyring file: %w", err)
	}
	defer f.Close() //nolint:errcheck // only read
	info, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("open keyring file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("keyring file %s is not a regular file", path)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, nil, fmt.Errorf("keyring file %s must not be readable by others (chmod 600)", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyringFile+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read keyring file: %w", err)
	}
	if len(data) > maxKeyringFile {
		return nil, nil, fmt.Errorf("keyring file %s is larger than %d bytes", path, maxKeyringFile)
	}
	s, err := parse(path, data)
	return s, info, err
}

// sameFile reports whether a and b describe the same file, unchanged: the
// same inode, size and modification time. Rotate replaces the file by a
// rename, so a rotation changes all three.
func sameFile(a, b os.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// Reload reads the keyring file again if it changed since it was last
// read, and takes the versions another process added (a rotation). It
// reports whether the keyring changed. A file that lost a version or key
// already loaded, or whose index key differs, is refused with an error and
// the keyring stays as it was; so does one that cannot be read. Errors
// never hold key material.
func (k *Keyring) Reload() (changed bool, err error) {
	if k.path == "" {
		return false, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	info, err := os.Stat(k.path)
	if err != nil {
		return false, fmt.Errorf("reload keyring file: %w", err)
	}
	if sameFile(info, k.seen) {
		return false, nil
	}
	next, info, err := readFile(k.path)
	if err != nil {
		return false, fmt.Errorf("reload keyring file: %w", err)
	}
	cur := k.state.Load()
	if !hmac.Equal(next.index, cur.index) {
		return false, fmt.Errorf("keyring file %s now holds another index key; keeping the keys loaded", k.path)
	}
	for _, v := range cur.versions {
		m, ok := next.masters[v]
		if !ok || !hmac.Equal(m.raw, cur.masters[v].raw) {
			return false, fmt.Errorf("keyring file %s no longer holds master key version %d as loaded; keeping the keys loaded", k.path, v)
		}
	}
	k.seen = info
	if slices.Equal(next.versions, cur.versions) {
		return false, nil
	}
	k.state.Store(next)
	return true, nil
}

// parse reads the keyring file format, one entry per line:
//
//	# a comment
//	index <base64 of 32 bytes>
//	master <version> <base64 of 32 bytes>
//
// Blank lines and lines starting with # are ignored. Errors never quote the
// line, which may hold key material.
func parse(path string, data []byte) (*keyState, error) {
	s := &keyState{masters: map[int]masterKey{}}
	for i, line := range strings.Split(string(data), "\n") {
		fail := func(format string, args ...any) error {
			return fmt.Errorf("keyring file %s line %d: %s", path, i+1, fmt.Sprintf(format, args...))
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		switch {
		case fields[0] == "index" && len(fields) == 2:
			if s.index != nil {
				return nil, fail("second index entry")
			}
			key, ok := decodeKey(fields[1])
			if !ok {
				return nil, fail("index key is not base64 of 32 bytes")
			}
			s.index = key
		case fields[0] == "master" && len(fields) == 3:
			v, err := strconv.Atoi(fields[1])
			if err != nil || v < 1 || v > math.MaxInt32 {
				return nil, fail("master version is not a whole number from 1 to %d", math.MaxInt32)
			}
			if _, dup := s.masters[v]; dup {
				return nil, fail("second entry for master version %d", v)
			}
			key, ok := decodeKey(fields[2])
			if !ok {
				return nil, fail("master key is not base64 of 32 bytes")
			}
			aead, err := newAEAD(key)
			if err != nil {
				return nil, fail("master key is unusable")
			}
			s.masters[v] = masterKey{raw: key, aead: aead}
			s.versions = append(s.versions, v)
		default:
			return nil, fail(`want "index <base64 key>" or "master <version> <base64 key>"`)
		}
	}
	if s.index == nil {
		return nil, fmt.Errorf("keyring file %s has no index entry", path)
	}
	if len(s.versions) == 0 {
		return nil, fmt.Errorf("keyring file %s has no master entry", path)
	}
	slices.Sort(s.versions)
	return s, nil
}

func decodeKey(s string) ([]byte, bool) {
	key, err := base64.StdEncoding.Strict().DecodeString(s)
	return key, err == nil && len(key) == keySize
}

// encode writes s in the format parse reads.
func (s *keyState) encode() []byte {
	var b bytes.Buffer
	b.WriteString("# Interlude keyring: master keys wrap data keys; the index key makes blind indexes.\n")
	b.WriteString("# Keep it secret, mode 0600, on a different volume from the database, and back it up\n")
	b.WriteString("# apart from the database. Losing a master key loses every value sealed under it.\n")
	fmt.Fprintf(&b, "index %s\n", base64.StdEncoding.EncodeToString(s.index))
	for _, v := range s.versions {
		fmt.Fprintf(&b, "master %d %s\n", v, base64.StdEncoding.EncodeToString(s.masters[v].raw))
	}
	return b.Bytes()
}

// Rotate adds master key version Current()+1, makes it current and rewrites
// the keyring file at path atomically (a temporary file in the same
// directory, fsync, rename, fsync of the directory). It returns the new
// version. Old
// versions stay, so existing wrapped keys still unwrap; Rewrap moves them on.
//
// To avoid losing a key another process added, Rotate refuses to write if
// the file no longer holds exactly this keyring. On any error the keyring
// is unchanged, so nothing is wrapped under a key that may not be on disk.
func (k *Keyring) Rotate(path string) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := k.state.Load()
	disk, _, err := readFile(path)
	if err != nil {
		return 0, err
	}
	if !bytes.Equal(disk.encode(), s.encode()) {
		return 0, fmt.Errorf("keyring file %s changed since it was loaded; load it again before rotating", path)
	}
	v := s.current() + 1
	if v > math.MaxInt32 {
		return 0, fmt.Errorf("master key version would pass %d", math.MaxInt32)
	}
	next, err := s.withMaster(v, newKey())
	if err != nil {
		return 0, err
	}
	if err := replaceFile(path, next.encode()); err != nil {
		return 0, fmt.Errorf("rewrite keyring file: %w", err)
	}
	k.state.Store(next)
	if path == k.path {
		k.seen, _ = os.Stat(path) //nolint:errcheck // if it cannot be seen, the next Reload reads it again, and finds it the same
	}
	return v, nil
}

// Current returns the master key version that new wraps use: the highest.
func (k *Keyring) Current() int { return k.state.Load().current() }

// Versions returns every master key version in the keyring, ascending.
func (k *Keyring) Versions() []int { return slices.Clone(k.state.Load().versions) }

// indexDomain starts every blind-index input, so the index key's hashes
// cannot be confused with any other use of HMAC-SHA-256.
const indexDomain = "interlude blind index v1"

// Index returns a blind index of value: HMAC-SHA-256 under the index key, in
// hex. Equal values give equal indexes, so a column of them supports
// equality look-ups without storing the value. kind separates domains:
// Index("email", v) and Index("name", v) differ. The index key never
// rotates. Normalize value first (for example, lower-case an email address)
// if look-ups should ignore such differences.
func (k *Keyring) Index(kind, value string) string {
	mac := hmac.New(sha256.New, k.state.Load().index)
	mac.Write(lengthPrefixed(nil, indexDomain, kind, value))
	return hex.EncodeToString(mac.Sum(nil))
}

// String describes the keyring without its keys.
func (k *Keyring) String() string {
	if k == nil {
		return "seal.Keyring(nil)"
	}
	s := k.state.Load()
	if s == nil {
		return "seal.Keyring{}"
	}
	return fmt.Sprintf("seal.Keyring{current: %d, versions: %v, keys: REDACTED}", s.current(), s.versions)
}

// Format prints String for every verb, so %v, %+v, %#v, %x and the rest
// never show key bytes.
func (k *Keyring) Format(f fmt.State, verb rune) {
	io.WriteString(f, k.String()) //nolint:errcheck // fmt.State writes to fmt's own buffer, which never fails
}

// LogValue describes the keyring to log/slog without its keys.
func (k *Keyring) LogValue() slog.Value {
	if k == nil || k.state.Load() == nil {
		return slog.StringValue(k.String())
	}
	s := k.state.Load()
	return slog.GroupValue(
		slog.Int("current", s.current()),
		slog.Any("versions", slices.Clone(s.versions)),
		slog.String("keys", "REDACTED"),
	)
}

// lengthPrefixed appends each part to b as a big-endian uint32 length and
// the bytes, an encoding no two different lists of parts share.
func lengthPrefixed(b []byte, parts ...string) []byte {
	for _, p := range parts {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

// createFile writes data to a new file at path with mode 0600 and makes it
// durable. It fails with fs.ErrExist if path exists.
func createFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		// Leave no partial key file behind, or say so.
		if rerr := os.Remove(path); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}
	return err
}

// replaceFile replaces path with data atomically: a temporary file in the
// same directory (mode 0600), fsync, rename, fsync of the directory. A crash
// leaves either the old file or the new one.
func replaceFile(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// Cleanup after the failure being returned: f may be closed
			// already, or renamed when only the folder's fsync failed; a
			// temporary file left behind has mode 0600, as the key file.
			f.Close()           //nolint:errcheck // see above
			os.Remove(f.Name()) //nolint:errcheck // see above
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
