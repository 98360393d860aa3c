package web

import (
	"sync"

	"interlude/internal/care"
)

// broker fans thread events out to the real-time streams of the users
// they are for, in this process. Publish never blocks: each subscriber has
// a buffered channel, and one whose buffer is full is dropped (its channel
// closed); its stream ends and the browser reconnects with Last-Event-ID,
// replaying what it missed from the database. Publish only after commit:
// the store's live handlers (store/live.go) call publish and revoke, for
// this process's writes on SQLite and for every instance's on PostgreSQL.
type broker struct {
	mu     sync.Mutex
	subs   map[string]map[*subscriber]struct{} // by user id
	buffer int
}

// subscriber is one stream's mailbox. C is closed when the subscriber is
// dropped (a full buffer), revoked or unsubscribed.
type subscriber struct {
	userID    string
	sessionID string
	C         chan care.MessageEvent
	closed    bool
	revoked   *care.Revocation // why it was revoked; read once C is closed
}

func newBroker(buffer int) *broker {
	return &broker{subs: map[string]map[*subscriber]struct{}{}, buffer: buffer}
}

// subscribe registers a stream of userID's session sessionID.
func (b *broker) subscribe(userID, sessionID string) *subscriber {
	sub := &subscriber{userID: userID, sessionID: sessionID, C: make(chan care.MessageEvent, b.buffer)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs[userID] == nil {
		b.subs[userID] = map[*subscriber]struct{}{}
	}
	b.subs[userID][sub] = struct{}{}
	return sub
}

// unsubscribe removes sub; it may already have been dropped.
func (b *broker) unsubscribe(sub *subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.remove(sub)
}

func (b *broker) remove(sub *subscriber) {
	if sub.closed {
		return
	}
	sub.closed = true
	close(sub.C)
	delete(b.subs[sub.userID], sub)
	if len(b.subs[sub.userID]) == 0 {
		delete(b.subs, sub.userID)
	}
}

// publish delivers ev to the streams of its audience without blocking.
func (b *broker) publish(ev care.MessageEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, uid := range ev.Audience {
		for sub := range b.subs[uid] {
			select {
			case sub.C <- ev:
			default:
				b.remove(sub) // too slow: it reconnects and replays
			}
		}
	}
}

// revoke closes the streams whose authorization r ends; each learns why
// from its revoked field.
func (b *broker) revoke(r care.Revocation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for sub := range b.subs[r.UserID] {
		if r.Matches(sub.userID, sub.sessionID) {
			sub.revoked = &r
			b.remove(sub)
		}
	}
}

// count is the number of live subscribers, for tests.
func (b *broker) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, m := range b.subs {
		n += len(m)
	}
	return n
}
