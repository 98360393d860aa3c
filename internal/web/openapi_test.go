package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"interlude/internal/store/storetest"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// openAPISchemaEnv names the OpenAPI 3.1 schema where it is not in the
// repository's node_modules.
const openAPISchemaEnv = "INTERLUDE_OPENAPI_SCHEMA"

// openAPISchemaPath is where scripts/test.sh installs the OpenAPI
// Initiative's schema of OpenAPI 3.1 documents (pinned, in the npm package
// @seriousme/openapi-schema-validator), from this package's folder.
const openAPISchemaPath = "../../node_modules/@seriousme/openapi-schema-validator/schemas/v3.1/schema.json"

// openAPIMethods are the operations a path item may hold, as OpenAPI 3.1
// names them.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPIDoc is the embedded document, parsed.
type openAPIDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

type openAPIOperation struct {
	OperationID string             `json:"operationId"`
	Parameters  []openAPIParameter `json:"parameters"`
}

type openAPIParameter struct {
	Name     string `json:"name"`
	In       string `json:"in"`
	Required bool   `json:"required"`
}

func parseOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal([]byte(openAPIDocument), &doc); err != nil {
		t.Fatalf("internal/web/openapi.json is not JSON: %v", err)
	}
	return doc
}

// apiRoutes answers the routes of the table under /api/v1/, as "GET
// /api/v1/clients/{id}", in the table's order. A pattern without a method
// (the /api/ fallback) is no operation.
func apiRoutes(t *testing.T, ts *testServer) []string {
	t.Helper()
	var out []string
	for _, rt := range ts.routeTable() {
		method, path, ok := strings.Cut(rt.pattern, " ")
		if !ok || !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		// OpenAPI has no {name...} nor {$}: a trailing wildcard is a
		// plain parameter there, and {$} is the path's end.
		path = strings.ReplaceAll(path, "{$}", "")
		path = regexp.MustCompile(`\{(\w+)\.\.\.\}`).ReplaceAllString(path, "{$1}")
		out = append(out, method+" "+path)
	}
	return out
}

// documentedOperations answers the operations of the document, as "GET
// /api/v1/clients/{id}".
func documentedOperations(doc openAPIDoc) map[string]bool {
	out := map[string]bool{}
	for path, item := range doc.Paths {
		for _, m := range openAPIMethods {
			if _, ok := item[m]; ok {
				out[strings.ToUpper(m)+" "+path] = true
			}
		}
	}
	return out
}

// TestOpenAPIRoutes holds the document and the route table together: every
// route of internal/web/routes.go under /api/v1/ has its operation in
// internal/web/openapi.json, the document names no route the table lacks,
// and each operation declares exactly its path's parameters.
func TestOpenAPIRoutes(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	doc := parseOpenAPI(t)
	documented := documentedOperations(doc)
	routes := apiRoutes(t, ts)
	if len(routes) < 50 {
		t.Fatalf("the route table has %d routes under /api/v1/; the walk is broken", len(routes))
	}
	registered := map[string]bool{}
	for _, r := range routes {
		registered[r] = true
		if !documented[r] {
			method, path, _ := strings.Cut(r, " ")
			t.Errorf("internal/web/openapi.json lacks %s, which internal/web/routes.go registers.\n%s", r, missingOperationHint(method, path))
		}
	}
	var extra []string
	for op := range documented {
		if !registered[op] {
			extra = append(extra, op)
		}
	}
	slices.Sort(extra)
	for _, op := range extra {
		method, path, _ := strings.Cut(op, " ")
		t.Errorf("internal/web/openapi.json names %s, which internal/web/routes.go does not register: "+
			"remove its %q operation from \"paths\" → %q (and the path item, if nothing is left in it), "+
			"or register the route; a path parameter's name must be the route's wildcard's", op, strings.ToLower(method), path)
	}

	// Each operation declares its path's parameters, no more and no fewer,
	// each required (OpenAPI 3.1, "Parameter Object"), at the path item or
	// the operation.
	wildcard := regexp.MustCompile(`\{(\w+)\}`)
	for path, item := range doc.Paths {
		var common []openAPIParameter
		if raw, ok := item["parameters"]; ok {
			if err := json.Unmarshal(raw, &common); err != nil {
				t.Errorf("%s: parameters: %v", path, err)
			}
		}
		var want []string
		for _, m := range wildcard.FindAllStringSubmatch(path, -1) {
			want = append(want, m[1])
		}
		slices.Sort(want)
		for _, m := range openAPIMethods {
			raw, ok := item[m]
			if !ok {
				continue
			}
			var op openAPIOperation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Errorf("%s %s: %v", strings.ToUpper(m), path, err)
				continue
			}
			var got []string
			for _, p := range append(slices.Clone(common), op.Parameters...) {
				if p.In != "path" {
					continue
				}
				got = append(got, p.Name)
				if !p.Required {
					t.Errorf("%s %s: path parameter %q must say \"required\": true", strings.ToUpper(m), path, p.Name)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s %s declares the path parameters %q, want %q (one {\"name\": …, \"in\": \"path\", \"required\": true, \"schema\": {\"type\": \"string\"}} for each wildcard of the path)",
					strings.ToUpper(m), path, got, want)
			}
		}
	}
}

// missingOperationHint says what to add to the document for a route it
// lacks, ready to paste.
func missingOperationHint(method, path string) string {
	var params []string
	for _, m := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(path, -1) {
		params = append(params, fmt.Sprintf(`{"name": %q, "in": "path", "required": true, "schema": {"type": "string"}}`, m[1]))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Add to \"paths\" in internal/web/openapi.json (beside the path's other methods if %q is already there), with a real summary and operationId, and the request and response bodies' schemas:\n", path)
	fmt.Fprintf(&b, "    %q: {\n      %q: {\n", path, strings.ToLower(method))
	b.WriteString(`        "summary": "…", "operationId": "…", "tags": ["…"],` + "\n")
	if len(params) > 0 {
		fmt.Fprintf(&b, "        \"parameters\": [%s],\n", strings.Join(params, ", "))
	}
	if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		b.WriteString(`        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/…"}}}},` + "\n")
	}
	b.WriteString(`        "responses": {"200": {"description": "…", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/…"}}}}, "default": {"$ref": "#/components/responses/Error"}}` + "\n")
	b.WriteString("      }\n    }\n")
	b.WriteString(`  A route anyone may call without signing in also says "security": [].`)
	return b.String()
}

