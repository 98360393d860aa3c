package web

import (
	"fmt"
	"strings"
	"testing"

	"interlude/internal/store/storetest"
)

// auditOf returns the audit rows a request wrote, as
// "action outcome actor entity client", in order.
func (e *webEnv) auditOf(t *testing.T, requestID string) []string {
	t.Helper()
	rows, err := e.db.Engine.SQLDB().Query(`SELECT action, outcome, actor_id, entity_id, client_id, addr
		FROM audit_events WHERE request_id = $1 ORDER BY id`, requestID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var action, outcome, actor, entity, client, addr string
		if err := rows.Scan(&action, &outcome, &actor, &entity, &client, &addr); err != nil {
			t.Fatal(err)
		}
		if addr == "" {
			t.Errorf("audit row %s without a source address", action)
		}
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s %s %s", action, outcome, actor, entity, client)))
	}
	return out
}

// TestRequestsAreAudited (AD-01, AC-03): each request writes exactly the
// audit rows it should, with the actor, the record, the client, the
// outcome and the source; a refusal is recorded once, whether the store or
// the route refused it.
func TestRequestsAreAudited(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "Audited Requests")
		for _, u := range append(c.Staff(), c.Client) {
			e.setPassword(t, u)
		}
		e.enrollTOTP(t, c.Provider)
		e.enrollTOTP(t, c.OtherProvider)
		e.enrollTOTP(t, c.Admin)
		provider, other := e.signIn(t, c.Provider), e.signIn(t, c.OtherProvider)
		client, admin := e.signIn(t, c.Client), e.signIn(t, c.Admin)

		tests := []struct {
			name         string
			method, path string
			token        string
			body         any
			status       int
			want         []string
		}{
			{"a wrong password", "POST", "/api/v1/sessions", "", map[string]string{"email": c.Client.Email, "password": "not the right one at all"},
				401, []string{"signin.password denied " + c.Client.ID + " " + c.Client.ID}},
			{"an unknown email", "POST", "/api/v1/sessions", "", map[string]string{"email": "nobody@nowhere.test", "password": "not the right one at all"},
				401, []string{"signin.password denied"}},
			{"a client signs in", "POST", "/api/v1/sessions", "", map[string]string{"email": c.Client.Email, "password": goodPassword},
				201, []string{"signin.password success " + c.Client.ID + " " + c.Client.ID}},
			{"the provider reads their client", "GET", "/api/v1/clients/" + c.Client.ID, provider, nil,
				200, []string{"client.read success " + c.Provider.ID + " " + c.Client.ID + " " + c.Client.ID,
					"appointment.summary success " + c.Provider.ID + "  " + c.Client.ID}},
			{"another team's provider tries", "GET", "/api/v1/clients/" + c.Client.ID, other, nil,
				404, []string{"client.read denied " + c.OtherProvider.ID + " " + c.Client.ID + " " + c.Client.ID}},
			{"the caseload", "GET", "/api/v1/clients", provider, nil,
				200, []string{"client.list success " + c.Provider.ID}},
			{"a client at an admin's list", "GET", "/api/v1/users", client, nil,
				403, []string{"user.list denied " + c.Client.ID}},
			{"a client at a provider's route", "GET", "/api/v1/clients", client, nil,
				403, []string{"request.denied denied " + c.Client.ID + " GET /api/v1/clients"}},
			{"the admin's user list", "GET", "/api/v1/users", admin, nil,
				200, []string{"user.list success " + c.Admin.ID}},
			{"an admin removes a provider from a team", "DELETE", "/api/v1/clients/" + c.Client.ID + "/care-team/" + c.Provider.ID, admin, nil,
				204, []string{"care-team.remove success " + c.Admin.ID + " " + c.Provider.ID + " " + c.Client.ID}},
			{"the removed provider tries again", "GET", "/api/v1/clients/" + c.Client.ID, provider, nil,
				404, []string{"client.read denied " + c.Provider.ID + " " + c.Client.ID + " " + c.Client.ID}},
			{"signing out", "DELETE", "/api/v1/sessions/current", client, nil,
				204, nil}, // checked below: the session id is not known here
		}
		for _, tt := range tests {
			rec := e.call(t, tt.method, tt.path, tt.token, tt.body)
			if rec.Code != tt.status {
				t.Errorf("%s: status %d, want %d: %s", tt.name, rec.Code, tt.status, rec.Body)
				continue
			}
			got := e.auditOf(t, rec.Header().Get("X-Request-Id"))
			if tt.want == nil {
				if len(got) != 1 || !strings.HasPrefix(got[0], "signout success "+c.Client.ID) {
					t.Errorf("%s: audit rows %q", tt.name, got)
				}
				continue
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("%s: audit rows\n got %q\nwant %q", tt.name, got, tt.want)
			}
		}
	})
}
