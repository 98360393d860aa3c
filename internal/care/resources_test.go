package care

import (
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
	rs := CrisisResources("Call (555) 010-0199, weekdays 8–20")
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