// TestOpenAPIDocument checks what the OpenAPI 3.1 schema cannot: each
// schema of the document is a valid JSON Schema 2020-12 schema (OpenAPI
// 3.1's dialect builds on it) whose references resolve, every other
// reference resolves, and operation ids are unique.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(openAPIDocument))
	if err != nil {
		t.Fatal(err)
	}
	const url = "https://interlude.invalid/api/v1/openapi.json"
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	n := 0
	walkJSON(doc, "", func(ptr, key string, v any) {
		switch key {
		case "schema":
			// A Schema Object of a parameter, request or response body.
			if _, err := c.Compile(url + "#" + ptr); err != nil {
				t.Errorf("%s: %v", ptr, err)
			}
			n++
		case "$ref":
			ref, _ := v.(string)
			if !strings.HasPrefix(ref, "#/") {
				t.Errorf("%s: $ref %q: refer within the document (#/components/…)", ptr, ref)
			} else if resolvePointer(doc, ref[1:]) == nil {
				t.Errorf("%s: $ref %q names nothing in the document", ptr, ref)
			}
		case "operationId":
			id, _ := v.(string)
			if other, ok := ids[id]; ok {
				t.Errorf("operationId %q is both %s and %s", id, other, ptr)
			}
			ids[id] = ptr
		}
	})
	root, _ := doc.(map[string]any)
	components, _ := root["components"].(map[string]any)
	schemas, _ := components["schemas"].(map[string]any)
	for name := range schemas {
		if _, err := c.Compile(url + "#/components/schemas/" + name); err != nil {
			t.Errorf("components/schemas/%s: %v", name, err)
		}
		n++
	}
	if n < 100 || len(ids) < 50 {
		t.Fatalf("compiled %d schemas and saw %d operation ids; the walk is broken", n, len(ids))
	}
}

// walkJSON calls f for each member of every object under v, with the JSON
// pointer of the member.
func walkJSON(v any, ptr string, f func(ptr, key string, v any)) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			p := ptr + "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(k)
			f(p, k, e)
			walkJSON(e, p, f)
		}
	case []any:
		for i, e := range v {
			walkJSON(e, fmt.Sprintf("%s/%d", ptr, i), f)
		}
	}
}

// resolvePointer answers the value at a JSON pointer ("/components/…"),
// or nil.
func resolvePointer(v any, ptr string) any {
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		if v, ok = m[tok]; !ok {
			return nil
		}
	}
	return v
}

