package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// tableDigest hashes every row of every table but those a repeated post
// may touch without acting (the form tokens themselves, the sessions'
// last-seen times): equal digests before and after a post mean it changed
// nothing.
func (e *webEnv) tableDigest(t *testing.T) string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
	if e.db.Name == "postgres" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`
	}
	var tables []string
	for _, n := range queryStrings(t, e, q) {
		if n != "form_tokens" && n != "sessions" && !strings.HasPrefix(n, "sqlite_") {
			tables = append(tables, n)
		}
	}
	h := sha256.New()
	for _, table := range tables {
		lines := tableRows(t, e, table)
		// Row order is the engine's: sort for a stable digest.
		sort.Strings(lines)
		h.Write([]byte(table + ":" + strconv.Itoa(len(lines)) + ":" + strings.Join(lines, ";") + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// queryStrings reads a one-column query's rows.
func queryStrings(t *testing.T, e *webEnv, q string) []string {
	t.Helper()
	rows, err := e.db.Engine.SQLDB().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// tableRows reads every row of table, each as its columns' bytes in hex.
func tableRows(t *testing.T, e *webEnv, table string) []string {
	t.Helper()
	rows, err := e.db.Engine.SQLDB().Query(`SELECT * FROM ` + table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, v := range vals {
			fmt.Fprintf(&b, "%v|", v) //nolint:errcheck // a strings.Builder does not fail
		}
		lines = append(lines, b.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// formPost posts a form with a bearer token and a one-time form token.
func (e *webEnv) formPost(t *testing.T, path, bearer, formToken string, v url.Values) *formAnswer {
	t.Helper()
	w := url.Values{}
	for k, vs := range v {
		w[k] = vs
	}
	w.Set(formTokenField, formToken)
	rec := e.postForm(t, path, bearer, w)
	return &formAnswer{Code: rec.Code, Location: rec.Header().Get("Location"), Body: rec.Body.String()}
}

// formAnswer is what a form post answered.
type formAnswer struct {
	Code     int
	Location string
	Body     string
}

var pathParam = regexp.MustCompile(`\{[a-z]+\}`)

// TestFormPostsOnce walks the route table (issue #18): every form route,
// posted twice with the same one-time token, as a reload of its answer or
// a double click would, acts at most once: the second post changes no
// table and, when the first led somewhere, leads to the same place. The
// posts carry plausible fields and the seeded client's id, so that many
// of them act the first time (the test says how many, and fails on too
// few to mean anything).
func TestFormPostsOnce(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		today := string(care.DayIn(db.Clock.Now(), e.c.Client.TimeZone))
		acted := map[string]bool{}
		n := 0
		for _, rt := range e.srv.routeTable() {
			method, path, _ := strings.Cut(rt.pattern, " ")
			if method != http.MethodPost || strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/fhir/") || !holdable(path) || readOnlyPosts[path] {
				continue
			}
			n++
			path = strings.ReplaceAll(path, "{id}", e.c.Client.ID)
			path = pathParam.ReplaceAllStringFunc(path, func(string) string { return care.NewID() })
			for _, who := range []struct {
				user   care.User
				bearer string
			}{{e.c.Client, e.client}, {e.c.Provider, e.provider}} {
				body := url.Values{"text": {"Twice?"}, "title": {"Breathe"}, "mood": {"6"}, "shared-shown": {"1"}, "due_date": {today},
					"repeat": {"once"}, "note": {"a note"}, "occurrence": {today}, "starts_at": {today + "T10:00"}, "minutes": {"50"}}
				token := e.srv.newFormToken(who.user.ID)
				first := e.formPost(t, path, who.bearer, token, body)
				if first.Code >= 400 {
					continue // refused: it may be sent again (and be refused again)
				}
				before := e.tableDigest(t)
				second := e.formPost(t, path, who.bearer, token, body)
				if after := e.tableDigest(t); after != before {
					t.Errorf("%s by the %s: the second post of one form changed the database (first answered %d)", rt.pattern, who.user.Role, first.Code)
				}
				if first.Code/100 == 3 {
					acted[rt.pattern] = true
					if second.Code != first.Code || second.Location != first.Location {
						t.Errorf("%s by the %s: the second post answered %d %q, the first %d %q", rt.pattern, who.user.Role,
							second.Code, second.Location, first.Code, first.Location)
					}
				}
			}
		}
		t.Logf("%d form routes; %d acted on their first post", n, len(acted))
		if len(acted) < 12 {
			t.Errorf("only %d form routes acted on their first post: the walk proves too little", len(acted))
		}
	})
}

// TestFormTokens: a page's forms each carry their own token, for whoever
// the page is for; a forged, stale or someone else's token changes
// nothing and says so; a refused post can be sent again, corrected.
func TestFormTokens(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		page := e.call(t, "GET", "/journal/new", e.client, nil).Body.String()
		tokens := regexp.MustCompile(`name="form_token" value="([^"]+)"`).FindAllStringSubmatch(page, -1)
		forms := strings.Count(page, `method="post"`)
		if forms == 0 || len(tokens) != forms {
			t.Fatalf("the new-entry page has %d post forms and %d tokens", forms, len(tokens))
		}
		seen := map[string]bool{}
		for _, m := range tokens {
			tok, ok := e.srv.parseFormToken(m[1])
			if !ok || tok.user != e.c.Client.ID || seen[tok.nonce] {
				t.Errorf("a form's token is not the client's own and unique: %+v %v", tok, ok)
			}
			seen[tok.nonce] = true
		}

		entries := func() int { return e.count(t, "journal_entries") }
		good := url.Values{"mood": {"6"}, "text": {"Once"}, "shared-shown": {"1"}}
		forged := e.srv.newFormToken(e.c.Client.ID)
		forged = forged[:len(forged)-4] + "0000"
		stale := e.srv.newFormToken(e.c.Client.ID)
		db.Clock.Advance(e.srv.sessions.Absolute + time.Minute)
		e.client = e.signIn(t, e.c.Client)
		for _, tt := range []struct {
			what, token string
			want        int
		}{
			{"a forged token", forged, http.StatusBadRequest},
			{"a token older than a session can live", stale, http.StatusBadRequest},
			{"another person's token", e.srv.newFormToken(e.c.Provider.ID), http.StatusForbidden},
		} {
			if got := e.formPost(t, "/journal/quick", e.client, tt.token, good); got.Code != tt.want || !strings.Contains(got.Body, "nothing was sent") {
				t.Errorf("%s: %d, want %d with a message that says nothing was sent", tt.what, got.Code, tt.want)
			}
		}
		if n := entries(); n != 0 {
			t.Fatalf("%d entries after refused tokens", n)
		}
		// Refused (no mood), then corrected with the same token: saved once.
		token := e.srv.newFormToken(e.c.Client.ID)
		if got := e.formPost(t, "/journal/quick", e.client, token, url.Values{"text": {"Once"}, "shared-shown": {"1"}}); got.Code != http.StatusBadRequest {
			t.Fatalf("a quick entry without a mood: %d", got.Code)
		}
		for range 3 {
			if got := e.formPost(t, "/journal/quick", e.client, token, good); got.Code != http.StatusSeeOther {
				t.Fatalf("the corrected quick entry: %d", got.Code)
			}
		}
		if n := entries(); n != 1 {
			t.Errorf("%d entries after a refused post and three of the corrected one, want 1", n)
		}
	})
}

