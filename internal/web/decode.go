package web

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"interlude/internal/care"
)

// Strict request decoding (IV-01).
//
// encoding/json (v1) is lenient in ways an API that stores health records
// should not be: it keeps the last of two duplicate keys, matches keys to
// fields case-insensitively, replaces invalid UTF-8 and lone surrogates with
// U+FFFD, and reads null into an int or a string as "leave it as it is".
// encoding/json/v2 fixes most of this but needs GOEXPERIMENT=jsonv2 in this
// toolchain. So decodeJSON first scans the body itself, walking the JSON
// alongside the destination's Go type, and refuses everything the table of
// security-requirements.md §(c) "JSON and HTTP framing" lists. Only a body
// that passes reaches encoding/json, with DisallowUnknownFields as a backstop.
//
// The scan is hand-written rather than built on json.Decoder.Token, which
// boxes every value and hides the raw bytes of strings (needed to see a lone
// "\ud800"); the JSON grammar it checks is small, FuzzDecodeJSON compares it
// with json.Valid, and encoding/json parses the body again anyway.

const (
	// maxJSONBody is the default size limit for a JSON request body.
	maxJSONBody = 64 << 10

	// maxJSONDepth is how deeply arrays and objects may nest; API bodies
	// need three or four levels.
	maxJSONDepth = 32

	// maxSafeInteger is the largest integer that every JSON peer (notably
	// JavaScript, and anything else that reads numbers as float64) holds
	// exactly: 2^53−1, the limit of RFC 7493 (I-JSON).
	maxSafeInteger = 1<<53 - 1

	// maxKeyShown is how many bytes of a key that is not one of our own
	// field names an error may repeat back.
	maxKeyShown = 40
)

// statusError is a *care.Error whose HTTP status is not the one the code
// table gives its code: an oversize body (413) and a wrong media type (415)
// are both "invalid" to the caller, but HTTP has its own words for them.
type statusError struct {
	status int
	err    *care.Error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// decodeJSON reads the request body into dst, a non-nil pointer, refusing
// anything but one strict JSON value of at most 64 KiB (see decodeJSONLimit).
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	return decodeJSONLimit(w, r, dst, maxJSONBody)
}

// decodeJSONLimit is decodeJSON with a size limit of limit bytes. Failures
// are *care.Error values with code Invalid, naming the field at fault when
// there is one, whose messages never repeat the body's values. A wrong
// Content-Type or Content-Encoding comes wrapped in a statusError for 415,
// a body over the limit in one for 413.
//
// dst is left untouched by every check but the last, the decode by
// encoding/json itself, which may have filled part of dst when it fails (on
// a custom UnmarshalJSON method, say, or a bad integer map key).
func decodeJSONLimit(w http.ResponseWriter, r *http.Request, dst any, limit int64) error {
	if err := checkJSONMediaType(r.Header); err != nil {
		w.Header().Set("Accept", "application/json")
		return err
	}
	if r.Body == nil {
		return care.Errorf(care.Invalid, "request body is empty")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return &statusError{
				status: http.StatusRequestEntityTooLarge,
				err:    care.Errorf(care.Invalid, "request body is larger than %s", byteSize(limit)),
			}
		}
		return care.Errorf(care.Invalid, "could not read the request body")
	}
	return decodeStrict(body, dst)
}

// checkJSONMediaType requires Content-Type application/json, with charset
// utf-8 if it names one, and no content coding.
func checkJSONMediaType(h http.Header) error {
	unsupported := func(msg string) error {
		return &statusError{status: http.StatusUnsupportedMediaType, err: care.Errorf(care.Invalid, "%s", msg)}
	}
	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mediaType != "application/json" {
		return unsupported("Content-Type must be application/json")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return unsupported("request body must be UTF-8 (charset=utf-8)")
	}
	if ce := h.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return unsupported("Content-Encoding is not supported")
	}
	return nil
}

func byteSize(n int64) string {
	if n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d bytes", n)
}

