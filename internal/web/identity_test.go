package web

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// goodPassword passes the password policy for every role: over 15 code
// points, not a common password, not made of a clinic's name or an email.
const goodPassword = "lantern quarry velvet 1942"

// webEnv is a Server whose clock is the store's fake clock, so that
// session lifetimes, authenticator codes and sign-in backoff all move
// together when a test advances db.Clock.
type webEnv struct {
	db  *storetest.DB
	srv *Server
	log *syncBuffer
}

func newWebEnv(t *testing.T, db *storetest.DB) *webEnv {
	t.Helper()
	logs := &syncBuffer{}
	srv, err := New(Config{
		Store:     db.Store,
		Logger:    slog.New(slog.NewJSONHandler(logs, nil)),
		Registry:  prometheus.NewRegistry(),
		BaseURL:   "http://interlude.test",
		Now:       db.Clock.Now,
		Passwords: auth.TestParams(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return &webEnv{db: db, srv: srv, log: logs}
}

// envRequest is one request to a webEnv's server.
type envRequest struct {
	method, path string
	token        string // bearer token; "" sends none
	body         any    // nil: no body; string or []byte: sent as is; anything else as JSON
	contentType  string // with a body, application/json unless set
	header       map[string]string
	remoteAddr   string // httptest's 192.0.2.1:1234 unless set
}

func (e *webEnv) send(t *testing.T, req envRequest) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	switch b := req.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(data)
	}
	r := httptest.NewRequest(req.method, req.path, body)
	if req.body != nil {
		ct := req.contentType
		if ct == "" {
			ct = "application/json"
		}
		r.Header.Set("Content-Type", ct)
	}
	if req.token != "" {
		r.Header.Set("Authorization", "Bearer "+req.token)
	}
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	if req.remoteAddr != "" {
		r.RemoteAddr = req.remoteAddr
	}
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, r)
	return rec
}

// call sends a request with an optional bearer token and body.
func (e *webEnv) call(t *testing.T, method, path, token string, body any) *httptest.ResponseRecorder {
	t.Helper()
	return e.send(t, envRequest{method: method, path: path, token: token, body: body})
}

// respJSON decodes a JSON response body into a T.
func respJSON[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("response %d is not JSON (%v): %q", rec.Code, err, rec.Body)
	}
	return v
}

// errorOf is the API.md error shape.
type errorOf struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

// respError decodes an API error response; a body that is not one gives
// the zero value.
func respError(rec *httptest.ResponseRecorder) errorOf {
	var e errorOf
	json.Unmarshal(rec.Body.Bytes(), &e) //nolint:errcheck // by design, as said above: the caller's checks then fail on the zero value
	return e
}

// expect fails the test unless rec has the status and, for an error,
// the API error code.
func expect(t *testing.T, rec *httptest.ResponseRecorder, status int, code, what string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("%s: got %d %s, want %d", what, rec.Code, strings.TrimSpace(rec.Body.String()), status)
	}
	if code != "" {
		if got := respError(rec).Error.Code; got != code {
			t.Fatalf("%s: error code %q, want %q (%s)", what, got, code, strings.TrimSpace(rec.Body.String()))
		}
	}
}

