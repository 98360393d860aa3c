package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
)

// Passkeys (WebAuthn) as a second factor for every role (AU-01, AU-09).
//
// A ceremony has two steps. Begin stores the library's SessionData under a
// fresh challenge id for five minutes, bound to the user and to the session
// that began it, and hands the browser the options and the id. Finish
// takes that state once (a replay finds nothing), and the library checks
// the response: the challenge, the origin (our BaseURL), the RP ID (its
// host), the signature and the sign count.

// challengeLifetime is how long a ceremony may take (AU-09: within 5
// minutes). It is also the timeout the browser is given.
const challengeLifetime = 5 * time.Minute

// webAuthn returns the relying party for s.baseURL: its host (without the
// port) is the RP ID, its origin the only origin accepted. It is cheap to
// build, so each ceremony builds its own.
func (s *Server) webAuthn() (*webauthn.WebAuthn, error) {
	u, err := url.Parse(s.baseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
		return nil, fmt.Errorf("web: passkeys need a BaseURL such as https://care.example.org")
	}
	return webauthn.New(&webauthn.Config{
		RPID:                  u.Hostname(),
		RPDisplayName:         "Interlude",
		RPOrigins:             []string{u.Scheme + "://" + u.Host},
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementPreferred,
			UserVerification: protocol.VerificationPreferred,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: challengeLifetime, TimeoutUVD: challengeLifetime},
			Registration: webauthn.TimeoutConfig{Timeout: challengeLifetime, TimeoutUVD: challengeLifetime},
		},
	})
}

// passkeyUser is a user and their passkeys as the library sees them. The
// user handle is the user's id: random, and no PHI.
type passkeyUser struct {
	id, name, displayName string
	credentials           []webauthn.Credential
}

func (u *passkeyUser) WebAuthnID() []byte                         { return []byte(u.id) }
func (u *passkeyUser) WebAuthnName() string                       { return u.name }
func (u *passkeyUser) WebAuthnDisplayName() string                { return u.displayName }
func (u *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.credentials }

// newPasskeyUser reads the stored credential records. With usableOnly, a
// passkey locked after a sign-count regression is left out, so that it can
// no longer sign in (AU-09).
func newPasskeyUser(u care.User, keys []care.Passkey, usableOnly bool) (*passkeyUser, error) {
	pu := &passkeyUser{id: u.ID, name: u.Email, displayName: u.DisplayName}
	for _, k := range keys {
		var c webauthn.Credential
		if err := json.Unmarshal([]byte(k.Credential), &c); err != nil {
			return nil, fmt.Errorf("passkey %s: %w", k.ID, err)
		}
		if usableOnly && c.Authenticator.CloneWarning {
			continue
		}
		pu.credentials = append(pu.credentials, c)
	}
	return pu, nil
}

// ceremony is what a begun ceremony stores: the library's state and what
// it is bound to.
type ceremony struct {
	Purpose   string               `json:"purpose"` // "register" or "login"
	SessionID string               `json:"session_id"`
	WebAuthn  webauthn.SessionData `json:"webauthn"`
}

var errCeremonyGone = care.FieldError("challenge_id", "has expired or was used already; please start again")

// beginCeremony stores a ceremony for the actor's session and returns its
// challenge id.
func (s *Server) beginCeremony(ctx context.Context, actor care.Actor, purpose string, data *webauthn.SessionData) (string, error) {
	b, err := json.Marshal(ceremony{Purpose: purpose, SessionID: actor.SessionID, WebAuthn: *data})
	if err != nil {
		return "", err
	}
	id := care.NewID()
	if err := s.store.SaveChallenge(ctx, id, actor.UserID, string(b), s.now().Add(challengeLifetime)); err != nil {
		return "", err
	}
	return id, nil
}

// takeCeremony takes the ceremony id once; it must have been begun for the
// same purpose by the same session.
func (s *Server) takeCeremony(ctx context.Context, actor care.Actor, purpose, id string) (*webauthn.SessionData, error) {
	if !care.ValidID(id) {
		return nil, errCeremonyGone
	}
	raw, err := s.store.TakeChallenge(ctx, id, actor.UserID)
	if care.ErrorCode(err) == care.NotFound {
		return nil, errCeremonyGone
	}
	if err != nil {
		return nil, err
	}
	var c ceremony
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	if c.Purpose != purpose || c.SessionID != actor.SessionID {
		return nil, errCeremonyGone
	}
	return &c.WebAuthn, nil
}

