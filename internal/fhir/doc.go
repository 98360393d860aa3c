// Package fhir maps a client's record (care.Record) to FHIR R4 resources
// (issue #8): pure functions, no storage, no HTTP. What a record holds is
// decided by the store's authorization; this package emits all of it and
// nothing else, so a private journal entry is in the output only when it
// was in the record, that is for the client themself.
//
// Resources are JSON objects (Resource, a map), so that encoding/json
// writes their keys in a stable order and golden files stay byte-stable.
// Ids are the record's own ids (26 base32 characters), or derived from
// them with a suffix ("<entry>-mood"), all within FHIR's id syntax
// [A-Za-z0-9\-\.]{1,64}. docs/fhir.md has the mapping table and the codes.
package fhir
