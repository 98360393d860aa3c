package web

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"interlude/internal/auth"
	"interlude/internal/care"
	"interlude/internal/store"
	"interlude/internal/store/storetest"
)

// The authorization matrix (AC-03, AC-08). authzPolicy says, for every
// route of routeTable, which status each kind of caller gets for each
// target the route's path can name; authzRequests says how to make such a
// request; TestAuthorizationMatrix walks the route table and checks every
// cell against a server on each engine. A route in neither authzPolicy
// nor authzExempt fails the test, so no new route goes unchecked.

// caller is who makes a request: a signed-in user of clinic A in one of
// the three roles, or nobody.
type caller string

const (
	asClient    caller = "client"
	asProvider  caller = "provider"
	asAdmin     caller = "admin"
	asAnonymous caller = "anonymous"
)

var matrixCallers = []caller{asClient, asProvider, asAdmin, asAnonymous}

// target is what a request's path names, relative to the caller.
//
// For users, clients, sessions, passkeys and passkey ceremonies it is whose
// they are. With two seeded clinics A and B (storetest.SeedClinic):
//
//	caller       self         same-team     same-clinic     other-clinic
//	client       A.Client     A.Provider    A.OtherClient   B.Client
//	provider     A.Provider   A.Client      A.OtherClient   B.Client
//	admin        A.Admin      A.Client      A.OtherClient   B.Client
//	anonymous    A.Client     A.Provider    A.OtherClient   B.Client
//
// Admins are on no care team: for them same-team and same-clinic both name
// a client of their clinic. A request that would change its target gets a
// new user in the same relation instead, so that each cell starts fresh;
// "missing" is an id that names nothing.
type target string

const (
	noTarget target = ""

	tSelf    target = "self"
	tTeam    target = "same-team"
	tClinic  target = "same-clinic"
	tOther   target = "other-clinic"
	tMissing target = "missing"

	// Invitation tokens.
	tOpen    target = "open"
	tUsed    target = "used"
	tExpired target = "expired"

	// The role an invitation is for.
	tInviteClient   target = "invite-client"
	tInviteProvider target = "invite-provider"
	tInviteAdmin    target = "invite-admin"
)

var (
	whoseTargets   = []target{tSelf, tTeam, tClinic, tOther, tMissing}
	tokenTargets   = []target{tOpen, tUsed, tExpired, tMissing}
	inviteeTargets = []target{tInviteClient, tInviteProvider, tInviteAdmin}
)

// authzPolicy is the access policy of the JSON API, route by route. A
// record the caller may not see answers 404 exactly as a missing one; a
// route for signed-in users answers anyone else 401 unauthenticated.
var authzPolicy = map[string]func(c caller, tg target) int{
	// The API's OpenAPI description (issue #17): public, holds no record.
	"GET /api/v1/openapi.json": anyoneGets(200),

	// Identity and access.
	"POST /api/v1/sessions":           anyoneGets(201), // signing in, whether signed in already or not
	"GET /api/v1/sessions":            signedInGets(200),
	"DELETE /api/v1/sessions":         signedInGets(200),
	"DELETE /api/v1/sessions/current": signedInGets(204),
	// A wrong password answers 400 on the field, whoever is signed in.
	"POST /api/v1/sessions/current/confirm": signedInGets(400),
	// "Stay signed in" (#18): the caller's own session, nobody else's.
	"POST /api/v1/sessions/current/touch": signedInGets(200),
	"DELETE /api/v1/sessions/{id}":        ownOnly(204),
	"GET /api/v1/me":                      signedInGets(200),
	// The caller's own account (#17); a wrong current password answers
	// 400 on its field, whoever is signed in.
	"PATCH /api/v1/me":                   signedInGets(200),
	"POST /api/v1/me/password":           signedInGets(400),
	"POST /api/v1/me/email":              signedInGets(400),
	"POST /api/v1/email-changes/{token}": tokenHolder(204),
	"POST /api/v1/me/totp": func(c caller, _ target) int {
		switch c {
		case asAnonymous:
			return 401
		case asClient:
			return 201
		}
		return 409 // a working authenticator app is not replaced here; staff always have one
	},
	"POST /api/v1/me/totp/confirm":   signedInGets(204),
	"POST /api/v1/me/recovery-codes": signedInGets(201),
	"POST /api/v1/invitations": func(c caller, tg target) int {
		switch {
		case c == asAnonymous:
			return 401
		case c == asAdmin && (tg == tInviteProvider || tg == tInviteAdmin), c == asProvider && tg == tInviteClient:
			return 201
		}
		return 403 // admins invite staff, providers invite clients, clients nobody
	},
	"GET /api/v1/invitations/{token}":         tokenHolder(200),
	"POST /api/v1/invitations/{token}/accept": tokenHolder(201),
	"GET /api/v1/users":                       onlyRole(asAdmin, 200),
	"POST /api/v1/users/{id}/disable":         adminOfClinic,
	"POST /api/v1/users/{id}/enable":          adminOfClinic,
	// Issue #17: an admin corrects anyone's name and email in the clinic,
	// their own included.
	"PATCH /api/v1/users/{id}": func(c caller, tg target) int {
		switch {
		case c == asAnonymous:
			return 401
		case c == asAdmin && (tg == tSelf || tg == tTeam || tg == tClinic):
			return 200
		}
		return 404
	},
	// Pending invitations (#17): an admin manages the clinic's, a
	// provider their own; see invitationTarget.
	"GET /api/v1/invitations": func(c caller, _ target) int {
		switch c {
		case asAnonymous:
			return 401
		case asAdmin, asProvider:
			return 200
		}
		return 404
	},
	"POST /api/v1/invitations/{id}/resend": invitationManager(200),
	"DELETE /api/v1/invitations/{id}":      invitationManager(204),
	// A reset link (#17): a provider for a client of their care team, an
	// admin for anyone of the clinic, themself included.
	"POST /api/v1/users/{id}/password-reset": func(c caller, tg target) int {
		switch {
		case c == asAnonymous:
			return 401
		case c == asProvider && tg == tTeam, c == asAdmin && (tg == tSelf || tg == tTeam || tg == tClinic):
			return 201
		}
		return 404
	},
	"POST /api/v1/users/{id}/mfa-reset": adminOfClinic,
	// Without email configured (the test server's), asking for a link by
	// email is not offered.
	"POST /api/v1/password-resets":         anyoneGets(404),
	"GET /api/v1/password-resets/{token}":  tokenHolder(200),
	"POST /api/v1/password-resets/{token}": tokenHolder(204),

	// Passkeys.
	"POST /api/v1/me/passkeys/register/begin": signedInGets(200),
	// A made-up credential fails verification: a signed-in caller's own
	// ceremony gets that far (400 on credential); anyone else's answers
	// 400 on challenge_id exactly as a missing one.
	"POST /api/v1/me/passkeys/register/finish": signedInGets(400),
	"GET /api/v1/me/passkeys":                  signedInGets(200),
	"DELETE /api/v1/me/passkeys/{id}":          ownOnly(204),
	// Only a session waiting for its second factor (a web sign-in) may use
	// these; a full session or none is unauthenticated.
	"POST /api/v1/passkeys/login/begin":  anyoneGets(401),
	"POST /api/v1/passkeys/login/finish": anyoneGets(401),

	// Clients.
	"GET /api/v1/clients": onlyRole(asProvider, 200),
	"GET /api/v1/clients/{id}": func(c caller, tg target) int {
		switch {
		case c == asAnonymous:
			return 401
		case c == asClient && tg == tSelf, c == asProvider && tg == tTeam:
			return 200
		}
		return 404 // admins read no client record (AC-02)
	},
	"DELETE /api/v1/clients/{id}":                   careTeamAdmin, // EN-05: an admin of the client's clinic
	"GET /api/v1/clinic/retention":                  adminOnly(200),
	"PUT /api/v1/clinic/retention":                  adminOnly(200),
	"PUT /api/v1/clients/{id}/care-team/{provider}": careTeamAdmin,
	"PUT /api/v1/clients/{id}/care-team":            careTeamAdmin,
	"GET /api/v1/clients/{id}/care-team": func(c caller, tg target) int {
		if careTeamAdmin(c, tg) == 204 {
			return 200
		}
		return careTeamAdmin(c, tg)
	},
	"DELETE /api/v1/clients/{id}/care-team/{provider}": careTeamAdmin,

	// Break-glass (AC-06) and notices; see breakglass_test.go.
	"POST /api/v1/break-glass":        breakGlassPolicy,
	"DELETE /api/v1/break-glass/{id}": breakGlassEndPolicy,
	"GET /api/v1/notices":             signedInGets(200),
	"POST /api/v1/notices/{id}/read":  noticeReadPolicy,

	// Reading the audit trail (AD-05); see audit_pages_test.go.
	"GET /api/v1/audit":                   adminOnly(200),
	"GET /api/v1/clients/{id}/access-log": accessLogPolicy,

	// The journal; see journal_test.go.
	"GET /api/v1/clients/{id}/journal":                journalListPolicy,
	"POST /api/v1/clients/{id}/journal":               journalWritePolicy(201),
	"GET /api/v1/clients/{id}/journal/{eid}":          journalEntryPolicy,
	"PATCH /api/v1/clients/{id}/journal/{eid}":        journalWritePolicy(200),
	"DELETE /api/v1/clients/{id}/journal/{eid}":       journalWritePolicy(204),
	"GET /api/v1/clients/{id}/journal/{eid}/versions": journalWritePolicy(200),
	"GET /api/v1/me/journal-settings":                 journalSettingsPolicy,
	"PUT /api/v1/me/journal-settings":                 journalSettingsPolicy,
	"GET /api/v1/me/journal-reminder":                 journalSettingsPolicy,
	"PUT /api/v1/me/journal-reminder":                 journalSettingsPolicy,

	// Trackers; see trackers_test.go.
	"GET /api/v1/tracker-templates":                            libraryPolicy(200),
	"POST /api/v1/tracker-templates":                           libraryPolicy(201),
	"GET /api/v1/tracker-templates/{tid}":                      templatePolicy(200),
	"PUT /api/v1/tracker-templates/{tid}":                      templatePolicy(200),
	"GET /api/v1/clients/{id}/trackers":                        clientOrTeam(200),
	"POST /api/v1/clients/{id}/trackers":                       teamOnly(201),
	"PATCH /api/v1/clients/{id}/trackers/{trid}":               teamOnly(200),
	"DELETE /api/v1/clients/{id}/trackers/{trid}":              teamOnly(204),
	"GET /api/v1/clients/{id}/trackers/{trid}/entries":         clientOrTeam(200),
	"POST /api/v1/clients/{id}/trackers/{trid}/entries":        clientAlone(201),
	"GET /api/v1/clients/{id}/trackers/{trid}/entries/{eid}":   journalEntryPolicy,
	"PATCH /api/v1/clients/{id}/trackers/{trid}/entries/{eid}": journalWritePolicy(200),

	// Notification settings and push subscriptions; see notify_test.go.
	"GET /api/v1/me/notification-settings":      signedInGets(200),
	"PUT /api/v1/me/notification-settings":      signedInGets(200),
	"GET /api/v1/me/push-subscriptions":         signedInGets(200),
	"POST /api/v1/me/push-subscriptions":        signedInGets(201),
	"DELETE /api/v1/me/push-subscriptions/{id}": ownOnly(204),

	// The plan, sessions and tasks; see plan_test.go.
	"GET /api/v1/clients/{id}/plan":                       clientOrTeam(200),
	"PUT /api/v1/clients/{id}/plan":                       teamOnly(200),
	"GET /api/v1/clients/{id}/plan/versions":              teamOnly(200),
	"GET /api/v1/clients/{id}/plan/versions/{version}":    teamOnly(200),
	"POST /api/v1/clients/{id}/plan/goals/{gid}/comments": clientOrTeam(201),
	// The safety plan: the client and the care team read and write it.
	"GET /api/v1/clients/{id}/safety-plan":                   clientOrTeam(200),
	"PUT /api/v1/clients/{id}/safety-plan":                   clientOrTeam(200),
	"GET /api/v1/clients/{id}/sessions":                      clientOrTeam(200),
	"POST /api/v1/clients/{id}/sessions":                     teamOnly(201),
	"PATCH /api/v1/clients/{id}/sessions/{sid}":              teamOnly(200),
	"GET /api/v1/clients/{id}/tasks":                         clientOrTeam(200),
	"POST /api/v1/clients/{id}/tasks":                        teamOnly(201),
	"POST /api/v1/clients/{id}/tasks/{tid}/complete":         clientAlone(201),
	"DELETE /api/v1/clients/{id}/tasks/{tid}/complete/{day}": clientAlone(204), // TestTaskUndo

	// Measures: measures_test.go.
	"GET /api/v1/instruments":                            signedInGets(200),
	"GET /api/v1/clients/{id}/measures":                  clientOrTeam(200),
	"POST /api/v1/clients/{id}/measures":                 teamOnly(201),
	"DELETE /api/v1/clients/{id}/measures/{mid}":         teamOnly(204),
	"POST /api/v1/clients/{id}/measures/{mid}/responses": clientAlone(201),
	"GET /api/v1/clients/{id}/brief":                     careTeamAlone(200), // brief_test.go
	"GET /api/v1/clients/{id}/export":                    clientOrTeam(200),  // rightofaccess_test.go

	// Messages and the real-time stream; see messages_test.go.
	"GET /api/v1/clients/{id}/messages":                         clientOrTeam(200),
	"POST /api/v1/clients/{id}/messages":                        clientOrTeam(201),
	"POST /api/v1/clients/{id}/messages/{mid}/read":             clientOrTeam(204),
	"PATCH /api/v1/clients/{id}/messages/{mid}":                 clientOrTeam(200),
	"GET /api/v1/clients/{id}/messages/{mid}/versions":          clientOrTeam(200),
	"GET /api/v1/clients/{id}/messages/{mid}/attachments/{aid}": clientOrTeam(200),
	"GET /api/v1/events":                                        signedInGets(400), // a bad last_event_id: the stream itself is TestEvents

	// Check-ins; see checkins_test.go.
	"GET /api/v1/clients/{id}/checkins":               clientOrTeam(200),
	"PUT /api/v1/clients/{id}/checkins":               teamOnly(200),
	"POST /api/v1/clients/{id}/checkins/{cid}/answer": clientAlone(201),
	// Safety flags and crisis resources; see safety_test.go.
	"GET /api/v1/safety-flags":                                 onlyRole(asProvider, 200),
	"GET /api/v1/clients/{id}/safety-flags":                    careTeamAlone(200),
	"POST /api/v1/clients/{id}/safety-flags/{fid}/acknowledge": careTeamAlone(200),
	"POST /api/v1/clients/{id}/safety-flags/{fid}/screener":    clientAlone(201),
	"GET /api/v1/clinic/crisis-line":                           signedInGets(200),
	"PUT /api/v1/clinic/crisis-line":                           onlyRole(asAdmin, 200),
	"GET /api/v1/clinic/crisis-resources":                      signedInGets(200),
	"PUT /api/v1/clinic/crisis-resources":                      onlyRole(asAdmin, 200),
	"GET /api/v1/clinic/safety-settings":                       staffGets(200),
	"PUT /api/v1/clinic/safety-settings":                       onlyRole(asAdmin, 200),
	"GET /api/v1/clinic/reliable-change":                       staffGets(200),
	"PUT /api/v1/clinic/reliable-change":                       onlyRole(asAdmin, 200),
	"GET /api/v1/me/office-hours":                              onlyRole(asProvider, 200),
	"PUT /api/v1/me/office-hours":                              onlyRole(asProvider, 200),
	"GET /api/v1/clients/{id}/messaging":                       clientOrTeam(200),
	"PUT /api/v1/clients/{id}/messaging":                       teamOnly(200),

	"/api/": anyoneGets(404), // no such API route

	// FHIR R4; see fhir_test.go.
	"GET /fhir/R4/metadata":                 anyoneGets(200),
	"GET /fhir/R4/CodeSystem/{id}":          anyoneGets(200),
	"GET /fhir/R4/Patient/{id}/$everything": clientOrTeam(200),
	"GET /fhir/R4/{type}/{id}":              clientOrTeam(200),
	"GET /fhir/R4/{type}":                   clientOrTeam(200),
	"/fhir/":                                anyoneGets(404),
}

