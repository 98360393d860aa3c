package web

import (
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
)

// writeJSON writes v as the JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

type userJSON struct {
	ID          string `json:"id"`
	Role        string `json:"role"`
	ClinicID    string `json:"clinic_id"`
	DisplayName string `json:"display_name,omitempty"`
	Email       string `json:"email,omitempty"`
	TimeZone    string `json:"time_zone,omitempty"`
}

func toUserJSON(u care.User) userJSON {
	return userJSON{ID: u.ID, Role: string(u.Role), ClinicID: u.ClinicID, DisplayName: u.DisplayName, Email: u.Email, TimeZone: u.TimeZone}
}

// POST /api/v1/sessions
func (s *Server) apiSignIn(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email        string `json:"email"`
		Password     string `json:"password"`
		TOTPCode     string `json:"totp_code"`
		RecoveryCode string `json:"recovery_code"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	second := secondFactor{code: req.TOTPCode, recovery: req.RecoveryCode}
	creds, keys, mfa, err := s.checkPassword(w, r, req.Email, req.Password, second)
	if err != nil {
		return err
	}
	if creds.MFARequired() && !mfa {
		if creds.TOTPSecret == nil && req.RecoveryCode == "" {
			return care.Errorf(care.MFARequired, "this account signs in with a passkey: use the web sign-in")
		}
		if err := s.checkSecondFactor(w, r, creds, second); err != nil {
			return err
		}
		mfa = true
	}
	if err := s.store.ResetLoginFailures(r.Context(), signedInKeys(keys, creds.User.ID)...); err != nil {
		return err
	}
	token, sess, err := s.startSession(r, creds, "api", care.StageFull, mfa)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{
		"token":      token,
		"expires_at": sess.CreatedAt.Add(s.sessions.Absolute).UTC(),
		"user":       userJSON{ID: creds.User.ID, Role: string(creds.User.Role), ClinicID: creds.User.ClinicID},
	})
}

// DELETE /api/v1/sessions/current
func (s *Server) apiSignOut(w http.ResponseWriter, r *http.Request) error {
	a := authOf(r)
	if a == nil {
		return care.Errorf(care.Unauthenticated, "sign in first")
	}
	if err := s.store.EndSession(r.Context(), a.actor, a.actor.SessionID); err != nil {
		return err
	}
	clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type sessionJSON struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	Device     string    `json:"device"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	MFA        bool      `json:"mfa"`
	Current    bool      `json:"current"`
}

// GET /api/v1/sessions
func (s *Server) apiSessions(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	list, err := s.store.Sessions(r.Context(), actor)
	if err != nil {
		return err
	}
	out := []sessionJSON{}
	for _, ss := range list {
		out = append(out, sessionJSON{ss.ID, ss.Kind, ss.Device, ss.CreatedAt, ss.LastSeenAt, ss.MFA, ss.Current})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
}

// DELETE /api/v1/sessions/{id}
func (s *Server) apiEndSession(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := s.store.EndSession(r.Context(), actor, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// DELETE /api/v1/sessions: sign out everywhere, this session included.
func (s *Server) apiEndAllSessions(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	n, err := s.store.EndAllSessions(r.Context(), actor, r.URL.Query().Get("keep_current") == "true")
	if err != nil {
		return err
	}
	if r.URL.Query().Get("keep_current") != "true" {
		clearSessionCookie(w)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"ended": n})
}

// GET /api/v1/me
func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	creds, err := s.store.Credentials(r.Context(), actor)
	if err != nil {
		return err
	}
	left, err := s.store.RecoveryCodesLeft(r.Context(), actor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"user": toUserJSON(creds.User),
		"mfa": map[string]any{
			"totp":                creds.TOTPSecret != nil && creds.TOTPConfirmed,
			"passkeys":            creds.Passkeys,
			"recovery_codes_left": left,
			"required":            creds.User.Role.Staff(),
		},
	})
}

