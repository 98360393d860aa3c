package web

import (
	"sync"
	"time"
)

// defaultDeniedLimit is how many refused requests (403 or 404 to a
// signed-in user) a user may make in deniedWindow before the server
// answers them 429 for the rest of the window.
const defaultDeniedLimit = 60

// deniedWindow is the window the denied-request limit counts in.
const deniedWindow = time.Minute

// denials limits the refused requests of each signed-in user (issue #17).
// Each refusal writes an audit row that can never be deleted; without a
// limit a signed-in user could grow the trail at will. Once a user has had
// limit refusals in a window, every request of theirs answers 429 until
// the window ends, writing no audit row except one, for the first request
// refused so, that says the limit was reached (request.throttled).
//
// The counts live in the process: each instance of a several-instance
// deployment counts on its own, so the bound is per instance. That is
// enough for its purpose, which is to bound the trail's growth, not to
// count exactly.
type denials struct {
	limit int
	mu    sync.Mutex
	users map[string]*denialCount
}

type denialCount struct {
	start time.Time // when the window began
	n     int       // refusals in the window, then refused requests beyond the limit
}

func newDenials(limit int) *denials {
	if limit <= 0 {
		limit = defaultDeniedLimit
	}
	return &denials{limit: limit, users: map[string]*denialCount{}}
}

// blocked says whether the user's requests are refused now, for how long
// yet, and whether this is the first refused one of the window (the one
// whose audit row says the limit was reached).
func (d *denials) blocked(userID string, now time.Time) (wait time.Duration, first bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.users[userID]
	if c == nil || now.Sub(c.start) >= deniedWindow || c.n < d.limit {
		return 0, false
	}
	c.n++
	return c.start.Add(deniedWindow).Sub(now), c.n == d.limit+1
}

// count records a refused request of the user.
func (d *denials) count(userID string, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.users[userID]
	if c == nil || now.Sub(c.start) >= deniedWindow {
		if len(d.users) >= 10000 { // forget the windows that ended
			for id, old := range d.users {
				if now.Sub(old.start) >= deniedWindow {
					delete(d.users, id)
				}
			}
		}
		d.users[userID] = &denialCount{start: now, n: 1}
		return
	}
	c.n++
}
