package web

import (
	_ "embed"
	"io"
	"net/http"
)

// openAPIDocument is the OpenAPI 3.1 description of the JSON API, kept by
// hand beside the routes it describes. TestOpenAPIRoutes fails when it and
// the route table disagree on a route under /api/v1/, and
// TestOpenAPIValid checks it against the OpenAPI 3.1 schema.
//
//go:embed openapi.json
var openAPIDocument string

// GET /api/v1/openapi.json: public, like the source it is drawn from. An
// API client reads it before it can sign in (how to sign in is in it), and
// it holds the URL surface and the body shapes only, never a record.
func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := io.WriteString(w, openAPIDocument)
	return err
}
