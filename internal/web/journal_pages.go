package web

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"interlude/internal/care"
	"interlude/internal/store"
)

// The journal's web pages: the client's quick entry and recent entries on
// their home page, the full entry form, the list with edit and delete, an
// entry's versions, the sharing setting, and the care team's timeline of
// shared entries. Each makes the same store calls as the JSON API, whose
// SQL carries the authorization.

// journalFormLimit bounds a journal form: 10,000 characters of text,
// percent-encoded, need up to 120 KB.
const journalFormLimit = 512 << 10

// moodScale is the 0..10 of a mood radio group.
var moodScale = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}

// entryRow is an entry as a page shows it, in the viewer's time zone.
type entryRow struct {
	ID        string
	IDPrefix  string // before the ID in the page's element ids: "entry-" unless set (an entry shown twice on a page)
	When      string // "Mon 2 Mar 2026, 18:30 CST"
	WhenISO   string // for <time datetime>
	Own       bool   // the viewer is the client: edit, delete and privacy wording
	Shared    bool
	Deleted   bool
	DeletedOn string
	Edited    bool // there are earlier versions
	Version   int

	Mood      string // "6" or ""
	Emotions  string // "anxious, hopeful"
	Tags      string // "work, family"
	Symptoms  []labelValue
	Text      string
	Goal      string // the goal's title, or a phrase when it is no longer in the plan
	Progress  string // "6" or ""
	Discuss   bool
	Versioned string // "Version 2, saved Mon 2 Mar…" on the versions page
}

type labelValue struct{ Label, Value string }

// goalTitles maps the ids of the client's goals to their titles.
type goalTitles map[string]string

func (s *Server) goalTitles(r *http.Request, actor care.Actor, clientID string) (goalTitles, []care.Goal, error) {
	plan, err := s.store.Plan(r.Context(), actor, clientID)
	if err != nil {
		return nil, nil, err
	}
	titles := goalTitles{}
	for _, g := range plan.Goals {
		titles[g.ID] = g.Title
	}
	return titles, plan.Goals, nil
}

func (s *Server) entryRow(actor care.Actor, e *care.JournalEntry, goals goalTitles) entryRow {
	row := entryRow{ID: e.ID, When: localTime(e.OccurredAt, actor.TimeZone), WhenISO: e.OccurredAt.Format(time.RFC3339),
		Own: care.CanWriteEntry(actor, e.ClientID), Shared: e.Shared, Version: e.Version, Edited: e.Version > 1}
	if e.Deleted() {
		row.Deleted, row.DeletedOn = true, localTime(e.DeletedAt, actor.TimeZone)
		return row
	}
	if e.Mood != nil {
		row.Mood = strconv.Itoa(*e.Mood)
	}
	row.Emotions = strings.Join(e.Emotions, ", ")
	row.Tags = strings.Join(e.Tags, ", ")
	if h := e.Symptoms.SleepHours; h != nil {
		row.Symptoms = append(row.Symptoms, labelValue{"Sleep", strconv.FormatFloat(*h, 'f', -1, 64) + " hours"})
	}
	for _, r := range e.Symptoms.Ratings() {
		if v := *r.Value; v != nil {
			row.Symptoms = append(row.Symptoms, labelValue{r.Label, strconv.Itoa(*v) + " out of 10"})
		}
	}
	row.Text, row.Discuss = e.Text, e.Discuss
	if e.GoalID != "" {
		row.Goal = goals[e.GoalID]
		if row.Goal == "" {
			row.Goal = "a goal no longer in the plan"
		}
		if e.GoalProgress != nil {
			row.Progress = strconv.Itoa(*e.GoalProgress)
		}
	}
	return row
}