// setPassword gives u the password goodPassword.
func (e *webEnv) setPassword(t *testing.T, u care.User) {
	t.Helper()
	h, err := auth.HashPassword(auth.TestParams(), goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.Store.SetPasswordHash(context.Background(), u.ID, h); err != nil {
		t.Fatal(err)
	}
}

// enrollTOTP gives u a working authenticator app and returns its secret.
func (e *webEnv) enrollTOTP(t *testing.T, u care.User) []byte {
	t.Helper()
	ctx := context.Background()
	secret := auth.NewTOTPSecret()
	if err := e.db.Store.SetTOTP(ctx, actorOf(u), secret); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Store.ConfirmTOTP(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	return secret
}

func actorOf(u care.User) care.Actor {
	return care.Actor{UserID: u.ID, ClinicID: u.ClinicID, Role: u.Role}
}

// codeAfter returns the code of secret for a step later than last and
// within the skew the server allows around its clock (db.Clock): the
// current step's, or the next one's when the current step was used. When
// even that was used, it moves the clock on.
func (e *webEnv) codeAfter(secret []byte, last int64) string {
	cur := auth.TOTPStep(e.db.Clock.Now())
	step := max(cur, last+1)
	if step > cur+auth.TOTPSkew {
		e.db.Clock.Advance(time.Duration(step-cur-auth.TOTPSkew) * auth.TOTPPeriod)
	}
	return auth.TOTPCode(secret, step)
}

// nextCode returns an authenticator code of the user with this email that
// the server has not accepted yet.
func (e *webEnv) nextCode(t *testing.T, email string) string {
	t.Helper()
	creds, err := e.db.Store.CredentialsByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	if creds.TOTPSecret == nil {
		t.Fatalf("%s has no authenticator app", email)
	}
	return e.codeAfter(creds.TOTPSecret, creds.TOTPLastStep)
}

// signIn signs u in through POST /api/v1/sessions with goodPassword and,
// if the account needs one, a fresh authenticator code, and returns the
// bearer token.
func (e *webEnv) signIn(t *testing.T, u care.User) string {
	t.Helper()
	creds, err := e.db.Store.CredentialsByEmail(context.Background(), u.Email)
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]string{"email": u.Email, "password": goodPassword}
	if creds.MFARequired() {
		if creds.TOTPSecret == nil {
			t.Fatalf("%s needs a second factor and has no authenticator app", u.Email)
		}
		body["totp_code"] = e.codeAfter(creds.TOTPSecret, creds.TOTPLastStep)
	}
	rec := e.call(t, "POST", "/api/v1/sessions", "", body)
	expect(t, rec, http.StatusCreated, "", "signing in "+u.Email)
	out := respJSON[struct {
		Token string `json:"token"`
		User  struct {
			ID string `json:"id"`
		} `json:"user"`
	}](t, rec)
	if out.Token == "" || out.User.ID != u.ID {
		t.Fatalf("signing in %s: %s", u.Email, rec.Body)
	}
	return out.Token
}

// count counts the rows of a table.
func (e *webEnv) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := e.db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// sessionRows counts the stored sessions of a token, which the store
// keeps only as a hash (SE-01).
func (e *webEnv) sessionRows(t *testing.T, token string) int {
	t.Helper()
	var n int
	if err := e.db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM sessions WHERE token_hash = $1`, auth.HashToken(token)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func decodeSecret(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil {
		t.Fatalf("secret %q is not base32: %v", s, err)
	}
	return b
}

// invitationJSON is the answer to POST /api/v1/invitations.
type invitationJSON struct {
	ID        string    `json:"id"`
	Token     string    `json:"token"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// acceptJSON is the answer to POST /api/v1/invitations/{token}/accept.
type acceptJSON struct {
	User struct {
		ID       string `json:"id"`
		Role     string `json:"role"`
		ClinicID string `json:"clinic_id"`
		Email    string `json:"email"`
	} `json:"user"`
	TOTP *struct {
		Secret string `json:"secret"`
		URI    string `json:"uri"`
	} `json:"totp"`
}

// signInJSON is the answer to POST /api/v1/sessions.
type signInJSON struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      struct {
		ID       string `json:"id"`
		Role     string `json:"role"`
		ClinicID string `json:"clinic_id"`
	} `json:"user"`
}

// TestInvitationAcceptSignInFlow follows each role from invitation to a
// signed-in session: the first admin (invited by an operator), a provider
// invited by that admin, and a client invited by that provider (AU-01,
// AU-02, AU-03, AU-08, AU-12).
func TestInvitationAcceptSignInFlow(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		ctx := context.Background()
		clinic := care.Clinic{Name: "Harbour Counseling"}
		if err := db.Store.CreateClinic(ctx, &clinic); err != nil {
			t.Fatal(err)
		}

		// The first admin's invitation comes from `interlude clinic
		// create`, which is not an API: the store makes it.
		adminInvite, hash := auth.NewInvitationToken()
		inv := &care.Invitation{ClinicID: clinic.ID, Role: care.RoleAdmin, Email: "ada@harbour.test", DisplayName: "Ada"}
		if err := db.Store.CreateInvitation(ctx, care.Actor{}, inv, hash, care.DefaultInvitationLifetime().Staff); err != nil {
			t.Fatal(err)
		}
		adminID, adminToken := e.acceptAndSignIn(t, adminInvite, care.RoleAdmin, clinic, "ada@harbour.test")

		// The admin invites a provider.
		provInvite := e.inviteVia(t, adminToken, care.RoleProvider, "pat@harbour.test", "Pat")
		providerID, providerToken := e.acceptAndSignIn(t, provInvite, care.RoleProvider, clinic, "pat@harbour.test")

		// The provider invites a client.
		clientInvite := e.inviteVia(t, providerToken, care.RoleClient, "cat@harbour.test", "Cat")
		clientID, _ := e.acceptAndSignIn(t, clientInvite, care.RoleClient, clinic, "cat@harbour.test")

		// The client joined the inviting provider's care team.
		rec := e.call(t, "GET", "/api/v1/clients", providerToken, nil)
		expect(t, rec, http.StatusOK, "", "the provider's caseload")
		caseload := respJSON[struct {
			Clients []struct {
				ID string `json:"id"`
			} `json:"clients"`
		}](t, rec)
		if len(caseload.Clients) != 1 || caseload.Clients[0].ID != clientID {
			t.Errorf("caseload %s, want just the invited client %s", rec.Body, clientID)
		}
		rec = e.call(t, "GET", "/api/v1/clients/"+clientID, providerToken, nil)
		expect(t, rec, http.StatusOK, "", "the provider reading the invited client")

		// The admin sees the three accounts.
		rec = e.call(t, "GET", "/api/v1/users", adminToken, nil)
		expect(t, rec, http.StatusOK, "", "the admin's user list")
		for _, id := range []string{adminID, providerID, clientID} {
			if !strings.Contains(rec.Body.String(), id) {
				t.Errorf("user list lacks %s: %s", id, rec.Body)
			}
		}

		// No secret reached the log (AU-06, AU-12).
		logs := e.log.String()
		for name, secret := range map[string]string{
			"an invitation token": adminInvite, "another invitation token": provInvite, "a third invitation token": clientInvite,
			"a password": goodPassword, "a session token": adminToken, "another session token": providerToken,
		} {
			if strings.Contains(logs, secret) {
				t.Errorf("the log holds %s", name)
			}
		}
	})
}

// inviteVia makes an invitation through POST /api/v1/invitations and
// returns its token.
func (e *webEnv) inviteVia(t *testing.T, token string, role care.Role, email, name string) string {
	t.Helper()
	rec := e.call(t, "POST", "/api/v1/invitations", token, map[string]string{
		"role": string(role), "email": email, "display_name": name,
	})
	expect(t, rec, http.StatusCreated, "", "inviting a "+string(role))
	inv := respJSON[invitationJSON](t, rec)
	if inv.ID == "" || !auth.ValidToken(inv.Token) {
		t.Fatalf("invitation answer %s", rec.Body)
	}
	if !strings.HasPrefix(inv.URL, "http://interlude.test/") || !strings.Contains(inv.URL, inv.Token) {
		t.Errorf("invitation url %q does not lead to http://interlude.test with the token", inv.URL)
	}
	if want := e.db.Clock.Now().Add(care.DefaultInvitationLifetime().For(role)); !inv.ExpiresAt.Equal(want) {
		t.Errorf("expires_at %v, want %v", inv.ExpiresAt, want)
	}
	return inv.Token
}

