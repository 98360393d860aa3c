package notify

import (
	"context"
	"strings"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
)

// ResetTokens is what the password reset email needs of the store.
type ResetTokens interface {
	// IssueResetToken gives an open reset asked for by email a new token
	// (its hash), replacing one an earlier attempt made, and reports false
	// when the reset is used, ended or expired.
	IssueResetToken(ctx context.Context, resetID string, tokenHash []byte) (bool, error)
}

// ResetJobHandler returns the handler of store.JobPasswordResetEmail
// (issue #17): it makes the reset's token and emails its link to the
// account's address. It is the only email that carries a secret; it is
// sent whatever the user's notification settings and quiet hours, since
// they asked for it a moment ago, and names nobody (TS-02). A reset that
// was used, replaced or expired meanwhile sends nothing.
func (d *Dispatcher) ResetJobHandler(st ResetTokens) func(ctx context.Context, j store.Job) error {
	return func(ctx context.Context, j store.Job) error {
		if d.Mail == nil {
			return nil // email was turned off since it was asked for
		}
		r, err := d.Dir.NotifyRecipient(ctx, j.UserID)
		if care.ErrorCode(err) == care.NotFound || care.ErrorCode(err) == care.Gone {
			return nil
		} else if err != nil {
			return err
		}
		if r.Disabled || r.Email == "" {
			return nil
		}
		token, hash := auth.NewInvitationToken()
		ok, err := st.IssueResetToken(ctx, j.RefID, hash)
		if err != nil || !ok {
			return err
		}
		n := Notice{Kind: KindPasswordReset, Subject: texts[KindPasswordReset].subject, Body: texts[KindPasswordReset].body,
			Link: strings.TrimSuffix(d.BaseURL, "/") + "/reset/" + token}
		if err := d.Mail.Send(ctx, r.Email, n); err != nil {
			d.log().Warn("notify: password reset email failed", "job", j.ID, "user_id", j.UserID, "attempt", j.Attempts, "error", err.Error())
			return err
		}
		d.log().Info("notify: password reset email sent", "job", j.ID, "user_id", j.UserID)
		return nil
	}
}

// EmailChanges is what the email confirmation needs of the store.
type EmailChanges interface {
	// IssueEmailChangeToken gives an open change of email a new token (its
	// hash) and returns the new address; ok is false when the change is
	// used, ended or expired.
	IssueEmailChangeToken(ctx context.Context, changeID string, tokenHash []byte) (email string, ok bool, err error)
}

// EmailConfirmJobHandler returns the handler of store.JobEmailConfirm
// (issue #17): it makes the change's token and emails its link to the new
// address, which has no settings of its own. It names nobody (TS-02).
func (d *Dispatcher) EmailConfirmJobHandler(st EmailChanges) func(ctx context.Context, j store.Job) error {
	return func(ctx context.Context, j store.Job) error {
		if d.Mail == nil {
			return nil
		}
		token, hash := auth.NewInvitationToken()
		to, ok, err := st.IssueEmailChangeToken(ctx, j.RefID, hash)
		if err != nil || !ok {
			return err
		}
		n := Notice{Kind: KindEmailConfirm, Subject: texts[KindEmailConfirm].subject, Body: texts[KindEmailConfirm].body,
			Link: strings.TrimSuffix(d.BaseURL, "/") + "/email-confirm/" + token}
		if err := d.Mail.Send(ctx, to, n); err != nil {
			d.log().Warn("notify: email confirmation failed", "job", j.ID, "user_id", j.UserID, "attempt", j.Attempts, "error", err.Error())
			return err
		}
		d.log().Info("notify: email confirmation sent", "job", j.ID, "user_id", j.UserID)
		return nil
	}
}
