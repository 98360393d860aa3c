package care

import "time"

// FHIR Bulk Data export of a clinic (issue #8). An admin may read no
// client's record (AC-02) except by break-glass, one client at a time, with
// a reason. The clinic's bulk export to its EHR is the documented
// exception (docs/threat-model.md): an admin of the clinic, freshly signed
// in with their second factor, may export every client's record, as the
// care team sees it (a private journal entry never leaves the server
// except to the client themself). Every client exported gets a row in the
// audit trail, so that their access report shows the disclosure.

// PurposeBulkExport marks the audit rows of a bulk export.
const PurposeBulkExport = "bulk-export"

// BulkExportLifetime is how long an export's files are kept after its
// kick-off; they are deleted then, or when the admin cancels it.
const BulkExportLifetime = 24 * time.Hour

// BulkExportFreshAuth is how recently the admin must have signed in with
// their second factor to start an export (AU-11: step-up for bulk
// download).
const BulkExportFreshAuth = 5 * time.Minute

// CanBulkExport reports whether actor may export their clinic's records:
// its admins only.
func CanBulkExport(actor Actor) bool {
	return actor.Role == RoleAdmin && actor.UserID != "" && actor.ClinicID != ""
}