// acceptAndSignIn opens an invitation, accepts it (after refusals of bad
// passwords) and signs the new account in; it returns the new user's id
// and a bearer token.
func (e *webEnv) acceptAndSignIn(t *testing.T, token string, role care.Role, clinic care.Clinic, email string) (string, string) {
	t.Helper()
	staff := role.Staff()
	what := string(role) + ": "

	rec := e.call(t, "GET", "/api/v1/invitations/"+token, "", nil)
	expect(t, rec, http.StatusOK, "", what+"opening the invitation")
	shown := respJSON[struct {
		Role        string `json:"role"`
		ClinicName  string `json:"clinic_name"`
		MFARequired bool   `json:"mfa_required"`
	}](t, rec)
	if shown.Role != string(role) || shown.ClinicName != clinic.Name || shown.MFARequired != staff {
		t.Errorf("%sinvitation shows %s, want role %s, clinic %q, mfa_required %v", what, rec.Body, role, clinic.Name, staff)
	}

	accept := "/api/v1/invitations/" + token + "/accept"
	// Too short: staff need 8 code points (they always have a second
	// factor), clients 15 (AU-02).
	short := "fourteen chars"
	if staff {
		short = "7 chars"
	}
	rec = e.call(t, "POST", accept, "", map[string]string{"password": short})
	expect(t, rec, http.StatusBadRequest, "invalid", what+"too short a password")
	if f := respError(rec).Error.Field; f != "password" {
		t.Errorf("%stoo short a password: field %q, want password", what, f)
	}
	// Common (AU-03).
	rec = e.call(t, "POST", accept, "", map[string]string{"password": "password1234567"})
	expect(t, rec, http.StatusBadRequest, "invalid", what+"a common password")
	if f := respError(rec).Error.Field; f != "password" {
		t.Errorf("%sa common password: field %q, want password", what, f)
	}
	// The refusals did not use the invitation up.
	rec = e.call(t, "POST", accept, "", map[string]string{"password": goodPassword})
	expect(t, rec, http.StatusCreated, "", what+"accepting")
	acc := respJSON[acceptJSON](t, rec)
	if acc.User.Role != string(role) || acc.User.ClinicID != clinic.ID || acc.User.Email != email || acc.User.ID == "" {
		t.Errorf("%saccepted user %s", what, rec.Body)
	}
	var secret []byte
	switch {
	case staff && acc.TOTP == nil:
		t.Fatalf("%sno authenticator secret to enroll: %s", what, rec.Body)
	case staff:
		secret = decodeSecret(t, acc.TOTP.Secret)
		if len(secret) != auth.TOTPSecretSize {
			t.Errorf("%sa %d-byte secret", what, len(secret))
		}
		if !strings.HasPrefix(acc.TOTP.URI, "otpauth://totp/") || !strings.Contains(acc.TOTP.URI, "secret="+acc.TOTP.Secret) {
			t.Errorf("%stotp.uri %q", what, acc.TOTP.URI)
		}
	case acc.TOTP != nil:
		t.Errorf("%sa client got an authenticator secret: %s", what, rec.Body)
	}

	// Single use (AU-12).
	rec = e.call(t, "POST", accept, "", map[string]string{"password": goodPassword})
	expect(t, rec, http.StatusNotFound, "not_found", what+"accepting again")
	rec = e.call(t, "GET", "/api/v1/invitations/"+token, "", nil)
	expect(t, rec, http.StatusNotFound, "not_found", what+"opening a used invitation")

	signIn := map[string]string{"email": email, "password": goodPassword}
	if staff {
		// Staff need their second factor (AU-01).
		rec = e.call(t, "POST", "/api/v1/sessions", "", signIn)
		expect(t, rec, http.StatusUnauthorized, "mfa_required", what+"signing in without a code")
		signIn["totp_code"] = auth.TOTPCode(secret, auth.TOTPStep(e.db.Clock.Now()))
	}
	rec = e.call(t, "POST", "/api/v1/sessions", "", signIn)
	expect(t, rec, http.StatusCreated, "", what+"signing in")
	out := respJSON[signInJSON](t, rec)
	if out.User.ID != acc.User.ID || out.User.Role != string(role) || out.User.ClinicID != clinic.ID {
		t.Errorf("%ssigned in as %s", what, rec.Body)
	}
	if want := e.db.Clock.Now().Add(care.DefaultSessionPolicy().Absolute); !out.ExpiresAt.Equal(want) {
		t.Errorf("%sexpires_at %v, want %v", what, out.ExpiresAt, want)
	}
	if staff {
		// The same code again is refused (AU-08).
		rec = e.call(t, "POST", "/api/v1/sessions", "", signIn)
		expect(t, rec, http.StatusUnauthorized, "", what+"replaying the code")
		if strings.Contains(rec.Body.String(), `"token"`) {
			t.Errorf("%sa replayed code got a token", what)
		}
	}
	rec = e.call(t, "GET", "/api/v1/me", out.Token, nil)
	expect(t, rec, http.StatusOK, "", what+"GET /api/v1/me")
	me := respJSON[struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		MFA struct {
			TOTP bool `json:"totp"`
		} `json:"mfa"`
	}](t, rec)
	if me.User.ID != acc.User.ID || me.MFA.TOTP != staff {
		t.Errorf("%sGET /api/v1/me: %s", what, rec.Body)
	}
	return acc.User.ID, out.Token
}

// retryAfter reads a 429's Retry-After header in seconds.
func retryAfter(t *testing.T, rec *httptest.ResponseRecorder) int {
	t.Helper()
	n, err := strconv.Atoi(rec.Header().Get("Retry-After"))
	if err != nil || n < 1 {
		t.Fatalf("Retry-After %q", rec.Header().Get("Retry-After"))
	}
	return n
}

