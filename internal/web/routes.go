package web

import (
	"net/http"

	"interlude/internal/care"
)

// route is one entry of the URL surface.
type route struct {
	pattern string
	handler http.Handler
}

// routeTable declares every route of Interlude. Patterns use the standard
// library's method and wildcard syntax; a route that is not here does not
// exist. Tests walk this table.
func (s *Server) routeTable() []route {
	return []route{
		// Operations.
		{"GET /healthz", s.handle(s.healthz)},
		{"GET /metrics", s.metricsHandler()},

		// Web UI.
		{"GET /static/{file}", s.handle(s.static)},
		{"GET /{$}", s.handle(s.home)},
		{"GET /resume", s.handle(s.resumeHeld)},
		{"GET /signin", s.handle(s.signinForm)},
		{"POST /signin", s.handle(s.signinSubmit)},
		{"GET /signin/mfa", s.handle(s.mfaForm)},
		{"POST /signin/mfa", s.handle(s.mfaSubmit)},
		{"POST /signout", s.handle(s.signout)},
		{"GET /signin/forgot", s.handle(s.forgotForm)},
		{"POST /signin/forgot", s.handle(s.forgotSubmit)},
		{"GET /reset/{token}", s.handle(s.resetOpen)},
		{"GET /reset", s.handle(s.resetForm)},
		{"POST /reset", s.handle(s.resetSubmit)},
		{"GET /password-reset-link/{id}", s.handle(s.resetLinkPage)},
		{"POST /clients/{id}/password-reset", s.handle(s.resetLinkCreate)},
		{"POST /people/{id}/password-reset", s.handle(s.resetLinkCreate)},
		{"GET /people/{id}", s.handle(s.person)},
		{"POST /people/{id}/edit", s.handle(s.personEdit)},
		{"POST /people/{id}/care-team", s.handle(s.personCareTeam)},
		{"POST /people/{id}/care-team/{provider}/remove", s.handle(s.personCareTeamRemove)},
		{"POST /people/{id}/mfa-reset", s.handle(s.personMFAReset)},
		{"GET /invite/{token}", s.handle(s.inviteLink)},
		{"GET /invite", s.handle(s.inviteForm)},
		{"POST /invite", s.handle(s.inviteSubmit)},
		{"GET /account", s.handle(s.account)},
		{"POST /account/profile", s.handle(s.accountProfile)},
		{"POST /account/password", s.handle(s.accountPassword)},
		{"POST /account/email", s.handle(s.accountEmail)},
		{"GET /email-confirm/{token}", s.handle(s.emailConfirmForm)},
		{"POST /email-confirm", s.handle(s.emailConfirmSubmit)},
		{"GET /account/new-codes", s.handle(s.newCodes)},
		{"GET /account/confirm", s.handle(s.confirmForm)},
		{"POST /account/confirm", s.handle(s.confirmSubmit)},
		{"POST /account/sessions/{id}/end", s.handle(s.accountEndSession)},
		{"POST /account/sessions/end-others", s.handle(s.accountEndOthers)},
		{"POST /account/totp", s.handle(s.accountTOTPBegin)},
		{"POST /account/totp/confirm", s.handle(s.accountTOTPConfirm)},
		{"POST /account/recovery-codes", s.handle(s.accountRecoveryCodes)},
		{"POST /account/passkeys/{id}/delete", s.handle(s.accountDeletePasskey)},
		{"GET /account/record", s.handle(s.myRecord(copyHTML, false))},
		{"GET /account/record.html", s.handle(s.myRecord(copyHTML, true))},
		{"GET /account/record.json", s.handle(s.myRecord(copyFHIR, true))},
		{"GET /account/notifications", s.handle(s.notificationSettings)},
		{"POST /account/notifications", s.handle(s.notificationSettingsSubmit)},
		{"POST /account/notifications/push/{id}/delete", s.handle(s.pushSubscriptionDeleteForm)},
		{"GET /sw.js", s.handle(s.serviceWorker)},
		{"GET /people", s.handle(s.people)},
		{"POST /people/invite", s.handle(s.peopleInvite)},
		{"POST /people/invitations/{id}/resend", s.handle(s.invitationResend)},
		{"POST /people/invitations/{id}/revoke", s.handle(s.invitationRevoke)},
		{"GET /invitation-link/{id}", s.handle(s.invitationLinkPage)},
		{"GET /settings", s.handle(s.settings)},
		{"POST /people/{id}/disable", s.handle(s.peopleSetDisabled(true))},
		{"POST /people/{id}/enable", s.handle(s.peopleSetDisabled(false))},
		{"POST /people/{id}/delete", s.handle(s.peopleDelete)},
		{"POST /settings/retention", s.handle(s.peopleRetention)},
		{"GET /clients", s.handle(s.clients)},
		{"POST /clients/search", s.handle(searchPost(s.clients))}, // forms.go
		{"POST /clients/invite", s.handle(s.clientsInvite)},
		{"GET /clients/{id}", s.handle(s.clientRecord)},
		{"GET /clients/{id}/record-copy", s.handle(s.recordCopyForm)},
		{"POST /clients/{id}/record-copy", s.handle(s.recordCopySubmit)},
		{"GET /clients/{id}/plan/goals/new", s.handle(s.planGoalEdit)},
		{"GET /clients/{id}/plan/goals/{gid}", s.handle(s.planGoalEdit)},
		{"POST /clients/{id}/plan/goals", s.handle(s.planGoalSave)},
		{"POST /clients/{id}/plan/goals/{gid}", s.handle(s.planGoalSave)},
		{"POST /clients/{id}/plan/goals/{gid}/comments", s.handle(s.goalCommentForm)},
		{"GET /clients/{id}/plan/versions/{version}", s.handle(s.planVersionView)},
		{"POST /clients/{id}/sessions", s.handle(s.sessionCreateForm)},
		{"POST /clients/{id}/sessions/{sid}", s.handle(s.sessionUpdateForm)},
		{"POST /clients/{id}/tasks", s.handle(s.taskCreateForm)},
		{"POST /clients/{id}/tasks/{tid}/complete", s.handle(s.taskCompleteForm)},
		{"POST /clients/{id}/tasks/{tid}/undo", s.handle(s.taskUndoForm)},
		{"GET /plan", s.handle(s.clientPlan)},
		{"GET /more", s.handle(s.more)},
		{"GET /safety-plan", s.handle(s.safetyPlanView(false))},
		{"GET /safety-plan/edit", s.handle(s.safetyPlanView(true))},
		{"POST /safety-plan", s.handle(s.safetyPlanSave)},
		{"GET /clients/{id}/safety-plan", s.handle(s.safetyPlanView(false))},
		{"GET /clients/{id}/safety-plan/edit", s.handle(s.safetyPlanView(true))},
		{"POST /clients/{id}/safety-plan", s.handle(s.safetyPlanSave)},
		{"GET /tasks", s.handle(s.clientTasks)},
		{"GET /break-glass", s.handle(s.breakGlassForm)},
		{"POST /break-glass", s.handle(s.breakGlassSubmit)},
		{"GET /break-glass/{id}", s.handle(s.grantView)},
		{"POST /break-glass/{id}/end", s.handle(s.grantEnd)},
		{"POST /notices/{id}/read", s.handle(s.noticeRead)},
		{"GET /journal", s.handle(s.journalList)},
		{"POST /journal/search", s.handle(searchPost(s.journalList))}, // forms.go
		{"GET /journal/new", s.handle(s.journalNew)},
		{"POST /journal", s.handle(s.journalCreate)},
		{"POST /journal/quick", s.handle(s.journalQuick)},
		{"GET /journal/{eid}/edit", s.handle(s.journalEdit)},
		{"POST /journal/{eid}", s.handle(s.journalUpdate)},
		{"POST /journal/{eid}/delete", s.handle(s.journalDelete)},
		{"POST /journal/{eid}/share", s.handle(s.journalShare)},
		{"GET /journal/{eid}/versions", s.handle(s.journalVersions)},
		{"GET /journal/settings", s.handle(s.journalSettings)},
		{"POST /journal/settings", s.handle(s.journalSettingsSubmit)},
		{"POST /journal/settings/reminder", s.handle(s.journalReminderSubmit)},
		{"GET /clients/{id}/journal", s.handle(s.clientJournal)},
		{"GET /clients/{id}/brief", s.handle(s.clientBrief)},
		{"GET /messages", s.handle(s.clientMessages)},
		{"POST /messages", s.handle(s.clientMessageSend)},
		{"GET /clients/{id}/messages", s.handle(s.providerMessages)},
		{"POST /clients/{id}/messages", s.handle(s.providerMessageSend)},
		{"POST /clients/{id}/messages/{mid}/read", s.handle(s.messageReadForm)},
		{"POST /clients/{id}/messaging", s.handle(s.messagingForm)},
		{"POST /clients/{id}/safety-flags/{fid}/acknowledge", s.handle(s.flagAckForm)},
		{"GET /safety-flags", s.handle(s.safetyFlagsView)},
		{"POST /safety-flags/{fid}/acknowledge", s.handle(s.safetyFlagAck)},
		// The follow-up screener (issue #16): the client, after their flag.
		{"GET /safety-check/{fid}", s.handle(s.safetyCheckForm)},
		{"POST /safety-check/{fid}", s.handle(s.safetyCheckSubmit)},
		{"GET /safety-check/{fid}/done", s.handle(s.safetyCheckDone)},
		{"POST /settings/safety-settings", s.handle(s.peopleSafetySettings)},
		{"POST /settings/reliable-change", s.handle(s.peopleReliableChange)},
		{"GET /office-hours", s.handle(s.officeHoursView)},
		{"POST /office-hours", s.handle(s.officeHoursSubmit)},
		{"POST /settings/crisis-line", s.handle(s.peopleCrisisLine)},
		{"POST /settings/crisis-resources", s.handle(s.peopleAddResource)},
		{"POST /settings/crisis-resources/{n}/edit", s.handle(s.peopleEditResource)},
		{"POST /settings/crisis-resources/{n}/delete", s.handle(s.peopleDeleteResource)},
		{"POST /settings/safety-message", s.handle(s.peopleSafetyMessage)},
		{"POST /messages/{mid}/read", s.handle(s.messageReadForm)},
		{"GET /messages/{mid}", s.handle(s.messageView)},
		{"POST /messages/{mid}", s.handle(s.messageEditForm)},
		{"GET /clients/{id}/messages/{mid}", s.handle(s.messageView)},
		{"POST /clients/{id}/messages/{mid}", s.handle(s.messageEditForm)},
		{"GET /measures", s.handle(s.clientMeasures)},
		{"GET /progress", s.handle(s.progress)},
		{"GET /trackers", s.handle(s.clientTrackers)},
		{"GET /trackers/library", s.handle(s.trackerLibrary)},
		{"GET /trackers/{trid}/new", s.handle(s.trackerNew)},
		{"POST /trackers/{trid}/entries", s.handle(s.trackerEntryCreate)},
		{"GET /clients/{id}/trackers", s.handle(s.providerTrackers)},
		{"POST /clients/{id}/trackers", s.handle(s.trackerAssignForm)},
		{"POST /clients/{id}/trackers/{trid}/remove", s.handle(s.trackerRemoveForm)},
		{"GET /measures/{mid}", s.handle(s.measureForm)},
		{"POST /measures/{mid}", s.handle(s.measureSubmit)},
		{"GET /measures/responses/{rid}", s.handle(s.measureResult)},
		{"POST /clients/{id}/measures", s.handle(s.measureScheduleForm)},
		{"POST /clients/{id}/measures/{mid}/stop", s.handle(s.measureStopForm)},
		{"POST /checkins/{cid}/answer", s.handle(s.checkInAnswerForm)},
		{"POST /clients/{id}/checkins", s.handle(s.checkInScheduleForm)},
		{"GET /audit", s.handle(s.auditView)},
		{"GET /access-log", s.handle(s.accessLogView)},

		// JSON API: its OpenAPI 3.1 description (issue #17). Every route
		// under /api/v1/ below has its entry in openapi.json, and
		// TestOpenAPIRoutes fails until it has.
		{"GET /api/v1/openapi.json", s.handle(s.apiOpenAPI)},

		// JSON API: identity and access.
		{"POST /api/v1/sessions", s.handle(s.apiSignIn)},
		{"GET /api/v1/sessions", s.handle(s.apiSessions)},
		{"DELETE /api/v1/sessions", s.handle(s.apiEndAllSessions)},
		{"DELETE /api/v1/sessions/current", s.handle(s.apiSignOut)},
		{"POST /api/v1/sessions/current/confirm", s.handle(s.apiConfirm)},
		{"POST /api/v1/sessions/current/touch", s.handle(s.apiTouchSession)},
		{"DELETE /api/v1/sessions/{id}", s.handle(s.apiEndSession)},
		{"GET /api/v1/me", s.handle(s.apiMe)},
		{"PATCH /api/v1/me", s.handle(s.apiUpdateMe)},
		{"POST /api/v1/me/password", s.handle(s.apiChangePassword)},
		{"POST /api/v1/me/email", s.handle(s.apiChangeEmail)},
		{"POST /api/v1/email-changes/{token}", s.handle(s.apiConfirmEmail)},
		{"POST /api/v1/me/totp", s.handle(s.apiTOTPBegin)},
		{"POST /api/v1/me/totp/confirm", s.handle(s.apiTOTPConfirm)},
		{"POST /api/v1/me/recovery-codes", s.handle(s.apiRecoveryCodes)},
		{"POST /api/v1/invitations", s.handle(s.apiInvite)},
		{"GET /api/v1/invitations", s.handle(s.apiPendingInvitations)},
		{"POST /api/v1/invitations/{id}/resend", s.handle(s.apiResendInvitation)},
		{"DELETE /api/v1/invitations/{id}", s.handle(s.apiRevokeInvitation)},
		{"PATCH /api/v1/users/{id}", s.handle(s.apiUpdateUser)},
		{"POST /api/v1/users/{id}/password-reset", s.handle(s.apiResetLink)},
		{"POST /api/v1/users/{id}/mfa-reset", s.handle(s.apiMFAReset)},
		{"POST /api/v1/password-resets", s.handle(s.apiForgot)},
		{"GET /api/v1/password-resets/{token}", s.handle(s.apiReset)},
		{"POST /api/v1/password-resets/{token}", s.handle(s.apiResetUse)},
		{"GET /api/v1/invitations/{token}", s.handle(s.apiInvitation)},
		{"POST /api/v1/invitations/{token}/accept", s.handle(s.apiAccept)},
		{"GET /api/v1/users", s.handle(s.apiUsers)},
		{"POST /api/v1/users/{id}/disable", s.handle(s.apiSetDisabled(true))},
		{"POST /api/v1/users/{id}/enable", s.handle(s.apiSetDisabled(false))},

		// JSON API: passkeys (WebAuthn).
		{"POST /api/v1/me/passkeys/register/begin", s.handle(s.apiPasskeyRegisterBegin)},
		{"POST /api/v1/me/passkeys/register/finish", s.handle(s.apiPasskeyRegisterFinish)},
		{"GET /api/v1/me/passkeys", s.handle(s.apiPasskeys)},
		{"DELETE /api/v1/me/passkeys/{id}", s.handle(s.apiDeletePasskey)},
		{"POST /api/v1/passkeys/login/begin", s.handle(s.apiPasskeyLoginBegin)},
		{"POST /api/v1/passkeys/login/finish", s.handle(s.apiPasskeyLoginFinish)},

		// JSON API: clients.
		{"GET /api/v1/clients", s.handle(s.apiCaseload)},
		{"GET /api/v1/clients/{id}", s.handle(s.apiClient)},
		{"DELETE /api/v1/clients/{id}", s.handle(s.apiDeleteClient)},
		{"GET /api/v1/clinic/retention", s.handle(s.apiRetention)},
		{"PUT /api/v1/clinic/retention", s.handle(s.apiSetRetention)},
		{"GET /api/v1/clients/{id}/care-team", s.handle(s.apiGetCareTeam)},
		{"PUT /api/v1/clients/{id}/care-team", s.handle(s.apiMoveClient)},
		{"PUT /api/v1/clients/{id}/care-team/{provider}", s.handle(s.apiCareTeam(true))},
		{"DELETE /api/v1/clients/{id}/care-team/{provider}", s.handle(s.apiCareTeam(false))},

		// JSON API: break-glass emergency access (AC-06) and notices.
		{"POST /api/v1/break-glass", s.handle(s.apiBreakGlassStart)},
		{"DELETE /api/v1/break-glass/{id}", s.handle(s.apiBreakGlassEnd)},
		{"GET /api/v1/notices", s.handle(s.apiNotices)},
		{"POST /api/v1/notices/{id}/read", s.handle(s.apiNoticeRead)},

		// JSON API: the treatment plan, sessions and tasks.
		{"GET /api/v1/clients/{id}/plan", s.handle(s.apiPlan)},
		{"PUT /api/v1/clients/{id}/plan", s.handle(s.apiSavePlan)},
		{"GET /api/v1/clients/{id}/plan/versions", s.handle(s.apiPlanVersions)},
		{"GET /api/v1/clients/{id}/plan/versions/{version}", s.handle(s.apiPlanVersion)},
		{"POST /api/v1/clients/{id}/plan/goals/{gid}/comments", s.handle(s.apiGoalComment)},
		{"GET /api/v1/clients/{id}/safety-plan", s.handle(s.apiSafetyPlan)},
		{"PUT /api/v1/clients/{id}/safety-plan", s.handle(s.apiSaveSafetyPlan)},
		{"GET /api/v1/clients/{id}/sessions", s.handle(s.apiSessionsOfClient)},
		{"POST /api/v1/clients/{id}/sessions", s.handle(s.apiCreateSession)},
		{"PATCH /api/v1/clients/{id}/sessions/{sid}", s.handle(s.apiUpdateSession)},
		{"GET /api/v1/clients/{id}/tasks", s.handle(s.apiTasks)},
		{"POST /api/v1/clients/{id}/tasks", s.handle(s.apiCreateTask)},
		{"POST /api/v1/clients/{id}/tasks/{tid}/complete", s.handle(s.apiCompleteTask)},
		{"DELETE /api/v1/clients/{id}/tasks/{tid}/complete/{day}", s.handle(s.apiUndoTask)},

		// JSON API: the journal.
		{"GET /api/v1/clients/{id}/journal", s.handle(s.apiJournal)},
		{"POST /api/v1/clients/{id}/journal", s.handle(s.apiJournalCreate)},
		{"GET /api/v1/clients/{id}/journal/{eid}", s.handle(s.apiJournalEntry)},
		{"PATCH /api/v1/clients/{id}/journal/{eid}", s.handle(s.apiJournalUpdate)},
		{"DELETE /api/v1/clients/{id}/journal/{eid}", s.handle(s.apiJournalDelete)},
		{"GET /api/v1/clients/{id}/journal/{eid}/versions", s.handle(s.apiJournalVersions)},
		{"GET /api/v1/me/journal-settings", s.handle(s.apiJournalSettings)},
		{"PUT /api/v1/me/journal-settings", s.handle(s.apiSetJournalSettings)},
		{"GET /api/v1/me/journal-reminder", s.handle(s.apiJournalReminder)},
		{"PUT /api/v1/me/journal-reminder", s.handle(s.apiSetJournalReminder)},

		// JSON API: trackers (issue #19): the clinic's library, a client's
		// trackers and their entries.
		{"GET /api/v1/tracker-templates", s.handle(s.apiTrackerTemplates)},
		{"POST /api/v1/tracker-templates", s.handle(s.apiCreateTrackerTemplate)},
		{"GET /api/v1/tracker-templates/{tid}", s.handle(s.apiTrackerTemplate)},
		{"PUT /api/v1/tracker-templates/{tid}", s.handle(s.apiUpdateTrackerTemplate)},
		{"GET /api/v1/clients/{id}/trackers", s.handle(s.apiTrackers)},
		{"POST /api/v1/clients/{id}/trackers", s.handle(s.apiAssignTracker)},
		{"PATCH /api/v1/clients/{id}/trackers/{trid}", s.handle(s.apiUpdateTracker)},
		{"DELETE /api/v1/clients/{id}/trackers/{trid}", s.handle(s.apiRemoveTracker)},
		{"GET /api/v1/clients/{id}/trackers/{trid}/entries", s.handle(s.apiTrackerEntries)},
		{"POST /api/v1/clients/{id}/trackers/{trid}/entries", s.handle(s.apiCreateTrackerEntry)},
		{"GET /api/v1/clients/{id}/trackers/{trid}/entries/{eid}", s.handle(s.apiTrackerEntry)},
		{"PATCH /api/v1/clients/{id}/trackers/{trid}/entries/{eid}", s.handle(s.apiUpdateTrackerEntry)},

		// JSON API: notification settings and Web Push subscriptions.
		{"GET /api/v1/me/notification-settings", s.handle(s.apiNotificationSettings)},
		{"PUT /api/v1/me/notification-settings", s.handle(s.apiSetNotificationSettings)},
		{"GET /api/v1/me/push-subscriptions", s.handle(s.apiPushSubscriptions)},
		{"POST /api/v1/me/push-subscriptions", s.handle(s.apiAddPushSubscription)},
		{"DELETE /api/v1/me/push-subscriptions/{id}", s.handle(s.apiDeletePushSubscription)},

		// JSON API: messages and the real-time stream.
		{"GET /api/v1/clients/{id}/messages", s.handle(s.apiMessages)},
		{"POST /api/v1/clients/{id}/messages", s.handle(s.apiSendMessage)},
		{"POST /api/v1/clients/{id}/messages/{mid}/read", s.handle(s.apiReadMessage)},
		{"PATCH /api/v1/clients/{id}/messages/{mid}", s.handle(s.apiEditMessage)},
		{"GET /api/v1/clients/{id}/messages/{mid}/versions", s.handle(s.apiMessageVersions)},
		{"GET /api/v1/clients/{id}/messages/{mid}/attachments/{aid}", s.handle(s.apiAttachment)},

		// JSON API: check-ins.
		{"GET /api/v1/clients/{id}/checkins", s.handle(s.apiCheckIns)},
		{"PUT /api/v1/clients/{id}/checkins", s.handle(s.apiSetCheckIns)},
		{"POST /api/v1/clients/{id}/checkins/{cid}/answer", s.handle(s.apiAnswerCheckIn)},
		{"GET /api/v1/events", s.handle(s.apiEvents)},

		// JSON API: measures (PHQ-9, GAD-7).
		{"GET /api/v1/instruments", s.handle(s.apiInstruments)},
		{"GET /api/v1/clients/{id}/measures", s.handle(s.apiMeasures)},
		{"POST /api/v1/clients/{id}/measures", s.handle(s.apiScheduleMeasure)},
		{"DELETE /api/v1/clients/{id}/measures/{mid}", s.handle(s.apiStopMeasure)},
		{"POST /api/v1/clients/{id}/measures/{mid}/responses", s.handle(s.apiAnswerMeasure)},
		// JSON API: the pre-session brief (issue #7).
		{"GET /api/v1/clients/{id}/brief", s.handle(s.apiBrief)},
		// JSON API: safety flags and crisis resources (issues #6, #7).
		{"GET /api/v1/safety-flags", s.handle(s.apiOpenFlags)},
		{"GET /api/v1/clients/{id}/safety-flags", s.handle(s.apiClientFlags)},
		{"POST /api/v1/clients/{id}/safety-flags/{fid}/acknowledge", s.handle(s.apiAcknowledgeFlag)},
		{"POST /api/v1/clients/{id}/safety-flags/{fid}/screener", s.handle(s.apiAnswerScreener)},
		{"GET /api/v1/clinic/crisis-line", s.handle(s.apiCrisisLine)},
		{"PUT /api/v1/clinic/crisis-line", s.handle(s.apiSetCrisisLine)},
		{"GET /api/v1/clinic/crisis-resources", s.handle(s.apiClinicResources)},
		{"PUT /api/v1/clinic/crisis-resources", s.handle(s.apiSetClinicResources)},
		{"GET /api/v1/clinic/safety-settings", s.handle(s.apiSafetySettings)},
		{"PUT /api/v1/clinic/safety-settings", s.handle(s.apiSetSafetySettings)},
		{"GET /api/v1/clinic/reliable-change", s.handle(s.apiReliableChange)},
		{"PUT /api/v1/clinic/reliable-change", s.handle(s.apiSetReliableChange)},
		{"GET /api/v1/me/office-hours", s.handle(s.apiOfficeHours)},
		{"PUT /api/v1/me/office-hours", s.handle(s.apiSetOfficeHours)},
		{"GET /api/v1/clients/{id}/messaging", s.handle(s.apiMessaging)},
		{"PUT /api/v1/clients/{id}/messaging", s.handle(s.apiSetMessaging)},

		// JSON API: reading the audit trail (AD-05).
		{"GET /api/v1/audit", s.handle(s.apiAudit)},
		{"GET /api/v1/clients/{id}/access-log", s.handle(s.apiAccessLog)},
		{"GET /api/v1/clients/{id}/export", s.handle(s.apiRecordExport)},

		// FHIR R4 (issue #8, docs/fhir.md): read and search by patient of
		// the record's resources, Patient/$everything, the capabilities.
		{"GET /fhir/R4/metadata", s.handle(s.fhirMetadata)},
		// Bulk Data export of the clinic (web/bulk.go): kick-off, status, files.
		{"GET /fhir/R4/$export", s.handle(s.bulkKickOff)},
		{"GET /fhir/R4/Group/{id}/$export", s.handle(s.bulkKickOff)},
		{"GET /fhir/R4/bulk-status/{id}", s.handle(s.bulkStatus)},
		{"DELETE /fhir/R4/bulk-status/{id}", s.handle(s.bulkDelete)},
		{"GET /fhir/R4/bulk-files/{id}/{file}", s.handle(s.bulkFile)},
		{"GET /fhir/R4/CodeSystem/{id}", s.handle(s.fhirCodeSystem)},
		{"GET /fhir/R4/Patient/{id}/$everything", s.handle(s.fhirEverything)},
		{"GET /fhir/R4/{type}/{id}", s.handle(s.fhirRead)},
		{"GET /fhir/R4/{type}", s.handle(s.fhirSearch)},
		{"/fhir/", s.handle(fhirNotFound)},

		{"/api/", s.handle(apiNotFound)},

		// Anything else is a page that does not exist.
		{"/", s.handle(pageNotFound)},
	}
}

// routes builds the handler: the route table inside the middleware that
// every request passes, outermost first.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routeTable() {
		mux.Handle(rt.pattern, rt.handler)
	}
	// Cross-origin state changes are refused (WF-01): browsers say where a
	// request comes from, and a POST from another site never reaches a
	// handler. API clients that send no such headers are not browsers and
	// authenticate with a bearer token, which no other site can attach.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return care.Errorf(care.Forbidden, "cross-origin request refused")
	}))
	return s.requestID(s.observe(s.recoverPanics(securityHeaders(cop.Handler(s.authenticate(s.formOnce(recordRoute(mux))))))))
}