func anyoneGets(status int) func(caller, target) int {
	return func(caller, target) int { return status }
}

// signedInGets: every signed-in caller gets status.
func signedInGets(status int) func(caller, target) int {
	return func(c caller, _ target) int {
		if c == asAnonymous {
			return 401
		}
		return status
	}
}

// ownOnly: the caller's own record, and nobody else's.
func ownOnly(status int) func(caller, target) int {
	return func(c caller, tg target) int {
		switch {
		case c == asAnonymous:
			return 401
		case tg == tSelf:
			return status
		}
		return 404
	}
}

// onlyRole: one role; the others are refused outright.
func onlyRole(role caller, status int) func(caller, target) int {
	return func(c caller, _ target) int {
		switch c {
		case asAnonymous:
			return 401
		case role:
			return status
		}
		return 403
	}
}

// tokenHolder: whoever holds an open invitation's token, signed in or not.
func tokenHolder(status int) func(caller, target) int {
	return func(_ caller, tg target) int {
		if tg == tOpen {
			return status
		}
		return 404
	}
}

// adminOfClinic: an admin manages the users of their clinic, but not
// their own account; nobody else sees the route's records.
func adminOfClinic(c caller, tg target) int {
	switch {
	case c == asAnonymous:
		return 401
	case c != asAdmin:
		return 404
	case tg == tSelf:
		return 409
	case tg == tTeam, tg == tClinic:
		return 204
	}
	return 404
}

// careTeamAdmin: an admin changes the care teams of their clinic's clients.
// adminOnly: a clinic's admin gets status, about their own clinic.
func adminOnly(status int) func(caller, target) int {
	return func(c caller, _ target) int {
		switch c {
		case asAnonymous:
			return 401
		case asAdmin:
			return status
		}
		return 404
	}
}

// invitationManager: an admin manages every invitation of the clinic, a
// provider the ones they made (tSelf); see authzWorld.pendingInvitation.
func invitationManager(status int) func(caller, target) int {
	return func(c caller, tg target) int {
		switch {
		case c == asAnonymous:
			return 401
		case c == asAdmin && tg != tOther && tg != tMissing, c == asProvider && tg == tSelf:
			return status
		}
		return 404
	}
}

func careTeamAdmin(c caller, tg target) int {
	switch {
	case c == asAnonymous:
		return 401
	case c == asAdmin && (tg == tTeam || tg == tClinic):
		return 204
	}
	return 404
}