// webAuthnReason names why the library refused a response, for the log:
// the error's type only, never text that the browser supplied.
func webAuthnReason(err error) string {
	if e, ok := errors.AsType[*protocol.Error](err); ok {
		return e.Type
	}
	return "other"
}

// POST /api/v1/me/passkeys/register/begin
func (s *Server) apiPasskeyRegisterBegin(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := s.fresh(r); err != nil {
		return err
	}
	ctx := r.Context()
	wa, err := s.webAuthn()
	if err != nil {
		return err
	}
	creds, err := s.store.Credentials(ctx, actor)
	if err != nil {
		return err
	}
	keys, err := s.store.Passkeys(ctx, actor)
	if err != nil {
		return err
	}
	user, err := newPasskeyUser(creds.User, keys, false)
	if err != nil {
		return err
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range user.credentials {
		exclude = append(exclude, c.Descriptor())
	}
	creation, data, err := wa.BeginRegistration(user, webauthn.WithExclusions(exclude))
	if err != nil {
		return err
	}
	id, err := s.beginCeremony(ctx, actor, "register", data)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"challenge_id": id, "publicKey": creation.Response})
}

// POST /api/v1/me/passkeys/register/finish {challenge_id, name, credential}
func (s *Server) apiPasskeyRegisterFinish(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		ChallengeID string          `json:"challenge_id"`
		Name        string          `json:"name"`
		Credential  json.RawMessage `json:"credential"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	// A bad name does not spend the ceremony.
	name, err := care.ValidatePasskeyName(req.Name)
	if err != nil {
		return err
	}
	ctx := r.Context()
	wa, err := s.webAuthn()
	if err != nil {
		return err
	}
	data, err := s.takeCeremony(ctx, actor, "register", req.ChallengeID)
	if err != nil {
		return err
	}
	creds, err := s.store.Credentials(ctx, actor)
	if err != nil {
		return err
	}
	user := &passkeyUser{id: creds.User.ID, name: creds.User.Email, displayName: creds.User.DisplayName}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(req.Credential)
	var cred *webauthn.Credential
	if err == nil {
		cred, err = wa.CreateCredential(user, *data, parsed)
	}
	if err != nil {
		s.log.Warn("passkey registration refused", "request_id", RequestID(ctx), "user_id", actor.UserID, "reason", webAuthnReason(err))
		return care.FieldError("credential", "could not be verified; please try again")
	}
	record, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	p := &care.Passkey{CredentialID: cred.ID, Credential: string(record), Name: name}
	if err := s.store.AddPasskey(ctx, actor, p); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"id": p.ID, "name": p.Name})
}

type passkeyJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"` // null: never used
}

// GET /api/v1/me/passkeys
func (s *Server) apiPasskeys(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	list, err := s.store.Passkeys(r.Context(), actor)
	if err != nil {
		return err
	}
	out := []passkeyJSON{}
	for _, p := range list {
		pj := passkeyJSON{ID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt}
		if !p.LastUsedAt.IsZero() {
			pj.LastUsedAt = &p.LastUsedAt
		}
		out = append(out, pj)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"passkeys": out})
}

