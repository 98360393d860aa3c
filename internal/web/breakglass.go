package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
)

// Break-glass emergency access (AC-06): an admin states a reason and gives
// a fresh authenticator code (step-up), and sees one client's record for
// an hour; every page shows a banner meanwhile. The client's care team and
// the clinic's other admins find a notice on their home page and review
// the grant at /break-glass/{id}.

// stepUp checks a fresh authenticator code from the signed-in actor, for
// an action that needs more than the session's own sign-in. Each code
// works once (AU-08), and wrong codes count towards the account's sign-in
// backoff (AU-05), so a stolen session cannot guess its way through. It
// answers care.MFARequired (401) when the code is missing, stale, wrong or
// used. action names the refusal's audit row ("break-glass.step-up",
// "record.copy.step-up").
func (s *Server) stepUp(w http.ResponseWriter, r *http.Request, actor care.Actor, code, action string) (err error) {
	ctx := r.Context()
	creds, err := s.store.Credentials(ctx, actor)
	if err != nil {
		return err
	}
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if creds.TOTPSecret == nil || !creds.TOTPConfirmed {
		return care.Errorf(care.MFARequired, "this needs a code from an authenticator app: set one up on your account page first")
	}
	if code == "" {
		return care.Errorf(care.MFARequired, "enter a fresh code from your authenticator app")
	}
	defer func() { err = s.auditStepUp(ctx, actor, action, err) }()
	// The second factor's counter, not the password's: guesses at the
	// password must not keep a signed-in provider from break-glass (AU-05,
	// issue #17).
	keys := secondFactorKeys(creds.User.ID)
	attempt, err := s.take(w, ctx, keys)
	if err != nil {
		return err
	}
	if step, ok := auth.VerifyTOTP(creds.TOTPSecret, code, s.now(), creds.TOTPLastStep); ok {
		used, err := s.store.UseTOTPStep(ctx, actor.UserID, step)
		if err != nil {
			return err
		}
		if used {
			return s.store.ReleaseLoginAttempt(ctx, attempt)
		}
	}
	if err := s.failed(w, ctx, keys); care.ErrorCode(err) == care.RateLimited {
		return err
	}
	return care.Errorf(care.MFARequired, "that code is not valid: enter a fresh one; each code works once, for 30 seconds")
}

// auditStepUp records a refused step-up (AD-01: MFA events) and returns
// err, or the audit's own failure. A step-up that passes is recorded by
// what it allows (break-glass.start, in the same request), so that the
// request writes one row.
func (s *Server) auditStepUp(ctx context.Context, actor care.Actor, action string, err error) error {
	ev := store.Event(actor, action, "user", actor.UserID)
	if strings.HasPrefix(action, "break-glass.") {
		ev.Purpose = care.PurposeBreakGlass
	}
	switch care.ErrorCode(err) {
	case "":
		return nil
	case care.MFARequired, care.RateLimited:
		ev.Outcome = care.OutcomeDenied
	default:
		ev.Outcome = care.OutcomeFailure
	}
	if aerr := s.store.Audit(ctx, ev); aerr != nil {
		return aerr
	}
	return err
}

// startBreakGlass checks a request for emergency access in the order that
// spends nothing in vain: the role, then the form, then the second factor
// (which uses up the code), then the grant itself.
func (s *Server) startBreakGlass(w http.ResponseWriter, r *http.Request, actor care.Actor, clientID, reason, password, code string) (*store.Grant, error) {
	if actor.Role != care.RoleAdmin {
		return nil, care.ErrNotFound
	}
	if strings.TrimSpace(clientID) == "" {
		return nil, care.FieldError("client_id", "is required: choose the client")
	}
	if _, err := care.CheckBreakGlassReason(reason); err != nil {
		return nil, err
	}
	if s.fresh(r) != nil {
		// The password too, unless this session confirmed it in the last
		// minutes (issue #17: step-up).
		if password == "" {
			return nil, care.FieldError("password", "is needed: enter your password")
		}
		creds, err := s.store.Credentials(r.Context(), actor)
		if err != nil {
			return nil, err
		}
		if _, _, _, err := s.checkPassword(w, r, creds.User.Email, password, secondFactor{}); err != nil {
			if care.ErrorCode(err) == care.Unauthenticated {
				return nil, care.FieldError("password", "is not your password")
			}
			return nil, err
		}
	}
	if err := s.stepUp(w, r, actor, code, "break-glass.step-up"); err != nil {
		return nil, err
	}
	return s.store.StartBreakGlass(r.Context(), actor, strings.TrimSpace(clientID), reason)
}

