package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"interlude/internal/care"
)

// FHIR Bulk Data exports (issue #8). An admin's kick-off writes the
// export's row and its first job in one transaction; the job exports the
// clinic's clients one at a time in id order. For each client it reads the
// record as the care team sees it (BulkClientRecord) and stores the NDJSON
// of each resource type sealed under the client's data key, moving the
// export's cursor (last_client) and auditing the record's export (one row
// per client whose record is in the files) in the same write
// (SaveBulkParts). The cursor is the export's fencing
// token: a write whose cursor moved meanwhile (another worker, after a
// lease expired) fails with ErrLeaseLost, so a client is exported once,
// and a restarted server resumes after the last client saved. A job that
// runs out of time hands over to a new job (ContinueBulkExport). The files
// are deleted when the admin cancels the export or by the expiry job
// enqueued at kick-off (care.BulkExportLifetime).

// Job kinds of bulk exports.
const (
	JobBulkExport = "bulk.export" // export the next clients of an export; RefID is the export
	JobBulkExpire = "bulk.expire" // delete an export and its files; RefID is the export
)

// BulkExport is an export of a clinic's records, as stored.
type BulkExport struct {
	ID           string
	ClinicID     string
	RequestedBy  string    // the admin; "" for the operator (interlude export)
	Types        []string  // the resource types asked for; empty for all
	Since        time.Time // the Bulk Data _since: only what changed after it; zero for everything
	Request      string    // the kick-off URL
	CreatedAt    time.Time
	ExpiresAt    time.Time
	ClientsTotal int
	ClientsDone  int
	LastClient   string // the cursor: the last client exported, in id order
	DoneAt       time.Time
	Failed       bool // its job was given up
}

// Done reports whether every client was exported.
func (e *BulkExport) Done() bool { return !e.DoneAt.IsZero() }

// Wants reports whether the export includes resources of type rt.
func (e *BulkExport) Wants(rt string) bool {
	if len(e.Types) == 0 {
		return true
	}
	for _, t := range e.Types {
		if t == rt {
			return true
		}
	}
	return false
}

// actor is who the export reads records as, for the audit trail: the
// admin who asked, or the operator (no user).
func (e *BulkExport) actor() care.Actor {
	if e.RequestedBy == "" {
		return care.Actor{ClinicID: e.ClinicID}
	}
	return care.Actor{UserID: e.RequestedBy, ClinicID: e.ClinicID, Role: care.RoleAdmin}
}

// BulkFile is one NDJSON file of a finished export: its resource type and
// how many resources (lines) it holds.
type BulkFile struct {
	Type  string
	Count int
}

// BulkPart is what one client's record adds to the files of one resource
// type: Count NDJSON lines. A part with a Key is a resource of no client
// (Key is its id: the clinic, a practitioner, a questionnaire), stored
// once per export however many records name it; a part without one is
// the client's.
type BulkPart struct {
	Type  string
	Key   string
	Count int
	Data  []byte
}

const bulkColumns = `id, clinic_id, requested_by, types, since, request, created_at, expires_at, clients_total, clients_done, last_client, done_at`

func scanBulk(row interface{ Scan(...any) error }, e *BulkExport) error {
	var types string
	var created, expires int64
	var since, done sql.NullInt64
	if err := row.Scan(&e.ID, &e.ClinicID, &e.RequestedBy, &types, &since, &e.Request, &created, &expires,
		&e.ClientsTotal, &e.ClientsDone, &e.LastClient, &done); err != nil {
		return err
	}
	e.Types = nil
	if types != "" {
		e.Types = strings.Split(types, ",")
	}
	e.Since, e.CreatedAt, e.ExpiresAt, e.DoneAt = optMicros(since), fromMicros(created), fromMicros(expires), optMicros(done)
	return nil
}

// bulkPartField is the sealed body of a part: the client's, under their
// key, or a shared resource, under the clinic's.
func bulkPartField(e *BulkExport, clientID, rt, key string) field {
	if clientID == "" {
		return field{clinic: e.ClinicID, owner: e.ClinicID, table: "bulk_export_parts", column: "body", row: e.ID + "/" + rt + "/" + key}
	}
	return field{clinic: e.ClinicID, client: clientID, owner: clientID, table: "bulk_export_parts", column: "body", row: e.ID + "/" + rt + "/" + key}
}

