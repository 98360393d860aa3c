package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"interlude/internal/care"
)

// Directory is where the Dispatcher finds recipients. The store
// implements it.
type Directory interface {
	// NotifyRecipient returns what delivering to user userID needs, or
	// an error with code care.NotFound when there is no such user (any
	// more).
	NotifyRecipient(ctx context.Context, userID string) (care.NotifyRecipient, error)
	// DropPushSubscription deletes a subscription its push service says
	// is gone. Deleting one that is not there is no error.
	DropPushSubscription(ctx context.Context, userID, subscriptionID string) error
}

// Dispatcher delivers notifications on the channels each recipient
// chose, outside their quiet hours.
type Dispatcher struct {
	Dir     Directory
	Mail    *Mailer // nil: email is not configured
	Push    *Pusher // nil: web push is not configured
	BaseURL string
	Now     func() time.Time
	Log     *slog.Logger
}

// Delivery is the outcome of one Deliver.
type Delivery struct {
	// Later, when not zero, says that the recipient is in quiet hours:
	// nothing was sent; deliver again at Later.
	Later  time.Time
	Emails int // emails sent
	Pushes int // pushes accepted by push services
}

// Deliver sends a notification of kind k to user userID: by email if they
// want email and have an address, and to each browser they subscribed.
// In quiet hours it sends nothing and says when to try again. A user who
// is gone or disabled gets nothing, without error. The error joins the
// failures that another attempt may cure; it carries no address. A retry
// after a partial failure repeats the channels that succeeded: delivery
// is at least once.
func (d *Dispatcher) Deliver(ctx context.Context, userID string, k Kind) (Delivery, error) {
	var out Delivery
	if !k.Valid() {
		return out, fmt.Errorf("notify: unknown kind %q", k)
	}
	if d.Mail == nil && d.Push == nil {
		return out, nil // no channel is set up: nobody to tell, nothing to read
	}
	r, err := d.Dir.NotifyRecipient(ctx, userID)
	if care.ErrorCode(err) == care.NotFound || care.ErrorCode(err) == care.Gone {
		return out, nil
	} else if err != nil {
		return out, err
	}
	if r.Disabled {
		return out, nil
	}
	now := time.Now()
	if d.Now != nil {
		now = d.Now()
	}
	if at := r.Settings.Quiet.DeliverAt(now, r.Location()); at.After(now) {
		out.Later = at
		return out, nil
	}
	n, err := Render(k, r.Role.Staff(), d.BaseURL)
	if err != nil {
		return out, err
	}
	var errs []error
	if d.Mail != nil && r.Settings.Email && r.Email != "" {
		if err := d.Mail.Send(ctx, r.Email, n); err != nil {
			errs = append(errs, err)
		} else {
			out.Emails++
		}
	}
	if d.Push != nil {
		for _, sub := range r.Push {
			err := d.Push.Send(ctx, sub, n)
			switch {
			case err == nil:
				out.Pushes++
			case errors.Is(err, ErrGone):
				if err := d.Dir.DropPushSubscription(ctx, userID, sub.ID); err != nil {
					errs = append(errs, err)
				}
			default:
				var pe *PushError
				if errors.As(err, &pe) && pe.Permanent() {
					// Trying again cannot help; the others still get theirs.
					d.log().Warn("push refused", "user_id", userID, "subscription_id", sub.ID, "status", pe.Status)
					continue
				}
				errs = append(errs, err)
			}
		}
	}
	if len(errs) == 1 {
		return out, errs[0] // its type is the job's error class
	}
	return out, errors.Join(errs...)
}

func (d *Dispatcher) log() *slog.Logger {
	if d.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Log
}
