package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// TestReliableChangeForm: the admin's /people shows the clinic's
// reliable-change thresholds (NHS Talking Therapies' 6 and 4 by default)
// and saves new ones within bounds; a provider may not; the API reads and
// sets the same figures, strictly.
func TestReliableChangeForm(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		e := newPlanEnv(t, db)
		admin := e.signIn(t, e.c.Admin)
		page := e.send(t, envRequest{method: "GET", path: "/settings", token: admin})
		expect(t, page, http.StatusOK, "", "people")
		for _, want := range []string{`name="phq9"`, `value="6"`, `name="gad7"`, `value="4"`, "NHS Talking Therapies"} {
			if !strings.Contains(page.Body.String(), want) {
				t.Errorf("the people page lacks %q", want)
			}
		}
		expect(t, e.postForm(t, "/settings/reliable-change", e.provider, url.Values{"phq9": {"5"}, "gad7": {"4"}}), http.StatusForbidden, "", "a provider sets it")
		rec := e.postForm(t, "/settings/reliable-change", admin, url.Values{"phq9": {"30"}, "gad7": {"4"}})
		expect(t, rec, http.StatusBadRequest, "", "out of bounds")
		if !strings.Contains(rec.Body.String(), `id="reliable-error"`) || !strings.Contains(rec.Body.String(), `value="30"`) {
			t.Errorf("the refusal is not shown at the form")
		}
		expect(t, e.postForm(t, "/settings/reliable-change", admin, url.Values{"phq9": {"5"}, "gad7": {"3"}}), http.StatusSeeOther, "", "saving")
		if got, err := db.Store.ReliableChange(ctx, e.c.Actor(e.c.Provider)); err != nil || got != (care.ReliableChange{PHQ9: 5, GAD7: 3}) {
			t.Fatalf("saved %+v, %v", got, err)
		}

		api := "/api/v1/clinic/reliable-change"
		rec = e.call(t, "GET", api, e.provider, nil)
		expect(t, rec, http.StatusOK, "", "reading")
		if got := respJSON[map[string]int](t, rec); got["phq9"] != 5 || got["gad7"] != 3 {
			t.Errorf("read %v", got)
		}
		expect(t, e.call(t, "GET", api, e.client, nil), http.StatusNotFound, "not_found", "a client reads it")
		for _, body := range []string{`{"phq9": 6}`, `{"phq9": 6, "gad7": 1}`, `{"phq9": 6.5, "gad7": 4}`, `{"phq9": "6", "gad7": 4}`} {
			expect(t, e.send(t, envRequest{method: "PUT", path: api, token: admin, body: body}), http.StatusBadRequest, "invalid", body)
		}
		expect(t, e.call(t, "PUT", api, admin, map[string]int{"phq9": 6, "gad7": 4}), http.StatusOK, "", "back to the default")
		if got, _ := db.Store.ReliableChange(ctx, e.c.Actor(e.c.Provider)); got != (care.ReliableChange{PHQ9: 6, GAD7: 4}) {
			t.Errorf("after PUT %+v", got)
		}
	})
}
