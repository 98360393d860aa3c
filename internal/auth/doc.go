// Package auth holds Interlude's authentication primitives: password hashing
// and policy, opaque session and invitation tokens, TOTP, recovery codes and
// the login backoff schedule.
//
// It speaks neither SQL nor HTTP. Every function is pure or reads only the
// clock it is given and crypto/rand; the caller stores what it returns (a PHC
// string, a token hash, the last accepted TOTP step, a failure count) and
// decides what to answer. That keeps the security-relevant rules small enough
// to read in one sitting and to test without a database.
//
// The security requirements it implements, by id:
//
//   - AU-02 password policy per NIST SP 800-63B-4: length over composition,
//     code points counted after NFKC, no truncation ([Policy], [HashPassword]).
//   - AU-03 blocklist of common passwords and context words ([Policy]).
//   - AU-04 argon2id in PHC format, rehash on parameter change, input capped
//     at [MaxPasswordBytes] ([HashPassword], [VerifyPassword]).
//   - AU-05 exponential backoff from the fifth consecutive failure, never a
//     permanent lockout ([Backoff]).
//   - AU-07 no account enumeration by timing ([DummyVerify]).
//   - AU-08 TOTP per RFC 6238, single use and monotonic ([VerifyTOTP]).
//   - AU-10 recovery codes of at least 64 bits, stored hashed
//     ([NewRecoveryCodes]).
//   - AU-12 and SE-01 random tokens stored only as SHA-256 hashes
//     ([NewToken], [NewInvitationToken]).
//
// The package has no mutable package-level state. The common-password list is
// embedded and parsed once by [NewPolicy]; the caller keeps the *Policy.
package auth