// POST /api/v1/invitations
func (s *Server) apiInvite(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		Role        string `json:"role"`
		Email       string `json:"email"`
		DisplayName string `json:"display_name"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	inv, token, err := s.invite(r, actor, care.Role(req.Role), req.Email, req.DisplayName)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{
		"id":         inv.ID,
		"token":      token,
		"url":        s.invitationURL(token),
		"expires_at": inv.ExpiresAt,
	})
}

func (s *Server) invite(r *http.Request, actor care.Actor, role care.Role, email, name string) (*care.Invitation, string, error) {
	inv := &care.Invitation{Role: role, Email: email, DisplayName: name}
	token, hash := auth.NewInvitationToken()
	if err := s.store.CreateInvitation(r.Context(), actor, inv, hash, s.invitations.For(role)); err != nil {
		return nil, "", err
	}
	return inv, token, nil
}

func (s *Server) invitationURL(token string) string { return s.baseURL + "/invite/" + token }

// GET /api/v1/invitations/{token}
func (s *Server) apiInvitation(w http.ResponseWriter, r *http.Request) error {
	inv, err := s.openInvitation(r, r.PathValue("token"))
	if err != nil {
		return err
	}
	clinic, err := s.store.Clinic(r.Context(), inv.ClinicID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"role":         inv.Role,
		"display_name": inv.DisplayName,
		"clinic_name":  clinic.Name,
		"expires_at":   inv.ExpiresAt,
		"mfa_required": inv.Role.Staff(),
	})
}

func (s *Server) openInvitation(r *http.Request, token string) (*care.Invitation, error) {
	if !auth.ValidToken(token) {
		return nil, errInvitationGone
	}
	inv, err := s.store.Invitation(r.Context(), auth.HashToken(token))
	if care.ErrorCode(err) == care.NotFound {
		return nil, errInvitationGone
	}
	return inv, err
}

var errInvitationGone = &care.Error{Code: care.NotFound, Message: "this invitation link has expired or was already used; ask for a new one"}

// acceptance is what accepting an invitation gives back.
type acceptance struct {
	user       *care.User
	totpSecret []byte
}

// accept creates the invitee's account: the password is checked against
// the policy (AU-02, AU-03), and staff get an authenticator secret to
// enroll (AU-01).
func (s *Server) accept(r *http.Request, token, password, displayName, timeZone string) (*acceptance, error) {
	inv, err := s.openInvitation(r, token)
	if err != nil {
		return nil, err
	}
	clinic, err := s.store.Clinic(r.Context(), inv.ClinicID)
	if err != nil {
		return nil, err
	}
	local, _, _ := strings.Cut(inv.Email, "@")
	if err := s.policy.Check(password, inv.Role.Staff(), clinic.Name, local); err != nil {
		return nil, care.FieldError("password", "%s", err.Error())
	}
	hash, err := auth.HashPassword(s.passwords, password)
	if err != nil {
		return nil, care.FieldError("password", "cannot be used")
	}
	a := &acceptance{}
	if inv.Role.Staff() {
		a.totpSecret = auth.NewTOTPSecret()
	}
	a.user, err = s.store.AcceptInvitation(r.Context(), auth.HashToken(token), store.Acceptance{
		DisplayName: displayName, TimeZone: timeZone, PasswordHash: hash, TOTPSecret: a.totpSecret,
	})
	if care.ErrorCode(err) == care.NotFound {
		return nil, errInvitationGone
	}
	return a, err
}

// POST /api/v1/invitations/{token}/accept
func (s *Server) apiAccept(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Password    string `json:"password"`
		DisplayName string `json:"display_name"`
		TimeZone    string `json:"time_zone"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	a, err := s.accept(r, r.PathValue("token"), req.Password, req.DisplayName, req.TimeZone)
	if err != nil {
		return err
	}
	out := map[string]any{"user": toUserJSON(*a.user)}
	if a.totpSecret != nil {
		out["totp"] = map[string]string{
			"secret": auth.EncodeSecret(a.totpSecret),
			"uri":    auth.TOTPURI("Interlude", a.user.Email, a.totpSecret),
		}
	}
	return writeJSON(w, http.StatusCreated, out)
}

