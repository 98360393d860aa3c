package care

import (
	"regexp"
	"strings"
	"unicode"
)

// Crisis resources (issue #16): where a client gets help now. The national
// lines are the United States' (docs/safety.md names the source of each);
// the clinic's own line is the admin's one line of text, from which the
// number to dial is read (ClinicLine). The platform never promises
// round-the-clock monitoring, and says a line is open 24/7 only when it is.

// CrisisResource is one place to get help now.
type CrisisResource struct {
	Name       string // "988 Suicide & Crisis Lifeline"
	Detail     string // how to reach it: "Call or text 988"
	Tel        string // what a tel: link dials: a short code ("988") or an E.164 number; "" if none
	SMS        string // what an sms: link texts: "741741"; "" if none
	SMSBody    string // the word to text, if the line asks for one: "HOME"
	ChatURL    string // an https address of a chat, "" if none
	Hours      string // "24/7", or what the clinic says of its line's hours ("" if it says nothing)
	AlwaysOpen bool   // open every hour of every day
	Language   string // BCP 47: "en", "es"
}

// SMSURI is the sms: link of r: the number, and the word to text when the
// line asks for one (RFC 5724's body).
func (r CrisisResource) SMSURI() string {
	if r.SMS == "" {
		return ""
	}
	if r.SMSBody == "" {
		return "sms:" + r.SMS
	}
	return "sms:" + r.SMS + "?body=" + r.SMSBody
}

// nationalResources are the United States' crisis lines, open 24/7.
var nationalResources = []CrisisResource{
	{Name: "988 Suicide & Crisis Lifeline", Detail: "Call or text 988, or chat online", Tel: "988", SMS: "988",
		ChatURL: "https://988lifeline.org/chat", Hours: "24/7", AlwaysOpen: true, Language: "en"},
	{Name: "988 Lifeline en español", Detail: "Llame al 988 y marque 2, o envíe AYUDA al 988 por mensaje de texto", Tel: "988", SMS: "988", SMSBody: "AYUDA",
		ChatURL: "https://988lineadevida.org", Hours: "24/7", AlwaysOpen: true, Language: "es"},
	{Name: "Crisis Text Line", Detail: "Text HOME to 741741", SMS: "741741", SMSBody: "HOME",
		Hours: "24/7", AlwaysOpen: true, Language: "en"},
	{Name: "Emergency", Detail: "Call 911 if you are in danger now", Tel: "911", Hours: "24/7", AlwaysOpen: true, Language: "en"},
}

// NationalResources are the defaults every clinic shows: 988 (call, text
// and chat, and its Spanish line), the Crisis Text Line and 911.
func NationalResources() []CrisisResource {
	return append([]CrisisResource(nil), nationalResources...)
}

// CrisisResources are where a client gets help now: the national lines
// (NationalResources), then the clinic's own resources in the admin's
// order, then, when the clinic has one, its legacy one-line crisis line
// with its hours (ClinicLine).
func CrisisResources(clinicCrisisLine string, clinic []ClinicResource) []CrisisResource {
	out := NationalResources()
	for _, c := range clinic {
		out = append(out, c.Resource())
	}
	if strings.TrimSpace(clinicCrisisLine) != "" {
		out = append(out, ClinicLine(clinicCrisisLine))
	}
	return out
}

// InLanguage orders crisis resources for a reader of language lang ("en",
// "es"): for English, or no language, as they are (the national list is
// ordered for English readers, with 988's Spanish line second); for
// another language, those in it first, then the others, each group in its
// own order (issue #16: resources in the client's language). Emergency
// services (911) serve every language and keep their place among the
// first. Every resource stays: a reader may want another language's line.
func InLanguage(rs []CrisisResource, lang string) []CrisisResource {
	if lang == "" || lang == "en" {
		return rs
	}
	first := func(c CrisisResource) bool { return c.Language == lang || c.Tel == "911" }
	out := make([]CrisisResource, 0, len(rs))
	for _, c := range rs {
		if first(c) {
			out = append(out, c)
		}
	}
	for _, c := range rs {
		if !first(c) {
			out = append(out, c)
		}
	}
	return out
}

// Phone numbers in a clinic's line: an international number written with
// its + and country code, or a North American one of ten digits (an
// optional leading 1), in the usual groupings.
var (
	intlNumber = regexp.MustCompile(`\+\d[\d ().-]{6,20}\d`)
	nanpNumber = regexp.MustCompile(`(?:^|[^\d+])((?:1[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]?\d{4})(?:$|[^\d])`)
	alwaysOpen = regexp.MustCompile(`(?i)24\s*/\s*7|24\s*(?:hours|hrs|h)\b|around the clock|any ?time|día y noche|24 horas`)
	callWord   = regexp.MustCompile(`(?i)^\s*(?:call|ring|phone|dial|llame al|llamar al)\b\s*`)
)

// ClinicLine reads the admin's text of the clinic's crisis line, e.g.
// "Call (555) 010-0199, weekdays 8–20": the number its tel: link dials,
// in E.164 (+15550100199), and what follows the number, its hours, shown
// beside it (what precedes it names the line). A text with no number in it is shown as it is, with no link.
// It is open 24/7 only if the text says so.
func ClinicLine(text string) CrisisResource {
	text = strings.TrimSpace(text)
	r := CrisisResource{Name: "Your clinic's crisis line", Detail: text}
	var number string
	var start, end int
	if loc := intlNumber.FindStringIndex(text); loc != nil {
		number, start, end = text[loc[0]:loc[1]], loc[0], loc[1]
		if d := digits(number); len(d) >= 8 && len(d) <= 15 {
			r.Tel = "+" + d
		}
	} else if m := nanpNumber.FindStringSubmatchIndex(text); m != nil {
		number, start, end = text[m[2]:m[3]], m[2], m[3]
		d := digits(number)
		if len(d) == 11 { // a leading 1, North America's country code
			d = d[1:]
		}
		if len(d) == 10 {
			r.Tel = "+1" + d
		}
	}
	if r.Tel == "" {
		r.Hours = text
		r.AlwaysOpen = alwaysOpen.MatchString(text)
		return r
	}
	// What stands before the number names the line ("Clinic on call:");
	// what follows it says when it is open.
	label := tidy(callWord.ReplaceAllString(text[:start], ""))
	if label == "" {
		label = "Call"
	}
	r.Detail = label + " " + strings.TrimSpace(number)
	r.Hours = tidy(text[end:])
	r.AlwaysOpen = alwaysOpen.MatchString(text)
	return r
}

func digits(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// tidy folds runs of spaces and trims the separators that a number leaves
// at either end of the text around it (",", ";", dashes).
func tidy(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.TrimLeftFunc(s, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(",;—–-", r) })
	s = strings.TrimRightFunc(s, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(",;—–-", r) })
	return strings.ReplaceAll(s, " ,", ",")
}
