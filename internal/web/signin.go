package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
)

// errBadLogin is the one answer to a wrong email or a wrong password, so
// that the two cannot be told apart (AU-07).
var errBadLogin = &care.Error{Code: care.Unauthenticated, Message: "the email or password is not correct"}

// secondFactor is what a sign-in request may carry besides the password:
// an authenticator code or a recovery code.
type secondFactor struct{ code, recovery string }

func (f secondFactor) given() bool { return f.code != "" || f.recovery != "" }

// checkPassword is the first step of signing in, shared by the API and the
// web form. It enforces the per-account and per-address backoff (AU-05),
// spends the same time on an unknown email as on a known one (AU-07), and
// rehashes a password stored with old parameters (AU-04).
//
// During a backoff a password is refused unchecked, even the right one,
// unless the request also carries a second factor: then both are checked
// and the sign-in goes through only if both are right (passBackoff). The
// backoff is there to stop guessing; it must not stop the owner, who holds
// both factors, or anyone could lock any account out by guessing at it
// (AU-05, issue #17). mfa says whether the second factor was checked too.
func (s *Server) checkPassword(w http.ResponseWriter, r *http.Request, email, password string, second secondFactor) (_ *care.Credentials, keys []string, mfa bool, err error) {
	ctx := r.Context()
	email = strings.ToLower(strings.TrimSpace(email))
	keys = []string{store.AccountKey(email), store.AddressKey(clientAddr(r))}
	var creds *care.Credentials // the account, when the email has one
	defer func() { err = s.auditSignIn(ctx, creds, "signin.password", err) }()
	attempt, wait, err := s.store.TakeLoginAttempt(ctx, keys, failureMemory, s.wait)
	if err != nil {
		return nil, keys, false, err
	}
	if wait > 0 {
		if !second.given() {
			return nil, keys, false, rateLimited(w, wait)
		}
		both, err := s.passBackoff(w, r, email, password, second, wait)
		if err != nil {
			return nil, keys, false, err
		}
		creds = both
		return creds, keys, true, nil
	}
	if len(password) > auth.MaxPasswordBytes {
		return nil, keys, false, care.FieldError("password", "is too long")
	}
	creds, err = s.store.CredentialsByEmail(ctx, email)
	if err != nil && care.ErrorCode(err) != care.NotFound {
		return nil, keys, false, err
	}
	if creds == nil || creds.PasswordHash == "" || creds.Disabled {
		// The same work and the same answer as a wrong password (AU-07).
		// Its error, as VerifyPassword's below, answers as a wrong password.
		auth.DummyVerify(s.passwords, password) //nolint:errcheck // see above
		if creds != nil && creds.PasswordHash == "" {
			creds = nil // no password: as if there were no account
		}
		return nil, keys, false, s.failed(w, ctx, keys)
	}
	ok, rehash, err := auth.VerifyPassword(s.passwords, creds.PasswordHash, password)
	if err != nil {
		// A password that grows past the limit when normalized, or a
		// stored hash that cannot be read: either way, as a wrong
		// password, so that the answer says nothing about the account.
		s.log.Warn("password not verifiable", "request_id", RequestID(ctx), "user_id", creds.User.ID)
		return nil, keys, false, s.failed(w, ctx, keys)
	}
	if !ok {
		return nil, keys, false, s.failed(w, ctx, keys)
	}
	if err := s.store.ReleaseLoginAttempt(ctx, attempt); err != nil {
		return nil, keys, false, err
	}
	if rehash {
		if h, err := auth.HashPassword(s.passwords, password); err == nil {
			if err := s.store.SetPasswordHash(ctx, creds.User.ID, h); err != nil {
				return nil, keys, false, err
			}
		}
	}
	return creds, keys, false, nil
}