// authzExempt lists the routes outside the matrix, with the reason. Only
// routes outside /api/ may be here.
var authzExempt = map[string]string{
	"GET /healthz":       "operations: answers anyone, holds no data",
	"GET /metrics":       "operations: counts by route pattern, nothing per user and no PHI; the operator's bearer token, not a session (metrics.go)",
	"GET /static/{file}": "public assets",
	"GET /{$}":           "the home page, public when signed out",
	"/":                  "pages that do not exist: 404 for anyone",

	// HTML pages with cookie sessions. Each makes the same store calls as
	// the API route named, whose SQL carries the authorization that the
	// matrix checks through the API; a page matrix is still to be written.
	"GET /signin":                                   "public sign-in form",
	"GET /signin/forgot":                            "public: how to get a reset link",
	"GET /account/confirm":                          "the signed-in caller's own form; as POST /api/v1/sessions/current/confirm",
	"GET /account/new-codes":                        "the signed-in caller's own codes, from their cookie; as POST /api/v1/me/recovery-codes",
	"POST /account/profile":                         "as PATCH /api/v1/me",
	"POST /account/password":                        "as POST /api/v1/me/password",
	"POST /account/email":                           "as POST /api/v1/me/email",
	"GET /email-confirm/{token}":                    "a page with a button, changing nothing; as POST /api/v1/email-changes/{token}",
	"POST /email-confirm":                           "as POST /api/v1/email-changes/{token}, the token in the form",
	"POST /account/confirm":                         "as POST /api/v1/sessions/current/confirm",
	"POST /signin/forgot":                           "as POST /api/v1/password-resets",
	"GET /reset/{token}":                            "as GET /api/v1/password-resets/{token}",
	"GET /reset":                                    "as GET /api/v1/password-resets/{token}, the token in a cookie",
	"POST /reset":                                   "as POST /api/v1/password-resets/{token}, the token in a cookie",
	"GET /password-reset-link/{id}":                 "shows a link its maker just made, from the maker's cookie; as POST /api/v1/users/{id}/password-reset",
	"POST /clients/{id}/password-reset":             "as POST /api/v1/users/{id}/password-reset",
	"POST /people/{id}/password-reset":              "as POST /api/v1/users/{id}/password-reset",
	"GET /people/{id}":                              "as GET /api/v1/users",
	"POST /people/{id}/mfa-reset":                   "as POST /api/v1/users/{id}/mfa-reset",
	"POST /signin":                                  "public: as POST /api/v1/sessions",
	"GET /signin/mfa":                               "the second step of a web sign-in (a session waiting for its factor)",
	"POST /signin/mfa":                              "the second step of a web sign-in (a session waiting for its factor)",
	"POST /signout":                                 "as DELETE /api/v1/sessions/current",
	"GET /invite/{token}":                           "as GET /api/v1/invitations/{token}",
	"GET /invite":                                   "the invitation form, for the token the cookie of GET /invite/{token} holds",
	"POST /invite":                                  "as POST /api/v1/invitations/{token}/accept",
	"GET /account":                                  "the caller's own account: as GET /api/v1/me and GET /api/v1/sessions",
	"POST /account/sessions/{id}/end":               "as DELETE /api/v1/sessions/{id}",
	"POST /account/sessions/end-others":             "as DELETE /api/v1/sessions?keep_current=true",
	"POST /account/totp":                            "as POST /api/v1/me/totp",
	"POST /account/totp/confirm":                    "as POST /api/v1/me/totp/confirm",
	"POST /account/recovery-codes":                  "as POST /api/v1/me/recovery-codes",
	"POST /account/passkeys/{id}/delete":            "as DELETE /api/v1/me/passkeys/{id}",
	"GET /people":                                   "as GET /api/v1/users",
	"POST /people/invite":                           "as POST /api/v1/invitations",
	"POST /people/{id}/disable":                     "as POST /api/v1/users/{id}/disable",
	"POST /people/{id}/enable":                      "as POST /api/v1/users/{id}/enable",
	"POST /people/{id}/delete":                      "as DELETE /api/v1/clients/{id}",
	"POST /people/{id}/edit":                        "as PATCH /api/v1/users/{id}",
	"POST /people/{id}/care-team":                   "as PUT /api/v1/clients/{id}/care-team (move) and PUT /api/v1/clients/{id}/care-team/{provider} (add)",
	"POST /people/{id}/care-team/{provider}/remove": "as DELETE /api/v1/clients/{id}/care-team/{provider}",
	"POST /people/invitations/{id}/resend":          "as POST /api/v1/invitations/{id}/resend",
	"POST /people/invitations/{id}/revoke":          "as DELETE /api/v1/invitations/{id}",
	"GET /invitation-link/{id}":                     "shows a link its maker just made, from the maker's cookie; as POST /api/v1/invitations/{id}/resend",
	"GET /settings":                                 "admins only (404 for others), as the GET /api/v1/clinic/* settings: TestSettingsPage",
	"POST /settings/retention":                      "as PUT /api/v1/clinic/retention",
	"GET /clients":                                  "as GET /api/v1/clients",
	"POST /clients/invite":                          "as POST /api/v1/invitations",
	"GET /break-glass":                              "admins only (404 for others), as POST /api/v1/break-glass; lists client ids, no names",
	"POST /break-glass":                             "as POST /api/v1/break-glass",
	"GET /break-glass/{id}":                         "the grant's holder and those notified of it only: TestBreakGlassPages",
	"POST /break-glass/{id}/end":                    "as DELETE /api/v1/break-glass/{id}",
	"POST /notices/{id}/read":                       "as POST /api/v1/notices/{id}/read",
	"GET /audit":                                    "admins only (404 for others), as GET /api/v1/audit: TestAuditPage",
	"GET /account/record":                           "the signed-in client's own record (404 for others): TestClientDownloadsOwnRecord",
	"GET /account/record.html":                      "the signed-in client's own record (404 for others): TestClientDownloadsOwnRecord",
	"GET /account/record.json":                      "the signed-in client's own record (404 for others): TestClientDownloadsOwnRecord",
	"GET /clients/{id}/record-copy":                 "the care team (404 for others): TestStaffCopy",
	"POST /clients/{id}/record-copy":                "the care team after a fresh code (404 for others): TestStaffCopy, TestStaffCopyNeedsFreshCode",
	"GET /access-log":                               "the signed-in client's own report (404 for others), as GET /api/v1/clients/{id}/access-log: TestAccessLogPage",
	"GET /journal":                                  "the signed-in client's own journal (404 for others), as GET /api/v1/clients/{id}/journal: TestJournalPages",
	"GET /journal/new":                              "the signed-in client's entry form (404 for others): TestJournalPages",
	"POST /journal":                                 "as POST /api/v1/clients/{id}/journal for the signed-in client: TestJournalPages",
	"POST /journal/quick":                           "as POST /api/v1/clients/{id}/journal for the signed-in client: TestJournalPages",
	"GET /journal/{eid}/edit":                       "as GET /api/v1/clients/{id}/journal/{eid} for the signed-in client: TestJournalPages",
	"POST /journal/{eid}":                           "as PATCH /api/v1/clients/{id}/journal/{eid} for the signed-in client: TestJournalPages",
	"POST /journal/{eid}/delete":                    "as DELETE /api/v1/clients/{id}/journal/{eid} for the signed-in client: TestJournalPages",
	"POST /journal/{eid}/share":                     "as PATCH /api/v1/clients/{id}/journal/{eid} for the signed-in client: TestCrisisPostRedirectGet",
	"GET /journal/{eid}/versions":                   "as GET /api/v1/clients/{id}/journal/{eid}/versions: TestJournalPages",
	"GET /journal/settings":                         "as GET /api/v1/me/journal-settings: TestJournalPages",
	"POST /journal/settings":                        "as PUT /api/v1/me/journal-settings: TestJournalPages",
	"POST /journal/settings/reminder":               "as PUT /api/v1/me/journal-reminder: TestJournalReminderPage",
	"GET /clients/{id}/journal":                     "as GET /api/v1/clients/{id}/journal: TestJournalProviderSeesSharedOnly",
	"GET /clients/{id}/brief":                       "as GET /api/v1/clients/{id}/brief: TestBriefPage",

	// Notifications: notify_test.go.
	"GET /account/notifications":                   "the caller's own settings: as GET /api/v1/me/notification-settings: TestNotificationPages",
	"POST /account/notifications":                  "as PUT /api/v1/me/notification-settings: TestNotificationPages",
	"POST /account/notifications/push/{id}/delete": "as DELETE /api/v1/me/push-subscriptions/{id}: TestNotificationPages",
	"GET /sw.js": "the service worker script, the same for everyone",

	// The plan, sessions and tasks: plan_test.go.
	"GET /clients/{id}":                            "as GET /api/v1/clients/{id}, …/plan, …/sessions, …/tasks and …/plan/versions: TestPlanPages",
	"GET /clients/{id}/plan/goals/new":             "as GET /api/v1/clients/{id}/plan, for its care team: TestPlanPages",
	"GET /clients/{id}/plan/goals/{gid}":           "as GET /api/v1/clients/{id}/plan, for its care team: TestPlanPages",
	"POST /clients/{id}/plan/goals":                "as PUT /api/v1/clients/{id}/plan",
	"POST /clients/{id}/plan/goals/{gid}":          "as PUT /api/v1/clients/{id}/plan",
	"POST /clients/{id}/plan/goals/{gid}/comments": "as POST /api/v1/clients/{id}/plan/goals/{gid}/comments",
	"GET /clients/{id}/plan/versions/{version}":    "as GET /api/v1/clients/{id}/plan/versions/{version}",
	"POST /clients/{id}/sessions":                  "as POST /api/v1/clients/{id}/sessions",
	"POST /clients/{id}/sessions/{sid}":            "as PATCH /api/v1/clients/{id}/sessions/{sid}",
	"POST /clients/{id}/tasks":                     "as POST /api/v1/clients/{id}/tasks",
	"POST /clients/{id}/tasks/{tid}/complete":      "as POST /api/v1/clients/{id}/tasks/{tid}/complete",
	"POST /clients/{id}/tasks/{tid}/undo":          "as DELETE /api/v1/clients/{id}/tasks/{tid}/complete/{day}: TestTaskUndo",
	// Measures: measures_test.go.
	"GET /progress":                          "the signed-in client's own journal and measures (404 for others): as GET /api/v1/clients/{id}/journal and GET /api/v1/clients/{id}/measures: TestProgressPage",
	"GET /measures":                          "the signed-in client's own measures (404 for others): as GET /api/v1/clients/{id}/measures: TestMeasurePages",
	"GET /measures/{mid}":                    "the signed-in client's due measure (404 for others): TestMeasurePages",
	"POST /measures/{mid}":                   "as POST /api/v1/clients/{id}/measures/{mid}/responses for the signed-in client: TestMeasurePages",
	"GET /measures/responses/{rid}":          "the signed-in client's own response (404 for others): TestMeasurePages",
	"POST /clients/{id}/measures":            "as POST /api/v1/clients/{id}/measures: TestMeasurePages",
	"POST /clients/{id}/measures/{mid}/stop": "as DELETE /api/v1/clients/{id}/measures/{mid}",

	// Trackers (issue #19): tracker_pages_test.go.
	"GET /trackers":                             "the signed-in client's own trackers (404 for staff): as GET /api/v1/clients/{id}/trackers and its entries: TestTrackerPages",
	"GET /trackers/library":                     "the clinic's library for its staff (404 for clients): as GET /api/v1/tracker-templates: TestTrackerPages",
	"GET /trackers/{trid}/new":                  "the signed-in client's own tracker (404 for others, 410 once removed): TestTrackerPages",
	"POST /trackers/{trid}/entries":             "as POST /api/v1/clients/{id}/trackers/{trid}/entries for the signed-in client: TestTrackerPages",
	"GET /clients/{id}/trackers":                "as GET /api/v1/clients/{id}/trackers, shared entries only: TestTrackerPages",
	"POST /clients/{id}/trackers":               "as POST /api/v1/clients/{id}/trackers: TestTrackerPages",
	"POST /clients/{id}/trackers/{trid}/remove": "as DELETE /api/v1/clients/{id}/trackers/{trid}: TestTrackerPages",

	"GET /plan":            "the signed-in client's own plan: as GET /api/v1/clients/{id}/plan",
	"GET /more":            "links only, for a signed-in client (404 for staff): TestClientShell",
	"POST /journal/search": "the signed-in client's own journal searched, as GET /journal (404 for others), the search out of the URL: TestJournalSearchPage",
	"POST /clients/search": "the provider's own caseload searched, as GET /clients (404 for others), the search out of the URL: TestCaseloadFind",
	"GET /resume":          "sends the signed-in user's own kept forms, as them, and nobody else's: TestHeldPost",
	// The safety plan's pages: safetyplan_test.go.
	"GET /safety-plan":                   "the signed-in client's own safety plan: as GET /api/v1/clients/{id}/safety-plan: TestSafetyPlanPages",
	"GET /safety-plan/edit":              "as GET /safety-plan: TestSafetyPlanPages",
	"POST /safety-plan":                  "as PUT /api/v1/clients/{id}/safety-plan, for the signed-in client: TestSafetyPlanPages",
	"GET /clients/{id}/safety-plan":      "as GET /api/v1/clients/{id}/safety-plan, for staff: TestSafetyPlanPages",
	"GET /clients/{id}/safety-plan/edit": "as GET /api/v1/clients/{id}/safety-plan, for the care team: TestSafetyPlanPages",
	"POST /clients/{id}/safety-plan":     "as PUT /api/v1/clients/{id}/safety-plan, for staff: TestSafetyPlanPages",
	"GET /tasks":                         "the signed-in client's own tasks: as GET /api/v1/clients/{id}/tasks",

	// Messages.
	"GET /messages":                                     "the signed-in client's own thread: as GET /api/v1/clients/{id}/messages: TestMessagePages",
	"POST /messages":                                    "as POST /api/v1/clients/{id}/messages for the signed-in client: TestMessagePages",
	"POST /messages/{mid}/read":                         "as POST /api/v1/clients/{id}/messages/{mid}/read for the signed-in client: TestMessagePages",
	"POST /checkins/{cid}/answer":                       "as POST /api/v1/clients/{id}/checkins/{cid}/answer for the signed-in client: TestCheckInPages",
	"POST /clients/{id}/checkins":                       "as PUT /api/v1/clients/{id}/checkins: TestCheckInPages",
	"GET /clients/{id}/messages":                        "as GET /api/v1/clients/{id}/messages: TestMessagePages",
	"GET /messages/{mid}":                               "as GET /api/v1/clients/{id}/messages/{mid}/versions for the signed-in client: TestMessageEditsAPI",
	"POST /messages/{mid}":                              "as PATCH /api/v1/clients/{id}/messages/{mid} for the signed-in client: TestMessageEditsAPI",
	"GET /clients/{id}/messages/{mid}":                  "as GET /api/v1/clients/{id}/messages/{mid}/versions: TestMessageEditsAPI",
	"POST /clients/{id}/messages/{mid}":                 "as PATCH /api/v1/clients/{id}/messages/{mid}: TestMessageEditsAPI",
	"POST /clients/{id}/messages":                       "as POST /api/v1/clients/{id}/messages: TestMessagePages",
	"POST /clients/{id}/messages/{mid}/read":            "as POST /api/v1/clients/{id}/messages/{mid}/read: TestMessagePages",
	"POST /clients/{id}/messaging":                      "as PUT /api/v1/clients/{id}/messaging: TestBoundaryPages",
	"POST /clients/{id}/safety-flags/{fid}/acknowledge": "as POST /api/v1/clients/{id}/safety-flags/{fid}/acknowledge: TestBoundaryPages",
	"GET /office-hours":                                 "the signed-in provider's own hours (404 for others), as GET /api/v1/me/office-hours: TestBoundaryPages",
	"POST /office-hours":                                "as PUT /api/v1/me/office-hours: TestBoundaryPages",
	"POST /settings/crisis-line":                        "as PUT /api/v1/clinic/crisis-line: TestBoundaryPages",
	"POST /settings/crisis-resources":                   "as PUT /api/v1/clinic/crisis-resources (403 for all but admins): TestClinicResourcePages",
	"POST /settings/crisis-resources/{n}/edit":          "as PUT /api/v1/clinic/crisis-resources (403 for all but admins): TestClinicResourcePages",
	"POST /settings/crisis-resources/{n}/delete":        "as PUT /api/v1/clinic/crisis-resources (403 for all but admins): TestClinicResourcePages",
	"POST /settings/safety-message":                     "an admin's form; a provider or client gets 403 and nothing changes: TestMeasureSafetyMessage",
	"POST /settings/safety-settings":                    "as PUT /api/v1/clinic/safety-settings: TestSafetyFlagPages",
	"POST /settings/reliable-change":                    "as PUT /api/v1/clinic/reliable-change: TestReliableChangeForm",
	"GET /safety-flags":                                 "as GET /api/v1/safety-flags (404 for all but providers): TestSafetyFlagPages",
	"GET /safety-check/{fid}":                           "the signed-in client's own open flag (404 for anyone else's): TestSafetyCheckPages",
	"POST /safety-check/{fid}":                          "as POST /api/v1/clients/{id}/safety-flags/{fid}/screener for the signed-in client: TestSafetyCheckPages",
	"GET /safety-check/{fid}/done":                      "the signed-in client's own answer (404 for anyone else's): TestSafetyCheckPages",
	"POST /safety-flags/{fid}/acknowledge":              "as POST /api/v1/clients/{id}/safety-flags/{fid}/acknowledge: TestSafetyFlagPages",

	// FHIR Bulk Data export (#8): the clinic's admin who started it, and nobody else.
	"GET /fhir/R4/$export":                "an admin of the clinic, freshly signed in (404 for others): TestBulkExport",
	"GET /fhir/R4/Group/{id}/$export":     "an admin of the clinic {id} (404 for others): TestBulkExport",
	"GET /fhir/R4/bulk-status/{id}":       "the admin who started the export (404 for others): TestBulkExport",
	"DELETE /fhir/R4/bulk-status/{id}":    "the admin who started the export (404 for others): TestBulkExport",
	"GET /fhir/R4/bulk-files/{id}/{file}": "the admin who started the export (404 for others): TestBulkExport",
}

