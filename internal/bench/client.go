package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"interlude/internal/auth"
)

// signIn signs every bench user in through POST /api/v1/sessions, a few
// at a time (sign-in is deliberately slow: argon2id).
func (b *bench) signIn(ctx context.Context) error {
	var users []*user
	for i := range b.pairs {
		users = append(users, &b.pairs[i].client, &b.pairs[i].provider)
	}
	for i := range b.idlers {
		users = append(users, &b.idlers[i])
	}
	jobs := make(chan *user)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for u := range jobs {
				if err := b.signInOne(ctx, u); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for _, u := range users {
		jobs <- u
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

func (b *bench) signInOne(ctx context.Context, u *user) error {
	req := map[string]string{"email": u.email, "password": password}
	if u.secret != nil {
		req["totp_code"] = auth.TOTPCode(u.secret, auth.TOTPStep(time.Now()))
	}
	var resp struct {
		Token string `json:"token"`
	}
	if err := b.call(ctx, "POST", "/api/v1/sessions", "", req, http.StatusCreated, &resp); err != nil {
		return err
	}
	u.token = resp.Token
	return nil
}

// call makes one API request and decodes its answer.
func (b *bench) call(ctx context.Context, method, path, token string, body any, want int, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := b.api.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(answer))
	}
	if out != nil {
		return json.Unmarshal(answer, out)
	}
	return nil
}

// openStream opens a real-time stream with token and reads it until ctx
// ends. A recipient's stream records its message events' arrival.
func (b *bench) openStream(ctx context.Context, wg *sync.WaitGroup, token string, recipient bool) error {
	req, err := http.NewRequestWithContext(ctx, "GET", b.base+"/api/v1/events", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := b.streams.Do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return fmt.Errorf("GET /api/v1/events: %s", resp.Status)
	}
	wg.Go(func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		kind := ""
		for sc.Scan() {
			line := sc.Bytes()
			switch {
			case bytes.HasPrefix(line, []byte("event: ")):
				kind = string(line[len("event: "):])
			case bytes.HasPrefix(line, []byte("data: ")) && kind == "message" && recipient:
				now := time.Now()
				var ev struct {
					MessageID string `json:"message_id"`
				}
				if json.Unmarshal(line[len("data: "):], &ev) == nil {
					b.delivered(ev.MessageID, now)
				}
			case len(line) == 0:
				kind = ""
			}
		}
	})
	return nil
}

// delivery matches a message's POST with its event on the stream, in
// either order.
type delivery struct {
	mu       sync.Mutex
	start    time.Time // the POST began
	arrived  time.Time // the event reached the recipient
	measured bool
	done     chan struct{} // closed once both are known
}

func (b *bench) entry(id string) *delivery {
	d, _ := b.pending.LoadOrStore(id, &delivery{done: make(chan struct{})})
	return d.(*delivery)
}

// delivered records the arrival of message id's event.
func (b *bench) delivered(id string, at time.Time) {
	d := b.entry(id)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.arrived.IsZero() {
		d.arrived = at
		if !d.start.IsZero() {
			close(d.done)
		}
	}
}

// sent records that message id's POST began at start.
func (b *bench) sent(id string, start time.Time, measured bool) *delivery {
	d := b.entry(id)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.start, d.measured = start, measured
	if !d.arrived.IsZero() {
		close(d.done)
	}
	return d
}
