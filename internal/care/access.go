package care

// CanReadAccessLog reports whether actor may read the access report of
// client clientID (AD-05, HIPAA 164.528): who at the clinic opened the
// record, and when. It is the client's own report; the clinic's admins may
// read it too (API.md), to answer a client who asks. The store checks that
// the client is in the admin's clinic.
func CanReadAccessLog(actor Actor, clientID string) bool {
	switch actor.Role {
	case RoleClient:
		return actor.UserID != "" && actor.UserID == clientID
	case RoleAdmin:
		return clientID != ""
	}
	return false
}
