package web

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"interlude/internal/care"
	"interlude/internal/fhir"
)

// The FHIR Bulk Data Access IG (v2) export of a clinic (issue #8): an
// admin kicks an export off (GET /fhir/R4/$export, or the clinic as a
// Group), polls the status URL it answers with, downloads the NDJSON files
// the manifest lists, and may delete the export. Each request
// authenticates as the JSON API does; the kick-off also needs a fresh
// sign-in with the second factor (AU-11). The export runs as a durable
// job (package jobs); its files are sealed at rest and expire.

// bulkStatusPath and bulkFilePath are where an export's status and files
// are served.
const (
	bulkStatusPath = "/fhir/R4/bulk-status/"
	bulkFilePath   = "/fhir/R4/bulk-files/"
)

// bulkOutputFormats are the _outputFormat values accepted: NDJSON, under
// the names the IG lists.
var bulkOutputFormats = []string{"application/fhir+ndjson", "application/ndjson", "ndjson"}

// resourceTypeName is what a resource type's name looks like.
var resourceTypeName = regexp.MustCompile(`^[A-Z][A-Za-z]{1,63}$`)

// GET /fhir/R4/$export and GET /fhir/R4/Group/{id}/$export (the clinic is
// the group of its clients).
func (s *Server) bulkKickOff(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if !care.CanBulkExport(actor) {
		return care.ErrNotFound // before anything else: nobody else learns the route's shape
	}
	if g := r.PathValue("id"); g != "" && g != actor.ClinicID { // Group/{id}: the caller's clinic only
		return care.ErrNotFound
	}
	if a := authOf(r); a == nil || s.now().Sub(a.session.AuthAt) > care.BulkExportFreshAuth {
		return care.Errorf(care.MFARequired, "starting an export needs a sign-in with your second factor in the last %d minutes: sign in again",
			int(care.BulkExportFreshAuth/time.Minute))
	}
	prefer := preferences(r)
	if !prefer["respond-async"] {
		return care.Errorf(care.Invalid, "an export runs asynchronously: send the header Prefer: respond-async")
	}
	types, since, err := bulkParams(r, prefer["handling=lenient"])
	if err != nil {
		return err
	}
	e, err := s.store.StartBulkExport(r.Context(), actor, types, since, s.absURL(r, r.URL.RequestURI()))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Location", s.absURL(r, bulkStatusPath+e.ID))
	return writeFHIR(w, http.StatusAccepted, bulkStarted(e.ClientsTotal))
}

// preferences are the tokens of the request's Prefer headers.
func preferences(r *http.Request) map[string]bool {
	out := map[string]bool{}
	for _, h := range r.Header.Values("Prefer") {
		for tok := range strings.SplitSeq(h, ",") {
			out[strings.ToLower(strings.ReplaceAll(strings.TrimSpace(tok), " ", ""))] = true
		}
	}
	return out
}

// bulkParams checks the kick-off's parameters and returns the resource
// types asked for (none: all) and the _since (zero: none), a FHIR instant
// given once; the store refuses one later than its time now. A parameter
// the server does not support is refused, unless the client asked for
// lenient handling; a bad value of one it supports always is.
func bulkParams(r *http.Request, lenient bool) ([]string, time.Time, error) {
	var types []string
	var since time.Time
	for name, vals := range r.URL.Query() {
		switch name {
		case "_outputFormat":
			for _, v := range vals {
				if !slices.Contains(bulkOutputFormats, v) {
					return nil, time.Time{}, care.FieldError("_outputFormat", "must be application/fhir+ndjson")
				}
			}
		case "_since":
			if len(vals) != 1 {
				return nil, time.Time{}, care.FieldError("_since", "must be given once")
			}
			t, err := fhir.ParseInstant(vals[0])
			if err != nil {
				return nil, time.Time{}, care.FieldError("_since", "%v", err)
			}
			since = t
		case "_type":
			for _, v := range vals {
				for t := range strings.SplitSeq(v, ",") {
					t = strings.TrimSpace(t)
					if !bulkType(t) {
						if lenient && resourceTypeName.MatchString(t) {
							continue
						}
						return nil, time.Time{}, care.FieldError("_type", "names a resource type this server does not export")
					}
					if !slices.Contains(types, t) {
						types = append(types, t)
					}
				}
			}
		default:
			if !lenient {
				return nil, time.Time{}, care.FieldError(name, "is not supported by this server's export (send Prefer: handling=lenient to have it ignored)")
			}
		}
	}
	slices.Sort(types)
	return types, since, nil
}