// TestThrottling (AU-05): per account, exponential backoff from the fifth
// consecutive failure, during which even the right password is refused
// unchecked; a success resets it. Per address, a higher allowance.
func TestThrottling(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "Throttle")
		for _, u := range []care.User{c.Client, c.OtherClient} {
			e.setPassword(t, u)
		}
		attempt := func(email, password, addr string) *httptest.ResponseRecorder {
			t.Helper()
			return e.send(t, envRequest{method: "POST", path: "/api/v1/sessions", remoteAddr: addr,
				body: map[string]string{"email": email, "password": password}})
		}

		t.Run("account", func(t *testing.T) {
			const addr = "198.51.100.1:4000"
			for i := 1; i < auth.BackoffThreshold; i++ {
				rec := attempt(c.Client.Email, fmt.Sprintf("wrong password %d", i), addr)
				expect(t, rec, http.StatusUnauthorized, "unauthenticated", fmt.Sprintf("failure %d", i))
				if h := rec.Header().Get("Retry-After"); h != "" {
					t.Errorf("failure %d: Retry-After %q", i, h)
				}
			}
			var waits []int
			for i := auth.BackoffThreshold; i < auth.BackoffThreshold+4; i++ {
				rec := attempt(c.Client.Email, "wrong password again", addr)
				expect(t, rec, http.StatusTooManyRequests, "rate_limited", fmt.Sprintf("failure %d", i))
				wait := retryAfter(t, rec)
				waits = append(waits, wait)
				// During the backoff the right password is refused too,
				// without being checked or counted.
				rec = attempt(c.Client.Email, goodPassword, addr)
				expect(t, rec, http.StatusTooManyRequests, "rate_limited", fmt.Sprintf("the right password after failure %d", i))
				if w := retryAfter(t, rec); w > wait {
					t.Errorf("refused attempt: Retry-After %d > %d", w, wait)
				}
				db.Clock.Advance(time.Duration(wait-1) * time.Second)
				rec = attempt(c.Client.Email, goodPassword, addr)
				expect(t, rec, http.StatusTooManyRequests, "rate_limited", fmt.Sprintf("a second before the backoff of failure %d ends", i))
				db.Clock.Advance(time.Second)
			}
			if !slices.Equal(waits, []int{1, 2, 4, 8}) {
				t.Errorf("Retry-After went %v, want 1 2 4 8", waits)
			}
			// The backoff is over: the right password works and resets
			// the count.
			expect(t, attempt(c.Client.Email, goodPassword, addr), http.StatusCreated, "", "the right password after the backoff")
			for i := 1; i < auth.BackoffThreshold; i++ {
				expect(t, attempt(c.Client.Email, "wrong", addr), http.StatusUnauthorized, "unauthenticated", fmt.Sprintf("failure %d after the reset", i))
			}
			expect(t, attempt(c.Client.Email, "wrong", addr), http.StatusTooManyRequests, "rate_limited", "the fifth failure after the reset")
		})

		t.Run("account across addresses", func(t *testing.T) {
			// Changing the source address does not escape the account's
			// backoff.
			u := c.OtherClient
			for i := 1; i <= auth.BackoffThreshold; i++ {
				rec := attempt(u.Email, "wrong", fmt.Sprintf("198.51.100.%d:4000", 100+i))
				want := http.StatusUnauthorized
				if i == auth.BackoffThreshold {
					want = http.StatusTooManyRequests
				}
				expect(t, rec, want, "", fmt.Sprintf("failure %d from its own address", i))
			}
			expect(t, attempt(u.Email, goodPassword, "198.51.100.200:4000"), http.StatusTooManyRequests, "rate_limited",
				"the right password from yet another address")
			db.Clock.Advance(time.Second)
			expect(t, attempt(u.Email, goodPassword, "198.51.100.200:4000"), http.StatusCreated, "", "after the backoff")
		})

		t.Run("address", func(t *testing.T) {
			const addr = "203.0.113.7:5000"
			first := addressAllowance + auth.BackoffThreshold // the first failure answered 429
			for i := 1; i <= 30; i++ {
				rec := attempt(fmt.Sprintf("nobody%d@nowhere.test", i), "wrong", addr)
				want := http.StatusUnauthorized
				if i >= first {
					want = http.StatusTooManyRequests
				}
				expect(t, rec, want, "", fmt.Sprintf("unknown email %d from one address", i))
			}
			// The address waits, whoever signs in from it...
			rec := attempt(c.OtherClient.Email, goodPassword, addr)
			expect(t, rec, http.StatusTooManyRequests, "rate_limited", "a real account from the throttled address")
			retryAfter(t, rec)
			// ...and other addresses do not.
			expect(t, attempt(c.OtherClient.Email, goodPassword, "203.0.113.8:5000"), http.StatusCreated, "", "from another address")
		})

		newUser := func(t *testing.T, email string) care.User {
			t.Helper()
			u := care.User{ClinicID: c.Clinic.ID, Role: care.RoleClient, Email: email, DisplayName: "Someone"}
			if err := db.Store.CreateUser(context.Background(), &u); err != nil {
				t.Fatal(err)
			}
			e.setPassword(t, u)
			return u
		}

		t.Run("an address forgets old failures", func(t *testing.T) {
			// A clinic's shared address collects everyone's typos. Those
			// of last month must not make today's one typo lock the
			// whole clinic out (AU-05: no lockout anyone can cause).
			const addr = "203.0.113.50:5000"
			u := newUser(t, "typist@throttle.test")
			for i := range addressAllowance + 2*auth.BackoffThreshold {
				attempt(fmt.Sprintf("someone%d@throttle.test", i), "wrong", addr)
			}
			db.Clock.Advance(30 * 24 * time.Hour)
			expect(t, attempt(u.Email, "a typo", addr), http.StatusUnauthorized, "unauthenticated", "one typo a month later")
			expect(t, attempt(u.Email, goodPassword, addr), http.StatusCreated, "", "the right password after that typo")
		})

		t.Run("parallel attempts", func(t *testing.T) {
			// Fifty wrong passwords at once, from fifty addresses, are
			// throttled as if they came one after another: no more than
			// BackoffThreshold are checked before the backoff refuses the
			// rest unchecked (AU-05: limited atomically). Each checked
			// attempt records one failure; a refused one records none.
			u := newUser(t, "burst@throttle.test")
			var wg sync.WaitGroup
			for i := range 50 {
				wg.Go(func() { attempt(u.Email, fmt.Sprintf("guess %d", i), fmt.Sprintf("192.0.2.%d:1", i+1)) })
			}
			wg.Wait()
			var checked int
			if err := db.Engine.SQLDB().QueryRow(`SELECT failures FROM login_failures WHERE key = $1`,
				store.AccountKey(u.Email)).Scan(&checked); err != nil {
				t.Fatal(err)
			}
			if checked > auth.BackoffThreshold {
				t.Errorf("%d of 50 parallel guesses were checked; one after another, %d would have been", checked, auth.BackoffThreshold)
			}
		})
	})
}

