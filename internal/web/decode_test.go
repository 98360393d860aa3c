package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"interlude/internal/care"
)

// journalBody is shaped like the journal entry body of API.md.
type journalBody struct {
	OccurredAt         string             `json:"occurred_at"`
	Mood               *int               `json:"mood"`
	Emotions           []string           `json:"emotions"`
	Symptoms           map[string]float64 `json:"symptoms"`
	Text               string             `json:"text"`
	GoalID             string             `json:"goal_id"`
	GoalProgress       *int               `json:"goal_progress"`
	DiscussNextSession bool               `json:"discuss_next_session"`
	Shared             *bool              `json:"shared"`
}

// planBody is shaped like the plan body of API.md: slices of nested structs.
type planBody struct {
	Goals []struct {
		ID         string    `json:"id"`
		Title      string    `json:"title"`
		TargetDate time.Time `json:"target_date"`
		Objectives []struct {
			Text string `json:"text"`
			Done *bool  `json:"done"`
		} `json:"objectives"`
	} `json:"goals"`
}

// jsonRequest builds a request as an API client would send it.
func jsonRequest(body string) *http.Request {
	r := httptest.NewRequest("POST", "/api/v1/clients/c1/journal", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// statusOf is the status renderError gives err once it honours statusError.
func statusOf(err error) int {
	if se, ok := errors.AsType[*statusError](err); ok {
		return se.status
	}
	return statusFor[care.ErrorCode(err)]
}

func intPtr(n int) *int    { return &n }
func boolPtr(b bool) *bool { return &b }

// TestDecodeJSONRefuses runs the bad-input table of security-requirements.md
// §(c) "JSON and HTTP framing" (IV-01) and the other strictness rules: each
// input gets the right status with code invalid, and dst is left untouched.
func TestDecodeJSONRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		body        string
		contentType string // default application/json
		header      [2]string
		status      int    // default 400
		field       string // the Field of the error, when one is at fault
	}{
		// Framing.
		{name: "open brace", body: `{`},
		{name: "unterminated object", body: `{"mood":1`},
		{name: "unterminated key", body: `{"mood`},
		{name: "missing value", body: `{"mood":}`},
		{name: "missing colon", body: `{"mood" 1}`},
		{name: "trailing comma", body: `{"mood":1,}`},
		{name: "trailing comma in array", body: `{"emotions":["a",]}`},
		{name: "single quotes", body: `{'mood':1}`},
		{name: "comment", body: `{"mood":1 /* hi */}`},
		{name: "array body", body: `[]`},
		{name: "null body", body: `null`},
		{name: "string body", body: `""`},
		{name: "number body", body: `3`},
		{name: "empty body", body: ``},
		{name: "whitespace body", body: " \r\n\t "},
		{name: "byte order mark", body: "\uFEFF{}"},
		{name: "text/plain", body: `{}`, contentType: "text/plain", status: 415},
		{name: "no content type", body: `{}`, contentType: "-", status: 415},
		{name: "form", body: `mood=3`, contentType: "application/x-www-form-urlencoded", status: 415},
		{name: "json-ish type", body: `{}`, contentType: "application/json-patch+json", status: 415},
		{name: "latin-1", body: `{}`, contentType: "application/json; charset=iso-8859-1", status: 415},
		{name: "broken media type", body: `{}`, contentType: "application/json; charset", status: 415},
		{name: "gzip", body: `{}`, header: [2]string{"Content-Encoding", "gzip"}, status: 415},
		{name: "64 KiB + 1", body: `{"text":"` + strings.Repeat("a", maxJSONBody+1-len(`{"text":""}`)) + `"}`, status: 413},
		{name: "1 MiB", body: strings.Repeat(" ", 1<<20) + `{}`, status: 413},

		// Depth.
		{name: "10,000 nested arrays", body: `{"emotions":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, field: "emotions[0]"},
		{name: "10,000 nested objects", body: strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat("}", 10000), field: "a"},
		{name: "10,000 open arrays", body: strings.Repeat("[", 10000)},

		// Duplicate and case-variant keys, mass assignment.
		{name: "duplicate key", body: `{"mood":3,"mood":9}`, field: "mood"},
		{name: "duplicate key, escaped", body: `{"mood":3,"m\u006fod":9}`, field: "mood"},
		{name: "duplicate key, null first", body: `{"shared":null,"shared":true}`, field: "shared"},
		{name: "duplicate map key", body: `{"symptoms":{"sleep_hours":6.5,"sleep_hours":9}}`, field: "symptoms.sleep_hours"},
		{name: "Mood", body: `{"Mood":3}`, field: "Mood"},
		{name: "MOOD", body: `{"MOOD":3}`, field: "MOOD"},
		{name: "case variant after exact", body: `{"mood":3,"moOd":4}`, field: "moOd"},
		{name: "case variant, escaped", body: `{"\u004dood":3}`, field: "Mood"},
		{name: "case variant of a field already set", body: `{"goal_id":"g","GOAL_ID":"h"}`, field: "GOAL_ID"},
		{name: "provider_id", body: `{"mood":3,"provider_id":"u2"}`, field: "provider_id"},
		{name: "role", body: `{"role":"admin"}`, field: "role"},
		{name: "Go field name", body: `{"GoalID":"g"}`, field: "GoalID"},

		// Trailing data.
		{name: "second value", body: `{"mood":3} {"mood":4}`},
		{name: "garbage", body: `{"mood":3}garbage`},
		{name: "extra close", body: `{"mood":3}}`},
		{name: "extra bracket", body: `{"mood":3}]`},
		{name: "trailing NUL", body: "{\"mood\":3}\x00"},

		// Numbers where an integer is expected.
		{name: "1e309", body: `{"mood":1e309}`, field: "mood"},
		{name: "-0", body: `{"mood":-0}`, field: "mood"},
		{name: "3.0", body: `{"mood":3.0}`, field: "mood"},
		{name: "1e2", body: `{"mood":1e2}`, field: "mood"},
		{name: "quoted 3", body: `{"mood":"3"}`, field: "mood"},
		{name: "0x3", body: `{"mood":0x3}`},
		{name: "03", body: `{"mood":03}`},
		{name: "+3", body: `{"mood":+3}`},
		{name: "2^53+1", body: `{"mood":9007199254740993}`, field: "mood"},
		{name: "2^63", body: `{"mood":9223372036854775808}`, field: "mood"},
		{name: "NaN", body: `{"mood":NaN}`},
		{name: "Infinity", body: `{"mood":Infinity}`},
		{name: "true as int", body: `{"mood":true}`, field: "mood"},
		// Numbers where a float is expected.
		{name: "float 1e309", body: `{"symptoms":{"energy":1e309}}`, field: "symptoms.energy"},
		{name: "float -0.0", body: `{"symptoms":{"energy":-0.0}}`, field: "symptoms.energy"},
		{name: "float underflow to -0", body: `{"symptoms":{"energy":-1e-400}}`, field: "symptoms.energy"},
		{name: "float quoted", body: `{"symptoms":{"energy":"5"}}`, field: "symptoms.energy"},

		// Strings.
		{name: "invalid UTF-8", body: "{\"text\":\"\xff\xfe\"}"},
		{name: "invalid UTF-8 in key", body: "{\"t\xffext\":\"x\"}"},
		{name: "overlong UTF-8", body: "{\"text\":\"\xc0\xaf\"}"},
		{name: "UTF-8 encoded surrogate", body: "{\"text\":\"\xed\xa0\x80\"}"},
		{name: "lone high surrogate", body: `{"text":"\ud800"}`, field: "text"},
		{name: "lone low surrogate", body: `{"text":"\udc00"}`, field: "text"},
		{name: "high surrogate then letter", body: `{"text":"\ud800\u0041"}`, field: "text"},
		{name: "two high surrogates", body: `{"text":"\ud83d\ud83d"}`, field: "text"},
		{name: "reversed pair", body: `{"text":"\ude00\ud83d"}`, field: "text"},
		{name: "surrogate at end of text", body: `{"text":"ok \\ \ud83d"}`, field: "text"},
		{name: "lone surrogate in key", body: `{"symptoms":{"\ud800":1}}`, field: "symptoms"},
		{name: "lone surrogate in array", body: `{"emotions":["ok","\uDBFF"]}`, field: "emotions[1]"},
		{name: "escaped NUL", body: `{"text":"a\u0000b"}`, field: "text"},
		{name: "raw NUL", body: "{\"text\":\"a\x00b\"}"},
		{name: "raw newline", body: "{\"text\":\"a\nb\"}"},
		{name: "NUL in key", body: `{"symptoms":{"a\u0000":1}}`, field: "symptoms"},
		{name: "bad escape", body: `{"text":"\x41"}`},

		// Types and null.
		{name: "null string", body: `{"text":null}`, field: "text"},
		{name: "null bool", body: `{"discuss_next_session":null}`, field: "discuss_next_session"},
		{name: "null in array", body: `{"emotions":[null]}`, field: "emotions[0]"},
		{name: "null map value", body: `{"symptoms":{"energy":null}}`, field: "symptoms.energy"},
		{name: "string for array", body: `{"emotions":"anxious"}`, field: "emotions"},
		{name: "array for map", body: `{"symptoms":[1]}`, field: "symptoms"},
		{name: "object for string", body: `{"text":{}}`, field: "text"},
		{name: "number for string", body: `{"goal_id":7}`, field: "goal_id"},
		{name: "string for bool", body: `{"shared":"true"}`, field: "shared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := jsonRequest(tt.body)
			switch tt.contentType {
			case "":
			case "-":
				r.Header.Del("Content-Type")
			default:
				r.Header.Set("Content-Type", tt.contentType)
			}
			if tt.header[0] != "" {
				r.Header.Set(tt.header[0], tt.header[1])
			}
			want := journalBody{Text: "before", Mood: intPtr(5), Symptoms: map[string]float64{"energy": 1}}
			got := want
			got.Symptoms = map[string]float64{"energy": 1}
			err := decodeJSON(httptest.NewRecorder(), r, &got)

			e, ok := errors.AsType[*care.Error](err)
			if !ok {
				t.Fatalf("got error %v, want a *care.Error", err)
			}
			if e.Code != care.Invalid {
				t.Errorf("got code %q, want %q", e.Code, care.Invalid)
			}
			wantStatus := tt.status
			if wantStatus == 0 {
				wantStatus = http.StatusBadRequest
			}
			if got := statusOf(err); got != wantStatus {
				t.Errorf("got status %d, want %d (%v)", got, wantStatus, err)
			}
			if e.Field != tt.field {
				t.Errorf("got field %q, want %q (%v)", e.Field, tt.field, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("dst changed: got %+v, want %+v", got, want)
			}
		})
	}
}

// TestDecodeJSONMessagesAreSafe checks that errors name keys at most, never
// values, and show a foreign key clipped and stripped of control and
// bidi characters.
func TestDecodeJSONMessagesAreSafe(t *testing.T) {
	t.Parallel()
	const secret = "I-told-no-one"
	bodies := []string{
		`{"mood":"` + secret + `"}`,
		`{"text":"` + secret + `","text":"x"}`,
		`{"text":"` + secret + `\ud800"}`,
		`{"text":"` + secret + `"} "` + secret + `"`,
		`{"text":"` + secret + `"`,
		`{"text":` + secret + `}`,
		`{"mood":1` + secret + `}`,
		`{"emotions":["` + secret + `",` + secret + `]}`,
		`{"symptoms":{"x":"` + secret + `"}}`,
	}
	for _, body := range bodies {
		var dst journalBody
		err := decodeJSON(httptest.NewRecorder(), jsonRequest(body), &dst)
		if err == nil {
			t.Errorf("%s: accepted", body)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error %q repeats a value", body, err)
		}
	}

	key := "\u202eevil\x1b[31m" + strings.Repeat("k", 100)
	body, _ := json.Marshal(map[string]any{key: 1})
	var dst journalBody
	err := decodeJSON(httptest.NewRecorder(), jsonRequest(string(body)), &dst)
	e, ok := errors.AsType[*care.Error](err)
	if !ok {
		t.Fatalf("got %v, want a *care.Error", err)
	}
	if want := "evil[31m" + strings.Repeat("k", 40-len("evil[31m")) + "…"; e.Field != want {
		t.Errorf("got field %q, want %q", e.Field, want)
	}
}

// TestDecodeJSONAccepts checks that good bodies decode exactly, text byte
// for byte: feelings are written in every script.
func TestDecodeJSONAccepts(t *testing.T) {
	t.Parallel()
	texts := []string{
		"What happened… 👩‍⚕️ 🏳️‍🌈 👨‍👩‍👧‍👦",
		"أشعر بالقلق اليوم",            // Arabic
		"היום היה קשה",                 // Hebrew
		"今日は少し疲れた。",                    // Japanese
		"e\u0301 a\u0308 \u0915\u093f", // combining marks (NFD é, ä; Devanagari कि)
		"line one\nline two\t\"quoted\" \\ / <b>&</b>",
		"\u2028\u2029\uFEFF\u200D\uFFFD",
		strings.Repeat("ж", 20000),
	}
	for _, text := range texts {
		raw, err := json.Marshal(text)
		if err != nil {
			t.Fatal(err)
		}
		for _, form := range []string{string(raw), `"` + text + `"`} {
			if strings.ContainsAny(text, "\n\t\"\\") && form[1:len(form)-1] == text {
				continue // raw control characters and quotes need escaping
			}
			var got journalBody
			if err := decodeJSON(httptest.NewRecorder(), jsonRequest(`{"text":`+form+`}`), &got); err != nil {
				t.Errorf("%.40q: %v", text, err)
				continue
			}
			if got.Text != text {
				t.Errorf("got %+q, want %+q", got.Text, text)
			}
		}
	}

	tests := []struct {
		name        string
		body        string
		contentType string
		dst, want   any
	}{
		{
			name: "journal entry",
			body: `{
  "occurred_at": "2026-11-20T18:30:00Z",
  "mood": 6,
  "emotions": ["anxious", "hopeful"],
  "symptoms": {"sleep_hours": 6.5, "sleep_quality": 4, "energy": 5, "anxiety": 7, "SLEEP_HOURS": 1e-3},
  "text": "What happened\u2026 \ud83d\ude00",
  "goal_id": "g1", "goal_progress": 0,
  "discuss_next_session": true,
  "shared": false
}
`,
			dst: &journalBody{},
			want: &journalBody{
				OccurredAt:         "2026-11-20T18:30:00Z",
				Mood:               intPtr(6),
				Emotions:           []string{"anxious", "hopeful"},
				Symptoms:           map[string]float64{"sleep_hours": 6.5, "sleep_quality": 4, "energy": 5, "anxiety": 7, "SLEEP_HOURS": 0.001},
				Text:               "What happened… 😀",
				GoalID:             "g1",
				GoalProgress:       intPtr(0),
				DiscussNextSession: true,
				Shared:             boolPtr(false),
			},
		},
		{
			name:        "charset parameter",
			body:        `{"occurred_at":"x"}`,
			contentType: "Application/JSON; Charset=\"UTF-8\"",
			dst:         &journalBody{},
			want:        &journalBody{OccurredAt: "x"},
		},
		{
			name: "nulls where nothing can be",
			body: `{"mood":null,"emotions":null,"symptoms":null,"shared":null}`,
			dst:  &journalBody{Mood: intPtr(3), Emotions: []string{"x"}},
			want: &journalBody{},
		},
		{
			name: "empty object keeps what is there",
			body: `{}`,
			dst:  &journalBody{Text: "kept"},
			want: &journalBody{Text: "kept"},
		},
		{
			name: "numbers at the edges",
			body: `{"mood":-9007199254740991,"goal_progress":9007199254740991,"symptoms":{"a":0,"b":-1.5e-3,"c":1E+2,"d":0.0,"e":1e-400,"f":1.7976931348623157e308,"g":100000000000000000000,"h":9007199254740993}}`,
			dst:  &journalBody{},
			want: &journalBody{
				Mood:         intPtr(-9007199254740991),
				GoalProgress: intPtr(9007199254740991),
				Symptoms:     map[string]float64{"a": 0, "b": -0.0015, "c": 100, "d": 0, "e": 0, "f": 1.7976931348623157e308, "g": 1e20, "h": 9007199254740992},
			},
		},
		{
			name: "map keys that differ only in case",
			body: `{"symptoms":{"Energy":1,"energy":2}}`,
			dst:  &journalBody{},
			want: &journalBody{Symptoms: map[string]float64{"Energy": 1, "energy": 2}},
		},
		{
			name: "nested structs in slices",
			body: `{"goals":[{"id":"g1","title":"Sleep","target_date":"2027-01-01T00:00:00Z","objectives":[{"text":"No screens","done":true},{"text":"Walk"}]},{"title":"Calm","objectives":[]}]}`,
			dst:  &planBody{},
			want: func() *planBody {
				var p planBody
				if err := json.Unmarshal([]byte(`{"goals":[{"id":"g1","title":"Sleep","target_date":"2027-01-01T00:00:00Z","objectives":[{"text":"No screens","done":true},{"text":"Walk"}]},{"title":"Calm","objectives":[]}]}`), &p); err != nil {
					t.Fatal(err)
				}
				return &p
			}(),
		},
		{
			name: "depth 32",
			body: strings.Repeat("[", 32) + strings.Repeat("]", 32),
			dst:  new(any),
			want: func() *any {
				var v any = []any{}
				for range 31 {
					v = []any{v}
				}
				return &v
			}(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := jsonRequest(tt.body)
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			if err := decodeJSON(httptest.NewRecorder(), r, tt.dst); err != nil {
				t.Fatalf("got %v, want nil", err)
			}
			if !reflect.DeepEqual(tt.dst, tt.want) {
				t.Errorf("got %+v, want %+v", tt.dst, tt.want)
			}
		})
	}
}

// TestDecodeJSONNested checks field paths and the rules in nested structs,
// and that depth counts every level.
func TestDecodeJSONNested(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		body  string
		field string
	}{
		{"unknown nested field", `{"goals":[{"title":"a"},{"titel":"b"}]}`, "goals[1].titel"},
		{"case variant nested", `{"goals":[{"objectives":[{"Text":"a"}]}]}`, "goals[0].objectives[0].Text"},
		{"duplicate nested", `{"goals":[{"objectives":[{"text":"a","text":"b"}]}]}`, "goals[0].objectives[0].text"},
		{"null time", `{"goals":[{"target_date":null}]}`, "goals[0].target_date"},
		{"null struct in slice", `{"goals":[null]}`, "goals[0]"},
		{"bad time", `{"goals":[{"target_date":"tomorrow"}]}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dst planBody
			err := decodeJSON(httptest.NewRecorder(), jsonRequest(tt.body), &dst)
			e, ok := errors.AsType[*care.Error](err)
			if !ok || e.Code != care.Invalid {
				t.Fatalf("got %v, want an invalid *care.Error", err)
			}
			if e.Field != tt.field {
				t.Errorf("got field %q, want %q (%v)", e.Field, tt.field, err)
			}
		})
	}

	// 33 levels: 32 arrays inside the top-level object.
	body := `{"goals":` + strings.Repeat("[", 32) + strings.Repeat("]", 32) + `}`
	if err := decodeJSON(httptest.NewRecorder(), jsonRequest(body), new(planBody)); err == nil {
		t.Errorf("33 levels accepted")
	}
	for _, body := range []string{
		strings.Repeat("[", 33) + strings.Repeat("]", 33),
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
		strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000),
		strings.Repeat("[", 20000),
	} {
		if err := decodeJSON(httptest.NewRecorder(), jsonRequest(body), new(any)); err == nil {
			t.Errorf("%.40s…: accepted into any", body)
		}
	}
}

