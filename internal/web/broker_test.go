package web

import (
	"testing"
	"time"

	"interlude/internal/care"
)

func TestBrokerDelivers(t *testing.T) {
	b := newBroker(4)
	a, other := b.subscribe("a"), b.subscribe("b")
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
	b := newBroker(2)
	slow, fast := b.subscribe("u"), b.subscribe("u")
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