// authzRequest says how the matrix calls a route.
type authzRequest struct {
	targets []target // nil: the path names nothing
	// build returns the path and body of a request that the route would
	// carry out were the caller allowed, preparing the state it needs.
	build func(t *testing.T, w *authzWorld, c caller, tg target) (path string, body any)
	// endsSessions: the request ends the caller's session, so it is made
	// with a session of its own, and the caller signs in again after.
	endsSessions bool
	// after checks what one caller got, by target.
	after func(t *testing.T, w *authzWorld, c caller, got map[target]*httptest.ResponseRecorder)
}

func fixedRequest(path string, body any) func(*testing.T, *authzWorld, caller, target) (string, any) {
	return func(*testing.T, *authzWorld, caller, target) (string, any) { return path, body }
}

func authzRequests() map[string]authzRequest {
	return map[string]authzRequest{
		"GET /fhir/R4/metadata":                 {build: fixedRequest("/fhir/R4/metadata", nil)},
		"GET /fhir/R4/CodeSystem/{id}":          {build: fixedRequest("/fhir/R4/CodeSystem/interlude", nil)},
		"GET /fhir/R4/Patient/{id}/$everything": fhirEverythingRequest,
		"GET /fhir/R4/{type}/{id}":              fhirReadRequest,
		"GET /fhir/R4/{type}":                   fhirSearchRequest,
		"/fhir/":                                {build: fixedRequest("/fhir/R4/Patient/x/y/z", nil)},
		"POST /api/v1/sessions": {build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			return "/api/v1/sessions", map[string]string{"email": w.signer.Email, "password": goodPassword}
		}},
		"GET /api/v1/sessions":            {build: fixedRequest("/api/v1/sessions", nil), after: onlyOwnSessions},
		"DELETE /api/v1/sessions":         {build: fixedRequest("/api/v1/sessions", nil), endsSessions: true},
		"DELETE /api/v1/sessions/current": {build: fixedRequest("/api/v1/sessions/current", nil), endsSessions: true},
		"DELETE /api/v1/sessions/{id}": {targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			return "/api/v1/sessions/" + w.sessionOf(t, c, tg), nil
		}},
		"GET /api/v1/me":           {build: fixedRequest("/api/v1/me", nil)},
		"PATCH /api/v1/me":         {build: fixedRequest("/api/v1/me", map[string]string{"language": "en"})},
		"POST /api/v1/me/password": {build: fixedRequest("/api/v1/me/password", map[string]string{"current_password": "not the password at all", "new_password": "another long passphrase here"})},
		"POST /api/v1/me/email":    {build: fixedRequest("/api/v1/me/email", map[string]string{"email": "new@matrix.test", "password": "not the password at all"})},
		"POST /api/v1/email-changes/{token}": {targets: tokenTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			return "/api/v1/email-changes/" + w.emailChangeToken(t, tg), nil
		}},
		"POST /api/v1/sessions/current/confirm": {build: fixedRequest("/api/v1/sessions/current/confirm", map[string]string{"password": "not the password at all"})},
		"POST /api/v1/sessions/current/touch":   {build: fixedRequest("/api/v1/sessions/current/touch", nil)},
		"POST /api/v1/me/totp": {build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			if c == asClient {
				// The client starts without an app, whatever cells before did.
				if err := w.e.db.Store.SetTOTP(context.Background(), actorOf(w.users[c]), nil); err != nil {
					t.Fatal(err)
				}
			}
			return "/api/v1/me/totp", nil
		}},
		"POST /api/v1/me/totp/confirm": {build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			return "/api/v1/me/totp/confirm", map[string]string{"code": w.confirmCode(t, c)}
		}},
		"POST /api/v1/me/recovery-codes": {build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			if c != asAnonymous {
				w.ensureMFA(t, w.users[c])
			}
			return "/api/v1/me/recovery-codes", nil
		}},
		"POST /api/v1/invitations": {targets: inviteeTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			role := strings.TrimPrefix(string(tg), "invite-")
			return "/api/v1/invitations", map[string]string{"role": role, "email": w.newEmail(), "display_name": "Invitee"}
		}},
		"GET /api/v1/openapi.json": {build: fixedRequest("/api/v1/openapi.json", nil)},
		"GET /api/v1/invitations/{token}": {targets: tokenTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			return "/api/v1/invitations/" + w.invitation(t, tg), nil
		}},
		"POST /api/v1/invitations/{token}/accept": {targets: tokenTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			return "/api/v1/invitations/" + w.invitation(t, tg) + "/accept", map[string]string{"password": goodPassword}
		}},
		"GET /api/v1/users": {build: fixedRequest("/api/v1/users", nil), after: func(t *testing.T, w *authzWorld, c caller, got map[target]*httptest.ResponseRecorder) {
			if c != asAdmin {
				return
			}
			for _, u := range []care.User{w.a.Provider, w.a.OtherClient, w.signer} {
				if !strings.Contains(got[noTarget].Body.String(), u.ID) {
					t.Errorf("the admin's user list lacks %s of their clinic: %s", u.Email, got[noTarget].Body)
				}
			}
		}},
		"POST /api/v1/users/{id}/disable": {targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			u, _, _ := w.fresh(t, c, tg)
			return "/api/v1/users/" + u.ID + "/disable", map[string]string{"reason": "left-clinic"}
		}},
		"PATCH /api/v1/users/{id}": {targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			u, _, _ := w.fresh(t, c, tg)
			return "/api/v1/users/" + u.ID, map[string]string{"display_name": "Someone Else"}
		}},
		"GET /api/v1/invitations": {build: fixedRequest("/api/v1/invitations", nil)},
		"POST /api/v1/invitations/{id}/resend": {targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			return "/api/v1/invitations/" + w.pendingInvitation(t, c, tg) + "/resend", nil
		}},
		"DELETE /api/v1/invitations/{id}": {targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			return "/api/v1/invitations/" + w.pendingInvitation(t, c, tg), nil
		}},
		"POST /api/v1/users/{id}/password-reset": {targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			u, _, _ := w.fresh(t, c, tg)
			return "/api/v1/users/" + u.ID + "/password-reset", nil
		}},
		"POST /api/v1/users/{id}/mfa-reset": {targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			u, _, _ := w.fresh(t, c, tg)
			return "/api/v1/users/" + u.ID + "/mfa-reset", nil
		}},
		"POST /api/v1/password-resets": {build: fixedRequest("/api/v1/password-resets", map[string]string{"email": "someone@matrix.test"})},
		"GET /api/v1/password-resets/{token}": {targets: tokenTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			return "/api/v1/password-resets/" + w.resetToken(t, tg), nil
		}},
		"POST /api/v1/password-resets/{token}": {targets: tokenTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			return "/api/v1/password-resets/" + w.resetToken(t, tg), map[string]string{"password": goodPassword}
		}},
		"POST /api/v1/users/{id}/enable": {targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			u, _, _ := w.fresh(t, c, tg)
			if tg != tSelf && tg != tMissing {
				w.disable(t, u)
			}
			return "/api/v1/users/" + u.ID + "/enable", nil
		}},

		"POST /api/v1/me/passkeys/register/begin": {build: fixedRequest("/api/v1/me/passkeys/register/begin", nil)},
		"POST /api/v1/me/passkeys/register/finish": {targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			return "/api/v1/me/passkeys/register/finish", map[string]any{
				"challenge_id": w.ceremony(t, c, tg), "name": "Laptop", "credential": map[string]any{},
			}
		}, after: func(t *testing.T, w *authzWorld, c caller, got map[target]*httptest.ResponseRecorder) {
			if c == asAnonymous {
				return
			}
			if f := respError(got[tSelf]).Error.Field; f != "credential" {
				t.Errorf("%s finishing their own ceremony: refused on %q, want on credential: %s", c, f, got[tSelf].Body)
			}
			for _, tg := range []target{tTeam, tClinic, tOther} {
				if got[tg].Body.String() != got[tMissing].Body.String() {
					t.Errorf("%s finishing a %s ceremony: %s, but a missing one: %s", c, tg, got[tg].Body, got[tMissing].Body)
				}
			}
		}},
		"GET /api/v1/me/passkeys": {build: fixedRequest("/api/v1/me/passkeys", nil), after: onlyOwnPasskeys},
		"DELETE /api/v1/me/passkeys/{id}": {targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			return "/api/v1/me/passkeys/" + w.passkeyOf(t, c, tg), nil
		}},
		"POST /api/v1/passkeys/login/begin": {build: fixedRequest("/api/v1/passkeys/login/begin", nil)},
		"POST /api/v1/passkeys/login/finish": {build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			return "/api/v1/passkeys/login/finish", map[string]any{"challenge_id": care.NewID(), "credential": map[string]any{}}
		}},

		"GET /api/v1/clients": {build: fixedRequest("/api/v1/clients", nil), after: onlyCaseload},
		"DELETE /api/v1/clients/{id}": {targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			for _, k := range []*storetest.Clinic{w.a, w.b} { // retention allows deletion at once
				if err := w.e.db.Store.SetRetentionDays(context.Background(), k.Actor(k.Admin), 0); err != nil {
					t.Fatal(err)
				}
			}
			u, _, _ := w.fresh(t, c, tg)
			return "/api/v1/clients/" + u.ID, map[string]string{"reason": "entered-in-error"}
		}},
		"GET /api/v1/clinic/retention": {build: fixedRequest("/api/v1/clinic/retention", nil)},
		"PUT /api/v1/clinic/retention": {build: fixedRequest("/api/v1/clinic/retention", map[string]int{"retention_days": 3650})},
		"GET /api/v1/clients/{id}": {targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			return "/api/v1/clients/" + w.user(c, tg).ID, nil
		}},
		"PUT /api/v1/clients/{id}/care-team/{provider}": {targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			u, _, off := w.fresh(t, c, tg)
			return "/api/v1/clients/" + u.ID + "/care-team/" + off, nil
		}},
		"GET /api/v1/clients/{id}/care-team": {targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			u, _, _ := w.fresh(t, c, tg)
			return "/api/v1/clients/" + u.ID + "/care-team", nil
		}},
		"PUT /api/v1/clients/{id}/care-team": {targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			u, _, off := w.fresh(t, c, tg)
			return "/api/v1/clients/" + u.ID + "/care-team", map[string]string{"provider_id": off}
		}},
		"DELETE /api/v1/clients/{id}/care-team/{provider}": {targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			u, on, _ := w.fresh(t, c, tg)
			return "/api/v1/clients/" + u.ID + "/care-team/" + on, nil
		}},

		"POST /api/v1/break-glass":        breakGlassRequest,
		"DELETE /api/v1/break-glass/{id}": breakGlassEndRequest,
		"GET /api/v1/notices":             {build: fixedRequest("/api/v1/notices", nil), after: onlyOwnNotices},
		"POST /api/v1/notices/{id}/read":  noticeReadRequest,

		"GET /api/v1/audit":                   auditLogRequest,
		"GET /api/v1/clients/{id}/access-log": accessLogRequest,

		"GET /api/v1/clients/{id}/journal":                journalListRequest,
		"POST /api/v1/clients/{id}/journal":               journalCreateRequest,
		"GET /api/v1/clients/{id}/journal/{eid}":          journalReadRequest,
		"PATCH /api/v1/clients/{id}/journal/{eid}":        journalUpdateRequest,
		"DELETE /api/v1/clients/{id}/journal/{eid}":       journalDeleteRequest,
		"GET /api/v1/clients/{id}/journal/{eid}/versions": journalVersionsRequest,
		"GET /api/v1/me/journal-settings":                 journalSettingsRequest,
		"PUT /api/v1/me/journal-settings":                 journalSettingsPut,
		"GET /api/v1/me/journal-reminder":                 journalReminderRequest,
		"PUT /api/v1/me/journal-reminder":                 journalReminderPut,

		"GET /api/v1/tracker-templates":                            trackerTemplatesRequest,
		"POST /api/v1/tracker-templates":                           trackerTemplateCreate,
		"GET /api/v1/tracker-templates/{tid}":                      trackerTemplateRead,
		"PUT /api/v1/tracker-templates/{tid}":                      trackerTemplateUpdate,
		"GET /api/v1/clients/{id}/trackers":                        trackersRequest,
		"POST /api/v1/clients/{id}/trackers":                       trackerAssignRequest,
		"PATCH /api/v1/clients/{id}/trackers/{trid}":               trackerUpdateRequest,
		"DELETE /api/v1/clients/{id}/trackers/{trid}":              trackerRemoveRequest,
		"GET /api/v1/clients/{id}/trackers/{trid}/entries":         trackerEntriesRequest,
		"POST /api/v1/clients/{id}/trackers/{trid}/entries":        trackerEntryCreate,
		"GET /api/v1/clients/{id}/trackers/{trid}/entries/{eid}":   trackerEntryRead,
		"PATCH /api/v1/clients/{id}/trackers/{trid}/entries/{eid}": trackerEntryUpdate,

		"GET /api/v1/me/notification-settings":      {build: fixedRequest("/api/v1/me/notification-settings", nil)},
		"PUT /api/v1/me/notification-settings":      {build: fixedRequest("/api/v1/me/notification-settings", map[string]any{"email": false, "quiet_hours": map[string]string{"start": "22:00", "end": "07:00"}})},
		"GET /api/v1/me/push-subscriptions":         {build: fixedRequest("/api/v1/me/push-subscriptions", nil), after: onlyOwnPushSubscriptions},
		"POST /api/v1/me/push-subscriptions":        {build: fixedRequest("/api/v1/me/push-subscriptions", samplePushSubscription())},
		"DELETE /api/v1/me/push-subscriptions/{id}": pushSubscriptionDeleteRequest,

		"GET /api/v1/clients/{id}/plan":                          planReadRequest,
		"PUT /api/v1/clients/{id}/plan":                          planSaveRequest,
		"GET /api/v1/clients/{id}/plan/versions":                 planVersionsRequest,
		"GET /api/v1/clients/{id}/plan/versions/{version}":       planVersionRequest,
		"POST /api/v1/clients/{id}/plan/goals/{gid}/comments":    goalCommentRequest,
		"GET /api/v1/clients/{id}/safety-plan":                   safetyPlanReadRequest,
		"PUT /api/v1/clients/{id}/safety-plan":                   safetyPlanSaveRequest,
		"GET /api/v1/clients/{id}/sessions":                      sessionsReadRequest,
		"POST /api/v1/clients/{id}/sessions":                     sessionCreateRequest,
		"PATCH /api/v1/clients/{id}/sessions/{sid}":              sessionUpdateRequest,
		"GET /api/v1/clients/{id}/tasks":                         tasksReadRequest,
		"POST /api/v1/clients/{id}/tasks":                        taskCreateRequest,
		"POST /api/v1/clients/{id}/tasks/{tid}/complete":         taskCompleteRequest,
		"DELETE /api/v1/clients/{id}/tasks/{tid}/complete/{day}": taskUndoRequest,

		"GET /api/v1/clients/{id}/messages":                         messagesReadRequest,
		"POST /api/v1/clients/{id}/messages":                        messageSendRequest,
		"POST /api/v1/clients/{id}/messages/{mid}/read":             messageReadRequest,
		"PATCH /api/v1/clients/{id}/messages/{mid}":                 messageEditRequest,
		"GET /api/v1/clients/{id}/messages/{mid}/versions":          messageVersionsRequest,
		"GET /api/v1/clients/{id}/messages/{mid}/attachments/{aid}": attachmentRequest,
		"GET /api/v1/events":                                        {build: fixedRequest("/api/v1/events?last_event_id=x", nil)},
		"GET /api/v1/safety-flags":                                  {build: fixedRequest("/api/v1/safety-flags", nil)},
		"GET /api/v1/clients/{id}/safety-flags":                     flagsReadRequest,
		"POST /api/v1/clients/{id}/safety-flags/{fid}/acknowledge":  flagAckRequest,
		"POST /api/v1/clients/{id}/safety-flags/{fid}/screener":     screenerAnswerRequest,
		"GET /api/v1/clinic/crisis-line":                            {build: fixedRequest("/api/v1/clinic/crisis-line", nil)},
		"PUT /api/v1/clinic/crisis-line":                            {build: fixedRequest("/api/v1/clinic/crisis-line", map[string]string{"crisis_line": "Call (555) 010-0199"})},
		"GET /api/v1/clinic/crisis-resources":                       {build: fixedRequest("/api/v1/clinic/crisis-resources", nil)},
		"PUT /api/v1/clinic/crisis-resources": {build: fixedRequest("/api/v1/clinic/crisis-resources", map[string]any{"resources": []map[string]any{
			{"name": "Clinic on call", "phone": "+15550100199", "hours": "weekdays 8–20", "language": "en"}}})},
		"GET /api/v1/clinic/safety-settings": {build: fixedRequest("/api/v1/clinic/safety-settings", nil)},
		"PUT /api/v1/clinic/safety-settings": {build: fixedRequest("/api/v1/clinic/safety-settings", map[string]any{"escalation_minutes": 30})},
		"GET /api/v1/clinic/reliable-change": {build: fixedRequest("/api/v1/clinic/reliable-change", nil)},
		"PUT /api/v1/clinic/reliable-change": {build: fixedRequest("/api/v1/clinic/reliable-change", map[string]any{"phq9": 6, "gad7": 4})},
		"GET /api/v1/me/office-hours":        {build: fixedRequest("/api/v1/me/office-hours", nil)},
		"PUT /api/v1/me/office-hours": {build: fixedRequest("/api/v1/me/office-hours", map[string]any{
			"response_time": "within 1 business day", "hours": map[string]any{"monday": []map[string]string{{"start": "09:00", "end": "17:00"}}}})},
		"GET /api/v1/clients/{id}/messaging": {targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			return clientPath(w, c, tg, "/messaging"), nil
		}},
		"PUT /api/v1/clients/{id}/messaging": {targets: whoseTargets, build: func(t *testing.T, w *authzWorld, c caller, tg target) (string, any) {
			return clientPath(w, c, tg, "/messaging"), map[string]string{"mode": "open"}
		}},

		"GET /api/v1/instruments":                            {build: fixedRequest("/api/v1/instruments", nil)},
		"GET /api/v1/clients/{id}/measures":                  measuresReadRequest,
		"POST /api/v1/clients/{id}/measures":                 measureScheduleRequest,
		"DELETE /api/v1/clients/{id}/measures/{mid}":         measureStopRequest,
		"POST /api/v1/clients/{id}/measures/{mid}/responses": measureAnswerRequest,
		"GET /api/v1/clients/{id}/brief":                     briefRequest,
		"GET /api/v1/clients/{id}/export":                    recordExportRequest,
		"GET /api/v1/clients/{id}/checkins":                  checkInsReadRequest,
		"PUT /api/v1/clients/{id}/checkins":                  checkInsSetRequest,
		"POST /api/v1/clients/{id}/checkins/{cid}/answer":    checkInAnswerRequest,

		"/api/": {build: fixedRequest("/api/v1/no-such-route", nil)},
	}
}

