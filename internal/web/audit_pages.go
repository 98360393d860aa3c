package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// Reading the audit trail (AD-05). A clinic's admin reviews its audit log,
// filtered and paged, at /audit and GET /api/v1/audit; a client sees who
// at the clinic looked at their record at /access-log and GET
// /api/v1/clients/{id}/access-log (HIPAA 164.528). The store decides who
// may read which, and audits every reading and every refusal.

// The page sizes: what a page shows unless asked, and the most it shows.
const (
	auditPageSize = 50
	auditPageMax  = 200
)

// queryParams reads a query string strictly, as API.md reads bodies: each
// parameter at most once, none the route does not take. Values are
// trimmed; an empty value means the parameter is not set.
func queryParams(r *http.Request, allowed ...string) (map[string]string, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, care.Errorf(care.Invalid, "the query string could not be read")
	}
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	slices.Sort(names) // the first problem named is always the same one
	out := map[string]string{}
	for _, k := range names {
		if !slices.Contains(allowed, k) {
			if !plainName(k) {
				return nil, care.Errorf(care.Invalid, "the query has a parameter this route does not take; it takes %s", strings.Join(allowed, ", "))
			}
			return nil, care.FieldError(k, "is not a parameter of this route; it takes %s", strings.Join(allowed, ", "))
		}
		if len(q[k]) > 1 {
			return nil, care.FieldError(k, "must be given once")
		}
		out[k] = strings.TrimSpace(q[k][0])
	}
	return out, nil
}

// plainName reports whether a parameter name is short and plain enough to
// repeat back in an error.
func plainName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '_' {
			return false
		}
	}
	return true
}

// paging reads the before and limit parameters of a list.
func paging(p map[string]string) (before int64, limit int, err error) {
	if v := p["before"]; v != "" {
		before, err = strconv.ParseInt(v, 10, 64)
		if err != nil || before <= 0 {
			return 0, 0, care.FieldError("before", "is not a cursor from a previous page")
		}
	}
	limit = auditPageSize
	if v := p["limit"]; v != "" {
		limit, err = strconv.Atoi(v)
		if err != nil || limit < 1 || limit > auditPageMax {
			return 0, 0, care.FieldError("limit", "must be a whole number from 1 to %d", auditPageMax)
		}
	}
	return before, limit, nil
}

// auditFilter reads the filters the API and the page share: user, client,
// action and outcome. The action's form is the store's to check.
func auditFilter(p map[string]string) (store.AuditFilter, error) {
	f := store.AuditFilter{ActorID: p["user"], ClientID: p["client"], Action: p["action"], Outcome: care.Outcome(p["outcome"])}
	if f.ActorID != "" && !care.ValidID(f.ActorID) {
		return f, care.FieldError("user", "is not a user id")
	}
	if f.ClientID != "" && !care.ValidID(f.ClientID) {
		return f, care.FieldError("client", "is not a client id")
	}
	if f.Outcome != "" && !f.Outcome.Valid() {
		return f, care.FieldError("outcome", "must be one of success, denied, failure, integrity")
	}
	return f, nil
}

