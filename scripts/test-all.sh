#!/usr/bin/env bash
# Runs every test: typecheck, lint, Vitest (unit + integration) on PGlite and on PostgreSQL,
# process tests against the production build, then Playwright journeys in Chromium.
# Installs Chromium and PostgreSQL from apt when they are missing and we are root.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
is_root() { [ "$(id -u)" = "0" ]; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

step "prerequisites"
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_PATH" ]; then
  if is_root; then echo "installing chromium from apt…"; apt_install chromium;
  else echo "Chromium is missing. Install it with: sudo apt-get install -y chromium   (or set CHROMIUM_PATH)"; exit 1; fi
fi
export CHROMIUM_PATH
echo "chromium: $("$CHROMIUM_PATH" --version 2>/dev/null | tail -n1)"

# PostgreSQL: TEST_DATABASE_URL may point at any server; otherwise use (and if root, install) the local one.
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  if ! command -v pg_lsclusters >/dev/null 2>&1 && is_root; then echo "installing postgresql from apt…"; apt_install postgresql; fi
  if command -v pg_lsclusters >/dev/null 2>&1; then
    read -r pg_ver pg_cluster pg_port pg_status _ < <(pg_lsclusters --no-header | head -n1)
    if [ "$pg_status" != "online" ]; then
      if is_root; then pg_ctlcluster "$pg_ver" "$pg_cluster" start;
      else echo "PostgreSQL $pg_ver/$pg_cluster is down: start it with sudo pg_ctlcluster $pg_ver $pg_cluster start"; fi
    fi
    if is_root && [ "$(pg_lsclusters --no-header | awk 'NR==1{print $4}')" = "online" ]; then
      su postgres -c "psql -q -p $pg_port -c \"alter user postgres password 'postgres'\"" >/dev/null
      export TEST_DATABASE_URL="postgres://postgres:postgres@127.0.0.1:${pg_port}/postgres"
    fi
  fi
fi
# bubblewrap sandboxes builds and instances; the isolation tests run with it where it can be installed.
if ! command -v bwrap >/dev/null 2>&1; then
  if is_root; then echo "installing bubblewrap from apt…"; apt_install bubblewrap;
  else echo "bubblewrap is missing: the sandbox tests run without it. Install it with: sudo apt-get install -y bubblewrap"; fi
fi

if [ -n "${TEST_DATABASE_URL:-}" ]; then echo "postgresql: ${TEST_DATABASE_URL%%@*}@… (password hidden)" | sed 's#//[^:]*:[^@]*@#//***@#';
else echo "PostgreSQL not available: the PostgreSQL pass is skipped. Install it with: sudo apt-get install -y postgresql"; fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then step "npm ci"; npm ci --no-audit --no-fund; fi

step "typecheck"
npx tsc --noEmit
step "lint"
npx eslint . --max-warnings 0

step "build"
npx next build

# The process suites start whole console servers (and kill them): one file at a time, after the rest,
# so they neither compete with each other for the two cores nor race for free ports.
step "vitest on PGlite"
env -u TEST_DATABASE_URL npx vitest run --exclude 'tests/process/**'
# The isolation suites once more without bubblewrap: a user per service alone must keep services apart.
step "vitest: isolation suites without bubblewrap (SLIPWAY_SANDBOX=off)"
env -u TEST_DATABASE_URL SLIPWAY_SANDBOX=off npx vitest run tests/runtime/isolation.test.ts tests/runtime/isolation-unsandboxed.test.ts tests/engine/isolation.test.ts
step "vitest on PGlite: console processes"
env -u TEST_DATABASE_URL npx vitest run tests/process --no-file-parallelism

if [ -n "${TEST_DATABASE_URL:-}" ]; then
  # Only the suites that use a database: the runtime's unit suites (router, supervisor, builder) ran above.
  step "vitest on PostgreSQL"
  npx vitest run tests/integration tests/engine tests/cli
  step "vitest on PostgreSQL: console processes"
  npx vitest run tests/process --no-file-parallelism
fi

step "playwright (chromium)"
npx playwright test

step "all tests passed"