// GET /api/v1/users
func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	list, err := s.store.Users(r.Context(), actor)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for i := range list {
		out = append(out, accountJSON(&list[i]))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

// POST /api/v1/users/{id}/disable {reason} and …/enable: 204. The reason
// is one of store.DisableReasons.
func (s *Server) apiSetDisabled(disabled bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		actor, err := signedIn(r)
		if err != nil {
			return err
		}
		if disabled {
			var req struct {
				Reason string `json:"reason"`
			}
			if err := decodeJSON(w, r, &req); err != nil {
				return err
			}
			err = s.store.DisableUser(r.Context(), actor, r.PathValue("id"), req.Reason)
		} else {
			err = s.store.EnableUser(r.Context(), actor, r.PathValue("id"))
		}
		if err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// PATCH /api/v1/users/{id} {display_name?, email?}: an admin corrects a
// person's name or email; 200 with the person as GET /api/v1/users lists
// them, and email_pending true when the server sends email: the new
// email then waits for its confirmation from the new address.
func (s *Server) apiUpdateUser(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		DisplayName *string `json:"display_name"`
		Email       *string `json:"email"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	u, err := s.personOf(r, actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	name, email := u.DisplayName, u.Email
	if req.DisplayName != nil {
		name = *req.DisplayName
	}
	if req.Email != nil {
		email = *req.Email
	}
	pending, err := s.store.UpdateUser(r.Context(), actor, u.ID, name, email, s.emailConfirmation())
	if err != nil {
		return err
	}
	if u, err = s.personOf(r, actor, u.ID); err != nil {
		return err
	}
	out := accountJSON(u)
	out["email_pending"] = pending
	return writeJSON(w, http.StatusOK, out)
}

// accountJSON is a person as the users API shows them to an admin.
func accountJSON(u *store.UserSummary) map[string]any {
	return map[string]any{
		"id": u.ID, "role": u.Role, "email": u.Email, "display_name": u.DisplayName,
		"disabled": u.Disabled, "disabled_reason": u.DisabledReason, "mfa": u.MFA, "created_at": u.CreatedAt,
	}
}

// GET /api/v1/clients: the caseload, ordered by need (care.SortCaseload)
// or as sort asks, searched and filtered by q, flag, review and
// no_contact (caseloadFilter), each client with the reasons for their place: as text ("reasons"), as
// codes with text ("reason_details"), and the figures behind them.
func (s *Server) apiCaseload(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if actor.Role != care.RoleProvider {
		return care.Errorf(care.Forbidden, "only providers have a caseload")
	}
	f, err := caseloadFilter(r, s.now())
	if err != nil {
		return err
	}
	list, err := s.store.Caseload(r.Context(), actor)
	if err != nil {
		return err
	}
	list = care.FilterCaseload(list, f)
	now := s.now()
	out := []map[string]any{}
	for _, c := range list {
		n := c.Need
		worse, overdue, details := []map[string]any{}, []map[string]any{}, []map[string]string{}
		for _, d := range n.Deteriorations {
			worse = append(worse, map[string]any{"instrument": d.Instrument, "baseline": d.Baseline, "latest": d.Latest, "rci": math.Round(d.RCI*100) / 100})
		}
		for _, o := range n.OverdueMeasures {
			overdue = append(overdue, map[string]any{"instrument": o.Instrument, "due_at": o.DueAt.UTC().Format(time.RFC3339)})
		}
		for _, r := range n.Reasons(now) {
			details = append(details, map[string]string{"code": r.Code, "text": r.Text})
		}
		row := map[string]any{"id": c.ID, "display_name": c.DisplayName, "time_zone": c.TimeZone,
			"open_safety_flags": n.OpenFlags, "deteriorations": worse,
			"unread_messages": n.UnreadMessages, "missed_check_ins": n.MissedCheckIns, "missed_tracker_days": n.MissedTrackers, "overdue_measures": overdue,
			"mood_fall": nil, "next_session_at": nil, "last_contact_at": nil, "reasons": n.ReasonTexts(now), "reason_details": details}
		if f := n.MoodFall; f != nil {
			row["mood_fall"] = map[string]any{"from": f.From, "to": f.To, "days": f.Days}
		}
		if t := n.NextSession; t != nil {
			row["next_session_at"] = t.UTC().Format(time.RFC3339)
		}
		if t := n.LastContact; t != nil {
			row["last_contact_at"] = t.UTC().Format(time.RFC3339)
		}
		out = append(out, row)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"clients": out})
}

// GET /api/v1/clients/{id}
func (s *Server) apiClient(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	c, err := s.store.Client(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	last, next, err := s.store.SessionSummary(r.Context(), actor, c.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"id": c.ID, "display_name": c.DisplayName, "time_zone": c.TimeZone,
		"next_session": toAppointmentJSON(next), "last_session": toAppointmentJSON(last),
	})
}

// PUT and DELETE /api/v1/clients/{id}/care-team/{provider}
func (s *Server) apiCareTeam(add bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		actor, err := signedIn(r)
		if err != nil {
			return err
		}
		if add {
			err = s.store.AddToCareTeam(r.Context(), actor, r.PathValue("id"), r.PathValue("provider"))
		} else {
			err = s.store.RemoveFromCareTeam(r.Context(), actor, r.PathValue("id"), r.PathValue("provider"))
		}
		if err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// POST /api/v1/me/totp: start (or restart) enrolling an authenticator app.
// Nobody whose app works already can replace it here (AU-01, AU-11).
func (s *Server) apiTOTPBegin(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := s.fresh(r); err != nil {
		return err
	}
	creds, err := s.store.Credentials(r.Context(), actor)
	if err != nil {
		return err
	}
	if creds.TOTPConfirmed {
		return care.Errorf(care.Conflict, "your authenticator app is set up already")
	}
	secret := auth.NewTOTPSecret()
	if err := s.store.SetTOTP(r.Context(), actor, secret); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{
		"secret": auth.EncodeSecret(secret),
		"uri":    auth.TOTPURI("Interlude", creds.User.Email, secret),
	})
}

// POST /api/v1/me/totp/confirm {code}
func (s *Server) apiTOTPConfirm(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		Code string `json:"code"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := s.confirmTOTP(r, actor, req.Code); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) confirmTOTP(r *http.Request, actor care.Actor, code string) error {
	creds, err := s.store.Credentials(r.Context(), actor)
	if err != nil {
		return err
	}
	if creds.TOTPSecret == nil {
		return care.Errorf(care.Conflict, "start setting up an authenticator app first")
	}
	step, ok := auth.VerifyTOTP(creds.TOTPSecret, code, s.now(), creds.TOTPLastStep)
	if !ok {
		return care.FieldError("code", "is not valid; codes work once, for 30 seconds")
	}
	used, err := s.store.UseTOTPStep(r.Context(), actor.UserID, step)
	if err != nil {
		return err
	}
	if !used {
		return care.FieldError("code", "was used already; wait for the next one")
	}
	return s.store.ConfirmTOTP(r.Context(), actor.UserID)
}

// POST /api/v1/me/recovery-codes: ten new single-use codes, shown once;
// the old ones stop working.
func (s *Server) apiRecoveryCodes(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := s.fresh(r); err != nil {
		return err
	}
	codes, err := s.newRecoveryCodes(r, actor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"codes": codes})
}

func (s *Server) newRecoveryCodes(r *http.Request, actor care.Actor) ([]string, error) {
	creds, err := s.store.Credentials(r.Context(), actor)
	if err != nil {
		return nil, err
	}
	if !creds.HasMFA() {
		return nil, care.Errorf(care.Conflict, "set up an authenticator app or a passkey first")
	}
	codes, hashes := auth.NewRecoveryCodes(10)
	if err := s.store.SetRecoveryCodes(r.Context(), actor, hashes); err != nil {
		return nil, err
	}
	return codes, nil
}
