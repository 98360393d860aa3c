package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// The journal's JSON API (API.md: journal entries). The client writes;
// whoever else may see the client (the care team, an admin through
// break-glass) reads the shared entries, and learns nothing of the others.

// maxJournalBody bounds a journal request. It is well above what the
// largest valid entry needs (10,000 code points, each up to 12 bytes as
// a JSON escape), so that an over-long text is refused by name ("text
// must be at most 10000 characters", 400) rather than as a body too
// large (413) up to a couple of megabytes.
const maxJournalBody = 2 << 20

// symptomsJSON is the "symptoms" object of an entry.
type symptomsJSON struct {
	SleepHours   *float64 `json:"sleep_hours,omitempty"`
	SleepQuality *int     `json:"sleep_quality,omitempty"`
	Energy       *int     `json:"energy,omitempty"`
	Anxiety      *int     `json:"anxiety,omitempty"`
	Pain         *int     `json:"pain,omitempty"`
	Appetite     *int     `json:"appetite,omitempty"`
	Irritability *int     `json:"irritability,omitempty"`
}

// entryJSON is an entry as the API answers it. A tombstone has its id,
// times and deleted_at only.
type entryJSON struct {
	ID                 string        `json:"id"`
	ClientID           string        `json:"client_id"`
	OccurredAt         time.Time     `json:"occurred_at"`
	CreatedAt          time.Time     `json:"created_at"`
	UpdatedAt          time.Time     `json:"updated_at"`
	Version            int           `json:"version"`
	Shared             bool          `json:"shared"`
	DeletedAt          *time.Time    `json:"deleted_at,omitempty"`
	Mood               *int          `json:"mood,omitempty"`
	Emotions           []string      `json:"emotions,omitempty"`
	Symptoms           *symptomsJSON `json:"symptoms,omitempty"`
	Text               string        `json:"text,omitempty"`
	GoalID             string        `json:"goal_id,omitempty"`
	GoalProgress       *int          `json:"goal_progress,omitempty"`
	DiscussNextSession bool          `json:"discuss_next_session"`
	Tags               []string      `json:"tags,omitzero"` // [] when none; absent from a tombstone

	// CrisisResources, in the answer to a write whose words hold crisis
	// language: where to get help now, to show at once.
	CrisisResources []crisisResourceJSON `json:"crisis_resources,omitempty"`
	// SafetyPlan, with the crisis resources, is the API address of the
	// client's safety plan when they have one: to show before them.
	SafetyPlan string `json:"safety_plan,omitempty"`
}

func toEntryJSON(e *care.JournalEntry) entryJSON {
	out := entryJSON{ID: e.ID, ClientID: e.ClientID, OccurredAt: e.OccurredAt, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
		Version: e.Version, Shared: e.Shared}
	if e.Deleted() {
		at := e.DeletedAt
		out.DeletedAt = &at
		return out
	}
	out.Mood, out.Emotions, out.Text, out.GoalID, out.GoalProgress, out.DiscussNextSession =
		e.Mood, e.Emotions, e.Text, e.GoalID, e.GoalProgress, e.Discuss
	out.Tags = e.Tags
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if s := e.Symptoms; !s.Empty() {
		out.Symptoms = &symptomsJSON{s.SleepHours, s.SleepQuality, s.Energy, s.Anxiety, s.Pain, s.Appetite, s.Irritability}
	}
	return out
}

// entryRequest is the body of POST …/journal and PATCH …/journal/{eid}.
// Every field is optional to the decoder; care.JournalEntry.Validate
// says what an entry needs.
type entryRequest struct {
	OccurredAt         *string       `json:"occurred_at"`
	Mood               *int          `json:"mood"`
	Emotions           []string      `json:"emotions"`
	Symptoms           *symptomsJSON `json:"symptoms"`
	Text               *string       `json:"text"`
	GoalID             *string       `json:"goal_id"`
	GoalProgress       *int          `json:"goal_progress"`
	DiscussNextSession *bool         `json:"discuss_next_session"`
	Shared             *bool         `json:"shared"`
	Tags               []string      `json:"tags"`
}

// decodeEntryRequest reads an entry body and returns it with the set of
// keys it holds, which a PATCH needs to tell a field left out (kept) from
// one sent as null (cleared).
func decodeEntryRequest(w http.ResponseWriter, r *http.Request) (*entryRequest, map[string]bool, error) {
	var raw bytes.Buffer
	if r.Body != nil {
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.TeeReader(r.Body, &raw), r.Body}
	}
	var req entryRequest
	if err := decodeJSONLimit(w, r, &req, maxJournalBody); err != nil {
		return nil, nil, err
	}
	present, err := jsonKeys(raw.Bytes())
	return &req, present, err
}

// jsonKeys returns the keys of a JSON object that decodeStrict accepted.
func jsonKeys(data []byte) (map[string]bool, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, care.Errorf(care.Invalid, "request body must be a JSON object")
	}
	keys := make(map[string]bool, len(m))
	for k := range m {
		keys[k] = true
	}
	return keys, nil
}