// onlyOwnSessions: a caller's session list holds their own sessions, one
// of them current, and nobody else's.
func onlyOwnSessions(t *testing.T, w *authzWorld, c caller, got map[target]*httptest.ResponseRecorder) {
	if c == asAnonymous {
		return
	}
	current := 0
	for _, s := range respJSON[sessionsJSON](t, got[noTarget]).Sessions {
		if s.Current {
			current++
		}
		if owner, ok := w.sessionOwner[s.ID]; ok && owner != w.users[c].ID {
			t.Errorf("%s's session list holds session %s of user %s", c, s.ID, owner)
		}
	}
	if current != 1 {
		t.Errorf("%s's session list has %d current sessions: %s", c, current, got[noTarget].Body)
	}
}

// onlyOwnPasskeys: a caller lists their own passkeys only.
func onlyOwnPasskeys(t *testing.T, w *authzWorld, c caller, got map[target]*httptest.ResponseRecorder) {
	if c == asAnonymous {
		return
	}
	for _, p := range respJSON[struct {
		Passkeys []struct {
			ID string `json:"id"`
		} `json:"passkeys"`
	}](t, got[noTarget]).Passkeys {
		if owner, ok := w.passkeyOwner[p.ID]; ok && owner != w.users[c].ID {
			t.Errorf("%s's passkey list holds passkey %s of user %s", c, p.ID, owner)
		}
	}
}

