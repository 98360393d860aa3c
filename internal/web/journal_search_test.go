package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

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