// TestNoAccountEnumeration (AU-07): whether an email has an account, a
// password, or an account that is disabled, the failure looks the same.
func TestNoAccountEnumeration(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Enumeration")
		for _, u := range []care.User{c.Client, c.Admin, c.OtherProvider} {
			e.setPassword(t, u)
		}
		e.enrollTOTP(t, c.Admin)
		if err := db.Store.DisableUser(ctx, c.Actor(c.Admin), c.OtherProvider.ID, "left-clinic"); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name, email, password string
		}{
			{"unknown email", "nobody@enumeration.test", "wrong password"},
			{"wrong password", c.Client.Email, "wrong password"},
			{"staff, wrong password", c.Admin.Email, "wrong password"},
			{"account without a password", c.OtherClient.Email, "wrong password"},
			{"disabled account, right password", c.OtherProvider.Email, goodPassword},
		}
		var first *httptest.ResponseRecorder
		for i, tc := range cases {
			rec := e.send(t, envRequest{method: "POST", path: "/api/v1/sessions", remoteAddr: fmt.Sprintf("198.51.100.%d:1", i+1),
				body: map[string]string{"email": tc.email, "password": tc.password}})
			expect(t, rec, http.StatusUnauthorized, "unauthenticated", tc.name)
			if first == nil {
				first = rec
				continue
			}
			if rec.Body.String() != first.Body.String() {
				t.Errorf("%s: body %s, but %s: %s", tc.name, rec.Body, cases[0].name, first.Body)
			}
			if rec.Header().Get("Content-Type") != first.Header().Get("Content-Type") {
				t.Errorf("%s: content type differs", tc.name)
			}
		}

		// The throttle does not tell them apart either: the fifth failure
		// of an unknown email is refused like a known one's.
		var limited []*httptest.ResponseRecorder
		for _, tc := range cases[:2] {
			var rec *httptest.ResponseRecorder
			for range auth.BackoffThreshold - 1 {
				rec = e.send(t, envRequest{method: "POST", path: "/api/v1/sessions", remoteAddr: "198.51.100.99:1",
					body: map[string]string{"email": tc.email, "password": tc.password}})
			}
			expect(t, rec, http.StatusTooManyRequests, "rate_limited", tc.name+", fifth failure")
			limited = append(limited, rec)
		}
		if a, b := limited[0], limited[1]; a.Body.String() != b.Body.String() || a.Header().Get("Retry-After") != b.Header().Get("Retry-After") {
			t.Errorf("throttled: %s (Retry-After %s) vs %s (Retry-After %s)",
				a.Body, a.Header().Get("Retry-After"), b.Body, b.Header().Get("Retry-After"))
		}
	})
}

// sessionsJSON is the answer to GET /api/v1/sessions.
type sessionsJSON struct {
	Sessions []struct {
		ID      string `json:"id"`
		Kind    string `json:"kind"`
		MFA     bool   `json:"mfa"`
		Current bool   `json:"current"`
	} `json:"sessions"`
}