// StartBulkExport starts an export of the actor's clinic: every client's
// record, or of the resource types named, and only what changed after
// since unless it is zero, as request (the kick-off URL) asked. Only an admin of the clinic may (care.CanBulkExport); anyone else
// gets care.ErrNotFound, and the refusal is audited. The export runs as a
// durable job.
func (s *Store) StartBulkExport(ctx context.Context, actor care.Actor, types []string, since time.Time, request string) (*BulkExport, error) {
	ev := Event(actor, "bulk.start", "bulk_export", "")
	ev.Purpose = care.PurposeBulkExport
	if !care.CanBulkExport(actor) {
		ev.Outcome = care.OutcomeDenied
		if err := s.Audit(ctx, ev); err != nil {
			return nil, err
		}
		return nil, care.ErrNotFound
	}
	return s.startBulkExport(ctx, ev, actor.ClinicID, actor.UserID, types, since, request, true)
}

// StartOperatorExport starts an export of clinic clinicID for the
// operator on the command line (interlude export), who runs it in the
// same process (RunBulkExport in package jobs): no job is enqueued but the
// expiry, which deletes what a crashed run left behind.
func (s *Store) StartOperatorExport(ctx context.Context, clinicID string, types []string, since time.Time, request string) (*BulkExport, error) {
	ev := care.AuditEvent{Action: "bulk.start", EntityType: "bulk_export", ClinicID: clinicID, Purpose: care.PurposeBulkExport}
	return s.startBulkExport(ctx, ev, clinicID, "", types, since, request, false)
}

func (s *Store) startBulkExport(ctx context.Context, ev care.AuditEvent, clinicID, requester string, types []string, since time.Time, request string, enqueue bool) (*BulkExport, error) {
	for _, t := range types {
		if t == "" || strings.ContainsAny(t, ", ") {
			return nil, care.FieldError("_type", "names a resource type that does not exist")
		}
	}
	e := &BulkExport{ID: care.NewID(), ClinicID: clinicID, RequestedBy: requester, Types: types, Request: request}
	var sinceArg any // NULL: everything
	if !since.IsZero() {
		e.Since = fromMicros(micros(since)) // as stored: to the microsecond, as every time of a record is
		sinceArg = micros(since)
	}
	ev.EntityID = e.ID
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM clinics WHERE id = $1`, clinicID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return care.ErrNotFound
		}
		if requester != "" {
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users
				WHERE id = $1 AND clinic_id = $2 AND role = 'admin' AND disabled_at IS NULL AND deleted_at IS NULL`,
				requester, clinicID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return care.ErrNotFound
			}
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users
			WHERE clinic_id = $1 AND role = 'client' AND deleted_at IS NULL`, clinicID).Scan(&e.ClientsTotal); err != nil {
			return err
		}
		e.CreatedAt, e.ExpiresAt = tx.now, tx.now.Add(care.BulkExportLifetime)
		if e.Since.After(e.CreatedAt) {
			return care.FieldError("_since", "is later than the server's time now; nothing can have changed after it")
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO bulk_exports (id, clinic_id, requested_by, types, since, request, created_at, expires_at, clients_total)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			e.ID, clinicID, requester, strings.Join(types, ","), sinceArg, request, micros(e.CreatedAt), micros(e.ExpiresAt), e.ClientsTotal); err != nil {
			return err
		}
		if enqueue {
			if _, err := tx.enqueueJob(ctx, Job{ClinicID: clinicID, Kind: JobBulkExport, DedupeKey: bulkJobKey(e.ID, 0),
				UserID: requester, RefID: e.ID}); err != nil {
				return err
			}
		}
		if _, err := tx.enqueueJob(ctx, Job{ClinicID: clinicID, Kind: JobBulkExpire, DedupeKey: "bulk.expire:" + e.ID,
			UserID: requester, RefID: e.ID, RunAt: e.ExpiresAt}); err != nil {
			return err
		}
		return tx.audit(ctx, ev)
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// bulkJobKey is the dedupe key of the job that exports export id's
// clients after the first done.
func bulkJobKey(id string, done int) string { return fmt.Sprintf("bulk.export:%s:%d", id, done) }

// loadBulk reads export id in tx; care.ErrNotFound when there is none or
// it has expired.
func loadBulk(ctx context.Context, tx tx, id string) (*BulkExport, error) {
	if !care.ValidID(id) {
		return nil, care.ErrNotFound
	}
	e := &BulkExport{}
	if err := scanBulk(tx.QueryRowContext(ctx, `SELECT `+bulkColumns+` FROM bulk_exports WHERE id = $1 AND expires_at > $2`,
		id, micros(tx.now)), e); err != nil {
		return nil, notFound(err)
	}
	return e, nil
}

// ownBulk reads export id for actor: only the admin who started it sees
// it (an operator's export is no admin's); anyone else, and an id that
// names no live export, get care.ErrNotFound.
func ownBulk(ctx context.Context, tx tx, actor care.Actor, id string) (*BulkExport, error) {
	if !care.CanBulkExport(actor) {
		return nil, care.ErrNotFound
	}
	e, err := loadBulk(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if e.ClinicID != actor.ClinicID || e.RequestedBy != actor.UserID {
		return nil, care.ErrNotFound
	}
	return e, nil
}

// BulkExportStatus returns export id as its admin polls it: progress,
// and the files once done. Polls are not audited (they carry no record);
// a refused poll is (AC-03).
func (s *Store) BulkExportStatus(ctx context.Context, actor care.Actor, id string) (*BulkExport, []BulkFile, error) {
	var e *BulkExport
	var files []BulkFile
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		var err error
		if e, err = ownBulk(ctx, tx, actor, id); err != nil {
			return err
		}
		if files, err = bulkFiles(ctx, tx, e); err != nil {
			return err
		}
		var dead int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE kind = $1 AND ref_id = $2 AND dead_at IS NOT NULL`,
			JobBulkExport, e.ID).Scan(&dead); err != nil {
			return err
		}
		e.Failed = dead > 0 && !e.Done()
		return nil
	})
	if care.ErrorCode(err) == care.NotFound {
		return nil, nil, s.denied(ctx, actor, "bulk.status", id, err)
	}
	if err != nil {
		return nil, nil, err
	}
	return e, files, nil
}

