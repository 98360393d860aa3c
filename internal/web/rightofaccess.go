package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"interlude/internal/care"
	"interlude/internal/fhir"
	"interlude/internal/store"
)

// The right of access (45 CFR 164.524, issue #8): a client downloads their
// whole record from their account page, as a FHIR R4 Bundle and as a
// readable HTML document; a provider of their care team (or an admin
// holding an open break-glass grant) makes the same copy for them, at the
// client's request, after a fresh authenticator code. A staff copy leaves
// out the client's private journal entries: a private entry never leaves
// the server except to the client themself (docs/threat-model.md).

// recordDoc is the readable copy of a record: one standalone HTML file
// (templates/record/document.html) that needs no script and fetches
// nothing, so that it reads the same when saved and opened years later.
type recordDoc struct {
	Title      string
	CSS        template.CSS
	ClinicName string
	ProducedBy string // the staff member who made a staff copy; "" for the client's own
	Produced   string
	ProducedAt string // RFC 3339
	Zone       string
	StaffCopy  bool // made by staff: private journal entries are left out

	About    []docField
	CareTeam []docPerson
	Plan     docPlan
	// SafetyPlan is the safety plan's sections with items, and its
	// version (0: none).
	SafetyPlan docSafetyPlan
	Tasks      []docTask
	Sessions   []docSession
	Journal    []docEntry
	CheckIns   []docCheckIn
	Measures   []docMeasure
	Messages   []docMessage
	Safety     []docFlag
	Access     []docAccess
}

type docField struct{ Label, Value string }

type docSafetyPlan struct {
	Version            int
	UpdatedBy, Updated string
	Sections           []care.SafetyPlanList
}

type docPerson struct{ Name, Role string }

type docPlan struct {
	Version   int
	UpdatedBy string
	Updated   string
	Goals     []docGoal
}

type docGoal struct {
	Title, Status, Clinical, Target string
	Objectives                      []docObjective
	Comments                        []docComment
}

type docObjective struct{ Text, Status, Target string }

type docComment struct{ When, Who, Text string }

type docTask struct {
	Title, Instructions, Due, Goal, AssignedBy string
	Done                                       []docDone
}

type docDone struct{ Day, Note string }

type docSession struct {
	When, At, With, Status string
	Minutes                int
}

type docEntry struct {
	When, At string
	Private  bool
	Mood     string
	Emotions string
	Tags     string
	Symptoms []docField
	Goal     string
	Discuss  bool
	Text     string
}

type docCheckIn struct{ When, At, Answer string }

type docMeasure struct {
	Name, When, At string
	Total, Max     int
	Severity       string
	Answers        []docField
}

type docMessage struct {
	When, At, From, Text, Files string
	Edited                      bool
}

type docFlag struct{ Kind, When, At, Status, Note, Screener string }

// docScreener is the client's answers to the follow-up screener after a
// flag (issue #16), in words: the result and each answer.
func docScreener(rec *care.Record, flagID string) string {
	yesNo := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	for _, r := range rec.Screeners {
		if r.FlagID != flagID {
			continue
		}
		var answers []string
		for _, a := range r.Answers {
			answers = append(answers, yesNo(a))
		}
		s := "Follow-up questions (ASQ): " + r.Result.Label() + "; your answers: " + strings.Join(answers, ", ")
		if r.Acuity != nil {
			s += "; thoughts of killing yourself right now: " + yesNo(*r.Acuity)
		}
		return s + "."
	}
	return ""
}

type docAccess struct{ When, At, Who, What string }

// recordCSS is the document's style sheet, inlined in every copy; its
// hash is the only style the copy's Content-Security-Policy allows.
type recordCSS struct {
	css  template.CSS
	hash string // "'sha256-…'"
}

func loadRecordCSS() (recordCSS, error) {
	b, err := templateFiles.ReadFile("templates/record/document.css")
	if err != nil {
		return recordCSS{}, err
	}
	sum := sha256.Sum256(b)
	css := template.CSS(b) //nolint:gosec // G203: our own style sheet, embedded in the binary
	return recordCSS{css: css, hash: "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"}, nil
}

// recordDocCSP is the Content-Security-Policy of a served copy: no
// script at all, its own style sheet only, nothing fetched.
func recordDocCSP(css recordCSS) string {
	return "default-src 'none'; style-src " + css.hash + "; img-src data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
}