// TestHeldPost: a form posted after its session ended is kept, sealed,
// sent once when the same person signs in again, and lands where it
// leads; nobody else's sign-in sends it, and it is never in a URL.
func TestHeldPost(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		const text = "Written while the session ran out"
		token := e.srv.newFormToken(e.c.Client.ID)
		db.Clock.Advance(2 * time.Hour) // past the idle limit: the bearer's session has ended
		body := url.Values{"mood": {"4"}, "text": {text}, "shared-shown": {"1"}, formTokenField: {token}}
		var held *formAnswer
		for range 2 { // the post, and a second click of it
			rec := e.send(t, envRequest{method: "POST", path: "/journal/quick", token: e.client, body: body.Encode(),
				contentType: "application/x-www-form-urlencoded"})
			held = &formAnswer{Code: rec.Code, Location: rec.Header().Get("Location")}
			if !strings.Contains(rec.Header().Get("Set-Cookie"), heldCookie+"=1") {
				t.Errorf("the held post does not tell the browser")
			}
		}
		if held.Code != http.StatusSeeOther || held.Location != "/signin?held=1" {
			t.Fatalf("a post after the session ended: %d %q", held.Code, held.Location)
		}
		if n := e.count(t, "held_posts"); n != 2 {
			t.Fatalf("%d held posts, want 2", n)
		}
		var sealed []byte
		if err := db.Engine.SQLDB().QueryRow(`SELECT post_sealed FROM held_posts LIMIT 1`).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(sealed), "session ran out") {
			t.Error("the held post is stored in the clear")
		}
		if e.count(t, "journal_entries") != 0 {
			t.Fatal("the post acted without a session")
		}

		// The provider signing in sends nothing of the client's.
		heldReq := func(bearer string) *formAnswer {
			rec := e.send(t, envRequest{method: "GET", path: "/resume", token: bearer})
			return &formAnswer{Code: rec.Code, Location: rec.Header().Get("Location"), Body: rec.Body.String()}
		}
		if got := heldReq(e.signIn(t, e.c.Provider)); got.Code != http.StatusSeeOther || got.Location != "/" {
			t.Errorf("the provider's /resume: %d %q", got.Code, got.Location)
		}
		if e.count(t, "held_posts") != 2 || e.count(t, "journal_entries") != 0 {
			t.Fatal("another user's sign-in sent or dropped the client's held post")
		}

		// The client signs in again: saved once, and they land on the
		// page the quick entry leads to.
		got := heldReq(e.signIn(t, e.c.Client))
		if got.Code != http.StatusSeeOther || !strings.HasPrefix(got.Location, "/?done=entry-saved") {
			t.Errorf("/resume: %d %q", got.Code, got.Location)
		}
		if n := e.count(t, "journal_entries"); n != 1 {
			t.Errorf("%d entries after the resume, want 1", n)
		}
		if n := e.count(t, "held_posts"); n != 0 {
			t.Errorf("%d held posts after the resume", n)
		}
		var audit string
		if err := db.Engine.SQLDB().QueryRow(`SELECT coalesce(string_agg(action || ' ' || coalesce(reason, ''), ','), '') FROM audit_events WHERE action LIKE 'form.%'`).Scan(&audit); err != nil {
			// SQLite names it group_concat.
			if err := db.Engine.SQLDB().QueryRow(`SELECT coalesce(group_concat(action || ' ' || coalesce(reason, ''), ','), '') FROM audit_events WHERE action LIKE 'form.%'`).Scan(&audit); err != nil {
				t.Fatal(err)
			}
		}
		if !strings.Contains(audit, "form.held") || !strings.Contains(audit, "form.resumed") || strings.Contains(audit, "session ran out") {
			t.Errorf("the audit rows of holding and resuming: %q", audit)
		}

		// Kept no longer than a session could live.
		db.Clock.Advance(time.Minute)
		e.client = e.signIn(t, e.c.Client)
		late := e.srv.newFormToken(e.c.Client.ID)
		db.Clock.Advance(2 * time.Hour)
		e.send(t, envRequest{method: "POST", path: "/journal/quick", token: e.client,
			body: url.Values{"mood": {"5"}, formTokenField: {late}}.Encode(), contentType: "application/x-www-form-urlencoded"})
		db.Clock.Advance(e.srv.sessions.Absolute + time.Minute)
		if got := heldReq(e.signIn(t, e.c.Client)); got.Location != "/" || e.count(t, "journal_entries") != 1 {
			t.Errorf("a post held longer than a session lives was sent: %d %q", got.Code, got.Location)
		}
	})
}