// TestDecodeJSONOtherShapes covers embedded structs, raw JSON, interface
// and ",string" fields, and a dst that is not a pointer.
func TestDecodeJSONOtherShapes(t *testing.T) {
	t.Parallel()
	type Base struct {
		ID      string `json:"id"`
		Version int
	}
	type withExtras struct {
		Base
		Extra   json.RawMessage `json:"extra"`
		Any     any             `json:"any"`
		Count   int             `json:"count,string"`
		Small   int8            `json:"small"`
		Bytes   []byte          `json:"bytes"`
		Skipped string          `json:"-"`
		private string          //nolint:unused // never set: it is here for the decoder to refuse {"private":…}, below
	}
	good := `{"id":"a","Version":2,"extra":{"b":[1,{"c":null}]},"any":[1,"x",{"y":true}],"count":"7","small":-128,"bytes":"aGk="}`
	var got withExtras
	if err := decodeJSON(httptest.NewRecorder(), jsonRequest(good), &got); err != nil {
		t.Fatalf("got %v, want nil", err)
	}
	want := withExtras{
		Base:  Base{ID: "a", Version: 2},
		Extra: json.RawMessage(`{"b":[1,{"c":null}]}`),
		Any:   []any{1.0, "x", map[string]any{"y": true}},
		Count: 7,
		Small: -128,
		Bytes: []byte("hi"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}

	for _, body := range []string{
		`{"extra":{"b":1,"b":2}}`, // duplicates inside raw JSON
		`{"any":{"b":1,"b":2}}`,   // and inside an interface
		`{"any":"\ud800"}`,        // strings are checked everywhere
		`{"any":-0}`,              // and numbers
		`{"version":2}`,           // Go names match exactly too
		`{"Base":{"id":"a"}}`,     // embedded structs are flattened
		`{"-":"x"}`,
		`{"Skipped":"x"}`,
		`{"private":"x"}`,
		`{"small":128}`,
		`{"count":"x"}`, // left to encoding/json
		`{"bytes":"!!"}`,
	} {
		var dst withExtras
		err := decodeJSON(httptest.NewRecorder(), jsonRequest(body), &dst)
		if e, ok := errors.AsType[*care.Error](err); !ok || e.Code != care.Invalid {
			t.Errorf("%s: got %v, want an invalid *care.Error", body, err)
		}
	}

	var notPointer journalBody
	err := decodeJSON(httptest.NewRecorder(), jsonRequest(`{}`), notPointer)
	if _, ok := errors.AsType[*care.Error](err); err == nil || ok {
		t.Errorf("non-pointer dst: got %v, want a plain (internal) error", err)
	}
}

// TestDecodeJSONRendered checks that renderError answers a statusError with
// its status and the API's error shape.
func TestDecodeJSONRendered(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, contentType, body string
		status                  int
	}{
		{"too large", "application/json", `{"text":"` + strings.Repeat("a", maxJSONBody) + `"}`, http.StatusRequestEntityTooLarge},
		{"wrong type", "text/plain", `{}`, http.StatusUnsupportedMediaType},
		{"duplicate", "application/json", `{"mood":1,"mood":2}`, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := jsonRequest(tt.body)
			r.Header.Set("Content-Type", tt.contentType)
			rec := httptest.NewRecorder()
			if err := decodeJSON(rec, r, new(journalBody)); err != nil {
				(&Server{}).renderError(rec, r, err)
			}
			if rec.Code != tt.status {
				t.Errorf("got status %d, want %d", rec.Code, tt.status)
			}
			var got apiError
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Error.Code != care.Invalid {
				t.Errorf("got body %q, want an invalid error", rec.Body)
			}
			if tt.status == http.StatusUnsupportedMediaType && rec.Header().Get("Accept") != "application/json" {
				t.Errorf("got Accept %q, want application/json", rec.Header().Get("Accept"))
			}
		})
	}
}