// ---- Building the document from the record's parts ----

// docTimes formats the moments of one document in the client's zone.
type docTimes struct {
	loc *time.Location
	now time.Time
}

func (d docTimes) when(t time.Time) (string, string) {
	if t.IsZero() {
		return "", ""
	}
	return t.In(d.loc).Format("Mon 2 Jan 2006, 15:04"), t.UTC().Format(time.RFC3339)
}

func (d docTimes) day(day care.Day) string {
	if day == "" {
		return ""
	}
	return day.Format("Mon 2 Jan 2006")
}

// outOf10 is a 0–10 rating for people.
func outOf10(v *int) string {
	if v == nil {
		return ""
	}
	return strconv.Itoa(*v) + " out of 10"
}

// docGoalTitles maps a plan's goal ids to their titles, for entries and
// tasks that name a goal.
func docGoalTitles(p *care.Plan) map[string]string {
	m := map[string]string{}
	if p == nil {
		return m
	}
	for _, g := range p.Goals {
		m[g.ID] = g.Title
	}
	return m
}

func (d docTimes) plan(p *care.Plan) docPlan {
	if p == nil {
		return docPlan{}
	}
	out := docPlan{Version: p.Version, UpdatedBy: p.UpdatedByName}
	out.Updated, _ = d.when(p.UpdatedAt)
	for _, g := range p.Goals {
		dg := docGoal{Title: g.Title, Status: goalStatusWords(g.Status), Clinical: g.ClinicalWording, Target: d.day(g.TargetDate)}
		for _, o := range g.Objectives {
			dg.Objectives = append(dg.Objectives, docObjective{Text: o.Text, Status: string(o.Status), Target: d.day(o.TargetDate)})
		}
		for _, c := range g.Comments {
			when, _ := d.when(c.CreatedAt)
			dg.Comments = append(dg.Comments, docComment{When: when, Who: c.AuthorName, Text: c.Text})
		}
		out.Goals = append(out.Goals, dg)
	}
	return out
}

func goalStatusWords(s care.GoalStatus) string {
	switch s {
	case care.GoalActive:
		return "Working on it"
	case care.GoalAchieved:
		return "Achieved"
	case care.GoalPaused:
		return "Paused"
	case care.GoalDropped:
		return "Dropped"
	}
	return string(s)
}

// tasks lists tasks with the occurrences done, in the order given.
func (d docTimes) tasks(tasks []care.Task, goals map[string]string) []docTask {
	var out []docTask
	for _, t := range tasks {
		due := d.day(t.DueDate)
		switch {
		case t.Recurrence == "daily":
			due = "every day from " + due
		case strings.HasPrefix(t.Recurrence, "weekly:"):
			due = "on " + weekdayWords(strings.TrimPrefix(t.Recurrence, "weekly:")) + " from " + due
		}
		if t.Recurrence != "" && t.EndsOn != "" {
			due += " to " + d.day(t.EndsOn)
		}
		goal := t.GoalTitle
		if goal == "" {
			goal = goals[t.GoalID]
		}
		dt := docTask{Title: t.Title, Instructions: t.Instructions, Due: due, Goal: goal, AssignedBy: t.AssignedByName}
		for _, o := range t.Occurrences {
			if o.Done {
				dt.Done = append(dt.Done, docDone{Day: d.day(o.Day), Note: o.Note})
			}
		}
		out = append(out, dt)
	}
	return out
}

// weekdayWords turns "1,3,5" (ISO weekdays) into "Mon, Wed, Fri".
func weekdayWords(list string) string {
	var out []string
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 7 {
			continue
		}
		out = append(out, time.Weekday(n % 7).String()[:3])
	}
	return strings.Join(out, ", ")
}

func (d docTimes) sessions(list []care.Appointment) []docSession {
	var out []docSession
	for _, a := range list {
		when, at := d.when(a.StartsAt)
		out = append(out, docSession{When: when, At: at, With: a.ProviderName, Minutes: a.Minutes, Status: appointmentWords(a.Status)})
	}
	slices.SortStableFunc(out, func(a, b docSession) int { return strings.Compare(b.At, a.At) })
	return out
}