// passBackoff checks a sign-in that comes during a backoff of the
// password counters with a second factor. The answer is the backoff's 429,
// with the backoff's Retry-After, whatever is wrong: the password, the
// code or both, or the email has no account or no second factor. So a
// guess during the backoff still learns nothing, and the backoff still
// slows guessing down; only both factors together pass (AU-05). A refused
// attempt here is not a password failure: it does not extend the backoff.
//
// The password is checked before the code, and always with the same work
// (AU-07), so that a wrong code is counted against the second-factor
// counter only when the password was right: someone who only guesses
// passwords cannot move that counter, and so cannot hold the owner back.
//
// An account without a second factor (a client who signs in with a
// password alone) is refused during its backoff even with the right
// password: there the password is all that tells the owner from a guesser,
// and letting a right one through would make the backoff an oracle for
// right guesses. That is AU-05's "the 101st consecutive failure is refused
// even with the correct password until the backoff window ends"; the
// window is at most auth.MaxBackoff and failures are forgotten after
// failureMemory, so it is never a lockout for good (docs/threat-model.md).
func (s *Server) passBackoff(w http.ResponseWriter, r *http.Request, email, password string, second secondFactor, wait time.Duration) (*care.Credentials, error) {
	ctx := r.Context()
	creds, err := s.store.CredentialsByEmail(ctx, email)
	if err != nil && care.ErrorCode(err) != care.NotFound {
		return nil, err
	}
	if creds == nil || creds.PasswordHash == "" || creds.Disabled || !creds.MFARequired() || len(password) > auth.MaxPasswordBytes {
		auth.DummyVerify(s.passwords, password) //nolint:errcheck // the same work as below (AU-07); the answer is 429 anyway
		return nil, rateLimited(w, wait)
	}
	ok, _, err := auth.VerifyPassword(s.passwords, creds.PasswordHash, password)
	if err != nil || !ok {
		return nil, rateLimited(w, wait)
	}
	if err := s.checkSecondFactor(w, r, creds, second); err != nil {
		switch care.ErrorCode(err) {
		case care.MFARequired, care.RateLimited:
			return nil, rateLimited(w, wait)
		}
		return nil, err
	}
	return creds, nil
}

// checkSecondFactor verifies an authenticator code or a recovery code.
// Each TOTP code is accepted once (AU-08); each recovery code once (AU-10).
// A wrong code counts as a failed second factor of the user: that counter
// (store.SecondFactorKey) backs off as the password's does, and only
// someone who got the password right, or who holds a session that did,
// can move it. It does not look at the password's counters, so guesses at
// the password never hold back the owner's second factor (AU-05, #17).
// Every second factor of a user shares the one counter, so attempts are
// limited per user, and so per login too, atomically (TakeLoginAttempt).
func (s *Server) checkSecondFactor(w http.ResponseWriter, r *http.Request, creds *care.Credentials, second secondFactor) (err error) {
	ctx := r.Context()
	code := strings.ReplaceAll(strings.TrimSpace(second.code), " ", "")
	recovery := second.recovery
	if recovery == "" && (code == "" || creds.TOTPSecret == nil) {
		return care.Errorf(care.MFARequired, "enter the code from your authenticator app")
	}
	action := "signin.totp"
	if recovery != "" {
		action = "signin.recovery-code"
	}
	defer func() { err = s.auditSignIn(ctx, creds, action, err) }()
	keys := secondFactorKeys(creds.User.ID)
	attempt, err := s.take(w, ctx, keys)
	if err != nil {
		return err
	}
	switch {
	case recovery != "":
		ok, err := s.store.UseRecoveryCode(ctx, creds.User.ID, auth.HashRecoveryCode(recovery))
		if err != nil {
			return err
		}
		if ok {
			return s.store.ReleaseLoginAttempt(ctx, attempt)
		}
	default:
		step, ok := auth.VerifyTOTP(creds.TOTPSecret, code, s.now(), creds.TOTPLastStep)
		if ok {
			used, err := s.store.UseTOTPStep(ctx, creds.User.ID, step)
			if err != nil {
				return err
			}
			if used {
				if !creds.TOTPConfirmed {
					if err := s.store.ConfirmTOTP(ctx, creds.User.ID); err != nil {
						return err
					}
				}
				return s.store.ReleaseLoginAttempt(ctx, attempt)
			}
		}
	}
	if err := s.failed(w, ctx, keys); care.ErrorCode(err) == care.RateLimited {
		return err
	}
	return care.Errorf(care.MFARequired, "that code is not valid; codes work once, for 30 seconds")
}

// secondFactorKeys are the throttling counters of a user's second factor.
func secondFactorKeys(userID string) []string { return []string{store.SecondFactorKey(userID)} }

