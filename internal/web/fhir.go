package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"interlude/internal/care"
	"interlude/internal/fhir"
)

// The FHIR R4 API (issue #8) under /fhir/R4/: read and search by patient
// of the record's resources, Patient/$everything, and the
// CapabilityStatement. Every answer about a client comes from
// Store.ClientRecord, which authorizes (the client, their care team, an
// admin under break-glass) and audits once per request; a resource is in
// an answer only if it is in that record, so a private journal entry only
// ever reaches the client themself. Errors are OperationOutcomes
// (renderError).

// fhirBase is the path of the FHIR API.
const fhirBase = "/fhir/R4"

// fhirContentType is the media type of every FHIR answer.
const fhirContentType = "application/fhir+json"

func isFHIR(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, fhirBase+"/") }

// writeFHIR writes a FHIR resource as the response.
func writeFHIR(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", fhirContentType)
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// fhirBaseURL is the absolute base of the FHIR API, for fullUrls.
func (s *Server) fhirBaseURL() string { return s.baseURL + fhirBase }

// fhirOperations are the system-level operations the CapabilityStatement
// names beside the per-type ones.
var fhirOperations = [][2]string{
	{"export", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"},
}

// GET /fhir/R4/metadata: the CapabilityStatement, to anyone (it holds no
// PHI).
func (s *Server) fhirMetadata(w http.ResponseWriter, r *http.Request) error {
	return writeFHIR(w, http.StatusOK, fhir.CapabilityStatement(s.fhirBaseURL(), s.now(), fhirOperations))
}

// GET /fhir/R4/CodeSystem/{id}: Interlude's own code system, to anyone.
func (s *Server) fhirCodeSystem(w http.ResponseWriter, r *http.Request) error {
	cs := fhir.CodeSystem()
	if r.PathValue("id") != fhir.IDOf(cs) {
		return care.Errorf(care.NotFound, "no such code system")
	}
	return writeFHIR(w, http.StatusOK, cs)
}

// GET /fhir/R4/Patient/{id}/$everything: the client's whole record as the
// caller may see it, as a searchset Bundle.
func (s *Server) fhirEverything(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	rec, err := s.store.ClientRecord(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeFHIR(w, http.StatusOK, fhir.Everything(rec, s.fhirBaseURL()))
}

// GET /fhir/R4/{type}/{id}: one resource. The record that holds it is
// found from the id (a row of the record, or derived from one) and read
// whole, under its usual authorization; the answer is the resource if the
// record, as the caller sees it, holds it. Questionnaires are the
// instruments' and readable by anyone signed in.
func (s *Server) fhirRead(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	typ, id := r.PathValue("type"), r.PathValue("id")
	if !fhir.KnownType(typ) {
		return care.Errorf(care.NotFound, "this server has no resources of that type")
	}
	switch {
	case typ == "Questionnaire":
		if in := care.InstrumentByCode(id); in != nil {
			return writeFHIR(w, http.StatusOK, fhir.Questionnaire(in))
		}
		if id == care.InstrumentASQ {
			return writeFHIR(w, http.StatusOK, fhir.ASQQuestionnaire())
		}
		return care.ErrNotFound
	case typ == "Organization" && actor.Role.Staff():
		// The staff member's own clinic; names of clinics and staff are
		// not PHI (store/personal.go).
		if id != actor.ClinicID {
			return care.ErrNotFound
		}
		c, err := s.store.Clinic(r.Context(), id)
		if err != nil {
			return err
		}
		return writeFHIR(w, http.StatusOK, fhir.Organization(*c))
	case typ == "Practitioner" && actor.Role.Staff():
		u, err := s.store.StaffMember(r.Context(), actor, id)
		if err != nil {
			return err
		}
		return writeFHIR(w, http.StatusOK, fhir.Practitioner(*u))
	}
	clientID, err := s.fhirRecordOf(r, actor, typ, id)
	if err != nil {
		return err
	}
	rec, err := s.store.ClientRecord(r.Context(), actor, clientID)
	if err != nil {
		return err
	}
	res := fhir.Find(fhir.Resources(rec), typ, id)
	if res == nil {
		return care.ErrNotFound
	}
	return writeFHIR(w, http.StatusOK, res)
}

// fhirRecordOf returns the client whose record a resource of type typ and
// id id would be in. Organization and Practitioner, shared by many
// records, a client reads through their own (staff read those of their
// clinic directly, fhirRead).
func (s *Server) fhirRecordOf(r *http.Request, actor care.Actor, typ, id string) (string, error) {
	switch typ {
	case "Organization", "Practitioner":
		return actor.UserID, nil
	case "CareTeam", "CarePlan":
		// <client>-careteam, <client>-plan
		if c := fhir.RecordID(id); c != "" {
			return c, nil
		}
		return "", care.ErrNotFound
	case "AuditEvent":
		// <client>-audit-<seq>: the client's own access log only.
		return fhir.RecordID(id), nil
	}
	row := fhir.RecordID(id)
	if row == "" {
		return "", care.ErrNotFound
	}
	return s.store.RecordOf(r.Context(), actor, row)
}

// GET /fhir/R4/{type}?patient={id} (Patient: ?_id={id}): the resources of
// that type in the patient's record as the caller sees it, as a searchset
// Bundle; _id narrows to one. A client may leave the patient out: their
// own record. Other search parameters are refused rather than ignored, so
// that no caller takes an unfiltered answer for a filtered one.
func (s *Server) fhirSearch(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	typ := r.PathValue("type")
	if !fhir.KnownType(typ) {
		return care.Errorf(care.NotFound, "this server has no resources of that type")
	}
	q := r.URL.Query()
	for name := range q {
		switch name {
		case "patient", "subject", "_id", "_format":
		default:
			return care.FieldError(name, "is not a search parameter of this server: search by patient (Patient: _id)")
		}
	}
	one := func(name string) (string, error) {
		switch vs := q[name]; len(vs) {
		case 0:
			return "", nil
		case 1:
			return vs[0], nil
		}
		return "", care.FieldError(name, "must be given once")
	}
	patient, err := one("patient")
	if err != nil {
		return err
	}
	if subject, err := one("subject"); err != nil {
		return err
	} else if subject != "" {
		if patient != "" {
			return care.FieldError("subject", "give patient or subject, not both")
		}
		patient = subject
	}
	patient = strings.TrimPrefix(patient, "Patient/")
	resID, err := one("_id")
	if err != nil {
		return err
	}
	if typ == "Patient" && patient == "" {
		patient = resID
	}
	if patient == "" {
		if actor.Role != care.RoleClient {
			return care.FieldError("patient", "is required: search the record of one patient")
		}
		patient = actor.UserID
	}
	if typ == "Patient" && patient != "" && resID != "" && resID != patient {
		return writeFHIR(w, http.StatusOK, fhir.SearchSet(nil, s.fhirBaseURL(), s.now()))
	}
	rec, err := s.store.ClientRecord(r.Context(), actor, patient)
	if err != nil {
		return err
	}
	found := fhir.OfType(fhir.Resources(rec), typ)
	if resID != "" {
		found = fhir.OfType([]fhir.Resource{fhir.Find(found, typ, resID)}, typ)
	}
	return writeFHIR(w, http.StatusOK, fhir.SearchSet(found, s.fhirBaseURL(), rec.ReadAt))
}

// fhirNotFound answers a path under /fhir/R4/ that names no route.
func fhirNotFound(w http.ResponseWriter, r *http.Request) error {
	return care.Errorf(care.NotFound, "no such FHIR route")
}
