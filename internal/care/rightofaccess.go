package care

// The right of access (45 CFR 164.524, issue #8): a client downloads a copy
// of their whole record; a provider of their care team, or an admin with
// an open break-glass grant, makes one for them at their request after a
// fresh authenticator code. A copy made by staff holds no private journal
// entry: a private entry never leaves the server except to the client.

// ActionRecordCopy is the audit action of handing out a copy of a
// client's record; the row's reason names the format ("html" or "fhir").
// The client's access report lists it whoever made the copy, the client
// included, so that every copy of the record that left is on the list.
const ActionRecordCopy = "record.copy"
