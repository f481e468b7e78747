#!/usr/bin/env bash
# Idempotent bootstrap: installs what `npm run demo`, `npm test` and `npm run bench` need when it
# is missing, and nothing else. Node modules (when missing or stale), the Temporal CLI v1.5.1 built
# from the Go module proxy into .tools/bin (unless a `temporal` is on PATH), Debian's redis-server,
# redis-sentinel, postgresql and chromium, and the Temporal Python SDK and redis-py (PyPI) in a venv at
# .tools/python for the cross-language examples' tests. Nothing is downloaded from the web.
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_CLI_VERSION=v1.5.1
PYTHON_TEMPORALIO_VERSION=1.35.0
PYTHON_REDIS_VERSION=8.1.0
say() { printf 'bootstrap: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# 1. Node modules: reinstall when package-lock.json changed since the last install.
lock_hash=$(sha256sum package-lock.json package.json 2>/dev/null | sha256sum | cut -c1-16)
stamp=node_modules/.bootstrap-stamp
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  say "installing node modules"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error >&2; else npm install --no-audit --no-fund --loglevel=error >&2; fi
  # npm may skip install scripts; check that the native pieces we rely on load.
  node -e "require('@swc/core'); require('@temporalio/core-bridge')" || die "native modules (@swc/core, @temporalio/core-bridge) do not load after npm ci"
  echo "$lock_hash" > "$stamp"
fi

# Installs Debian packages as root, or through sudo, or says exactly what to run.
apt_install() {
  local packages=("$@")
  local sudo=""
  if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; else
      die "missing ${packages[*]}: run 'sudo apt-get install -y ${packages[*]}' (or install them your platform's way) and retry"
    fi
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing ${packages[*]} and no apt-get here: install them your platform's way and retry"
  say "installing ${packages[*]} from Debian's packages"
  local log
  log=$(mktemp)
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}"; } >"$log" 2>&1 \
    || { tail -20 "$log" >&2; die "apt-get install ${packages[*]} failed (output above)"; }
  rm -f "$log"
}

# 2. Temporal CLI: one on PATH wins; else .tools/bin/temporal, built from the Go module proxy.
if ! command -v temporal >/dev/null 2>&1 && [ ! -x .tools/bin/temporal ]; then
  command -v go >/dev/null 2>&1 || die "the Temporal CLI is missing and Go is not installed: install Go 1.24+ (or put a 'temporal' CLI on PATH) and retry"
  say "building the Temporal CLI $TEMPORAL_CLI_VERSION from the Go module proxy into .tools/bin (about 3 minutes the first time)"
  mkdir -p .tools/bin
  GOBIN="$PWD/.tools/bin" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" >&2 \
    || die "go install github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION failed (see above)"
fi

# 3. redis-server (and redis-cli for people and the cluster tests), openssl, 4. chromium for the HTML report checks.
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
# redis-sentinel runs the Sentinel failover test.
command -v redis-sentinel >/dev/null 2>&1 || [ -x /usr/bin/redis-sentinel ] || missing+=(redis-sentinel)
# postgresql: the server the PostgreSQL example's test starts (test/helpers/postgres-server.ts
# finds /usr/lib/postgresql/<version>/bin/postgres, else one on PATH); the package's own cluster is not used.
if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null && ! command -v postgres >/dev/null 2>&1; then
  missing+=(postgresql)
fi
# openssl makes the throwaway CA and certificates of the Redis TLS tests.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ "${BOOTSTRAP_SKIP_BROWSER:-}" != "1" ] && [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi
# python3 with venv, for 5 when its venv is not there yet.
venv=.tools/python
stamp_py="$venv/.packages-temporalio-$PYTHON_TEMPORALIO_VERSION-redis-$PYTHON_REDIS_VERSION"
if [ ! -f "$stamp_py" ] && { ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; }; then
  missing+=(python3 python3-venv)
fi
if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi

# 5. The Temporal Python SDK and redis-py, for test/integration/examples.test.ts and
# read-protocol.test.ts running examples/python. A stamp names the installed versions, so an
# up-to-date venv costs one file test.
if [ ! -f "$stamp_py" ] || [ ! -x "$venv/bin/python" ]; then
  say "installing temporalio $PYTHON_TEMPORALIO_VERSION and redis $PYTHON_REDIS_VERSION from PyPI into $venv"
  rm -f "$venv"/.temporalio-* "$venv"/.packages-*
  python3 -m venv "$venv" >&2 || die "python3 -m venv $venv failed (see above)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "temporalio==$PYTHON_TEMPORALIO_VERSION" "redis==$PYTHON_REDIS_VERSION" >&2 \
    || die "pip install temporalio==$PYTHON_TEMPORALIO_VERSION redis==$PYTHON_REDIS_VERSION failed (see above)"
  touch "$stamp_py"
fi
exit 0
