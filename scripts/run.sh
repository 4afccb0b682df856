#!/usr/bin/env bash
# Runs Twine Functions on this machine: Azurite (storage emulator, from package.json), the Twine sandbox
# (http://127.0.0.1:5080/pub) and the Functions host (`func start` in src/Twine.Functions).
# Installs what it needs; stops everything it started when the host exits or on Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

sandbox_port="${SANDBOX_PORT:-5080}"
logs="$root/.azurite/logs"
mkdir -p "$logs"
pids=()
# Stop what this script started: politely first, then for good (Azurite can hang in its shutdown).
cleanup() {
  for pid in "${pids[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for _ in 1 2 3 4 5; do
    alive=0
    for pid in "${pids[@]:-}"; do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && return 0
    sleep 1
  done
  for pid in "${pids[@]:-}"; do [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

# 1. Core Tools: `func` runs the host. Install it from npm when missing; say how when that cannot work.
if ! command -v func >/dev/null 2>&1; then
  echo "Azure Functions Core Tools (func) not found; trying: npm install -g azure-functions-core-tools@4 (5 minutes at most)"
  if ! timeout 300 npm install -g azure-functions-core-tools@4 --unsafe-perm true --no-audit --no-fund >"$logs/func-install.log" 2>&1 \
     || ! command -v func >/dev/null 2>&1; then
    cat >&2 <<'MSG'
error: Azure Functions Core Tools v4 could not be installed (see .azurite/logs/func-install.log).
Its npm installer downloads the func binary, which needs internet access to its download site.
Install it yourself, then run this command again:
  npm install -g azure-functions-core-tools@4 --unsafe-perm true
  or see https://learn.microsoft.com/azure/azure-functions/functions-run-local#install-the-azure-functions-core-tools
MSG
    exit 1
  fi
fi

# 2. Azurite, with its data in the git-ignored .azurite folder.
if [ ! -d node_modules/azurite ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/10001) 2>/dev/null; then
  # Started directly (not through npx) so that the PID recorded here is Azurite's own and the cleanup stops it.
  node_modules/.bin/azurite --silent --location .azurite --skipApiVersionCheck --loose >"$logs/azurite.log" 2>&1 &
  pids+=($!)
  echo "Azurite started (blob 10000, queue 10001, table 10002); log: .azurite/logs/azurite.log"
fi

# 3. The Twine sandbox.
dotnet build src/Twine.Sandbox -c Debug -v quiet -nologo >/dev/null
dotnet src/Twine.Sandbox/bin/Debug/net10.0/Twine.Sandbox.dll --port "$sandbox_port" >"$logs/sandbox.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 60); do
  (exec 3<>/dev/tcp/127.0.0.1/"$sandbox_port") 2>/dev/null && break
  sleep 1
done
(exec 3<>/dev/tcp/127.0.0.1/"$sandbox_port") 2>/dev/null || { echo "error: the sandbox did not start; see .azurite/logs/sandbox.log" >&2; exit 1; }
echo "Twine sandbox on http://127.0.0.1:$sandbox_port/pub; log: .azurite/logs/sandbox.log"

# 4. local.settings.json from the sample (never committed: it may hold secrets).
settings=src/Twine.Functions/local.settings.json
if [ ! -f "$settings" ]; then
  sed "s#http://127.0.0.1:5080/pub/#http://127.0.0.1:$sandbox_port/pub/#" local.settings.sample.json >"$settings"
  echo "wrote $settings from local.settings.sample.json"
fi

# 5. The Functions host, as Core Tools recommends for isolated projects.
cd src/Twine.Functions
func start