func appointmentWords(s care.AppointmentStatus) string {
	switch s {
	case care.AppointmentScheduled:
		return "Scheduled"
	case care.AppointmentHeld:
		return "Held"
	case care.AppointmentCancelled:
		return "Cancelled"
	}
	return string(s)
}

// journal lists the entries, newest first, leaving out tombstones and,
// in a staff copy, every private entry.
func (d docTimes) journal(entries []care.JournalEntry, goals map[string]string, staffCopy bool) []docEntry {
	var out []docEntry
	for _, e := range entries {
		if !e.DeletedAt.IsZero() || (staffCopy && !e.Shared) {
			continue
		}
		when, at := d.when(e.OccurredAt)
		de := docEntry{When: when, At: at, Private: !e.Shared, Mood: outOf10(e.Mood), Emotions: strings.Join(e.Emotions, ", "),
			Tags: strings.Join(e.Tags, ", "), Discuss: e.Discuss, Text: e.Text}
		if h := e.Symptoms.SleepHours; h != nil {
			de.Symptoms = append(de.Symptoms, docField{"Sleep", strconv.FormatFloat(*h, 'f', -1, 64) + " hours"})
		}
		for _, r := range e.Symptoms.Ratings() {
			if v := *r.Value; v != nil {
				de.Symptoms = append(de.Symptoms, docField{r.Label, outOf10(v)})
			}
		}
		if e.GoalID != "" {
			de.Goal = goals[e.GoalID]
			if de.Goal == "" {
				de.Goal = "a goal no longer in the plan"
			}
			if e.GoalProgress != nil {
				de.Goal += ", progress " + outOf10(e.GoalProgress)
			}
		}
		out = append(out, de)
	}
	slices.SortStableFunc(out, func(a, b docEntry) int { return strings.Compare(b.At, a.At) })
	return out
}

func (d docTimes) checkIns(list []care.CheckIn) []docCheckIn {
	var out []docCheckIn
	for _, c := range list {
		when, at := d.when(c.DueAt)
		var answer string
		switch c.Status(d.now) {
		case care.CheckInAnswered:
			answer = "Answered"
			if c.Mood != nil {
				answer += ": mood " + outOf10(c.Mood)
			}
		case care.CheckInMissed:
			answer = "Not answered"
		default:
			answer = "Open"
		}
		out = append(out, docCheckIn{When: when, At: at, Answer: answer})
	}
	slices.SortStableFunc(out, func(a, b docCheckIn) int { return strings.Compare(b.At, a.At) })
	return out
}

func (d docTimes) measures(list []care.MeasureResponse) []docMeasure {
	var out []docMeasure
	for _, r := range list {
		in := care.InstrumentByCode(r.Instrument)
		when, at := d.when(r.AnsweredAt)
		dm := docMeasure{Name: r.Instrument, When: when, At: at, Total: r.Total, Severity: r.Severity.Label()}
		if in != nil {
			dm.Name, dm.Max = in.Name+" ("+in.Title+")", in.MaxTotal()
		}
		for i, a := range r.Answers {
			q := fmt.Sprintf("Question %d", i+1)
			if in != nil && i < len(in.Items) {
				q = in.Items[i]
			}
			v := strconv.Itoa(a)
			if a >= 0 && a < len(care.AnswerOptions) {
				v = care.AnswerOptions[a].Label
			}
			dm.Answers = append(dm.Answers, docField{q, v})
		}
		if d := care.DifficultyLabel(r.Difficulty); d != "" && in != nil {
			dm.Answers = append(dm.Answers, docField{in.Difficulty + " (not scored)", d})
		}
		out = append(out, dm)
	}
	slices.SortStableFunc(out, func(a, b docMeasure) int { return strings.Compare(b.At, a.At) })
	return out
}

// personName names a user of the record for the document: "You" for
// the client, the staff member's name, or fallback.
func personName(rec *care.Record, id, fallback string) string {
	if id != "" && id == rec.Client.ID {
		return "You"
	}
	if u := rec.Person(id); u != nil && u.DisplayName != "" {
		return u.DisplayName
	}
	return fallback
}

