package storetest

import (
	"testing"
)

// JournalEntryObservation is the key of BulkCounts that counts the
// Observations coded journal_entry: one per journal entry shared with the
// care team.
const JournalEntryObservation = "Observation/journal_entry"

// BulkCounts counts, straight from the tables, the FHIR resources that an
// export of clinic clinicID must hold, for the resource types that map one
// row to one resource (issue #8: "$export of the demo clinic gives NDJSON
// whose counts match the database"); JournalEntryObservation counts the
// entries shared with the care team (private ones are never exported).
// Deleted (crypto-shredded) clients are not exported.
func BulkCounts(t testing.TB, db *DB, clinicID string) map[string]int {
	t.Helper()
	live := `SELECT id FROM users WHERE clinic_id = $1 AND role = 'client' AND deleted_at IS NULL`
	queries := map[string]string{
		"Patient":       `SELECT count(*) FROM (` + live + `) c`,
		"CareTeam":      `SELECT count(*) FROM (` + live + `) c`,
		"Organization":  `SELECT count(*) FROM clinics WHERE id = $1`,
		"Encounter":     `SELECT count(*) FROM appointments WHERE clinic_id = $1 AND client_id IN (` + live + `)`,
		"Communication": `SELECT count(*) FROM messages WHERE clinic_id = $1 AND client_id IN (` + live + `)`,
		// Questionnaires, the follow-up screener's answers (#16) and the
		// shared tracker entries (#19).
		"QuestionnaireResponse": `SELECT (SELECT count(*) FROM measure_responses WHERE clinic_id = $1 AND client_id IN (` + live + `))
			+ (SELECT count(*) FROM screener_responses WHERE clinic_id = $1 AND client_id IN (` + live + `))
			+ (SELECT count(*) FROM tracker_entries WHERE clinic_id = $1 AND shared = 1 AND client_id IN (` + live + `))`,
		"Flag": `SELECT count(*) FROM safety_flags WHERE clinic_id = $1 AND client_id IN (` + live + `)`,
		JournalEntryObservation: `SELECT count(*) FROM journal_entries
			WHERE clinic_id = $1 AND shared = 1 AND deleted_at IS NULL AND client_id IN (` + live + `)`,
	}
	out := map[string]int{}
	for key, q := range queries {
		var n int
		if err := db.Engine.SQLDB().QueryRow(q, clinicID).Scan(&n); err != nil {
			t.Fatalf("counting %s: %v", key, err)
		}
		out[key] = n
	}
	return out
}

// PrivateEntries returns the ids of the journal entries of clinic
// clinicID that are private to their client.
func PrivateEntries(t testing.TB, db *DB, clinicID string) []string {
	t.Helper()
	rows, err := db.Engine.SQLDB().Query(`SELECT id FROM journal_entries WHERE clinic_id = $1 AND shared = 0`, clinicID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}
