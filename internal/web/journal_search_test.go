package web

import (
	"html"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// TestJournalSearchAPI: the journal list takes the search's query
// parameters; entries carry their tags; bad parameters are a 400 that
// names the parameter.
func TestJournalSearchAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		j := newJournalEnv(t, db)
		cafe := j.mustPost(t, map[string]any{"occurred_at": j.ago(time.Hour), "mood": 7, "text": "Coffee at the Café", "tags": []string{"Work", "#family"}, "shared": true})
		walk := j.mustPost(t, map[string]any{"occurred_at": j.ago(30 * time.Hour), "mood": 3, "text": "A long walk"})
		if !slices.Equal(cafe.Tags, []string{"work", "family"}) || walk.Tags == nil || len(walk.Tags) != 0 {
			t.Errorf("tags: %q and %q", cafe.Tags, walk.Tags)
		}
		today := j.db.Clock.Now().UTC().Format(time.DateOnly)
		list := func(query string) []string {
			t.Helper()
			rec := j.call(t, "GET", j.clientPath+"?"+query, j.client, nil)
			expect(t, rec, http.StatusOK, "", query)
			var ids []string
			for _, e := range respJSON[entriesJSON](t, rec).Entries {
				ids = append(ids, e.ID)
			}
			return ids
		}
		for query, want := range map[string][]string{
			"q=cafe":                      {cafe.ID},
			"q=WALK":                      {walk.ID},
			"tag=Work":                    {cafe.ID},
			"mood_min=2&mood_max=4":       {walk.ID},
			"shared=false":                {walk.ID},
			"from=" + today:               {cafe.ID},
			"q=&tag=&from=&to=&mood_min=": {cafe.ID, walk.ID},
			"q=nothing":                   nil,
		} {
			if got := list(query); !slices.Equal(got, want) {
				t.Errorf("%s: got %q, want %q", query, got, want)
			}
		}
		for query, field := range map[string]string{
			"mood_min=abc":                       "mood_min",
			"mood_min=7&mood_max=3":              "mood_min",
			"from=2026-11-20&to=2026-11-19":      "from",
			"from=yesterday":                     "from",
			"shared=maybe":                       "shared",
			"q=" + strings.Repeat("a", 101):      "q",
			"tag=" + url.QueryEscape("<script>"): "tag",
		} {
			rec := j.call(t, "GET", j.clientPath+"?"+query, j.client, nil)
			expect(t, rec, http.StatusBadRequest, "invalid", query)
			if !strings.Contains(rec.Body.String(), field) {
				t.Errorf("%s: the error does not name %s: %s", query, field, rec.Body)
			}
		}
		// PATCH replaces the tags; bad tags change nothing.
		expect(t, j.call(t, "PATCH", j.clientPath+"/"+walk.ID, j.client, map[string]any{"tags": []string{"outdoors"}}), 200, "", "tagging")
		expect(t, j.call(t, "PATCH", j.clientPath+"/"+walk.ID, j.client, map[string]any{"tags": []string{strings.Repeat("x", 31)}}), 400, "invalid", "a long tag")
		if got := list("tag=outdoors"); !slices.Equal(got, []string{walk.ID}) {
			t.Errorf("after tagging: %q", got)
		}
	})
}

