package care

import (
	"errors"
	"strings"
	"testing"
)

// TestClinicLineTel (issue #16): the tel: link of the clinic's crisis line
// dials the number of the admin's text and nothing else; the rest of the
// text (its hours) is shown beside it, and the line is never called open
// "any time" unless it says 24/7.
func TestClinicLineTel(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		line, tel, hours string
		always           bool
	}{
		{"Call (555) 010-0199, weekdays 8–20", "+15550100199", "weekdays 8–20", false},
		{"Call (555) 010-0199", "+15550100199", "", false},
		{"555-010-0199 (24/7)", "+15550100199", "(24/7)", true},
		{"+1 555 010 0199 — 24 hours", "+15550100199", "24 hours", true},
		{"1-555-010-0199 Mon–Fri 9 to 5", "+15550100199", "Mon–Fri 9 to 5", false},
		{"Ring +44 20 7946 0958 any weekday 9-17", "+442079460958", "any weekday 9-17", false},
		{"Our on-call counselor: 555.010.0199 after 6pm", "+15550100199", "after 6pm", false},
		{"Clinic on call: (555) 010-0199", "+15550100199", "", false},
		{"Ask at the front desk, open 8-20", "", "Ask at the front desk, open 8-20", false},
		{"Room 12, 8-20", "", "Room 12, 8-20", false},
	} {
		r := ClinicLine(tt.line)
		if r.Tel != tt.tel {
			t.Errorf("ClinicLine(%q).Tel = %q, want %q", tt.line, r.Tel, tt.tel)
		}
		if r.Hours != tt.hours {
			t.Errorf("ClinicLine(%q).Hours = %q, want %q", tt.line, r.Hours, tt.hours)
		}
		if r.AlwaysOpen != tt.always {
			t.Errorf("ClinicLine(%q).AlwaysOpen = %v, want %v", tt.line, r.AlwaysOpen, tt.always)
		}
		if r.Tel != "" && !strings.Contains(r.Detail, "010") && !strings.Contains(r.Detail, "7946") {
			t.Errorf("ClinicLine(%q).Detail = %q does not show the number", tt.line, r.Detail)
		}
	}
}

// TestCrisisResourcesComplete (issue #16): the defaults name 988 by call,
// text and chat, its Spanish route, the Crisis Text Line and 911; every
// national line says it is open 24/7 and the clinic's line shows its own
// hours.
func TestCrisisResourcesComplete(t *testing.T) {
	t.Parallel()
	rs := CrisisResources("Call (555) 010-0199, weekdays 8–20", nil)
	var all []string
	for _, r := range rs {
		all = append(all, r.Name+" | "+r.Detail+" | tel:"+r.Tel+" | sms:"+r.SMS+" "+r.SMSBody+" | "+r.ChatURL+" | "+r.Hours+" | "+r.Language)
	}
	text := strings.Join(all, "\n")
	for _, want := range []string{
		"tel:988 | sms:988  | https://988lifeline.org/chat | 24/7 | en",
		"sms:988 AYUDA",
		"sms:741741 HOME",
		"tel:911",
		"tel:+15550100199 | sms:  |  | weekdays 8–20",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("resources lack %q:\n%s", want, text)
		}
	}
	for _, r := range rs {
		if strings.Contains(strings.ToLower(r.Detail+r.Hours), "any time") {
			t.Errorf("%s says it is open any time: %+v", r.Name, r)
		}
		if r.Tel == "" && r.SMS == "" && r.ChatURL == "" {
			t.Errorf("%s has no way to reach it", r.Name)
		}
	}
}

