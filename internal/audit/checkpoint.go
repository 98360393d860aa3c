package audit

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is a signed statement of the chain's head: after Seq rows the
// hash was Hash. Its text is a signed note (the format of the Go checksum
// database, Ed25519), so anyone holding the verifier key can check it.
type Checkpoint struct {
	Seq  int64
	Hash []byte
	At   time.Time
	Note []byte // the signed note, as written to the file
}

const checkpointOrigin = "interlude audit log"

// keyName is the name in the signing key; it appears in every signature.
const keyName = "interlude-audit"

// Signer signs checkpoints and writes them to a folder, one file each,
// named by their row so that a directory listing is in order.
type Signer struct {
	signer   note.Signer
	verifier note.Verifier
	dir      string
}

// Files under the data folder.
const (
	signingKeyFile  = "audit-signing.key"  // the Ed25519 signing key (note format), 0600
	verifierKeyFile = "audit-verifier.key" // its public half, to copy off the machine
	checkpointDir   = "audit-checkpoints"
)

// OpenSigner loads the signing key under dataDir, creating it (and its
// public verifier key) on first use. A folder that already holds
// checkpoints or a verifier key but no signing key lost it (a restore
// that left it behind, a deletion): a new key would sign checkpoints that
// the verifier key kept off the machine rejects, so that is an error
// naming the missing file, never a silent new key (#17).
func OpenSigner(dataDir string) (*Signer, error) {
	skeyPath := filepath.Join(dataDir, signingKeyFile)
	skey, err := os.ReadFile(skeyPath)
	if errors.Is(err, os.ErrNotExist) {
		if err := signedBefore(dataDir); err != nil {
			return nil, err
		}
		sk, vk, err := note.GenerateKey(rand.Reader, keyName)
		if err != nil {
			return nil, err
		}
		if err := writeFileSync(skeyPath, []byte(sk+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("audit signing key: %w", err)
		}
		if err := writeFileSync(filepath.Join(dataDir, verifierKeyFile), []byte(vk+"\n"), 0o644); err != nil {
			return nil, fmt.Errorf("audit verifier key: %w", err)
		}
		skey = []byte(sk)
	} else if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		return nil, fmt.Errorf("audit signing key %s is malformed", skeyPath)
	}
	vkey, err := VerifierKey(dataDir)
	if err != nil {
		return nil, err
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("audit verifier key is malformed: %w", err)
	}
	if verifier.KeyHash() != signer.KeyHash() {
		return nil, fmt.Errorf("audit verifier key does not belong to the signing key in %s", dataDir)
	}
	dir := filepath.Join(dataDir, checkpointDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &Signer{signer: signer, verifier: verifier, dir: dir}, nil
}

// signedBefore returns an error if dataDir shows that checkpoints were
// signed there: a verifier key or a checkpoint file.
func signedBefore(dataDir string) error {
	skeyPath := filepath.Join(dataDir, signingKeyFile)
	notes, err := filepath.Glob(filepath.Join(dataDir, checkpointDir, "*.note"))
	if err != nil {
		return err
	}
	_, verr := os.Stat(filepath.Join(dataDir, verifierKeyFile))
	if len(notes) == 0 && errors.Is(verr, os.ErrNotExist) {
		return nil
	}
	return fmt.Errorf("the audit signing key %s is missing, but this folder holds audit checkpoints or the verifier key: "+
		"restore the key file from the backup ('interlude restore' brings it back); a new key would sign checkpoints "+
		"the kept verifier key rejects. To start a new key on purpose, move %s and %s away first",
		skeyPath, verifierKeyFile, checkpointDir)
}

// VerifierKey returns the public verifier key kept under dataDir.
func VerifierKey(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, verifierKeyFile))
	if err != nil {
		return "", fmt.Errorf("audit verifier key: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Sign writes a checkpoint of (seq, hash) and returns it.
func (s *Signer) Sign(seq int64, hash []byte, at time.Time) (Checkpoint, error) {
	text := fmt.Sprintf("%s\n%d\n%s\n%s\n", checkpointOrigin, seq,
		base64.StdEncoding.EncodeToString(hash), at.UTC().Format(time.RFC3339))
	msg, err := note.Sign(&note.Note{Text: text}, s.signer)
	if err != nil {
		return Checkpoint{}, err
	}
	name := filepath.Join(s.dir, fmt.Sprintf("%012d.note", seq))
	if err := writeFileSync(name, msg, 0o644); err != nil {
		return Checkpoint{}, fmt.Errorf("audit checkpoint: %w", err)
	}
	return Checkpoint{Seq: seq, Hash: hash, At: at.UTC(), Note: msg}, nil
}

// Latest returns the newest checkpoint in dataDir's checkpoint folder,
// verified with its verifier key, or ok=false when there is none.
func Latest(dataDir string) (c Checkpoint, ok bool, err error) {
	dir := filepath.Join(dataDir, checkpointDir)
	names, err := filepath.Glob(filepath.Join(dir, "*.note"))
	if err != nil || len(names) == 0 {
		return Checkpoint{}, false, err
	}
	sort.Strings(names)
	vkey, err := VerifierKey(dataDir)
	if err != nil {
		return Checkpoint{}, false, err
	}
	msg, err := os.ReadFile(names[len(names)-1])
	if err != nil {
		return Checkpoint{}, false, err
	}
	c, err = ParseCheckpoint(msg, vkey)
	return c, err == nil, err
}

// ParseCheckpoint checks a signed checkpoint against the verifier key and
// reads it. A checkpoint that does not verify is an error: it proves
// nothing.
func ParseCheckpoint(msg []byte, verifierKey string) (Checkpoint, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("audit verifier key is malformed: %w", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("the checkpoint's signature does not verify with the audit verifier key")
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) != 4 || lines[0] != checkpointOrigin {
		return Checkpoint{}, errors.New("the checkpoint is not an Interlude audit checkpoint")
	}
	seq, err1 := strconv.ParseInt(lines[1], 10, 64)
	hash, err2 := base64.StdEncoding.DecodeString(lines[2])
	at, err3 := time.Parse(time.RFC3339, lines[3])
	if err := errors.Join(err1, err2, err3); err != nil || seq < 0 || len(hash) != len(Genesis) {
		return Checkpoint{}, errors.New("the checkpoint is malformed")
	}
	return Checkpoint{Seq: seq, Hash: hash, At: at, Note: msg}, nil
}

// writeFileSync writes a file whole and durably: a temporary file, fsync,
// rename, fsync of the folder.
func writeFileSync(name string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return err
	}
	// Once renamed the temporary file is gone and this fails: it only
	// cleans up after a failure, and a leftover .tmp-* is harmless.
	defer os.Remove(tmp.Name()) //nolint:errcheck // see above
	if _, err := tmp.Write(data); err != nil {
		return errors.Join(err, tmp.Close())
	}
	if err := tmp.Chmod(perm); err != nil {
		return errors.Join(err, tmp.Close())
	}
	if err := tmp.Sync(); err != nil {
		return errors.Join(err, tmp.Close())
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(name))
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