// ---- JSON API ----

type grantJSON struct {
	ID        string     `json:"id"`
	ClientID  string     `json:"client_id"`
	AdminID   string     `json:"admin_id,omitempty"`
	StartedAt time.Time  `json:"started_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
}

func toGrantJSON(g *store.Grant) grantJSON {
	j := grantJSON{ID: g.ID, ClientID: g.ClientID, AdminID: g.AdminID, StartedAt: g.StartedAt, ExpiresAt: g.ExpiresAt}
	if !g.EndedAt.IsZero() {
		j.EndedAt = &g.EndedAt
	}
	return j
}

// POST /api/v1/break-glass {client_id, reason, totp_code}
func (s *Server) apiBreakGlassStart(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if actor.Role != care.RoleAdmin {
		return care.ErrNotFound // before the body: nobody else learns the route's shape
	}
	var req struct {
		ClientID string `json:"client_id"`
		Reason   string `json:"reason"`
		Password string `json:"password"` // needed unless the session confirmed in the last 5 minutes
		TOTPCode string `json:"totp_code"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	g, err := s.startBreakGlass(w, r, actor, req.ClientID, req.Reason, req.Password, req.TOTPCode)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"id": g.ID, "client_id": g.ClientID, "expires_at": g.ExpiresAt})
}

// DELETE /api/v1/break-glass/{id}
func (s *Server) apiBreakGlassEnd(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := s.store.EndBreakGlass(r.Context(), actor, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type noticeJSON struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind"`
	SubjectID string     `json:"subject_id"`
	CreatedAt time.Time  `json:"created_at"`
	Grant     *grantJSON `json:"grant,omitempty"`
}

// GET /api/v1/notices: the caller's unread notices.
func (s *Server) apiNotices(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	list, err := s.store.Notices(r.Context(), actor)
	if err != nil {
		return err
	}
	out := []noticeJSON{}
	for _, n := range list {
		j := noticeJSON{ID: n.ID, Kind: n.Kind, SubjectID: n.SubjectID, CreatedAt: n.CreatedAt}
		if n.Grant != nil {
			g := toGrantJSON(n.Grant)
			j.Grant = &g
		}
		out = append(out, j)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"notices": out})
}

