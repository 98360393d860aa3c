// Package notify tells people that something waits for them in Interlude,
// by email over SMTP and by Web Push, without a word of PHI (TS-02).
//
// It never sees PHI by design: a notification is a Kind (a new message, a
// check-in) and the base URL; its subject, body and push payload are fixed
// texts chosen by kind, and its link is a page path, never an id. Only the
// recipient's address (an email, a push endpoint) reaches this package,
// because it must send there; errors and log lines name neither.
//
// Web Push is implemented here from the standard library: the payload is
// encrypted per RFC 8291 (ECDH P-256, HKDF-SHA-256, AES-128-GCM in the
// aes128gcm content coding of RFC 8188) and the request carries a VAPID
// token (RFC 8292, an ES256 JWT). It is a few dozen lines on crypto/ecdh,
// crypto/hkdf and crypto/aes, smaller to review than a module; the tests
// decrypt what it sends with the browser's half of the keys.
package notify