// apply sets the fields of e that the request holds (present): a value
// replaces the stored one, null clears it. Symptoms are replaced as a
// whole. Clearing the goal clears its progress unless progress is sent.
// It returns the sharing asked for, nil when not given.
func (req *entryRequest) apply(e *care.JournalEntry, present map[string]bool) (shared *bool, err error) {
	if present["occurred_at"] {
		if req.OccurredAt == nil {
			return nil, care.FieldError("occurred_at", "is required")
		}
		t, err := parseAPITime(*req.OccurredAt)
		if err != nil {
			return nil, care.FieldError("occurred_at", "must be an RFC 3339 time, like 2026-11-20T18:30:00Z")
		}
		e.OccurredAt = t
	}
	if present["mood"] {
		e.Mood = req.Mood
	}
	if present["emotions"] {
		e.Emotions = req.Emotions
	}
	if present["symptoms"] {
		e.Symptoms = care.Symptoms{}
		if s := req.Symptoms; s != nil {
			e.Symptoms = care.Symptoms{SleepHours: s.SleepHours, SleepQuality: s.SleepQuality, Energy: s.Energy,
				Anxiety: s.Anxiety, Pain: s.Pain, Appetite: s.Appetite, Irritability: s.Irritability}
		}
	}
	if present["text"] {
		e.Text = ""
		if req.Text != nil {
			e.Text = *req.Text
		}
	}
	if present["goal_id"] {
		e.GoalID = ""
		if req.GoalID != nil {
			e.GoalID = *req.GoalID
		}
		if e.GoalID == "" && !present["goal_progress"] {
			e.GoalProgress = nil
		}
	}
	if present["goal_progress"] {
		e.GoalProgress = req.GoalProgress
	}
	if present["tags"] {
		e.Tags = req.Tags
	}
	if present["discuss_next_session"] {
		e.Discuss = req.DiscussNextSession != nil && *req.DiscussNextSession
	}
	if present["shared"] {
		if req.Shared == nil {
			return nil, care.FieldError("shared", "must be true or false")
		}
		e.Shared = *req.Shared
		return req.Shared, nil
	}
	return nil, nil
}

// parseAPITime reads an RFC 3339 time, in any offset, as UTC.
func parseAPITime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// entryCursor is the "next" of a page of entries and the "before" of the
// next request: the last entry's time in microseconds and its id. A plain
// RFC 3339 time is taken too.
func entryCursor(e *care.JournalEntry) string {
	return strconv.FormatInt(e.OccurredAt.UnixMicro(), 10) + "-" + e.ID
}

// entryQuery reads ?before= and ?limit=, and the search (entryFilter)
// with dates in loc.
func entryQuery(r *http.Request, loc *time.Location) (store.EntryQuery, error) {
	var q store.EntryQuery
	v := r.URL.Query()
	f, err := entryFilter(v, loc)
	if err != nil {
		return q, err
	}
	q.Filter = f
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > care.MaxEntryPageLimit {
			return q, care.FieldError("limit", "must be a whole number from 1 to %d", care.MaxEntryPageLimit)
		}
		q.Limit = n
	}
	if s := v.Get("before"); s != "" {
		if us, id, ok := strings.Cut(s, "-"); ok && care.ValidID(id) {
			n, err := strconv.ParseInt(us, 10, 64)
			if err != nil {
				return q, care.FieldError("before", "must be the next of a page or an RFC 3339 time")
			}
			q.Before, q.BeforeID = time.UnixMicro(n).UTC(), id
		} else if t, err := parseAPITime(s); err == nil {
			q.Before = t
		} else {
			return q, care.FieldError("before", "must be the next of a page or an RFC 3339 time")
		}
	}
	return q, nil
}

// entryFilter reads a journal search from a query: q (words), mood_min,
// mood_max, goal, shared (true or false), from and to (dates, in loc, both
// included, or RFC 3339 times) and tag. Empty parameters are left out, as
// a GET form sends them.
func entryFilter(v url.Values, loc *time.Location) (care.EntryFilter, error) {
	f := care.EntryFilter{Words: v.Get("q"), GoalID: strings.TrimSpace(v.Get("goal")), Tag: v.Get("tag")}
	for _, m := range []struct {
		name string
		dst  **int
	}{{"mood_min", &f.MoodMin}, {"mood_max", &f.MoodMax}} {
		if s := strings.TrimSpace(v.Get(m.name)); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return f, care.FieldError(m.name, "must be a whole number from 0 to %d", care.MaxRating)
			}
			*m.dst = &n
		}
	}
	switch v.Get("shared") {
	case "":
	case "true":
		f.Shared = new(true)
	case "false":
		f.Shared = new(false)
	default:
		return f, care.FieldError("shared", "must be true or false")
	}
	day := func(name string, next bool) (time.Time, error) {
		s := strings.TrimSpace(v.Get(name))
		if s == "" {
			return time.Time{}, nil
		}
		if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
			if next {
				t = t.AddDate(0, 0, 1) // "to" includes its day
			}
			return t.UTC(), nil
		}
		if t, err := parseAPITime(s); err == nil {
			return t, nil
		}
		return time.Time{}, care.FieldError(name, "must be a date, like 2026-11-20")
	}
	var err error
	if f.From, err = day("from", false); err != nil {
		return f, err
	}
	if f.To, err = day("to", true); err != nil {
		return f, err
	}
	return f, f.Validate()
}