// messages lists the thread oldest first, as it reads.
func (d docTimes) messages(rec *care.Record) []docMessage {
	var out []docMessage
	for _, m := range rec.Messages {
		when, at := d.when(m.SentAt)
		fallback := "A former member of your care team"
		if m.SenderID == "" {
			fallback = "Interlude (automatic reply)"
		}
		var files []string
		for _, a := range m.Attachments {
			files = append(files, a.Name)
		}
		out = append(out, docMessage{When: when, At: at, From: personName(rec, m.SenderID, fallback), Text: m.Text,
			Edited: m.Edited(), Files: strings.Join(files, ", ")})
	}
	slices.SortStableFunc(out, func(a, b docMessage) int { return strings.Compare(a.At, b.At) })
	return out
}

func (d docTimes) flags(rec *care.Record) []docFlag {
	var out []docFlag
	for _, f := range rec.Flags {
		when, at := d.when(f.RaisedAt)
		status := "Your care team has not answered it yet."
		if !f.Open() {
			ackWhen, _ := d.when(f.AcknowledgedAt)
			status = "Answered by " + personName(rec, f.AcknowledgedBy, "your care team") + " on " + ackWhen + "."
		}
		out = append(out, docFlag{Kind: f.Kind.Label(), When: when, At: at, Status: status, Note: f.Note, Screener: docScreener(rec, f.ID)})
	}
	slices.SortStableFunc(out, func(a, b docFlag) int { return strings.Compare(b.At, a.At) })
	return out
}

// access is the access report, newest first.
func (d docTimes) access(rec *care.Record) []docAccess {
	var out []docAccess
	for _, e := range rec.AccessLog {
		when, at := d.when(e.At)
		who := personName(rec, e.ActorID, "A former staff member")
		if role := staffRoles[e.Role]; role != "" && who != "You" {
			who += " (" + role + ")"
		}
		what := accessPhrase(e.Action, e.Outcome)
		switch {
		case e.ActorID == rec.Client.ID:
			what = "downloaded a copy of your record" // as the access report says
		case e.ActorID == "" && e.Action == "bulk.export":
			who, what = "The clinic's server operator", "exported the clinic's records, yours included"
		}
		if e.Purpose == care.PurposeBreakGlass {
			what += " (emergency access)"
		}
		out = append(out, docAccess{When: when, At: at, Who: who, What: what})
	}
	slices.Reverse(out)
	return out
}

// recordDocument builds the readable copy of rec. by is the staff member
// who makes a staff copy, nil for the client's own: a staff copy holds no
// private entry, whatever rec holds.
func recordDocument(rec *care.Record, by *care.Actor) *recordDoc {
	d := docTimes{loc: care.Location(rec.Client.TimeZone), now: rec.ReadAt}
	produced, producedAt := d.when(rec.ReadAt)
	doc := &recordDoc{
		Title:      "Health record of " + rec.Client.DisplayName,
		ClinicName: rec.Clinic.Name,
		Produced:   produced, ProducedAt: producedAt,
		Zone:      d.loc.String(),
		StaffCopy: by != nil,
	}
	if by != nil {
		doc.ProducedBy = by.Name
		if u := rec.Person(by.UserID); u != nil && u.DisplayName != "" {
			doc.ProducedBy = u.DisplayName
		}
	}
	joined, _ := d.when(rec.Client.CreatedAt)
	doc.About = []docField{{"Name", rec.Client.DisplayName}}
	if rec.Client.Email != "" {
		doc.About = append(doc.About, docField{"Email", rec.Client.Email})
	}
	doc.About = append(doc.About,
		docField{"Clinic", rec.Clinic.Name},
		docField{"Time zone", d.loc.String()},
		docField{"Joined", joined},
		docField{"Record id", rec.Client.ID})
	for _, u := range rec.CareTeam {
		doc.CareTeam = append(doc.CareTeam, docPerson{Name: u.DisplayName, Role: "provider"})
	}
	goals := docGoalTitles(rec.Plan)
	doc.Plan = d.plan(rec.Plan)
	if sp := rec.SafetyPlan; sp != nil && sp.Version > 0 {
		doc.SafetyPlan = docSafetyPlan{Version: sp.Version, UpdatedBy: sp.UpdatedByName}
		doc.SafetyPlan.Updated, _ = d.when(sp.UpdatedAt)
		for _, l := range sp.Lists() {
			if len(l.Items) > 0 {
				doc.SafetyPlan.Sections = append(doc.SafetyPlan.Sections, l)
			}
		}
	}
	doc.Tasks = d.tasks(rec.Tasks, goals)
	doc.Sessions = d.sessions(rec.Appointments)
	doc.Journal = d.journal(rec.Entries, goals, by != nil)
	doc.CheckIns = d.checkIns(rec.CheckIns)
	doc.Measures = d.measures(rec.Responses)
	doc.Messages = d.messages(rec)
	doc.Safety = d.flags(rec)
	if by == nil {
		doc.Access = d.access(rec)
	}
	return doc
}

