#!/usr/bin/env bash
# bench_smoke.sh BUILD_DIR: scripts/bench --smoke runs from this build and prints its
# table (every row header). Asserts no figure: no test times anything (issue 11).
# Exit 77 (ctest: skipped) when wrk, the load generator, is not installed.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
if ! command -v wrk >/dev/null 2>&1; then
	echo "bench_smoke: SKIPPED: wrk not found (scripts/setup.sh installs it)"
	exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if ! timeout 600 "$root/scripts/bench" --smoke --build "$build" >"$out"; then
	echo "bench_smoke: scripts/bench --smoke failed"
	cat "$out"
	exit 1
fi
cat "$out"
status=0
for header in "figure" "signed 2xx/s, mock / bare" "CPU per 2xx, mock / bare" "user + system per 2xx, mock; bare" \
	"mock p50 / p99 / max at 32 connections" "RSS after" "WebSockets held by one mock" \
	"message reaches every socket" "push latency p50 / p99 / max" \
	"relay-conformance run: skipped (--smoke)" "peers: skipped (--smoke)"; do
	if ! grep -qF -- "$header" "$out"; then
		echo "bench_smoke: the table has no row \"$header\""
		status=1
	fi
done
exit $status