// onlyCaseload: a provider's caseload holds the clients on their care
// teams, as the care_team table has them, and no one else.
func onlyCaseload(t *testing.T, w *authzWorld, c caller, got map[target]*httptest.ResponseRecorder) {
	if c != asProvider {
		return
	}
	team := map[string]bool{}
	rows, err := w.e.db.Engine.SQLDB().Query(`SELECT client_id FROM care_team WHERE provider_id = $1`, w.a.Provider.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		team[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	list := respJSON[struct {
		Clients []struct {
			ID string `json:"id"`
		} `json:"clients"`
	}](t, got[noTarget]).Clients
	sawOwn := false
	for _, cl := range list {
		if !team[cl.ID] {
			t.Errorf("the provider's caseload holds %s, who is not on their care team", cl.ID)
		}
		sawOwn = sawOwn || cl.ID == w.a.Client.ID
	}
	if !sawOwn {
		t.Errorf("the provider's caseload lacks their client: %s", got[noTarget].Body)
	}
	if strings.Contains(got[noTarget].Body.String(), w.a.OtherClient.ID) {
		t.Errorf("the provider's caseload holds another provider's client")
	}
}

// authzWorld is the state the matrix runs in: two clinics, a signed-in
// caller of each role in clinic A, and what the cells have made.
type authzWorld struct {
	e      *webEnv
	a, b   *storetest.Clinic
	users  map[caller]care.User
	tokens map[caller]string
	signer care.User // signs in through POST /api/v1/sessions

	foreign      []string          // ids of clinic B and what is in it: never in an answer to anyone
	trackers     map[string]string // client id → a tracker of theirs (trackers_test.go)
	sessionOwner map[string]string // session id → user id, for sessions made here
	passkeyOwner map[string]string // passkey id → user id
	n            int
}

func newAuthzWorld(t *testing.T, db *storetest.DB) *authzWorld {
	t.Helper()
	w := &authzWorld{
		e:            newWebEnv(t, db),
		a:            storetest.SeedClinic(t, db.Store, "Clinic A"),
		b:            storetest.SeedClinic(t, db.Store, "Clinic B"),
		sessionOwner: map[string]string{},
		passkeyOwner: map[string]string{},
	}
	// The matrix makes hundreds of refused requests per user within one
	// minute of the test clock; the limit on them (denials.go) has its own
	// test, TestDeniedRequestsAreLimited.
	w.e.srv.denials = newDenials(1 << 30)
	w.users = map[caller]care.User{asClient: w.a.Client, asProvider: w.a.Provider, asAdmin: w.a.Admin}
	w.foreign = []string{w.b.Clinic.ID}
	for _, u := range []care.User{w.b.Admin, w.b.Provider, w.b.OtherProvider, w.b.Client, w.b.OtherClient} {
		w.foreign = append(w.foreign, u.ID)
	}
	for _, u := range w.users {
		w.e.setPassword(t, u)
	}
	w.e.enrollTOTP(t, w.a.Provider)
	w.e.enrollTOTP(t, w.a.Admin)
	w.signer = w.newUser(t, w.a, care.RoleClient)
	w.e.setPassword(t, w.signer)
	w.tokens = map[caller]string{}
	for c, u := range w.users {
		w.tokens[c] = w.e.signIn(t, u)
	}
	// Other users have sessions and passkeys too, which no caller may see.
	for _, u := range []care.User{w.a.OtherClient, w.a.OtherProvider, w.b.Admin, w.b.Client} {
		w.storeSession(t, u)
		w.addPasskey(t, u)
	}
	return w
}

// TestAuthorizationMatrix walks routeTable (AC-03, AC-08): every API
// route, for every caller and target, answers as authzPolicy says.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		w := newAuthzWorld(t, db)
		requests := authzRequests()
		inTable := map[string]bool{}
		for _, rt := range w.e.srv.routeTable() {
			inTable[rt.pattern] = true
			if reason, ok := authzExempt[rt.pattern]; ok {
				if strings.Contains(rt.pattern, "/api/") {
					t.Errorf("%s is exempt (%s), but API routes must be in authzPolicy", rt.pattern, reason)
				}
				continue
			}
			want, ok := authzPolicy[rt.pattern]
			if !ok {
				t.Errorf("route %q is in neither authzPolicy nor authzExempt: say who may call it", rt.pattern)
				continue
			}
			req, ok := requests[rt.pattern]
			if !ok {
				t.Errorf("route %q has no entry in authzRequests: say how to call it", rt.pattern)
				continue
			}
			t.Run(rt.pattern, func(t *testing.T) { w.walk(t, rt.pattern, want, req) })
		}
		for _, names := range []map[string]bool{patternSet(authzPolicy), patternSet(authzExempt), patternSet(requests)} {
			for p := range names {
				if !inTable[p] {
					t.Errorf("the matrix names %q, which routeTable does not have", p)
				}
			}
		}
	})
}

