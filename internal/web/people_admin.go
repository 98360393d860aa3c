package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
)

// Running a clinic for years (issue #17): the admin's People page lists
// the clinic's people and pending invitations; a person's page corrects
// their name and email, disables them with a reason and enables them
// again, and for a client changes the care team. Every form posts, then
// redirects to a page that shows the result (post/redirect/get).

// invitationLinkCookie holds an invitation link just made, "invitation
// id.token", for the page that shows it, as resetLinkCookie does for a
// reset link: the token is never in an address of ours.
const invitationLinkCookie = "__Host-invite-link"

func setInvitationLinkCookie(w http.ResponseWriter, id, token string) {
	http.SetCookie(w, &http.Cookie{Name: invitationLinkCookie, Value: id + "." + token, Path: "/", MaxAge: 900,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// localBaseURL reports whether the server's base URL names this computer
// only, so that a link made with it works nowhere else.
func (s *Server) localBaseURL() bool {
	u, err := url.Parse(s.baseURL)
	return err == nil && (u.Hostname() == "localhost" || strings.HasPrefix(u.Hostname(), "127.") || u.Hostname() == "::1")
}

type invitationLinkPage struct {
	Layout
	Invited   invited
	Localhost bool // the link names localhost: it works on this computer only
	Back      string
}

// GET /invitation-link/{id}: the invitation link just made or sent again,
// with its QR code, to hand over; its token is in the maker's cookie
// only.
func (s *Server) invitationLinkPage(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	c, err := r.Cookie(invitationLinkCookie)
	inv, token, ok := "", "", false
	if err == nil {
		inv, token, ok = strings.Cut(c.Value, ".")
	}
	if !ok || inv != id || !auth.ValidToken(token) {
		return care.Errorf(care.NotFound, "this invitation link is no longer shown here; send the invitation again for a new one")
	}
	open, err := s.openInvitation(r, token)
	if err != nil {
		return err
	}
	if open.ID != id || open.ClinicID != actor.ClinicID {
		return care.ErrNotFound
	}
	p := &invitationLinkPage{Layout: s.layout(r, "Invitation link"), Localhost: s.localBaseURL(), Back: "/people"}
	if actor.Role == care.RoleProvider {
		p.Back = "/clients"
	}
	link := s.invitationURL(token)
	p.Invited = invited{DisplayName: open.DisplayName, Role: open.Role, URL: link, Expires: localTime(open.ExpiresAt, actor.TimeZone)}
	if p.Invited.QR, err = qrDataURL(link); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	s.renderPage(w, r, http.StatusOK, "invitation_link", p)
	return nil
}

// POST /people/invitations/{id}/resend: a new link for a pending
// invitation; the old one stops working. On to the page with the link.
func (s *Server) invitationResend(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	inv, token, err := s.resendInvitation(r, actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	setInvitationLinkCookie(w, inv.ID, token)
	return redirect(w, r, "/invitation-link/"+inv.ID)
}

func (s *Server) resendInvitation(r *http.Request, actor care.Actor, id string) (*care.Invitation, string, error) {
	token, hash := auth.NewInvitationToken()
	inv, err := s.store.ResendInvitation(r.Context(), actor, id, hash, s.invitations.For)
	return inv, token, err
}

// POST /people/invitations/{id}/revoke: end a pending invitation.
func (s *Server) invitationRevoke(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := s.store.RevokeInvitation(r.Context(), actor, r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, "/people?done=invitation-revoked#pending-h")
}

// personOf returns user id of the admin's clinic as the People page
// lists them; anyone else gets care.ErrNotFound.
func (s *Server) personOf(r *http.Request, actor care.Actor, id string) (*store.UserSummary, error) {
	if actor.Role != care.RoleAdmin {
		return nil, care.ErrNotFound
	}
	users, err := s.store.Users(r.Context(), actor)
	if err != nil {
		return nil, err
	}
	for i := range users {
		if users[i].ID == id {
			return &users[i], nil
		}
	}
	return nil, care.ErrNotFound
}

type personPage struct {
	Layout
	Person store.UserSummary
	Self   bool
	// DisabledWhy labels Person.DisabledReason.
	DisabledWhy string
	Reasons     []deletionReason // why an account may be disabled
	// For a client: their care team, and the clinic's active providers
	// who may join it.
	Team      []care.User
	Providers []care.User
	// A refused form: which one ("edit", "disable", "care-team"), its
	// message, the field and the values posted.
	Which, Error, Field string
	Form                url.Values
}

// personForm is a refused form of the person page.
type personForm struct {
	Which, Error, Field string
	Form                url.Values
}

// disableReasons label store.DisableReasons, in its order.
func disableReasons() []deletionReason {
	labels := map[string]string{
		"left-clinic":      "They left the clinic",
		"care-ended":       "Their care here has ended",
		"on-leave":         "They are on leave",
		"security-concern": "A security concern (such as a lost device)",
		"created-in-error": "The account was created in error",
	}
	out := make([]deletionReason, 0, len(store.DisableReasons))
	for _, v := range store.DisableReasons {
		out = append(out, deletionReason{v, labels[v]})
	}
	return out
}

// GET /people/{id}: one person of the clinic, for an admin: their account
// and what the admin can do for them.
func (s *Server) person(w http.ResponseWriter, r *http.Request) error {
	return s.renderPerson(w, r, http.StatusOK, nil)
}

func (s *Server) renderPerson(w http.ResponseWriter, r *http.Request, status int, f *personForm) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if actor.Role != care.RoleAdmin {
		return care.ErrNotFound
	}
	users, err := s.store.Users(r.Context(), actor)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(users, func(u store.UserSummary) bool { return u.ID == r.PathValue("id") })
	if i < 0 {
		return care.ErrNotFound
	}
	u := &users[i]
	p := &personPage{Layout: s.layoutNotice(r, u.DisplayName), Person: *u, Self: u.ID == actor.UserID, Reasons: disableReasons()}
	for _, d := range p.Reasons {
		if d.Value == u.DisabledReason {
			p.DisabledWhy = d.Label
		}
	}
	if f != nil {
		p.Which, p.Error, p.Field, p.Form = f.Which, f.Error, f.Field, f.Form
	}
	if u.Role == care.RoleClient {
		if p.Team, err = s.store.CareTeam(r.Context(), actor, u.ID); err != nil {
			return err
		}
		for _, v := range users {
			if v.Role == care.RoleProvider && !v.Disabled {
				p.Providers = append(p.Providers, v.User)
			}
		}
	}
	s.renderPage(w, r, status, "person", p)
	return nil
}

// emailConfirmation is how long a new email an admin gives someone waits
// for its confirmation from the new address: EmailChangeLifetime on a
// server that sends email, where the change is confirmed as a person's
// own is (AU-07); 0, a change at once, on one that does not.
func (s *Server) emailConfirmation() time.Duration {
	if s.notify.Email {
		return EmailChangeLifetime
	}
	return 0
}

// POST /people/{id}/edit {display_name, email}: correct a person's name
// and email; with email sent, the new email waits for its confirmation.
func (s *Server) personEdit(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	pending, err := s.store.UpdateUser(r.Context(), actor, id, r.PostForm.Get("display_name"), r.PostForm.Get("email"), s.emailConfirmation())
	if err != nil {
		if msg, field, status, ok := formError(err); ok {
			return s.renderPerson(w, r, status, &personForm{Which: "edit", Error: msg, Field: field, Form: r.PostForm})
		}
		return err
	}
	if pending {
		return redirect(w, r, "/people/"+id+"?done=person-email-sent")
	}
	return redirect(w, r, "/people/"+id+"?done=person-saved")
}

// POST /people/{id}/care-team {provider_id, change}: with change "move",
// the provider becomes the client's whole care team; with "add", they
// join it.
func (s *Server) personCareTeam(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, provider := r.PathValue("id"), r.PostForm.Get("provider_id")
	if provider == "" {
		return s.renderPerson(w, r, http.StatusBadRequest, &personForm{Which: "care-team", Field: "provider_id",
			Error: "Choose a provider.", Form: r.PostForm})
	}
	done := "care-team-added"
	if r.PostForm.Get("change") == "move" {
		err, done = s.store.MoveClient(r.Context(), actor, id, provider), "care-team-moved"
	} else {
		err = s.store.AddToCareTeam(r.Context(), actor, id, provider)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/people/"+id+"?done="+done+"#team-h")
}

// POST /people/{id}/care-team/{provider}/remove
func (s *Server) personCareTeamRemove(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := s.store.RemoveFromCareTeam(r.Context(), actor, id, r.PathValue("provider")); err != nil {
		return err
	}
	return redirect(w, r, "/people/"+id+"?done=care-team-removed#team-h")
}

// ---- API ----

// GET /api/v1/invitations: the pending invitations the caller may manage
// (an admin's clinic's, a provider's own).
func (s *Server) apiPendingInvitations(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	list, err := s.store.PendingInvitations(r.Context(), actor)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, i := range list {
		out = append(out, map[string]any{"id": i.ID, "role": i.Role, "email": i.Email, "display_name": i.DisplayName,
			"created_at": i.CreatedAt, "expires_at": i.ExpiresAt})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"invitations": out})
}

// POST /api/v1/invitations/{id}/resend: a new token for a pending
// invitation; 200 {id, token, url, expires_at} as at its creation.
func (s *Server) apiResendInvitation(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	inv, token, err := s.resendInvitation(r, actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, map[string]any{"id": inv.ID, "token": token, "url": s.invitationURL(token), "expires_at": inv.ExpiresAt})
}

// DELETE /api/v1/invitations/{id}: revoke a pending invitation; 204.
func (s *Server) apiRevokeInvitation(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := s.store.RevokeInvitation(r.Context(), actor, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// GET /api/v1/clients/{id}/care-team: the providers of a client's care
// team, for an admin of the client's clinic.
func (s *Server) apiGetCareTeam(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	team, err := s.store.CareTeam(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, u := range team {
		out = append(out, map[string]any{"id": u.ID, "display_name": u.DisplayName})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"providers": out})
}

// PUT /api/v1/clients/{id}/care-team {provider_id}: move a client to one
// provider, who becomes their whole care team; 204.
func (s *Server) apiMoveClient(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req struct {
		ProviderID string `json:"provider_id"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.ProviderID == "" {
		return care.FieldError("provider_id", "is required")
	}
	if err := s.store.MoveClient(r.Context(), actor, r.PathValue("id"), req.ProviderID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