// TestClinicResourceValidate (issue #16): each field of a clinic's own
// crisis resource is checked, and the error names the field.
func TestClinicResourceValidate(t *testing.T) {
	t.Parallel()
	ok := ClinicResource{Name: "Clinic on call", Phone: "+15550100199", Hours: "weekdays 8–20", Language: "en"}
	for _, tt := range []struct {
		name  string
		edit  func(*ClinicResource)
		field string // "" for valid
	}{
		{"valid", func(*ClinicResource) {}, ""},
		{"always open", func(r *ClinicResource) { r.Hours, r.AlwaysOpen = "", true }, ""},
		{"sms short code with keyword", func(r *ClinicResource) { r.Phone, r.SMS, r.SMSKeyword = "", "741741", "HOME" }, ""},
		{"sms e164", func(r *ClinicResource) { r.SMS = "+447700900123" }, ""},
		{"chat only", func(r *ClinicResource) { r.Phone, r.ChatURL = "", "https://example.org/chat" }, ""},
		{"spanish", func(r *ClinicResource) { r.Language = "es" }, ""},
		{"longest phone", func(r *ClinicResource) { r.Phone = "+123456789012345" }, ""},
		{"shortest phone", func(r *ClinicResource) { r.Phone = "+12345678" }, ""},
		{"no name", func(r *ClinicResource) { r.Name = "  " }, "name"},
		{"long name", func(r *ClinicResource) { r.Name = strings.Repeat("é", 81) }, "name"},
		{"name on two lines", func(r *ClinicResource) { r.Name = "a\nb" }, "name"},
		{"phone with dashes", func(r *ClinicResource) { r.Phone = "555-0100" }, "phone"},
		{"phone without plus", func(r *ClinicResource) { r.Phone = "15550100199" }, "phone"},
		{"phone too short", func(r *ClinicResource) { r.Phone = "+1234567" }, "phone"},
		{"phone too long", func(r *ClinicResource) { r.Phone = "+1234567890123456" }, "phone"},
		{"phone leading zero", func(r *ClinicResource) { r.Phone = "+05550100199" }, "phone"},
		{"sms too short", func(r *ClinicResource) { r.SMS = "12" }, "sms"},
		{"sms 7 digits", func(r *ClinicResource) { r.SMS = "1234567" }, "sms"},
		{"keyword without sms", func(r *ClinicResource) { r.SMSKeyword = "HOME" }, "sms_keyword"},
		{"keyword two words", func(r *ClinicResource) { r.SMS, r.SMSKeyword = "741741", "GO HOME" }, "sms_keyword"},
		{"keyword too long", func(r *ClinicResource) { r.SMS, r.SMSKeyword = "741741", strings.Repeat("A", 21) }, "sms_keyword"},
		{"chat http", func(r *ClinicResource) { r.ChatURL = "http://example.org/chat" }, "chat_url"},
		{"chat javascript", func(r *ClinicResource) { r.ChatURL = "javascript:alert(1)" }, "chat_url"},
		{"chat too long", func(r *ClinicResource) { r.ChatURL = "https://example.org/" + strings.Repeat("a", 281) }, "chat_url"},
		{"no way to reach", func(r *ClinicResource) { r.Phone = "" }, "phone"},
		{"no hours", func(r *ClinicResource) { r.Hours = "" }, "hours"},
		{"hours and always open", func(r *ClinicResource) { r.AlwaysOpen = true }, "hours"},
		{"long hours", func(r *ClinicResource) { r.Hours = strings.Repeat("h", 81) }, "hours"},
		{"no language", func(r *ClinicResource) { r.Language = "" }, "language"},
		{"french", func(r *ClinicResource) { r.Language = "fr" }, "language"},
	} {
		r := ok
		tt.edit(&r)
		err := r.Validate()
		if tt.field == "" {
			if err != nil {
				t.Errorf("%s: %+v: %v, want valid", tt.name, r, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != Invalid || e.Field != tt.field {
			t.Errorf("%s: %+v: err %v, want invalid %s", tt.name, r, err, tt.field)
		}
	}
	list := make([]ClinicResource, MaxClinicResources+1)
	for i := range list {
		list[i] = ok
	}
	if err := ValidateClinicResources(list); ErrorCode(err) != Invalid {
		t.Errorf("%d resources: %v, want invalid", len(list), err)
	}
	if err := ValidateClinicResources(list[:MaxClinicResources]); err != nil {
		t.Errorf("%d resources: %v", MaxClinicResources, err)
	}
	list[1].Phone = "555-0100"
	var e *Error
	if err := ValidateClinicResources(list[:2]); !errors.As(err, &e) || e.Field != "resources.1.phone" {
		t.Errorf("bad second resource: %v, want resources.1.phone", err)
	}
}

// TestCrisisResourcesClinicList (issue #16): the clinic's resources come
// after the national lines and before the legacy line, each with its
// tel:, sms: and chat links, its hours and its language.
func TestCrisisResourcesClinicList(t *testing.T) {
	t.Parallel()
	clinic := []ClinicResource{
		{Name: "Clinic on call", Phone: "+15550100199", Hours: "weekdays 8–20", Language: "en"},
		{Name: "Línea de la clínica", SMS: "55501", SMSKeyword: "AYUDA", ChatURL: "https://example.org/chat", AlwaysOpen: true, Language: "es"},
	}
	rs := CrisisResources("Call (555) 010-0188", clinic)
	n := len(NationalResources())
	if len(rs) != n+3 {
		t.Fatalf("got %d resources, want %d", len(rs), n+3)
	}
	want := []CrisisResource{
		{Name: "Clinic on call", Detail: "Call +15550100199", Tel: "+15550100199", Hours: "weekdays 8–20", Language: "en"},
		{Name: "Línea de la clínica", Detail: "Envíe AYUDA al 55501 o chatee en línea", SMS: "55501", SMSBody: "AYUDA",
			ChatURL: "https://example.org/chat", Hours: "24/7", AlwaysOpen: true, Language: "es"},
	}
	for i, w := range want {
		if got := rs[n+i]; got != w {
			t.Errorf("resource %d:\n got %+v\nwant %+v", n+i, got, w)
		}
	}
	if got := rs[n+2]; got.Tel != "+15550100188" {
		t.Errorf("legacy line last: got %+v", got)
	}
	if got := rs[n+1].SMSURI(); got != "sms:55501?body=AYUDA" {
		t.Errorf("SMSURI = %q", got)
	}
	if len(CrisisResources("", nil)) != n {
		t.Errorf("no clinic resources: got more than the national ones")
	}
}

// TestInLanguage (#16): a Spanish reader sees the lines in Spanish first,
// then 911, then the rest, every one still there; English or no language
// keeps the order.
func TestInLanguage(t *testing.T) {
	t.Parallel()
	all := CrisisResources("Call (555) 010-0199", []ClinicResource{{Name: "Línea de la clínica", Phone: "+15550100100", AlwaysOpen: true, Language: "es"}})
	es := InLanguage(all, "es")
	if len(es) != len(all) {
		t.Fatalf("%d resources, want %d", len(es), len(all))
	}
	seenOther := false
	for _, r := range es {
		first := r.Language == "es" || r.Tel == "911"
		if first && seenOther {
			t.Errorf("%s after a resource in another language: %+v", r.Name, es)
		}
		seenOther = seenOther || !first
	}
	if es[0].Language != "es" {
		t.Errorf("first for a Spanish reader: %+v", es[0])
	}
	for _, lang := range []string{"en", ""} {
		got := InLanguage(all, lang)
		if lang == "" && len(got) != len(all) {
			t.Errorf("no language: %d", len(got))
		}
		for i := range got {
			if got[i].Name != all[i].Name {
				t.Errorf("%q: resource %d is %s, want %s", lang, i, got[i].Name, all[i].Name)
			}
		}
	}
}