func patternSet[V any](m map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

// walk checks one route for every caller and target.
func (w *authzWorld) walk(t *testing.T, pattern string, want func(caller, target) int, req authzRequest) {
	method, _, ok := strings.Cut(pattern, " ")
	if !ok {
		method = "GET"
	}
	targets := req.targets
	if targets == nil {
		targets = []target{noTarget}
	}
	for _, c := range matrixCallers {
		got := map[target]*httptest.ResponseRecorder{}
		for _, tg := range targets {
			token := w.tokens[c]
			if req.endsSessions && c != asAnonymous {
				token = w.e.signIn(t, w.users[c])
			}
			path, body := req.build(t, w, c, tg)
			rec := w.e.call(t, method, path, token, body)
			got[tg] = rec
			what := "as " + string(c)
			if tg != noTarget {
				what += ", target " + string(tg)
			}
			w.checkAnswer(t, what, rec, want(c, tg))
			if strings.Contains(pattern, "/fhir/") && rec.Header().Get("Content-Type") != fhirContentType {
				t.Errorf("%s: a FHIR route answers %q", what, rec.Header().Get("Content-Type"))
			}
		}
		if req.endsSessions && c != asAnonymous {
			w.tokens[c] = w.e.signIn(t, w.users[c])
		}
		// A record the caller may not see answers exactly like one that
		// does not exist (AC-03).
		if missing, ok := got[tMissing]; ok {
			for tg, rec := range got {
				if tg != tMissing && rec.Code == http.StatusNotFound && rec.Body.String() != missing.Body.String() {
					t.Errorf("as %s, target %s: 404 %s, but a missing one: %d %s", c, tg, rec.Body, missing.Code, missing.Body)
				}
			}
		}
		if req.after != nil {
			req.after(t, w, c, got)
		}
	}
}

// matrixErrorCodes is the error code each status of the matrix comes with.
var matrixErrorCodes = map[int]string{
	http.StatusBadRequest:   "invalid",
	http.StatusUnauthorized: "unauthenticated",
	http.StatusForbidden:    "forbidden",
	http.StatusNotFound:     "not_found",
	http.StatusConflict:     "conflict",
}

func (w *authzWorld) checkAnswer(t *testing.T, what string, rec *httptest.ResponseRecorder, want int) {
	t.Helper()
	body := strings.TrimSpace(rec.Body.String())
	if rec.Code != want {
		t.Errorf("%s: got %d %s, want %d", what, rec.Code, body, want)
	}
	fhirAnswer := rec.Header().Get("Content-Type") == fhirContentType
	switch {
	case rec.Code >= 400 && fhirAnswer:
		if got := outcomeOf(rec).Issue[0].Code; got != fhirIssueCodes[rec.Code] {
			t.Errorf("%s: %d with issue code %q, want %q", what, rec.Code, got, fhirIssueCodes[rec.Code])
		}
	case fhirAnswer: // a FHIR resource
	case rec.Code >= 400:
		if got := respError(rec).Error.Code; got != matrixErrorCodes[rec.Code] {
			t.Errorf("%s: %d with error code %q, want %q", what, rec.Code, got, matrixErrorCodes[rec.Code])
		}
	case rec.Code != http.StatusNoContent && !strings.HasPrefix(rec.Header().Get("Content-Disposition"), "attachment"):
		// Downloads (attachments) answer with the file's own type.
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: content type %q", what, ct)
		}
	}
	// Nothing of clinic B reaches clinic A, or anyone signed out.
	for _, id := range w.foreign {
		if strings.Contains(body, id) {
			t.Errorf("%s: the answer holds %s, of clinic B: %s", what, id, body)
		}
	}
}

// user is the existing user in relation tg to the caller (see target).
func (w *authzWorld) user(c caller, tg target) care.User {
	switch tg {
	case tSelf:
		if c == asAnonymous {
			return w.a.Client
		}
		return w.users[c]
	case tTeam:
		if c == asClient || c == asAnonymous {
			return w.a.Provider
		}
		return w.a.Client
	case tClinic:
		return w.a.OtherClient
	case tOther:
		return w.b.Client
	}
	return care.User{ID: care.NewID(), ClinicID: w.a.Clinic.ID, Role: care.RoleClient}
}

// fresh is a new user in relation tg to the caller, for requests that
// change their target; self and missing are as in user. For a client it
// also returns a provider of the same clinic on their care team and one
// who is not.
func (w *authzWorld) fresh(t *testing.T, c caller, tg target) (u care.User, onTeam, offTeam string) {
	t.Helper()
	a, b := w.a, w.b
	switch tg {
	case tTeam:
		if c == asClient || c == asAnonymous {
			p := w.newUser(t, a, care.RoleProvider)
			if err := w.e.db.Store.AddToCareTeam(context.Background(), a.Actor(a.Admin), a.Client.ID, p.ID); err != nil {
				t.Fatal(err)
			}
			return p, a.Provider.ID, a.OtherProvider.ID
		}
		return w.newClient(t, a, a.Provider), a.Provider.ID, a.OtherProvider.ID
	case tClinic:
		return w.newClient(t, a, a.OtherProvider), a.OtherProvider.ID, a.Provider.ID
	case tOther:
		return w.newClient(t, b, b.Provider), b.Provider.ID, b.OtherProvider.ID
	}
	return w.user(c, tg), a.Provider.ID, a.OtherProvider.ID
}