// TestSessionLifecycle: listing and ending sessions (SE-03), automatic
// logoff (AC-07) and disabling a user (AC-09).
func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "Lifecycle")
		for _, u := range []care.User{c.Client, c.Provider, c.Admin} {
			e.setPassword(t, u)
		}
		e.enrollTOTP(t, c.Provider)
		e.enrollTOTP(t, c.Admin)
		works := func(t *testing.T, token, what string) {
			t.Helper()
			expect(t, e.call(t, "GET", "/api/v1/me", token, nil), http.StatusOK, "", what)
		}
		refused := func(t *testing.T, token, what string) {
			t.Helper()
			expect(t, e.call(t, "GET", "/api/v1/me", token, nil), http.StatusUnauthorized, "unauthenticated", what)
		}
		list := func(t *testing.T, token string) sessionsJSON {
			t.Helper()
			rec := e.call(t, "GET", "/api/v1/sessions", token, nil)
			expect(t, rec, http.StatusOK, "", "listing sessions")
			return respJSON[sessionsJSON](t, rec)
		}

		t.Run("sign out", func(t *testing.T) {
			tok := e.signIn(t, c.Client)
			works(t, tok, "a new token")
			if !auth.ValidToken(tok) || len(tok) != 43 || e.sessionRows(t, tok) != 1 {
				t.Errorf("token %q is not 32 random bytes stored as a hash (SE-01)", tok)
			}
			l := list(t, tok)
			if len(l.Sessions) != 1 || !l.Sessions[0].Current || l.Sessions[0].Kind != "api" || l.Sessions[0].MFA {
				t.Errorf("sessions %+v, want one current api session without MFA", l.Sessions)
			}
			expect(t, e.call(t, "DELETE", "/api/v1/sessions/current", tok, nil), http.StatusNoContent, "", "signing out")
			refused(t, tok, "a signed-out token")
			if n := e.sessionRows(t, tok); n != 0 {
				t.Errorf("signing out left %d session rows", n)
			}
			expect(t, e.call(t, "DELETE", "/api/v1/sessions/current", tok, nil), http.StatusUnauthorized, "unauthenticated", "signing out twice")
		})

		t.Run("end one", func(t *testing.T) {
			t1, t2 := e.signIn(t, c.Client), e.signIn(t, c.Client)
			l := list(t, t1)
			if len(l.Sessions) != 2 {
				t.Fatalf("sessions %+v, want 2", l.Sessions)
			}
			var other string
			for _, s := range l.Sessions {
				if !s.Current {
					other = s.ID
				}
			}
			if other == "" {
				t.Fatalf("no other session in %+v", l.Sessions)
			}
			expect(t, e.call(t, "DELETE", "/api/v1/sessions/"+other, t1, nil), http.StatusNoContent, "", "ending the other session")
			refused(t, t2, "the ended session")
			works(t, t1, "the session that ended the other")
			expect(t, e.call(t, "DELETE", "/api/v1/sessions/"+other, t1, nil), http.StatusNotFound, "not_found", "ending it again")

			// Another user's session cannot be ended by its id.
			pt := e.signIn(t, c.Provider)
			pl := list(t, pt)
			expect(t, e.call(t, "DELETE", "/api/v1/sessions/"+pl.Sessions[0].ID, t1, nil), http.StatusNotFound, "not_found", "ending another user's session")
			works(t, pt, "the other user's session")
			if !pl.Sessions[0].MFA {
				t.Errorf("a staff session signed in with a code is not marked mfa: %+v", pl.Sessions)
			}
			e.call(t, "DELETE", "/api/v1/sessions", t1, nil)
		})

		t.Run("end all", func(t *testing.T) {
			t1, t2, t3 := e.signIn(t, c.Client), e.signIn(t, c.Client), e.signIn(t, c.Client)
			rec := e.call(t, "DELETE", "/api/v1/sessions?keep_current=true", t1, nil)
			expect(t, rec, http.StatusOK, "", "ending the others")
			if n := respJSON[struct{ Ended int }](t, rec).Ended; n != 2 {
				t.Errorf("ended %d, want 2", n)
			}
			works(t, t1, "the kept session")
			refused(t, t2, "an ended session")
			refused(t, t3, "an ended session")

			t4 := e.signIn(t, c.Client)
			rec = e.call(t, "DELETE", "/api/v1/sessions", t4, nil)
			expect(t, rec, http.StatusOK, "", "ending all")
			if n := respJSON[struct{ Ended int }](t, rec).Ended; n != 2 {
				t.Errorf("ended %d, want 2", n)
			}
			refused(t, t1, "after ending all")
			refused(t, t4, "the session that ended all")
		})

		t.Run("idle", func(t *testing.T) {
			policy := care.DefaultSessionPolicy()
			staff, client := e.signIn(t, c.Provider), e.signIn(t, c.Client)
			db.Clock.Advance(policy.StaffIdle)
			works(t, staff, "staff, idle for exactly the limit")
			works(t, client, "client, idle for the staff limit")
			db.Clock.Advance(policy.StaffIdle + time.Second)
			refused(t, staff, "staff, idle for 15 minutes and a second")
			if n := e.sessionRows(t, staff); n != 0 {
				t.Errorf("the expired session's row is still there")
			}
			works(t, client, "client, idle for 15 minutes and a second")
			db.Clock.Advance(policy.ClientIdle)
			works(t, client, "client, idle for exactly the limit")
			db.Clock.Advance(policy.ClientIdle + time.Second)
			refused(t, client, "client, idle for 30 minutes and a second")
		})

		t.Run("absolute", func(t *testing.T) {
			policy := care.DefaultSessionPolicy()
			start := db.Clock.Now()
			tok := e.signIn(t, c.Client)
			for db.Clock.Now().Sub(start)+29*time.Minute < policy.Absolute {
				db.Clock.Advance(29 * time.Minute)
				works(t, tok, fmt.Sprintf("an active session after %v", db.Clock.Now().Sub(start)))
			}
			db.Clock.Advance(policy.Absolute - db.Clock.Now().Sub(start))
			works(t, tok, "an active session at exactly 12 hours")
			db.Clock.Advance(time.Second)
			refused(t, tok, "an active session after 12 hours and a second")
		})

		t.Run("disable", func(t *testing.T) {
			admin, provider := e.signIn(t, c.Admin), e.signIn(t, c.Provider)
			path := "/api/v1/users/" + c.Provider.ID
			expect(t, e.call(t, "POST", path+"/disable", admin, map[string]string{"reason": "left-clinic"}), http.StatusNoContent, "", "disabling the provider")
			refused(t, provider, "the disabled provider's token")
			rec := e.call(t, "POST", "/api/v1/sessions", "", map[string]string{
				"email": c.Provider.Email, "password": goodPassword, "totp_code": e.nextCode(t, c.Provider.Email),
			})
			expect(t, rec, http.StatusUnauthorized, "unauthenticated", "the disabled provider signing in")
			expect(t, e.call(t, "POST", path+"/enable", admin, nil), http.StatusNoContent, "", "enabling the provider")
			works(t, e.signIn(t, c.Provider), "the enabled provider")
		})
	})
}