// decodeStrict is the HTTP-free heart of decodeJSON: it checks data and, if
// it passes, decodes it into dst.
func decodeStrict(data []byte, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		// A programming error, not the caller's: renderError logs it.
		return fmt.Errorf("web: decodeJSON needs a non-nil pointer, not %T", dst)
	}
	if !utf8.Valid(data) {
		return care.Errorf(care.Invalid, "request body is not valid UTF-8 (at byte %d)", invalidUTF8At(data))
	}
	c := &checker{data: data}
	if err := c.document(rv.Type().Elem()); err != nil {
		return err
	}

	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		// The scan catches everything encoding/json refuses but for what
		// custom unmarshalers, ",string" fields, base64 and integer map
		// keys refuse. Say little, but pass on a *care.Error from an
		// UnmarshalJSON method.
		if e, ok := errors.AsType[*care.Error](err); ok {
			return e
		}
		if e, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			return care.FieldError(safePath(e.Field), "has the wrong type")
		}
		return care.Errorf(care.Invalid, "request body does not fit this request")
	}
	return nil
}

func invalidUTF8At(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(data)
}

// checker scans one JSON document (RFC 8259) together with the Go type it
// is to be decoded into. Each method starts at c.pos and leaves c.pos just
// after what it read. Recursion is bounded by maxJSONDepth, which is
// checked before descending.
type checker struct {
	data  []byte // valid UTF-8
	pos   int
	depth int       // open arrays and objects
	path  []pathSeg // where the current value is

	// fields caches jsonFields for the struct types met in this document.
	fields map[reflect.Type]map[string]jsonField
}

// document checks that data holds exactly one value that root can take,
// with nothing but whitespace around it.
func (c *checker) document(root reflect.Type) error {
	c.skipSpace()
	if c.pos == len(c.data) {
		return care.Errorf(care.Invalid, "request body is empty")
	}
	if err := c.value(root); err != nil {
		return err
	}
	c.skipSpace()
	if c.pos != len(c.data) {
		return care.Errorf(care.Invalid, "request body has data after the JSON value (at byte %d)", c.pos)
	}
	return nil
}

// value checks the value at c.pos against t, the type that will receive it;
// a nil t accepts any value (interfaces, custom unmarshalers). The checks
// that do not depend on the type (of strings, numbers, depth and duplicate
// keys) apply everywhere.
func (c *checker) value(t reflect.Type) error {
	c.skipSpace()
	if c.pos == len(c.data) {
		return c.syntaxError()
	}
	t, nullable := resolve(t)
	first := c.data[c.pos]
	switch first {
	case '{', '[':
		if !fits(t, first) {
			return c.wrongType(t)
		}
		if c.depth++; c.depth > maxJSONDepth {
			return care.Errorf(care.Invalid, "request body nests deeper than %d levels", maxJSONDepth)
		}
		defer func() { c.depth-- }()
		c.pos++
		if first == '{' {
			return c.object(t)
		}
		return c.array(t)

	case '"':
		_, problem, err := c.str(false)
		if err != nil {
			return err
		}
		if problem != "" {
			return c.fieldError(problem)
		}
		if !fits(t, first) {
			return c.wrongType(t)
		}

	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		lit, err := c.number()
		if err != nil {
			return err
		}
		if !fits(t, first) {
			return c.wrongType(t)
		}
		if problem := badNumber(lit, t); problem != "" {
			return c.fieldError(problem)
		}

	case 't', 'f':
		if !c.literal("true") && !c.literal("false") {
			return c.syntaxError()
		}
		if !fits(t, first) {
			return c.wrongType(t)
		}

	case 'n':
		if !c.literal("null") {
			return c.syntaxError()
		}
		// encoding/json reads null into an int or a string as "leave it
		// as it is", so {"answers":[null]} would become [0]. Only types
		// that can hold "nothing" take null, and never the whole body.
		if len(c.path) == 0 {
			return care.Errorf(care.Invalid, "request body must not be null")
		}
		if !nullable {
			return c.fieldError("must not be null")
		}

	default:
		return c.syntaxError()
	}
	return nil
}