// TestJournalSearchPage: the journal page searches by a GET form; the
// count, "No entries match" and Clear show; the older link keeps the
// search; a bad parameter is a message on the page; tags are written on
// the full form; no search word reaches the log or the audit trail.
func TestJournalSearchPage(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		j := newJournalEnv(t, db)
		at := j.db.Clock.Now().Add(-3 * time.Hour).UTC().Format("2006-01-02T15:04")
		rec := j.form(t, "/journal", j.client, url.Values{"occurred_at": {at}, "mood": {"4"}, "text": {"Pelican at the lake"}, "tags": {"Birds, outdoors"}})
		expect(t, rec, 303, "", "an entry with tags")
		rec = j.form(t, "/journal", j.client, url.Values{"occurred_at": {at}, "mood": {"4"}, "text": {"x"}, "tags": {strings.Repeat("y", 31)}})
		expect(t, rec, 400, "", "a tag too long")
		if b := rec.Body.String(); !strings.Contains(b, `href="#tags"`) || !strings.Contains(b, "Tags must each be at most 30 characters") {
			t.Errorf("the refused form lacks the tag error")
		}
		for i := range 21 {
			j.mustPost(t, map[string]any{"occurred_at": j.ago(time.Duration(5+i) * time.Hour), "mood": 6, "text": "Ordinary day"})
		}

		page := j.call(t, "GET", "/journal?q=PELICAN", j.client, nil)
		expect(t, page, 200, "", "a search")
		b := page.Body.String()
		for _, want := range []string{"Pelican at the lake", "1 entry matches", `href="/journal">Clear</a>`, "birds, outdoors", `<details class="journal-search" open>`, `value="PELICAN"`} {
			if !strings.Contains(b, want) {
				t.Errorf("the search page lacks %s", want)
			}
		}
		if strings.Contains(b, "Ordinary day") {
			t.Error("the search shows an entry that does not match")
		}
		if b := j.call(t, "GET", "/journal?tag=birds", j.client, nil).Body.String(); !strings.Contains(b, "Pelican at the lake") || strings.Contains(b, "Ordinary day") {
			t.Error("the tag filter")
		}
		if b := j.call(t, "GET", "/journal?q=zebra", j.client, nil).Body.String(); !strings.Contains(b, "No entries match.") {
			t.Error("no match")
		}

		// The search is posted (its words stay out of the URL), and paging
		// keeps it, as the hidden fields of a post.
		b = j.form(t, "/journal/search", j.client, url.Values{"q": {"ordinary"}, "mood_min": {"5"}}).Body.String()
		older := regexp.MustCompile(`(?s)<form method="post" action="/journal/search" class="inline">(.*?)</form>`).FindStringSubmatch(b)
		if older == nil || !strings.Contains(older[1], "Older entries") {
			t.Fatal("no form for older matches")
		}
		if strings.Contains(b, "q=ordinary") {
			t.Error("the search's words are in a link of the page")
		}
		next := url.Values{}
		for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(older[1], -1) {
			next.Add(m[1], html.UnescapeString(m[2]))
		}
		if next.Get("q") != "ordinary" || next.Get("mood_min") != "5" || next.Get("before") == "" {
			t.Errorf("the older form drops the search: %v", next)
		}
		b = j.form(t, "/journal/search", j.client, next).Body.String()
		if strings.Count(b, "Ordinary day") != 1 || strings.Contains(b, "Pelican") {
			t.Errorf("the second page of the search has %d matches", strings.Count(b, "Ordinary day"))
		}
		expect(t, j.form(t, "/journal/search", j.provider, url.Values{"q": {"ordinary"}}), 404, "", "a provider's post to a client's search")

		// Bad input: a message on the page, no entries listed.
		for query, want := range map[string]string{
			"mood_min=abc":                  "Lowest mood must be a whole number",
			"from=2026-11-20&to=2026-11-19": "From must be before the end of the period",
			"q=" + strings.Repeat("a", 101): "Words must be at most 100 characters",
		} {
			rec := j.call(t, "GET", "/journal?"+query, j.client, nil)
			expect(t, rec, 400, "", query)
			if b := rec.Body.String(); !strings.Contains(b, want) || !strings.Contains(b, `role="alert"`) || strings.Contains(b, "Ordinary day") {
				t.Errorf("%s: the page lacks %q, or lists entries", query, want)
			}
		}

		// No search word in the log or the audit trail.
		if strings.Contains(strings.ToLower(j.log.String()), "pelican") || strings.Contains(j.log.String(), "zebra") {
			t.Error("a search word is in the log")
		}
		var n int
		if err := j.db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM audit_events WHERE lower(COALESCE(reason, '')) LIKE '%pelican%' OR lower(COALESCE(reason, '')) LIKE '%zebra%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d audit rows hold a search word", n)
		}
	})
}

// FuzzEntryFilter: any query string either is refused as Invalid or gives
// a filter that validates again unchanged, with a sane period and mood
// range.
func FuzzEntryFilter(f *testing.F) {
	f.Add("q=caf%C3%A9&mood_min=3&mood_max=7&from=2026-11-01&to=2026-11-30&tag=%23Work&shared=true")
	f.Add("mood_min=abc&from=2026-11-20&to=2026-11-19")
	f.Add("from=2026-11-20T10:00:00%2B05:00&to=9999-12-31&q=%FF")
	f.Fuzz(func(t *testing.T, query string) {
		v, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		loc, _ := time.LoadLocation("America/Chicago")
		ef, err := entryFilter(v, loc)
		if err != nil {
			if care.ErrorCode(err) != care.Invalid {
				t.Fatalf("%q: %v, want Invalid", query, err)
			}
			return
		}
		again := ef
		if err := again.Validate(); err != nil || !reflect.DeepEqual(again, ef) {
			t.Fatalf("%q: validates again as %+v, %v; first %+v", query, again, err, ef)
		}
		if !ef.From.IsZero() && !ef.To.IsZero() && !ef.From.Before(ef.To) {
			t.Fatalf("%q: period %v to %v", query, ef.From, ef.To)
		}
		if ef.MoodMin != nil && ef.MoodMax != nil && *ef.MoodMin > *ef.MoodMax {
			t.Fatalf("%q: mood %d to %d", query, *ef.MoodMin, *ef.MoodMax)
		}
	})
}