// DELETE /api/v1/me/passkeys/{id}
func (s *Server) apiDeletePasskey(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := s.fresh(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	if !care.ValidID(id) {
		return care.ErrNotFound
	}
	if err := s.store.DeletePasskey(r.Context(), actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// mfaPending returns the request's session if it has passed the password
// step and waits for its second factor.
func mfaPending(r *http.Request) (*authInfo, error) {
	a := authOf(r)
	if a == nil || a.session.Stage != care.StageMFA {
		return nil, care.Errorf(care.Unauthenticated, "sign in with your password first")
	}
	return a, nil
}

// POST /api/v1/passkeys/login/begin: the second step of signing in, for a
// session whose password was checked.
func (s *Server) apiPasskeyLoginBegin(w http.ResponseWriter, r *http.Request) error {
	a, err := mfaPending(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	wa, err := s.webAuthn()
	if err != nil {
		return err
	}
	creds, err := s.store.Credentials(ctx, a.actor)
	if err != nil {
		return err
	}
	if err := s.checkBackoff(w, ctx, secondFactorKeys(creds.User.ID)); err != nil {
		return err
	}
	keys, err := s.store.PasskeysOfUser(ctx, a.actor.UserID)
	if err != nil {
		return err
	}
	user, err := newPasskeyUser(creds.User, keys, true)
	if err != nil {
		return err
	}
	if len(user.credentials) == 0 {
		return care.Errorf(care.Conflict, "this account has no usable passkey; use another factor")
	}
	assertion, data, err := wa.BeginLogin(user)
	if err != nil {
		return err
	}
	id, err := s.beginCeremony(ctx, a.actor, "login", data)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"challenge_id": id, "publicKey": assertion.Response})
}

var errPasskeyRefused = care.Errorf(care.MFARequired, "that passkey could not be verified; try again or use another factor")

// POST /api/v1/passkeys/login/finish {challenge_id, credential}: on
// success the session becomes a full one under a new token (SE-02).
func (s *Server) apiPasskeyLoginFinish(w http.ResponseWriter, r *http.Request) (err error) {
	a, err := mfaPending(r)
	if err != nil {
		return err
	}
	var req struct {
		ChallengeID string          `json:"challenge_id"`
		Credential  json.RawMessage `json:"credential"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	wa, err := s.webAuthn()
	if err != nil {
		return err
	}
	creds, err := s.store.Credentials(ctx, a.actor)
	if err != nil {
		return err
	}
	defer func() { err = s.auditSignIn(ctx, creds, "signin.passkey", err) }()
	// A passkey is a second factor: its own counter, which guesses at
	// the password do not move (AU-05, issue #17).
	throttleKeys := secondFactorKeys(creds.User.ID)
	attempt, err := s.take(w, ctx, throttleKeys)
	if err != nil {
		return err
	}
	data, err := s.takeCeremony(ctx, a.actor, "login", req.ChallengeID)
	if err != nil {
		return err
	}
	keys, err := s.store.PasskeysOfUser(ctx, a.actor.UserID)
	if err != nil {
		return err
	}
	user, err := newPasskeyUser(creds.User, keys, true)
	if err != nil {
		return err
	}
	// A refusal counts as a failed sign-in (AU-05).
	refuse := func() error {
		if err := s.failed(w, ctx, throttleKeys); care.ErrorCode(err) != care.Unauthenticated {
			return err
		}
		return errPasskeyRefused
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(req.Credential)
	var cred *webauthn.Credential
	if err == nil {
		cred, err = wa.ValidateLogin(user, *data, parsed)
	}
	if err != nil {
		s.log.Warn("passkey sign-in refused", "request_id", RequestID(ctx), "user_id", a.actor.UserID, "reason", webAuthnReason(err))
		return refuse()
	}
	passkeyID := ""
	for _, k := range keys {
		if bytes.Equal(k.CredentialID, cred.ID) {
			passkeyID = k.ID
		}
	}
	record, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	if err := s.store.UsePasskey(ctx, a.actor.UserID, cred.ID, string(record)); err != nil {
		if care.ErrorCode(err) == care.NotFound { // revoked meanwhile
			return refuse()
		}
		return err
	}
	if cred.Authenticator.CloneWarning {
		// The sign count did not grow: the key may have been copied. The
		// stored record now carries the warning, which locks the passkey
		// until its owner removes it.
		s.log.Warn("passkey sign count regressed; passkey locked", "request_id", RequestID(ctx),
			"user_id", a.actor.UserID, "passkey_id", passkeyID)
		return refuse()
	}
	if err := s.store.ReleaseLoginAttempt(ctx, attempt); err != nil {
		return err
	}
	if err := s.store.ResetLoginFailures(ctx, store.AccountKey(creds.User.Email), store.SecondFactorKey(creds.User.ID)); err != nil {
		return err
	}
	token, hash := auth.NewToken()
	if _, err := s.store.RotateSession(ctx, auth.HashToken(a.token), hash, care.StageFull, true); err != nil {
		return err
	}
	setSessionCookie(w, token)
	return writeJSON(w, http.StatusOK, map[string]string{"redirect": "/"})
}