// absURL is path on this server as its users reach it.
func (s *Server) absURL(r *http.Request, path string) string {
	if s.baseURL != "" {
		return s.baseURL + path
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

// bulkManifest is the IG's completion manifest.
type bulkManifest struct {
	TransactionTime     time.Time        `json:"transactionTime"`
	Request             string           `json:"request"`
	RequiresAccessToken bool             `json:"requiresAccessToken"`
	Output              []bulkOutputJSON `json:"output"`
	Error               []bulkOutputJSON `json:"error"`
}

type bulkOutputJSON struct {
	Type  string `json:"type"`
	URL   string `json:"url"`
	Count int    `json:"count"`
}

// GET /fhir/R4/bulk-status/{id}: 202 with X-Progress while the export
// runs, the manifest once done, 500 with an OperationOutcome if it failed.
func (s *Server) bulkStatus(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	e, files, err := s.store.BulkExportStatus(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	switch {
	case e.Failed:
		return writeFHIR(w, http.StatusInternalServerError, fhir.OperationOutcome(care.Internal,
			"the export failed; start a new one, and if it fails again tell the operator the export's id"))
	case !e.Done():
		w.Header().Set("X-Progress", fmt.Sprintf("%d of %d client records exported", e.ClientsDone, e.ClientsTotal))
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(http.StatusAccepted)
		return nil
	}
	m := bulkManifest{TransactionTime: e.CreatedAt, Request: e.Request, RequiresAccessToken: true,
		Output: []bulkOutputJSON{}, Error: []bulkOutputJSON{}}
	for _, f := range files {
		m.Output = append(m.Output, bulkOutputJSON{Type: f.Type, URL: s.absURL(r, bulkFilePath+e.ID+"/"+f.Type+".ndjson"), Count: f.Count})
	}
	w.Header().Set("Expires", e.ExpiresAt.Format(http.TimeFormat))
	return writeJSON(w, http.StatusOK, m)
}

// DELETE /fhir/R4/bulk-status/{id}: cancel the export and delete its files.
func (s *Server) bulkDelete(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	if err := s.store.CancelBulkExport(r.Context(), actor, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// GET /fhir/R4/bulk-files/{id}/{file}: one NDJSON file, to the admin who
// started the export.
func (s *Server) bulkFile(w http.ResponseWriter, r *http.Request) error {
	actor, err := signedIn(r)
	if err != nil {
		return err
	}
	rt, ok := strings.CutSuffix(r.PathValue("file"), ".ndjson")
	if !ok || !resourceTypeName.MatchString(rt) {
		return care.ErrNotFound
	}
	started := false
	_, err = s.store.BulkExportFile(r.Context(), actor, r.PathValue("id"), rt, func(b []byte) error {
		if !started {
			w.Header().Set("Content-Type", "application/fhir+ndjson")
			w.WriteHeader(http.StatusOK)
			started = true
		}
		_, err := w.Write(b)
		return err
	})
	switch {
	case err != nil && !started:
		return err
	case err != nil:
		// The file is half sent: break the connection, so the client sees
		// a failed download and not a short file.
		s.log.Error("bulk file failed mid-way", "request_id", RequestID(r.Context()), "error_class", fmt.Sprintf("%T", err))
		panic(http.ErrAbortHandler)
	case !started:
		// No resources of that type: an empty file.
		w.Header().Set("Content-Type", "application/fhir+ndjson")
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	}
	return nil
}

// bulkStarted is the OperationOutcome of a kick-off: informational.
func bulkStarted(clients int) fhir.Resource {
	return fhir.Resource{
		"resourceType": "OperationOutcome",
		"issue": []any{map[string]any{"severity": "information", "code": "informational",
			"diagnostics": fmt.Sprintf("the export of %d client records has started; poll the Content-Location for its status", clients)}},
	}
}

// bulkType reports whether the server exports resources of type t.
func bulkType(t string) bool { return slices.Contains(fhir.Types, t) }
