#!/usr/bin/env bash
# `npm test`: the type-check, the lint (ESLint's layer rule, Prettier's formatting) and the
# settings-schema staleness check run beside jest. All are CPU-bound, and jest alone leaves a
# core idle while it starts and finishes. Arguments go to jest (`npm test -- --ci`). Fails if
# any of them fails.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)

npx --no-install tsc -p . >"$logs/tsc" 2>&1 &
typecheck=$!
# The schema script from the current sources (build/ may be stale), bundled by esbuild with the
# packages left to Node, inside the project so it finds the package root as build/ does.
schema_check=node_modules/.cache/test-scripts/settings-schema-$$.js
trap 'rm -rf "$logs" "$schema_check"' EXIT
{ npx --no-install esbuild scripts/settings-schema.ts --bundle --platform=node --target=node20 --packages=external \
    --outfile="$schema_check" --log-level=warning && node "$schema_check" --check; } >"$logs/schema" 2>&1 &
schema=$!
{ npx --no-install eslint . && npx --no-install prettier --check '**/*.{ts,js}' --log-level warn; } >"$logs/lint" 2>&1 &
lint=$!
npx --no-install jest "$@"
status=$?
if ! wait "$typecheck"; then
  echo "== type-check failed (tsc -p .):"; grep -v '^npm warn' "$logs/tsc"; status=1
fi
if ! wait "$lint"; then
  echo "== lint failed (npm run lint; npm run format rewrites the formatting):"; cat "$logs/lint"; status=1
fi
if ! wait "$schema"; then
  echo "== schemas/ are stale or invalid (npm run schema):"; cat "$logs/schema"; status=1
fi
exit "$status"
