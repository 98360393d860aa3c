// Package seal encrypts PHI fields at rest with envelope encryption, on top of
// disk encryption (EN-01).
//
// There are three kinds of key:
//
//   - Master keys, in a [Keyring] loaded from a file that lives apart from the
//     database (EN-01, EN-02). They have versions; the highest is current and
//     wraps new data keys, older ones only unwrap. [Keyring.Rotate] adds a
//     version and [Keyring.Rewrap] moves a wrapped data key onto it.
//   - Data keys, one random 256-bit [DataKey] per owner: a client, or a clinic
//     for staff secrets such as TOTP seeds. The store keeps only the wrapped
//     form. Deleting every wrapped copy of an owner's data key makes all of
//     that owner's sealed values unreadable (EN-05). Backups still hold
//     wrapped copies, so a restore must delete them again from the shred list.
//   - The blind-index key, which turns a value into a keyed hash for equality
//     look-ups ([Keyring.Index]). It never rotates, so indexes stay valid.
//
// Values are sealed with AES-256-GCM and a random 96-bit nonce (EN-03). The
// table, column, row, clinic and client of the field are bound as associated
// data, so a sealed value copied to another row or client fails to open
// (IN-01). The key id of IN-01 is implicit: a value opens only under the one
// data key that sealed it, and the caller picks that key by owner. A failure
// to open is an integrity incident: [DataKey.Open] returns an error that wraps
// [ErrIntegrity], never an empty value.
//
// Go cannot reliably wipe memory, so the package does the next best thing:
// no type here prints, formats or logs key bytes.
//
// The package has no package-level mutable state and speaks neither SQL nor
// HTTP.
package seal
