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
