package care

import (
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ClinicResource is one crisis resource of a clinic's own list, edited by
// its admins (issue #16): a way to reach help beyond the national lines,
// in separate, validated fields rather than one line of free text, so its
// tel: link dials exactly the number the admin gave. It is clinic data,
// not PHI.
type ClinicResource struct {
	Name       string // plain text, 1 to MaxResourceName characters
	Phone      string // E.164: "+15550100199"; "" for none
	SMS        string // E.164 or a short code of 3 to 6 digits; "" for none
	SMSKeyword string // the word to text, letters and digits; "" for none
	ChatURL    string // an https address; "" for none
	Hours      string // when it is open, plain text; "" when AlwaysOpen
	AlwaysOpen bool   // open every hour of every day (24/7)
	Language   string // "en" or "es"
}

// Bounds of a clinic's resource list.
const (
	MaxClinicResources = 10  // resources per clinic
	MaxResourceName    = 80  // characters of a name
	MaxResourceHours   = 80  // characters of the hours
	MaxResourceChatURL = 300 // characters of a chat address
	MaxSMSKeyword      = 20  // characters of an SMS keyword
)

// ResourceLanguages are the languages a resource may be in.
var ResourceLanguages = []string{"en", "es"}

var (
	e164      = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)
	shortCode = regexp.MustCompile(`^[0-9]{3,6}$`)
	keyword   = regexp.MustCompile(`^[A-Za-z0-9]{1,20}$`)
)

// ValidE164 reports whether s is a phone number in E.164: a + and 8 to 15
// digits, the first 1 to 9.
func ValidE164(s string) bool { return e164.MatchString(s) }

// Validate checks one resource; the error is a FieldError naming the
// field ("name", "phone", "sms", "sms_keyword", "chat_url", "hours",
// "language"). A resource needs a way to reach it (a phone, an SMS number
// or a chat) and says when it is open: its hours, or always open, not both.
func (r ClinicResource) Validate() error {
	switch n := utf8.RuneCountInString(strings.TrimSpace(r.Name)); {
	case !plainLine(r.Name):
		return FieldError("name", "must be one line of plain text")
	case n == 0:
		return FieldError("name", "is required")
	case n > MaxResourceName:
		return FieldError("name", "must be at most %d characters", MaxResourceName)
	}
	if r.Phone != "" && !ValidE164(r.Phone) {
		return FieldError("phone", "must be an international number: + then the country code and number, digits only, such as +15550100199")
	}
	if r.SMS != "" && !ValidE164(r.SMS) && !shortCode.MatchString(r.SMS) {
		return FieldError("sms", "must be an international number such as +15550100199, or a short code of 3 to 6 digits such as 741741")
	}
	if r.SMSKeyword != "" {
		if r.SMS == "" {
			return FieldError("sms_keyword", "needs a number to text")
		}
		if !keyword.MatchString(r.SMSKeyword) {
			return FieldError("sms_keyword", "must be one word of at most %d letters or digits", MaxSMSKeyword)
		}
	}
	if r.ChatURL != "" {
		u, err := url.Parse(r.ChatURL)
		switch {
		case utf8.RuneCountInString(r.ChatURL) > MaxResourceChatURL:
			return FieldError("chat_url", "must be at most %d characters", MaxResourceChatURL)
		case err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || !plainLine(r.ChatURL) || strings.ContainsAny(r.ChatURL, " \t"):
			return FieldError("chat_url", "must be an https:// address")
		}
	}
	if r.Phone == "" && r.SMS == "" && r.ChatURL == "" {
		return FieldError("phone", "give at least one way to reach it: a phone number, a number to text or a chat address")
	}
	hours := strings.TrimSpace(r.Hours)
	switch {
	case !plainLine(r.Hours):
		return FieldError("hours", "must be one line of plain text")
	case utf8.RuneCountInString(hours) > MaxResourceHours:
		return FieldError("hours", "must be at most %d characters", MaxResourceHours)
	case hours == "" && !r.AlwaysOpen:
		return FieldError("hours", "say when it is open, or that it is always open (24/7)")
	case hours != "" && r.AlwaysOpen:
		return FieldError("hours", "leave empty when it is always open (24/7)")
	}
	switch r.Language {
	case "en", "es":
	default:
		return FieldError("language", "must be en or es")
	}
	return nil
}

// ValidateClinicResources checks a clinic's whole list: at most
// MaxClinicResources, each valid. A resource's error names its place,
// "resources.N.field" (N from 0).
func ValidateClinicResources(rs []ClinicResource) error {
	if len(rs) > MaxClinicResources {
		return FieldError("resources", "at most %d resources", MaxClinicResources)
	}
	for i, r := range rs {
		var e *Error
		if err := r.Validate(); errors.As(err, &e) {
			return FieldError("resources."+strconv.Itoa(i)+"."+e.Field, "%s", e.Message)
		}
	}
	return nil
}

// Normalize trims the spaces around r's text fields, as a form sends them.
func (r ClinicResource) Normalize() ClinicResource {
	r.Name = strings.TrimSpace(r.Name)
	r.Phone = strings.TrimSpace(r.Phone)
	r.SMS = strings.TrimSpace(r.SMS)
	r.SMSKeyword = strings.TrimSpace(r.SMSKeyword)
	r.ChatURL = strings.TrimSpace(r.ChatURL)
	r.Hours = strings.TrimSpace(r.Hours)
	r.Language = strings.TrimSpace(r.Language)
	return r
}

// Resource is r as the client sees it: its tel:, sms: and chat links,
// its hours, its language.
func (r ClinicResource) Resource() CrisisResource {
	var ways []string
	if r.Phone != "" {
		ways = append(ways, "call "+r.Phone)
	}
	if r.SMS != "" {
		if r.SMSKeyword != "" {
			ways = append(ways, "text "+r.SMSKeyword+" to "+r.SMS)
		} else {
			ways = append(ways, "text "+r.SMS)
		}
	}
	if r.ChatURL != "" {
		ways = append(ways, "chat online")
	}
	if r.Language == "es" {
		ways = nil
		if r.Phone != "" {
			ways = append(ways, "llame al "+r.Phone)
		}
		if r.SMS != "" {
			if r.SMSKeyword != "" {
				ways = append(ways, "envíe "+r.SMSKeyword+" al "+r.SMS)
			} else {
				ways = append(ways, "envíe un mensaje al "+r.SMS)
			}
		}
		if r.ChatURL != "" {
			ways = append(ways, "chatee en línea")
		}
	}
	detail := joinWays(ways, r.Language)
	hours := r.Hours
	if r.AlwaysOpen {
		hours = "24/7"
	}
	return CrisisResource{Name: r.Name, Detail: detail, Tel: r.Phone, SMS: r.SMS, SMSBody: r.SMSKeyword,
		ChatURL: r.ChatURL, Hours: hours, AlwaysOpen: r.AlwaysOpen, Language: r.Language}
}

// joinWays writes "call X, text Y or chat online" with a capital.
func joinWays(ways []string, lang string) string {
	or := " or "
	if lang == "es" {
		or = " o "
	}
	var s string
	switch len(ways) {
	case 0:
		return ""
	case 1:
		s = ways[0]
	default:
		s = strings.Join(ways[:len(ways)-1], ", ") + or + ways[len(ways)-1]
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// plainLine reports whether s is valid UTF-8 on one line, with no control
// characters.
func plainLine(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}