// signedInKeys are the counters a complete sign-in resets (AU-05: success
// resets the count): the account's password counter and the user's
// second-factor counter. The address's counter is shared by everyone
// behind the address and is only given back, not reset.
func signedInKeys(keys []string, userID string) []string {
	return []string{keys[0], store.SecondFactorKey(userID)}
}

// auditSignIn records a step of signing in (AD-01): who, when known, and
// how it ended; a refused step is denied, a throttled one names itself.
// It returns err, or the audit's own failure: a step that cannot be
// recorded does not succeed.
func (s *Server) auditSignIn(ctx context.Context, who *care.Credentials, action string, err error) error {
	ev := care.AuditEvent{Action: action, EntityType: "user", Outcome: care.OutcomeSuccess}
	if who != nil {
		ev.ActorID, ev.Role, ev.ClinicID, ev.EntityID = who.User.ID, who.User.Role, who.User.ClinicID, who.User.ID
	}
	switch care.ErrorCode(err) {
	case "":
	case care.RateLimited:
		ev.Action, ev.Outcome = "signin.throttled", care.OutcomeDenied
	case care.Unauthenticated, care.MFARequired, care.Invalid:
		ev.Outcome = care.OutcomeDenied
	default:
		ev.Outcome = care.OutcomeFailure
	}
	if aerr := s.store.Audit(ctx, ev); aerr != nil {
		return aerr
	}
	return err
}

// addressAllowance is how many consecutive failures one source address
// gets beyond an account's: many people may share a clinic's address, so
// its backoff starts later (AU-05: per account and per address).
const addressAllowance = 20

// failureMemory is how long a counter remembers: failures older than this
// are forgotten, so a clinic's shared address is not held to last month's
// typos (AU-05: no lockout anyone can cause).
const failureMemory = time.Hour

// wait is the backoff policy: how long the i-th key of checkPassword
// (account first, then address) must wait after n consecutive failures,
// the last at last.
func (s *Server) wait(i, n int, last time.Time) time.Duration {
	if i > 0 {
		n -= addressAllowance
	}
	if n <= 0 || s.now().Sub(last) > failureMemory {
		return 0
	}
	return max(0, auth.Backoff(n)-s.now().Sub(last))
}

// backoff is how long sign-in attempts must wait now.
func (s *Server) backoff(ctx context.Context, keys []string) (time.Duration, error) {
	var longest time.Duration
	for i, k := range keys {
		n, last, err := s.store.LoginFailures(ctx, k)
		if err != nil {
			return 0, err
		}
		longest = max(longest, s.wait(i, n, last))
	}
	return longest, nil
}

// checkBackoff refuses a step while a backoff runs, without counting it.
func (s *Server) checkBackoff(w http.ResponseWriter, ctx context.Context, keys []string) error {
	wait, err := s.backoff(ctx, keys)
	if err != nil {
		return err
	}
	if wait > 0 {
		return rateLimited(w, wait)
	}
	return nil
}

// take starts a sign-in attempt: refused while a backoff runs, otherwise
// counted as a failure until store.ReleaseLoginAttempt gives the count
// back. Counting first keeps parallel guesses from slipping past the
// backoff (AU-05).
func (s *Server) take(w http.ResponseWriter, ctx context.Context, keys []string) (store.LoginAttempt, error) {
	attempt, wait, err := s.store.TakeLoginAttempt(ctx, keys, failureMemory, s.wait)
	if err != nil {
		return attempt, err
	}
	if wait > 0 {
		return attempt, rateLimited(w, wait)
	}
	return attempt, nil
}

// failed answers an attempt that was wrong (already counted by take):
// from the fifth in a row the answer is 429.
func (s *Server) failed(w http.ResponseWriter, ctx context.Context, keys []string) error {
	if err := s.checkBackoff(w, ctx, keys); err != nil {
		return err
	}
	return errBadLogin
}

// startSession creates a session for a user who has passed the given
// factors, with a fresh token (SE-02).
func (s *Server) startSession(r *http.Request, creds *care.Credentials, kind, stage string, mfa bool) (string, *care.Session, error) {
	token, hash := auth.NewToken()
	sess := &care.Session{
		UserID: creds.User.ID,
		Kind:   kind,
		Stage:  stage,
		MFA:    mfa,
		Device: care.DeviceLabel(r.UserAgent()),
	}
	if err := s.store.CreateSession(r.Context(), sess, hash); err != nil {
		return "", nil, err
	}
	return token, sess, nil
}