// GET /api/v1/clients/{id}/journal?before=&limit=&q=&mood_min=&mood_max=&goal=&shared=&from=&to=&tag=
func (s *Server) apiJournal(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	q, err := entryQuery(r, viewerZone(actor))
	if err != nil {
		return err
	}
	q.Deleted = true // the client sees their tombstones; nobody else ever does
	page, err := s.store.Entries(r.Context(), actor, r.PathValue("id"), q)
	if err != nil {
		return err
	}
	out := struct {
		Entries []entryJSON `json:"entries"`
		Next    string      `json:"next,omitempty"`
	}{Entries: []entryJSON{}}
	for i := range page.Entries {
		out.Entries = append(out.Entries, toEntryJSON(&page.Entries[i]))
	}
	if page.More {
		out.Next = entryCursor(&page.Entries[len(page.Entries)-1])
	}
	return writeJSON(w, http.StatusOK, out)
}

// POST /api/v1/clients/{id}/journal
func (s *Server) apiJournalCreate(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	req, present, err := decodeEntryRequest(w, r)
	if err != nil {
		return err
	}
	var e care.JournalEntry
	shared, err := req.apply(&e, present)
	if err != nil {
		return err
	}
	clientID := r.PathValue("id")
	if err := s.store.CreateEntry(r.Context(), actor, clientID, &e, shared); err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/clients/"+clientID+"/journal/"+e.ID)
	out := toEntryJSON(&e)
	if out.CrisisResources, err = s.crisisFor(r, actor, e.Crisis); err != nil {
		return err
	}
	if out.SafetyPlan, err = s.safetyPlanFor(r, actor, e.Crisis); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// GET /api/v1/clients/{id}/journal/{eid}
func (s *Server) apiJournalEntry(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	e, err := s.store.Entry(r.Context(), actor, r.PathValue("id"), r.PathValue("eid"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toEntryJSON(e))
}

// PATCH /api/v1/clients/{id}/journal/{eid}: the fields sent replace the
// stored ones (null clears one); the entry before is kept as a version.
func (s *Server) apiJournalUpdate(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	req, present, err := decodeEntryRequest(w, r)
	if err != nil {
		return err
	}
	e, err := s.store.UpdateEntry(r.Context(), actor, r.PathValue("id"), r.PathValue("eid"), func(e *care.JournalEntry) error {
		_, err := req.apply(e, present)
		return err
	})
	if err != nil {
		return err
	}
	out := toEntryJSON(e)
	if out.CrisisResources, err = s.crisisFor(r, actor, e.Crisis); err != nil {
		return err
	}
	if out.SafetyPlan, err = s.safetyPlanFor(r, actor, e.Crisis); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// DELETE /api/v1/clients/{id}/journal/{eid}: leaves a tombstone.
func (s *Server) apiJournalDelete(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := s.store.DeleteEntry(r.Context(), actor, r.PathValue("id"), r.PathValue("eid")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// versionJSON is one version of an entry.
type versionJSON struct {
	entryJSON
	SavedAt time.Time `json:"saved_at"`
	Current bool      `json:"current"`
}

// GET /api/v1/clients/{id}/journal/{eid}/versions: the client's own
// entry's versions, the current one first.
func (s *Server) apiJournalVersions(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	vs, err := s.store.EntryVersions(r.Context(), actor, r.PathValue("id"), r.PathValue("eid"))
	if err != nil {
		return err
	}
	out := []versionJSON{}
	for i := range vs {
		out = append(out, versionJSON{entryJSON: toEntryJSON(&vs[i].JournalEntry), SavedAt: vs[i].UpdatedAt, Current: vs[i].Current})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"versions": out})
}

// journalSettingsJSON is the client's journal settings.
type journalSettingsJSON struct {
	ShareByDefault *bool `json:"share_by_default"`
}

// GET /api/v1/me/journal-settings
func (s *Server) apiJournalSettings(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	on, err := s.store.ShareByDefault(r.Context(), actor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, journalSettingsJSON{ShareByDefault: &on})
}

// PUT /api/v1/me/journal-settings {share_by_default}
func (s *Server) apiSetJournalSettings(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	var req journalSettingsJSON
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.ShareByDefault == nil {
		return care.FieldError("share_by_default", "is required: true or false")
	}
	if err := s.store.SetShareByDefault(r.Context(), actor, *req.ShareByDefault); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, req)
}
