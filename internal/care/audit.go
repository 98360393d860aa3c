package care

import "time"

// AuditEvent is one row of the audit trail (AD-01): who did what to which
// record, when, from where, and how it ended. It holds ids only, never
// content. Seq and Hash are set when the event is chained into the log.
type AuditEvent struct {
	Seq        int64     // position in the chain, from 1; 0 until chained
	At         time.Time // UTC, microsecond precision
	ActorID    string    // "" for an anonymous or unknown caller
	Role       Role      // the actor's role, "" when anonymous
	Action     string    // e.g. "client.read", "signin.password", see Action* constants
	EntityType string    // e.g. "client", "user", "session", "audit"
	EntityID   string    // the id of the entity, or ""
	ClientID   string    // the client whose record it is, or ""
	ClinicID   string    // the tenant, or ""
	Outcome    Outcome   // success, denied, failure, integrity
	Addr       string    // source address
	RequestID  string
	Purpose    string // "" for treatment and operations, "break-glass" for emergency access
	Reason     string // a stated reason (break-glass, deletion), never PHI
	Hash       []byte // SHA-256 chain hash, nil until chained
}

// Outcome is how an audited action ended.
type Outcome string

// The outcomes of an audited action.
const (
	OutcomeSuccess   Outcome = "success"
	OutcomeDenied    Outcome = "denied"    // refused by authorization or authentication
	OutcomeFailure   Outcome = "failure"   // failed for another reason
	OutcomeIntegrity Outcome = "integrity" // a sealed field failed to open (IN-01)
)

// Valid reports whether o is one of the outcomes.
func (o Outcome) Valid() bool {
	switch o {
	case OutcomeSuccess, OutcomeDenied, OutcomeFailure, OutcomeIntegrity:
		return true
	}
	return false
}

// MalformedID is what an audit row holds in place of an id that is not in
// the form NewID makes: a path segment typed by the caller, say. The trail
// cannot be deleted, so it keeps ids only, never text of the caller's
// choosing (issue #17).
const MalformedID = "malformed"

// AuditID is id as an audit row may hold it: the id itself when it has the
// form NewID makes or is empty, MalformedID otherwise.
func AuditID(id string) string {
	if id == "" || ValidID(id) {
		return id
	}
	return MalformedID
}
