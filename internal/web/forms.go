package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// Nothing a person types is lost or sent twice (issue #18):
//
//   - Every form a signed-in person is shown carries a one-time token,
//     put into each <form method="post"> as the page is rendered
//     (withFormTokens). formOnce claims the token's nonce before the
//     handler runs: a reload of a post's answer or a double click posts
//     the same token again, acts no more, and is led where the first post
//     led.
//   - A form posted after its session ended is kept, sealed in the store
//     under its owner's key and for at most the absolute session limit,
//     never in the URL or the browser. The token says whose it is. Once
//     that same person signs in again, GET /resume sends it, as them, and
//     lands where it leads.
//
// A post without a token (an API client, a script's mark-read, a page of
// an older version) goes through as before.

// formTokenField is the hidden field's name.
const formTokenField = "form_token"

// heldCookie tells the browser's next visit to "/" that a post is kept
// for whoever signs in; it holds no more than that.
const heldCookie = "__Host-held"

// formToken is a parsed token: user.issued.nonce.mac, the MAC the
// keyring's over the rest.
type formToken struct {
	user   string
	issued time.Time
	nonce  string
}

// newFormToken makes a token for userID's form.
func (s *Server) newFormToken(userID string) string {
	var b [16]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read never fails (Go 1.24+)
	payload := userID + "." + strconv.FormatInt(s.now().Unix(), 10) + "." + hex.EncodeToString(b[:])
	return payload + "." + s.store.FormMAC(payload)
}

// parseFormToken checks a token's MAC and shape.
func (s *Server) parseFormToken(token string) (formToken, bool) {
	i := strings.LastIndexByte(token, '.')
	if i < 0 || len(token) > 200 {
		return formToken{}, false
	}
	payload, mac := token[:i], token[i+1:]
	if !hmac.Equal([]byte(mac), []byte(s.store.FormMAC(payload))) {
		return formToken{}, false
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 3 || !care.ValidID(parts[0]) || len(parts[2]) != 32 {
		return formToken{}, false
	}
	secs, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return formToken{}, false
	}
	return formToken{user: parts[0], issued: time.Unix(secs, 0), nonce: parts[2]}, true
}

// withFormTokens puts a token of its own into each post form of a page
// rendered for userID.
func (s *Server) withFormTokens(page []byte, userID string) []byte {
	var out bytes.Buffer
	rest := page
	for {
		i := bytes.Index(rest, []byte("<form "))
		if i < 0 {
			break
		}
		end := bytes.IndexByte(rest[i:], '>')
		if end < 0 {
			break
		}
		tag := rest[i : i+end+1]
		out.Write(rest[:i+end+1])
		if bytes.Contains(bytes.ToLower(tag), []byte(`method="post"`)) {
			out.WriteString(`<input type="hidden" name="` + formTokenField + `" value="` + s.newFormToken(userID) + `">`)
		}
		rest = rest[i+end+1:]
	}
	out.Write(rest)
	return out.Bytes()
}

// formOnce is the middleware of the two promises above, for the pages'
// posts (not the API's).
func (s *Server) formOnce(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || isAPI(r) || isFHIR(r) || readOnlyPosts[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		body, raw, ok := formTokenOf(r)
		if !ok || raw == "" {
			next.ServeHTTP(w, r)
			return
		}
		tok, ok := s.parseFormToken(raw)
		if !ok {
			s.renderError(w, r, care.Errorf(care.Invalid, "this form could not be checked, so nothing was sent; open the page again and send it from there"))
			return
		}
		// A kept post is sent as it was (its token was good when it came).
		if _, resumed := r.Context().Value(resumeKey{}).(bool); !resumed && s.now().Sub(tok.issued) > s.sessions.Absolute {
			s.renderError(w, r, care.Errorf(care.Invalid, "this page was open for too long, so nothing was sent; open it again and send the form from there"))
			return
		}
		a := authOf(r)
		if a == nil || a.session.Stage != care.StageFull {
			if !holdable(r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			s.hold(w, r, tok, body)
			return
		}
		if a.actor.UserID != tok.user {
			s.renderError(w, r, care.Errorf(care.Forbidden, "this form was opened by someone else who was signed in on this browser, so nothing was sent"))
			return
		}
		// A second post of the token is led where the first led, after
		// waiting a little for a first still running (a double click); if
		// the first was refused meanwhile, this one may act.
		var claim store.FormClaim
		for range 2 {
			var err error
			if claim, err = s.store.ClaimFormToken(r.Context(), tok.user, tok.nonce, s.now().Add(s.sessions.Absolute)); err != nil {
				s.renderError(w, r, err)
				return
			}
			if claim.First || !s.waitForFirst(r, tok, &claim) {
				break
			}
		}
		if !claim.First {
			if claim.Location != "" && localPath(claim.Location) {
				http.Redirect(w, r, claim.Location, http.StatusSeeOther) //nolint:gosec // G710: a local path, checked above
				return
			}
			s.renderError(w, r, care.Errorf(care.Conflict, "this form was sent already; it is not sent twice"))
			return
		}
		rec := &statusWriter{ResponseWriter: w} // middleware.go
		next.ServeHTTP(rec, r)
		// A refused or failed post may be sent again; one that acted may
		// not (a page shown in answer counts as acting).
		var err error
		if rec.status >= 400 {
			err = s.store.ReleaseFormToken(r.Context(), tok.nonce)
		} else {
			err = s.store.FinishFormToken(r.Context(), tok.nonce, rec.status, rec.Header().Get("Location"))
		}
		if err != nil {
			s.log.Error("form token", "request_id", RequestID(r.Context()), "error", err.Error())
		}
	})
}

