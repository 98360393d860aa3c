package jobs

import (
	"context"

	"interlude/internal/notify"
	"interlude/internal/store"
)

// RegisterJournalReminders sets the handlers of a client's journaling
// reminder (issue #18): store.JobJournalReminder fires a due reminder
// (exactly once: Store.FireJournalReminder commits the day's record, the
// notification's job and the next occurrence with the job's end), and
// store.JobNotifyJournal tells the client, at least once. A client in
// quiet hours is told when they end: the job is deferred, not dropped.
// d may be nil when no channel is configured: the notification is then
// dropped.
func RegisterJournalReminders(r *Runner, st *store.Store, d Deliverer) {
	r.Register(store.JobJournalReminder, func(ctx context.Context, j store.Job) error {
		_, err := st.FireJournalReminder(ctx, j)
		return err
	})
	r.Register(store.JobNotifyJournal, func(ctx context.Context, j store.Job) error {
		if d == nil {
			return nil
		}
		out, err := d.Deliver(ctx, j.UserID, notify.KindJournal)
		if err != nil || out.Later.IsZero() {
			return err
		}
		return st.DeferJob(ctx, j, out.Later)
	})
}

// RegisterTrackerReminders sets the handlers of tracker reminders (issue
// #19), as RegisterJournalReminders does: store.JobTrackerReminder fires
// a due reminder exactly once (Store.FireTrackerReminder), and
// store.JobNotifyTracker tells the client at least once, after their
// quiet hours. d may be nil when no channel is configured.
func RegisterTrackerReminders(r *Runner, st *store.Store, d Deliverer) {
	r.Register(store.JobTrackerReminder, func(ctx context.Context, j store.Job) error {
		_, err := st.FireTrackerReminder(ctx, j)
		return err
	})
	r.Register(store.JobNotifyTracker, func(ctx context.Context, j store.Job) error {
		if d == nil {
			return nil
		}
		out, err := d.Deliver(ctx, j.UserID, notify.KindTracker)
		if err != nil || out.Later.IsZero() {
			return err
		}
		return st.DeferJob(ctx, j, out.Later)
	})
}
