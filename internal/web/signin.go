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

// checkPassword is the first step of signing in, shared by the API and the
// web form. It enforces the per-account and per-address backoff (AU-05),
// spends the same time on an unknown email as on a known one (AU-07), and
// rehashes a password stored with old parameters (AU-04).
func (s *Server) checkPassword(w http.ResponseWriter, r *http.Request, email, password string) (_ *care.Credentials, keys []string, err error) {
	ctx := r.Context()
	email = strings.ToLower(strings.TrimSpace(email))
	keys = []string{store.AccountKey(email), store.AddressKey(clientAddr(r))}
	var creds *care.Credentials // the account, when the email has one
	defer func() { err = s.auditSignIn(ctx, creds, "signin.password", err) }()
	if err := s.take(w, ctx, keys); err != nil {
		return nil, keys, err
	}
	if len(password) > auth.MaxPasswordBytes {
		return nil, keys, care.FieldError("password", "is too long")
	}
	creds, err = s.store.CredentialsByEmail(ctx, email)
	if err != nil && care.ErrorCode(err) != care.NotFound {
		return nil, keys, err
	}
	if creds == nil || creds.PasswordHash == "" || creds.Disabled {
		// The same work and the same answer as a wrong password (AU-07).
		// Its error, as VerifyPassword's below, answers as a wrong password.
		auth.DummyVerify(s.passwords, password) //nolint:errcheck // see above
		if creds != nil && creds.PasswordHash == "" {
			creds = nil // no password: as if there were no account
		}
		return nil, keys, s.failed(w, ctx, keys)
	}
	ok, rehash, err := auth.VerifyPassword(s.passwords, creds.PasswordHash, password)
	if err != nil {
		// A password that grows past the limit when normalized, or a
		// stored hash that cannot be read: either way, as a wrong
		// password, so that the answer says nothing about the account.
		s.log.Warn("password not verifiable", "request_id", RequestID(ctx), "user_id", creds.User.ID)
		return nil, keys, s.failed(w, ctx, keys)
	}
	if !ok {
		return nil, keys, s.failed(w, ctx, keys)
	}
	if err := s.release(ctx, keys); err != nil {
		return nil, keys, err
	}
	if rehash {
		if h, err := auth.HashPassword(s.passwords, password); err == nil {
			if err := s.store.SetPasswordHash(ctx, creds.User.ID, h); err != nil {
				return nil, keys, err
			}
		}
	}
	return creds, keys, nil
}

// checkSecondFactor verifies an authenticator code or a recovery code.
// Each TOTP code is accepted once (AU-08); each recovery code once (AU-10).
// A wrong code counts as a failed sign-in.
func (s *Server) checkSecondFactor(w http.ResponseWriter, r *http.Request, creds *care.Credentials, keys []string, code, recovery string) (err error) {
	ctx := r.Context()
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if recovery == "" && (code == "" || creds.TOTPSecret == nil) {
		return care.Errorf(care.MFARequired, "enter the code from your authenticator app")
	}
	action := "signin.totp"
	if recovery != "" {
		action = "signin.recovery-code"
	}
	defer func() { err = s.auditSignIn(ctx, creds, action, err) }()
	if err := s.take(w, ctx, keys); err != nil {
		return err
	}
	switch {
	case recovery != "":
		ok, err := s.store.UseRecoveryCode(ctx, creds.User.ID, auth.HashRecoveryCode(recovery))
		if err != nil {
			return err
		}
		if ok {
			return s.release(ctx, keys)
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
				return s.release(ctx, keys)
			}
		}
	}
	if err := s.failed(w, ctx, keys); care.ErrorCode(err) == care.RateLimited {
		return err
	}
	return care.Errorf(care.MFARequired, "that code is not valid; codes work once, for 30 seconds")
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
// counted as a failure until release gives the count back. Counting first
// keeps parallel guesses from slipping past the backoff (AU-05).
func (s *Server) take(w http.ResponseWriter, ctx context.Context, keys []string) error {
	wait, err := s.store.TakeLoginAttempt(ctx, keys, failureMemory, s.wait)
	if err != nil {
		return err
	}
	if wait > 0 {
		return rateLimited(w, wait)
	}
	return nil
}

// release gives back the count of an attempt that was right.
func (s *Server) release(ctx context.Context, keys []string) error {
	return s.store.ReleaseLoginAttempt(ctx, keys...)
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
