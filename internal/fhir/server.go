package fhir

import (
	"strings"
	"time"

	"interlude/internal/care"
)

// What the server's FHIR API answers with, beside the record's resources.

// Issue codes of an OperationOutcome, by domain error code.
var issueCodes = map[care.Code]string{
	care.Invalid:         "invalid",
	care.Unauthenticated: "login",
	care.MFARequired:     "login",
	care.Forbidden:       "forbidden",
	care.NotFound:        "not-found",
	care.Conflict:        "conflict",
	care.RateLimited:     "throttled",
	care.Gone:            "deleted",
}

// OperationOutcome is the FHIR form of an error: one issue of severity
// error, its code from the domain error code (exception for any other),
// and the error's safe message as diagnostics.
func OperationOutcome(code care.Code, message string) Resource {
	ic, ok := issueCodes[code]
	if !ok {
		ic = "exception"
	}
	return obj(
		"resourceType", "OperationOutcome",
		"issue", []any{obj("severity", "error", "code", ic, "diagnostics", message)},
	)
}

// SearchParams are the search parameters the server supports on every
// type: _id, and patient for every type but Patient.
func SearchParams(typ string) []string {
	if typ == "Patient" {
		return []string{"_id"}
	}
	return []string{"_id", "patient"}
}

// CapabilityStatement describes the server's FHIR API under base: read
// and search (by patient) of every type of Types, Patient/$everything,
// read of the measures' Questionnaires and of Interlude's CodeSystem, and
// whatever more operations the caller names (name, definition canonical),
// e.g. the Bulk Data export. date is the statement's date (the binary's
// build, or the server's start).
func CapabilityStatement(base string, date time.Time, systemOps [][2]string) Resource {
	base = strings.TrimRight(base, "/")
	var resources []any
	for _, typ := range append(append([]string{}, Types...), "CodeSystem") {
		var params []any
		if typ != "CodeSystem" {
			for _, p := range SearchParams(typ) {
				kind := "reference"
				doc := "the Patient whose record holds the resource: an id, or Patient/{id}"
				if p == "_id" {
					kind, doc = "token", "the resource's id"
				}
				def := ""
				if p == "_id" {
					def = "http://hl7.org/fhir/SearchParameter/Resource-id"
				}
				params = append(params, obj("name", p, "definition", def, "type", kind, "documentation", doc))
			}
		}
		interactions := []any{obj("code", "read")}
		if typ != "CodeSystem" {
			interactions = append(interactions, obj("code", "search-type"))
		}
		r := obj(
			"type", typ,
			"interaction", interactions,
			"searchParam", params,
		)
		if typ == "Patient" {
			r["operation"] = []any{obj("name", "everything", "definition", "http://hl7.org/fhir/OperationDefinition/Patient-everything")}
		}
		if typ == "CodeSystem" {
			r["documentation"] = "Interlude's own code system, " + CodeSystemURL + ", is CodeSystem/interlude."
		}
		resources = append(resources, r)
	}
	var ops []any
	for _, op := range systemOps {
		ops = append(ops, obj("name", op[0], "definition", op[1]))
	}
	return obj(
		"resourceType", "CapabilityStatement",
		"id", "interlude",
		"url", base+"/metadata",
		"name", "Interlude",
		"title", "Interlude FHIR R4 API",
		"status", "active",
		"date", instant(date),
		"publisher", "Interlude",
		"description", "The between-session record of a clinic's clients: read and search by patient, Patient/$everything. Codes not in LOINC are of "+CodeSystemURL+" (CodeSystem/interlude).",
		"kind", "instance",
		"implementation", obj("description", "Interlude", "url", base),
		"software", obj("name", "Interlude"),
		"fhirVersion", "4.0.1",
		"format", []any{"application/fhir+json", "json"},
		"rest", []any{obj(
			"mode", "server",
			"documentation", "Same sign-in and authorization as the JSON API: a bearer token or the web session. A record the caller may not see answers 404, as one that does not exist; a private journal entry is only ever in the client's own answers.",
			"security", obj(
				"service", []any{obj("coding", []any{obj("system", "http://terminology.hl7.org/CodeSystem/restful-security-service", "code", "OAuth", "display", "OAuth")}, "text", "Bearer tokens from POST /api/v1/sessions")},
				"description", "Authorization: Bearer <token> from POST /api/v1/sessions, or the web session cookie."),
			"resource", resources,
			"operation", ops,
		)},
	)
}

// Find returns the resource of type typ and id id among resources, or nil.
func Find(resources []Resource, typ, id string) Resource {
	for _, r := range resources {
		if TypeOf(r) == typ && IDOf(r) == id {
			return r
		}
	}
	return nil
}

// OfType returns the resources of type typ, in order.
func OfType(resources []Resource, typ string) []Resource {
	out := []Resource{}
	for _, r := range resources {
		if TypeOf(r) == typ {
			out = append(out, r)
		}
	}
	return out
}

// KnownType reports whether the server serves resources of type typ.
func KnownType(typ string) bool {
	for _, t := range Types {
		if t == typ {
			return true
		}
	}
	return false
}

// RecordID returns the id of the record row a resource id derives from:
// the id itself, or its first 26 characters for a derived id
// ("<entry>-mood"); "" when it derives from none.
func RecordID(id string) string {
	if care.ValidID(id) {
		return id
	}
	if len(id) > 27 && id[26] == '-' && care.ValidID(id[:26]) {
		return id[:26]
	}
	return ""
}
