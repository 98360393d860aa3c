package web

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/prometheus/client_golang/prometheus"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

const testOrigin = "http://localhost:8080"

var b64 = base64.RawURLEncoding

// softKey is a software authenticator: one ECDSA P-256 credential whose
// sign count the test sets by hand.
type softKey struct {
	id    []byte
	key   *ecdsa.PrivateKey
	count uint32
}

func newSoftKey(t *testing.T) *softKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	return &softKey{id: id, key: key}
}

// authData is the authenticator data for RP ID "localhost": the RP ID hash,
// flags (user present and verified), the sign count and, when attested is
// set, the credential id and public key.
func (k *softKey) authData(t *testing.T, attested bool) []byte {
	t.Helper()
	rpHash := sha256.Sum256([]byte("localhost"))
	out := append([]byte{}, rpHash[:]...)
	flags := byte(0x01 | 0x04) // UP, UV
	if attested {
		flags |= 0x40 // AT
	}
	out = append(out, flags)
	out = binary.BigEndian.AppendUint32(out, k.count)
	if attested {
		out = append(out, make([]byte, 16)...) // AAGUID: none
		out = binary.BigEndian.AppendUint16(out, uint16(len(k.id)))
		out = append(out, k.id...)
		pub, err := k.key.PublicKey.Bytes() // 0x04 || X || Y
		if err != nil {
			t.Fatal(err)
		}
		cose, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: pub[1:33], -3: pub[33:65]})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cose...)
	}
	return out
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

// attestation answers creation options with attestation "none".
func (k *softKey) attestation(t *testing.T, challenge, origin string) json.RawMessage {
	t.Helper()
	obj, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": k.authData(t, true)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData("webauthn.create", challenge, origin)),
			"attestationObject": b64.EncodeToString(obj),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults": map[string]any{},
	})
	return b
}

// assertion answers request options, signed with the key.
func (k *softKey) assertion(t *testing.T, challenge, origin, userID string) json.RawMessage {
	t.Helper()
	ad := k.authData(t, false)
	cd := clientData("webauthn.get", challenge, origin)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(ad),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString([]byte(userID)),
		},
		"clientExtensionResults": map[string]any{},
	})
	return b
}

func newPasskeyServer(t *testing.T, db *storetest.DB) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	s, err := New(Config{
		Store:     db.Store,
		Logger:    slog.New(slog.NewJSONHandler(logs, nil)),
		Registry:  prometheus.NewRegistry(),
		BaseURL:   testOrigin,
		Passwords: auth.TestParams(),
		Now:       db.Clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{Server: s, db: db, log: logs}
}

// session creates a web session for the user in the given stage and
// returns its token.
func (ts *testServer) session(t *testing.T, u care.User, stage string) string {
	t.Helper()
	token, hash := auth.NewToken()
	sess := &care.Session{UserID: u.ID, Kind: "web", Stage: stage, Device: "test"}
	if err := ts.db.Store.CreateSession(context.Background(), sess, hash); err != nil {
		t.Fatal(err)
	}
	return token
}

// confirm marks the session of token as having confirmed its password
// now (store.ConfirmSession), as /account/confirm does.
func (ts *testServer) confirm(t *testing.T, token string) {
	t.Helper()
	ctx := context.Background()
	actor, sess, err := ts.db.Store.Authenticate(ctx, auth.HashToken(token), care.DefaultSessionPolicy(), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.db.Store.ConfirmSession(ctx, actor, sess.ID); err != nil {
		t.Fatal(err)
	}
}

// call sends a same-origin browser request with the session cookie and an
// optional JSON body.
func (ts *testServer) call(t *testing.T, token, method, target string, body any) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = strings.NewReader(string(b))
	}
	req := httptest.NewRequest(method, target, r)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if token != "" {
		req.AddCookie(&http.Cookie{Name: cookieName, Value: token})
	}
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, req)
	return rec
}

func want(t *testing.T, rec *httptest.ResponseRecorder, status int, what string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("%s: got %d %s, want %d", what, rec.Code, rec.Body, status)
	}
}