func (w *authzWorld) newEmail() string {
	w.n++
	return fmt.Sprintf("user%d@matrix.test", w.n)
}

func (w *authzWorld) newUser(t *testing.T, clinic *storetest.Clinic, role care.Role) care.User {
	t.Helper()
	u := care.User{ClinicID: clinic.Clinic.ID, Role: role, Email: w.newEmail(), DisplayName: "Someone"}
	if err := w.e.db.Store.CreateUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	if clinic == w.b {
		w.foreign = append(w.foreign, u.ID)
	}
	return u
}

func (w *authzWorld) newClient(t *testing.T, clinic *storetest.Clinic, provider care.User) care.User {
	t.Helper()
	u := w.newUser(t, clinic, care.RoleClient)
	if err := w.e.db.Store.AddToCareTeam(context.Background(), clinic.Actor(clinic.Admin), u.ID, provider.ID); err != nil {
		t.Fatal(err)
	}
	return u
}

// disable disables u through its clinic's admin.
func (w *authzWorld) disable(t *testing.T, u care.User) {
	t.Helper()
	clinic := w.a
	if u.ClinicID == w.b.Clinic.ID {
		clinic = w.b
	}
	if err := w.e.db.Store.DisableUser(context.Background(), clinic.Actor(clinic.Admin), u.ID, "left-clinic"); err != nil {
		t.Fatal(err)
	}
}

// storeSession gives u a session without a sign-in and returns its id.
func (w *authzWorld) storeSession(t *testing.T, u care.User) string {
	t.Helper()
	_, hash := auth.NewToken()
	sess := &care.Session{UserID: u.ID, Kind: "api", Stage: care.StageFull, MFA: u.Role.Staff(), Device: "test"}
	if err := w.e.db.Store.CreateSession(context.Background(), sess, hash); err != nil {
		t.Fatal(err)
	}
	w.sessionOwner[sess.ID] = u.ID
	if u.ClinicID == w.b.Clinic.ID {
		w.foreign = append(w.foreign, sess.ID)
	}
	return sess.ID
}

// sessionOf is a session of the user in relation tg to the caller.
func (w *authzWorld) sessionOf(t *testing.T, c caller, tg target) string {
	t.Helper()
	if tg == tMissing {
		return care.NewID()
	}
	return w.storeSession(t, w.user(c, tg))
}

// addPasskey registers a made-up passkey for u and returns its id.
func (w *authzWorld) addPasskey(t *testing.T, u care.User) string {
	t.Helper()
	credID := make([]byte, 16)
	rand.Read(credID)
	p := &care.Passkey{CredentialID: credID, Credential: `{}`, Name: "Test key"}
	if err := w.e.db.Store.AddPasskey(context.Background(), actorOf(u), p); err != nil {
		t.Fatal(err)
	}
	w.passkeyOwner[p.ID] = u.ID
	if u.ClinicID == w.b.Clinic.ID {
		w.foreign = append(w.foreign, p.ID)
	}
	return p.ID
}

// passkeyOf is a new passkey of the user in relation tg to the caller. An
// anonymous caller's "own" passkey is a new client's, so that no caller
// keeps a passkey the request failed to delete.
func (w *authzWorld) passkeyOf(t *testing.T, c caller, tg target) string {
	t.Helper()
	switch {
	case tg == tMissing:
		return care.NewID()
	case c == asAnonymous && tg == tSelf:
		return w.addPasskey(t, w.newUser(t, w.a, care.RoleClient))
	}
	u, _, _ := w.fresh(t, c, tg)
	return w.addPasskey(t, u)
}

// ceremony is the challenge id of a passkey registration begun by the user
// in relation tg to the caller: the caller's own through the API, anyone
// else's in the store.
func (w *authzWorld) ceremony(t *testing.T, c caller, tg target) string {
	t.Helper()
	switch {
	case tg == tMissing, c == asAnonymous:
		return care.NewID()
	case tg == tSelf:
		rec := w.e.call(t, "POST", "/api/v1/me/passkeys/register/begin", w.tokens[c], nil)
		expect(t, rec, http.StatusOK, "", string(c)+" beginning a passkey registration")
		return respJSON[struct {
			ID string `json:"challenge_id"`
		}](t, rec).ID
	}
	u, _, _ := w.fresh(t, c, tg)
	id := care.NewID()
	if err := w.e.db.Store.SaveChallenge(context.Background(), id, u.ID, `{}`, w.e.db.Clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	return id
}

// invitation is a token of an invitation in the state tg.
func (w *authzWorld) invitation(t *testing.T, tg target) string {
	t.Helper()
	ctx := context.Background()
	token, hash := auth.NewInvitationToken()
	if tg == tMissing {
		return token
	}
	lifetime := time.Hour
	if tg == tExpired {
		lifetime = 0
	}
	inv := &care.Invitation{Role: care.RoleProvider, Email: w.newEmail(), DisplayName: "Invitee"}
	if err := w.e.db.Store.CreateInvitation(ctx, w.a.Actor(w.a.Admin), inv, hash, lifetime); err != nil {
		t.Fatal(err)
	}
	if tg == tUsed {
		h, err := auth.HashPassword(auth.TestParams(), goodPassword)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.e.db.Store.AcceptInvitation(ctx, hash, store.Acceptance{PasswordHash: h}); err != nil {
			t.Fatal(err)
		}
	}
	return token
}

// pendingInvitation is the id of a new pending invitation, relative to
// caller c: for tSelf one c made (a client makes none: one of the
// admin's), for tTeam and tClinic one of c's clinic someone else made,
// for tOther one of clinic b.
func (w *authzWorld) pendingInvitation(t *testing.T, c caller, tg target) string {
	t.Helper()
	if tg == tMissing {
		return care.NewID()
	}
	by, clinic := w.a.Admin, w.a
	switch {
	case tg == tOther:
		by, clinic = w.b.Admin, w.b
	case tg == tSelf && c == asProvider, tg != tSelf && c == asAdmin:
		by = w.a.Provider
	}
	role := care.RoleProvider
	if by.Role == care.RoleProvider {
		role = care.RoleClient
	}
	_, hash := auth.NewInvitationToken()
	inv := &care.Invitation{Role: role, Email: w.newEmail(), DisplayName: "Invitee"}
	if err := w.e.db.Store.CreateInvitation(context.Background(), clinic.Actor(by), inv, hash, time.Hour); err != nil {
		t.Fatal(err)
	}
	return inv.ID
}

// emailChangeToken is the token of a change of email of a new client of
// clinic a, in the state tg says.
func (w *authzWorld) emailChangeToken(t *testing.T, tg target) string {
	t.Helper()
	ctx := context.Background()
	token, hash := auth.NewInvitationToken()
	if tg == tMissing {
		return token
	}
	lifetime := time.Hour
	if tg == tExpired {
		lifetime = 0
	}
	u := w.newClient(t, w.a, w.a.Provider)
	if err := w.e.db.Store.RequestEmailChange(ctx, actorOf(u), w.newEmail(), lifetime); err != nil {
		t.Fatal(err)
	}
	var id string
	if err := w.e.db.Engine.SQLDB().QueryRow(`SELECT id FROM email_changes WHERE user_id = $1`, u.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if tg == tExpired {
		if _, err := w.e.db.Engine.SQLDB().Exec(`UPDATE email_changes SET token_hash = $1 WHERE id = $2`, hash, id); err != nil {
			t.Fatal(err)
		}
		return token
	}
	if _, ok, err := w.e.db.Store.IssueEmailChangeToken(ctx, id, hash); err != nil || !ok {
		t.Fatalf("issuing: %v %v", ok, err)
	}
	if tg == tUsed {
		if err := w.e.db.Store.ConfirmEmailChange(ctx, hash); err != nil {
			t.Fatal(err)
		}
	}
	return token
}

// resetToken is the token of a password reset link of a new client of
// clinic a, in the state tg says.
func (w *authzWorld) resetToken(t *testing.T, tg target) string {
	t.Helper()
	ctx := context.Background()
	token, hash := auth.NewInvitationToken()
	if tg == tMissing {
		return token
	}
	lifetime := time.Hour
	if tg == tExpired {
		lifetime = 0
	}
	u := w.newClient(t, w.a, w.a.Provider)
	if _, err := w.e.db.Store.CreatePasswordReset(ctx, w.a.Actor(w.a.Provider), u.ID, hash, lifetime); err != nil {
		t.Fatal(err)
	}
	if tg == tUsed {
		if _, err := w.e.db.Store.ResetPassword(ctx, hash, "$argon2id$used"); err != nil {
			t.Fatal(err)
		}
	}
	return token
}

// confirmCode is a code that confirms the caller's authenticator app,
// which it first sets up if there is none.
func (w *authzWorld) confirmCode(t *testing.T, c caller) string {
	t.Helper()
	if c == asAnonymous {
		return "123456"
	}
	ctx := context.Background()
	u := w.users[c]
	creds, err := w.e.db.Store.CredentialsByEmail(ctx, u.Email)
	if err != nil {
		t.Fatal(err)
	}
	if creds.TOTPSecret == nil {
		creds.TOTPSecret = auth.NewTOTPSecret()
		if err := w.e.db.Store.SetTOTP(ctx, actorOf(u), creds.TOTPSecret); err != nil {
			t.Fatal(err)
		}
	}
	return w.e.codeAfter(creds.TOTPSecret, creds.TOTPLastStep)
}

// ensureMFA gives u a working authenticator app if they have no second
// factor.
func (w *authzWorld) ensureMFA(t *testing.T, u care.User) {
	t.Helper()
	creds, err := w.e.db.Store.CredentialsByEmail(context.Background(), u.Email)
	if err != nil {
		t.Fatal(err)
	}
	if !creds.HasMFA() {
		w.e.enrollTOTP(t, u)
	}
}
