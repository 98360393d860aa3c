package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
)

// chain makes n chained events.
func chain(n int) []*care.AuditEvent {
	prev := Genesis
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	var evs []*care.AuditEvent
	for i := range n {
		ev := &care.AuditEvent{Seq: int64(i + 1), At: at.Add(time.Duration(i) * time.Second), ActorID: "u1",
			Role: care.RoleProvider, Action: "client.read", EntityType: "client", EntityID: "c1",
			ClientID: "c1", ClinicID: "k1", Outcome: care.OutcomeSuccess, Addr: "192.0.2.1", RequestID: "r"}
		ev.Hash = Link(prev, ev)
		prev = ev.Hash
		evs = append(evs, ev)
	}
	return evs
}

func verify(evs []*care.AuditEvent, cps ...Checkpoint) error {
	v := NewVerifier(cps...)
	for _, ev := range evs {
		if !v.Add(ev) {
			break
		}
	}
	return v.Done()
}

// TestVerify (AD-04): the chain detects modification, deletion, insertion,
// reordering and, with a checkpoint, truncation.
func TestVerify(t *testing.T) {
	t.Parallel()
	head := func(evs []*care.AuditEvent) Checkpoint {
		last := evs[len(evs)-1]
		return Checkpoint{Seq: last.Seq, Hash: last.Hash}
	}
	tests := []struct {
		name    string
		tamper  func(evs []*care.AuditEvent) []*care.AuditEvent
		badRow  int64 // 0: intact
		withCPs bool
	}{
		{"intact", func(e []*care.AuditEvent) []*care.AuditEvent { return e }, 0, true},
		{"a field edited", func(e []*care.AuditEvent) []*care.AuditEvent { e[4].Outcome = care.OutcomeDenied; return e }, 5, false},
		{"the time edited", func(e []*care.AuditEvent) []*care.AuditEvent { e[6].At = e[6].At.Add(time.Microsecond); return e }, 7, false},
		{"a row deleted", func(e []*care.AuditEvent) []*care.AuditEvent { return append(e[:3:3], e[4:]...) }, 4, false},
		{"two rows swapped", func(e []*care.AuditEvent) []*care.AuditEvent { e[2], e[3] = e[3], e[2]; return e }, 3, false},
		{"a row renumbered into place", func(e []*care.AuditEvent) []*care.AuditEvent {
			e = append(e[:3:3], e[4:]...)
			for i := 3; i < len(e); i++ {
				e[i].Seq--
			}
			return e
		}, 4, false},
		{"rehashed without the key, then truncated", func(e []*care.AuditEvent) []*care.AuditEvent { return e[:7] }, 8, true},
		{"rewritten and rehashed", func(e []*care.AuditEvent) []*care.AuditEvent {
			e[8].Action = "nothing.happened"
			prev := e[7].Hash
			for _, ev := range e[8:] {
				ev.Hash = Link(prev, ev)
				prev = ev.Hash
			}
			return e
		}, 10, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := chain(10)
			var cps []Checkpoint
			if tt.withCPs {
				cps = append(cps, head(evs))
			}
			err := verify(tt.tamper(evs), cps...)
			if tt.badRow == 0 {
				if err != nil {
					t.Fatalf("intact chain: %v", err)
				}
				return
			}
			p, ok := err.(*Problem)
			if !ok || p.Seq != tt.badRow {
				t.Fatalf("got %v, want a problem at row %d", err, tt.badRow)
			}
		})
	}
}

// TestCheckpoints (AD-04): checkpoints are signed with Ed25519, survive a
// restart, and a forged or edited one is refused.
func TestCheckpoints(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := OpenSigner(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, signingKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("signing key file: %v %v", fi.Mode(), err)
	}
	if _, ok, err := Latest(dir); ok || err != nil {
		t.Fatalf("a fresh folder has a checkpoint: %v %v", ok, err)
	}
	evs := chain(3)
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, ev := range evs {
		if _, err := s.Sign(ev.Seq, ev.Hash, at); err != nil {
			t.Fatal(err)
		}
	}
	// The same key after a restart.
	if _, err := OpenSigner(dir); err != nil {
		t.Fatal(err)
	}
	c, ok, err := Latest(dir)
	if err != nil || !ok || c.Seq != 3 || !bytes.Equal(c.Hash, evs[2].Hash) || !c.At.Equal(at) {
		t.Fatalf("latest: %+v %v %v", c, ok, err)
	}
	vkey, err := VerifierKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	// An edited checkpoint does not verify.
	forged := bytes.Replace(c.Note, []byte("\n3\n"), []byte("\n2\n"), 1)
	if _, err := ParseCheckpoint(forged, vkey); err == nil {
		t.Error("an edited checkpoint verified")
	}
	// Nor does one signed by another key.
	other := t.TempDir()
	os2, err := OpenSigner(other)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := os2.Sign(3, evs[2].Hash, at)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseCheckpoint(c2.Note, vkey); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Errorf("another key's checkpoint: %v", err)
	}
	if got, err := ParseCheckpoint(c.Note, vkey); err != nil || got.Seq != 3 {
		t.Errorf("the real checkpoint: %+v %v", got, err)
	}
}

// TestCanonicalIsUnambiguous: moving a byte from one field to the next
// changes the encoding.
func TestCanonicalIsUnambiguous(t *testing.T) {
	t.Parallel()
	a := &care.AuditEvent{ActorID: "ab", Action: "c"}
	b := &care.AuditEvent{ActorID: "a", Action: "bc"}
	if bytes.Equal(Canonical(a), Canonical(b)) {
		t.Error("two different events encode alike")
	}
}
