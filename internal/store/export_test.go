package store

import (
	"context"

	"interlude/internal/care"
)

// EnqueueInWrite enqueues j inside an audited write that then returns
// fail: with a non-nil fail, the write rolls back and the job with it.
func (s *Store) EnqueueInWrite(ctx context.Context, actor care.Actor, j Job, fail error) error {
	ev := Event(actor, "test.enqueue", "job", "")
	return s.auditedWrite(ctx, &ev, func(ctx context.Context, tx tx) error {
		if _, err := tx.enqueueJob(ctx, j); err != nil {
			return err
		}
		return fail
	})
}

// SealInWrite seals plaintext for owner's data key (created if missing) in
// a write that then returns fail, and returns the sealed value.
func (s *Store) SealInWrite(ctx context.Context, clinicID, owner string, plaintext []byte, fail error) ([]byte, error) {
	var sealed []byte
	err := s.write(ctx, func(ctx context.Context, tx tx) error {
		var err error
		sealed, err = s.sealValue(ctx, tx, testField(clinicID, owner), plaintext)
		if err != nil {
			return err
		}
		return fail
	})
	return sealed, err
}

// OpenInRead opens a value sealed by SealInWrite.
func (s *Store) OpenInRead(ctx context.Context, clinicID, owner string, sealed []byte) ([]byte, error) {
	var v []byte
	err := s.read(ctx, func(ctx context.Context, tx tx) error {
		var err error
		v, err = s.openValue(ctx, tx, testField(clinicID, owner), sealed)
		return err
	})
	return v, err
}

func testField(clinicID, owner string) field {
	return field{clinic: clinicID, client: owner, owner: owner, table: "test", column: "value", row: owner}
}

// NotifiableMembersSQL is the statement a message runs to find whom to
// tell, for the query-plan test.
const NotifiableMembersSQL = notifiableMembersSQL
