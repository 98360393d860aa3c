package jobs

import (
	"context"

	"interlude/internal/notify"
	"interlude/internal/store"
)

// RegisterSafety sets the handlers of the safety-flag workflow (issue #7),
// whatever raised the flag (a PHQ-9 answer, crisis language):
//
//   - store.JobSafetyNotify tells a provider of the care team of a new
//     flag;
//   - store.JobSafetyEscalate, due the clinic's escalation time after the
//     flag, escalates it if nobody acknowledged it (exactly once: the
//     escalation commits with the job's end) and enqueues a
//     store.JobSafetyEscalated notification per recipient;
//   - store.JobSafetyEscalated tells the on-call provider, or an admin.
//
// A notification is an in-app notice committed with the job's end, so
// exactly once, and, with a Deliverer, an email or push before it, so at
// least once. d may be nil when no channel is configured: notices are then
// in-app only. A provider in their quiet hours gets the in-app notice but
// no email or push: an unacknowledged flag escalates to the on-call
// provider instead of waking them.
func RegisterSafety(r *Runner, st *store.Store, d Deliverer) {
	notice := func(k notify.Kind) Handler {
		return func(ctx context.Context, j store.Job) error {
			if d != nil {
				if _, err := d.Deliver(ctx, j.UserID, k); err != nil {
					return err
				}
			}
			return st.DeliverSafetyNotice(ctx, j)
		}
	}
	r.Register(store.JobSafetyNotify, notice(notify.KindSafety))
	r.Register(store.JobSafetyEscalated, notice(notify.KindSafetyEscalated))
	r.Register(store.JobSafetyEscalate, func(ctx context.Context, j store.Job) error {
		_, err := st.EscalateSafetyFlag(ctx, j)
		return err
	})
}