// object checks the members of an object whose '{' has been read, up to
// and including its '}'. t is a struct or map type, or nil.
func (c *checker) object(t reflect.Type) error {
	var fields map[string]jsonField
	if t != nil && t.Kind() == reflect.Struct {
		fields = c.structFields(t)
	}
	c.skipSpace()
	if c.consume('}') {
		return nil
	}
	seen := make(map[string]struct{})
	for {
		c.skipSpace()
		if c.pos == len(c.data) || c.data[c.pos] != '"' {
			return c.syntaxError()
		}
		key, problem, err := c.str(true)
		if err != nil {
			return err
		}
		if problem != "" {
			return c.fieldError("has a key that " + problem)
		}

		seg := pathSeg{key: key, isKey: true}
		var elem reflect.Type
		switch {
		case t == nil:
		case t.Kind() == reflect.Map:
			elem = t.Elem()
		default:
			f, ok := lookupField(fields, key)
			if !ok {
				c.path = append(c.path, seg)
				if name, ok := foldMatch(fields, key); ok {
					return c.fieldError(fmt.Sprintf("is not a field; field names are case-sensitive: use %q", name))
				}
				return c.fieldError("is not a field of this request")
			}
			seg.field, elem = true, f.typ
		}
		c.path = append(c.path, seg)
		if _, dup := seen[key]; dup {
			return c.fieldError("appears more than once")
		}
		seen[key] = struct{}{}

		c.skipSpace()
		if !c.consume(':') {
			return c.syntaxError()
		}
		if err := c.value(elem); err != nil {
			return err
		}
		c.path = c.path[:len(c.path)-1]

		c.skipSpace()
		if c.consume('}') {
			return nil
		}
		if !c.consume(',') {
			return c.syntaxError()
		}
	}
}

// array checks the elements of an array whose '[' has been read, up to and
// including its ']'. t is a slice or array type, or nil.
func (c *checker) array(t reflect.Type) error {
	var elem reflect.Type
	if t != nil {
		elem = t.Elem()
	}
	c.skipSpace()
	if c.consume(']') {
		return nil
	}
	for i := 0; ; i++ {
		c.path = append(c.path, pathSeg{index: i})
		if err := c.value(elem); err != nil {
			return err
		}
		c.path = c.path[:len(c.path)-1]

		c.skipSpace()
		if c.consume(']') {
			return nil
		}
		if !c.consume(',') {
			return c.syntaxError()
		}
	}
}

