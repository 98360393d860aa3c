package web

import (
	"fmt"
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
				t.Fatalf("%s: GET %s: status %d, want %d", tt.name, tt.path, rec.Code, tt.status)
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
	})
}