// BulkExportFiles lists the files of export id, for the operator who ran
// it on the command line.
func (s *Store) BulkExportFiles(ctx context.Context, id string) (*BulkExport, []BulkFile, error) {
	var e *BulkExport
	var files []BulkFile
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		var err error
		if e, err = loadBulk(ctx, tx, id); err != nil {
			return err
		}
		files, err = bulkFiles(ctx, tx, e)
		return err
	})
	return e, files, err
}

// denied records a refused request about export id and returns err.
func (s *Store) denied(ctx context.Context, actor care.Actor, action, id string, err error) error {
	ev := Event(actor, action, "bulk_export", id)
	ev.Outcome, ev.Purpose = care.OutcomeDenied, care.PurposeBulkExport
	if aerr := s.Audit(ctx, ev); aerr != nil {
		return aerr
	}
	return auditedError{err}
}

// bulkFiles counts the lines of each file of a finished export. The parts
// of a client deleted since (crypto-shredded, EN-05) are no longer in it.
func bulkFiles(ctx context.Context, tx tx, e *BulkExport) ([]BulkFile, error) {
	if !e.Done() {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx,
		`SELECT p.resource_type, SUM(p.count) FROM bulk_export_parts p
		 WHERE p.export_id = $1 AND (p.client_id = '' OR EXISTS (
		   SELECT 1 FROM users c WHERE c.id = p.client_id AND c.clinic_id = $2 AND c.deleted_at IS NULL))
		 GROUP BY p.resource_type HAVING SUM(p.count) > 0 ORDER BY p.resource_type`, e.ID, e.ClinicID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	files := []BulkFile{}
	for rows.Next() {
		var f BulkFile
		if err := rows.Scan(&f.Type, &f.Count); err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, rows.Err()
}

// CancelBulkExport deletes export id and its files, at the request of the
// admin who started it (anyone else: care.ErrNotFound). A job still
// running it stops at its next client.
func (s *Store) CancelBulkExport(ctx context.Context, actor care.Actor, id string) error {
	ev := Event(actor, "bulk.cancel", "bulk_export", id)
	ev.Purpose = care.PurposeBulkExport
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		e, err := ownBulk(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if err := deleteBulk(ctx, tx, e.ID); err != nil {
			return err
		}
		return tx.audit(ctx, ev)
	})
	if care.ErrorCode(err) == care.NotFound {
		return s.denied(ctx, actor, "bulk.cancel", id, err)
	}
	return err
}

// DeleteOperatorExport deletes an operator's export once its files are
// written out.
func (s *Store) DeleteOperatorExport(ctx context.Context, id string) error {
	return s.write(ctx, func(ctx context.Context, tx tx) error {
		e, err := loadBulk(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.RequestedBy != "" {
			return care.ErrNotFound
		}
		return deleteBulk(ctx, tx, id)
	})
}

func deleteBulk(ctx context.Context, tx tx, id string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM bulk_export_parts WHERE export_id = $1`, id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM bulk_exports WHERE id = $1`, id)
	return err
}

// ExpireBulkExport is the expiry job of an export: it deletes the export
// and its files, if still there, with the job's end.
func (s *Store) ExpireBulkExport(ctx context.Context, j Job) error {
	return s.write(ctx, func(ctx context.Context, tx tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM bulk_export_parts WHERE export_id = $1`, j.RefID)
		if err != nil {
			return err
		}
		parts, _ := res.RowsAffected()
		if res, err = tx.ExecContext(ctx, `DELETE FROM bulk_exports WHERE id = $1`, j.RefID); err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 || parts > 0 {
			ev := care.AuditEvent{Action: "bulk.expire", EntityType: "bulk_export", EntityID: j.RefID, ClinicID: j.ClinicID,
				Purpose: care.PurposeBulkExport}
			if err := tx.audit(ctx, ev); err != nil {
				return err
			}
		}
		return tx.finishJob(ctx, j)
	})
}

// NextBulkClients returns export id as it stands and the ids of up to n
// clients of its clinic still to export, in id order after its cursor. An
// export that was cancelled, has expired or is done is care.ErrNotFound.
func (s *Store) NextBulkClients(ctx context.Context, id string, n int) (*BulkExport, []string, error) {
	var e *BulkExport
	var ids []string
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		var err error
		if e, err = loadBulk(ctx, tx, id); err != nil {
			return err
		}
		if e.Done() {
			return care.ErrNotFound
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM users
			WHERE clinic_id = $1 AND role = 'client' AND deleted_at IS NULL AND id > $2 ORDER BY id LIMIT $3`,
			e.ClinicID, e.LastClient, n)
		if err != nil {
			return err
		}
		defer rows.Close()
		ids = nil
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				return err
			}
			ids = append(ids, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, nil, err
	}
	return e, ids, nil
}

// SaveBulkParts stores what client clientID's record adds to export e's
// files (parts may be empty: a client with nothing of the types asked
// for, or nothing changed since e.Since), and moves e's cursor past the
// client. When the parts hold anything of the client's own, the export of
// their record is audited in the same write (AD-02: no file holds it
// unless the audit row is written; bulkExportEvent); a client who adds
// nothing, or only resources of no client, is not said to be exported.
// e must be as last read or
// saved: if its cursor moved meanwhile the save fails with ErrLeaseLost
// (another worker exported the client), and if the export is gone with
// care.ErrNotFound. On success e's cursor and count move too.
func (s *Store) SaveBulkParts(ctx context.Context, e *BulkExport, clientID string, parts []BulkPart) error {
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		if err := moveBulkCursor(ctx, tx, e, clientID); err != nil {
			return err
		}
		own := false
		for _, p := range parts {
			own = own || p.Key == ""
			client, key := clientID, clientID
			if p.Key != "" {
				client, key = "", p.Key
			}
			sealed, err := s.sealValue(ctx, tx, bulkPartField(e, client, p.Type, key), p.Data)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO bulk_export_parts (export_id, resource_type, part_key, client_id, count, body_sealed)
				 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (export_id, resource_type, part_key) DO NOTHING`,
				e.ID, p.Type, key, client, p.Count, sealed); err != nil {
				return err
			}
		}
		if own {
			return tx.audit(ctx, bulkExportEvent(e, clientID))
		}
		return nil
	})
	if err != nil {
		return err
	}
	e.LastClient, e.ClientsDone = clientID, e.ClientsDone+1
	return nil
}

// moveBulkCursor moves e's cursor from where e has it to clientID, or
// fails: care.ErrNotFound when the export is gone, ErrLeaseLost when
// another worker moved it.
func moveBulkCursor(ctx context.Context, tx tx, e *BulkExport, clientID string) error {
	res, err := tx.ExecContext(ctx,
		`UPDATE bulk_exports SET last_client = $1, clients_done = clients_done + 1
		 WHERE id = $2 AND last_client = $3 AND done_at IS NULL AND expires_at > $4`,
		clientID, e.ID, e.LastClient, micros(tx.now))
	if err != nil {
		return err
	}
	return bulkMoved(ctx, tx, e, res)
}

func bulkMoved(ctx context.Context, tx tx, e *BulkExport, res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil || n == 1 {
		return err
	}
	if _, err := loadBulk(ctx, tx, e.ID); err != nil {
		return err
	}
	return ErrLeaseLost
}

// FinishBulkExport marks export e done, once NextBulkClients finds no
// client left, with the end of job j (nil for the operator's run).
func (s *Store) FinishBulkExport(ctx context.Context, e *BulkExport, j *Job) error {
	return s.write(ctx, func(ctx context.Context, tx tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE bulk_exports SET done_at = $1 WHERE id = $2 AND last_client = $3 AND done_at IS NULL AND expires_at > $1`,
			micros(tx.now), e.ID, e.LastClient)
		if err != nil {
			return err
		}
		if err := bulkMoved(ctx, tx, e, res); err != nil {
			return err
		}
		if j != nil {
			return tx.finishJob(ctx, *j)
		}
		return nil
	})
}

