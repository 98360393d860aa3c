package notify

import (
	"context"
	"fmt"
	"time"

	"interlude/internal/store"
)

// JobKinds are the kinds of job the notifier handles, with the kind of
// notice each sends. A job's UserID is the recipient; nothing else of it
// is read (TS-02: a job carries ids only).
var JobKinds = map[string]Kind{
	store.JobNotifyMessage: KindMessage,
	store.JobNotifyCheckIn: KindCheckIn,
}

// Queue is the job queue as the notifier uses it; the store implements
// it.
type Queue interface {
	// DeferJob ends job j and enqueues a copy of it to run at at.
	DeferJob(ctx context.Context, j store.Job, at time.Time) error
}

// JobHandler returns the handler of the JobKinds for a jobs.Runner. It
// delivers the notice; a recipient in quiet hours gets it when they end
// (the job is deferred, not failed, and not dropped). A failure another
// attempt may cure fails the job, which the runner retries with backoff;
// it is logged here with ids, and with an error text that names no
// recipient (Mailer.Send, Pusher.Send).
func (d *Dispatcher) JobHandler(q Queue) func(ctx context.Context, j store.Job) error {
	return func(ctx context.Context, j store.Job) error {
		k, ok := JobKinds[j.Kind]
		if !ok {
			return fmt.Errorf("notify: job kind %q is not a notification", j.Kind)
		}
		out, err := d.Deliver(ctx, j.UserID, k)
		if err != nil {
			d.log().Warn("notify: delivery failed", "job", j.ID, "user_id", j.UserID, "kind", string(k),
				"attempt", j.Attempts, "error", err.Error())
			return err
		}
		if !out.Later.IsZero() {
			d.log().Info("notify: quiet hours", "job", j.ID, "user_id", j.UserID, "kind", string(k), "until", out.Later.UTC().Format(time.RFC3339))
			return q.DeferJob(ctx, j, out.Later)
		}
		d.log().Info("notify: delivered", "job", j.ID, "user_id", j.UserID, "kind", string(k), "emails", out.Emails, "pushes", out.Pushes)
		return nil
	}
}