// viewerZone is the viewer's time zone, UTC when it is not known.
func viewerZone(actor care.Actor) *time.Location {
	loc, err := time.LoadLocation(actor.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// chartDays reads ?mood= (30 or 90 days; 30 unless 90).
func chartDays(r *http.Request) int {
	if r.URL.Query().Get("mood") == "90" {
		return 90
	}
	return 30
}

// moodCharts is a chart with the links to its two periods.
type moodCharts struct {
	Chart    moodChart
	Base     string // the page's path, for ?mood=30 and ?mood=90
	Tab      string // the page's ?tab=, kept by the links (the client page's, #18)
	Fragment string // where the chart is on the page
}

// Link is the page with the chart of the last days days.
func (c moodCharts) Link(days int) string {
	q := url.Values{"mood": {strconv.Itoa(days)}}
	if c.Tab != "" {
		q.Set("tab", c.Tab)
	}
	return c.Base + "?" + q.Encode() + "#" + c.Fragment
}

func (s *Server) moodCharts(r *http.Request, actor care.Actor, clientID, base, fragment string) (moodCharts, error) {
	points, err := s.store.MoodPoints(r.Context(), actor, clientID, s.chartSince(r, actor))
	if err != nil {
		return moodCharts{}, err
	}
	return s.moodChartsOf(r, actor, points, base, fragment), nil
}

// chartSince is the first moment of the mood chart ?mood= asks for, in
// the viewer's zone.
func (s *Server) chartSince(r *http.Request, actor care.Actor) time.Time {
	return dayStart(s.now().In(viewerZone(actor))).AddDate(0, 0, -(chartDays(r) - 1))
}

// moodChartsOf draws the chart of points read since chartSince.
func (s *Server) moodChartsOf(r *http.Request, actor care.Actor, points []care.MoodPoint, base, fragment string) moodCharts {
	return moodCharts{Chart: newMoodChart("mood-chart", points, chartDays(r), s.now(), viewerZone(actor)), Base: base, Fragment: fragment}
}

// ---- The client's home ----

// journalHome is the journal's part of the client's home page: the quick
// entry. The entries and the mood chart have their own pages (/journal,
// /progress), so that the home page fits the day on a phone (#18).
type journalHome struct {
	Moods          []int
	ShareByDefault bool
}

// clientJournalHome gathers the journal's part of the client's home page.
func (s *Server) clientJournalHome(r *http.Request, actor care.Actor) (*journalHome, error) {
	h := &journalHome{Moods: moodScale}
	var err error
	if h.ShareByDefault, err = s.store.ShareByDefault(r.Context(), actor); err != nil {
		return nil, err
	}
	return h, nil
}

func hasGoal(entries []care.JournalEntry) bool {
	for _, e := range entries {
		if e.GoalID != "" {
			return true
		}
	}
	return false
}

// clientOnly is the actor of a signed-in client; the journal's own pages
// are nobody else's (404, as for a page that does not exist).
func clientOnly(r *http.Request) (care.Actor, error) {
	actor, err := signedIn(r)
	if err != nil {
		return actor, err
	}
	if actor.Role != care.RoleClient {
		return actor, care.Errorf(care.NotFound, "There is no page at this address.")
	}
	return actor, nil
}

// POST /journal/quick (mood, text): the one-tap "How am I doing".
func (s *Server) journalQuick(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	if err := parseJournalForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	e := care.JournalEntry{OccurredAt: s.now(), Text: f.Get("text")}
	form := &entryForm{Quick: true, Mood: f.Get("mood"), Text: f.Get("text"), OccurredAt: localInput(e.OccurredAt, viewerZone(actor))}
	var shared *bool
	if f.Has("shared-shown") {
		on := f.Get("shared") == "on"
		shared, form.Shared = &on, on
	}
	err = parseRating("mood", form.Mood, &e.Mood)
	if err == nil && e.Mood == nil {
		err = care.FieldError("mood", "is needed: pick a number from 0 to 10")
	}
	if err == nil {
		err = s.store.CreateEntry(r.Context(), actor, actor.UserID, &e, shared)
	}
	if err != nil {
		return s.renderEntryForm(w, r, actor, form, err)
	}
	return redirect(w, r, "/?done=entry-saved&saved="+e.ID)
}

// ---- The full form ----

// entryForm is the entry form's values, as typed, and its error.
type entryForm struct {
	Layout
	Heading    string
	Action     string // where the form posts
	EntryID    string // "" for a new entry
	Quick      bool   // re-shown after a quick entry failed
	OccurredAt string // datetime-local, in the viewer's zone
	Zone       string
	Mood       string
	Moods      []int
	Emotions   []emotionChoice
	OwnWords   string
	SleepHours string
	Ratings    []ratingInput
	Text       string
	MaxText    int
	GoalID     string
	Goals      []goalChoice
	Progress   string
	Discuss    bool
	Shared     bool
	Tags       string // comma-separated
	MaxTags    int
	MaxTagLen  int

	Error  string // the one error, as a sentence
	Field  string // the field it is about ("mood", "symptoms.energy")
	Anchor string // the id of the control the error summary links to
}

type emotionChoice struct {
	Word    string
	Checked bool
}

type ratingInput struct {
	Name, Label, Value, ID string
	Invalid                bool
}

type goalChoice struct{ ID, Title string }

// fieldAnchor is the id of the control of each field an entry error can
// name.
func fieldAnchor(field string) string {
	switch field {
	case "occurred_at":
		return "occurred-at"
	case "mood":
		return "mood-0"
	case "emotions":
		return "own-words"
	case "symptoms.sleep_hours":
		return "sleep-hours"
	case "text":
		return "text"
	case "goal_id":
		return "goal"
	case "goal_progress":
		return "goal-progress"
	case "shared":
		return "shared"
	case "tags":
		return "tags"
	}
	if name, ok := strings.CutPrefix(field, "symptoms."); ok {
		return "symptom-" + name
	}
	return ""
}

// journalFieldLabel names a field for a person.
func journalFieldLabel(field string) string {
	switch field {
	case "occurred_at":
		return "When it happened"
	case "mood":
		return "Mood"
	case "emotions":
		return "Emotions"
	case "symptoms.sleep_hours":
		return "Hours of sleep"
	case "text":
		return "What happened"
	case "goal_id":
		return "The goal"
	case "goal_progress":
		return "Progress on the goal"
	case "shared":
		return "Sharing"
	case "tags":
		return "Tags"
	}
	var s care.Symptoms
	for _, r := range s.Ratings() {
		if "symptoms."+r.Name == field {
			return r.Label
		}
	}
	return "This field"
}

// setError puts a user-correctable error on the form, and reports
// whether err was one.
func (f *entryForm) setError(err error) bool {
	var e *care.Error
	if !errors.As(err, &e) || e.Code != care.Invalid && e.Code != care.Conflict && e.Code != care.Gone {
		return false
	}
	msg := e.Message
	if e.Field != "" && msg != "" && 'a' <= msg[0] && msg[0] <= 'z' {
		msg = journalFieldLabel(e.Field) + " " + msg
	}
	f.Error, f.Field, f.Anchor = sentence(msg), e.Field, fieldAnchor(e.Field)
	return true
}

// fill completes the form's choices around its values.
func (f *entryForm) fill(goals []care.Goal, checked []string) {
	f.Moods, f.MaxText, f.MaxTags, f.MaxTagLen = moodScale, care.MaxEntryText, care.MaxTags, care.MaxTagLen
	f.Emotions = nil
	for _, w := range care.Emotions {
		f.Emotions = append(f.Emotions, emotionChoice{Word: w, Checked: containsString(checked, w)})
	}
	f.Goals = nil
	for _, g := range goals {
		f.Goals = append(f.Goals, goalChoice{ID: g.ID, Title: g.Title})
	}
	for i := range f.Ratings {
		f.Ratings[i].ID = "symptom-" + f.Ratings[i].Name
		f.Ratings[i].Invalid = f.Field == "symptoms."+f.Ratings[i].Name
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// localInput formats t for a datetime-local input in loc.
func localInput(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02T15:04") }

// formFromEntry fills a form with an entry's values.
func formFromEntry(e *care.JournalEntry, loc *time.Location) (*entryForm, []string) {
	f := &entryForm{OccurredAt: localInput(e.OccurredAt, loc), Text: e.Text, GoalID: e.GoalID, Discuss: e.Discuss, Shared: e.Shared,
		Tags: strings.Join(e.Tags, ", ")}
	if e.Mood != nil {
		f.Mood = strconv.Itoa(*e.Mood)
	}
	if e.GoalProgress != nil {
		f.Progress = strconv.Itoa(*e.GoalProgress)
	}
	if h := e.Symptoms.SleepHours; h != nil {
		f.SleepHours = strconv.FormatFloat(*h, 'f', -1, 64)
	}
	for _, r := range e.Symptoms.Ratings() {
		in := ratingInput{Name: r.Name, Label: r.Label}
		if v := *r.Value; v != nil {
			in.Value = strconv.Itoa(*v)
		}
		f.Ratings = append(f.Ratings, in)
	}
	var own []string
	for _, w := range e.Emotions {
		if !care.IsVocabularyEmotion(w) {
			own = append(own, w)
		}
	}
	f.OwnWords = strings.Join(own, ", ")
	return f, e.Emotions
}

// parseJournalForm reads a journal form of bounded size.
func parseJournalForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, journalFormLimit)
	if err := r.ParseForm(); err != nil {
		return care.Errorf(care.Invalid, "the form could not be read (it may be too long)")
	}
	return nil
}

// parseRating reads a 0..10 whole number, "" as none.
func parseRating(field, s string, dst **int) error {
	s = strings.TrimSpace(s)
	if s == "" {
		*dst = nil
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return care.FieldError(field, "must be a whole number from 0 to %d", care.MaxRating)
	}
	*dst = &n
	return nil
}

// entryFromForm reads the full form into e and the form (to show again),
// and returns the sharing chosen.
func entryFromForm(f url.Values, loc *time.Location, e *care.JournalEntry) (*entryForm, []string, error) {
	form := &entryForm{OccurredAt: f.Get("occurred_at"), Mood: f.Get("mood"), OwnWords: f.Get("own_words"),
		SleepHours: f.Get("sleep_hours"), Text: f.Get("text"), GoalID: f.Get("goal_id"), Progress: f.Get("goal_progress"),
		Discuss: f.Get("discuss") == "on", Shared: f.Get("shared") == "on", Tags: f.Get("tags")}
	checked := f["emotion"]
	var sym care.Symptoms
	for _, r := range sym.Ratings() {
		form.Ratings = append(form.Ratings, ratingInput{Name: r.Name, Label: r.Label, Value: f.Get(r.Name)})
	}
	e.Text, e.GoalID, e.Discuss, e.Shared = form.Text, strings.TrimSpace(form.GoalID), form.Discuss, form.Shared
	if v := strings.TrimSpace(form.OccurredAt); v == "" {
		e.OccurredAt = time.Time{}
	} else {
		t, err := time.ParseInLocation("2006-01-02T15:04", v, loc)
		if err != nil {
			t, err = time.ParseInLocation("2006-01-02T15:04:05", v, loc)
		}
		if err != nil {
			return form, checked, care.FieldError("occurred_at", "must be a date and time")
		}
		e.OccurredAt = t.UTC()
	}
	if err := parseRating("mood", form.Mood, &e.Mood); err != nil {
		return form, checked, err
	}
	e.Emotions = nil
	for _, w := range checked {
		if care.IsVocabularyEmotion(w) {
			e.Emotions = append(e.Emotions, w)
		}
	}
	for _, w := range strings.Split(form.OwnWords, ",") {
		if strings.TrimSpace(w) != "" {
			e.Emotions = append(e.Emotions, w)
		}
	}
	e.Tags = strings.Split(form.Tags, ",") // normalized, empty ones dropped, by Validate
	e.Symptoms = care.Symptoms{}
	if v := strings.TrimSpace(form.SleepHours); v != "" {
		h, err := strconv.ParseFloat(strings.Replace(v, ",", ".", 1), 64)
		if err != nil {
			return form, checked, care.FieldError("symptoms.sleep_hours", "must be a number of hours, like 7.5")
		}
		e.Symptoms.SleepHours = &h
	}
	for i, r := range e.Symptoms.Ratings() {
		if err := parseRating("symptoms."+r.Name, form.Ratings[i].Value, r.Value); err != nil {
			return form, checked, err
		}
	}
	if err := parseRating("goal_progress", form.Progress, &e.GoalProgress); err != nil {
		return form, checked, err
	}
	if e.GoalID == "" {
		e.GoalProgress = nil // the form sends progress even when no goal is chosen
	}
	return form, checked, nil
}

// renderEntryForm shows the entry form again with err, a user-correctable
// error; any other error is returned.
func (s *Server) renderEntryForm(w http.ResponseWriter, r *http.Request, actor care.Actor, form *entryForm, err error) error {
	if !form.setError(err) {
		return err
	}
	_, goals, gerr := s.goalTitles(r, actor, actor.UserID)
	if gerr != nil {
		return gerr
	}
	if form.Ratings == nil {
		var sym care.Symptoms
		for _, rt := range sym.Ratings() {
			form.Ratings = append(form.Ratings, ratingInput{Name: rt.Name, Label: rt.Label})
		}
	}
	checked := r.PostForm["emotion"]
	form.fill(goals, checked)
	form.Zone = actor.TimeZone
	if form.EntryID == "" {
		form.Heading, form.Action = "New journal entry", "/journal"
		if !form.Quick {
			form.Shared = r.PostForm.Get("shared") == "on"
		} else if !r.PostForm.Has("shared-shown") {
			form.Shared, _ = s.store.ShareByDefault(r.Context(), actor)
		}
	} else {
		form.Heading, form.Action = "Edit your entry", "/journal/"+form.EntryID
	}
	form.Layout = s.layout(r, form.Heading)
	s.renderPage(w, r, statusFor[care.ErrorCode(err)], "journal_form", form)
	return nil
}

// GET /journal/new
func (s *Server) journalNew(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	shared, err := s.store.ShareByDefault(r.Context(), actor)
	if err != nil {
		return err
	}
	_, goals, err := s.goalTitles(r, actor, actor.UserID)
	if err != nil {
		return err
	}
	loc := viewerZone(actor)
	form, checked := formFromEntry(&care.JournalEntry{OccurredAt: s.now(), Shared: shared}, loc)
	if g := r.URL.Query().Get("goal"); care.ValidID(g) {
		form.GoalID = g
	}
	form.fill(goals, checked)
	form.Heading, form.Action, form.Zone = "New journal entry", "/journal", actor.TimeZone
	form.Layout = s.layout(r, form.Heading)
	s.renderPage(w, r, http.StatusOK, "journal_form", form)
	return nil
}

// POST /journal: a new entry from the full form.
func (s *Server) journalCreate(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	if err := parseJournalForm(w, r); err != nil {
		return err
	}
	var e care.JournalEntry
	form, _, err := entryFromForm(r.PostForm, viewerZone(actor), &e)
	if err == nil {
		shared := e.Shared
		err = s.store.CreateEntry(r.Context(), actor, actor.UserID, &e, &shared)
	}
	if err != nil {
		return s.renderEntryForm(w, r, actor, form, err)
	}
	return redirect(w, r, "/journal?done=entry-saved&saved="+e.ID+"#entry-"+e.ID)
}

// GET /journal/{eid}/edit
func (s *Server) journalEdit(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	e, err := s.store.Entry(r.Context(), actor, actor.UserID, r.PathValue("eid"))
	if err != nil {
		return err
	}
	if e.Deleted() {
		return care.Errorf(care.Gone, "This entry was deleted.")
	}
	_, goals, err := s.goalTitles(r, actor, actor.UserID)
	if err != nil {
		return err
	}
	form, checked := formFromEntry(e, viewerZone(actor))
	form.EntryID = e.ID
	form.fill(goals, checked)
	form.Heading, form.Action, form.Zone = "Edit your entry", "/journal/"+e.ID, actor.TimeZone
	form.Layout = s.layout(r, form.Heading)
	s.renderPage(w, r, http.StatusOK, "journal_form", form)
	return nil
}

// POST /journal/{eid}: an edit from the full form.
func (s *Server) journalUpdate(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	if err := parseJournalForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("eid")
	var form *entryForm
	saved, err := s.store.UpdateEntry(r.Context(), actor, actor.UserID, id, func(e *care.JournalEntry) error {
		var err error
		form, _, err = entryFromForm(r.PostForm, viewerZone(actor), e)
		return err
	})
	if err != nil {
		if form == nil {
			return err // not the client's entry, or gone: nothing to show again
		}
		form.EntryID = id
		return s.renderEntryForm(w, r, actor, form, err)
	}
	return redirect(w, r, "/journal?done=entry-saved&saved="+saved.ID+"#entry-"+saved.ID)
}

// POST /journal/{eid}/share: the one tap that shares a private entry with
// the care team, offered with the crisis resources after a private entry
// with words of crisis; sharing it raises its safety flag (UpdateEntry).
func (s *Server) journalShare(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	saved, err := s.store.UpdateEntry(r.Context(), actor, actor.UserID, r.PathValue("eid"), func(e *care.JournalEntry) error {
		e.Shared = true
		return nil
	})
	if err != nil {
		return err
	}
	return redirect(w, r, "/journal?done=entry-shared&saved="+saved.ID+"#entry-"+saved.ID)
}

// POST /journal/{eid}/delete
func (s *Server) journalDelete(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.store.DeleteEntry(r.Context(), actor, actor.UserID, r.PathValue("eid")); err != nil {
		return err
	}
	return redirect(w, r, "/journal?done=entry-deleted")
}

// ---- The client's list, versions and settings ----

// journalPage is the client's journal: every entry, tombstones too, or
// the entries that match a search.
type journalPage struct {
	Layout
	Entries []entryRow
	Older   string // the link to the next page, or ""
	// OlderSearch, for a search, is the next page as the hidden fields of
	// a post (forms.go searchPost): the search stays out of the URL.
	OlderSearch    []hiddenField
	Newest         bool // this is the first page
	ShareByDefault bool
	Search         journalSearch
}

// journalSearch is the search form of the journal page, as sent.
type journalSearch struct {
	Q, MoodMin, MoodMax, Goal, Shared, From, To, Tag string
	Goals                                            []goalChoice
	Moods                                            []int
	Active                                           bool   // a search was made: show the count and Clear
	Count                                            int    // the entries that match, on this page
	Error                                            string // a bad parameter, as a sentence
	Field                                            string // the parameter it is about
}

// searchParams are the query parameters of a journal search, in the
// order of the form.
var searchParams = []string{"q", "mood_min", "mood_max", "goal", "shared", "from", "to", "tag"}

// readJournalSearch copies the search parameters of a query into the form.
func readJournalSearch(v url.Values) journalSearch {
	js := journalSearch{Q: v.Get("q"), MoodMin: v.Get("mood_min"), MoodMax: v.Get("mood_max"), Goal: v.Get("goal"),
		Shared: v.Get("shared"), From: v.Get("from"), To: v.Get("to"), Tag: v.Get("tag"), Moods: moodScale}
	for _, k := range searchParams {
		if v.Get(k) != "" {
			js.Active = true
		}
	}
	return js
}

// searchQuery is the non-empty search parameters of v, encoded, for the
// link to older entries.
func searchQuery(v url.Values) url.Values {
	out := url.Values{}
	for _, k := range searchParams {
		if x := v.Get(k); x != "" {
			out.Set(k, x)
		}
	}
	return out
}

// GET /journal?before=&q=&mood_min=&mood_max=&goal=&shared=&from=&to=&tag=
func (s *Server) journalList(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	if r, err = s.withSavedEntry(r, actor); err != nil {
		return err
	}
	p := &journalPage{Layout: s.layoutJournal(r, "Your journal"), Search: readJournalSearch(r.URL.Query())}
	titles, goals, err := s.goalTitles(r, actor, actor.UserID)
	if err != nil {
		return err
	}
	for _, g := range goals {
		p.Search.Goals = append(p.Search.Goals, goalChoice{ID: g.ID, Title: g.Title})
	}
	if p.ShareByDefault, err = s.store.ShareByDefault(r.Context(), actor); err != nil {
		return err
	}
	q, err := entryQuery(r, viewerZone(actor))
	if err != nil {
		var e *care.Error
		if !errors.As(err, &e) || e.Code != care.Invalid {
			return err
		}
		msg := e.Message
		if e.Field != "" && msg != "" && 'a' <= msg[0] && msg[0] <= 'z' {
			msg = searchFieldLabel(e.Field) + " " + msg
		}
		p.Search.Error, p.Search.Field, p.Newest = sentence(msg), e.Field, true
		s.renderPage(w, r, http.StatusBadRequest, "journal", p)
		return nil
	}
	q.Deleted, q.Limit = true, 20
	page, err := s.store.Entries(r.Context(), actor, actor.UserID, q)
	if err != nil {
		return err
	}
	p.Newest, p.Search.Count = q.Before.IsZero(), len(page.Entries)
	for i := range page.Entries {
		p.Entries = append(p.Entries, s.entryRow(actor, &page.Entries[i], titles))
	}
	if page.More {
		next := searchQuery(r.URL.Query())
		next.Set("before", entryCursor(&page.Entries[len(page.Entries)-1]))
		p.Older = "/journal?" + next.Encode()
		if len(next) > 1 { // words or filters besides the cursor
			for _, k := range slices.Sorted(maps.Keys(next)) {
				for _, v := range next[k] {
					p.OlderSearch = append(p.OlderSearch, hiddenField{Name: k, Value: v})
				}
			}
		}
	}
	s.renderPage(w, r, http.StatusOK, "journal", p)
	return nil
}

// hiddenField is a hidden input of a form.
type hiddenField struct{ Name, Value string }

// searchFieldLabel names a search parameter for a person.
func searchFieldLabel(field string) string {
	switch field {
	case "q":
		return "Words"
	case "mood_min":
		return "Lowest mood"
	case "mood_max":
		return "Highest mood"
	case "goal":
		return "Goal"
	case "shared":
		return "Sharing"
	case "from":
		return "From"
	case "to":
		return "To"
	case "tag":
		return "Tag"
	case "before":
		return "The page"
	}
	return "This field"
}

// journalNotices are the confirmations of the journal's redirects.
var journalNotices = map[string]string{
	"entry-saved":      "Your entry is saved.",
	"entry-shared":     "Your entry is shared with your care team.",
	"entry-deleted":    "The entry is deleted. Its words are gone; the list shows when it was deleted.",
	"journal-settings": "Your sharing setting is saved. Entries you wrote before keep their own setting.",
	"journal-reminder": "Your reminder is saved.",
	"checkin":          "Thank you. Your answer is in your journal, shared with your care team.",
	"checkin-closed":   "That check-in has closed. You can still write in your journal.",
}

// layoutJournal is the layout with a journal confirmation, if one was
// asked for.
func (s *Server) layoutJournal(r *http.Request, title string) Layout {
	l := s.layoutNotice(r, title)
	if n, ok := journalNotices[r.URL.Query().Get("done")]; ok {
		l.Notice = n
	}
	return l
}

// journalVersionsPage is an entry's versions, newest first.
type journalVersionsPage struct {
	Layout
	EntryID  string
	Versions []entryRow
}

// GET /journal/{eid}/versions
func (s *Server) journalVersions(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	vs, err := s.store.EntryVersions(r.Context(), actor, actor.UserID, r.PathValue("eid"))
	if err != nil {
		return err
	}
	goals, _, err := s.goalTitles(r, actor, actor.UserID)
	if err != nil {
		return err
	}
	p := &journalVersionsPage{Layout: s.layout(r, "Earlier versions"), EntryID: r.PathValue("eid")}
	for i := range vs {
		row := s.entryRow(actor, &vs[i].JournalEntry, goals)
		row.Own, row.Edited = false, false
		what := "Version %d, saved %s"
		if vs[i].Current {
			what = "Version %d (current), saved %s"
		}
		row.Versioned = fmt.Sprintf(what, vs[i].Version, localTime(vs[i].UpdatedAt, actor.TimeZone))
		p.Versions = append(p.Versions, row)
	}
	s.renderPage(w, r, http.StatusOK, "journal_versions", p)
	return nil
}

// journalSettingsPage is the client's sharing setting and their
// journaling reminder (reminders.go).
type journalSettingsPage struct {
	Layout
	ShareByDefault bool
	Reminder       reminderForm
}

// GET /journal/settings
func (s *Server) journalSettings(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	p, err := s.journalSettingsData(r, actor)
	if err != nil {
		return err
	}
	s.renderPage(w, r, http.StatusOK, "journal_settings", p)
	return nil
}

// journalSettingsData is the journal settings page as stored.
func (s *Server) journalSettingsData(r *http.Request, actor care.Actor) (*journalSettingsPage, error) {
	on, err := s.store.ShareByDefault(r.Context(), actor)
	if err != nil {
		return nil, err
	}
	rem, err := s.store.JournalReminder(r.Context(), actor)
	if err != nil {
		return nil, err
	}
	return &journalSettingsPage{Layout: s.layoutJournal(r, "Journal settings"), ShareByDefault: on,
		Reminder: newReminderForm(rem, actor.TimeZone)}, nil
}

// POST /journal/settings (share_by_default: "on" or "off")
func (s *Server) journalSettingsSubmit(w http.ResponseWriter, r *http.Request) error {
	actor, err := clientOnly(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	var on bool
	switch r.PostForm.Get("share_by_default") {
	case "on":
		on = true
	case "off":
	default:
		return care.FieldError("share_by_default", "must be on or off")
	}
	if err := s.store.SetShareByDefault(r.Context(), actor, on); err != nil {
		return err
	}
	return redirect(w, r, "/journal/settings?done=journal-settings")
}

// ---- The care team's timeline ----

// journalTimeline is a client's shared entries as their care team sees
// them: on the provider's client page (the "shared_timeline" partial in
// client_record.html), and on its own page, paged.
type journalTimeline struct {
	ClientID string
	Entries  []entryRow
	Older    string // the link to older entries, or ""
	Charts   moodCharts
}

// sharedTimeline gathers a client's timeline of shared entries for
// actor (a member of the care team; the store shows nobody else any),
// the page of entries before q.Before.
func (s *Server) sharedTimeline(r *http.Request, actor care.Actor, clientID string, q store.EntryQuery, base string) (*journalTimeline, error) {
	page, err := s.store.Entries(r.Context(), actor, clientID, q)
	if err != nil {
		return nil, err
	}
	var goals goalTitles
	if hasGoal(page.Entries) {
		if goals, _, err = s.goalTitles(r, actor, clientID); err != nil {
			return nil, err
		}
	}
	tl := s.timelineOf(actor, clientID, page, goals, searchQuery(r.URL.Query())) // the search parameters, if any were sent
	if tl.Charts, err = s.moodCharts(r, actor, clientID, base, "mood"); err != nil {
		return nil, err
	}
	return tl, nil
}

// timelineOf is the timeline of page, without its chart.
// search is the journal search of the page, which its Older link keeps.
func (s *Server) timelineOf(actor care.Actor, clientID string, page store.EntryPage, goals goalTitles, search url.Values) *journalTimeline {
	tl := &journalTimeline{ClientID: clientID}
	for i := range page.Entries {
		tl.Entries = append(tl.Entries, s.entryRow(actor, &page.Entries[i], goals))
	}
	if page.More {
		next := url.Values{}
		for k, v := range search {
			next[k] = v
		}
		next.Set("before", entryCursor(&page.Entries[len(page.Entries)-1]))
		tl.Older = "/clients/" + clientID + "/journal?" + next.Encode()
	}
	return tl
}

// recordTimeline is the newest shared entries of a client, with the mood
// chart, for the provider's client page (client_record.html), from what
// Store.ClientPage read.
func (s *Server) recordTimeline(r *http.Request, actor care.Actor, rec *store.ClientPage, tab string) *journalTimeline {
	goals := goalTitles{}
	for _, g := range rec.Plan.Goals {
		goals[g.ID] = g.Title
	}
	tl := s.timelineOf(actor, rec.Client.ID, rec.Entries, goals, nil)
	tl.Charts = s.moodChartsOf(r, actor, rec.Moods, "/clients/"+rec.Client.ID, "mood")
	tl.Charts.Tab = tab
	return tl
}

// clientJournalPage is a client's shared journal for their care team.
type clientJournalPage struct {
	Layout
	ClientName string
	Timeline   *journalTimeline
}

// GET /clients/{id}/journal?before=: the timeline of a client's shared
// entries, for their care team.
func (s *Server) clientJournal(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if actor.Role == care.RoleClient {
		return redirect(w, r, "/journal") // a client's own journal, private entries too
	}
	id := r.PathValue("id")
	client, err := s.store.Client(r.Context(), actor, id)
	if err != nil {
		return err
	}
	q, err := entryQuery(r, viewerZone(actor))
	if err != nil {
		return err
	}
	q.Limit = 20
	tl, err := s.sharedTimeline(r, actor, id, q, "/clients/"+id+"/journal")
	if err != nil {
		return err
	}
	name := client.DisplayName
	if name == "" || !utf8.ValidString(name) {
		name = "This client"
	}
	s.renderPage(w, r, http.StatusOK, "client_journal", &clientJournalPage{
		Layout: s.layout(r, "Shared journal"), ClientName: name, Timeline: tl,
	})
	return nil
}

// Anchor is the element id of the row's entry: its IDPrefix, "entry-" by
// default, and its id.
func (e entryRow) Anchor() string {
	if e.IDPrefix != "" {
		return e.IDPrefix + e.ID
	}
	return "entry-" + e.ID
}
