package web

import (
	"testing"
	"time"

	"interlude/internal/care"
)

func TestBrokerDelivers(t *testing.T) {
	t.Parallel()
	b := newBroker(4)
	a, other := b.subscribe("a", ""), b.subscribe("b", "")
	b.publish(care.MessageEvent{Seq: 1, Audience: []string{"a"}})
	if ev := <-a.C; ev.Seq != 1 {
		t.Errorf("got seq %d, want 1", ev.Seq)
	}
	select {
	case ev := <-other.C:
		t.Errorf("b got %+v, meant for a", ev)
	default:
	}
	b.unsubscribe(a)
	b.unsubscribe(a) // twice is fine
	if _, ok := <-a.C; ok {
		t.Error("an unsubscribed channel is open")
	}
	if got := b.count(); got != 1 {
		t.Errorf("count %d, want 1", got)
	}
}

// TestBrokerNeverBlocks: a subscriber that reads nothing is dropped when
// its buffer is full, and publish returns at once all the same; others
// keep receiving.
func TestBrokerNeverBlocks(t *testing.T) {
	t.Parallel()
	b := newBroker(2)
	slow, fast := b.subscribe("u", ""), b.subscribe("u", "")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 1000 {
			b.publish(care.MessageEvent{Seq: int64(i + 1), Audience: []string{"u"}})
			if i < 3 {
				<-fast.C // fast keeps up for a while
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("publish blocked")
	}
	n := 0
	for range slow.C {
		n++
	}
	if n != 2 {
		t.Errorf("slow subscriber got %d buffered events before being dropped, want 2", n)
	}
	if b.count() != 0 {
		t.Errorf("count %d, want both dropped", b.count())
	}
}

// TestBrokerRevokes: a revocation closes the matching streams only, and
// each closed one knows why.
func TestBrokerRevokes(t *testing.T) {
	t.Parallel()
	b := newBroker(4)
	s1, s2, other := b.subscribe("u", "s1"), b.subscribe("u", "s2"), b.subscribe("v", "s3")
	b.revoke(care.Revocation{UserID: "u", SessionID: "s1", Reason: care.RevokeSession})
	if _, ok := <-s1.C; ok || s1.revoked == nil || s1.revoked.Reason != care.RevokeSession {
		t.Fatalf("s1: open %v, revoked %+v", ok, s1.revoked)
	}
	b.revoke(care.Revocation{UserID: "u", KeepSessionID: "s2", Reason: care.RevokeSession})
	b.publish(care.MessageEvent{Seq: 1, Audience: []string{"u", "v"}})
	if ev, ok := <-s2.C; !ok || ev.Seq != 1 {
		t.Fatal("s2, kept, was closed")
	}
	b.revoke(care.Revocation{UserID: "u", ClientID: "c", Reason: care.RevokeCareTeam})
	if _, ok := <-s2.C; ok || s2.revoked.ClientID != "c" {
		t.Fatalf("s2 after the care-team change: open %v, revoked %+v", ok, s2.revoked)
	}
	if ev := <-other.C; ev.Seq != 1 || other.revoked != nil || b.count() != 1 {
		t.Errorf("another user's stream: %+v, revoked %+v, count %d", ev, other.revoked, b.count())
	}
}
