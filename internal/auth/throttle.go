package auth

import "time"

// Backoff schedule for online guessing (AU-05).
const (
	// BackoffThreshold is the number of consecutive failures from which
	// Backoff asks the caller to wait.
	BackoffThreshold = 5
	// MaxBackoff caps the wait, so no account is ever locked for good.
	MaxBackoff = 15 * time.Minute
)

// Backoff returns how long an account (or a source address) must wait after
// consecutiveFailures failed attempts before the next attempt is even
// checked (AU-05): nothing for the first four failures, then one second at
// the fifth, doubling with each further failure (2 s, 4 s, … 512 s at the
// fourteenth) and capped at MaxBackoff from the fifteenth on.
//
// The wait always ends: a permanent lockout would let anyone lock a user out.
// During the wait the caller refuses attempts without checking them, even a
// correct password, unless the attempt carries a correct second factor as
// well (web/signin.go: the owner who holds both is never kept out); refused
// attempts are not failures and do not extend the wait. A success resets the count to zero. With this schedule, NIST's
// ceiling of 100 consecutive failures takes over 20 hours to reach.
func Backoff(consecutiveFailures int) time.Duration {
	if consecutiveFailures < BackoffThreshold {
		return 0
	}
	shift := consecutiveFailures - BackoffThreshold
	if shift >= 10 { // 1 s << 10 = 1024 s, over the cap; also avoids overflow
		return MaxBackoff
	}
	return min(time.Second<<shift, MaxBackoff)
}