// cursor is a page cursor as the API and the page links carry it.
func cursor(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// ---- JSON API ----

type auditEventJSON struct {
	Seq        *int64    `json:"seq"` // null until the event is chained
	At         time.Time `json:"at"`
	ActorID    string    `json:"actor_id"`
	ActorName  string    `json:"actor_name"`
	Role       string    `json:"role"`
	Action     string    `json:"action"`
	EntityType string    `json:"entity_type"`
	EntityID   string    `json:"entity_id"`
	ClientID   string    `json:"client_id"`
	Outcome    string    `json:"outcome"`
	Addr       string    `json:"addr"`
	RequestID  string    `json:"request_id"`
	Purpose    string    `json:"purpose"`
	Reason     string    `json:"reason"`
}

// GET /api/v1/audit?from&to&user&client&action&outcome&before&limit: the
// admin's clinic's audit log, newest first.
func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if actor.Role != care.RoleAdmin {
		// The store refuses anyone else, and records it, before a
		// parameter is looked at: nobody else learns the route's shape.
		if _, err := s.store.AuditLog(ctx, actor, store.AuditFilter{}); err != nil {
			return err
		}
		return care.ErrNotFound
	}
	p, err := queryParams(r, "from", "to", "user", "client", "action", "outcome", "before", "limit")
	if err != nil {
		return err
	}
	f, err := auditFilter(p)
	if err != nil {
		return err
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := p[t.name]; v != "" {
			if *t.dst, err = time.Parse(time.RFC3339, v); err != nil {
				return care.FieldError(t.name, "must be an RFC 3339 time, such as 2026-11-24T09:00:00Z")
			}
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return care.FieldError("to", "must be later than from")
	}
	if f.Before, f.Limit, err = paging(p); err != nil {
		return err
	}
	page, err := s.store.AuditLog(ctx, actor, f)
	if err != nil {
		return err
	}
	out := struct {
		Events []auditEventJSON `json:"events"`
		Next   string           `json:"next,omitempty"`
	}{Events: []auditEventJSON{}, Next: cursor(page.Next)}
	for _, e := range page.Events {
		j := auditEventJSON{
			At: e.At.UTC(), ActorID: e.ActorID, ActorName: e.ActorName, Role: string(e.Role), Action: e.Action,
			EntityType: e.EntityType, EntityID: e.EntityID, ClientID: e.ClientID, Outcome: string(e.Outcome),
			Addr: e.Addr, RequestID: e.RequestID, Purpose: e.Purpose, Reason: e.Reason,
		}
		if e.Seq > 0 {
			seq := e.Seq
			j.Seq = &seq
		}
		out.Events = append(out.Events, j)
	}
	return writeJSON(w, http.StatusOK, out)
}

type accessEntryJSON struct {
	At        time.Time `json:"at"`
	StaffName string    `json:"staff_name"`
	Role      string    `json:"role"`
	Action    string    `json:"action"`
	Outcome   string    `json:"outcome"`
	Purpose   string    `json:"purpose"`
}

// GET /api/v1/clients/{id}/access-log?before&limit: who at the clinic
// accessed the client's record, for the client, newest first.
func (s *Server) apiAccessLog(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	ctx, id := r.Context(), r.PathValue("id")
	if !care.CanReadAccessLog(actor, id) {
		// Refused and recorded by the store, as for a missing client,
		// before a parameter is looked at.
		if _, err := s.store.AccessLog(ctx, actor, id, 0, 0); err != nil {
			return err
		}
		return care.ErrNotFound
	}
	p, err := queryParams(r, "before", "limit")
	var before int64
	var limit int
	if err == nil {
		before, limit, err = paging(p)
	}
	if err != nil {
		if actor.Role == care.RoleAdmin {
			// An admin of another clinic must learn nothing, not even
			// that the parameters were wrong: the store decides first.
			if _, serr := s.store.AccessLog(ctx, actor, id, 0, 1); serr != nil {
				return serr
			}
		}
		return err
	}
	page, err := s.store.AccessLog(ctx, actor, id, before, limit)
	if err != nil {
		return err
	}
	out := struct {
		Entries []accessEntryJSON `json:"entries"`
		Next    string            `json:"next,omitempty"`
	}{Entries: []accessEntryJSON{}, Next: cursor(page.Next)}
	for _, e := range page.Entries {
		out.Entries = append(out.Entries, accessEntryJSON{
			At: e.At.UTC(), StaffName: e.StaffName, Role: string(e.Role), Action: e.Action,
			Outcome: string(e.Outcome), Purpose: e.Purpose,
		})
	}
	return writeJSON(w, http.StatusOK, out)
}

// ---- The admin's audit log page ----

// auditLogPage is /audit: the filter form and one page of events.
type auditLogPage struct {
	Layout
	Form     url.Values // the filters as given
	Users    []userChoice
	Actions  []string
	Outcomes []care.Outcome
	Events   []auditRowView
	Older    string // the address of the next, older page; "" when none
	Newest   string // the address of the first page, when this is not it
	Zone     string // the viewer's time zone, in which times show
	Error    string
	Field    string
}

// userChoice is a user in the filter's select.
type userChoice struct{ ID, Label string }

// auditRowView is an event as the page shows it.
type auditRowView struct {
	Day, Time  string // "Thu 26 Nov 2026," and "17:56:29", in the viewer's zone
	DateTime   string
	Who, Role  string
	ActorID    idView
	Action     string
	Emergency  bool
	EntityType string
	EntityID   idView
	ClientID   idView
	Outcome    string
	Failed     bool // any outcome but success
	Addr       string
}

// idView is an id as a table shows it: the first characters, which tell
// ids apart at a glance, and the whole id for a tooltip and a link.
type idView struct{ Full, Short string }

func shortID(id string) idView {
	if len(id) > 10 {
		return idView{Full: id, Short: id[:8] + "…"}
	}
	return idView{Full: id, Short: id}
}

// auditActions are the actions the filter suggests: each family, then
// each action. The store accepts any action name, and a family by its
// prefix ending in ".".
var auditActions = []string{
	"access-log.read", "appointment.", "audit.read",
	"break-glass.", "break-glass.start", "break-glass.end", "break-glass.review", "break-glass.step-up",
	"bulk.", "bulk.start", "bulk.export", "bulk.download", "bulk.cancel", "bulk.expire",
	"care-team.", "care-team.add", "care-team.remove",
	"client.", "client.read", "client.list", "client.delete", "client-page.read",
	"clinic.retention", "clinic.crisis_line", "clinic.safety_message", "clinic.safety_settings", "clinic.reliable_change",
	"integrity.open",
	"invitation.", "invitation.create", "invitation.read", "invitation.accept",
	"journal.", "message.", "mfa.", "notice.read", "plan.", "request.denied", "request.throttled",
	"safety_flag.", "safety_flag.raise", "safety_flag.list", "safety_flag.acknowledge",
	"safety_flag.escalate", "safety_flag.read",
	"signin.", "signin.password", "signin.totp", "signin.passkey", "signin.recovery-code", "signin.throttled",
	"signout", "signout.everywhere", "task.",
	"user.", "user.list", "user.create", "user.disable", "user.enable",
}

var auditOutcomes = []care.Outcome{care.OutcomeSuccess, care.OutcomeDenied, care.OutcomeFailure, care.OutcomeIntegrity}

// auditFormParams are the parameters of the page's filter form.
var auditFormParams = []string{"from", "to", "user", "client", "action", "outcome", "before"}

// GET /audit: the clinic's audit log, for its admin.
func (s *Server) auditView(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if actor.Role != care.RoleAdmin {
		return care.Errorf(care.NotFound, "There is no page at this address.")
	}
	ctx := r.Context()
	loc := zoneOf(actor)
	page := &auditLogPage{
		Layout: s.layout(r, "Audit log"), Form: url.Values{}, Actions: auditActions, Outcomes: auditOutcomes, Zone: loc.String(),
	}
	users, err := s.store.Users(ctx, actor)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, u := range users {
		label := u.DisplayName + " (" + string(u.Role) + ")"
		page.Users = append(page.Users, userChoice{ID: u.ID, Label: label})
		names[u.ID] = u.DisplayName
	}

	f, err := s.auditPageFilter(r, page, loc)
	var log store.AuditPage
	if err == nil {
		log, err = s.store.AuditLog(ctx, actor, f)
	}
	if err != nil {
		msg, field, status, ok := formError(err)
		if !ok {
			return err
		}
		page.Error, page.Field = msg, field
		s.renderPage(w, r, status, "audit", page)
		return nil
	}
	for _, e := range log.Events {
		who := e.ActorName
		if who == "" {
			who = names[e.ActorID] // a client's name is sealed in the row, not in the admin's list
		}
		at := e.At.In(loc)
		page.Events = append(page.Events, auditRowView{
			Day: at.Format("Mon 2 Jan 2006,"), Time: at.Format("15:04:05"), DateTime: e.At.UTC().Format(time.RFC3339),
			Who: who, Role: string(e.Role), ActorID: shortID(e.ActorID),
			Action: e.Action, Emergency: e.Purpose == care.PurposeBreakGlass,
			EntityType: e.EntityType, EntityID: shortID(e.EntityID), ClientID: shortID(e.ClientID),
			Outcome: string(e.Outcome), Failed: e.Outcome != care.OutcomeSuccess, Addr: e.Addr,
		})
	}
	if log.Next != 0 {
		q := pageQuery(page.Form)
		q.Set("before", cursor(log.Next))
		page.Older = "/audit?" + q.Encode()
	}
	if f.Before != 0 {
		page.Newest = "/audit"
		if q := pageQuery(page.Form).Encode(); q != "" {
			page.Newest += "?" + q
		}
	}
	s.renderPage(w, r, http.StatusOK, "audit", page)
	return nil
}

// auditPageFilter reads the filter form into page.Form and the store's
// filter. Dates are whole days in the viewer's time zone, both included.
func (s *Server) auditPageFilter(r *http.Request, page *auditLogPage, loc *time.Location) (store.AuditFilter, error) {
	p, err := queryParams(r, auditFormParams...)
	if err != nil {
		return store.AuditFilter{}, err
	}
	for k, v := range p {
		if v != "" {
			page.Form.Set(k, v)
		}
	}
	f, err := auditFilter(p)
	if err != nil {
		return f, err
	}
	for _, d := range []struct {
		name string
		dst  *time.Time
		days int
	}{{"from", &f.From, 0}, {"to", &f.To, 1}} {
		if v := p[d.name]; v != "" {
			day, err := time.ParseInLocation(time.DateOnly, v, loc)
			if err != nil {
				return f, care.FieldError(d.name, "must be a date, such as 2026-11-24")
			}
			*d.dst = day.AddDate(0, 0, d.days)
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return f, care.FieldError("to", "must not be before the from date")
	}
	f.Before, _, err = paging(map[string]string{"before": p["before"]})
	f.Limit = auditPageSize
	return f, err
}

// pageQuery is the filter of a page without its cursor, for links.
func pageQuery(form url.Values) url.Values {
	q := url.Values{}
	for k, v := range form {
		if k != "before" {
			q[k] = v
		}
	}
	return q
}

// zoneOf is the viewer's time zone, UTC when it is unknown.
func zoneOf(actor care.Actor) *time.Location {
	if loc, err := time.LoadLocation(actor.TimeZone); err == nil && actor.TimeZone != "" {
		return loc
	}
	return time.UTC
}

// ---- The client's access report ----

// accessLogPage is /access-log: who at the clinic looked at the client's
// record, in plain words.
type accessLogPage struct {
	Layout
	Entries []accessRow
	Older   string
	Newest  string
}

// accessRow is one line of the report: "Dr. Rivera (provider) viewed your
// profile", and when.
type accessRow struct {
	Who       string
	Role      string
	What      string
	When      string
	DateTime  string
	Emergency bool
	Refused   bool // refused or failed: marked at the edge
}

// accessPhrases say in plain words what a staff member did with the
// client's record (did), or tried to do when it was refused or failed
// (try). An action not here is described by its last word (accessPhrase).
var accessPhrases = map[string]struct{ did, try string }{
	"client.read":             {"viewed your profile", "view your profile"},
	"client.delete":           {"deleted your record", "delete your record"},
	"care-team.add":           {"added a provider to your care team", "add a provider to your care team"},
	"care-team.remove":        {"removed a provider from your care team", "remove a provider from your care team"},
	"break-glass.start":       {"opened emergency access to your record", "open emergency access to your record"},
	"break-glass.end":         {"ended emergency access to your record", "end emergency access to your record"},
	"audit.read":              {"reviewed the audit log of your record", "review the audit log of your record"},
	"access-log.read":         {"looked at this list of who has seen your record", "look at this list of who has seen your record"},
	"journal.read":            {"read a journal entry you shared", "read a journal entry"},
	"journal.list":            {"looked at the journal entries you shared", "look at your journal entries"},
	"message.read":            {"read your messages", "read your messages"},
	"message.list":            {"read your messages", "read your messages"},
	"message.send":            {"sent you a message", "send you a message"},
	"journal.versions":        {"looked at the earlier versions of a journal entry you shared", "look at the earlier versions of a journal entry"},
	"plan.read":               {"viewed your treatment plan", "view your treatment plan"},
	"plan.update":             {"updated your treatment plan", "update your treatment plan"},
	"plan.history":            {"looked at the history of your treatment plan", "look at the history of your treatment plan"},
	"plan.version.read":       {"looked at an earlier version of your treatment plan", "look at an earlier version of your treatment plan"},
	"safety-plan.read":        {"viewed your safety plan", "view your safety plan"},
	"safety-plan.write":       {"changed your safety plan", "change your safety plan"},
	"safety-plan.history":     {"looked at the history of your safety plan", "look at the history of your safety plan"},
	"tracker.list":            {"looked at your trackers", "look at your trackers"},
	"tracker.read":            {"looked at one of your trackers", "look at one of your trackers"},
	"tracker.assign":          {"gave you a tracker to fill in", "give you a tracker"},
	"tracker.remove":          {"took a tracker off your list", "take a tracker off your list"},
	"tracker.adherence":       {"looked at how often you filled in your trackers", "look at how often you filled in your trackers"},
	"tracker_entry.list":      {"looked at the tracker entries you shared", "look at your tracker entries"},
	"tracker_entry.read":      {"read a tracker entry you shared", "read a tracker entry"},
	"task.create":             {"gave you a task", "give you a task"},
	"task.list":               {"looked at your tasks", "look at your tasks"},
	"appointment.create":      {"booked a session with you", "book a session with you"},
	"appointment.update":      {"changed one of your sessions", "change one of your sessions"},
	"appointment.list":        {"looked at your sessions", "look at your sessions"},
	"measure.read":            {"looked at your questionnaire answers", "look at your questionnaire answers"},
	"export":                  {"exported a copy of your record", "export a copy of your record"},
	care.ActionRecordReadAll:  {"read your whole record", "read your whole record"},
	care.ActionClientPageRead: {"opened your record (plan, sessions, tasks, shared journal, questionnaires and check-ins)", "open your record"},
	care.ActionRecordCopy:     {"made a copy of your record for you", "make a copy of your record"},
	"password_reset.create":   {"made you a link to set a new password", "make you a link to set a new password"},
	"mfa.reset":               {"reset your second sign-in step (authenticator app, passkeys, recovery codes)", "reset your second sign-in step"},
}

// accessPhrase is what happened, as the end of a sentence that starts
// with the staff member's name.
func accessPhrase(action string, outcome care.Outcome) string {
	p, ok := accessPhrases[action]
	if !ok {
		switch action[strings.LastIndex(action, ".")+1:] {
		case "read", "list", "history", "versions", "summary":
			p.did, p.try = "looked at your record", "look at your record"
		case "export":
			p = accessPhrases["export"]
		default:
			p.did, p.try = "made a change to your record", "change your record"
		}
	}
	switch outcome {
	case care.OutcomeSuccess:
		return p.did
	case care.OutcomeDenied:
		return "tried to " + p.try + ", and was not allowed"
	}
	return "tried to " + p.try + ", but it did not work"
}

// staffRoles name the roles in the report.
var staffRoles = map[care.Role]string{care.RoleProvider: "provider", care.RoleAdmin: "clinic admin"}

// GET /access-log?before: the signed-in client's access report.
func (s *Server) accessLogView(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if actor.Role != care.RoleClient {
		return care.Errorf(care.NotFound, "There is no page at this address.")
	}
	p, err := queryParams(r, "before")
	if err != nil {
		return err
	}
	before, _, err := paging(p)
	if err != nil {
		return err
	}
	log, err := s.store.AccessLog(r.Context(), actor, actor.UserID, before, auditPageSize)
	if err != nil {
		return err
	}
	loc, now := zoneOf(actor), s.now()
	page := &accessLogPage{Layout: s.layout(r, "Who has looked at my record")}
	for _, e := range log.Entries {
		row := accessRow{
			Who: e.StaffName, Role: staffRoles[e.Role], What: accessPhrase(e.Action, e.Outcome),
			When: dayTime(e.At, now, loc), DateTime: e.At.UTC().Format(time.RFC3339),
			Emergency: e.Purpose == care.PurposeBreakGlass, Refused: e.Outcome != care.OutcomeSuccess,
		}
		switch {
		case e.Action == "password_reset.use":
			row.Who, row.Role, row.What = "You", "", "set a new password with a reset link; every place you were signed in was signed out"
		case e.Action == "password_reset.request":
			row.Who, row.Role, row.What = "Someone", "", "asked for an email with a link to set a new password"
		case e.Role == care.RoleClient:
			// The client's own copy of their record (rightofaccess.go).
			row.Who, row.Role, row.What = "You", "", "downloaded a copy of your record"
		}
		if e.Role == "" && e.Action == "bulk.export" {
			// `interlude export`, run by whoever operates the server.
			row.Who, row.Role, row.What = "The clinic's server operator", "", "exported the clinic's records, yours included"
		}
		if row.Who == "" {
			row.Who = "A former staff member"
		}
		if row.Role == "" && e.Role != care.RoleClient && e.Role != "" {
			row.Role = "staff"
		}
		page.Entries = append(page.Entries, row)
	}
	if log.Next != 0 {
		page.Older = "/access-log?before=" + cursor(log.Next)
	}
	if before != 0 {
		page.Newest = "/access-log"
	}
	s.renderPage(w, r, http.StatusOK, "access_log", page)
	return nil
}

// dayTime is a moment for a person: "Tue 24 Nov, 14:05", with the year
// when it is not this year's.
func dayTime(t, now time.Time, loc *time.Location) string {
	t = t.In(loc)
	if t.Year() != now.In(loc).Year() {
		return t.Format("Mon 2 Jan 2006, 15:04")
	}
	return t.Format("Mon 2 Jan, 15:04")
}