// str reads the string at c.pos, which starts with '"'. It returns the
// string's value if decode is set (for keys; values are left to
// encoding/json), or else "". A string that is valid JSON but that we
// refuse gets a problem: encoding/json reads a lone surrogate escape such
// as "\ud800" as U+FFFD without complaint, and NUL ("\u0000") has no place
// in any field. c.data is valid UTF-8, so bytes from 0x80 up need no check.
func (c *checker) str(decode bool) (s string, problem string, err error) {
	const unpaired = "contains an unpaired UTF-16 surrogate"
	data := c.data
	start := c.pos + 1
	var buf []byte // the decoded value, once an escape makes it differ from the raw bytes
	for i := start; i < len(data); {
		b := data[i]
		switch {
		case b == '"':
			c.pos = i + 1
			switch {
			case !decode:
				return "", "", nil
			case buf != nil:
				return string(buf), "", nil
			default:
				return string(data[start:i]), "", nil
			}

		case b < 0x20: // control characters must be escaped
			c.pos = i
			return "", "", c.syntaxError()

		case b == '\\':
			if decode && buf == nil {
				buf = append([]byte(nil), data[start:i]...)
			}
			if i+1 == len(data) {
				c.pos = i + 1
				return "", "", c.syntaxError()
			}
			var r rune
			switch e := data[i+1]; e {
			case '"', '\\', '/':
				r = rune(e)
			case 'b':
				r = '\b'
			case 'f':
				r = '\f'
			case 'n':
				r = '\n'
			case 'r':
				r = '\r'
			case 't':
				r = '\t'
			case 'u':
				r = hex4(data[i+2:])
				if r < 0 {
					c.pos = i
					return "", "", c.syntaxError()
				}
				switch {
				case r == 0:
					return "", "contains a NUL character", nil
				case utf16IsLow(r):
					return "", unpaired, nil
				case utf16IsHigh(r):
					// The low half must follow as the next escape.
					next := data[i+6:]
					if len(next) < 2 || next[0] != '\\' || next[1] != 'u' || !utf16IsLow(hex4(next[2:])) {
						return "", unpaired, nil
					}
					r = (r-0xD800)<<10 + (hex4(next[2:]) - 0xDC00) + 0x10000
					i += 6
				}
				i += 4
			default:
				c.pos = i
				return "", "", c.syntaxError()
			}
			if decode {
				buf = utf8.AppendRune(buf, r)
			}
			i += 2

		default:
			if buf != nil {
				buf = append(buf, b)
			}
			i++
		}
	}
	c.pos = len(data)
	return "", "", c.syntaxError()
}

func utf16IsHigh(r rune) bool { return 0xD800 <= r && r <= 0xDBFF }
func utf16IsLow(r rune) bool  { return 0xDC00 <= r && r <= 0xDFFF }

// hex4 decodes the 4 hex digits of a \u escape, or returns -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// number reads the number at c.pos and returns its literal:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// What follows it is the caller's to check, so "01" and "0x3" fail there.
func (c *checker) number() (string, error) {
	start := c.pos
	c.consume('-')
	if !c.consume('0') && c.digits() == 0 {
		return "", c.syntaxError()
	}
	if c.consume('.') && c.digits() == 0 {
		return "", c.syntaxError()
	}
	if c.consume('e') || c.consume('E') {
		if !c.consume('+') {
			c.consume('-')
		}
		if c.digits() == 0 {
			return "", c.syntaxError()
		}
	}
	return string(c.data[start:c.pos]), nil
}

// digits skips the digits at c.pos and returns how many there were.
func (c *checker) digits() int {
	start := c.pos
	for c.pos < len(c.data) && '0' <= c.data[c.pos] && c.data[c.pos] <= '9' {
		c.pos++
	}
	return c.pos - start
}

// literal reads word (true, false, null) if it is at c.pos.
func (c *checker) literal(word string) bool {
	if !bytes.HasPrefix(c.data[c.pos:], []byte(word)) {
		return false
	}
	c.pos += len(word)
	return true
}

// consume reads the byte b if it is at c.pos.
func (c *checker) consume(b byte) bool {
	if c.pos < len(c.data) && c.data[c.pos] == b {
		c.pos++
		return true
	}
	return false
}

