#!/usr/bin/env bash
# Runs every test of the solution. Installs what the tests need (NuGet packages, and the npm tools in
# package.json), builds with warnings as errors, and writes TRX results to $TEST_RESULTS_DIR (default TestResults/).
# The tests start what they talk to themselves (the Twine sandbox in-process on free ports).
set -euo pipefail
cd "$(dirname "$0")/.."

results="${TEST_RESULTS_DIR:-TestResults}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if [ -f package-lock.json ] && { [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; }; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# The operator console's browser test (tests/Twine.Console.Tests) drives Debian's chromium through its executable path
# (Playwright never downloads a browser here).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium;
  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi
fi

dotnet restore Twine.Functions.sln
dotnet build Twine.Functions.sln --no-restore
# Every test project of the solution at once, each writing its own TRX file (<project>.trx): the default names are a
# timestamp, and two projects starting in the same instant overwrote each other's results.
mkdir -p "$results"
status=0
pids=()
names=()
for project in $(dotnet sln Twine.Functions.sln list | grep -E '^tests/.*\.Tests\.csproj$'); do
  name=$(basename "$project" .csproj)
  rm -f "$results/$name.trx"
  dotnet test --project "$project" --no-build --results-directory "$results" --report-xunit-trx --report-xunit-trx-filename "$name.trx" "$@" \
    > "$results/$name.log" 2>&1 &
  pids+=("$!")
  names+=("$name")
done
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then status=1; fi
  echo "=== ${names[$i]}"
  cat "$results/${names[$i]}.log"
done
exit "$status"
