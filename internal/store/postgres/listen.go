package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// LISTEN/NOTIFY. Several Interlude instances share one database; what one
// commits, the others learn of through notifications, which PostgreSQL
// delivers at commit, in commit order, to every session listening on the
// channel at that moment. A notification sent while a session did not
// listen (its connection was down) is not kept for it: whoever listens
// must read what it may have missed after each reconnection, which is why
// the handler is told to resync.

// ListenApplicationName is the application_name of listening connections,
// as pg_stat_activity shows them.
const ListenApplicationName = "interlude-listen"

// Backoff between attempts to (re)connect the listening connection.
const (
	listenBackoffMin = 100 * time.Millisecond
	listenBackoffMax = 10 * time.Second
)

// A ListenHandler is what Listen calls (Listen takes it as a plain func,
// so that the store names no type of this package), on a goroutine of its own, one call
// at a time. Payloads are the notifications that arrived since the last
// call, in order; resync is set on the first call after each (re)connection,
// when notifications may have been missed. A non-nil error is reported to
// Lost, and after a pause the handler is called again with resync set (the
// payloads are not given again). ctx ends when the database closes.
type ListenHandler func(ctx context.Context, payloads []string, resync bool) error

// listener is one Listen: its connection's goroutine feeds pending, its
// dispatcher's goroutine drains it.
type listener struct {
	mu       sync.Mutex
	payloads []string
	resync   bool
	signal   chan struct{} // capacity 1: something is pending
	ready    chan struct{} // closed at the first LISTEN
	once     sync.Once
}

func (l *listener) push(payload string, resync bool) {
	l.mu.Lock()
	if resync {
		l.resync = true
	} else {
		l.payloads = append(l.payloads, payload)
	}
	l.mu.Unlock()
	select {
	case l.signal <- struct{}{}:
	default:
	}
}

func (l *listener) take() ([]string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ps, rs := l.payloads, l.resync
	l.payloads, l.resync = nil, false
	return ps, rs
}

// Listen holds one connection, apart from the pool, that LISTENs on
// channel until Close, reconnecting with backoff when it fails, and hands
// what arrives to handle (see ListenHandler). lost, if not nil, hears of
// each failure of the connection or of handle; it must not block.
//
// The channel it returns is closed once the first LISTEN is in place.
func (db *DB) Listen(channel string, handle func(ctx context.Context, payloads []string, resync bool) error, lost func(error)) <-chan struct{} {
	if lost == nil {
		lost = func(error) {}
	}
	l := &listener{signal: make(chan struct{}, 1), ready: make(chan struct{})}
	db.listenersDone.Add(2)
	go db.listen(channel, l, lost)
	go db.dispatch(l, handle, lost)
	return l.ready
}

func (db *DB) listen(channel string, l *listener, lost func(error)) {
	defer db.listenersDone.Done()
	ctx := db.listenCtx
	cfg := db.cfg.Copy()
	cfg.RuntimeParams["application_name"] = ListenApplicationName
	backoff := listenBackoffMin
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			if _, err = conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err == nil {
				backoff = listenBackoffMin
				l.push("", true)
				l.once.Do(func() { close(l.ready) })
				for {
					note, werr := conn.WaitForNotification(ctx)
					if werr != nil {
						err = werr
						break
					}
					l.push(note.Payload, false)
				}
			}
			conn.Close(context.Background()) //nolint:errcheck // a connection that only listened, dropped to reconnect or stop: err, above, says why
		}
		if ctx.Err() != nil {
			return
		}
		lost(err)
		if !sleep(ctx, backoff) {
			return
		}
		backoff = min(2*backoff, listenBackoffMax)
	}
}

func (db *DB) dispatch(l *listener, handle func(ctx context.Context, payloads []string, resync bool) error, lost func(error)) {
	defer db.listenersDone.Done()
	ctx := db.listenCtx
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.signal:
		}
		payloads, resync := l.take()
		backoff := listenBackoffMin
		for {
			err := handle(ctx, payloads, resync)
			if err == nil || ctx.Err() != nil {
				break
			}
			lost(err)
			if !sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, listenBackoffMax)
			payloads, resync = nil, true
		}
	}
}

// sleep waits for d or until ctx ends, and reports whether it waited.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
