// Package audit is the tamper evidence of Interlude's audit trail (AD-04):
// the canonical encoding of an event, the hash chain that links each event
// to the one before it, and signed checkpoints of the chain's head that an
// operator copies off the machine. It knows nothing of databases: the
// store chains rows with Link, and Verify walks them.
package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"interlude/internal/care"
)

// Genesis is the hash the first event links to.
var Genesis = make([]byte, sha256.Size)

// Canonical is the encoding of ev that its hash covers: a version tag and
// then every field in a fixed order, each length-prefixed, so that no two
// different events encode alike. Hash is not part of it.
func Canonical(ev *care.AuditEvent) []byte {
	var b bytes.Buffer
	field := func(s string) {
		b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(s))))
		b.WriteString(s)
	}
	field("interlude-audit-v1")
	b.Write(binary.BigEndian.AppendUint64(nil, uint64(ev.Seq)))
	b.Write(binary.BigEndian.AppendUint64(nil, uint64(ev.At.UTC().UnixMicro())))
	for _, s := range []string{ev.ActorID, string(ev.Role), ev.Action, ev.EntityType, ev.EntityID,
		ev.ClientID, ev.ClinicID, string(ev.Outcome), ev.Addr, ev.RequestID, ev.Purpose, ev.Reason} {
		field(s)
	}
	return b.Bytes()
}

// Link returns the chain hash of ev after prev: SHA-256 of a domain byte,
// prev, and ev's canonical encoding.
func Link(prev []byte, ev *care.AuditEvent) []byte {
	h := sha256.New()
	h.Write([]byte{0x00})
	h.Write(prev)
	h.Write(Canonical(ev))
	return h.Sum(nil)
}

// Problem is the first thing Verify found wrong.
type Problem struct {
	Seq    int64 // the first bad row, or the checkpoint's row when rows are missing
	Reason string
}

func (p *Problem) Error() string {
	return fmt.Sprintf("audit row %d: %s", p.Seq, p.Reason)
}

// Verifier walks the chained rows in order and finds the first that breaks
// the chain. Feed it every row with Add, then call Done.
type Verifier struct {
	prev    []byte
	last    int64
	problem *Problem
	want    []Checkpoint     // heads the chain must contain
	seen    map[int64][]byte // the chain's hash at each checkpointed seq
}

// NewVerifier starts a walk from the genesis. The chain must reach and
// match each of the given checkpoints.
func NewVerifier(checkpoints ...Checkpoint) *Verifier {
	v := &Verifier{prev: Genesis, want: checkpoints, seen: map[int64][]byte{}}
	for _, c := range checkpoints {
		v.seen[c.Seq] = nil
	}
	return v
}

// Add checks the next row. It returns false once a problem is found.
func (v *Verifier) Add(ev *care.AuditEvent) bool {
	if v.problem != nil {
		return false
	}
	switch {
	case ev.Seq != v.last+1:
		// A gap or a repeat: rows were deleted, inserted or reordered.
		v.problem = &Problem{Seq: v.last + 1, Reason: fmt.Sprintf("missing: the next row is %d", ev.Seq)}
		return false
	case !bytes.Equal(Link(v.prev, ev), ev.Hash):
		v.problem = &Problem{Seq: ev.Seq, Reason: "its content or its place in the chain was changed"}
		return false
	}
	v.prev, v.last = ev.Hash, ev.Seq
	if _, ok := v.seen[ev.Seq]; ok {
		v.seen[ev.Seq] = ev.Hash
	}
	return true
}

// Rows is how many rows verified so far; Head is the last one's hash.
func (v *Verifier) Rows() int64 { return v.last }

// Head is the hash of the last verified row (Genesis when none).
func (v *Verifier) Head() []byte { return v.prev }

// Done reports the first problem: a row that breaks the chain, or a
// checkpoint the chain does not reach or does not match, which means the
// log was truncated or rewritten after the checkpoint was signed.
func (v *Verifier) Done() error {
	if v.problem != nil {
		return v.problem
	}
	for _, c := range v.want {
		if c.Seq > v.last {
			return &Problem{Seq: v.last + 1, Reason: fmt.Sprintf(
				"missing: the log ends at row %d but a signed checkpoint covers row %d", v.last, c.Seq)}
		}
		if c.Seq > 0 && !bytes.Equal(v.seen[c.Seq], c.Hash) {
			return &Problem{Seq: c.Seq, Reason: "does not match the signed checkpoint: the log was rewritten"}
		}
	}
	return nil
}