// TestOpenAPIValid validates the document against the OpenAPI Initiative's
// JSON schema of OpenAPI 3.1 documents, with a JSON Schema 2020-12
// validator that asserts formats. Without the schema the test skips,
// except in CI (CI set), where it fails: scripts/test.sh installs it.
func TestOpenAPIValid(t *testing.T) {
	t.Parallel()
	path := os.Getenv(openAPISchemaEnv)
	if path == "" {
		path = openAPISchemaPath
	}
	f, err := os.Open(path) //nolint:gosec // G304: the test environment's own schema file (its variable or the repository's node_modules)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the OpenAPI 3.1 schema is missing, and CI is set: scripts/test.sh installs it: %v", err)
		}
		t.Skipf("the OpenAPI 3.1 schema is not installed (%v): run scripts/test.sh", err)
	}
	defer f.Close() //nolint:errcheck // only read
	schemaDoc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("openapi-3.1-schema.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("openapi-3.1-schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(openAPIDocument))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Errorf("internal/web/openapi.json is not a valid OpenAPI 3.1 document: %v", err)
	}

	// The validator is awake: a document that breaks the schema fails.
	broken := map[string]any{"openapi": "3.1.1", "info": map[string]any{"title": "x"}, "paths": map[string]any{}}
	if err := schema.Validate(broken); err == nil {
		t.Errorf("a document without info.version passed the schema")
	}
}

// TestOpenAPIServed checks that the document is served at the address
// API.md promises, to anyone, as the JSON that is embedded.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, storetest.Open(t, "sqlite"))
	rec := ts.do(t, http.MethodGet, "/api/v1/openapi.json", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json = %d, want 200: %s", rec.Code, rec.Body)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if rec.Body.String() != openAPIDocument {
		t.Errorf("the body is not the embedded document")
	}
	doc := parseOpenAPI(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}

	// The document's error shape is the one the server answers.
	docJSON, err := jsonschema.UnmarshalJSON(strings.NewReader(openAPIDocument))
	if err != nil {
		t.Fatal(err)
	}
	const url = "https://interlude.invalid/api/v1/openapi.json"
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(url, docJSON); err != nil {
		t.Fatal(err)
	}
	errorSchema, err := c.Compile(url + "#/components/schemas/Error")
	if err != nil {
		t.Fatal(err)
	}
	// Every error code the server answers with is in the schema's enum.
	for code := range statusFor {
		if err := errorSchema.Validate(map[string]any{"error": map[string]any{"code": string(code), "message": "m"}}); err != nil {
			t.Errorf("components/schemas/Error lacks the code %q of care (errors.go, statusFor): add it to error.code's enum", code)
		}
	}
	for _, target := range []string{"/api/v1/me", "/api/v1/no-such-route"} {
		rec := ts.do(t, http.MethodGet, target, nil)
		body, err := jsonschema.UnmarshalJSON(rec.Body)
		if err != nil {
			t.Fatalf("GET %s: %v", target, err)
		}
		if err := errorSchema.Validate(body); err != nil {
			t.Errorf("GET %s answers %d, whose body does not fit components/schemas/Error: %v", target, rec.Code, err)
		}
	}
}