// ContinueBulkExport hands export e over to a new job, with the end of
// job j: j ran out of its time with clients still to export.
func (s *Store) ContinueBulkExport(ctx context.Context, e *BulkExport, j Job) error {
	return s.write(ctx, func(ctx context.Context, tx tx) error {
		if _, err := tx.enqueueJob(ctx, Job{ClinicID: e.ClinicID, Kind: JobBulkExport, DedupeKey: bulkJobKey(e.ID, e.ClientsDone),
			UserID: e.RequestedBy, RefID: e.ID}); err != nil {
			return err
		}
		return tx.finishJob(ctx, j)
	})
}

// BulkExportFile writes the file of resource type rt of export id, a
// finished export of the actor's (the admin who started it; anyone else
// gets care.ErrNotFound), part by part to fn, and returns how many lines
// it wrote. The download is audited before the first part goes out.
func (s *Store) BulkExportFile(ctx context.Context, actor care.Actor, id, rt string, fn func([]byte) error) (int, error) {
	ev := Event(actor, "bulk.download", "bulk_export", id)
	ev.Purpose = care.PurposeBulkExport
	var e *BulkExport
	err := s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		var err error
		e, err = ownBulk(ctx, tx, actor, id)
		if err == nil && !e.Done() {
			err = care.ErrNotFound
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	return s.writeBulkFile(ctx, e, rt, fn)
}

// OperatorExportFile writes the file of type rt of the operator's export
// id to fn, as BulkExportFile does for an admin.
func (s *Store) OperatorExportFile(ctx context.Context, id, rt string, fn func([]byte) error) (int, error) {
	var e *BulkExport
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		var err error
		e, err = loadBulk(ctx, tx, id)
		if err == nil && (!e.Done() || e.RequestedBy != "") {
			err = care.ErrNotFound
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	return s.writeBulkFile(ctx, e, rt, fn)
}

// bulkPartsPerRead is how many parts one read transaction opens: a file
// goes out in several short reads, not one held while the receiver reads.
const bulkPartsPerRead = 50

func (s *Store) writeBulkFile(ctx context.Context, e *BulkExport, rt string, fn func([]byte) error) (int, error) {
	lines, after := 0, ""
	for {
		type part struct {
			key, client string
			count       int
			body        []byte
		}
		var batch []part
		err := s.read(ctx, func(ctx context.Context, tx tx) error {
			batch = nil
			if _, err := loadBulk(ctx, tx, e.ID); err != nil {
				return err // cancelled or expired meanwhile
			}
			rows, err := tx.QueryContext(ctx,
				`SELECT p.part_key, p.client_id, p.count, p.body_sealed FROM bulk_export_parts p
				 WHERE p.export_id = $1 AND p.resource_type = $2 AND p.part_key > $3 AND (p.client_id = '' OR EXISTS (
				   SELECT 1 FROM users c WHERE c.id = p.client_id AND c.clinic_id = $4 AND c.deleted_at IS NULL))
				 ORDER BY p.part_key LIMIT $5`, e.ID, rt, after, e.ClinicID, bulkPartsPerRead)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var p part
				if err := rows.Scan(&p.key, &p.client, &p.count, &p.body); err != nil {
					return err
				}
				batch = append(batch, p)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for i := range batch {
				p := &batch[i]
				body, err := s.openValue(ctx, tx, bulkPartField(e, p.client, rt, p.key), p.body)
				if errors.Is(err, ErrShredded) {
					p.body, p.count = nil, 0 // deleted since: no longer part of the file
					continue
				}
				if err != nil {
					return err
				}
				p.body = body
			}
			return nil
		})
		if err != nil {
			return lines, err
		}
		for _, p := range batch {
			if len(p.body) > 0 {
				if err := fn(p.body); err != nil {
					return lines, err
				}
			}
			lines += p.count
		}
		if len(batch) < bulkPartsPerRead {
			return lines, nil
		}
		after = batch[len(batch)-1].key
	}
}

// bulkExportEvent is the audit event of client clientID's record in
// export e's files: one per client, as done by the export's admin or, for
// the operator, by the system (no actor), with purpose
// care.PurposeBulkExport, so that the client's access report shows the
// disclosure.
func bulkExportEvent(e *BulkExport, clientID string) care.AuditEvent {
	ev := Event(e.actor(), "bulk.export", "bulk_export", e.ID)
	ev.ClientID, ev.ClinicID, ev.Purpose = clientID, e.ClinicID, care.PurposeBulkExport
	if e.RequestedBy == "" {
		ev.Reason = "interlude export"
	}
	return ev
}

// BulkClientRecord reads client clientID's whole record for export e, as
// the care team sees it: never a private journal entry (issue #8: a
// private entry leaves the server only to the client themself), nor the
// access log. The export must still be running, and its admin still an
// active admin of the clinic (an operator's export has none); the client
// must be a client of the clinic, else care.ErrNotFound, and ErrShredded
// for one deleted since. A refused read is audited before it returns. A
// record read goes no further than the export's job, which maps it and
// keeps what the export asks for (its types, what changed since): its
// disclosure is audited with the parts that hold it, by SaveBulkParts, so
// that a client of whose record nothing is exported is not said to be.
func (s *Store) BulkClientRecord(ctx context.Context, e *BulkExport, clientID string) (*care.Record, error) {
	actor := e.actor()
	var out *care.Record
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		live, err := loadBulk(ctx, tx, e.ID)
		if err != nil {
			return err
		}
		if live.Done() || live.ClinicID != e.ClinicID || live.RequestedBy != e.RequestedBy {
			return care.ErrNotFound
		}
		if live.RequestedBy != "" {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users
				WHERE id = $1 AND clinic_id = $2 AND role = 'admin' AND disabled_at IS NULL AND deleted_at IS NULL`,
				live.RequestedBy, live.ClinicID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return care.ErrNotFound // the admin was disabled or removed since the kick-off
			}
		}
		if !care.ValidID(clientID) {
			return care.ErrNotFound
		}
		rec := &clientRecord{}
		var deleted sql.NullInt64
		if err := tx.QueryRowContext(ctx,
			`SELECT c.id, c.clinic_id, c.time_zone, c.deleted_at, c.name_sealed FROM users c
			 WHERE c.id = $1 AND c.clinic_id = $2 AND c.role = 'client'`, clientID, live.ClinicID).
			Scan(&rec.ID, &rec.ClinicID, &rec.TimeZone, &deleted, &rec.nameSealed); err != nil {
			return notFound(err)
		}
		if deleted.Valid {
			return ErrShredded
		}
		// Neither Self nor Team: the record as a reader outside the care
		// relationship may see it, shared entries only.
		out, err = s.wholeRecord(ctx, tx, actor, rec)
		return err
	})
	if code := care.ErrorCode(err); code == care.NotFound || code == care.Forbidden {
		ev := bulkExportEvent(e, clientID)
		ev.Outcome = care.OutcomeDenied
		if aerr := s.Audit(ctx, ev); aerr != nil {
			return nil, aerr
		}
		return nil, auditedError{err}
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}
