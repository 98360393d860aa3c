package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// reminderFormSample is the reminder section of journal_settings for
// TestEveryPageTemplate: on, with an error on the weekdays.
func reminderFormSample() reminderForm {
	f := newReminderForm(care.JournalReminder{On: true, Minute: 20 * 60, Weekdays: []time.Weekday{time.Monday}}, "Europe/Berlin")
	f.Error, f.Field = "Choose at least one day.", "weekdays"
	return f
}

var (
	journalReminderRequest = authzRequest{build: fixedRequest("/api/v1/me/journal-reminder", nil)}
	journalReminderPut     = authzRequest{build: fixedRequest("/api/v1/me/journal-reminder",
		map[string]any{"on": true, "time": "20:00", "weekdays": []string{"mon", "thu"}})}
)

// TestJournalReminderPage: a client sets their journaling reminder on
// /journal/settings (post/redirect/get) and in the API; a time that is
// not HH:MM, or no weekday while on, is a clear error that changes
// nothing; each change is audited (issue #18).
func TestJournalReminderPage(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "Reminder Pages")
		e.setPassword(t, c.Client)
		client := e.signIn(t, c.Client)
		ctx := context.Background()

		rec := e.call(t, "GET", "/journal/settings", client, nil)
		expect(t, rec, http.StatusOK, "", "the settings page")
		page := rec.Body.String()
		for _, want := range []string{`<legend>On these days</legend>`, `<label for="reminder-time">At</label>`,
			`id="reminder-time" name="time" type="time" value="20:00"`, `<label for="reminder-mon">Monday</label>`,
			`id="reminder-on" name="reminder" value="on" >`} {
			if !strings.Contains(page, want) {
				t.Errorf("the page lacks %q", want)
			}
		}

		rec = e.form(t, "/journal/settings/reminder", client, url.Values{"reminder": {"on"}, "time": {"07:45"}, "weekday": {"mon", "wed"}})
		expect(t, rec, http.StatusSeeOther, "", "saving")
		if loc := rec.Header().Get("Location"); loc != "/journal/settings?done=journal-reminder" {
			t.Errorf("after saving: %s", loc)
		}
		saved, err := db.Store.JournalReminder(ctx, actorOf(c.Client))
		if err != nil || !saved.On || saved.Minute != 7*60+45 || len(saved.Weekdays) != 2 || saved.Version != 1 {
			t.Fatalf("stored %+v, %v", saved, err)
		}
		b := e.call(t, "GET", "/journal/settings?done=journal-reminder", client, nil).Body.String()
		for _, want := range []string{"Your reminder is saved.", `value="07:45"`, `id="reminder-wed" name="weekday" value="wed" checked`, `id="reminder-on" name="reminder" value="on" checked`} {
			if !strings.Contains(b, want) {
				t.Errorf("after saving, the page lacks %q", want)
			}
		}

		for _, bad := range []struct {
			name string
			v    url.Values
			want string
		}{
			{"a time that is not HH:MM", url.Values{"reminder": {"on"}, "time": {"7pm"}, "weekday": {"mon"}},
				`id="reminder-time" name="time" type="time" value="7pm" aria-describedby="reminder-zone reminder-error" aria-invalid="true"`},
			{"no weekday while on", url.Values{"reminder": {"on"}, "time": {"08:00"}},
				`<fieldset class="choices" aria-describedby="reminder-error">`},
		} {
			rec := e.form(t, "/journal/settings/reminder", client, bad.v)
			expect(t, rec, http.StatusBadRequest, "", bad.name)
			if b := rec.Body.String(); !strings.Contains(b, `role="alert" id="reminder-error"`) || !strings.Contains(b, bad.want) {
				t.Errorf("%s: the refused form:\n%s", bad.name, b)
			}
			if got, _ := db.Store.JournalReminder(ctx, actorOf(c.Client)); got.Version != saved.Version {
				t.Errorf("%s changed the reminder: %+v", bad.name, got)
			}
		}

		// Off through the form: the days are kept for next time.
		expect(t, e.form(t, "/journal/settings/reminder", client, url.Values{"time": {"07:45"}, "weekday": {"mon", "wed"}}), http.StatusSeeOther, "", "turning it off")
		if got, _ := db.Store.JournalReminder(ctx, actorOf(c.Client)); got.On || len(got.Weekdays) != 2 {
			t.Errorf("off: %+v", got)
		}

		// The API.
		rec = e.call(t, "PUT", "/api/v1/me/journal-reminder", client, map[string]any{"on": true, "time": "21:15", "weekdays": []string{"sun", "Saturday"}})
		expect(t, rec, http.StatusOK, "", "setting it in the API")
		if b := rec.Body.String(); !strings.Contains(b, `"time":"21:15"`) || !strings.Contains(b, `"weekdays":["sun","sat"]`) || !strings.Contains(b, `"on":true`) {
			t.Errorf("the API's answer: %s", b)
		}
		rec = e.call(t, "GET", "/api/v1/me/journal-reminder", client, nil)
		expect(t, rec, http.StatusOK, "", "reading it in the API")
		if b := rec.Body.String(); !strings.Contains(b, `"time":"21:15"`) || !strings.Contains(b, `"time_zone":"`+c.Client.TimeZone+`"`) {
			t.Errorf("the API's reminder: %s", b)
		}
		for _, bad := range []map[string]any{
			{"time": "21:15", "weekdays": []string{"sun"}},
			{"on": true, "time": "25:00", "weekdays": []string{"sun"}},
			{"on": true, "time": "21:15", "weekdays": []string{}},
			{"on": true, "time": "21:15", "weekdays": []string{"someday"}},
		} {
			expect(t, e.call(t, "PUT", "/api/v1/me/journal-reminder", client, bad), http.StatusBadRequest, "invalid", "a bad reminder")
		}
		var audits int
		if err := db.Engine.SQLDB().QueryRow(`SELECT count(*) FROM audit_events WHERE action = 'journal.reminder' AND client_id = $1`, c.Client.ID).Scan(&audits); err != nil {
			t.Fatal(err)
		}
		if audits != 3 {
			t.Errorf("%d audited changes, want 3", audits)
		}
	})
}
