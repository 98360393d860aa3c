package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"interlude/internal/care"
	"interlude/internal/fhir"
	"interlude/internal/store"
)

// FHIR Bulk Data export of a clinic (issue #8); see store/bulk.go for how
// an export is kept and fenced. A job exports clients one at a time: it
// reads the record as the care team sees it (no private entries), maps it
// to FHIR R4 resources, keeps those of the types asked for that changed
// after the export's _since, and saves their NDJSON, sealed, with the move
// of the export's cursor and, if the record is in it, one audit row. Clients are read
// in id order after the cursor, so a job that dies resumes after the last
// client saved.

// bulkBatch is how many client ids a job looks up at a time.
const bulkBatch = 32

// RegisterBulkExport sets the handlers of bulk exports and of their
// expiry.
func RegisterBulkExport(r *Runner, st *store.Store) {
	r.Register(store.JobBulkExport, func(ctx context.Context, j store.Job) error {
		return runBulk(ctx, st, j.RefID, &j)
	})
	r.Register(store.JobBulkExpire, func(ctx context.Context, j store.Job) error {
		return st.ExpireBulkExport(ctx, j)
	})
}

// RunBulkExport runs export id to its end in this process: the operator's
// export (interlude export), which has no job.
func RunBulkExport(ctx context.Context, st *store.Store, id string) error {
	return runBulk(ctx, st, id, nil)
}

// runBulk exports the clients of export id still to export. As job j it
// stops at half its time and hands over to a new job, so that no export is
// too large for a lease.
func runBulk(ctx context.Context, st *store.Store, id string, j *store.Job) error {
	var stopBy time.Time
	if dl, ok := ctx.Deadline(); ok && j != nil {
		stopBy = time.Now().Add(time.Until(dl) / 2)
	}
	for {
		e, clients, err := st.NextBulkClients(ctx, id, bulkBatch)
		if care.ErrorCode(err) == care.NotFound {
			return nil // cancelled, expired, or done: nothing left to do
		}
		if err != nil {
			return err
		}
		if len(clients) == 0 {
			return st.FinishBulkExport(ctx, e, j)
		}
		for _, c := range clients {
			if !stopBy.IsZero() && time.Now().After(stopBy) {
				return st.ContinueBulkExport(ctx, e, *j)
			}
			parts, err := clientParts(ctx, st, e, c)
			if err != nil {
				return err
			}
			err = st.SaveBulkParts(ctx, e, c, parts)
			if care.ErrorCode(err) == care.NotFound {
				return nil // cancelled or expired meanwhile
			}
			if err != nil {
				return err
			}
		}
	}
}

// clientParts reads client clientID's record for export e and returns its
// NDJSON by resource type. A client deleted since the export began adds
// nothing.
func clientParts(ctx context.Context, st *store.Store, e *store.BulkExport, clientID string) ([]store.BulkPart, error) {
	rec, err := st.BulkClientRecord(ctx, e, clientID)
	if errors.Is(err, store.ErrShredded) || care.ErrorCode(err) == care.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return BulkParts(rec, e.Wants, e.Since)
}

// sharedTypes are the resource types that belong to no client's record:
// the clinic, its staff, the questionnaires. An export holds each such
// resource once, however many records name it.
var sharedTypes = map[string]bool{
	"Organization": true, "Practitioner": true, "PractitionerRole": true, "Questionnaire": true, "Location": true,
}

// BulkParts maps a record to FHIR R4 resources (fhir.ResourcesSince: what
// changed after since, with its context; everything for the zero time) and
// groups them as NDJSON by resource type, keeping the types wants accepts:
// one part per type for the client's resources, one per resource for
// shared ones. A record with nothing changed gives no part, not even the
// shared resources it names.
func BulkParts(rec *care.Record, wants func(string) bool, since time.Time) ([]store.BulkPart, error) {
	var parts []store.BulkPart
	index := map[string]int{} // resource type → its part, for the client's own
	for _, r := range fhir.ResourcesSince(rec, since) {
		rt := fhir.TypeOf(r)
		if !wants(rt) {
			continue
		}
		line, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		if rt == "" || bytes.ContainsAny(line, "\n\r") {
			return nil, fmt.Errorf("jobs: a %s does not map to one NDJSON line", rt)
		}
		line = append(line, '\n')
		if sharedTypes[rt] {
			parts = append(parts, store.BulkPart{Type: rt, Key: fhir.IDOf(r), Count: 1, Data: line})
			continue
		}
		i, ok := index[rt]
		if !ok {
			i = len(parts)
			index[rt] = i
			parts = append(parts, store.BulkPart{Type: rt})
		}
		parts[i].Count++
		parts[i].Data = append(parts[i].Data, line...)
	}
	return parts, nil
}
