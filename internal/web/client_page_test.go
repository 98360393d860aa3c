package web

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"interlude/internal/store/storetest"
)

// TestClientPageOneAuditRow (#18): the provider's client page is one store
// call (Store.ClientPage), so a view of it writes one audit row, and the
// client's access report shows one line per look; a refusal is one row
// too.
func TestClientPageOneAuditRow(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "One Look")
		for _, u := range c.Staff() {
			e.setPassword(t, u)
			e.enrollTOTP(t, u)
		}
		provider, other, admin := e.signIn(t, c.Provider), e.signIn(t, c.OtherProvider), e.signIn(t, c.Admin)
		path := "/clients/" + c.Client.ID
		for _, tt := range []struct {
			name, token, path string
			status            int
			want              string
		}{
			{"the care team", provider, path, 200, "client-page.read success " + c.Provider.ID + " " + c.Client.ID + " " + c.Client.ID},
			{"another team's provider", other, path, 404, "client-page.read denied " + c.OtherProvider.ID + " " + c.Client.ID + " " + c.Client.ID},
			{"an admin without a grant", admin, path, 404, "client-page.read denied " + c.Admin.ID + " " + c.Client.ID + " " + c.Client.ID},
		} {
			before := e.count(t, "audit_events")
			rec := e.call(t, "GET", tt.path, tt.token, nil)
			if rec.Code != tt.status {
				t.Fatalf("%s: GET %s: status %d, want %d: %s", tt.name, tt.path, rec.Code, tt.status, e.log.String())
			}
			if n := e.count(t, "audit_events") - before; n != 1 {
				t.Errorf("%s: GET %s wrote %d audit rows, want 1", tt.name, tt.path, n)
			}
			if got := e.auditOf(t, rec.Header().Get("X-Request-Id")); fmt.Sprint(got) != fmt.Sprint([]string{tt.want}) {
				t.Errorf("%s: audit rows\n got %q\nwant %q", tt.name, got, []string{tt.want})
			}
			if tt.status == 200 && !strings.Contains(rec.Body.String(), "Treatment plan") {
				t.Errorf("%s: the page has no plan: %.300s", tt.name, rec.Body)
			}
		}

		// Each tab is the same one store call, and shows its sections
		// only, with its link marked current; without ?tab= (or with an
		// unknown one) the whole page shows.
		all := []string{"overview", "plan", "tasks", "history", "sessions", "journal", "measures", "checkins", "account"}
		for _, tt := range []struct {
			tab, current string
			want         []string
		}{
			{"", "Overview", []string{"overview", "account"}}, // the page opens at a glance
			{"all", "Everything", []string{"plan", "tasks", "history", "sessions", "journal", "measures", "checkins", "account"}},
			{"nonsense", "Everything", []string{"plan", "tasks", "history", "sessions", "journal", "measures", "checkins", "account"}},
			{"overview", "Overview", []string{"overview", "account"}},
			{"plan", "Plan &amp; tasks", []string{"plan", "tasks", "history"}},
			{"journal", "Journal", []string{"journal"}},
			{"measures", "Measures &amp; check-ins", []string{"measures", "checkins"}},
			{"sessions", "Sessions", []string{"sessions"}},
		} {
			p := path
			if tt.tab != "" {
				p += "?tab=" + tt.tab
			}
			before := e.count(t, "audit_events")
			rec := e.call(t, "GET", p, provider, nil)
			if rec.Code != 200 {
				t.Fatalf("GET %s: %d", p, rec.Code)
			}
			if n := e.count(t, "audit_events") - before; n != 1 {
				t.Errorf("GET %s wrote %d audit rows, want 1", p, n)
			}
			body := rec.Body.String()
			for _, id := range all {
				has, want := strings.Contains(body, `id="`+id+`"`), strings.Contains(" "+strings.Join(tt.want, " ")+" ", " "+id+" ")
				if has != want {
					t.Errorf("GET %s: section %q shown %t, want %t", p, id, has, want)
				}
			}
			nav, _, _ := strings.Cut(body[strings.Index(body, `<nav class="record-tabs"`)+1:], "</nav>")
			cur := regexp.MustCompile(`<a href="[^"]*" aria-current="page">([^<]*)</a>`).FindAllStringSubmatch(nav, -1)
			if len(cur) != 1 || cur[0][1] != tt.current {
				t.Errorf("GET %s: current tab %q, want %q", p, cur, tt.current)
			}
			if tt.tab == "journal" && !strings.Contains(body, `?mood=90&amp;tab=journal#mood"`) {
				t.Errorf("GET %s: the chart's links leave the tab", p)
			}
			seen := map[string]bool{}
			for _, m := range regexp.MustCompile(`\sid="([^"]+)"`).FindAllStringSubmatch(body, -1) {
				if seen[m[1]] {
					t.Errorf("GET %s: the id %q twice", p, m[1])
				}
				seen[m[1]] = true
			}
		}
	})
}