type beginAnswer struct {
	ChallengeID string `json:"challenge_id"`
	PublicKey   struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"rp"`
		RPID string `json:"rpId"`
		User struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"user"`
		Exclude []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
		Allow []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

func begin(t *testing.T, rec *httptest.ResponseRecorder) beginAnswer {
	t.Helper()
	want(t, rec, http.StatusOK, "begin")
	var a beginAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	if c, err := b64.DecodeString(a.PublicKey.Challenge); err != nil || len(c) != 32 {
		t.Fatalf("challenge %q is not 32 bytes of base64url", a.PublicKey.Challenge)
	}
	if a.ChallengeID == "" {
		t.Fatal("no challenge id")
	}
	return a
}

// register adds key as a passkey of the session's user.
func (ts *testServer) register(t *testing.T, token string, key *softKey, name string) string {
	t.Helper()
	b := begin(t, ts.call(t, token, "POST", "/api/v1/me/passkeys/register/begin", nil))
	rec := ts.call(t, token, "POST", "/api/v1/me/passkeys/register/finish", map[string]any{
		"challenge_id": b.ChallengeID, "name": name, "credential": key.attestation(t, b.PublicKey.Challenge, testOrigin),
	})
	want(t, rec, http.StatusCreated, "register finish")
	var out struct{ ID, Name string }
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.ID == "" || out.Name != name {
		t.Fatalf("register finish answered %s", rec.Body)
	}
	return out.ID
}

func newCookie(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.Name == cookieName {
			if !c.Secure || !c.HttpOnly || c.Path != "/" {
				t.Errorf("session cookie %+v lacks its attributes", c)
			}
			return c.Value
		}
	}
	t.Fatalf("no %s cookie set", cookieName)
	return ""
}