// TestRecoveryCodes (AU-10): ten single-use codes that stand in for the
// authenticator app; new codes replace the old.
func TestRecoveryCodes(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "Recovery")
		e.setPassword(t, c.Provider)
		e.enrollTOTP(t, c.Provider)
		e.setPassword(t, c.Client)
		tok := e.signIn(t, c.Provider)

		newCodes := func() []string {
			t.Helper()
			rec := e.call(t, "POST", "/api/v1/me/recovery-codes", tok, nil)
			expect(t, rec, http.StatusCreated, "", "new recovery codes")
			codes := respJSON[struct{ Codes []string }](t, rec).Codes
			if len(codes) != 10 || len(slices.Compact(slices.Sorted(slices.Values(codes)))) != 10 {
				t.Fatalf("codes %q, want 10 distinct", codes)
			}
			return codes
		}
		left := func() int {
			t.Helper()
			rec := e.call(t, "GET", "/api/v1/me", tok, nil)
			expect(t, rec, http.StatusOK, "", "GET /api/v1/me")
			return respJSON[struct {
				MFA struct {
					Left int `json:"recovery_codes_left"`
				} `json:"mfa"`
			}](t, rec).MFA.Left
		}
		signIn := func(code string) *httptest.ResponseRecorder {
			t.Helper()
			return e.call(t, "POST", "/api/v1/sessions", "", map[string]string{
				"email": c.Provider.Email, "password": goodPassword, "recovery_code": code,
			})
		}

		codes := newCodes()
		if n := left(); n != 10 {
			t.Errorf("%d codes left, want 10", n)
		}
		expect(t, signIn(codes[0]), http.StatusCreated, "", "signing in with a recovery code")
		expect(t, signIn(codes[0]), http.StatusUnauthorized, "", "the same recovery code again")
		expect(t, signIn("aaaaa-aaaa-aaaa"), http.StatusUnauthorized, "", "a made-up recovery code")
		// Typed in capitals with spaces, a code still works.
		expect(t, signIn(strings.ToUpper(strings.ReplaceAll(codes[1], "-", " "))), http.StatusCreated, "", "a code typed in capitals")
		if n := left(); n != 8 {
			t.Errorf("%d codes left, want 8", n)
		}
		newCodes()
		expect(t, signIn(codes[2]), http.StatusUnauthorized, "", "an old code after new ones were made")

		// Without a second factor there is nothing to recover.
		rec := e.call(t, "POST", "/api/v1/me/recovery-codes", e.signIn(t, c.Client), nil)
		expect(t, rec, http.StatusConflict, "conflict", "a client without a second factor")
	})
}

// TestClientTOTPEnrollment: a client may add an authenticator app, which
// then guards their sign-in (AU-01: offered to clients).
func TestClientTOTPEnrollment(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "Enrollment")
		e.setPassword(t, c.Client)
		tok := e.signIn(t, c.Client)
		totpOn := func() bool {
			t.Helper()
			rec := e.call(t, "GET", "/api/v1/me", tok, nil)
			expect(t, rec, http.StatusOK, "", "GET /api/v1/me")
			return respJSON[struct {
				MFA struct {
					TOTP bool `json:"totp"`
				} `json:"mfa"`
			}](t, rec).MFA.TOTP
		}

		rec := e.call(t, "POST", "/api/v1/me/totp", tok, nil)
		expect(t, rec, http.StatusCreated, "", "starting enrollment")
		begun := respJSON[struct{ Secret, URI string }](t, rec)
		secret := decodeSecret(t, begun.Secret)
		if !strings.HasPrefix(begun.URI, "otpauth://totp/") || !strings.Contains(begun.URI, "secret="+begun.Secret) {
			t.Errorf("uri %q", begun.URI)
		}
		if totpOn() {
			t.Errorf("an unconfirmed app counts as set up")
		}

		right := auth.TOTPCode(secret, auth.TOTPStep(db.Clock.Now()))
		wrong := right[:5] + strconv.Itoa(int(right[5]-'0'+1)%10)
		rec = e.call(t, "POST", "/api/v1/me/totp/confirm", tok, map[string]string{"code": wrong})
		expect(t, rec, http.StatusBadRequest, "invalid", "a wrong code")
		if f := respError(rec).Error.Field; f != "code" {
			t.Errorf("a wrong code: field %q, want code", f)
		}
		expect(t, e.call(t, "POST", "/api/v1/me/totp/confirm", tok, map[string]string{"code": right}), http.StatusNoContent, "", "the right code")
		if !totpOn() {
			t.Errorf("a confirmed app does not show in GET /api/v1/me")
		}

		// The next sign-in needs a code, and not the one used to confirm.
		signIn := map[string]string{"email": c.Client.Email, "password": goodPassword}
		rec = e.call(t, "POST", "/api/v1/sessions", "", signIn)
		expect(t, rec, http.StatusUnauthorized, "mfa_required", "signing in with the password only")
		signIn["totp_code"] = right
		expect(t, e.call(t, "POST", "/api/v1/sessions", "", signIn), http.StatusUnauthorized, "", "signing in with the confirming code")
		signIn["totp_code"] = e.nextCode(t, c.Client.Email)
		expect(t, e.call(t, "POST", "/api/v1/sessions", "", signIn), http.StatusCreated, "", "signing in with a new code")

		// Starting over must not switch the working app off: a stolen
		// session, or an enrollment left half done, would otherwise leave
		// the account with its password alone (AU-01, AU-11). The server
		// may refuse to start over, or keep the old app until the new one
		// is confirmed.
		rec = e.call(t, "POST", "/api/v1/me/totp", tok, nil)
		if rec.Code != http.StatusConflict {
			expect(t, rec, http.StatusCreated, "", "starting enrollment again")
			delete(signIn, "totp_code")
			rec = e.call(t, "POST", "/api/v1/sessions", "", signIn)
			expect(t, rec, http.StatusUnauthorized, "mfa_required", "signing in with the password only after starting enrollment again")
		}
	})
}