// waitForFirst waits up to five seconds for the answer of the first post
// of tok, into claim; it reports true if that post was refused meanwhile
// (its token released), so that this one may claim it.
func (s *Server) waitForFirst(r *http.Request, tok formToken, claim *store.FormClaim) (released bool) {
	for wait := 0; claim.Status == 0 && wait < 50; wait++ {
		select {
		case <-r.Context().Done():
			return false
		case <-time.After(100 * time.Millisecond):
		}
		c, err := s.store.FormToken(r.Context(), tok.user, tok.nonce)
		if care.ErrorCode(err) == care.NotFound {
			return true
		} else if err != nil {
			return false
		}
		*claim = c
	}
	return false
}

// resumeKey marks a post resumeHeld sends.
type resumeKey struct{}

// heldPost is a kept form: where it went and what it said.
type heldPost struct {
	Path        string `json:"path"`
	ContentType string `json:"content_type"`
	Body        []byte `json:"body"`
}

// hold keeps the post of a person whose session has ended and sends them
// to sign in again.
func (s *Server) hold(w http.ResponseWriter, r *http.Request, tok formToken, body []byte) {
	post, err := json.Marshal(heldPost{Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Body: body})
	if err == nil {
		err = s.store.HoldPost(r.Context(), tok.user, post, s.sessions.Absolute)
	}
	if err != nil {
		if care.ErrorCode(err) == care.NotFound {
			s.renderError(w, r, care.Errorf(care.Unauthenticated, "sign in first"))
			return
		}
		s.renderError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: heldCookie, Value: "1", Path: "/", MaxAge: int(s.sessions.Absolute / time.Second),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	clearSessionCookie(w)
	http.Redirect(w, r, "/signin?held=1", http.StatusSeeOther)
}

// readOnlyPosts are the searches posted so that what a person searched
// for (words of their journal, a client's name) stays out of the URL and
// the browser's history (searchPost): they change nothing, so a second
// post is simply a second search, and nothing is kept after a session
// ends.
var readOnlyPosts = map[string]bool{"/journal/search": true, "/clients/search": true}

// searchPost serves a search form's post with page, the GET handler of
// the same page, as if its fields were the URL's query: the query lives
// only inside the server.
func searchPost(page func(http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := parseForm(w, r); err != nil {
			return err
		}
		q := url.Values{}
		for k, v := range r.PostForm {
			if k != formTokenField {
				q[k] = v
			}
		}
		r2 := r.Clone(r.Context())
		r2.URL.RawQuery = q.Encode()
		w.Header().Set("Cache-Control", "no-store")
		return page(w, r2)
	}
}

// holdable reports whether a post to path is kept when its session has
// ended: not signing in or out, which would mean nothing later.
func holdable(path string) bool {
	for _, p := range []string{"/signout", "/signin", "/invite", "/reset", "/forgot", "/email"} {
		if path == p || strings.HasPrefix(path, p+"/") {
			return false
		}
	}
	return true
}

// hasHeld reports whether the browser was told a post is kept.
func hasHeld(r *http.Request) bool {
	c, err := r.Cookie(heldCookie)
	return err == nil && c.Value == "1"
}

// GET /resume: after signing in again, the posts kept for this person are
// sent, oldest first, as them; the browser lands where the last one leads
// (or sees its answer, such as a form with a problem and their text).
func (s *Server) resumeHeld(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: heldCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	posts, err := s.store.TakeHeldPosts(r.Context(), actor)
	if err != nil {
		return err
	}
	var last *bufferedResponse
	for _, raw := range posts {
		var p heldPost
		if err := json.Unmarshal(raw, &p); err != nil || !localPath(p.Path) || strings.HasPrefix(p.Path, "/api/") {
			continue
		}
		ctx := context.WithValue(r.Context(), resumeKey{}, true)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.Path, bytes.NewReader(p.Body))
		if err != nil {
			continue
		}
		req.Header.Set("Content-Type", p.ContentType)
		req.Header.Set("Cookie", r.Header.Get("Cookie"))
		req.Header.Set("Accept", "text/html")
		req.RemoteAddr = r.RemoteAddr
		last = &bufferedResponse{header: http.Header{}}
		s.handler.ServeHTTP(last, req)
	}
	if last == nil {
		return redirect(w, r, "/")
	}
	if loc := last.header.Get("Location"); last.status/100 == 3 && localPath(loc) {
		return redirect(w, r, loc)
	}
	w.Header().Set("Content-Type", last.header.Get("Content-Type"))
	w.WriteHeader(last.status)
	w.Write(last.body.Bytes()) //nolint:errcheck // the client has gone if this fails
	return nil
}

// bufferedResponse is the answer to a post sent by resumeHeld.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

// formTokenOf reads a form post's body (leaving it for the handler) and
// its token: ok is false for a body that is not a form or is too large
// to keep, which the handler then refuses as it would.
func formTokenOf(r *http.Request) (body []byte, token string, ok bool) {
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (ct != "application/x-www-form-urlencoded" && ct != "multipart/form-data") {
		return nil, "", false
	}
	limit := int64(formLimit)
	if ct == "multipart/form-data" {
		limit = maxComposeBody
	}
	body, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
	if err != nil || int64(len(body)) > limit {
		return nil, "", false
	}
	if ct == "application/x-www-form-urlencoded" {
		v, err := url.ParseQuery(string(body))
		return body, v.Get(formTokenField), err == nil
	}
	// The token is a multipart form's first field: withFormTokens puts it
	// right after the form's tag.
	part, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).NextPart()
	if err != nil || part.FormName() != formTokenField {
		return body, "", true
	}
	v, err := io.ReadAll(io.LimitReader(part, 256))
	return body, string(v), err == nil
}
