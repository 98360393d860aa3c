// Package care is Interlude's domain: the types of the between-session
// record, their validation, the authorization rules as pure functions and the
// error codes every other package speaks.
//
// It imports only the standard library. Storage, HTTP, encryption and
// notifications live in outer packages that depend on care, never the other
// way round.
package care