// renderRecordDoc executes the document into a buffer, so that a template
// error is an error and not half a file.
func (s *Server) renderRecordDoc(doc *recordDoc) ([]byte, error) {
	doc.CSS = s.pages.recordCSS.css
	var buf bytes.Buffer
	if err := s.pages.record.ExecuteTemplate(&buf, "record-document", doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ---- Handlers ----

// Copy formats.
const (
	copyHTML = "html"
	copyFHIR = "fhir"
)

// actionRecordCopyStepUp is the audit action of a refused fresh code on
// the staff copy's form.
const actionRecordCopyStepUp = "record.copy.step-up"

// copyFileName is the name a copy downloads as: the day, no name or id.
func copyFileName(now time.Time, zone, ext string) string {
	return "interlude-record-" + care.DayIn(now, zone).String() + "." + ext
}

// writeRecordCopy reads the client's whole record for actor (one audited
// read), builds the copy in format, records that it was handed out, and
// only then sends it. by is the staff member making a copy for the
// client, nil for the client's own.
func (s *Server) writeRecordCopy(w http.ResponseWriter, r *http.Request, actor care.Actor, clientID, format string, attach bool, by *care.Actor) error {
	ctx := r.Context()
	rec, err := s.store.ClientRecord(ctx, actor, clientID)
	if err != nil {
		return err
	}
	if by != nil {
		// A private entry never leaves the server except to the client
		// themself (issue #8), whatever the store let this actor read.
		rec.Entries = slices.DeleteFunc(rec.Entries, func(e care.JournalEntry) bool { return !e.Shared })
		rec.AccessLog = nil
	}
	var body []byte
	var contentType, ext string
	switch format {
	case copyFHIR:
		if body, err = s.recordBundle(rec); err != nil {
			return err
		}
		contentType, ext = "application/fhir+json", "json"
	default:
		if body, err = s.renderRecordDoc(recordDocument(rec, by)); err != nil {
			return err
		}
		contentType, ext = "text/html; charset=utf-8", "html"
	}
	ev := store.Event(actor, care.ActionRecordCopy, "client", clientID)
	ev.ClientID, ev.Reason = clientID, format
	if actor.Role == care.RoleAdmin {
		// An admin reads a record only through an open break-glass grant,
		// as the store has just checked (AC-06).
		ev.Purpose = care.PurposeBreakGlass
	}
	if err := s.store.Audit(ctx, ev); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	if format == copyHTML {
		h.Set("Content-Security-Policy", recordDocCSP(s.pages.recordCSS))
	}
	if attach {
		h.Set("Content-Disposition", `attachment; filename="`+copyFileName(rec.ReadAt, rec.Client.TimeZone, ext)+`"`)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	// G705: body is html/template's output (escaped, served under a CSP
	// with no script) or FHIR JSON from encoding/json (which escapes <, >
	// and &), with its content type set and nosniff on every response.
	_, err = w.Write(body) //nolint:gosec // see above
	return err
}

// myRecord serves the signed-in client's own copy: the readable document
// to read or print (GET /account/record), the same as a file
// (GET /account/record.html), or the FHIR Bundle (GET /account/record.json).
func (s *Server) myRecord(format string, attach bool) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		actor, err := signedIn(r)
		if err != nil {
			return err
		}
		if actor.Role != care.RoleClient {
			return care.Errorf(care.NotFound, "There is no page at this address.")
		}
		return s.writeRecordCopy(w, r, actor, actor.UserID, format, attach, nil)
	}
}

// recordCopyPage is /clients/{id}/record-copy: a staff member makes a
// copy of a client's record at the client's request.
type recordCopyPage struct {
	Layout
	ClientID   string
	ClientName string
	Format     string
	Error      string
	Field      string
}

// copyStaff reports whether actor's role may make a copy for a client:
// a provider (of the care team, as the store decides) or an admin (with
// an open break-glass grant, as the store decides).
func copyStaff(actor care.Actor) bool {
	return actor.Role == care.RoleProvider || actor.Role == care.RoleAdmin
}

// GET /clients/{id}/record-copy
func (s *Server) recordCopyForm(w http.ResponseWriter, r *http.Request) error {
	return s.renderRecordCopy(w, r, http.StatusOK, copyHTML, "", "")
}

func (s *Server) renderRecordCopy(w http.ResponseWriter, r *http.Request, status int, format, msg, field string) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if !copyStaff(actor) {
		return care.Errorf(care.NotFound, "There is no page at this address.")
	}
	client, err := s.store.Client(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	page := &recordCopyPage{
		Layout: s.layout(r, "A copy of the record for the client"), ClientID: client.ID, ClientName: client.DisplayName,
		Format: format, Error: msg, Field: field,
	}
	s.renderPage(w, r, status, "record_copy", page)
	return nil
}

// POST /clients/{id}/record-copy (format: html or fhir; totp_code): the
// copy, as a file, after a fresh authenticator code. A missing, wrong or
// used code gives the form again and nothing else, and counts towards
// the account's sign-in backoff (AU-05, AU-08).
func (s *Server) recordCopySubmit(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if !copyStaff(actor) {
		return care.Errorf(care.NotFound, "There is no page at this address.")
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	format := r.PostForm.Get("format")
	if format != copyHTML && format != copyFHIR {
		err = care.FieldError("format", "must be the readable document or the FHIR file")
	} else {
		err = s.stepUp(w, r, actor, r.PostForm.Get("totp_code"), actionRecordCopyStepUp)
	}
	if err != nil {
		msg, field, status, ok := formError(err)
		if !ok {
			return err
		}
		if care.ErrorCode(err) == care.MFARequired || care.ErrorCode(err) == care.RateLimited {
			field = "totp_code"
		}
		if format != copyFHIR {
			format = copyHTML
		}
		return s.renderRecordCopy(w, r, status, format, msg, field)
	}
	return s.writeRecordCopy(w, r, actor, r.PathValue("id"), format, true, &actor)
}

// recordBundle is the record as a FHIR R4 Bundle: Patient/$everything
// (package fhir), its entries' fullUrl under this server's FHIR base.
func (s *Server) recordBundle(rec *care.Record) ([]byte, error) {
	return json.MarshalIndent(fhir.Everything(rec, strings.TrimSuffix(s.baseURL, "/")+"/fhir/R4"), "", "  ")
}

// GET /api/v1/clients/{id}/export: the whole record as a FHIR R4 Bundle
// (API.md). For the client it is their own copy, private entries and all,
// audited as a copy (care.ActionRecordCopy). For the care team (or an
// admin through break-glass) it is a read of the record as they may see
// it, without private entries, as Patient/$everything is: audited by the
// store's whole-record read. A copy made by staff for the client, at the
// client's request, is the staff copy's form, which asks for a fresh code.
func (s *Server) apiRecordExport(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if actor.Role == care.RoleClient {
		if id != actor.UserID {
			// The store refuses it and records the refusal.
			_, err := s.store.ClientRecord(r.Context(), actor, id)
			if err == nil {
				err = care.ErrNotFound
			}
			return err
		}
		return s.writeRecordCopy(w, r, actor, id, copyFHIR, true, nil)
	}
	rec, err := s.store.ClientRecord(r.Context(), actor, id)
	if err != nil {
		return err
	}
	rec.Entries = slices.DeleteFunc(rec.Entries, func(e care.JournalEntry) bool { return !e.Shared })
	rec.AccessLog = nil
	body, err := s.recordBundle(rec)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/fhir+json")
	h.Set("Content-Disposition", `attachment; filename="`+copyFileName(rec.ReadAt, rec.Client.TimeZone, "json")+`"`)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body) //nolint:gosec // G705: FHIR JSON from encoding/json, served as application/fhir+json with nosniff
	return err
}
