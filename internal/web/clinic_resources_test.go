package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"interlude/internal/care"
	"interlude/internal/store/storetest"
)

// TestClinicResourcePages (issue #16): the admin adds a resource of the
// clinic's own on the People page, with a phone in E.164 and its hours;
// the client's crisis banner dials it and shows the hours. A phone that
// is not E.164 is refused beside the field, with the values kept and
// nothing stored; a provider may not change the list; the admin edits
// and deletes it.
func TestClinicResourcePages(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		ctx := context.Background()
		m := newMessagesEnv(t, db)
		m.setPassword(t, m.c.Admin)
		m.enrollTOTP(t, m.c.Admin)
		admin := m.signIn(t, m.c.Admin)
		form := func(path, token string, v url.Values) *httptest.ResponseRecorder {
			t.Helper()
			return m.send2(t, path, token, v.Encode())
		}
		page := func(path, token string) string {
			t.Helper()
			rec := m.call(t, "GET", path, token, nil)
			expect(t, rec, http.StatusOK, "", "GET "+path)
			return rec.Body.String()
		}
		stored := func() []care.ClinicResource {
			t.Helper()
			list, err := db.Store.ClinicResources(ctx, m.c.Actor(m.c.Admin))
			if err != nil {
				t.Fatal(err)
			}
			return list
		}

		body := page("/settings", admin)
		for _, want := range []string{"Crisis resources your clients see", "988 Suicide &amp; Crisis Lifeline", `lang="es"`, `action="/settings/crisis-resources"`, "None yet."} {
			if !strings.Contains(body, want) {
				t.Errorf("the People page lacks %q", want)
			}
		}

		// A phone that is not E.164: refused beside the field.
		bad := url.Values{"name": {"Clinic on call"}, "phone": {"555-0100"}, "hours": {"weekdays 8–20"}, "language": {"en"}}
		rec := form("/settings/crisis-resources", admin, bad)
		expect(t, rec, http.StatusBadRequest, "", "a phone that is not E.164")
		body = rec.Body.String()
		for _, want := range []string{`id="res-new-phone" name="phone" type="tel" maxlength="16" value="555-0100"`,
			`aria-describedby="res-new-phone-hint res-new-error" aria-invalid="true"`, `<p class="error" role="alert" id="res-new-error">must be an international number`,
			`value="weekdays 8–20"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the refusal lacks %q", want)
			}
		}
		if i, j := strings.Index(body, `id="res-new-phone"`), strings.Index(body, `id="res-new-error"`); i < 0 || j < i || j > strings.Index(body, `id="res-new-sms"`) {
			t.Error("the error is not beside the phone field")
		}
		if list := stored(); len(list) != 0 {
			t.Errorf("stored after a refusal: %+v", list)
		}

		// A provider may not.
		good := url.Values{"name": {"Clinic on call"}, "phone": {"+15550100199"}, "hours": {"weekdays 8–20"}, "language": {"en"}}
		expect(t, form("/settings/crisis-resources", m.provider, good), http.StatusForbidden, "", "a provider adds a resource")
		if list := stored(); len(list) != 0 {
			t.Errorf("stored after a provider's post: %+v", list)
		}

		// The admin adds it; the client's crisis banner dials it and says when it is open.
		expect(t, form("/settings/crisis-resources", admin, good), http.StatusSeeOther, "", "adding a resource")
		if list := stored(); len(list) != 1 || list[0].Phone != "+15550100199" || list[0].Hours != "weekdays 8–20" {
			t.Fatalf("stored %+v", list)
		}
		if body := page("/settings", admin); !strings.Contains(body, `id="res-0-phone" name="phone" type="tel" maxlength="16" value="&#43;15550100199"`) ||
			!strings.Contains(body, `action="/settings/crisis-resources/0/delete"`) {
			t.Error("the People page lacks the clinic's resource and its forms")
		}
		_, body = m.followSeeOther(t, form("/messages", m.client, url.Values{"text": {"I want to end my life"}}), m.client, "a message with crisis language")
		if !strings.Contains(body, `class="crisis-now"`) || !strings.Contains(body, `href="tel:&#43;15550100199"`) ||
			!strings.Contains(body, `<strong>Clinic on call</strong>`) || !strings.Contains(body, `<span class="hours">Open: weekdays 8–20</span>`) {
			t.Errorf("the client's crisis banner lacks the clinic's resource: %s", body)
		}

		// Edited to be always open, in Spanish, with a word to text; then deleted.
		edit := url.Values{"name": {"Línea de la clínica"}, "phone": {"+15550100199"}, "sms": {"55501"}, "sms_keyword": {"AYUDA"}, "always_open": {"on"}, "language": {"es"}}
		expect(t, form("/settings/crisis-resources/0/edit", admin, edit), http.StatusSeeOther, "", "editing")
		if list := stored(); len(list) != 1 || !list[0].AlwaysOpen || list[0].SMSKeyword != "AYUDA" || list[0].Language != "es" {
			t.Fatalf("after the edit %+v", list)
		}
		body = page("/settings", admin)
		if !strings.Contains(body, `<li lang="es"><strong>Línea de la clínica</strong>`) || !strings.Contains(body, `href="sms:55501?body=AYUDA"`) ||
			!strings.Contains(body, "24 horas, todos los días") {
			t.Error("the People page does not show the Spanish resource in Spanish")
		}
		edit.Set("hours", "weekdays")
		rec = form("/settings/crisis-resources/0/edit", admin, edit)
		expect(t, rec, http.StatusBadRequest, "", "hours and always open")
		if !strings.Contains(rec.Body.String(), `id="res-0-hours" name="hours" type="text" maxlength="80" value="weekdays" aria-describedby="res-0-hours-hint res-0-error" aria-invalid="true"`) {
			t.Error("the edit's refusal is not at its hours field")
		}
		expect(t, form("/settings/crisis-resources/1/edit", admin, edit), http.StatusNotFound, "", "editing a resource that is not there")
		expect(t, form("/settings/crisis-resources/0/delete", m.provider, nil), http.StatusForbidden, "", "a provider deletes")
		expect(t, form("/settings/crisis-resources/0/delete", admin, nil), http.StatusSeeOther, "", "deleting")
		if list := stored(); len(list) != 0 {
			t.Errorf("after the delete %+v", list)
		}
	})
}

// TestClinicResourcesAPI (issue #16): GET and PUT
// /api/v1/clinic/crisis-resources, strictly decoded; admins replace the
// list, everyone of the clinic reads it, and the crisis resources of an
// answer include it.
func TestClinicResourcesAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newPlanEnv(t, db)
		admin := e.signIn(t, e.c.Admin)
		api := "/api/v1/clinic/crisis-resources"
		rec := e.call(t, "GET", api, e.client, nil)
		expect(t, rec, http.StatusOK, "", "reading none")
		if got := respJSON[clinicResourcesJSON](t, rec); got.Resources == nil || len(*got.Resources) != 0 {
			t.Errorf("no resources read as %+v", got)
		}
		one := map[string]any{"resources": []map[string]any{{"name": "Clinic on call", "phone": "+15550100199", "hours": "weekdays 8–20", "language": "en"}}}
		expect(t, e.call(t, "PUT", api, e.provider, one), http.StatusForbidden, "forbidden", "a provider")
		for _, body := range []string{
			`{}`,
			`{"resources": [{"name": "X", "phone": "+15550100199", "hours": "h", "language": "en", "fax": "1"}]}`,
			`{"resources": [{"name": "X", "phone": "555-0100", "hours": "h", "language": "en"}]}`,
			`{"resources": [{"name": "X", "phone": "+15550100199", "language": "en"}]}`,
			`{"resources": [{"name": "X", "phone": "+15550100199", "hours": "h", "always_open": "yes", "language": "en"}]}`,
		} {
			expect(t, e.send(t, envRequest{method: "PUT", path: api, token: admin, body: body}), http.StatusBadRequest, "invalid", body)
		}
		expect(t, e.call(t, "PUT", api, admin, one), http.StatusOK, "", "an admin")
		rec = e.call(t, "GET", api, e.provider, nil)
		expect(t, rec, http.StatusOK, "", "reading")
		if got := respJSON[clinicResourcesJSON](t, rec); got.Resources == nil || len(*got.Resources) != 1 || (*got.Resources)[0].Phone != "+15550100199" {
			t.Errorf("read %+v", got)
		}
		resources, err := (&Server{store: db.Store}).clinicCrisisResources(httptest.NewRequest("GET", "/", nil), e.c.Actor(e.c.Client))
		if err != nil || resources[len(resources)-1].Tel != "+15550100199" || resources[len(resources)-1].Hours != "weekdays 8–20" {
			t.Errorf("the client's crisis resources: %+v %v", resources, err)
		}
		expect(t, e.call(t, "PUT", api, admin, map[string]any{"resources": []any{}}), http.StatusOK, "", "emptied")
	})
}