// TestStrictInputOnIdentityRoutes (IV-01): the identity routes decode
// strictly, and a refused body changes nothing.
func TestStrictInputOnIdentityRoutes(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		ctx := context.Background()
		c := storetest.SeedClinic(t, db.Store, "Strict")
		e.setPassword(t, c.Client)
		e.setPassword(t, c.Provider)
		e.enrollTOTP(t, c.Provider)
		provider := e.signIn(t, c.Provider)
		invite, hash := auth.NewInvitationToken()
		inv := &care.Invitation{Role: care.RoleClient, Email: "invited@strict.test", DisplayName: "Invited"}
		if err := db.Store.CreateInvitation(ctx, c.Actor(c.Provider), inv, hash, time.Hour); err != nil {
			t.Fatal(err)
		}

		type member struct{ key, value string }
		routes := []struct {
			name, path, token string
			members           []member // a body the route accepts, in order
			created           int      // the status of that body
		}{
			{"sign in", "/api/v1/sessions", "",
				[]member{{"email", c.Client.Email}, {"password", goodPassword}}, http.StatusCreated},
			{"invite", "/api/v1/invitations", provider,
				[]member{{"role", "client"}, {"email", "new@strict.test"}, {"display_name", "New"}}, http.StatusCreated},
			{"accept", "/api/v1/invitations/" + invite + "/accept", "",
				[]member{{"password", goodPassword}}, http.StatusCreated},
		}
		tables := []string{"sessions", "invitations", "users", "login_failures", "care_team"}
		snapshot := func() map[string]int {
			m := map[string]int{}
			for _, tb := range tables {
				m[tb] = e.count(t, tb)
			}
			return m
		}
		for _, rt := range routes {
			t.Run(rt.name, func(t *testing.T) {
				pair := func(m member) string {
					k, _ := json.Marshal(m.key)
					v, _ := json.Marshal(m.value)
					return string(k) + ":" + string(v)
				}
				object := func(members []member, extra ...string) string {
					var parts []string
					for _, m := range members {
						parts = append(parts, pair(m))
					}
					return "{" + strings.Join(append(parts, extra...), ",") + "}"
				}
				valid := object(rt.members)
				first := rt.members[0]
				capital := append([]member{{strings.ToUpper(first.key[:1]) + first.key[1:], first.value}}, rt.members[1:]...)
				withNUL := slices.Clone(rt.members)
				withNUL[len(withNUL)-1].value += "\x00" // encoded as \u0000
				cases := []struct {
					name, body, contentType string
					status                  int
				}{
					{"unknown field", object(rt.members, `"extra":true`), "", http.StatusBadRequest},
					{"duplicate key", object(rt.members, pair(first)), "", http.StatusBadRequest},
					{"case-variant key", object(capital), "", http.StatusBadRequest},
					{"trailing data", valid + ` {}`, "", http.StatusBadRequest},
					{"invalid UTF-8", strings.Replace(valid, `"}`, "\xff\"}", 1), "", http.StatusBadRequest},
					{"NUL", object(withNUL), "", http.StatusBadRequest},
					{"text/plain", valid, "text/plain", http.StatusUnsupportedMediaType},
					{"form", valid, "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
					{"over 64 KiB", strings.Repeat(" ", 64<<10) + valid, "", http.StatusRequestEntityTooLarge},
				}
				before := snapshot()
				for _, tc := range cases {
					rec := e.send(t, envRequest{method: "POST", path: rt.path, token: rt.token, body: tc.body, contentType: tc.contentType})
					if rec.Code != tc.status || respError(rec).Error.Code != "invalid" {
						t.Errorf("%s: got %d %s, want %d invalid", tc.name, rec.Code, strings.TrimSpace(rec.Body.String()), tc.status)
					}
					if after := snapshot(); !maps.Equal(after, before) {
						t.Errorf("%s changed the database: %v, was %v", tc.name, after, before)
						before = after
					}
				}
				// The same body without the fault is accepted, so the
				// refusals were the decoder's.
				rec := e.send(t, envRequest{method: "POST", path: rt.path, token: rt.token, body: valid})
				expect(t, rec, rt.created, "", "the valid body")
			})
		}
	})
}

// TestCrossOriginRefused (WF-01): a browser's cross-site request to
// change state never reaches a handler.
func TestCrossOriginRefused(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "Origins")
		e.setPassword(t, c.Client)
		signIn := map[string]string{"email": c.Client.Email, "password": goodPassword}
		for _, tc := range []struct {
			name   string
			header map[string]string
			status int
		}{
			{"cross-site", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
			{"same-site, other origin", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
			{"other Origin, no Sec-Fetch-Site", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
			{"same-origin", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusCreated},
			{"typed by the user", map[string]string{"Sec-Fetch-Site": "none"}, http.StatusCreated},
			{"Origin matches Host", map[string]string{"Origin": "http://example.com"}, http.StatusCreated},
			{"no browser headers", nil, http.StatusCreated},
		} {
			before := e.count(t, "sessions")
			rec := e.send(t, envRequest{method: "POST", path: "/api/v1/sessions", body: signIn, header: tc.header})
			if rec.Code != tc.status {
				t.Errorf("%s: got %d %s, want %d", tc.name, rec.Code, strings.TrimSpace(rec.Body.String()), tc.status)
				continue
			}
			if tc.status == http.StatusForbidden {
				if code := respError(rec).Error.Code; code != "forbidden" {
					t.Errorf("%s: error code %q, want forbidden", tc.name, code)
				}
				if n := e.count(t, "sessions"); n != before {
					t.Errorf("%s: a refused sign-in made a session", tc.name)
				}
			}
		}

		// Every route that changes state refuses a cross-site request,
		// before it looks at the caller or the body.
		token := e.signIn(t, c.Client)
		for _, rt := range e.srv.routeTable() {
			method, path, ok := strings.Cut(rt.pattern, " ")
			if !ok || method == "GET" || method == "HEAD" {
				continue
			}
			path = strings.ReplaceAll(path, "{$}", "")
			for _, seg := range []string{"{id}", "{token}", "{provider}", "{file}"} {
				path = strings.ReplaceAll(path, seg, care.NewID())
			}
			rec := e.send(t, envRequest{method: method, path: path, token: token, body: `{}`,
				header: map[string]string{"Sec-Fetch-Site": "cross-site"}})
			if rec.Code != http.StatusForbidden {
				t.Errorf("%s from another site: got %d, want 403", rt.pattern, rec.Code)
			}
		}
		expect(t, e.call(t, "GET", "/api/v1/me", token, nil), http.StatusOK, "", "the token after the refused requests")
	})
}