// POST /api/v1/notices/{id}/read
func (s *Server) apiNoticeRead(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := s.store.MarkNoticeRead(r.Context(), actor, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ---- Pages ----

// grantBanner is one open grant in the banner of every page.
type grantBanner struct {
	ID       string
	ClientID string
	Minutes  int    // minutes left, rounded up
	Until    string // the end, in the admin's time zone
}

// noticeItem is one unread notice on a staff member's home page.
type noticeItem struct {
	ID       string
	Text     string
	GrantURL string
}

// staffHome is the route of each staff role's home page, where notices
// show: GET / leads there.
var staffHome = map[care.Role]string{
	care.RoleAdmin:    "GET /people",
	care.RoleProvider: "GET /clients",
}

// breakGlassLayout fills the parts of the layout that break-glass adds:
// the banner of an admin's open grants on every page, and unread notices
// on a staff member's home page. A failure to read them is logged and
// leaves them out: the page itself fails closed on its own reads.
func (s *Server) breakGlassLayout(r *http.Request, l *Layout) {
	actor := *l.User
	now := s.now()
	if actor.Role == care.RoleAdmin {
		grants, err := s.store.ActiveBreakGlass(r.Context(), actor)
		if err != nil {
			s.log.Error("reading open break-glass grants", "request_id", RequestID(r.Context()), "error", err.Error())
		}
		for _, g := range grants {
			left := g.ExpiresAt.Sub(now)
			l.BreakGlass = append(l.BreakGlass, grantBanner{
				ID: g.ID, ClientID: g.ClientID,
				Minutes: int((left + time.Minute - 1) / time.Minute),
				Until:   clockTime(g.ExpiresAt, now, actor.TimeZone),
			})
		}
	}
	if r.Pattern != "" && r.Pattern == staffHome[actor.Role] {
		notices, err := s.store.Notices(r.Context(), actor)
		if err != nil {
			s.log.Error("reading notices", "request_id", RequestID(r.Context()), "error", err.Error())
		}
		for _, n := range notices {
			if n.Grant == nil {
				continue
			}
			l.StaffNotices = append(l.StaffNotices, noticeItem{
				ID:       n.ID,
				Text:     noticeText(actor, &n, now),
				GrantURL: "/break-glass/" + n.Grant.ID,
			})
		}
	}
}

// noticeText says what a break-glass notice is about, without PHI: the
// admin is staff, the client stays unnamed.
func noticeText(actor care.Actor, n *store.Notice, now time.Time) string {
	who := "an admin"
	if n.AdminName != "" {
		who = "an admin, " + n.AdminName + ","
	}
	what := "Emergency access to a client"
	if actor.Role == care.RoleProvider {
		what += " on your care team"
	}
	return what + " was opened by " + who + " at " + clockTime(n.Grant.StartedAt, now, actor.TimeZone)
}

// clockTime is a time of day in the viewer's zone, with the day unless it
// is the day of now.
func clockTime(t, now time.Time, zone string) string {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	t, now = t.In(loc), now.In(loc)
	if t.Format(time.DateOnly) == now.Format(time.DateOnly) {
		return t.Format("15:04")
	}
	return t.Format("15:04 on Mon 2 Jan")
}

// breakGlassPage is the admin's emergency access form.
type breakGlassPage struct {
	Layout
	Clients  []clientChoice
	Form     url.Values
	Error    string
	Field    string
	Min      int
	Max      int
	Password bool // the session has not confirmed its password lately: ask for it
}

type clientChoice struct {
	ID     string
	Joined string
}

// GET /break-glass
func (s *Server) breakGlassForm(w http.ResponseWriter, r *http.Request) error {
	form := url.Values{}
	if c := r.URL.Query().Get("client"); care.ValidID(c) {
		form.Set("client_id", c)
	}
	return s.renderBreakGlass(w, r, http.StatusOK, form, "", "")
}

func (s *Server) renderBreakGlass(w http.ResponseWriter, r *http.Request, status int, form url.Values, msg, field string) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if actor.Role != care.RoleAdmin {
		return care.Errorf(care.NotFound, "There is no page at this address.")
	}
	refs, err := s.store.BreakGlassCandidates(r.Context(), actor)
	if err != nil {
		return err
	}
	page := &breakGlassPage{
		Layout: s.layoutNotice(r, "Emergency access"), Form: form, Error: msg, Field: field,
		Min: care.BreakGlassReasonMin, Max: care.BreakGlassReasonMax, Password: s.fresh(r) != nil,
	}
	for _, c := range refs {
		page.Clients = append(page.Clients, clientChoice{ID: c.ID, Joined: localDate(c.JoinedAt, actor.TimeZone)})
	}
	s.renderPage(w, r, status, "break_glass", page)
	return nil
}

// POST /break-glass
func (s *Server) breakGlassSubmit(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	g, err := s.startBreakGlass(w, r, actor, f.Get("client_id"), f.Get("reason"), f.Get("password"), f.Get("totp_code"))
	if err != nil {
		notFound := care.ErrorCode(err) == care.NotFound && actor.Role == care.RoleAdmin
		if notFound {
			// The admin may have typed the id: say so on the form.
			err = care.FieldError("client_id", "names no active client of this clinic")
		}
		msg, field, status, ok := formError(err)
		if !ok {
			return err
		}
		switch {
		case notFound:
			msg, status = "No active client of this clinic has that id.", http.StatusNotFound
		case field == "client_id":
			msg = "Choose a client from the list, or paste the id of one."
		case care.ErrorCode(err) == care.MFARequired:
			field = "totp_code"
		}
		form := url.Values{"client_id": {f.Get("client_id")}, "reason": {f.Get("reason")}}
		return s.renderBreakGlass(w, r, status, form, msg, field)
	}
	return redirect(w, r, "/break-glass/"+g.ID)
}

// grantPage is a grant's page: the client's record while the admin's
// grant is open, and the review of the grant for everyone who may see it.
type grantPage struct {
	Layout
	Review   *store.Review
	Client   *care.User // the record: for the holder while the grant is open, and for the care team
	Joined   string     // the day the client joined, in the viewer's zone
	Holder   bool
	Open     bool
	Minutes  int
	Started  string
	Over     string
	EndedBy  string
	Events   []eventRow
	CanEnd   bool
	Reviewed bool
	NoticeID string
}

type eventRow struct {
	At, Action, Outcome string
}

// actionLabels say in words what the audited actions under a grant did;
// an action without one shows its code.
var actionLabels = map[string]string{
	"break-glass.start": "Opened emergency access",
	"break-glass.end":   "Ended emergency access",
	"client.read":       "Viewed the client's profile",
	"client-page.read":  "Opened the client's page",
}

var outcomeLabels = map[care.Outcome]string{
	care.OutcomeSuccess: "Done",
	care.OutcomeDenied:  "Refused",
	care.OutcomeFailure: "Failed",
}

// GET /break-glass/{id}
func (s *Server) grantView(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	rv, err := s.store.BreakGlassReview(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	now := s.now()
	g := &rv.Grant
	page := &grantPage{
		Layout:   s.layoutNotice(r, "Emergency access"),
		Review:   rv,
		Holder:   g.AdminID == actor.UserID,
		Open:     g.Open(now),
		Started:  localTime(g.StartedAt, actor.TimeZone),
		Over:     localTime(g.Over(), actor.TimeZone),
		CanEnd:   actor.Role == care.RoleAdmin && g.Open(now),
		NoticeID: rv.NoticeID,
		Reviewed: rv.NoticeRead,
	}
	if page.Open {
		page.Minutes = int((g.ExpiresAt.Sub(now) + time.Minute - 1) / time.Minute)
	}
	if !g.EndedAt.IsZero() {
		page.EndedBy = rv.EndedByName
		if g.EndedBy == actor.UserID {
			page.EndedBy = "you"
		}
	}
	for _, e := range rv.Events {
		row := eventRow{At: localTime(e.At, actor.TimeZone), Action: e.Action, Outcome: string(e.Outcome)}
		if label, ok := actionLabels[e.Action]; ok {
			row.Action = label
		}
		if label, ok := outcomeLabels[e.Outcome]; ok {
			row.Outcome = label
		}
		page.Events = append(page.Events, row)
	}
	switch {
	case page.Holder && page.Open:
		// The record itself, read through the grant and audited as such.
		if page.Client, err = s.store.Client(r.Context(), actor, g.ClientID); err != nil {
			return err
		}
	case actor.Role == care.RoleProvider:
		// The care team knows whom it is about; a provider no longer on
		// the team reviews by id.
		page.Client, err = s.store.Client(r.Context(), actor, g.ClientID)
		if err != nil && care.ErrorCode(err) != care.NotFound {
			return err
		}
	}
	if page.Client != nil {
		page.Joined = localDate(page.Client.CreatedAt, actor.TimeZone)
	}
	s.renderPage(w, r, http.StatusOK, "break_glass_grant", page)
	return nil
}

// POST /break-glass/{id}/end
func (s *Server) grantEnd(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := s.store.EndBreakGlass(r.Context(), actor, r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, "/break-glass/"+r.PathValue("id"))
}

// POST /notices/{id}/read
func (s *Server) noticeRead(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := s.store.MarkNoticeRead(r.Context(), actor, r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, homePath(actor.Role))
}

// homePath is where a role's home page is.
func homePath(role care.Role) string {
	if p, ok := staffHome[role]; ok {
		return strings.TrimPrefix(p, "GET ")
	}
	return "/"
}