// TestPasskeys registers a passkey and signs in with it as the second
// factor, end to end at the HTTP level (AU-01, AU-09, SE-02).
func TestPasskeys(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		ts := newPasskeyServer(t, db)
		c := storetest.SeedClinic(t, db.Store, "North")
		full := ts.session(t, c.Provider, care.StageFull)
		key := newSoftKey(t)

		// Registration.
		b := begin(t, ts.call(t, full, "POST", "/api/v1/me/passkeys/register/begin", nil))
		if b.PublicKey.RP.ID != "localhost" || b.PublicKey.RP.Name != "Interlude" {
			t.Errorf("relying party %+v", b.PublicKey.RP)
		}
		if b.PublicKey.User.ID != b64.EncodeToString([]byte(c.Provider.ID)) {
			t.Errorf("user handle %q, want the user id", b.PublicKey.User.ID)
		}
		// A bad name is refused without spending the ceremony.
		att := key.attestation(t, b.PublicKey.Challenge, testOrigin)
		rec := ts.call(t, full, "POST", "/api/v1/me/passkeys/register/finish",
			map[string]any{"challenge_id": b.ChallengeID, "name": " ", "credential": att})
		want(t, rec, http.StatusBadRequest, "blank name")
		// Another user cannot finish it.
		other := ts.session(t, c.OtherProvider, care.StageFull)
		rec = ts.call(t, other, "POST", "/api/v1/me/passkeys/register/finish",
			map[string]any{"challenge_id": b.ChallengeID, "name": "Stolen", "credential": att})
		want(t, rec, http.StatusBadRequest, "another user's ceremony")
		rec = ts.call(t, full, "POST", "/api/v1/me/passkeys/register/finish",
			map[string]any{"challenge_id": b.ChallengeID, "name": "Laptop", "credential": att})
		want(t, rec, http.StatusCreated, "register finish")
		var created struct{ ID, Name string }
		if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil {
			t.Fatalf("register finish: %v: %s", err, rec.Body)
		}
		// The ceremony is spent.
		rec = ts.call(t, full, "POST", "/api/v1/me/passkeys/register/finish",
			map[string]any{"challenge_id": b.ChallengeID, "name": "Again", "credential": att})
		want(t, rec, http.StatusBadRequest, "register replay")

		// Registration from another origin fails, and so does one that took
		// longer than five minutes.
		b = begin(t, ts.call(t, full, "POST", "/api/v1/me/passkeys/register/begin", nil))
		if len(b.PublicKey.Exclude) != 1 || b.PublicKey.Exclude[0].ID != b64.EncodeToString(key.id) {
			t.Errorf("excludeCredentials %+v, want the registered key", b.PublicKey.Exclude)
		}
		evilKey := newSoftKey(t)
		rec = ts.call(t, full, "POST", "/api/v1/me/passkeys/register/finish", map[string]any{
			"challenge_id": b.ChallengeID, "name": "Evil", "credential": evilKey.attestation(t, b.PublicKey.Challenge, "https://evil.example"),
		})
		want(t, rec, http.StatusBadRequest, "registration from another origin")
		b = begin(t, ts.call(t, full, "POST", "/api/v1/me/passkeys/register/begin", nil))
		db.Clock.Advance(5*time.Minute + time.Second)
		rec = ts.call(t, full, "POST", "/api/v1/me/passkeys/register/finish", map[string]any{
			"challenge_id": b.ChallengeID, "name": "Late", "credential": evilKey.attestation(t, b.PublicKey.Challenge, testOrigin),
		})
		want(t, rec, http.StatusBadRequest, "registration after five minutes")

		// The list.
		rec = ts.call(t, full, "GET", "/api/v1/me/passkeys", nil)
		want(t, rec, http.StatusOK, "list")
		var list struct {
			Passkeys []struct {
				ID         string     `json:"id"`
				Name       string     `json:"name"`
				CreatedAt  time.Time  `json:"created_at"`
				LastUsedAt *time.Time `json:"last_used_at"`
			} `json:"passkeys"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
			t.Fatal(err)
		}
		if len(list.Passkeys) != 1 || list.Passkeys[0].ID != created.ID || list.Passkeys[0].Name != "Laptop" || list.Passkeys[0].LastUsedAt != nil {
			t.Fatalf("list: %s", rec.Body)
		}

		// Signing in needs a session whose password was checked.
		want(t, ts.call(t, "", "POST", "/api/v1/passkeys/login/begin", nil), http.StatusUnauthorized, "begin without a session")
		want(t, ts.call(t, full, "POST", "/api/v1/passkeys/login/begin", nil), http.StatusUnauthorized, "begin with a full session")
		want(t, ts.call(t, full, "POST", "/api/v1/passkeys/login/finish", map[string]any{"challenge_id": care.NewID(), "credential": map[string]any{}}),
			http.StatusUnauthorized, "finish with a full session")

		pending := ts.session(t, c.Provider, care.StageMFA)
		b = begin(t, ts.call(t, pending, "POST", "/api/v1/passkeys/login/begin", nil))
		if b.PublicKey.RPID != "localhost" || len(b.PublicKey.Allow) != 1 || b.PublicKey.Allow[0].ID != b64.EncodeToString(key.id) {
			t.Fatalf("request options: %+v", b.PublicKey)
		}
		// From another origin: refused, and counted as a failed sign-in.
		key.count = 1
		rec = ts.call(t, pending, "POST", "/api/v1/passkeys/login/finish", map[string]any{
			"challenge_id": b.ChallengeID, "credential": key.assertion(t, b.PublicKey.Challenge, "https://evil.example", c.Provider.ID),
		})
		want(t, rec, http.StatusUnauthorized, "assertion from another origin")
		// It counts against the second factor's counter, which guesses
		// at the password cannot move (AU-05, issue #17).
		if n, _, _ := db.Store.LoginFailures(ctx, store.SecondFactorKey(c.Provider.ID)); n != 1 {
			t.Errorf("failures after a refused passkey: %d, want 1", n)
		}

		// The right answer: a full session under a new token.
		b = begin(t, ts.call(t, pending, "POST", "/api/v1/passkeys/login/begin", nil))
		key.count = 5
		good := key.assertion(t, b.PublicKey.Challenge, testOrigin, c.Provider.ID)
		rec = ts.call(t, pending, "POST", "/api/v1/passkeys/login/finish", map[string]any{"challenge_id": b.ChallengeID, "credential": good})
		want(t, rec, http.StatusOK, "login finish")
		if strings.TrimSpace(rec.Body.String()) != `{"redirect":"/"}` {
			t.Errorf("login finish answered %s", rec.Body)
		}
		fresh := newCookie(t, rec)
		if fresh == pending {
			t.Fatal("the session token was not rotated")
		}
		want(t, ts.call(t, fresh, "GET", "/api/v1/me", nil), http.StatusOK, "the new token")
		want(t, ts.call(t, pending, "POST", "/api/v1/passkeys/login/begin", nil), http.StatusUnauthorized, "the old token")
		_, sess, err := db.Store.Authenticate(ctx, auth.HashToken(fresh), care.DefaultSessionPolicy(), false)
		if err != nil || sess.Stage != care.StageFull || !sess.MFA {
			t.Fatalf("new session %+v, %v: want full with MFA", sess, err)
		}
		if n, _, _ := db.Store.LoginFailures(ctx, store.AccountKey(c.Provider.Email)); n != 0 {
			t.Errorf("failures after a success: %d, want 0", n)
		}
		rec = ts.call(t, full, "GET", "/api/v1/me/passkeys", nil)
		if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
			t.Fatalf("passkeys: %v: %s", err, rec.Body)
		}
		if list.Passkeys[0].LastUsedAt == nil || !list.Passkeys[0].LastUsedAt.Equal(db.Clock.Now()) {
			t.Errorf("last_used_at after use: %s", rec.Body)
		}

		// Replays: the same assertion for a new challenge, and the spent
		// challenge again.
		pending = ts.session(t, c.Provider, care.StageMFA)
		b = begin(t, ts.call(t, pending, "POST", "/api/v1/passkeys/login/begin", nil))
		rec = ts.call(t, pending, "POST", "/api/v1/passkeys/login/finish", map[string]any{"challenge_id": b.ChallengeID, "credential": good})
		want(t, rec, http.StatusUnauthorized, "replayed assertion")
		key.count = 6
		rec = ts.call(t, pending, "POST", "/api/v1/passkeys/login/finish", map[string]any{
			"challenge_id": b.ChallengeID, "credential": key.assertion(t, b.PublicKey.Challenge, testOrigin, c.Provider.ID),
		})
		want(t, rec, http.StatusBadRequest, "replayed challenge")

		// A sign count below the stored one: refused, logged with ids
		// only, and the passkey is locked.
		b = begin(t, ts.call(t, pending, "POST", "/api/v1/passkeys/login/begin", nil))
		key.count = 3
		rec = ts.call(t, pending, "POST", "/api/v1/passkeys/login/finish", map[string]any{
			"challenge_id": b.ChallengeID, "credential": key.assertion(t, b.PublicKey.Challenge, testOrigin, c.Provider.ID),
		})
		want(t, rec, http.StatusUnauthorized, "sign count regression")
		logs := ts.log.String()
		if !strings.Contains(logs, "passkey sign count regressed") || !strings.Contains(logs, created.ID) {
			t.Errorf("no warning naming the passkey:\n%s", logs)
		}
		if strings.Contains(logs, c.Provider.Email) || strings.Contains(logs, "evil.example") {
			t.Errorf("the log holds what it should not:\n%s", logs)
		}
		want(t, ts.call(t, pending, "POST", "/api/v1/passkeys/login/begin", nil), http.StatusConflict, "begin with a locked passkey")

		// Removal needs a session that confirmed its password in the last
		// five minutes (issue #17: step-up); these were made before the
		// clock moved.
		rec = ts.call(t, full, "DELETE", "/api/v1/me/passkeys/"+created.ID, nil)
		want(t, rec, http.StatusForbidden, "deleting with a stale session")
		if !strings.Contains(rec.Body.String(), `"step_up_required"`) {
			t.Errorf("a stale session's answer: %s", rec.Body)
		}
		ts.confirm(t, full)
		ts.confirm(t, other)
		// Removal: not another user's; not a provider's last factor.
		want(t, ts.call(t, other, "DELETE", "/api/v1/me/passkeys/"+created.ID, nil), http.StatusNotFound, "deleting another's passkey")
		want(t, ts.call(t, full, "DELETE", "/api/v1/me/passkeys/"+created.ID, nil), http.StatusConflict, "deleting the last factor")
		second := ts.register(t, full, newSoftKey(t), "Phone")
		want(t, ts.call(t, full, "DELETE", "/api/v1/me/passkeys/"+created.ID, nil), http.StatusNoContent, "deleting a passkey")
		want(t, ts.call(t, full, "DELETE", "/api/v1/me/passkeys/"+created.ID, nil), http.StatusNotFound, "deleting it again")
		if keys, _ := db.Store.Passkeys(ctx, c.Actor(c.Provider)); len(keys) != 1 || keys[0].ID != second {
			t.Errorf("after deletion: %+v", keys)
		}
		// A removed passkey no longer signs in.
		b = begin(t, ts.call(t, pending, "POST", "/api/v1/passkeys/login/begin", nil))
		key.count = 20
		rec = ts.call(t, pending, "POST", "/api/v1/passkeys/login/finish", map[string]any{
			"challenge_id": b.ChallengeID, "credential": key.assertion(t, b.PublicKey.Challenge, testOrigin, c.Provider.ID),
		})
		want(t, rec, http.StatusUnauthorized, "a removed passkey")
	})
}

// TestPasskeyClient: a client without an authenticator app may register a
// passkey, sign in with it, and remove it again.
func TestPasskeyClient(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	ts := newPasskeyServer(t, db)
	c := storetest.SeedClinic(t, db.Store, "North")
	full := ts.session(t, c.Client, care.StageFull)
	key := newSoftKey(t)
	id := ts.register(t, full, key, "Phone")

	pending := ts.session(t, c.Client, care.StageMFA)
	b := begin(t, ts.call(t, pending, "POST", "/api/v1/passkeys/login/begin", nil))
	rec := ts.call(t, pending, "POST", "/api/v1/passkeys/login/finish", map[string]any{
		"challenge_id": b.ChallengeID, "credential": key.assertion(t, b.PublicKey.Challenge, testOrigin, c.Client.ID),
	})
	want(t, rec, http.StatusOK, "login finish (sign count 0 stays 0)")
	want(t, ts.call(t, newCookie(t, rec), "DELETE", "/api/v1/me/passkeys/"+id, nil), http.StatusNoContent, "client removing their only passkey")

	// Without passkeys, there is nothing to begin.
	pending = ts.session(t, c.Client, care.StageMFA)
	want(t, ts.call(t, pending, "POST", "/api/v1/passkeys/login/begin", nil), http.StatusConflict, "begin without passkeys")
}
