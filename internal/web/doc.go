// Package web is Interlude's HTTP surface: the JSON API under /api/v1/, the
// server-rendered web UI, health and metrics. Every route is declared in
// routes.go. Handlers return an error, which one function (renderError)
// turns into the JSON error shape of API.md or an HTML error page.
//
// Nothing here logs a request body, a query string or a path: log lines and
// metric labels carry the route pattern and ids only.
package web