// TestOpenAPIAnswersFit sends the main requests of the API, each checked
// against its operation's request body schema in the document, and checks
// each answer against the schema the document gives for its status: the
// bodies of the document are the ones the server reads and writes.
func TestOpenAPIAnswersFit(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *storetest.DB) {
		e := newWebEnv(t, db)
		c := storetest.SeedClinic(t, db.Store, "OpenAPI Answers")
		e.setPassword(t, c.Client)
		client := e.signIn(t, c.Client)
		provider := e.signInWithTOTP(t, c.Provider)
		v := newOpenAPIBodies(t)

		id := c.Client.ID
		startsAt := time.Now().UTC().Add(7 * 24 * time.Hour).Truncate(time.Hour).Format(time.RFC3339)
		var measureID string
		entry := map[string]any{ // API.md's example entry
			"occurred_at":          "2026-11-20T18:30:00Z",
			"mood":                 6,
			"emotions":             []string{"anxious", "hopeful"},
			"symptoms":             map[string]any{"sleep_hours": 6.5, "sleep_quality": 4, "energy": 5, "anxiety": 7},
			"text":                 "A long walk after work.",
			"discuss_next_session": true,
			"shared":               true,
		}
		calls := []struct {
			method, template string
			token            string
			body             any
			status           int
		}{
			{"POST", "/api/v1/sessions", "", map[string]string{"email": c.Client.Email, "password": goodPassword}, http.StatusCreated},
			{"GET", "/api/v1/me", client, nil, http.StatusOK},
			{"GET", "/api/v1/sessions", client, nil, http.StatusOK},
			{"GET", "/api/v1/clients", provider, nil, http.StatusOK},
			{"GET", "/api/v1/clients/{id}", provider, nil, http.StatusOK},
			{"POST", "/api/v1/clients/{id}/sessions", provider, map[string]any{"starts_at": startsAt, "minutes": 50}, http.StatusCreated},
			{"GET", "/api/v1/clients/{id}/sessions", provider, nil, http.StatusOK},
			{"GET", "/api/v1/clients/{id}", client, nil, http.StatusOK},
			{"GET", "/api/v1/clients/{id}/plan", client, nil, http.StatusOK},
			{"POST", "/api/v1/clients/{id}/journal", client, entry, http.StatusCreated},
			{"GET", "/api/v1/clients/{id}/journal", client, nil, http.StatusOK},
			{"GET", "/api/v1/clients/{id}/journal", provider, nil, http.StatusOK},
			{"POST", "/api/v1/clients/{id}/messages", client, map[string]string{"text": "See you on Tuesday."}, http.StatusCreated},
			{"GET", "/api/v1/clients/{id}/messages", provider, nil, http.StatusOK},
			{"PUT", "/api/v1/clients/{id}/checkins", provider, map[string]any{"weekdays": []string{"mon", "thu"}, "time": "18:00"}, http.StatusOK},
			{"GET", "/api/v1/clients/{id}/checkins", client, nil, http.StatusOK},
			{"POST", "/api/v1/clients/{id}/measures", provider, map[string]any{"instrument": "phq9", "every_days": 14}, http.StatusCreated},
			{"POST", "/api/v1/clients/{id}/measures/{mid}/responses", client, map[string]any{"answers": []int{1, 1, 2, 1, 0, 1, 1, 0, 0}}, http.StatusCreated},
			{"GET", "/api/v1/clients/{id}/measures", provider, nil, http.StatusOK},
			{"GET", "/api/v1/clients/{id}/safety-flags", provider, nil, http.StatusOK},
			{"GET", "/api/v1/safety-flags", provider, nil, http.StatusOK},
			{"GET", "/api/v1/clients/{id}", "", nil, http.StatusUnauthorized},
		}
		for _, call := range calls {
			path := strings.NewReplacer("{id}", id, "{mid}", measureID).Replace(call.template)
			if call.body != nil {
				v.checkRequest(t, call.method, call.template, call.body)
			}
			rec := e.call(t, call.method, path, call.token, call.body)
			if rec.Code != call.status {
				t.Fatalf("%s %s = %d, want %d: %s", call.method, path, rec.Code, call.status, rec.Body)
			}
			got := v.checkAnswer(t, call.method, call.template, rec.Code, rec.Body.Bytes())
			if call.template == "/api/v1/clients/{id}/measures" && call.method == "POST" {
				measureID, _ = got["id"].(string)
			}
		}
	})
}

// openAPIBodies compiles the document's body schemas on demand.
type openAPIBodies struct {
	c   *jsonschema.Compiler
	doc any
}

const openAPITestURL = "https://interlude.invalid/api/v1/openapi.json"

func newOpenAPIBodies(t *testing.T) *openAPIBodies {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(openAPIDocument))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(openAPITestURL, doc); err != nil {
		t.Fatal(err)
	}
	return &openAPIBodies{c: c, doc: doc}
}

// schema compiles the JSON schema at ptr, a JSON pointer into the document
// (following a Response Object's $ref), or fails the test.
func (v *openAPIBodies) schema(t *testing.T, ptr string) *jsonschema.Schema {
	t.Helper()
	if r, ok := resolvePointer(v.doc, strings.TrimSuffix(ptr, "/content/application~1json/schema")).(map[string]any); ok {
		if ref, ok := r["$ref"].(string); ok {
			ptr = strings.TrimPrefix(ref, "#") + "/content/application~1json/schema"
		}
	}
	if resolvePointer(v.doc, ptr) == nil {
		t.Fatalf("internal/web/openapi.json has no schema at %s", ptr)
	}
	s, err := v.c.Compile(openAPITestURL + "#" + ptr)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func operationPointer(method, template string) string {
	return "/paths/" + strings.ReplaceAll(template, "/", "~1") + "/" + strings.ToLower(method)
}

func (v *openAPIBodies) checkRequest(t *testing.T, method, template string, body any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	s := v.schema(t, operationPointer(method, template)+"/requestBody/content/application~1json/schema")
	if err := s.Validate(inst); err != nil {
		t.Errorf("the request body of %s %s does not fit internal/web/openapi.json: %v", method, template, err)
	}
}

// checkAnswer validates body against the schema of its status (or the
// default answer's) and answers it decoded, when it is an object.
func (v *openAPIBodies) checkAnswer(t *testing.T, method, template string, status int, body []byte) map[string]any {
	t.Helper()
	op := operationPointer(method, template)
	code := fmt.Sprint(status)
	if resolvePointer(v.doc, op+"/responses/"+code) == nil {
		code = "default"
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("%s %s: %v", method, template, err)
	}
	s := v.schema(t, op+"/responses/"+code+"/content/application~1json/schema")
	if err := s.Validate(inst); err != nil {
		t.Errorf("the %d answer of %s %s does not fit internal/web/openapi.json: %v\n%s", status, method, template, err, body)
	}
	m, _ := inst.(map[string]any)
	return m
}
