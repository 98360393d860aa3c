package jobs

import (
	"context"

	"interlude/internal/notify"
	"interlude/internal/store"
)

// Deliverer sends a PHI-free notification of a kind to a user by email
// and web push; notify.Dispatcher is one.
type Deliverer interface {
	Deliver(ctx context.Context, userID string, k notify.Kind) (notify.Delivery, error)
}

// RegisterMeasures sets the handler of store.JobMeasureDue (issue #7):
// it reminds the client that a questionnaire fell due, unless it was
// answered or stopped since. d may be nil when no channel is configured:
// reminders are then dropped (the client's home still shows what is due).
func RegisterMeasures(r *Runner, st *store.Store, d Deliverer) {
	r.Register(store.JobMeasureDue, func(ctx context.Context, j store.Job) error {
		due, err := st.MeasureReminderDue(ctx, j)
		if err != nil || !due || d == nil {
			return err
		}
		out, err := d.Deliver(ctx, j.UserID, notify.KindMeasure)
		if err != nil || out.Later.IsZero() {
			return err
		}
		// The client's quiet hours: the reminder waits for their end,
		// and is checked again then (answered meanwhile, it is dropped).
		return st.DeferJob(ctx, j, out.Later)
	})
}
