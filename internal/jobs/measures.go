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

// RegisterMeasures sets the handlers of the jobs of measures (issue #7):
//
//   - store.JobMeasureDue reminds the client that a questionnaire fell
//     due, unless it was answered or stopped since;
//   - store.JobSafetyNotify tells a provider of the care team that a
//     PHQ-9 answer raised the safety flag: an in-app notice committed with
//     the job's end, so exactly once, and, with a Deliverer, an email or
//     push before it, so at least once.
//
// d may be nil when no channel is configured: reminders are then dropped
// (the client's home still shows what is due) and safety notices are
// in-app only.
func RegisterMeasures(r *Runner, st *store.Store, d Deliverer) {
	r.Register(store.JobMeasureDue, func(ctx context.Context, j store.Job) error {
		due, err := st.MeasureReminderDue(ctx, j)
		if err != nil || !due || d == nil {
			return err
		}
		_, err = d.Deliver(ctx, j.UserID, notify.KindMeasure)
		return err
	})
	r.Register(store.JobSafetyNotify, func(ctx context.Context, j store.Job) error {
		if d != nil {
			if _, err := d.Deliver(ctx, j.UserID, notify.KindSafety); err != nil {
				return err
			}
		}
		return st.DeliverSafetyNotice(ctx, j)
	})
}