func (c *checker) skipSpace() {
	for c.pos < len(c.data) {
		switch c.data[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

// syntaxError reports bad JSON at c.pos, by offset only: showing the bytes
// could show what the caller wrote.
func (c *checker) syntaxError() error {
	if c.pos >= len(c.data) {
		return care.Errorf(care.Invalid, "request body ends in the middle of a JSON value")
	}
	return care.Errorf(care.Invalid, "request body is not valid JSON (at byte %d)", c.pos)
}

// fieldError reports a problem with the value at the current path.
func (c *checker) fieldError(problem string) error {
	if len(c.path) == 0 {
		return care.Errorf(care.Invalid, "request body %s", problem)
	}
	return care.FieldError(pathString(c.path), "%s", problem)
}

func (c *checker) wrongType(t reflect.Type) error {
	return c.fieldError("must be " + describe(t))
}

// pathSeg is one step into a document: an object key or an array index.
type pathSeg struct {
	key   string
	index int
	isKey bool
	field bool // key is one of our own field names, safe to show as it is
}

// pathString writes path the way a client would: symptoms.sleep_hours,
// goals[0].title. Keys other than our field names (map keys, unknown keys)
// are made safe to show.
func pathString(path []pathSeg) string {
	var b strings.Builder
	for i, seg := range path {
		if !seg.isKey {
			b.WriteString("[" + strconv.Itoa(seg.index) + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		if seg.field {
			b.WriteString(seg.key)
		} else {
			b.WriteString(safeKey(seg.key))
		}
	}
	return b.String()
}

// safePath makes a dotted path from encoding/json safe to show.
func safePath(path string) string {
	segs := strings.Split(path, ".")
	for i, s := range segs {
		segs[i] = safeKey(s)
	}
	return strings.Join(segs, ".")
}

// safeKey returns key fit to repeat in an error message: without control,
// format (bidi, zero-width) or other unprintable characters, and clipped to
// maxKeyShown bytes.
func safeKey(key string) string {
	if key == "" {
		return `""`
	}
	var b strings.Builder
	for _, r := range key {
		if !unicode.IsPrint(r) {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > maxKeyShown {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "?"
	}
	return b.String()
}

// badNumber says what is wrong with the number literal lit as a value of
// type t (nil: any type), or "" if nothing is. Whatever the type, a number
// must fit in a float64 and must not be negative zero. Where an integer is
// expected it must be written as one and lie within ±(2^53−1), so that
// every client reads it as we do. (Not where a float is: encoding/json
// itself writes the float64 1e20 as 100000000000000000000.)
func badNumber(lit string, t reflect.Type) string {
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		return "is a number out of range"
	}
	if f == 0 && lit[0] == '-' {
		return "must not be negative zero"
	}
	if t == nil {
		return ""
	}
	integer := !strings.ContainsAny(lit, ".eE")
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if !integer {
			return "must be an integer" // 3.0, 1e2: encoding/json refuses them too
		}
		n, err := strconv.ParseInt(lit, 10, t.Bits())
		if err != nil || n > maxSafeInteger || n < -maxSafeInteger {
			return "is an integer out of range"
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if !integer || lit[0] == '-' {
			return "must be a non-negative integer"
		}
		n, err := strconv.ParseUint(lit, 10, t.Bits())
		if err != nil || n > maxSafeInteger {
			return "is an integer out of range"
		}
	case reflect.Float32, reflect.Float64:
		if _, err := strconv.ParseFloat(lit, t.Bits()); err != nil {
			return "is a number out of range"
		}
	}
	return ""
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// resolve follows pointers from t to the type that holds the value, and
// reports whether that place can hold null: a pointer, slice, map or
// interface. It returns a nil type, accepting any value, for interfaces and
// types with their own UnmarshalJSON or UnmarshalText (time.Time,
// json.RawMessage), which check their input themselves.
func resolve(t reflect.Type) (_ reflect.Type, nullable bool) {
	if t == nil {
		return nil, true
	}
	for {
		if t.Implements(jsonUnmarshalerType) || reflect.PointerTo(t).Implements(jsonUnmarshalerType) ||
			t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
			switch t.Kind() {
			case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
				nullable = true
			}
			return nil, nullable
		}
		switch t.Kind() {
		case reflect.Pointer:
			t, nullable = t.Elem(), true
			continue
		case reflect.Interface:
			return nil, true
		case reflect.Slice, reflect.Map:
			return t, true
		}
		return t, nullable
	}
}

// fits reports whether a JSON value that starts with the byte first can be
// decoded into t (as resolved), as far as its kind goes.
func fits(t reflect.Type, first byte) bool {
	if t == nil {
		return true
	}
	switch k := t.Kind(); first {
	case '{':
		return k == reflect.Struct || k == reflect.Map
	case '[':
		return k == reflect.Array || (k == reflect.Slice && t.Elem().Kind() != reflect.Uint8)
	case '"':
		return k == reflect.String || (k == reflect.Slice && t.Elem().Kind() == reflect.Uint8) // []byte is base64
	case 't', 'f':
		return k == reflect.Bool
	default: // a number
		return reflect.Int <= k && k <= reflect.Float64 // the integer and float kinds
	}
}

// describe names the JSON a value of type t (as resolved) must be.
func describe(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "an array"
	case reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "a JSON object"
	}
	return "something this request cannot take"
}

// jsonField is one key a struct accepts.
type jsonField struct {
	typ reflect.Type // nil for ",string" fields: their JSON is a quoted scalar

	// For choosing among fields of one name, as encoding/json does.
	depth     int  // how deep in embedded structs
	tagged    bool // named by its json tag
	ambiguous bool // hidden by another of the same depth and taggedness: no field at all
}

// structFields returns jsonFields(t), computed once per document and type.
func (c *checker) structFields(t reflect.Type) map[string]jsonField {
	if f, ok := c.fields[t]; ok {
		return f
	}
	if c.fields == nil {
		c.fields = make(map[reflect.Type]map[string]jsonField)
	}
	f := jsonFields(t)
	c.fields[t] = f
	return f
}

// lookupField returns the field that key names exactly.
func lookupField(fields map[string]jsonField, key string) (jsonField, bool) {
	f, ok := fields[key]
	return f, ok && !f.ambiguous
}

// foldMatch finds a field whose name equals key but for case, which
// encoding/json would fill from key.
func foldMatch(fields map[string]jsonField, key string) (string, bool) {
	for name, f := range fields {
		if !f.ambiguous && strings.EqualFold(name, key) {
			return name, true
		}
	}
	return "", false
}

// jsonFields returns the object keys struct type t accepts, by the rules of
// encoding/json (typeFields in its encode.go): exported fields under their
// tag name or Go name, "-" skipped, fields of untagged embedded structs
// promoted. Of several fields with one name the shallowest wins, a tagged
// one over an untagged one; if that still leaves two, neither is used.
func jsonFields(t reflect.Type) map[string]jsonField {
	fields := make(map[string]jsonField, t.NumField())
	add := func(name string, f jsonField) {
		old, ok := fields[name]
		switch {
		case !ok:
			fields[name] = f
		case old.depth < f.depth:
			// Hidden by a shallower field (fields come in depth order).
		case old.tagged != f.tagged:
			if f.tagged {
				fields[name] = f
			}
		default:
			old.ambiguous = true
			fields[name] = old
		}
	}

	// Walk the embedded structs breadth first, as encoding/json does.
	var visited map[reflect.Type]bool
	level, count := []reflect.Type{t}, map[reflect.Type]int(nil)
	for depth := 0; len(level) > 0; depth++ {
		var next []reflect.Type
		var nextCount map[reflect.Type]int
		for _, st := range level {
			if visited[st] {
				continue
			}
			if depth > 0 {
				if visited == nil {
					visited = map[reflect.Type]bool{t: true}
				}
				visited[st] = true
			}
			for i := range st.NumField() {
				sf := st.Field(i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if sf.Anonymous {
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validTagName(name) {
					name = ""
				}
				if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
					if nextCount == nil {
						nextCount = map[reflect.Type]int{}
					}
					nextCount[ft]++
					if nextCount[ft] == 1 {
						next = append(next, ft)
					}
					continue
				}
				f := jsonField{typ: sf.Type, depth: depth, tagged: name != ""}
				if name == "" {
					name = sf.Name
				}
				if quotedOption(opts) {
					f.typ = nil
				}
				add(name, f)
				if count[st] > 1 { // the same struct embedded twice at this depth
					add(name, f)
				}
			}
		}
		level, count = next, nextCount
	}
	return fields
}

// validTagName is encoding/json's isValidTag.
func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

func quotedOption(opts string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == "string" {
			return true
		}
	}
	return false
}