// TestDecodeJSONLimit checks the exact size boundary.
func TestDecodeJSONLimit(t *testing.T) {
	t.Parallel()
	const limit = 100
	for _, size := range []int{limit - 1, limit, limit + 1} {
		body := `{"text":"` + strings.Repeat("a", size-len(`{"text":""}`)) + `"}`
		var dst journalBody
		err := decodeJSONLimit(httptest.NewRecorder(), jsonRequest(body), &dst, limit)
		if size <= limit && err != nil {
			t.Errorf("%d bytes: got %v, want nil", size, err)
		}
		if size > limit && statusOf(err) != http.StatusRequestEntityTooLarge {
			t.Errorf("%d bytes: got %v, want 413", size, err)
		}
	}
	body := `{"text":"` + strings.Repeat("a", maxJSONBody-len(`{"text":""}`)) + `"}`
	if err := decodeJSON(httptest.NewRecorder(), jsonRequest(body), new(journalBody)); err != nil {
		t.Errorf("64 KiB: got %v, want nil", err)
	}
}

// noDuplicateKeys reports whether no object in the valid JSON data has a
// key twice. It is written apart from the decoder's own check.
func noDuplicateKeys(data []byte) bool {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	type level struct {
		keys     map[string]bool
		isObject bool
		wantKey  bool
	}
	var stack []*level
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return true // not our question
		}
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if s, ok := tok.(string); ok && top != nil && top.isObject && top.wantKey {
			if top.keys[s] {
				return false
			}
			top.keys[s] = true
			top.wantKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &level{keys: map[string]bool{}, isObject: true, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, &level{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && stack[len(stack)-1].isObject {
			stack[len(stack)-1].wantKey = true
		}
	}
}

// FuzzDecodeJSON checks that the decoder never panics, that what it accepts
// is valid UTF-8 JSON without duplicate keys, and that an accepted body
// survives a round trip: encoding the result and decoding it again gives
// the same value (IV-01).
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"occurred_at":"2026-11-20T18:30:00Z","mood":6,"emotions":["anxious","hopeful"],"symptoms":{"sleep_hours":6.5,"sleep_quality":4},"text":"What happened… 👩‍⚕️","goal_id":"g","goal_progress":6,"discuss_next_session":true,"shared":true}`,
		`{"text":"أشعر e\u0301 \ud83d\ude00 \u2028"}`,
		`{}`, `{`, `{"a":1`, `[]`, `null`, `""`, ``, ` `,
		strings.Repeat("[", 40) + strings.Repeat("]", 40),
		strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat("}", 40),
		`{"mood":3,"mood":9}`, `{"symptoms":{"a":1,"a":2}}`, `{"Mood":3}`, `{"MOOD":3}`,
		`{"mood":3,"provider_id":"x"}`, `{"role":"admin"}`,
		`{"mood":3} {"mood":4}`, `{"mood":3}garbage`,
		`{"mood":1e309}`, `{"mood":-0}`, `{"mood":3.0}`, `{"mood":"3"}`, `{"mood":0x3}`,
		`{"mood":9007199254740993}`, `{"mood":NaN}`, `{"symptoms":{"a":-1e-400}}`,
		"{\"text\":\"\xff\xfe\"}", `{"text":"\ud800"}`, `{"text":"a\u0000"}`, "{\"text\":\"\x00\"}",
		`{"text":null}`, `{"emotions":[null]}`, `{"shared":null}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// The scanner's grammar is JSON's: it calls invalid exactly what
		// encoding/json does (given UTF-8; json.Valid does not check it).
		var anything any
		err := decodeStrict(data, &anything)
		valid := utf8.Valid(data) && json.Valid(data)
		if err == nil && !valid {
			t.Fatalf("accepted invalid JSON into any")
		}
		if msg := fmt.Sprint(err); valid && (strings.Contains(msg, "not valid JSON") || strings.Contains(msg, "ends in the middle")) {
			t.Fatalf("valid JSON refused as invalid: %v", err)
		}

		var got journalBody
		if err := decodeStrict(data, &got); err != nil {
			if _, ok := errors.AsType[*care.Error](err); !ok {
				t.Fatalf("got %v, want a *care.Error", err)
			}
			return
		}
		if !utf8.Valid(data) {
			t.Fatalf("accepted invalid UTF-8")
		}
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON")
		}
		if !noDuplicateKeys(data) {
			t.Fatalf("accepted duplicate keys")
		}
		again, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("encoding %+v: %v", got, err)
		}
		var got2 journalBody
		if err := decodeStrict(again, &got2); err != nil {
			t.Fatalf("decoding our own %s: %v", again, err)
		}
		if !reflect.DeepEqual(got, got2) {
			t.Fatalf("round trip: got %+v, want %+v", got2, got)
		}
	})
}

// BenchmarkDecodeJSON compares the strict decoder with plain encoding/json
// on a typical journal entry.
func BenchmarkDecodeJSON(b *testing.B) {
	body := []byte(`{"occurred_at":"2026-11-20T18:30:00Z","mood":6,"emotions":["anxious","hopeful"],"symptoms":{"sleep_hours":6.5,"sleep_quality":4,"energy":5,"anxiety":7},"text":"` + strings.Repeat("What happened today… ", 40) + `","goal_id":"g1","goal_progress":6,"discuss_next_session":true,"shared":true}`)
	b.Run("strict", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var dst journalBody
			if err := decodeStrict(body, &dst); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var dst journalBody
			if err := json.Unmarshal(body, &dst); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDecodeJSONWorst measures a body near the size limit made of as
// many values as fit.
func BenchmarkDecodeJSONWorst(b *testing.B) {
	body := []byte(`{"emotions":[` + strings.Repeat(`"",`, 21000) + `""]}`)
	for b.Loop() {
		var dst journalBody
		if err := decodeStrict(body, &dst); err != nil {
			b.Fatal(err)
		}
	}
}
