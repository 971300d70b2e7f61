#!/usr/bin/env bash
# The project's test command: type check, lint, then node's test runner over an explicit file list.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc --noEmit -p tsconfig.json
npx tsc --noEmit -p tsconfig.test.json
npx biome ci .
bash scripts/ensure-chromium.sh  # browser tests (test/report) need Debian's chromium; they skip with a reason when it cannot be had
bash scripts/ensure-redis.sh  # fleet tests (test/fleet) start their own redis-server; they skip with a reason when it cannot be had
files=$(find test -name '*.test.ts' | sort)
[ -n "$files" ] || { echo "no test files found"; exit 1; }
# shellcheck disable=SC2086
exec node --import tsx --test --test-reporter=tap --test-concurrency=2 $files
